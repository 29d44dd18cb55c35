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

use crate::expr::node::{Constant, ExprId, Func, Node};
use crate::expr::pool::Pool;
use crate::trace::{Rewrite, Rule};

/// `e` with every negated argument in one form, and the instances.
pub fn negated_arguments(pool: &mut Pool, e: ExprId) -> (ExprId, Vec<Rewrite>) {
    super::walk::bottom_up(pool, e, Rule::NegatedArgument, false, through_negation)
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
