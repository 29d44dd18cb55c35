//! The checker's own sign prover: what is provably positive, non-negative, negative or
//! non-zero, for the side conditions of the rules it checks.
//!
//! It is written apart from the simplifier's prover on purpose, so that a wrong sign
//! there is not confirmed here. It works by abstract interpretation: each expression
//! gets the set of signs (negative, zero, positive) that it may take wherever it is
//! defined, computed from its children's sets by the rules of arithmetic (a product of
//! a negative and a negative is positive; a sum of non-negatives that has a positive
//! term is positive), from what is always true (`exp(u) > 0`, an even power is not
//! negative, an axis is never empty), and narrowed by the `assume` facts about it. A
//! sum whose terms' signs settle nothing is placed in an interval instead, from the
//! facts with numbers for bounds: `1 - p` lies in `(0, 1)` where `0 < p < 1`.
//!
//! It is conservative: a question it cannot settle is answered "not proved", never
//! guessed. A fact whose subject has a free index (`z[j] > 0`) is not used, since a
//! sum's bound index may carry the same name; a fact's bound is used only when its
//! comparison with 0 (or 1, for a logarithm) is certain.

use num_rational::BigRational;
use num_traits::{Signed, Zero};
use rustc_hash::FxHashMap;

use crate::expr::node::{ExprId, Func, Node};
use crate::expr::pool::Pool;
use crate::lower::workspace::Fact;
use crate::syntax::number::rational_to_f64;
use crate::syntax::tree::Relation;

/// How deep the prover looks into an expression before it answers "not proved".
const MAX_DEPTH: u32 = 128;

/// A set of signs: which of negative, zero and positive a value may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SignSet(u8);

impl SignSet {
    // One bit per sign.
    const NEG: u8 = 1;
    const ZERO: u8 = 2;
    const POS: u8 = 4;
    /// Any value at all: nothing is known.
    const ANY: SignSet = SignSet(Self::NEG | Self::ZERO | Self::POS);
    const POSITIVE: SignSet = SignSet(Self::POS);
    const NEGATIVE: SignSet = SignSet(Self::NEG);
    const NONNEGATIVE: SignSet = SignSet(Self::ZERO | Self::POS);
    const NONPOSITIVE: SignSet = SignSet(Self::NEG | Self::ZERO);
    const NONZERO: SignSet = SignSet(Self::NEG | Self::POS);
    const ZERO_ONLY: SignSet = SignSet(Self::ZERO);

    /// The set of the one sign a number has.
    fn of(r: &BigRational) -> SignSet {
        if r.is_positive() {
            SignSet::POSITIVE
        } else if r.is_negative() {
            SignSet::NEGATIVE
        } else {
            SignSet::ZERO_ONLY
        }
    }

    /// Whether a value with these signs may have the sign `sign` (one bit).
    fn may(self, sign: u8) -> bool {
        self.0 & sign != 0
    }

    /// Whether every sign in `self` is also in `other`.
    fn within(self, other: SignSet) -> bool {
        self.0 & !other.0 == 0
    }

    /// The signs a product may take, with one factor from each set.
    fn times(self, other: SignSet) -> SignSet {
        let mut out = 0;
        for (a, b) in [(self, other), (other, self)] {
            if a.may(Self::ZERO) && b.0 != 0 {
                out |= Self::ZERO;
            }
        }
        if (self.may(Self::POS) && other.may(Self::POS))
            || (self.may(Self::NEG) && other.may(Self::NEG))
        {
            out |= Self::POS;
        }
        if (self.may(Self::POS) && other.may(Self::NEG))
            || (self.may(Self::NEG) && other.may(Self::POS))
        {
            out |= Self::NEG;
        }
        SignSet(out)
    }

    /// The signs a sum may take, with one term from each set: it is positive only if a
    /// term may be, negative likewise, and zero when both terms may be zero or when
    /// they may have opposite signs.
    fn plus(self, other: SignSet) -> SignSet {
        let mut out = 0;
        if self.may(Self::POS) || other.may(Self::POS) {
            out |= Self::POS;
        }
        if self.may(Self::NEG) || other.may(Self::NEG) {
            out |= Self::NEG;
        }
        if (self.may(Self::ZERO) && other.may(Self::ZERO))
            || (self.may(Self::POS) && other.may(Self::NEG))
            || (self.may(Self::NEG) && other.may(Self::POS))
        {
            out |= Self::ZERO;
        }
        SignSet(out)
    }

    /// The signs of a sum of one or more terms, each with a sign in `self`.
    fn repeated_sum(self) -> SignSet {
        let mut all = self;
        let mut partial = self;
        // The sets of partial sums settle after a few terms: at most three signs can
        // join.
        for _ in 0..4 {
            partial = partial.plus(self);
            let next = SignSet(all.0 | partial.0);
            if next == all {
                break;
            }
            all = next;
        }
        all
    }
}

/// A value that is certainly on one side of a threshold: `Some(ordering)` of the value
/// against it, `None` when it is too close to tell.
fn certain_order(pool: &Pool, id: ExprId, threshold: i64) -> Option<std::cmp::Ordering> {
    let t = BigRational::from_integer(threshold.into());
    if let Some(r) = pool.as_num(id) {
        return Some(r.cmp(&t));
    }
    let v = constant_value(pool, id)?;
    // A constant is computed in f64: its order is trusted only well away from the
    // threshold, relative to the size of the terms it was added up from.
    let margin = 1e-9 * size_bound(pool, id).max(1.0);
    let d = v - threshold as f64;
    if d > margin {
        Some(std::cmp::Ordering::Greater)
    } else if d < -margin {
        Some(std::cmp::Ordering::Less)
    } else {
        None
    }
}

/// A bound on the magnitudes that enter a constant's computation, for its rounding.
fn size_bound(pool: &Pool, id: ExprId) -> f64 {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || size_bound(pool, id));
    }
    match pool.node(id) {
        Node::Add(ts) => ts.iter().map(|&t| size_bound(pool, t)).sum(),
        Node::Mul(fs) => fs.iter().map(|&f| size_bound(pool, f)).product(),
        _ => constant_value(pool, id).map_or(f64::INFINITY, f64::abs),
    }
}

/// Proves signs of expressions from the facts of a workspace.
pub(super) struct SignProver<'a> {
    facts: &'a [Fact],
    /// The signs found so far, by expression.
    memo: FxHashMap<ExprId, SignSet>,
}

impl<'a> SignProver<'a> {
    /// A prover that may use these facts.
    pub(super) fn new(facts: &'a [Fact]) -> SignProver<'a> {
        SignProver {
            facts,
            memo: FxHashMap::default(),
        }
    }

    /// Proved `e > 0` wherever `e` is defined.
    pub(super) fn positive(&mut self, pool: &mut Pool, e: ExprId) -> bool {
        self.signs(pool, e).within(SignSet::POSITIVE)
    }

    /// Proved `e >= 0` wherever `e` is defined.
    pub(super) fn nonnegative(&mut self, pool: &mut Pool, e: ExprId) -> bool {
        self.signs(pool, e).within(SignSet::NONNEGATIVE)
    }

    /// Proved `e < 0` wherever `e` is defined.
    pub(super) fn negative(&mut self, pool: &mut Pool, e: ExprId) -> bool {
        self.signs(pool, e).within(SignSet::NEGATIVE)
    }

    /// The signs `e` may take wherever it is defined.
    fn signs(&mut self, pool: &mut Pool, e: ExprId) -> SignSet {
        self.signs_at(pool, e, 0).0
    }

    /// The signs `e` may take, and whether the answer is complete (not cut short by
    /// the depth limit). Only complete answers are remembered, so that an answer never
    /// depends on the order in which questions were asked.
    fn signs_at(&mut self, pool: &mut Pool, e: ExprId, depth: u32) -> (SignSet, bool) {
        if let Some(&s) = self.memo.get(&e) {
            return (s, true);
        }
        if depth > MAX_DEPTH {
            return (SignSet::ANY, false);
        }
        let (structural, complete) = self.structural(pool, e, depth);
        let facts = self.by_facts(pool, e);
        let both = SignSet(structural.0 & facts.0);
        // Facts that contradict what is always true describe no point at all; the
        // prover then keeps to what it can show without them.
        let out = if both.0 == 0 { structural } else { both };
        if complete {
            self.memo.insert(e, out);
        }
        (out, complete)
    }

    /// What the `assume` facts about `e` itself say of its sign.
    fn by_facts(&self, pool: &Pool, e: ExprId) -> SignSet {
        let mut out = SignSet::ANY;
        for f in self.facts {
            if f.subject != e || !pool.free_indices_ref(f.subject).is_empty() {
                continue;
            }
            let Some(order) = certain_order(pool, f.bound, 0) else {
                continue;
            };
            let bound_is_zero = pool.is_int(f.bound, 0);
            use std::cmp::Ordering::{Greater, Less};
            let says = match f.relation {
                Relation::Greater if order != Less => SignSet::POSITIVE,
                Relation::GreaterEq if order == Greater => SignSet::POSITIVE,
                Relation::GreaterEq if bound_is_zero => SignSet::NONNEGATIVE,
                Relation::Less if order != Greater => SignSet::NEGATIVE,
                Relation::LessEq if order == Less => SignSet::NEGATIVE,
                Relation::LessEq if bound_is_zero => SignSet::NONPOSITIVE,
                Relation::NotEq if bound_is_zero => SignSet::NONZERO,
                _ => SignSet::ANY,
            };
            out = SignSet(out.0 & says.0);
        }
        out
    }

    /// The sign of `ln(u)`: positive where `u > 1` is known, negative where `u < 1`.
    fn logarithm(&self, pool: &Pool, u: ExprId) -> SignSet {
        use std::cmp::Ordering::{Equal, Greater, Less};
        if let Some(order) = certain_order(pool, u, 1) {
            return match order {
                Greater => SignSet::POSITIVE,
                Less => SignSet::NEGATIVE,
                Equal => SignSet::ZERO_ONLY,
            };
        }
        for f in self.facts {
            if f.subject != u || !pool.free_indices_ref(f.subject).is_empty() {
                continue;
            }
            let Some(order) = certain_order(pool, f.bound, 1) else {
                continue;
            };
            // ln is defined only for u > 0, so `u < 1` alone makes it negative.
            match (f.relation, order) {
                (Relation::Greater, Greater | Equal) | (Relation::GreaterEq, Greater) => {
                    return SignSet::POSITIVE;
                }
                (Relation::Less, Less | Equal) | (Relation::LessEq, Less) => {
                    return SignSet::NEGATIVE;
                }
                _ => {}
            }
        }
        SignSet::ANY
    }

    /// The signs `e` may take by its shape alone, from its children's signs.
    fn structural(&mut self, pool: &mut Pool, e: ExprId, depth: u32) -> (SignSet, bool) {
        let mut complete = true;
        let mut child = |this: &mut Self, pool: &mut Pool, c: ExprId| {
            let (s, done) = this.signs_at(pool, c, depth + 1);
            complete &= done;
            s
        };
        let node = pool.node(e).clone();
        let out = match node {
            Node::Num(r) => SignSet::of(&r),
            // pi and e are positive, and every axis has at least one element.
            Node::Const(_) | Node::Len(..) => SignSet::POSITIVE,
            Node::Delta(..) => SignSet::NONNEGATIVE,
            Node::Mul(fs) => fs.iter().fold(SignSet::POSITIVE, |acc, &f| {
                let s = child(self, pool, f);
                acc.times(s)
            }),
            Node::Add(ts) => {
                let mut acc = SignSet::ZERO_ONLY;
                let mut term_signs = Vec::with_capacity(ts.len());
                for &t in ts.iter() {
                    let s = child(self, pool, t);
                    term_signs.push(s);
                    acc = acc.plus(s);
                }
                if acc == SignSet::ANY {
                    constant_sign(pool, e)
                        .or_else(|| self.interval_sign(pool, &ts, &term_signs))
                        .unwrap_or(acc)
                } else {
                    acc
                }
            }
            Node::Pow(b, x) => {
                let base = child(self, pool, b);
                power(pool, base, x)
            }
            Node::Func(f, u) => match f {
                Func::Exp | Func::Sigmoid | Func::Softplus | Func::Cosh => SignSet::POSITIVE,
                Func::Abs => {
                    if child(self, pool, u).within(SignSet::NONZERO) {
                        SignSet::POSITIVE
                    } else {
                        SignSet::NONNEGATIVE
                    }
                }
                // Odd functions that increase through 0 keep their argument's sign.
                Func::Sinh | Func::Tanh | Func::Atan | Func::Erf | Func::Asin => {
                    child(self, pool, u)
                }
                // acos takes values in [0, pi].
                Func::Acos => SignSet::NONNEGATIVE,
                Func::Ln => self.logarithm(pool, u),
                Func::Sin | Func::Cos | Func::Tan => constant_sign(pool, e).unwrap_or(SignSet::ANY),
            },
            // A sum over an axis adds up one or more terms (tensors are never empty).
            Node::Sum { body, .. } => child(self, pool, body).repeated_sum(),
            Node::Call { .. } => match pool.expand_call(e) {
                Some(body) if body != e => child(self, pool, body),
                _ => SignSet::ANY,
            },
            Node::Sym(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Elem(..)
            | Node::Diff { .. } => SignSet::ANY,
        };
        (out, complete)
    }
}

impl SignProver<'_> {
    /// The sign of a sum from the interval its terms' values lie in: each term `c*x`
    /// lies in `c` times the interval of `x`, which the `assume` facts with numbers for
    /// bounds give (`p < 1`), or failing those, the sign of `x` (`x > 0` puts it in
    /// `(0, inf)`). `1 - p` is positive where `p < 1`. `None` when the interval
    /// settles nothing.
    fn interval_sign(
        &self,
        pool: &mut Pool,
        ts: &[ExprId],
        term_signs: &[SignSet],
    ) -> Option<SignSet> {
        if ts.len() > 8 {
            return None;
        }
        let mut total = Interval::point(BigRational::zero());
        for (&t, &sign) in ts.iter().zip(term_signs) {
            let (c, x) = pool.split_coefficient(t);
            let of_x = match pool.as_num(x) {
                Some(r) => Interval::point(r.clone()),
                None => self
                    .fact_interval(pool, x)
                    .meet(range_of(pool, x))
                    .meet(Interval::of_signs(sign_of_rest(sign, &c))),
            };
            total = total.plus(&of_x.scaled(&c));
        }
        total.sign()
    }

    /// The interval the `assume` facts about `x` put it in, from facts whose bounds are
    /// numbers (exact, so the comparison is certain).
    fn fact_interval(&self, pool: &Pool, x: ExprId) -> Interval {
        let mut out = Interval::everything();
        for f in self.facts {
            if f.subject != x || !pool.free_indices_ref(f.subject).is_empty() {
                continue;
            }
            let Some(r) = pool.as_num(f.bound) else {
                continue;
            };
            let end = |open| {
                Some(End {
                    value: r.clone(),
                    open,
                })
            };
            let fact = match f.relation {
                Relation::Greater => Interval {
                    low: end(true),
                    high: None,
                },
                Relation::GreaterEq => Interval {
                    low: end(false),
                    high: None,
                },
                Relation::Less => Interval {
                    low: None,
                    high: end(true),
                },
                Relation::LessEq => Interval {
                    low: None,
                    high: end(false),
                },
                Relation::Equal => Interval {
                    low: end(false),
                    high: end(false),
                },
                Relation::NotEq => continue,
            };
            out = out.meet(fact);
        }
        out
    }
}

/// The range a bounded builtin's values lie in, whatever its argument: the checker's
/// own table (`sin` and `cos` in `[-1, 1]`, `tanh` and `erf` in `(-1, 1)`, `sigmoid` in
/// `(0, 1)`, `cosh` from 1, `atan` in `(-pi/2, pi/2)`, within `[-8/5, 8/5]`).
fn range_of(pool: &Pool, x: ExprId) -> Interval {
    let Node::Func(f, _) = pool.node(x) else {
        return Interval::everything();
    };
    let end = |n: i64, d: i64, open: bool| {
        Some(End {
            value: BigRational::new(n.into(), d.into()),
            open,
        })
    };
    let (low, high) = match f {
        Func::Sin | Func::Cos => (end(-1, 1, false), end(1, 1, false)),
        Func::Tanh | Func::Erf => (end(-1, 1, true), end(1, 1, true)),
        Func::Sigmoid => (end(0, 1, true), end(1, 1, true)),
        Func::Cosh => (end(1, 1, false), None),
        Func::Atan => (end(-8, 5, false), end(8, 5, false)),
        _ => return Interval::everything(),
    };
    Interval { low, high }
}

/// The signs of `x` in a term `c*x`, from the term's signs: dividing by a negative `c`
/// flips them.
fn sign_of_rest(term: SignSet, c: &BigRational) -> SignSet {
    if !c.is_negative() {
        return term;
    }
    let mut out = term.0 & SignSet::ZERO;
    if term.may(SignSet::POS) {
        out |= SignSet::NEG;
    }
    if term.may(SignSet::NEG) {
        out |= SignSet::POS;
    }
    SignSet(out)
}

/// One end of an interval: a number, excluded when `open`.
#[derive(Clone, Debug)]
struct End {
    value: BigRational,
    open: bool,
}

/// An interval of the real line; a missing end is infinite.
#[derive(Clone, Debug)]
struct Interval {
    low: Option<End>,
    high: Option<End>,
}

impl Interval {
    /// The whole real line.
    fn everything() -> Interval {
        Interval {
            low: None,
            high: None,
        }
    }

    /// The one number `r`.
    fn point(r: BigRational) -> Interval {
        let end = End {
            value: r,
            open: false,
        };
        Interval {
            low: Some(end.clone()),
            high: Some(end),
        }
    }

    /// The interval that a set of signs allows: `(0, inf)` for positive values.
    fn of_signs(s: SignSet) -> Interval {
        let zero = |open| {
            Some(End {
                value: BigRational::zero(),
                open,
            })
        };
        let low = if !s.may(SignSet::NEG) {
            zero(!s.may(SignSet::ZERO))
        } else {
            None
        };
        let high = if !s.may(SignSet::POS) {
            zero(!s.may(SignSet::ZERO))
        } else {
            None
        };
        Interval { low, high }
    }

    /// The values in both intervals.
    fn meet(self, other: Interval) -> Interval {
        let low = match (self.low, other.low) {
            (Some(a), Some(b)) => Some(if a.value > b.value || (a.value == b.value && a.open) {
                a
            } else {
                b
            }),
            (a, b) => a.or(b),
        };
        let high = match (self.high, other.high) {
            (Some(a), Some(b)) => Some(if a.value < b.value || (a.value == b.value && a.open) {
                a
            } else {
                b
            }),
            (a, b) => a.or(b),
        };
        Interval { low, high }
    }

    /// The values `x + y` for `x` in one and `y` in the other.
    fn plus(&self, other: &Interval) -> Interval {
        let add = |a: &Option<End>, b: &Option<End>| match (a, b) {
            (Some(a), Some(b)) => Some(End {
                value: &a.value + &b.value,
                open: a.open || b.open,
            }),
            _ => None,
        };
        Interval {
            low: add(&self.low, &other.low),
            high: add(&self.high, &other.high),
        }
    }

    /// The values `c*x` for `x` in the interval.
    fn scaled(&self, c: &BigRational) -> Interval {
        if c.is_zero() {
            return Interval::point(BigRational::zero());
        }
        let times = |e: &Option<End>| {
            e.as_ref().map(|e| End {
                value: &e.value * c,
                open: e.open,
            })
        };
        if c.is_positive() {
            Interval {
                low: times(&self.low),
                high: times(&self.high),
            }
        } else {
            Interval {
                low: times(&self.high),
                high: times(&self.low),
            }
        }
    }

    /// The signs its values have, when its ends settle them.
    fn sign(&self) -> Option<SignSet> {
        let above = |e: &End| e.value.is_positive() || (e.value.is_zero() && e.open);
        let below = |e: &End| e.value.is_negative() || (e.value.is_zero() && e.open);
        if self.low.as_ref().is_some_and(above) {
            Some(SignSet::POSITIVE)
        } else if self.high.as_ref().is_some_and(below) {
            Some(SignSet::NEGATIVE)
        } else if self.low.as_ref().is_some_and(|e| !e.value.is_negative()) {
            Some(SignSet::NONNEGATIVE)
        } else if self.high.as_ref().is_some_and(|e| !e.value.is_positive()) {
            Some(SignSet::NONPOSITIVE)
        } else {
            None
        }
    }
}

/// The signs of `base^x`, given the base's signs.
fn power(pool: &Pool, base: SignSet, x: ExprId) -> SignSet {
    if base.within(SignSet::POSITIVE) {
        return SignSet::POSITIVE;
    }
    let Some(r) = pool.as_num(x) else {
        // A power of a non-zero base is not zero where it is defined.
        return if base.within(SignSet::NONZERO) {
            SignSet::NONZERO
        } else {
            SignSet::ANY
        };
    };
    if r.is_zero() {
        return SignSet::POSITIVE;
    }
    if r.is_integer() {
        let even = crate::expr::pool::is_even_integer(r);
        return match (even, base.within(SignSet::NONZERO)) {
            (true, true) => SignSet::POSITIVE,
            (true, false) => SignSet::NONNEGATIVE,
            // An odd power keeps the base's sign.
            (false, _) => base,
        };
    }
    if base.within(SignSet::NONNEGATIVE) {
        SignSet::NONNEGATIVE
    } else if base.within(SignSet::NONZERO) {
        SignSet::NONZERO
    } else {
        SignSet::ANY
    }
}

/// The sign of a constant expression (no names at all), when its value is far enough
/// from 0 that rounding cannot have changed it.
fn constant_sign(pool: &Pool, e: ExprId) -> Option<SignSet> {
    use std::cmp::Ordering::{Greater, Less};
    match certain_order(pool, e, 0)? {
        Greater => Some(SignSet::POSITIVE),
        Less => Some(SignSet::NEGATIVE),
        std::cmp::Ordering::Equal => None,
    }
}

/// The `f64` value of an expression made of numbers, `pi`, `e` and builtin functions,
/// or `None` for anything else or a value beyond `f64`.
///
/// The checker computes this itself rather than through the simplifier's sign prover,
/// so that a mistake there cannot make both agree. It walks the DAG once, children
/// before parents, with an explicit stack.
fn constant_value(pool: &Pool, root: ExprId) -> Option<f64> {
    let mut values: FxHashMap<ExprId, f64> = FxHashMap::default();
    let mut stack = vec![(root, false)];
    while let Some((id, children_done)) = stack.pop() {
        if values.contains_key(&id) {
            continue;
        }
        let node = pool.node(id);
        let kids: Vec<ExprId> = match node {
            Node::Add(xs) | Node::Mul(xs) => xs.to_vec(),
            Node::Pow(b, e) => vec![*b, *e],
            Node::Func(_, a) => vec![*a],
            Node::Num(_) | Node::Const(_) => Vec::new(),
            _ => return None,
        };
        if !children_done && !kids.is_empty() {
            stack.push((id, true));
            stack.extend(kids.into_iter().map(|k| (k, false)));
            continue;
        }
        let of = |k: &ExprId| values.get(k).copied();
        let v = match node {
            Node::Num(r) => rational_to_f64(r),
            Node::Const(c) => c.value(),
            Node::Add(xs) => xs.iter().map(of).sum::<Option<f64>>()?,
            Node::Mul(xs) => xs.iter().map(of).product::<Option<f64>>()?,
            Node::Pow(b, e) => of(b)?.powf(of(e)?),
            Node::Func(f, a) => f.apply(of(a)?),
            _ => return None,
        };
        if !v.is_finite() {
            return None;
        }
        values.insert(id, v);
    }
    values.get(&root).copied()
}
