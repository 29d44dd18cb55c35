//! The domains the canonical forms would forget.
//!
//! The pool's constructors collect like terms and merge powers: `ln(A) - ln(A)` is 0
//! and `sqrt(A)*sqrt(A)` is `A` as soon as they are built. The expression as written
//! was undefined wherever `A < 0`, and the canonical one is defined everywhere, so a
//! claim whose right side is `x + ln(-1 - x^2) - ln(-1 - x^2)` (defined nowhere) would
//! read as `x` and be proved. While a claim's side is lowered, the pool records what
//! it drops or merges away that is not defined everywhere; the prover then holds the
//! side to those parts' domains too.

use num_traits::Signed;

use crate::expr::node::{ExprId, Func, Node};
use crate::expr::pool::Pool;

impl Pool {
    /// Starts recording the parts that the canonical forms drop (see the module).
    pub fn record_guards(&mut self) {
        self.guards = Some(Vec::new());
    }

    /// Stops recording, and returns what was recorded.
    pub fn take_guards(&mut self) -> Vec<ExprId> {
        self.guards.take().unwrap_or_default()
    }

    /// Records `e`, dropped or merged away by a canonical form, if recording and it is
    /// not defined everywhere.
    pub(super) fn guard(&mut self, e: ExprId) {
        if self.guards.is_none() || self.defined_everywhere(e) {
            return;
        }
        if let Some(g) = self.guards.as_mut()
            && !g.contains(&e)
        {
            g.push(e);
        }
    }

    /// Whether `e` is defined at every real point: numbers, names and elements, and
    /// sums, products, whole non-negative powers and the functions defined on the
    /// whole line, of such. Anything else (a logarithm, a root, a division, a call) is
    /// taken as restricted.
    pub fn defined_everywhere(&self, e: ExprId) -> bool {
        match self.node(e) {
            Node::Num(_) | Node::Sym(_) | Node::Const(_) | Node::Delta(..) => true,
            Node::Elem(_, ix) => ix.iter().all(|&i| self.defined_everywhere(i)),
            Node::Add(ts) | Node::Mul(ts) => ts.iter().all(|&t| self.defined_everywhere(t)),
            Node::Pow(b, x) => {
                self.as_num(*x)
                    .is_some_and(|r| r.is_integer() && !r.is_negative())
                    && self.defined_everywhere(*b)
            }
            Node::Func(f, a) => {
                matches!(
                    f,
                    Func::Exp
                        | Func::Sin
                        | Func::Cos
                        | Func::Sinh
                        | Func::Cosh
                        | Func::Tanh
                        | Func::Atan
                        | Func::Erf
                        | Func::Abs
                        | Func::Sigmoid
                        | Func::Softplus
                ) && self.defined_everywhere(*a)
            }
            _ => false,
        }
    }
}
