//! Constant expressions in `f64`: numbers, `pi`, `e`, and builtin functions of them.

use crate::expr::node::{ExprId, Node};
use crate::expr::pool::Pool;
use crate::syntax::number::rational_to_f64;

/// The value of a constant expression (numbers, `pi`, `e` and functions of them).
pub fn constant_value(pool: &Pool, id: ExprId) -> Option<f64> {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || constant_value(pool, id));
    }
    let v = match pool.node(id) {
        Node::Num(r) => rational_to_f64(r),
        Node::Const(c) => c.value(),
        Node::Add(ts) => ts
            .iter()
            .map(|&t| constant_value(pool, t))
            .sum::<Option<f64>>()?,
        Node::Mul(fs) => fs
            .iter()
            .map(|&f| constant_value(pool, f))
            .product::<Option<f64>>()?,
        Node::Pow(b, e) => constant_value(pool, *b)?.powf(constant_value(pool, *e)?),
        Node::Func(f, a) => f.apply(constant_value(pool, *a)?),
        _ => return None,
    };
    v.is_finite().then_some(v)
}
