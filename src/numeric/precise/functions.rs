//! The builtin functions over intervals: each encloses every value the function takes
//! on the interval, and says where its argument is certainly, or possibly, outside
//! the function's domain.
//!
//! A monotone function is its value at each bound, rounded outwards. `sin`, `cos`
//! and `tan` first take a whole number of periods off the interval, with π enclosed
//! at enough bits that the reduction stays exact to the working precision, and then
//! look for the extrema (or poles) the reduced interval may contain, with rigorous
//! bounds on where they are. astro-float has no `erf`: it is summed here from its
//! Taylor series with a bound on what the series leaves out.

use astro_float::BigFloat;
use num_bigint::BigInt;

use crate::expr::node::Func;
use crate::numeric::precise::Fail;
use crate::numeric::precise::interval::{
    Arith, DOWN, Interval, UP, le, lt, negative, positive, widen_down, widen_up,
};

/// Arguments of `exp`, `sinh` and `cosh` beyond this are an overflow for any use
/// (`e^(2^20)` is about `10^455000`): no value of `f64` is near them.
const EXP_LIMIT: u64 = 1 << 20;

/// An interval's bounds whose exponent is above this are not reduced by periods of
/// π (the reduction would need that many bits): their trigonometric functions are
/// only bounded by their range.
const REDUCTION_LIMIT: i32 = 1 << 16;

impl Arith {
    /// A builtin function applied to an interval.
    pub fn func(&mut self, f: Func, a: &Interval) -> Result<Interval, Fail> {
        // An elementary function costs about as much as a dozen multiplications.
        self.charge(16)?;
        match f {
            Func::Exp => self.exp(a),
            Func::Ln => self.ln(a),
            Func::Sin => self.trig(a, false),
            Func::Cos => self.trig(a, true),
            Func::Tan => self.tan(a),
            Func::Sinh => {
                self.exp_guard(&a.lo().abs())?;
                self.exp_guard(&a.hi().abs())?;
                self.increasing(a, |x, p, rm, cc| x.sinh(p, rm, cc))
            }
            Func::Cosh => self.cosh(a),
            Func::Tanh => {
                let r = self.increasing(a, |x, p, rm, cc| x.tanh(p, rm, cc))?;
                self.clamp(r, -1, 1)
            }
            Func::Asin | Func::Acos => self.arc(f, a),
            Func::Atan => self.increasing(a, |x, p, rm, cc| x.atan(p, rm, cc)),
            Func::Erf => self.erf(a),
            Func::Abs => self.abs(a),
            Func::Sigmoid => self.at_bounds(a, Arith::sigmoid_at),
            Func::Softplus => self.at_bounds(a, Arith::softplus_at),
        }
    }

    /// A function increasing on the whole interval, from its values at the bounds
    /// (each widened, see [`widen_down`]).
    fn increasing(
        &mut self,
        a: &Interval,
        f: impl Fn(&BigFloat, usize, astro_float::RoundingMode, &mut astro_float::Consts) -> BigFloat,
    ) -> Result<Interval, Fail> {
        let p = self.p;
        let lo = f(a.lo(), p, DOWN, &mut self.consts);
        let hi = f(a.hi(), p, UP, &mut self.consts);
        self.widened(lo, hi)
    }

    /// `r` with its bounds kept within `[lo, hi]`, the function's range: widening
    /// must not make `tanh` exceed 1.
    fn clamp(&self, r: Interval, lo: i64, hi: i64) -> Result<Interval, Fail> {
        let (l, h) = (BigFloat::from_i64(lo, 64), BigFloat::from_i64(hi, 64));
        let a = if lt(r.lo(), &l) { l } else { r.lo().clone() };
        let b = if lt(&h, r.hi()) { h } else { r.hi().clone() };
        self.interval(a, b)
    }

    /// An argument of `exp` whose value no float range holds.
    fn exp_guard(&self, x: &BigFloat) -> Result<(), Fail> {
        if lt(&BigFloat::from_u64(EXP_LIMIT, 64), x) {
            return Err(Fail::unsure("an exponential that overflows"));
        }
        Ok(())
    }

    /// `e^a`. A lower bound far below 0 gives 0 as the least value, which encloses
    /// the tiny true one.
    pub fn exp(&mut self, a: &Interval) -> Result<Interval, Fail> {
        self.exp_guard(a.hi())?;
        let p = self.p;
        let limit = BigFloat::from_u64(EXP_LIMIT, 64).neg();
        let lo = if lt(a.lo(), &limit) {
            BigFloat::from_word(0, 64)
        } else {
            let l = widen_down(a.lo().exp(p, DOWN, &mut self.consts), p);
            if negative(&l) {
                BigFloat::from_word(0, 64)
            } else {
                l
            }
        };
        let top = if lt(a.hi(), &limit) { &limit } else { a.hi() };
        let hi = widen_up(top.exp(p, UP, &mut self.consts), p);
        self.interval(lo, hi)
    }

    /// `ln(a)`: undefined where `a <= 0` everywhere, unsure where only part of it is.
    pub fn ln(&mut self, a: &Interval) -> Result<Interval, Fail> {
        if !positive(a.hi()) {
            return Err(Fail::undefined(
                "the logarithm of a number that is not positive",
            ));
        }
        if !positive(a.lo()) {
            return Err(Fail::unsure("a logarithm of an interval that reaches 0"));
        }
        self.increasing(a, |x, p, rm, cc| x.ln(p, rm, cc))
    }

    /// `cosh(a)`, least at 0.
    fn cosh(&mut self, a: &Interval) -> Result<Interval, Fail> {
        let (small, big) = self.magnitudes(a);
        self.exp_guard(&big)?;
        let p = self.p;
        let lo = widen_down(small.cosh(p, DOWN, &mut self.consts), p);
        let hi = widen_up(big.cosh(p, UP, &mut self.consts), p);
        // cosh is at least 1, whatever the widening did.
        let one = BigFloat::from_word(1, 64);
        let lo = if lt(&lo, &one) { one } else { lo };
        self.interval(lo, hi)
    }

    /// `asin` or `acos`: undefined outside [-1, 1], unsure where the interval
    /// reaches outside it.
    fn arc(&mut self, f: crate::expr::node::Func, a: &Interval) -> Result<Interval, Fail> {
        let one = BigFloat::from_word(1, 64);
        let minus_one = one.neg();
        if lt(&one, a.lo()) || lt(a.hi(), &minus_one) {
            return Err(Fail::undefined(
                "an argument of asin or acos outside [-1, 1]",
            ));
        }
        if lt(a.lo(), &minus_one) || lt(&one, a.hi()) {
            return Err(Fail::unsure(
                "an argument of asin or acos that reaches past [-1, 1]",
            ));
        }
        let p = self.p;
        if f == Func::Asin {
            return self.increasing(a, |x, p, rm, cc| x.asin(p, rm, cc));
        }
        // acos decreases: its least value is at the upper bound.
        let lo = widen_down(a.hi().acos(p, DOWN, &mut self.consts), p);
        let hi = widen_up(a.lo().acos(p, UP, &mut self.consts), p);
        let lo = if negative(&lo) {
            BigFloat::from_word(0, 64)
        } else {
            lo
        };
        self.interval(lo, hi)
    }

    /// The bits to reduce `a` by periods of π with: the working precision, plus the
    /// bits above the binary point of its largest bound, plus a margin; `None` when
    /// the bounds are too large to reduce.
    fn reduction_bits(&self, a: &Interval) -> Option<usize> {
        let e = a
            .lo()
            .exponent()
            .unwrap_or(0)
            .max(a.hi().exponent().unwrap_or(0));
        (e <= REDUCTION_LIMIT).then(|| self.p + e.max(0) as usize + 64)
    }

    /// `a` shifted by `shift` quarter periods and reduced by a whole number of
    /// periods `period` (in multiples of π), at `bits`: an interval whose every
    /// number differs from one of `a`'s, shifted, by a whole number of periods, with
    /// its lower bound near `[0, period*π)`.
    fn reduce(
        &mut self,
        a: &Interval,
        quarter_shift: bool,
        period: u64,
        bits: usize,
    ) -> Result<Interval, Fail> {
        self.with_bits(bits, |a2| a2.reduce_here(a, quarter_shift, period))
    }

    fn reduce_here(
        &mut self,
        a: &Interval,
        quarter_shift: bool,
        period: u64,
    ) -> Result<Interval, Fail> {
        let bits = self.p;
        let pi = self.pi()?;
        let shifted = if quarter_shift {
            let half = self.from_rational(&num_rational::BigRational::new(1.into(), 2.into()))?;
            let half_pi = self.mul(&pi, &half)?;
            self.add(a, &half_pi)?
        } else {
            a.clone()
        };
        let n = self.from_int(period as usize)?;
        let span = self.mul(&pi, &n)?;
        // Any whole k will do: the reduction is exact for every k, since the period
        // is enclosed; k near lo / span only keeps the result small.
        let k = shifted.lo().div(span.lo(), bits, DOWN).floor();
        if k.is_nan() || k.is_inf() {
            return Err(Fail::unsure("a trigonometric argument too large to reduce"));
        }
        let k = self.point(k)?;
        let periods = self.mul(&k, &span)?;
        self.sub(&shifted, &periods)
    }

    /// Whether `m * π / 2`, for some whole `m` in `ms`, may lie in `y` (`y` reduced
    /// near `[0, 2π)`): a possible extremum of sine, or a pole of the tangent.
    fn may_contain(
        &mut self,
        y: &Interval,
        ms: impl Iterator<Item = i64>,
        bits: usize,
    ) -> Result<Vec<i64>, Fail> {
        self.with_bits(bits, |a| a.may_contain_here(y, ms))
    }

    fn may_contain_here(
        &mut self,
        y: &Interval,
        ms: impl Iterator<Item = i64>,
    ) -> Result<Vec<i64>, Fail> {
        let pi = self.pi()?;
        let mut found = Vec::new();
        for m in ms {
            let c = self.from_rational(&num_rational::BigRational::new(m.into(), 2.into()))?;
            let at = self.mul(&pi, &c)?;
            // The point may lie in y unless it is certainly below or above it.
            if !(at.below(y) || y.below(&at)) {
                found.push(m);
            }
        }
        Ok(found)
    }

    /// `sin(a)`, or `cos(a)` as `sin(a + π/2)`.
    fn trig(&mut self, a: &Interval, cosine: bool) -> Result<Interval, Fail> {
        let one = BigFloat::from_word(1, 64);
        let full = self.interval(one.neg(), one.clone())?;
        let Some(bits) = self.reduction_bits(a) else {
            return Ok(full);
        };
        // An interval as wide as a period takes every value.
        let width = a.hi().sub(a.lo(), 64, DOWN);
        if !lt(&width, &BigFloat::from_word(6, 64)) {
            return Ok(full);
        }
        let y = self.reduce(a, cosine, 2, bits)?;
        // y's lower bound is in [0, 2π) give or take rounding, and y is narrower than
        // 6, so its numbers lie in (-1, 13): the extrema there are (2k + 1)π/2 for
        // k from -1 to 3.
        let extrema = self.may_contain(&y, (-1..=7).filter(|m| m % 2 != 0), bits)?;
        let p = self.p;
        let at_lo = y.lo().sin(p, DOWN, &mut self.consts);
        let at_lo_up = y.lo().sin(p, UP, &mut self.consts);
        let at_hi = y.hi().sin(p, DOWN, &mut self.consts);
        let at_hi_up = y.hi().sin(p, UP, &mut self.consts);
        let mut lo = widen_down(if le(&at_lo, &at_hi) { at_lo } else { at_hi }, p);
        let mut hi = widen_up(
            if le(&at_lo_up, &at_hi_up) {
                at_hi_up
            } else {
                at_lo_up
            },
            p,
        );
        for m in extrema {
            // sin((2k + 1)π/2) is 1 for even k and -1 for odd k.
            if (m - 1).rem_euclid(4) == 0 {
                hi = one.clone();
            } else {
                lo = one.neg();
            }
        }
        let r = self.interval(lo, hi)?;
        self.clamp(r, -1, 1)
    }

    /// `tan(a)`: unsure where the interval may hold a pole.
    fn tan(&mut self, a: &Interval) -> Result<Interval, Fail> {
        let Some(bits) = self.reduction_bits(a) else {
            return Err(Fail::unsure("a tangent of an argument too large to reduce"));
        };
        let width = a.hi().sub(a.lo(), 64, DOWN);
        if !lt(&width, &BigFloat::from_word(3, 64)) {
            return Err(Fail::unsure(
                "a tangent over an interval that may hold a pole",
            ));
        }
        let y = self.reduce(a, false, 1, bits)?;
        // y lies in (-1, 7): the poles there are (2k + 1)π/2 for k from -1 to 2.
        let poles = self.may_contain(&y, (-1..=5).filter(|m| m % 2 != 0), bits)?;
        if !poles.is_empty() {
            return Err(Fail::unsure("a tangent near a pole"));
        }
        self.increasing(&y, |x, p, rm, cc| x.tan(p, rm, cc))
    }

    /// An increasing function from its enclosures at the two bounds, each bound
    /// taken as one number: `sigmoid` and `softplus` choose a form by the sign of the
    /// number, which a whole interval does not have.
    fn at_bounds(
        &mut self,
        a: &Interval,
        f: fn(&mut Arith, &Interval) -> Result<Interval, Fail>,
    ) -> Result<Interval, Fail> {
        let lo = self.point(a.lo().clone())?;
        let hi = self.point(a.hi().clone())?;
        let at_lo = f(self, &lo)?;
        let at_hi = f(self, &hi)?;
        self.interval(at_lo.lo().clone(), at_hi.hi().clone())
    }

    /// `sigmoid(x) = 1/(1 + e^-x)` at one number, in the form that does not overflow.
    fn sigmoid_at(&mut self, x: &Interval) -> Result<Interval, Fail> {
        let one = self.from_int(1)?;
        if negative(x.lo()) {
            // e^x / (1 + e^x), whose exponential cannot overflow.
            let t = self.exp(x)?;
            let d = self.add(&one, &t)?;
            self.div(&t, &d)
        } else {
            let m = self.neg(x);
            let t = self.exp(&m)?;
            let d = self.add(&one, &t)?;
            self.recip(&d)
        }
    }

    /// `softplus(x) = ln(1 + e^x)` at one number, in the form that does not overflow.
    fn softplus_at(&mut self, x: &Interval) -> Result<Interval, Fail> {
        if positive(x.lo()) {
            // x + ln(1 + e^-x), whose exponential cannot overflow.
            let m = self.neg(x);
            let t = self.exp(&m)?;
            let l = self.ln_one_plus(&t)?;
            self.add(x, &l)
        } else {
            let t = self.exp(x)?;
            self.ln_one_plus(&t)
        }
    }

    /// `ln(1 + t)` for `t >= 0`. For a small `t` (at most 1/256), from its alternating
    /// series `t - t^2/2 + t^3/3 - ...`, taken until the next term is below the working
    /// precision relative to `t` and bounded by that term: this keeps the relative
    /// precision that `1 + t` would round away, and the enclosure narrows as the
    /// precision grows (two terms alone would leave a width of `t^2/2` at any
    /// precision, too wide to tell `ln(1 - sigmoid(x))` from `-softplus(x)`).
    fn ln_one_plus(&mut self, t: &Interval) -> Result<Interval, Fail> {
        let small = BigFloat::from_word(1, 64).div(&BigFloat::from_word(256, 64), 64, DOWN);
        if le(t.hi(), &small) {
            // Each term is at most 1/256 of the one before: 8 bits a term.
            let terms = self.precision() / 8 + 2;
            let mut power = t.clone();
            let mut sum = t.clone();
            for k in 2..=terms {
                power = self.mul(&power, t)?;
                let term = self.div(&power, &self.from_int(k)?)?;
                sum = if k % 2 == 0 {
                    self.sub(&sum, &term)?
                } else {
                    self.add(&sum, &term)?
                };
            }
            // The rest of an alternating series with shrinking terms is at most its
            // first term in magnitude.
            let next = self.mul(&power, t)?;
            let rest = self.div(&next, &self.from_int(terms + 1)?)?;
            let lo = sum.lo().sub(rest.hi(), self.precision(), DOWN);
            let hi = sum.hi().add(rest.hi(), self.precision(), UP);
            // ln(1 + t) is at least 0 and at most t for t >= 0.
            let lo = if negative(&lo) {
                BigFloat::from_word(0, 64)
            } else {
                lo
            };
            let hi = if le(t.hi(), &hi) { t.hi().clone() } else { hi };
            return self.interval(lo, hi);
        }
        let one = self.from_int(1)?;
        let s = self.add(&one, t)?;
        self.ln(&s)
    }

    /// `b^e` for an exponent that is not an exact integer: `e^(e ln b)` for a
    /// positive base. `whole` says whether the exponent is known to be a whole number
    /// (`Some(true)`), known not to be (`Some(false)`), or neither: a negative base
    /// needs a whole exponent, as the tape's powers require.
    pub fn pow_real(
        &mut self,
        b: &Interval,
        e: &Interval,
        whole: Option<bool>,
    ) -> Result<Interval, Fail> {
        self.tick()?;
        if whole == Some(true) && e.is_point() {
            let n = to_bigint(e.lo()).ok_or_else(|| Fail::unsure("a huge whole exponent"))?;
            return self.pow_int(b, &n);
        }
        if b.is_zero() {
            if positive(e.lo()) {
                return self.from_int(0);
            }
            if negative(e.hi()) {
                return Err(Fail::undefined("0 to a negative power"));
            }
            return Err(Fail::unsure("0 to a power whose sign is unknown"));
        }
        if b.is_negative() && whole == Some(false) {
            return Err(Fail::undefined(
                "a negative base to a power that is not whole",
            ));
        }
        if b.is_positive() {
            let l = self.ln(b)?;
            let x = self.mul(e, &l)?;
            return self.exp(&x);
        }
        if !negative(b.lo()) && positive(e.lo()) {
            // b in [0, hi] with a positive exponent: from 0 up to the largest of the
            // powers of hi.
            let top = self.point(b.hi().clone())?;
            let l = self.ln(&top)?;
            let x = self.mul(e, &l)?;
            let at_top = self.exp(&x)?;
            return self.interval(BigFloat::from_word(0, 64), at_top.hi().clone());
        }
        Err(Fail::unsure("a power whose base may be 0 or negative"))
    }

    /// `erf(a)`, increasing: the enclosures at the two bounds.
    fn erf(&mut self, a: &Interval) -> Result<Interval, Fail> {
        let lo = self.erf_at(a.lo())?;
        let hi = self.erf_at(a.hi())?;
        let r = self.interval(lo.lo().clone(), hi.hi().clone())?;
        self.clamp(r, -1, 1)
    }

    /// `erf(x)` at one number, enclosed. erf is odd, so only `|x|` is summed.
    fn erf_at(&mut self, x: &BigFloat) -> Result<Interval, Fail> {
        if x.is_zero() {
            return self.from_int(0);
        }
        let ax = self.point(x.abs())?;
        // Where e^-x^2 is below 2^-(p + 10), the tail bound alone is precise enough:
        // 1 - e^-x^2/(x sqrt(pi)) <= erf(x) <= 1.
        let square = self.mul(&ax, &ax)?;
        let threshold = BigFloat::from_u64((self.p as u64 + 10) * 7 / 10 + 1, 64);
        let r = if lt(&threshold, square.lo()) {
            self.erf_tail(&ax, &square)?
        } else {
            self.erf_series(&ax, &square)?
        };
        if negative(x) { Ok(self.neg(&r)) } else { Ok(r) }
    }

    /// `1 - e^-x^2/(x sqrt(pi)) <= erf(x) <= 1` for `x > 0`: erfc(x) is below
    /// `e^-x^2/(x sqrt(pi))` and above 0.
    fn erf_tail(&mut self, x: &Interval, square: &Interval) -> Result<Interval, Fail> {
        let m = self.neg(square);
        let t = self.exp(&m)?;
        let pi = self.pi()?;
        let root = self.sqrt(&pi)?;
        let d = self.mul(x, &root)?;
        let bound = self.div(&t, &d)?;
        let one = self.from_int(1)?;
        let lo = self.sub(&one, &bound)?;
        self.interval(lo.lo().clone(), BigFloat::from_word(1, 64))
    }

    /// `erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))` for `x > 0`, in
    /// interval arithmetic at enough extra bits for the cancellation (the terms grow
    /// to about `e^(x^2)` before they shrink). Once `n >= x^2` the terms shrink in
    /// size and alternate in sign, so what the sum leaves out is at most the first
    /// term left out.
    fn erf_series(&mut self, x: &Interval, square: &Interval) -> Result<Interval, Fail> {
        let p = self.p;
        let x2 = crate::numeric::precise::interval::to_f64(square.hi()).max(0.0);
        let extra = (x2 * 1.45) as usize + 64;
        let bits = p + extra;
        let r = self.with_bits(bits, |a| a.erf_series_at(x, square, x2))?;
        // Back to the working precision, outwards.
        let mut lo = r.lo().clone();
        let mut hi = r.hi().clone();
        lo.set_precision(p, DOWN)
            .map_err(|_| Fail::unsure("erf: rounding a bound failed"))?;
        hi.set_precision(p, UP)
            .map_err(|_| Fail::unsure("erf: rounding a bound failed"))?;
        self.interval(lo, hi)
    }

    fn erf_series_at(
        &mut self,
        x: &Interval,
        square: &Interval,
        x2: f64,
    ) -> Result<Interval, Fail> {
        let tiny = {
            let mut t = BigFloat::from_word(1, 64);
            t.set_exponent(-(self.p as i32) - 8);
            t
        };
        // term = x^(2n+1)/n!, signed; the sum adds term/(2n+1).
        let mut term = x.clone();
        let mut sum = x.clone();
        let mut n: usize = 0;
        loop {
            n += 1;
            let k = self.from_int(n)?;
            let t = self.mul(&term, square)?;
            let t = self.div(&t, &k)?;
            term = self.neg(&t);
            let odd = self.from_int(2 * n + 1)?;
            let piece = self.div(&term, &odd)?;
            let (_, size) = self.magnitudes(&piece);
            if n as f64 >= x2 && lt(&size, &tiny) {
                // The first term left out bounds the rest of the sum.
                let next = self.mul(&term, square)?;
                let k = self.from_int(n + 1)?;
                let next = self.div(&next, &k)?;
                let odd = self.from_int(2 * n + 3)?;
                let next = self.div(&next, &odd)?;
                let (_, bound) = self.magnitudes(&next);
                let both = self.interval(bound.neg(), bound)?;
                sum = self.add(&sum, &piece)?;
                sum = self.add(&sum, &both)?;
                break;
            }
            sum = self.add(&sum, &piece)?;
            if n > 1 << 20 {
                return Err(Fail::unsure("erf: the series did not converge"));
            }
        }
        let pi = self.pi()?;
        let root = self.sqrt(&pi)?;
        let two = self.from_int(2)?;
        let c = self.div(&two, &root)?;
        self.mul(&c, &sum)
    }
}

/// A float that is a whole number, as an integer; `None` when it is not finite or
/// not whole, or too large to write out.
pub(crate) fn to_bigint(x: &BigFloat) -> Option<BigInt> {
    if x.is_nan() || x.is_inf() || !x.is_int() {
        return None;
    }
    if x.is_zero() {
        return Some(BigInt::from(0));
    }
    let (words, _, sign, exponent, _) = x.as_raw_parts()?;
    if exponent > 1 << 20 {
        return None;
    }
    // The value is 0.m times 2^exponent: m read as an integer of 64 * len bits,
    // shifted down by the bits below the binary point.
    let digits: Vec<u32> = words
        .iter()
        .flat_map(|&d| [d as u32, (d >> 32) as u32])
        .collect();
    let m = num_bigint::BigUint::from_slice(&digits);
    let total = (words.len() * 64) as i64;
    let shift = total - exponent as i64;
    let magnitude = if shift >= 0 {
        m >> (shift as usize)
    } else {
        m << ((-shift) as usize)
    };
    let n = BigInt::from(magnitude);
    Some(match sign {
        astro_float::Sign::Neg => -n,
        astro_float::Sign::Pos => n,
    })
}
