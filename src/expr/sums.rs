//! Sums in one order, for the prover's normal form.
//!
//! A product of sums, or a sum nested in another, is one contraction over all of its
//! bound indices: `sum(j, a[j]*sum(k, b[j, k]))` and `sum(k, b2[k]*sum(j, a[j]*c[j, k]))`
//! can be the same sum over `j` and `k` written in two orders. The pool already moves
//! every factor out of a sum that does not need it and names bound indices
//! canonically, but which index ends up outermost depends on how the term was derived.
//! [`canonical_order`] flattens a term into its bound indices and its factors and
//! rebuilds it with the bound indices in the order that gives the least expression in
//! the pool's structural order, so that equal contractions become one node (rule
//! `sum-exchange`). Finite sums commute, so this holds everywhere both sides are
//! defined.

use crate::expr::node::{ExprId, Node, Symbol};
use crate::expr::pool::Pool;

/// The most bound indices whose orders are tried (5! = 120 orders).
const MAX_BOUND: usize = 5;

/// A term as one contraction: its bound indices (renamed apart) with their ranges, and
/// the factors summed over them.
#[derive(Clone, Debug)]
pub struct Flat {
    /// The bound indices, outermost first, each with its range.
    pub bound: Vec<(Symbol, ExprId)>,
    /// Every factor that is not itself a sum.
    pub factors: Vec<ExprId>,
}

/// A product's factors and the sums in it, flattened. Each bound index is renamed to a
/// fresh name that no input can spell (`·s0`, `·s1`, ...; `·` is not an identifier
/// character), so sibling sums that both use `j` stay apart.
pub fn flatten(pool: &mut Pool, id: ExprId) -> Flat {
    let mut flat = Flat {
        bound: Vec::new(),
        factors: Vec::new(),
    };
    flatten_into(pool, id, &mut flat);
    flat
}

fn flatten_into(pool: &mut Pool, id: ExprId, flat: &mut Flat) {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || flatten_into(pool, id, flat));
    }
    match pool.node(id).clone() {
        Node::Mul(fs) => {
            for f in fs.iter().copied() {
                flatten_into(pool, f, flat);
            }
        }
        Node::Sum { index, range, body } => {
            let fresh = pool.symbol(&format!("·s{}", flat.bound.len()));
            let to = pool.index(fresh);
            let body = pool.rename_index(body, index, to);
            flat.bound.push((fresh, range));
            flatten_into(pool, body, flat);
        }
        _ => flat.factors.push(id),
    }
}

/// The term with its bound indices in canonical order, when it holds at least two and
/// that order differs from the term as it is; `None` otherwise.
pub fn canonical_order(pool: &mut Pool, id: ExprId) -> Option<ExprId> {
    if !matches!(pool.node(id), Node::Mul(_) | Node::Sum { .. }) {
        return None;
    }
    let flat = flatten(pool, id);
    let n = flat.bound.len();
    if !(2..=MAX_BOUND).contains(&n) {
        return None;
    }
    // A range that mentions a bound index would tie the order; such sums stay as they are.
    let names: Vec<Symbol> = flat.bound.iter().map(|b| b.0).collect();
    if flat
        .bound
        .iter()
        .any(|&(_, r)| pool.free_symbols(r).iter().any(|s| names.contains(s)))
    {
        return None;
    }
    let body = pool.mul(flat.factors.clone());
    let mut best: Option<ExprId> = None;
    for order in permutations(n) {
        // The pool's sum constructor moves factors out and renames the bound indices,
        // so the order alone decides the result.
        let mut e = body;
        for &k in order.iter().rev() {
            let (s, range) = flat.bound[k];
            e = pool.sum(s, range, e);
        }
        if best.is_none_or(|b| pool.cmp(e, b).is_lt()) {
            best = Some(e);
        }
    }
    best.filter(|&b| b != id)
}

/// Every order of `0..n`.
pub fn permutations(n: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur: Vec<usize> = Vec::with_capacity(n);
    let mut used = vec![false; n];
    permute(n, &mut cur, &mut used, &mut out);
    out
}

fn permute(n: usize, cur: &mut Vec<usize>, used: &mut [bool], out: &mut Vec<Vec<usize>>) {
    if cur.len() == n {
        out.push(cur.clone());
        return;
    }
    for k in 0..n {
        if !used[k] {
            used[k] = true;
            cur.push(k);
            permute(n, cur, used, out);
            cur.pop();
            used[k] = false;
        }
    }
}
