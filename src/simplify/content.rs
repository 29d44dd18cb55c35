//! The content of a logarithm's sum taken out: `ln(17 + 6x^2)` as
//! `ln(6) + ln(17/6 + x^2)` (`ln-of-content`), so that a sum and a multiple of it meet
//! under a logarithm however the pool scaled them (`ln((x^2 + 1/3)/(x^2 + 17/6))`
//! becomes `ln(1 + 3x^2) - ln(17 + 6x^2) + ln(2)`).
//!
//! The number taken out is the absolute coefficient `k` of the sum's greatest term in
//! the pool's structural order, which is the same term for a sum and every multiple of
//! it; so `S/k` is one sum for all of them. `ln(S) = ln(k) + ln(S/k)` holds for every
//! `S > 0`, and both sides are defined exactly where `S > 0`, so the rule has no
//! condition.
//!
//! May import: `diag`, `expr`, `trace`.

use num_rational::BigRational;
use num_traits::{One, Signed};

use crate::expr::node::{ExprId, Func, Node};
use crate::expr::pool::Pool;
use crate::trace::{Rewrite, Rule};

/// `e` with the content of every logarithm's sum taken out, and the instances.
pub fn logarithm_contents(pool: &mut Pool, e: ExprId) -> (ExprId, Vec<Rewrite>) {
    super::walk::bottom_up(pool, e, Rule::LnOfContent, false, content_out)
}

/// `ln(k) + ln(S/k)` for `ln(S)`, when the content `k` of the sum `S` is not 1.
fn content_out(pool: &mut Pool, e: ExprId) -> Option<ExprId> {
    let Node::Func(Func::Ln, s) = pool.node(e).clone() else {
        return None;
    };
    let Node::Add(ts) = pool.node(s).clone() else {
        return None;
    };
    let greatest = ts
        .iter()
        .copied()
        .max_by(|&a, &b| pool.cmp(a, b))
        .filter(|&t| pool.as_num(t).is_none())?;
    let (c, _) = pool.split_coefficient(greatest);
    let k = c.abs();
    if k.is_one() || k == BigRational::from_integer(0.into()) {
        return None;
    }
    let inverse = pool.num(k.recip());
    let scaled: Vec<ExprId> = ts.iter().map(|&t| pool.mul(vec![inverse, t])).collect();
    let rest = pool.add(scaled);
    let kn = pool.num(k);
    let lk = pool.func(Func::Ln, kn);
    let lr = pool.func(Func::Ln, rest);
    Some(pool.add(vec![lk, lr]))
}
