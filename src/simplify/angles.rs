//! Angle sums: `sin` and `cos` of a sum, or of a whole multiple, written through the
//! sines and cosines of its parts (`angle-sum`), so that `sin(2u)` meets `2 sin u cos u`
//! and `cos(u + v)` meets `cos u cos v - sin u sin v`:
//!
//! | before | after |
//! |---|---|
//! | `sin(p + q)` | `sin(p) cos(q) + cos(p) sin(q)` |
//! | `cos(p + q)` | `cos(p) cos(q) - sin(p) sin(q)` |
//!
//! where `p` is the sum's first term and `q` the rest, or, for a whole multiple `n*u`
//! (`2 <= n <= MAX_MULTIPLE`), `p = u` and `q = (n - 1)*u`. The parts are expanded in
//! turn, each as an instance of its own. Both identities hold for every real argument,
//! so the rule has no condition. A sum of more than [`MAX_TERMS`] terms is left alone,
//! since its expansion doubles with every term. The prover runs this pass on a
//! difference nothing else brought to 0.
//!
//! May import: `diag`, `expr`, `trace`.

use num_traits::ToPrimitive;

use crate::expr::node::{ExprId, Func, Node};
use crate::expr::pool::Pool;
use crate::trace::{Rewrite, Rule};

/// The most terms an argument may have to be expanded.
pub const MAX_TERMS: usize = 4;

/// The largest whole multiple expanded.
pub const MAX_MULTIPLE: i64 = 6;

/// `e` with the sines and cosines of sums and multiples expanded, and the instances.
pub fn angle_sums(pool: &mut Pool, e: ExprId) -> (ExprId, Vec<Rewrite>) {
    super::walk::bottom_up(pool, e, Rule::AngleSum, true, expand)
}

/// One angle-sum expansion of `e`, if it is the sine or cosine of a sum or multiple.
fn expand(pool: &mut Pool, e: ExprId) -> Option<ExprId> {
    let Node::Func(f @ (Func::Sin | Func::Cos), w) = pool.node(e).clone() else {
        return None;
    };
    let (p, q) = parts(pool, w)?;
    let (sp, cp) = (pool.func(Func::Sin, p), pool.func(Func::Cos, p));
    let (sq, cq) = (pool.func(Func::Sin, q), pool.func(Func::Cos, q));
    Some(match f {
        Func::Sin => {
            let a = pool.mul(vec![sp, cq]);
            let b = pool.mul(vec![cp, sq]);
            pool.add(vec![a, b])
        }
        _ => {
            let a = pool.mul(vec![cp, cq]);
            let b = pool.mul(vec![sp, sq]);
            pool.sub(a, b)
        }
    })
}

/// The split `w = p + q`: a sum's first term and the rest, or `u` and `(n - 1)*u` for a
/// whole multiple `n*u`.
fn parts(pool: &mut Pool, w: ExprId) -> Option<(ExprId, ExprId)> {
    if let Node::Add(ts) = pool.node(w).clone() {
        if ts.len() > MAX_TERMS {
            return None;
        }
        let rest = pool.add(ts[1..].to_vec());
        return Some((ts[0], rest));
    }
    let (c, u) = pool.split_coefficient(w);
    let n = c.is_integer().then(|| c.to_integer().to_i64()).flatten()?;
    if !(2..=MAX_MULTIPLE).contains(&n) {
        return None;
    }
    let k = pool.int(n - 1);
    let q = pool.mul(vec![k, u]);
    Some((u, q))
}
