//! Reverse-mode gradients: every partial derivative in one sweep over the DAG.
//!
//! [`gradient`] gives the derivative of one expression with respect to many scalar
//! variables at once, the way backpropagation does: it visits each node once, parents
//! before children, and passes each node's adjoint to its children through the local
//! derivative of the node. The cost is linear in the size of the DAG, and the result
//! shares subexpressions with the function (the cheap-gradient principle), where
//! differentiating by each variable in turn would cost the size times the number of
//! variables.
//!
//! Nodes that bind indices or call definitions (sums, calls, unevaluated derivatives)
//! are handed to the forward rules of [`crate::calculus::derivative`] for the variables they
//! depend on; definitions that depend on a variable are expanded first.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::calculus::adjoint::intermediate;
use crate::calculus::derivative::Differentiator;
use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::node::{ExprId, Func, Node};
use crate::expr::pool::Pool;

/// The partial derivatives of `f` with respect to each scalar variable in `vars`. A
/// named intermediate among them (`s` for `let s = ...`) is not a node of `f`'s DAG to
/// sweep to: its partial is its adjoint, taken on its own (see
/// [`crate::calculus::adjoint`]).
pub fn gradient(pool: &mut Pool, f: ExprId, vars: &[ExprId]) -> Result<Vec<ExprId>> {
    if vars.iter().any(|&v| intermediate(pool, v).is_some()) {
        let inputs: Vec<ExprId> = vars
            .iter()
            .copied()
            .filter(|&v| intermediate(pool, v).is_none())
            .collect();
        let swept = if inputs.is_empty() {
            Vec::new()
        } else {
            gradient(pool, f, &inputs)?
        };
        let mut swept = swept.into_iter();
        let mut out = Vec::with_capacity(vars.len());
        for &v in vars {
            let part = if intermediate(pool, v).is_some() {
                crate::calculus::derivative::derive_n(pool, f, v, 1)?.0
            } else {
                swept.next().unwrap_or_else(|| pool.int(0))
            };
            out.push(part);
        }
        return Ok(out);
    }
    for &v in vars {
        if !matches!(pool.node(v), Node::Sym(_)) {
            return Err(Error::new(
                ErrorKind::Shape,
                "a reverse-mode gradient takes scalar variables",
            )
            .with_hint("for a tensor, use `gauge grad EXPR --wrt z`, which gives the gradient in index form"));
        }
    }
    // Calls are expanded, so the sweep sees primitives (once for all variables: per
    // variable, the walk would cost the size of the DAG times the number of variables).
    let f = pool.expand_all_calls(f);
    let symbols: FxHashSet<_> = vars
        .iter()
        .filter_map(|&v| match pool.node(v) {
            Node::Sym(s) => Some(*s),
            _ => None,
        })
        .collect();
    let order = topological(pool, f, &symbols);
    // An adjoint is kept as an unmultiplied list of factors while it passes down a
    // chain of single parents, and multiplied out only where contributions meet or at
    // the end: multiplying at every level would rebuild ever longer products, which
    // costs the square of the depth on a chain of nested functions.
    let mut adjoint: FxHashMap<ExprId, Vec<Lazy>> = FxHashMap::default();
    adjoint.insert(f, vec![Lazy::one()]);
    let mut total: FxHashMap<ExprId, Lazy> = FxHashMap::default();
    for &id in &order {
        let Some(parts) = adjoint.remove(&id) else {
            continue;
        };
        let adj = if parts.len() == 1 {
            parts.into_iter().next().unwrap_or_else(Lazy::one)
        } else {
            let terms: Vec<ExprId> = parts.iter().map(|p| p.build(pool)).collect();
            Lazy::of(pool.add(terms))
        };
        total.insert(id, adj.clone());
        if adj.is_zero(pool) {
            continue;
        }
        match pool.node(id).clone() {
            Node::Sym(_)
            | Node::Num(_)
            | Node::Const(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Len(_, _)
            | Node::Elem(_, _)
            | Node::Delta(_, _) => {}
            Node::Add(ts) => {
                for t in ts.iter() {
                    push(&mut adjoint, *t, adj.clone());
                }
            }
            Node::Mul(fs) => {
                for (k, &x) in fs.iter().enumerate() {
                    if pool.as_num(x).is_some() || !depends(pool, x, &symbols) {
                        continue;
                    }
                    let others: Vec<ExprId> = fs
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != k)
                        .map(|(_, &y)| y)
                        .collect();
                    let local = pool.mul(others);
                    push(&mut adjoint, x, adj.times(local));
                }
            }
            Node::Pow(u, v) => {
                if depends(pool, u, &symbols) {
                    let m1 = pool.int(-1);
                    let e1 = pool.add(vec![v, m1]);
                    let pw = pool.pow(u, e1);
                    let local = pool.mul(vec![v, pw]);
                    push(&mut adjoint, u, adj.times(local));
                }
                if depends(pool, v, &symbols) {
                    let ln_u = pool.func(Func::Ln, u);
                    let local = pool.mul(vec![id, ln_u]);
                    push(&mut adjoint, v, adj.times(local));
                }
            }
            Node::Func(f, u) => {
                let local = crate::calculus::derivative::outer_derivative(pool, f, u);
                push(&mut adjoint, u, adj.times(local));
            }
            Node::Sum { .. } | Node::Call { .. } | Node::Diff { .. } => {
                // Handled below, per variable, by the forward rules.
            }
        }
    }
    let wanted: Vec<(ExprId, Lazy)> = total
        .into_iter()
        .filter(|(id, _)| {
            vars.contains(id)
                || matches!(
                    pool.node(*id),
                    Node::Sum { .. } | Node::Call { .. } | Node::Diff { .. }
                )
        })
        .collect();
    let total: FxHashMap<ExprId, ExprId> = wanted
        .into_iter()
        .map(|(id, lazy)| (id, lazy.build(pool)))
        .collect();
    // Nodes the sweep does not enter contribute their forward derivatives.
    let opaque: Vec<(ExprId, ExprId)> = order
        .iter()
        .filter(|&&id| {
            matches!(
                pool.node(id),
                Node::Sum { .. } | Node::Call { .. } | Node::Diff { .. }
            )
        })
        .filter_map(|&id| total.get(&id).map(|&a| (id, a)))
        .collect();
    let mut out = Vec::with_capacity(vars.len());
    for &v in vars {
        let mut parts = vec![total.get(&v).copied().unwrap_or_else(|| pool.int(0))];
        for &(id, adj) in &opaque {
            let mut d = Differentiator::new(pool, v)?;
            let dv = d.derive(id);
            parts.push(pool.mul(vec![adj, dv]));
        }
        out.push(pool.add(parts));
    }
    Ok(out)
}

fn push(adjoint: &mut FxHashMap<ExprId, Vec<Lazy>>, id: ExprId, c: Lazy) {
    adjoint.entry(id).or_default().push(c);
}

/// A product not yet multiplied out: a shared list of factors.
#[derive(Clone, Debug)]
struct Lazy(Option<std::rc::Rc<(ExprId, Lazy)>>);

/// Unlinks the list one factor at a time: the derived drop would recurse once a factor,
/// and a chain of nested functions makes a list as long as it is deep.
impl Drop for Lazy {
    fn drop(&mut self) {
        let mut next = self.0.take();
        while let Some(rc) = next {
            next = std::rc::Rc::try_unwrap(rc)
                .ok()
                .and_then(|(_, mut rest)| rest.0.take());
        }
    }
}

impl Lazy {
    fn one() -> Lazy {
        Lazy(None)
    }

    fn of(x: ExprId) -> Lazy {
        Lazy::one().times(x)
    }

    fn times(&self, x: ExprId) -> Lazy {
        Lazy(Some(std::rc::Rc::new((x, self.clone()))))
    }

    fn factors(&self) -> Vec<ExprId> {
        let mut out = Vec::new();
        let mut cur = self;
        while let Some(node) = &cur.0 {
            out.push(node.0);
            cur = &node.1;
        }
        out
    }

    fn is_zero(&self, pool: &Pool) -> bool {
        self.factors().iter().any(|&f| pool.is_int(f, 0))
    }

    fn build(&self, pool: &mut Pool) -> ExprId {
        let fs = self.factors();
        pool.mul(fs)
    }
}

fn depends(pool: &Pool, id: ExprId, symbols: &FxHashSet<crate::expr::node::Symbol>) -> bool {
    let free = pool.free_symbols(id);
    // Whichever set is smaller is scanned, so a wide sum costs its size once, not times
    // the number of variables.
    if free.len() <= symbols.len() {
        free.iter().any(|s| symbols.contains(s))
    } else {
        symbols.iter().any(|s| free.binary_search(s).is_ok())
    }
}

/// The nodes that depend on a variable, parents before children (the opaque nodes'
/// insides are not entered).
fn topological(
    pool: &Pool,
    root: ExprId,
    symbols: &FxHashSet<crate::expr::node::Symbol>,
) -> Vec<ExprId> {
    let mut post = Vec::new();
    let mut seen = FxHashSet::default();
    let mut stack = vec![(root, false)];
    while let Some((id, expanded)) = stack.pop() {
        if expanded {
            post.push(id);
            continue;
        }
        if !seen.insert(id) || !depends(pool, id, symbols) {
            continue;
        }
        stack.push((id, true));
        match pool.node(id) {
            Node::Sum { .. } | Node::Call { .. } | Node::Diff { .. } => {}
            n => {
                for c in crate::expr::node::children(n) {
                    if !seen.contains(&c) {
                        stack.push((c, false));
                    }
                }
            }
        }
    }
    post.reverse();
    post
}

/// The simplified first partials of `f` by `vars`, and the simplified second partials:
/// `rows[i][k]` is the derivative by `vars[i]` and then by `vars[i + k]`. Only the
/// upper triangle is derived, since the Hessian of a function with continuous second
/// partials is symmetric.
///
/// Each first partial is simplified before it is differentiated again (a reverse sweep
/// over its own DAG, which shares subterms with the function's), and one remembering
/// simplifier serves every entry, so that a subterm shared by the n² entries is
/// simplified once.
///
/// A named intermediate is refused among several variables: the partials by an
/// intermediate and by what it is computed from do not commute (with `s = x^2`, the
/// adjoint of `s` in `s*x` is `x`, whose derivative by `x` is 1, while the derivative
/// by `x`, `3*x^2`, has the adjoint 0 by `s`), so the upper triangle would not give the
/// rest. By one intermediate alone, both derivatives are by its stand-in, taken
/// without simplifying in between, so the second sees the first as derived.
pub fn hessian(
    pool: &mut Pool,
    f: ExprId,
    vars: &[ExprId],
    defs: &[crate::expr::node::DefId],
    facts: &[crate::lower::workspace::Fact],
) -> Result<(Vec<ExprId>, Vec<Vec<ExprId>>)> {
    if let Some(&v) = vars.iter().find(|&&v| intermediate(pool, v).is_some()) {
        if vars.len() > 1 {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "a Hessian by the intermediate `{}` and other variables is not symmetric, so it is not taken",
                    crate::print::text::to_text(pool, v)
                ),
            )
            .with_hint("take it by the intermediate alone, or write the second derivatives out: `diff(diff(f, s), x)`"));
        }
        let first = crate::calculus::derivative::derive_n(pool, f, v, 1)?.0;
        let second = crate::calculus::derivative::derive_n(pool, f, v, 2)?.0;
        let mut simp = crate::simplify::simplifier::Simplifier::new(pool, defs.to_vec())
            .with_facts(facts.to_vec())
            .remembering();
        let first = simp.simplify(first);
        let second = simp.simplify(second);
        return Ok((vec![first], vec![vec![second]]));
    }
    fn simplifier<'p>(
        pool: &'p mut Pool,
        defs: &[crate::expr::node::DefId],
        facts: &[crate::lower::workspace::Fact],
    ) -> crate::simplify::simplifier::Simplifier<'p> {
        crate::simplify::simplifier::Simplifier::new(pool, defs.to_vec())
            .with_facts(facts.to_vec())
            .remembering()
    }
    let first = gradient(pool, f, vars)?;
    let first: Vec<ExprId> = {
        let mut simp = simplifier(pool, defs, facts);
        first.into_iter().map(|g| simp.simplify(g)).collect()
    };
    let mut raw = Vec::with_capacity(vars.len());
    for (i, &g) in first.iter().enumerate() {
        raw.push(gradient(pool, g, &vars[i..])?);
    }
    let mut simp = simplifier(pool, defs, facts);
    let rows = raw
        .into_iter()
        .map(|row| row.into_iter().map(|h| simp.simplify(h)).collect())
        .collect();
    Ok((first, rows))
}
