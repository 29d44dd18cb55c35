//! Derivatives by a named intermediate: the adjoint that reverse mode computes.
//!
//! A parameterless definition (`let h[i] = tanh(...)`, `let s = sum(i, h[i]^2)`) is a
//! value the user named on the way from the inputs to the loss. `diff(L, h[j])` is
//! the derivative of `L` with `h` taken as an input: through the paths from `h` down
//! to `L` only, not through what `h` itself is computed from. It is taken in three
//! moves ([`Adjoint`]):
//!
//! 1. every definition whose value depends on `h` (`z[i] = sum(k, W2[i, k]*h[k])`,
//!    transitively) is expanded in place, and every call of `h` becomes an element of a
//!    fresh tensor (or a fresh scalar) `'h` that stands in for it;
//! 2. the derivative is taken by the stand-in's element, `'h[j]`, by the ordinary rules;
//! 3. the stand-in is mapped back to calls of `h`, so the result reads in the
//!    intermediate's name (`softmax(z)[j] - delta(j, y)`).
//!
//! Calls that do not depend on `h` (the layers before it) are left as they are: they
//! are constants for the stand-in. An expression that does not depend on `h` at all
//! has the derivative 0. A definition with parameters (`let f(x) = ...`) is a
//! function, not a value, and is no variable.
//!
//! The stand-in's name starts with an apostrophe, which the language's names never
//! do, so it cannot clash with a user's name; it is gone from every result.

use rustc_hash::FxHashMap;

use crate::calculus::derivative::Condition;
use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::node::{DefId, ExprId, Node, Symbol};
use crate::expr::pool::Pool;
use crate::expr::subst::Subst;
use crate::trace::{Rule, Step};

/// The definition that a derivative's variable names when it is an intermediate: a
/// call of a parameterless definition, with as many indices as its result has
/// (`h[j]`, `s`); `None` for any other node.
pub fn intermediate(pool: &Pool, var: ExprId) -> Option<DefId> {
    let Node::Call { def, args, indices } = pool.node(var) else {
        return None;
    };
    let d = pool.definition(*def);
    let plain = args.is_empty()
        && d.params.is_empty()
        && d.builtin.is_none()
        && indices.len() == d.indices.len();
    plain.then_some(*def)
}

/// A function written with an intermediate as an input: the expression with the
/// intermediate's calls replaced by a stand-in, and the stand-in's variable.
#[derive(Clone, Debug)]
pub struct Adjoint {
    /// The intermediate's definition.
    pub def: DefId,
    /// The stand-in: a tensor with the intermediate's axes, or a scalar.
    pub stand_in: Symbol,
    /// How many axes the intermediate has (0 for a scalar).
    pub rank: usize,
    /// The expression, with every definition that depends on the intermediate expanded
    /// and every call of the intermediate replaced by the stand-in.
    pub expr: ExprId,
    /// The variable to differentiate `expr` by: the stand-in's element (`'h[j]`) or
    /// the stand-in itself.
    pub var: ExprId,
    /// Where the derivatives taken while expanding (`diff` nodes inside definitions
    /// that depend on the intermediate) do not exist.
    pub conditions: Vec<Condition>,
    /// Whether derivatives inside the expression were taken while it was written
    /// with the stand-in.
    pub derived: bool,
}

impl Adjoint {
    /// The adjoint form of `diff(expr, var)` when `var` is an intermediate (see
    /// [`intermediate`]); `None` when it is not one, and an error when `var` is a call
    /// that is no variable (a call of a function with parameters).
    pub fn new(pool: &mut Pool, expr: ExprId, var: ExprId) -> Result<Option<Adjoint>> {
        let Node::Call { def, .. } = pool.node(var).clone() else {
            return Ok(None);
        };
        let Some(def) = intermediate(pool, var) else {
            let name = pool.name(pool.definition(def).name).to_string();
            return Err(Error::new(
                ErrorKind::Shape,
                format!(
                    "cannot differentiate with respect to `{}`: `{name}` takes arguments, so it is a function, not an intermediate value",
                    crate::print::text::to_text(pool, var)
                ),
            )
            .with_hint(format!(
                "differentiate by a parameterless definition (`let v = ...`, `let h[i] = ...`), or by one of `{name}`'s inputs"
            )));
        };
        let d = pool.definition(def).clone();
        let rank = d.indices.len();
        let stand_in = fresh_stand_in(pool, pool.name(d.name).to_string(), expr);
        let var_indices = match pool.node(var) {
            Node::Call { indices, .. } => indices.to_vec(),
            _ => Vec::new(),
        };
        let new_var = if rank == 0 {
            pool.sym(stand_in)
        } else {
            pool.elem(stand_in, var_indices)
        };
        let mut r = Replacer {
            def,
            stand_in,
            rank,
            depends: FxHashMap::default(),
            def_depends: FxHashMap::default(),
            memo: FxHashMap::default(),
            conditions: Vec::new(),
            derived: false,
        };
        let replaced = r.replace(pool, expr)?;
        Ok(Some(Adjoint {
            def,
            stand_in,
            rank,
            expr: replaced,
            var: new_var,
            conditions: r.conditions,
            derived: r.derived,
        }))
    }

    /// The intermediate's value as a whole: a tensor-valued call (`h`, as a tensor
    /// argument), or the scalar call (`s`).
    pub fn call(&self, pool: &mut Pool) -> ExprId {
        pool.call(self.def, Vec::new(), Vec::new())
    }

    /// An expression in the stand-in mapped back to calls of the intermediate:
    /// `'h[k]` becomes `h[k]`, `len('h)` the length of `h`'s axis.
    pub fn back(&self, pool: &mut Pool, e: ExprId) -> ExprId {
        let call = self.call(pool);
        let mut s = Subst::default();
        if self.rank == 0 {
            s.scalars.insert(self.stand_in, call);
        } else {
            s.tensors.insert(self.stand_in, call);
        }
        pool.substitute(e, &s)
    }

    /// Conditions mapped back to calls of the intermediate.
    pub fn back_conditions(&self, pool: &mut Pool, conditions: Vec<Condition>) -> Vec<Condition> {
        conditions
            .into_iter()
            .map(|c| Condition {
                nonzero: self.back(pool, c.nonzero),
                reason: c.reason,
            })
            .collect()
    }
}

/// A name for the stand-in that `expr` does not use: the intermediate's name after an
/// apostrophe (more apostrophes if needed).
fn fresh_stand_in(pool: &mut Pool, name: String, expr: ExprId) -> Symbol {
    let mut candidate = format!("'{name}");
    loop {
        let s = pool.symbol(&candidate);
        if !pool.free_symbols(expr).contains(&s) {
            return s;
        }
        candidate.insert(0, '\'');
    }
}

/// Replaces the intermediate's calls by the stand-in, expanding what depends on it.
struct Replacer {
    def: DefId,
    stand_in: Symbol,
    rank: usize,
    depends: FxHashMap<ExprId, bool>,
    def_depends: FxHashMap<DefId, bool>,
    memo: FxHashMap<ExprId, ExprId>,
    conditions: Vec<Condition>,
    derived: bool,
}

impl Replacer {
    /// Whether `e`'s value depends on the intermediate: it calls it, or calls a
    /// definition whose value does.
    fn depends(&mut self, pool: &Pool, e: ExprId) -> bool {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.depends(pool, e));
        }
        if let Some(&d) = self.depends.get(&e) {
            return d;
        }
        let node = pool.node(e);
        let d = match node {
            Node::Call { def, .. } if *def == self.def => true,
            Node::Call { def, .. } if self.def_depends(pool, *def) => true,
            _ => crate::expr::node::children(node)
                .into_iter()
                .any(|c| self.depends(pool, c)),
        };
        self.depends.insert(e, d);
        d
    }

    /// Whether a definition's body depends on the intermediate (its arguments aside).
    fn def_depends(&mut self, pool: &Pool, def: DefId) -> bool {
        if let Some(&d) = self.def_depends.get(&def) {
            return d;
        }
        // Definitions cannot recurse; the guard only keeps a malformed pool finite.
        self.def_depends.insert(def, false);
        let body = pool.definition(def).body;
        let d = self.depends(pool, body);
        self.def_depends.insert(def, d);
        d
    }

    /// Whether `a` is a whole tensor (a call without indices of a definition with
    /// them) other than the intermediate, whose value depends on the intermediate.
    fn is_dependent_whole(&mut self, pool: &Pool, a: ExprId) -> bool {
        match pool.node(a) {
            Node::Call { def, indices, .. } => {
                *def != self.def
                    && indices.is_empty()
                    && !pool.definition(*def).indices.is_empty()
                    && self.depends(pool, a)
            }
            _ => false,
        }
    }

    fn replace(&mut self, pool: &mut Pool, e: ExprId) -> Result<ExprId> {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.replace(pool, e));
        }
        if let Some(&r) = self.memo.get(&e) {
            return Ok(r);
        }
        if !self.depends(pool, e) {
            return Ok(e);
        }
        let out = match pool.node(e).clone() {
            Node::Call { def, indices, .. } if def == self.def => {
                if self.rank == 0 {
                    pool.sym(self.stand_in)
                } else if indices.is_empty() {
                    // The whole intermediate, passed to a tensor parameter.
                    pool.tensor(self.stand_in)
                } else {
                    pool.elem(self.stand_in, indices.to_vec())
                }
            }
            Node::Call { def, args, indices } => {
                let whole = indices.is_empty() && !pool.definition(def).indices.is_empty();
                if whole && self.def_depends(pool, def) {
                    // A whole tensor is only ever an argument, and a call given one
                    // that depends on the intermediate is written out below, so this
                    // is not reached; refusing beats a wrong derivative.
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        format!(
                            "cannot differentiate with respect to an intermediate through `{}`",
                            crate::print::text::to_text(pool, e)
                        ),
                    ));
                }
                let dependent_whole = args.iter().any(|&a| self.is_dependent_whole(pool, a));
                if self.def_depends(pool, def) || dependent_whole {
                    // The body reads the intermediate, or is given a whole tensor that
                    // does: the call is written out, so that the stand-in takes the
                    // intermediate's place inside.
                    match pool.expand_call(e) {
                        Some(body) if body != e => self.replace(pool, body)?,
                        _ => e,
                    }
                } else {
                    // Only its arguments depend on the intermediate, and the
                    // intermediate itself is passed whole: the call keeps its name
                    // (`softmax('h)`).
                    let kids: Vec<ExprId> = crate::expr::node::children(pool.node(e))
                        .into_iter()
                        .map(|c| self.replace(pool, c))
                        .collect::<Result<_>>()?;
                    pool.rebuild(e, &kids)
                }
            }
            Node::Diff { expr, var, order } => {
                // A derivative inside is taken first: replacing the intermediate inside
                // `diff(h[0], x[0])` would change what it differentiates.
                let (d, mut c) = crate::calculus::derivative::derive_n(pool, expr, var, order)?;
                self.conditions.append(&mut c);
                self.derived = true;
                self.replace(pool, d)?
            }
            other => {
                let kids: Vec<ExprId> = crate::expr::node::children(&other)
                    .into_iter()
                    .map(|c| self.replace(pool, c))
                    .collect::<Result<_>>()?;
                pool.rebuild(e, &kids)
            }
        };
        self.memo.insert(e, out);
        Ok(out)
    }
}

/// A derivative by a named intermediate taken inside a larger expression (see
/// [`take_adjoints`]).
#[derive(Clone, Debug)]
pub struct Taken {
    /// The derivative as written, `diff(L, h[j])`.
    pub written: ExprId,
    /// The derivative, in the intermediate's name.
    pub result: ExprId,
    /// The same derivative by the stand-in, as a step `diff(L', 'h[j]) -> D'` whose
    /// variable is an element or a name: a checker that knows only derivatives by those
    /// can confirm it.
    pub by_stand_in: Step,
}

/// Takes every derivative by a named intermediate inside `id`, innermost first, and
/// leaves every other derivative as it is; with each derivative taken.
pub fn take_adjoints(pool: &mut Pool, id: ExprId) -> Result<(ExprId, Vec<Taken>)> {
    let mut memo = FxHashMap::default();
    let mut taken = Vec::new();
    let r = take_rec(pool, id, &mut memo, &mut taken)?;
    Ok((r, taken))
}

fn take_rec(
    pool: &mut Pool,
    id: ExprId,
    memo: &mut FxHashMap<ExprId, ExprId>,
    taken: &mut Vec<Taken>,
) -> Result<ExprId> {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || take_rec(pool, id, memo, taken));
    }
    if let Some(&r) = memo.get(&id) {
        return Ok(r);
    }
    let kids: Vec<ExprId> = crate::expr::node::children(pool.node(id))
        .into_iter()
        .map(|c| take_rec(pool, c, memo, taken))
        .collect::<Result<_>>()?;
    let rebuilt = pool.rebuild(id, &kids);
    let out = match pool.node(rebuilt).clone() {
        Node::Diff { expr, var, order } => match Adjoint::new(pool, expr, var)? {
            Some(adj) => {
                let (d, _) = crate::calculus::derivative::derive_n(pool, adj.expr, adj.var, order)?;
                let before = pool.diff(adj.expr, adj.var, order);
                let result = adj.back(pool, d);
                taken.push(Taken {
                    written: rebuilt,
                    result,
                    by_stand_in: Step::whole(Rule::Differentiate, before, d),
                });
                result
            }
            None => rebuilt,
        },
        _ => rebuilt,
    };
    memo.insert(id, out);
    Ok(out)
}
