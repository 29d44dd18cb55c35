//! Precise evaluation: rigorous enclosures of an expression's value at a point, in
//! interval arithmetic over arbitrary-precision floats, and the comparison of a
//! claim's two sides that the prover trusts where `f64` cannot decide.
//!
//! `f64` hides a difference of 1/5 between two terms near 10^9, and rounds a
//! logarithm's argument that is truly positive down to 0; so the prover's `f64`
//! evaluation on the tape can neither certify a counterexample nor dismiss one. Here
//! every bound is rounded outwards, so an enclosure always holds the true value: two
//! disjoint enclosures prove that the sides differ at the point. Definedness follows
//! the tape's rules (see [`eval`]) with three outcomes: a value's enclosure;
//! certainly undefined ([`Fail::Undefined`], the argument of `ln` is at most 0
//! everywhere in its enclosure); or unsure ([`Fail::Unsure`], the enclosure straddles
//! a domain's boundary or a pole, or the work ran over its budget). An unsure point
//! decides nothing, in either direction.
//!
//! [`compare`] tries increasing precisions until it can decide.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`.

pub mod eval;
mod functions;
pub mod interval;

use astro_float::BigFloat;

use crate::expr::node::ExprId;
use crate::expr::pool::Pool;
use crate::numeric::value::Bindings;
pub use eval::{Evaluator, enclose};
pub use interval::{Arith, Interval};

/// Why an expression has no enclosure at a point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fail {
    /// Certainly outside the domain: the tape's evaluation, done exactly, would fail.
    Undefined(String),
    /// Perhaps outside the domain, or not decidable at this precision: an enclosure
    /// straddles a domain's boundary or a pole, or a node cannot be evaluated.
    Unsure(String),
    /// The evaluation ran over its budget of interval operations.
    Budget,
}

impl Fail {
    /// Certainly undefined, for `why`.
    pub fn undefined(why: impl Into<String>) -> Fail {
        Fail::Undefined(why.into())
    }

    /// Unsure, for `why`.
    pub fn unsure(why: impl Into<String>) -> Fail {
        Fail::Unsure(why.into())
    }

    /// The reason, as a message's words.
    pub fn reason(&self) -> String {
        match self {
            Fail::Undefined(why) | Fail::Unsure(why) => why.clone(),
            Fail::Budget => "the evaluation needs more interval operations than its budget".into(),
        }
    }

    /// How much a failure tells, to keep the most telling of several: undefined, then
    /// over budget, then unsure.
    pub(crate) fn rank(&self) -> u8 {
        match self {
            Fail::Undefined(_) => 2,
            Fail::Budget => 1,
            Fail::Unsure(_) => 0,
        }
    }
}

/// The precisions [`compare`] tries, in bits, in order.
pub const PRECISIONS: [usize; 3] = [128, 512, 2048];

/// How two sides of a claim compare at a point, in high precision.
#[derive(Clone, Debug)]
pub enum Comparison {
    /// Both sides are defined and their enclosures are disjoint: a certified
    /// counterexample.
    Differ {
        /// The left side's enclosure.
        lhs: Interval,
        /// The right side's enclosure.
        rhs: Interval,
        /// The precision that separated them, in bits.
        bits: usize,
    },
    /// The left side is certainly defined and the right one certainly undefined: a
    /// certified counterexample, since a claim must hold wherever its left side does.
    LhsOnly {
        /// The left side's enclosure.
        lhs: Interval,
        /// Why the right side is undefined.
        why: String,
        /// The precision used, in bits.
        bits: usize,
    },
    /// The enclosure of `lhs - rhs` contains 0 and is narrower than a tiny share of
    /// the values at the highest precision tried: no evidence of a difference.
    Agree {
        /// The width of the difference's enclosure.
        width: f64,
    },
    /// The left side is certainly undefined: the point says nothing about the claim.
    Undefined(String),
    /// Nothing could be decided, for the reason given.
    Unsure(String),
}

/// What one precision found: a decision, a reason to try more bits, or a reason
/// that more bits will not help.
enum Attempt {
    Decided(Comparison),
    MoreBits(String),
    Stop(String),
}

/// Compares `lhs` and `rhs` at `at`, at each of [`PRECISIONS`] in turn until one
/// decides (see [`Comparison`]). Both sides must have their derivatives taken.
pub fn compare(pool: &mut Pool, lhs: ExprId, rhs: ExprId, at: &Bindings) -> Comparison {
    compare_at_precisions(pool, lhs, rhs, at, &PRECISIONS)
}

/// [`compare`] at the given precisions, in bits, in order: the last one decides
/// agreement, so that a caller that certifies many points where `f64` already agrees
/// may stop at a moderate precision (agreement to `2^-(p/2)` of the values at `p`
/// bits).
pub fn compare_at_precisions(
    pool: &mut Pool,
    lhs: ExprId,
    rhs: ExprId,
    at: &Bindings,
    precisions: &[usize],
) -> Comparison {
    let mut why = String::from("no precision was tried");
    for (k, &bits) in precisions.iter().enumerate() {
        let last = k + 1 == precisions.len();
        match compare_at(pool, lhs, rhs, at, bits, last) {
            Attempt::Decided(c) => return c,
            Attempt::MoreBits(w) => why = w,
            Attempt::Stop(w) => return Comparison::Unsure(w),
        }
    }
    Comparison::Unsure(why)
}

fn compare_at(
    pool: &mut Pool,
    lhs: ExprId,
    rhs: ExprId,
    at: &Bindings,
    bits: usize,
    last: bool,
) -> Attempt {
    let mut ev = match Evaluator::new(pool, at, bits, eval::BUDGET) {
        Ok(ev) => ev,
        Err(f) => return Attempt::Stop(f.reason()),
    };
    // A failure that more bits cannot change stops the search.
    let unsure = |f: Fail| match f {
        Fail::Budget => Attempt::Stop(f.reason()),
        other => Attempt::MoreBits(other.reason()),
    };
    let l = match ev.enclose(lhs) {
        Ok(l) => l,
        Err(Fail::Undefined(why)) => return Attempt::Decided(Comparison::Undefined(why)),
        Err(f) => return unsure(f),
    };
    // Values beyond f64 are an overflow on the tape, whose rules the claim is held
    // to: no counterexample is reported in numbers that the rest of gauge cannot show.
    if !l.magnitude_f64().is_finite() {
        return Attempt::Stop("the left side is beyond the range of f64".into());
    }
    let r = match ev.enclose(rhs) {
        Ok(r) => r,
        Err(Fail::Undefined(why)) => {
            return Attempt::Decided(Comparison::LhsOnly { lhs: l, why, bits });
        }
        Err(f) => return unsure(f),
    };
    if !r.magnitude_f64().is_finite() {
        return Attempt::Stop("the right side is beyond the range of f64".into());
    }
    if l.disjoint(&r) {
        return Attempt::Decided(Comparison::Differ {
            lhs: l,
            rhs: r,
            bits,
        });
    }
    if !last {
        return Attempt::MoreBits(format!("the two sides' enclosures overlap at {bits} bits"));
    }
    match agreement(ev.arith(), &l, &r) {
        Ok(Some(width)) => Attempt::Decided(Comparison::Agree { width }),
        Ok(None) => Attempt::Stop(format!(
            "the two sides' enclosures overlap but stay too wide to call equal at {bits} bits"
        )),
        Err(f) => Attempt::Stop(f.reason()),
    }
}

/// The width of `l - r`'s enclosure when it is at most `2^-(p/2)` times
/// `1 + max(|l|, |r|)`, at the arithmetic's precision `p`; `None` when it is wider.
fn agreement(arith: &mut Arith, l: &Interval, r: &Interval) -> Result<Option<f64>, Fail> {
    let d = arith.sub(l, r)?;
    let width = d.hi().sub(d.lo(), 64, interval::UP);
    let (_, ml) = arith.magnitudes(l);
    let (_, mr) = arith.magnitudes(r);
    let m = if interval::le(&ml, &mr) { mr } else { ml };
    let mut tolerance = m.add(&BigFloat::from_word(1, 64), 64, interval::DOWN);
    if let Some(e) = tolerance.exponent() {
        tolerance.set_exponent(e - (arith.precision() / 2) as i32);
    }
    Ok(interval::le(&width, &tolerance).then(|| interval::to_f64(&width)))
}
