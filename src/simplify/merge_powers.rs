//! Powers with one whole exponent merged: `(x - 1)^k (x + 1)^k` as `(x^2 - 1)^k`
//! (`product-of-powers`), with the product of the bases multiplied out, so that a
//! product of powers meets the power of the product however large `k` is.
//!
//! `a^k b^k = (a b)^k` holds for every real `a` and `b` when `k` is a whole number (for
//! a negative `k`, wherever either side is defined, which is where `a b` is not 0), so
//! the rule has no condition. The bases are multiplied out while that makes at most
//! [`MAX_TERMS`] terms.
//!
//! May import: `diag`, `expr`, `trace`.

use crate::expr::node::{ExprId, Node};
use crate::expr::pool::Pool;
use crate::trace::{Rewrite, Rule};

/// The most terms the product of the bases may multiply out to.
pub const MAX_TERMS: usize = 64;

/// `e` with the powers of one whole exponent in each product merged, and the instances.
pub fn merged_powers(pool: &mut Pool, e: ExprId) -> (ExprId, Vec<Rewrite>) {
    super::walk::bottom_up(pool, e, Rule::ProductOfPowers, false, merge)
}

/// The product `e` with the first exponent that two or more of its factors share
/// merged into one power.
fn merge(pool: &mut Pool, e: ExprId) -> Option<ExprId> {
    let Node::Mul(fs) = pool.node(e).clone() else {
        return None;
    };
    let whole = |pool: &Pool, f: ExprId| match pool.node(f) {
        Node::Pow(b, k) => pool
            .as_num(*k)
            .filter(|r| r.is_integer() && r.numer().magnitude() >= &2u32.into())
            .map(|_| (*b, *k)),
        _ => None,
    };
    for &f in fs.iter() {
        let Some((_, k)) = whole(pool, f) else {
            continue;
        };
        let (same, rest): (Vec<ExprId>, Vec<ExprId>) = fs
            .iter()
            .partition(|&&g| whole(pool, g).is_some_and(|(_, j)| j == k));
        if same.len() < 2 {
            continue;
        }
        let bases: Vec<ExprId> = same
            .iter()
            .filter_map(|&g| whole(pool, g))
            .map(|(b, _)| b)
            .collect();
        let base = multiplied_out(pool, &bases)?;
        let power = pool.pow(base, k);
        let mut out = rest;
        out.push(power);
        let out = pool.mul(out);
        // The pool may restate the power (a sum's rational content moves out of it:
        // `(e/27 - 1)^10` is `(e - 27)^10/27^10`); the rule is used only where the power
        // stays as merged, which is the form the step checker recognizes.
        let kept = match pool.node(out) {
            Node::Mul(gs) => gs.contains(&power),
            _ => out == power,
        };
        return kept.then_some(out);
    }
    None
}

/// The product of `bases` with every sum among them multiplied out, if that stays
/// within [`MAX_TERMS`] terms.
fn multiplied_out(pool: &mut Pool, bases: &[ExprId]) -> Option<ExprId> {
    let mut terms: Vec<Vec<ExprId>> = vec![Vec::new()];
    for &b in bases {
        let parts: Vec<ExprId> = match pool.node(b) {
            Node::Add(ts) => ts.to_vec(),
            _ => vec![b],
        };
        if terms.len() * parts.len() > MAX_TERMS {
            return None;
        }
        terms = terms
            .iter()
            .flat_map(|t| {
                parts.iter().map(move |&p| {
                    let mut v = t.clone();
                    v.push(p);
                    v
                })
            })
            .collect();
    }
    let products: Vec<ExprId> = terms.into_iter().map(|t| pool.mul(t)).collect();
    Some(pool.add(products))
}
