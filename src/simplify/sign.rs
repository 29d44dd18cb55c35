//! Signs of expressions: what is provably positive, non-negative or non-zero.
//!
//! The simplifier's conditional rules ask these questions before they fire. Answers
//! come from what is always true (`exp(u) > 0`, `u^2 >= 0`, `0 < sigmoid(u) < 1`, a sum
//! or product of positives is positive, a sum over an axis of positives is positive)
//! and from `assume` facts, which also bound the terms of a short sum with a number
//! among them (`1 - p > 0` where `p < 1`). "No" means "not proved", never "false", so a rule that needs
//! a condition stays off unless the condition is proved.

pub use crate::expr::constant::constant_value;
use crate::expr::node::{Constant, ExprId, Func, Node};
use crate::expr::pool::Pool;
use crate::lower::workspace::Fact;
use crate::syntax::number::rational_to_f64;
use crate::syntax::tree::Relation;
use num_rational::BigRational;
use num_traits::{Signed, Zero};

/// Answers sign questions about expressions, given facts.
pub struct Signs<'a> {
    pool: &'a mut Pool,
    facts: &'a [Fact],
}

/// A bound's value, when its sign and its comparison with 0 and 1 are certain: exact
/// for a rational (`-1e-400` stays negative), and in `f64` only when the value is far
/// from those thresholds compared with the rounding its terms can carry.
fn reliable_bound(pool: &Pool, id: ExprId) -> Option<f64> {
    if let Node::Num(r) = pool.node(id) {
        let v = rational_to_f64(r);
        // Keep the exact sign and the exact comparison with 1 in the value.
        let zero = num_rational::BigRational::from_integer(0.into());
        let one = num_rational::BigRational::from_integer(1.into());
        return Some(if r > &zero && v == 0.0 {
            f64::MIN_POSITIVE
        } else if r < &zero && v == 0.0 {
            -f64::MIN_POSITIVE
        } else if r > &one && v == 1.0 {
            1.0 + f64::EPSILON
        } else if r < &one && v == 1.0 {
            1.0 - f64::EPSILON
        } else {
            v
        });
    }
    let v = constant_value(pool, id)?;
    let scale = magnitude(pool, id)?;
    let margin = 1e-9 * scale.max(1.0);
    ((v.abs() > margin) && ((v - 1.0).abs() > margin)).then_some(v)
}

/// A bound on the magnitudes that enter a constant's computation (for rounding).
fn magnitude(pool: &Pool, id: ExprId) -> Option<f64> {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || magnitude(pool, id));
    }
    Some(match pool.node(id) {
        Node::Add(ts) => ts
            .iter()
            .map(|&t| magnitude(pool, t))
            .sum::<Option<f64>>()?,
        Node::Mul(fs) => fs
            .iter()
            .map(|&f| magnitude(pool, f))
            .product::<Option<f64>>()?,
        _ => constant_value(pool, id)?.abs(),
    })
}

impl<'a> Signs<'a> {
    /// Sign reasoning over a pool with the given facts.
    pub fn new(pool: &'a mut Pool, facts: &'a [Fact]) -> Signs<'a> {
        Signs { pool, facts }
    }

    /// Whether a fact says `e REL bound` with a bound that settles the question `test`.
    fn fact_says(&self, e: ExprId, test: impl Fn(Relation, f64) -> bool) -> bool {
        self.facts.iter().any(|f| {
            f.subject == e
                // A fact about `z[j]` says nothing about every element: a sum's bound
                // index is named `j` too, so such facts are not used at all.
                && self.pool.free_indices_ref(f.subject).is_empty()
                && reliable_bound(self.pool, f.bound).is_some_and(|b| test(f.relation, b))
        })
    }

    /// Proved `e > 0`.
    pub fn positive(&mut self, e: ExprId) -> bool {
        self.positive_depth(e, 0)
    }

    fn positive_depth(&mut self, e: ExprId, depth: u32) -> bool {
        if depth > 64 {
            return false;
        }
        if self.fact_says(e, |r, b| {
            matches!(r, Relation::Greater) && b >= 0.0
                || matches!(r, Relation::GreaterEq) && b > 0.0
        }) {
            return true;
        }
        match self.pool.node(e).clone() {
            Node::Num(r) => r > num_rational::BigRational::from_integer(0.into()),
            Node::Const(Constant::Pi | Constant::E) => true,
            Node::Func(f, a) => match f {
                Func::Exp | Func::Sigmoid | Func::Softplus | Func::Cosh => true,
                Func::Abs => self.nonzero_depth(a, depth + 1),
                Func::Ln => self.fact_says(a, |r, b| {
                    matches!(r, Relation::Greater) && b >= 1.0
                        || matches!(r, Relation::GreaterEq) && b > 1.0
                }),
                _ => false,
            },
            Node::Pow(b, x) => {
                self.positive_depth(b, depth + 1)
                    || (self
                        .pool
                        .as_num(x)
                        .is_some_and(crate::expr::pool::is_even_integer)
                        && self.nonzero_depth(b, depth + 1))
            }
            Node::Mul(fs) => fs.iter().all(|&f| self.positive_depth(f, depth + 1)),
            Node::Add(ts) => {
                ts.iter().all(|&t| self.positive_depth(t, depth + 1))
                    || self
                        .sum_bound(&ts, Side::Lower, depth + 1)
                        .is_some_and(|b| b.is_above_zero())
            }
            // A sum over an axis has at least one term (tensors are never empty).
            Node::Sum { body, .. } => self.positive_depth(body, depth + 1),
            Node::Call { .. } => match self.pool.expand_call(e) {
                Some(b) => self.positive_depth(b, depth + 1),
                None => false,
            },
            Node::Len(_, _) => true,
            Node::Sym(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Elem(_, _)
            | Node::Delta(_, _)
            | Node::Diff { .. } => false,
        }
    }

    /// Proved `e >= 0`.
    pub fn nonnegative(&mut self, e: ExprId) -> bool {
        if self.positive(e)
            || self.fact_says(e, |r, b| {
                matches!(r, Relation::GreaterEq | Relation::Greater) && b >= 0.0
            })
        {
            return true;
        }
        match self.pool.node(e).clone() {
            Node::Num(r) => r >= num_rational::BigRational::from_integer(0.into()),
            Node::Func(Func::Abs, _) | Node::Delta(_, _) => true,
            Node::Pow(_, x) => self
                .pool
                .as_num(x)
                .is_some_and(crate::expr::pool::is_even_integer),
            Node::Mul(fs) => fs.iter().all(|&f| self.nonnegative(f)),
            Node::Add(ts) => ts.iter().all(|&t| self.nonnegative(t)),
            Node::Sum { body, .. } => self.nonnegative(body),
            _ => false,
        }
    }

    /// Proved `e != 0`.
    pub fn nonzero(&mut self, e: ExprId) -> bool {
        self.nonzero_depth(e, 0)
    }

    fn nonzero_depth(&mut self, e: ExprId, depth: u32) -> bool {
        if depth > 64 {
            return false;
        }
        if self.positive_depth(e, depth + 1) || self.negative(e) {
            return true;
        }
        if self.fact_says(e, |r, b| match r {
            Relation::NotEq => b == 0.0,
            Relation::Equal => b != 0.0,
            Relation::Greater | Relation::GreaterEq => b > 0.0,
            Relation::Less | Relation::LessEq => b < 0.0,
        }) {
            return true;
        }
        match self.pool.node(e).clone() {
            Node::Num(r) => r != num_rational::BigRational::from_integer(0.into()),
            Node::Mul(fs) => fs.iter().all(|&f| self.nonzero_depth(f, depth + 1)),
            Node::Pow(b, _) => self.nonzero_depth(b, depth + 1),
            _ => false,
        }
    }

    /// Proved `e < 0`.
    pub fn negative(&mut self, e: ExprId) -> bool {
        self.negative_depth(e, 0)
    }

    fn negative_depth(&mut self, e: ExprId, depth: u32) -> bool {
        if depth > 64 {
            return false;
        }
        if self.fact_says(e, |r, b| {
            matches!(r, Relation::Less) && b <= 0.0 || matches!(r, Relation::LessEq) && b < 0.0
        }) {
            return true;
        }
        match self.pool.node(e).clone() {
            Node::Num(r) => r < num_rational::BigRational::from_integer(0.into()),
            Node::Add(ts) => self
                .sum_bound(&ts, Side::Upper, depth + 1)
                .is_some_and(|b| b.is_below_zero()),
            Node::Mul(fs) => {
                // A negative coefficient times positive factors.
                let c = self.pool.coefficient(e);
                let rest: Vec<ExprId> = fs
                    .iter()
                    .copied()
                    .filter(|&f| self.pool.as_num(f).is_none())
                    .collect();
                c < num_rational::BigRational::from_integer(0.into())
                    && rest.into_iter().all(|f| self.positive(f))
            }
            _ => false,
        }
    }

    /// A bound on a sum of terms from bounds on its terms: each term `c*x` is bounded
    /// by `c` times a bound on `x` (its lower bound for the sum's lower bound when
    /// `c > 0`, its upper bound when `c < 0`). `1 - p > 0` follows from `p < 1`.
    ///
    /// Only a short sum with a number among its terms is bounded this way: that is the
    /// shape such facts settle (`1 - p`, `2 - x - y`), and asking about every term
    /// again for every sum would make nested sums cost exponential time.
    fn sum_bound(&mut self, ts: &[ExprId], side: Side, depth: u32) -> Option<Bound> {
        if ts.len() > 4 || !ts.iter().any(|&t| self.pool.as_num(t).is_some()) {
            return None;
        }
        let mut total = Bound {
            value: BigRational::zero(),
            strict: false,
        };
        for &t in ts {
            let (c, x) = self.pool.split_coefficient(t);
            let need = if c.is_positive() { side } else { side.other() };
            let b = self.term_bound(x, need, depth)?;
            total.value += c * b.value;
            total.strict |= b.strict;
        }
        Some(total)
    }

    /// A bound on `x` on the given side: a number is its own bound; otherwise the
    /// tightest `assume` fact with a number for its bound, else 0 when the sign of `x`
    /// is proved.
    fn term_bound(&mut self, x: ExprId, side: Side, depth: u32) -> Option<Bound> {
        if let Some(r) = self.pool.as_num(x) {
            return Some(Bound {
                value: r.clone(),
                strict: false,
            });
        }
        let mut best: Option<Bound> = None;
        for f in self.facts {
            if f.subject != x || !self.pool.free_indices_ref(x).is_empty() {
                continue;
            }
            let Some(value) = self.pool.as_num(f.bound).cloned() else {
                continue;
            };
            let strict = match (side, f.relation) {
                (Side::Lower, Relation::Greater) | (Side::Upper, Relation::Less) => true,
                (Side::Lower, Relation::GreaterEq) | (Side::Upper, Relation::LessEq) => false,
                _ => continue,
            };
            let b = Bound { value, strict };
            if best.as_ref().is_none_or(|old| b.tighter(old, side)) {
                best = Some(b);
            }
        }
        if best.is_some() {
            return best;
        }
        if let Some(b) = intrinsic_bound(self.pool, x, side) {
            return Some(b);
        }
        let zero = |strict| {
            Some(Bound {
                value: BigRational::zero(),
                strict,
            })
        };
        match side {
            Side::Lower if self.positive_depth(x, depth + 1) => zero(true),
            Side::Lower if self.plainly_nonnegative(x) => zero(false),
            Side::Upper if self.negative_depth(x, depth + 1) => zero(true),
            _ => None,
        }
    }
}

/// The bound every value of a bounded builtin keeps, on the given side: `sin` and `cos`
/// within `[-1, 1]`, `tanh` and `erf` within `(-1, 1)`, `sigmoid` within `(0, 1)`,
/// `cosh` at least 1, and `atan` within `[-8/5, 8/5]` (a rational outside `pi/2`).
fn intrinsic_bound(pool: &Pool, x: ExprId, side: Side) -> Option<Bound> {
    let Node::Func(f, _) = pool.node(x) else {
        return None;
    };
    let bound = |n: i64, d: i64, strict: bool| {
        Some(Bound {
            value: BigRational::new(n.into(), d.into()),
            strict,
        })
    };
    match (f, side) {
        (Func::Sin | Func::Cos, Side::Lower) => bound(-1, 1, false),
        (Func::Sin | Func::Cos, Side::Upper) => bound(1, 1, false),
        (Func::Tanh | Func::Erf, Side::Lower) => bound(-1, 1, true),
        (Func::Tanh | Func::Erf | Func::Sigmoid, Side::Upper) => bound(1, 1, true),
        (Func::Sigmoid, Side::Lower) => bound(0, 1, true),
        (Func::Cosh, Side::Lower) => bound(1, 1, false),
        (Func::Atan, Side::Lower) => bound(-8, 5, false),
        (Func::Atan, Side::Upper) => bound(8, 5, false),
        _ => None,
    }
}

impl Signs<'_> {
    /// Proved `x >= 0` by its outermost nodes alone (an even power, an absolute value,
    /// a delta, or a product of those), without looking into them: what bounding a
    /// sum's terms can afford.
    fn plainly_nonnegative(&self, x: ExprId) -> bool {
        match self.pool.node(x) {
            Node::Func(Func::Abs, _) | Node::Delta(..) => true,
            // `x^2*y^2`: a product of such factors (and positive numbers).
            Node::Mul(fs) => fs.iter().all(|&f| match self.pool.as_num(f) {
                Some(r) => r.is_positive(),
                None => self.plainly_nonnegative(f),
            }),
            Node::Pow(_, e) => self
                .pool
                .as_num(*e)
                .is_some_and(crate::expr::pool::is_even_integer),
            _ => false,
        }
    }
}

/// Which side of a value a bound is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    /// The value is at least the bound.
    Lower,
    /// The value is at most the bound.
    Upper,
}

impl Side {
    /// The opposite side: a negative coefficient turns one into the other.
    fn other(self) -> Side {
        match self {
            Side::Lower => Side::Upper,
            Side::Upper => Side::Lower,
        }
    }
}

/// A bound on a value: the value is on one side of `value`, and not equal to it when
/// `strict`.
#[derive(Clone, Debug)]
struct Bound {
    value: BigRational,
    strict: bool,
}

impl Bound {
    /// As a lower bound, whether it makes the value positive.
    fn is_above_zero(&self) -> bool {
        self.value.is_positive() || (self.value.is_zero() && self.strict)
    }

    /// As an upper bound, whether it makes the value negative.
    fn is_below_zero(&self) -> bool {
        self.value.is_negative() || (self.value.is_zero() && self.strict)
    }

    /// Whether this bound says more than `old` on the given side.
    fn tighter(&self, old: &Bound, side: Side) -> bool {
        match side {
            Side::Lower => self.value > old.value || (self.value == old.value && self.strict),
            Side::Upper => self.value < old.value || (self.value == old.value && self.strict),
        }
    }
}
