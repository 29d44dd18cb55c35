//! Common subexpressions, printed once as named bindings.
//!
//! Results are DAGs: a gradient shares subterms as a reverse sweep does. Printed as a
//! tree, a shared subterm repeats; [`bindings`] picks the subexpressions that occur more
//! than once (and are more than a name or a number), names them `s1`, `s2`, ... in the
//! order they are needed, and the printer writes each once, as a person would:
//! `s1*(1 - s1) where s1 = sigmoid(w*x + b)`.
//!
//! A binding stands at the top, outside every sum, so a subexpression is named only if
//! none of its free indices is bound by a sum around any of its occurrences: in
//! `sum(j, sin(x*z[j])^2)` the repeated `x*z[j]` means something else for each `j`,
//! and `s1 = x*z[j]` would let `j` escape its sum. Bound indices are named canonically
//! (alpha-equivalent sums share one node), so the same `j` may be bound in one place
//! and free in another; an occurrence under a sum that binds it is enough to refuse.

use num_traits::Signed;
use rustc_hash::FxHashMap;

use num_rational::BigRational;

use crate::expr::node::{ExprId, Func, Node, Symbol};
use crate::expr::pool::Pool;
use crate::expr::size::tree_size_at_most;

/// The named subexpressions of `root`: each node with its name, innermost first (so each
/// binding's body only uses names bound before it).
pub fn bindings(pool: &Pool, root: ExprId) -> Vec<(ExprId, String)> {
    bindings_of(pool, &[root])
}

/// The named subexpressions of several results printed together (the partial
/// derivatives of a gradient): a subterm they share is named once for all of them.
/// No root is named, even when another root contains it, since each is printed anyway.
pub fn bindings_of(pool: &Pool, roots: &[ExprId]) -> Vec<(ExprId, String)> {
    let order = postorder(pool, roots);
    let is_root: rustc_hash::FxHashSet<ExprId> = roots.iter().copied().collect();
    // How many times each node is printed: a node gets the printings of its parents,
    // except that a named parent is printed once (in its binding), whatever its count.
    // Parents come before children in reverse postorder, so counts are final in time.
    let mut count: FxHashMap<ExprId, u64> = FxHashMap::default();
    for &root in roots {
        *count.entry(root).or_insert(0) += 1;
    }
    // The indices bound around each node, over all its occurrences, gathered the same
    // way: a node gets the binders around its parents, and a sum's body its index too.
    let mut bound: FxHashMap<ExprId, Vec<Symbol>> = FxHashMap::default();
    let mut named: rustc_hash::FxHashSet<ExprId> = rustc_hash::FxHashSet::default();
    for &id in order.iter().rev() {
        let c = count.get(&id).copied().unwrap_or(0);
        let around = bound.remove(&id).unwrap_or_default();
        let is_named = !is_root.contains(&id)
            && c >= 2
            && worth_naming(pool, id)
            && !captures(pool, id, &around);
        if is_named {
            named.insert(id);
        }
        let printed = if is_named { 1 } else { c };
        let node = pool.node(id);
        for child in crate::expr::node::children(node) {
            let n = count.entry(child).or_insert(0);
            *n = n.saturating_add(printed);
            let binds = binders_over(pool, node, child);
            if !around.is_empty() || !binds.is_empty() {
                let b = bound.entry(child).or_default();
                for s in around.iter().chain(&binds) {
                    if !b.contains(s) {
                        b.push(*s);
                    }
                }
            }
        }
    }
    // The names must not read as one of the user's: `s3` is skipped when the input
    // (or anything else in the pool) already has a name `s3`.
    let mut fresh = (1..)
        .map(|k| format!("s{k}"))
        .filter(|n| pool.lookup_symbol(n).is_none());
    order
        .into_iter()
        .filter(|id| named.contains(id))
        .map(|id| (id, fresh.next().unwrap_or_default()))
        .collect()
}

/// The names `node` binds in its child `child`: a sum's index in its body, and a
/// derivative's variable in the expression differentiated (whose subterms are not
/// values to name: `diff(s1, x)` with `s1 = x^2` would read as the derivative of a
/// constant).
fn binders_over(pool: &Pool, node: &Node, child: ExprId) -> Vec<Symbol> {
    match node {
        Node::Sum { index, body, .. } if *body == child => vec![*index],
        Node::Diff { expr, var, .. } if *expr == child => pool.free_symbols(*var).to_vec(),
        _ => Vec::new(),
    }
}

/// Whether `id` uses one of the names `around` binds, so that a binding of it, outside
/// every binder, would let the name escape.
fn captures(pool: &Pool, id: ExprId, around: &[Symbol]) -> bool {
    !around.is_empty() && pool.free_symbols(id).iter().any(|s| around.contains(s))
}

/// Whether a repeated subexpression is worth a name: not a leaf, an element, a number
/// or a delta, and big enough that naming it shortens the text. A reciprocal is not
/// named, its base is: `exp(z0)/s1` reads better than `exp(z0)*s1` with `s1 = 1/(..)`.
fn worth_naming(pool: &Pool, id: ExprId) -> bool {
    let node = pool.node(id);
    let reciprocal =
        matches!(node, Node::Pow(_, e) if pool.as_num(*e).is_some_and(|r| r.is_negative()));
    !node.is_leaf()
        && !reciprocal
        && !matches!(node, Node::Elem(_, _) | Node::Delta(_, _))
        && !tree_size_at_most(pool, id, 2)
}

/// The nodes of a DAG with several roots, each after its children.
fn postorder(pool: &Pool, roots: &[ExprId]) -> Vec<ExprId> {
    let mut out = Vec::new();
    let mut seen = rustc_hash::FxHashSet::default();
    let mut stack: Vec<(ExprId, bool)> = roots.iter().rev().map(|&r| (r, false)).collect();
    while let Some((id, expanded)) = stack.pop() {
        if expanded {
            out.push(id);
            continue;
        }
        if !seen.insert(id) {
            continue;
        }
        stack.push((id, true));
        for c in crate::expr::node::children(pool.node(id)) {
            if !seen.contains(&c) {
                stack.push((c, false));
            }
        }
    }
    out
}

/// The expression and its bindings as text: the expression with names, then
/// `where` and one `name = body` line per binding.
pub fn to_text(pool: &Pool, root: ExprId) -> String {
    let named: Vec<(ExprId, String)> = bindings(pool, root);
    let map: FxHashMap<ExprId, String> = named.iter().cloned().collect();
    let mut out = crate::print::text::to_text_named(pool, root, &[], &map);
    if !named.is_empty() {
        out.push_str("\nwhere");
        for (id, name) in &named {
            out.push_str(&format!(
                "\n  {name} = {}",
                crate::print::text::to_text_named(pool, *id, &[], &map)
            ));
        }
    }
    out
}

/// Writes products in terms of given products, each given product a new name: the
/// Hessian's entries in terms of the gradient's partials (`-exp(z0 + z1)/s^2` as
/// `-p0*p1` with `p0 = exp(z0)/s`), which a reader recognizes and which print in one
/// node instead of four. Returns the rewritten roots and, for each given product used,
/// its name (a new scalar symbol, as a node) and its body. The rewriting is a
/// substitution backwards (each name stands for exactly its body), so the result is
/// the same expression.
///
/// A root's products are covered greedily: while some given product divides one
/// (each of its factors occurs with at least its power, of the same sign), it is taken
/// out. Exponentials of sums count as products of exponentials (`exp(z0 + z1)` holds
/// `exp(z0)`), as the canonical form merges them.
pub fn abstract_products(
    pool: &mut Pool,
    roots: &[ExprId],
    products: &[ExprId],
) -> (Vec<ExprId>, Vec<(ExprId, ExprId)>) {
    let mut cover = Cover {
        products: Vec::new(),
        by_base: FxHashMap::default(),
        names: Vec::new(),
        memo: FxHashMap::default(),
        free: Vec::new(),
    };
    for &p in products {
        let (coeff, factors) = power_factors(pool, p);
        // A single factor is a name already; a product with a fractional power would
        // not divide cleanly.
        if factors.len() < 2 || cover.products.iter().any(|q| q.id == p) {
            continue;
        }
        let k = cover.products.len();
        cover.by_base.entry(factors[0].0).or_default().push(k);
        cover.products.push(Product {
            coeff,
            factors,
            id: p,
        });
        cover.names.push(None);
        for &f in pool.free_symbols(p).iter() {
            if !cover.free.contains(&f) {
                cover.free.push(f);
            }
        }
    }
    let out = roots.iter().map(|&r| cover.rewrite(pool, r)).collect();
    let named = cover
        .names
        .iter()
        .zip(&cover.products)
        .filter_map(|(n, p)| n.map(|n| (n, p.id)))
        .collect();
    (out, named)
}

/// A product that may be taken out of others.
struct Product {
    coeff: BigRational,
    /// Its factors with integer powers.
    factors: Vec<(ExprId, i64)>,
    id: ExprId,
}

/// The given products and what [`abstract_products`] has made of each node.
struct Cover {
    /// The products that may be taken out.
    products: Vec<Product>,
    /// The products by their first factor's base.
    by_base: FxHashMap<ExprId, Vec<usize>>,
    /// Each product's name, once used.
    names: Vec<Option<ExprId>>,
    memo: FxHashMap<ExprId, ExprId>,
    /// The names the products use: a product is not taken out under a sum (or a
    /// derivative) that binds one of them, where the name would mean something else.
    free: Vec<Symbol>,
}

impl Cover {
    fn rewrite(&mut self, pool: &mut Pool, id: ExprId) -> ExprId {
        if let Some(&r) = self.memo.get(&id) {
            return r;
        }
        let binds = match pool.node(id) {
            Node::Sum { index, .. } => vec![*index],
            Node::Diff { var, .. } => pool.free_symbols(*var).to_vec(),
            _ => Vec::new(),
        };
        if binds.iter().any(|s| self.free.contains(s)) {
            self.memo.insert(id, id);
            return id;
        }
        let kids: Vec<ExprId> = crate::expr::node::children(pool.node(id))
            .into_iter()
            .map(|c| self.rewrite(pool, c))
            .collect();
        let rebuilt = pool.rebuild(id, &kids);
        let out = match pool.node(rebuilt) {
            Node::Mul(_) => self.cover_distributed(pool, rebuilt),
            _ => rebuilt,
        };
        self.memo.insert(id, out);
        out
    }

    /// A product covered as it is or, when it is a sum times other factors that holds
    /// no given product whole, multiplied out if every term then holds one:
    /// `exp(z0)*(1/s - exp(z0)/s^2)` is `p1 - p1^2`.
    fn cover_distributed(&mut self, pool: &mut Pool, id: ExprId) -> ExprId {
        let covered = self.cover(pool, id);
        if covered != id {
            return covered;
        }
        let Node::Mul(fs) = pool.node(id).clone() else {
            return id;
        };
        let sums: Vec<usize> = (0..fs.len())
            .filter(|&k| matches!(pool.node(fs[k]), Node::Add(_)))
            .collect();
        let [k] = sums[..] else { return id };
        let Node::Add(ts) = pool.node(fs[k]).clone() else {
            return id;
        };
        let mut terms = Vec::with_capacity(ts.len());
        for &t in ts.iter() {
            let mut v: Vec<ExprId> = fs
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != k)
                .map(|(_, &f)| f)
                .collect();
            v.push(t);
            let product = pool.mul(v);
            let c = self.cover(pool, product);
            if c == product {
                return id;
            }
            terms.push(c);
        }
        pool.add(terms)
    }

    /// A product with the given products it holds taken out as names.
    fn cover(&mut self, pool: &mut Pool, id: ExprId) -> ExprId {
        let (mut coeff, mut factors) = power_factors(pool, id);
        let mut used: Vec<(usize, i64)> = Vec::new();
        // Each pass takes one product out and lowers some power, so the passes are
        // bounded by the sum of the powers.
        loop {
            let found = factors.iter().filter(|f| f.1 != 0).find_map(|f| {
                self.by_base.get(&f.0).and_then(|ks| {
                    ks.iter()
                        .copied()
                        .find(|&k| divides(&self.products[k].factors, &factors))
                })
            });
            let Some(k) = found else { break };
            for &(b, e) in &self.products[k].factors {
                if let Some(f) = factors.iter_mut().find(|f| f.0 == b) {
                    f.1 -= e;
                }
            }
            coeff /= &self.products[k].coeff;
            match used.iter_mut().find(|u| u.0 == k) {
                Some(u) => u.1 += 1,
                None => used.push((k, 1)),
            }
        }
        if used.is_empty() {
            return id;
        }
        let mut parts = vec![pool.num(coeff)];
        for (b, e) in factors {
            if e != 0 {
                let e = pool.num(BigRational::from_integer(e.into()));
                parts.push(pool.pow(b, e));
            }
        }
        for (k, m) in used {
            let name = match self.names[k] {
                Some(n) => n,
                None => {
                    let taken = (1..)
                        .map(|j| format!("p{j}"))
                        .find(|n| pool.lookup_symbol(n).is_none())
                        .unwrap_or_default();
                    let s = pool.symbol(&taken);
                    let n = pool.sym(s);
                    self.names[k] = Some(n);
                    n
                }
            };
            let m = pool.num(BigRational::from_integer(m.into()));
            parts.push(pool.pow(name, m));
        }
        pool.mul(parts)
    }
}

/// Whether every factor of `p` occurs in `target` with at least its power, of the same
/// sign.
fn divides(p: &[(ExprId, i64)], target: &[(ExprId, i64)]) -> bool {
    p.iter().all(|&(b, e)| {
        target
            .iter()
            .any(|&(tb, te)| tb == b && te.signum() == e.signum() && te.abs() >= e.abs())
    })
}

/// A product's coefficient and its factors with integer powers, an exponential of a
/// sum counted as the product of its terms' exponentials. A factor with a power that
/// is not an integer is kept whole, as a base with power 1.
pub(crate) fn power_factors(pool: &mut Pool, id: ExprId) -> (BigRational, Vec<(ExprId, i64)>) {
    let fs: Vec<ExprId> = match pool.node(id) {
        Node::Mul(fs) => fs.to_vec(),
        _ => vec![id],
    };
    let mut coeff = BigRational::from_integer(1.into());
    let mut out: Vec<(ExprId, i64)> = Vec::new();
    let push =
        |out: &mut Vec<(ExprId, i64)>, b: ExprId, e: i64| match out.iter_mut().find(|f| f.0 == b) {
            Some(f) => f.1 += e,
            None => out.push((b, e)),
        };
    for f in fs {
        if let Some(c) = pool.as_num(f) {
            coeff *= c;
            continue;
        }
        let (base, e) = match pool.node(f) {
            Node::Pow(b, e) => match pool.as_num(*e).and_then(small_integer) {
                Some(k) => (*b, k),
                None => (f, 1),
            },
            _ => (f, 1),
        };
        let terms = match pool.node(base) {
            Node::Func(Func::Exp, arg) => match pool.node(*arg) {
                Node::Add(ts) => Some(ts.to_vec()),
                _ => None,
            },
            _ => None,
        };
        match terms {
            Some(ts) => {
                for t in ts {
                    let x = pool.func(Func::Exp, t);
                    push(&mut out, x, e);
                }
            }
            None => push(&mut out, base, e),
        }
    }
    (coeff, out)
}

/// A rational that is a small integer, as one.
fn small_integer(r: &BigRational) -> Option<i64> {
    use num_traits::ToPrimitive;
    if r.is_integer() {
        r.to_integer().to_i64().filter(|k| k.abs() <= 64)
    } else {
        None
    }
}
