//! Negated arguments in one form: `f(w)` and `f(-w)` for a function with a symmetry
//! (odd, even, or shifted as `sigmoid` and `softplus` are) written through the same one
//! of `w` and `-w`, so that `sigmoid(sigmoid(-y))` meets `sigmoid(1 - sigmoid(y))` and
//! `tanh(c*softplus(y - 2x))` meets `tanh(c*(y - 2x + softplus(2x - y)))` however deep
//! they sit.
//!
//! Of `w` and `-w`, the one greater in the pool's structural order is kept (so `y`
//! rather than `-y`, and one fixed orientation of every sum), and `f` of the other is
//! rewritten (`negated-argument`):
//!
//! | function | `f(w)` written through `f(-w)` | for |
//! |---|---|---|
//! | `sin`, `tan`, `sinh`, `tanh`, `asin`, `atan`, `erf` | `-f(-w)` | every `w` where `f(w)` is defined |
//! | `cos`, `cosh`, `abs` | `f(-w)` | every real `w` |
//! | `acos` | `pi - acos(-w)` | `-1 <= w <= 1` |
//! | `sigmoid` | `1 - sigmoid(-w)` | every real `w` |
//! | `softplus` | `softplus(-w) + w` | every real `w` |
//!
//! Each identity holds wherever either side is defined (the domains are symmetric), so
//! the rule has no side condition. The prover runs this pass on a difference the
//! simplifier left nonzero; the simplifier does not, because `softplus(-w) + w` names
//! `w` twice and would fail its size bound.
//!
//! May import: `diag`, `expr`, `trace`.

use rustc_hash::FxHashMap;

use crate::expr::node::{Constant, ExprId, Func, Node};
use crate::expr::pool::Pool;
use crate::trace::{Rewrite, Rule};

/// `e` with every negated argument in one form, and the instances that did it.
pub fn negated_arguments(pool: &mut Pool, e: ExprId) -> (ExprId, Vec<Rewrite>) {
    let mut memo = FxHashMap::default();
    let mut rewrites = Vec::new();
    let out = rec(pool, e, &mut memo, &mut rewrites);
    (out, rewrites)
}

/// [`negated_arguments`] below `id`, bottom-up.
fn rec(
    pool: &mut Pool,
    id: ExprId,
    memo: &mut FxHashMap<ExprId, ExprId>,
    rewrites: &mut Vec<Rewrite>,
) -> ExprId {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || rec(pool, id, memo, rewrites));
    }
    if let Some(&r) = memo.get(&id) {
        return r;
    }
    let old = crate::expr::node::children(pool.node(id));
    let kids: Vec<ExprId> = old.iter().map(|&c| rec(pool, c, memo, rewrites)).collect();
    let rebuilt = if kids == old {
        id
    } else {
        pool.rebuild(id, &kids)
    };
    let out = match through_negation(pool, rebuilt) {
        Some(r) => {
            rewrites.push(Rewrite::new(Rule::NegatedArgument, rebuilt, r));
            r
        }
        None => rebuilt,
    };
    memo.insert(id, out);
    out
}

/// `f(w)` written through `f(-w)` when `-w` is the argument's kept form.
pub fn through_negation(pool: &mut Pool, e: ExprId) -> Option<ExprId> {
    let Node::Func(f, w) = pool.node(e).clone() else {
        return None;
    };
    if matches!(f, Func::Exp | Func::Ln) || pool.is_int(w, 0) {
        return None;
    }
    let m = pool.neg(w);
    if pool.cmp(w, m) != std::cmp::Ordering::Less {
        return None;
    }
    let fm = pool.func(f, m);
    Some(match f {
        Func::Sin | Func::Tan | Func::Sinh | Func::Tanh | Func::Asin | Func::Atan | Func::Erf => {
            pool.neg(fm)
        }
        Func::Cos | Func::Cosh | Func::Abs => fm,
        Func::Acos => {
            let pi = pool.constant(Constant::Pi);
            pool.sub(pi, fm)
        }
        Func::Sigmoid => {
            let one = pool.int(1);
            pool.sub(one, fm)
        }
        Func::Softplus => pool.add(vec![fm, w]),
        Func::Exp | Func::Ln => return None,
    })
}
