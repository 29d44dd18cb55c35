//! Closed intervals of arbitrary-precision floats, and the arithmetic on them that
//! always encloses the true result.
//!
//! Every bound is rounded outwards: a lower bound towards minus infinity
//! ([`RoundingMode::Down`]), an upper bound towards plus infinity
//! ([`RoundingMode::Up`]). astro-float rounds its arithmetic and its functions
//! correctly in the mode asked for; the elementary functions' results are moved
//! outwards by a few more units in the last place on top (see `widen_down`), so
//! that an enclosure does not rest on every last bit of the library's own rounding.

use astro_float::{BigFloat, Consts, RoundingMode, Sign, Word};
use num_bigint::BigInt;
use num_rational::BigRational;

use crate::numeric::precise::Fail;

// Integers and bounds are read and written a 64-bit word at a time (as astro-float
// stores them on 64-bit targets).
const _: () = assert!(Word::BITS == 64);

/// Rounding towards minus infinity: every lower bound.
pub(crate) const DOWN: RoundingMode = RoundingMode::Down;
/// Rounding towards plus infinity: every upper bound.
pub(crate) const UP: RoundingMode = RoundingMode::Up;

/// A closed interval `[lo, hi]` that contains the true value of what it encloses.
///
/// Its bounds are never NaN, the lower one is never plus infinity nor the upper one
/// minus infinity, and `lo <= hi`: `Arith::interval` checks this for every interval
/// the arithmetic builds, so a bound a function got wrong shows as
/// [`Fail::Unsure`], never as a false enclosure.
#[derive(Clone, Debug)]
pub struct Interval {
    lo: BigFloat,
    hi: BigFloat,
}

impl Interval {
    /// The lower bound.
    pub fn lo(&self) -> &BigFloat {
        &self.lo
    }

    /// The upper bound.
    pub fn hi(&self) -> &BigFloat {
        &self.hi
    }

    /// Whether the interval is one number.
    pub fn is_point(&self) -> bool {
        self.lo.cmp(&self.hi) == Some(0)
    }

    /// Whether 0 lies in the interval.
    pub fn contains_zero(&self) -> bool {
        !positive(&self.lo) && !negative(&self.hi)
    }

    /// Whether the interval is exactly `[0, 0]`.
    pub fn is_zero(&self) -> bool {
        self.lo.is_zero() && self.hi.is_zero()
    }

    /// Whether every number in the interval is above 0.
    pub fn is_positive(&self) -> bool {
        positive(&self.lo)
    }

    /// Whether every number in the interval is below 0.
    pub fn is_negative(&self) -> bool {
        negative(&self.hi)
    }

    /// Whether every number of this interval is below every number of `other`.
    pub fn below(&self, other: &Interval) -> bool {
        lt(&self.hi, &other.lo)
    }

    /// Whether the two intervals share no number: then the values they enclose differ.
    pub fn disjoint(&self, other: &Interval) -> bool {
        self.below(other) || other.below(self)
    }

    /// The midpoint rounded to the nearest `f64` (infinite beyond its range): the
    /// value a report shows, good to the 17 significant digits of an `f64` when the
    /// interval is that narrow.
    pub fn midpoint_f64(&self) -> f64 {
        let (lo, hi) = (to_f64(&self.lo), to_f64(&self.hi));
        if lo.is_finite() && hi.is_finite() {
            // Halving first keeps the sum of two large bounds finite.
            lo / 2.0 + hi / 2.0
        } else if lo == hi {
            lo
        } else {
            f64::NAN
        }
    }

    /// The width `hi - lo`, rounded up to an `f64`.
    pub fn width_f64(&self) -> f64 {
        let w = self.hi.sub(&self.lo, 64, UP);
        to_f64(&w).abs()
    }

    /// The largest magnitude of the interval's numbers, as an `f64`.
    pub fn magnitude_f64(&self) -> f64 {
        to_f64(&self.lo).abs().max(to_f64(&self.hi).abs())
    }
}

/// Whether `x` is above 0 (astro-float gives 0 a sign, so its own test is not enough).
pub(crate) fn positive(x: &BigFloat) -> bool {
    !x.is_zero() && x.is_positive()
}

/// Whether `x` is below 0.
pub(crate) fn negative(x: &BigFloat) -> bool {
    !x.is_zero() && x.is_negative()
}

/// `a < b`, false when either is NaN.
pub(crate) fn lt(a: &BigFloat, b: &BigFloat) -> bool {
    a.cmp(b).is_some_and(|c| c < 0)
}

/// `a <= b`, false when either is NaN.
pub(crate) fn le(a: &BigFloat, b: &BigFloat) -> bool {
    a.cmp(b).is_some_and(|c| c <= 0)
}

/// A float rounded to the nearest `f64`: infinite beyond its range, 0 below it. The
/// top word of the mantissa is rounded (its lower words only break ties), which is
/// what a report needs; bounds are never computed this way.
pub fn to_f64(x: &BigFloat) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x.is_inf_pos() {
        return f64::INFINITY;
    }
    if x.is_inf_neg() {
        return f64::NEG_INFINITY;
    }
    let Some((words, _, sign, exponent, _)) = x.as_raw_parts() else {
        return f64::NAN;
    };
    let Some(&top) = words.last() else {
        return 0.0;
    };
    // The value is 0.m times 2^exponent, with m's top word the leading 64 bits.
    let magnitude = if exponent > 2000 {
        f64::INFINITY
    } else if exponent < -2000 {
        0.0
    } else {
        libm::ldexp(top as f64, exponent - Word::BITS as i32)
    };
    match sign {
        Sign::Neg => -magnitude,
        Sign::Pos => magnitude,
    }
}

/// The arithmetic at one working precision: the constants' cache, the precision of
/// every bound, and a count of operations against a budget.
pub struct Arith {
    /// The bits of every bound's mantissa.
    pub(crate) p: usize,
    pub(crate) consts: Consts,
    ops: u64,
    budget: u64,
}

impl Arith {
    /// Arithmetic with `p`-bit bounds that allows `budget` interval operations.
    pub fn new(p: usize, budget: u64) -> Result<Arith, Fail> {
        let consts = Consts::new().map_err(|e| Fail::unsure(format!("astro-float: {e:?}")))?;
        Ok(Arith {
            p: p.max(64),
            consts,
            ops: 0,
            budget,
        })
    }

    /// The working precision in bits.
    pub fn precision(&self) -> usize {
        self.p
    }

    /// Runs `f` with `bits`-bit bounds, then returns to the working precision: for
    /// work that needs more bits than its result (reducing a large argument by
    /// periods of π, a series that cancels).
    pub(crate) fn with_bits<T>(&mut self, bits: usize, f: impl FnOnce(&mut Arith) -> T) -> T {
        let saved = self.p;
        self.p = bits;
        let r = f(self);
        self.p = saved;
        r
    }

    /// Counts one operation, weighed by the words of its bounds (an operation on
    /// 2048-bit bounds costs about sixteen on 128-bit ones); past the budget the
    /// evaluation gives up.
    pub(crate) fn tick(&mut self) -> Result<(), Fail> {
        self.charge(1)
    }

    /// Counts `n` operations' worth of work (see [`Arith::tick`]).
    pub(crate) fn charge(&mut self, n: u64) -> Result<(), Fail> {
        self.ops += n * (self.p as u64 / 128).max(1);
        if self.ops > self.budget {
            return Err(Fail::Budget);
        }
        Ok(())
    }

    /// The interval `[lo, hi]`, checked (see [`Interval`]).
    pub(crate) fn interval(&self, lo: BigFloat, hi: BigFloat) -> Result<Interval, Fail> {
        if lo.is_nan() || hi.is_nan() {
            return Err(Fail::unsure(
                "a bound is not a number (overflow or a library error)",
            ));
        }
        if lo.is_inf_pos() || hi.is_inf_neg() {
            return Err(Fail::unsure("a value overflows the exponent range"));
        }
        if !le(&lo, &hi) {
            return Err(Fail::unsure("a lower bound came out above its upper bound"));
        }
        Ok(Interval { lo, hi })
    }

    /// The one-number interval `[x, x]`.
    pub(crate) fn point(&self, x: BigFloat) -> Result<Interval, Fail> {
        self.interval(x.clone(), x)
    }

    /// An `f64` exactly (a mantissa of at least 64 bits holds all 53 of it).
    pub fn from_f64(&self, x: f64) -> Result<Interval, Fail> {
        if !x.is_finite() {
            return Err(Fail::unsure("a value at the point is not finite"));
        }
        self.point(BigFloat::from_f64(x, self.p.max(64)))
    }

    /// A whole number, exactly.
    pub fn from_int(&self, n: usize) -> Result<Interval, Fail> {
        self.point(BigFloat::from_u64(n as u64, 64))
    }

    /// An integer exactly: its 64-bit digits are the words of a mantissa as long as
    /// they need.
    pub fn from_bigint(&self, n: &BigInt) -> Result<Interval, Fail> {
        let (sign, digits) = n.to_u64_digits();
        if digits.is_empty() {
            return self.point(BigFloat::from_word(0, 64));
        }
        let words: Vec<Word> = digits;
        let bits = (words.len() * Word::BITS as usize) as i64;
        if bits > i32::MAX as i64 / 2 {
            return Err(Fail::unsure("an integer too large for the exponent range"));
        }
        let sign = match sign {
            num_bigint::Sign::Minus => Sign::Neg,
            _ => Sign::Pos,
        };
        // 0.m times 2^bits is the integer m.
        self.point(BigFloat::from_words(&words, sign, bits as i32))
    }

    /// An exact rational, enclosed: its numerator and denominator are exact, and the
    /// quotient is rounded outwards.
    pub fn from_rational(&mut self, r: &BigRational) -> Result<Interval, Fail> {
        let n = self.from_bigint(r.numer())?;
        if r.is_integer() {
            return Ok(n);
        }
        let d = self.from_bigint(r.denom())?;
        self.div(&n, &d)
    }

    /// π, enclosed.
    pub fn pi(&mut self) -> Result<Interval, Fail> {
        let p = self.p;
        let lo = self.consts.pi(p, DOWN);
        let hi = self.consts.pi(p, UP);
        let (lo, hi) = (widen_down(lo, p), widen_up(hi, p));
        self.interval(lo, hi)
    }

    /// Euler's number e, enclosed.
    pub fn e(&mut self) -> Result<Interval, Fail> {
        let lo = self.consts.e(self.p, DOWN);
        let hi = self.consts.e(self.p, UP);
        let (lo, hi) = (widen_down(lo, self.p), widen_up(hi, self.p));
        self.interval(lo, hi)
    }

    /// Both bounds of `[lo, hi]` widened (see [`widen_down`]).
    pub(crate) fn widened(&self, lo: BigFloat, hi: BigFloat) -> Result<Interval, Fail> {
        let p = self.p;
        self.interval(widen_down(lo, p), widen_up(hi, p))
    }

    /// `a + b`.
    pub fn add(&mut self, a: &Interval, b: &Interval) -> Result<Interval, Fail> {
        self.tick()?;
        let p = self.p;
        self.interval(a.lo.add(&b.lo, p, DOWN), a.hi.add(&b.hi, p, UP))
    }

    /// `a - b`.
    pub fn sub(&mut self, a: &Interval, b: &Interval) -> Result<Interval, Fail> {
        self.tick()?;
        let p = self.p;
        self.interval(a.lo.sub(&b.hi, p, DOWN), a.hi.sub(&b.lo, p, UP))
    }

    /// `-a`, exactly.
    pub fn neg(&self, a: &Interval) -> Interval {
        Interval {
            lo: a.hi.neg(),
            hi: a.lo.neg(),
        }
    }

    /// `a * b`: the least and greatest of the four products of bounds.
    pub fn mul(&mut self, a: &Interval, b: &Interval) -> Result<Interval, Fail> {
        let p = self.p;
        self.tick()?;
        // A zero factor makes the product exactly 0, whatever the other's bounds (an
        // infinite one included).
        if a.is_zero() || b.is_zero() {
            return self.point(BigFloat::from_word(0, 64));
        }
        let pairs = [
            (&a.lo, &b.lo),
            (&a.lo, &b.hi),
            (&a.hi, &b.lo),
            (&a.hi, &b.hi),
        ];
        let mut lo: Option<BigFloat> = None;
        let mut hi: Option<BigFloat> = None;
        for (x, y) in pairs {
            let (l, h) = (x.mul(y, p, DOWN), y.mul(x, p, UP));
            // 0 times an infinite bound is 0 here: the other factor's numbers are
            // finite, only its bound is not.
            let (l, h) = if x.is_zero() || y.is_zero() {
                (BigFloat::from_word(0, 64), BigFloat::from_word(0, 64))
            } else {
                (l, h)
            };
            if l.is_nan() || h.is_nan() {
                return Err(Fail::unsure("a product of bounds is not a number"));
            }
            lo = Some(match lo {
                Some(m) if le(&m, &l) => m,
                _ => l,
            });
            hi = Some(match hi {
                Some(m) if le(&h, &m) => m,
                _ => h,
            });
        }
        match (lo, hi) {
            (Some(lo), Some(hi)) => self.interval(lo, hi),
            _ => Err(Fail::unsure("an empty product")),
        }
    }

    /// `a / b`: undefined when `b` is exactly 0, unsure when `b` only contains 0.
    pub fn div(&mut self, a: &Interval, b: &Interval) -> Result<Interval, Fail> {
        let r = self.recip(b)?;
        self.mul(a, &r)
    }

    /// `1 / b` (see [`Arith::div`]).
    pub fn recip(&mut self, b: &Interval) -> Result<Interval, Fail> {
        self.tick()?;
        if b.is_zero() {
            return Err(Fail::undefined("a division by 0"));
        }
        if b.contains_zero() {
            return Err(Fail::unsure("a divisor whose enclosure contains 0"));
        }
        let one = BigFloat::from_word(1, 64);
        let p = self.p;
        self.interval(one.div(&b.hi, p, DOWN), one.div(&b.lo, p, UP))
    }

    /// The least and greatest magnitudes of the interval's numbers.
    pub(crate) fn magnitudes(&self, a: &Interval) -> (BigFloat, BigFloat) {
        let (l, h) = (a.lo.abs(), a.hi.abs());
        let big = if le(&l, &h) { h.clone() } else { l.clone() };
        let small = if a.contains_zero() {
            BigFloat::from_word(0, 64)
        } else if le(&l, &h) {
            l
        } else {
            h
        };
        (small, big)
    }

    /// `|a|`, exactly.
    pub fn abs(&mut self, a: &Interval) -> Result<Interval, Fail> {
        self.tick()?;
        let (small, big) = self.magnitudes(a);
        self.interval(small, big)
    }

    /// `a^n` for a whole `n`: 0 to a negative power is undefined, and an even power
    /// of an interval around 0 has 0 as its least value.
    pub fn pow_int(&mut self, a: &Interval, n: &BigInt) -> Result<Interval, Fail> {
        use num_traits::{Signed, ToPrimitive, Zero};
        self.tick()?;
        if n.is_zero() {
            // 0^0 is 1, as the tape's powers compute it.
            return self.from_int(1);
        }
        if n.is_negative() {
            if a.is_zero() {
                return Err(Fail::undefined("0 to a negative power"));
            }
            let positive = self.pow_int(a, &-n)?;
            return self.recip(&positive);
        }
        let Some(k) = n.to_usize().filter(|&k| k <= 1 << 24) else {
            return Err(Fail::unsure("a power with a huge exponent"));
        };
        let (small, big) = self.magnitudes(a);
        // A result whose exponent leaves the range astro-float keeps is an overflow.
        if let Some(e) = big.exponent()
            && !big.is_zero()
            && (e.unsigned_abs() as u128) * (k as u128) > 1 << 30
        {
            return Err(Fail::unsure("a power that overflows the exponent range"));
        }
        if let Some(e) = small.exponent()
            && !small.is_zero()
            && (e.unsigned_abs() as u128) * (k as u128) > 1 << 30
        {
            return Err(Fail::unsure("a power that overflows the exponent range"));
        }
        let p = self.p;
        if k % 2 == 0 {
            let lo = widen_down(small.powi(k, p, DOWN), p);
            let hi = widen_up(big.powi(k, p, UP), p);
            // An even power is never negative: a widened lower bound below 0 is 0.
            let lo = if negative(&lo) {
                BigFloat::from_word(0, 64)
            } else {
                lo
            };
            self.interval(lo, hi)
        } else {
            // An odd power is increasing: each bound to the power, in its sign.
            let lo = widen_down(odd_power(&a.lo, k, p, DOWN), p);
            let hi = widen_up(odd_power(&a.hi, k, p, UP), p);
            self.interval(lo, hi)
        }
    }

    /// `sqrt(a)`: undefined below 0, unsure when the interval reaches below 0.
    pub fn sqrt(&mut self, a: &Interval) -> Result<Interval, Fail> {
        self.tick()?;
        if a.is_negative() {
            return Err(Fail::undefined("the square root of a negative number"));
        }
        if negative(&a.lo) {
            return Err(Fail::unsure(
                "a square root of an interval that reaches below 0",
            ));
        }
        let p = self.p;
        let lo = widen_down(a.lo.sqrt(p, DOWN), p);
        let lo = if negative(&lo) {
            BigFloat::from_word(0, 64)
        } else {
            lo
        };
        self.interval(lo, widen_up(a.hi.sqrt(p, UP), p))
    }
}

/// `x` moved down by a relative 2^-(p - 4): a bound from one of the library's
/// functions, kept valid even if the library's last bits were a few units off.
pub(crate) fn widen_down(x: BigFloat, p: usize) -> BigFloat {
    let n = nudge(&x, p);
    x.sub(&n, p, DOWN)
}

/// `x` moved up by a relative 2^-(p - 4) (see [`widen_down`]).
pub(crate) fn widen_up(x: BigFloat, p: usize) -> BigFloat {
    let n = nudge(&x, p);
    x.add(&n, p, UP)
}

/// `|x|` times 2^-(p - 4), exactly (a power of two changes only the exponent).
fn nudge(x: &BigFloat, p: usize) -> BigFloat {
    let mut n = x.abs();
    if let Some(e) = n.exponent()
        && !n.is_zero()
    {
        n.set_exponent(e.saturating_sub(p as i32 - 4));
    }
    n
}

/// `x^k` for an odd `k`, with the sign of `x`, rounded in `rm`.
fn odd_power(x: &BigFloat, k: usize, p: usize, rm: RoundingMode) -> BigFloat {
    if negative(x) {
        // The magnitude rounds the other way, so that the negative result rounds in `rm`.
        let flipped = match rm {
            RoundingMode::Down => UP,
            _ => DOWN,
        };
        x.abs().powi(k, p, flipped).neg()
    } else {
        x.powi(k, p, rm)
    }
}
