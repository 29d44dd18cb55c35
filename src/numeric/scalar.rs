//! The number types the compiled evaluator runs over: `f64`, `f32`, complex numbers and
//! dual numbers.
//!
//! [`Scalar`] is what the tape needs of a number: arithmetic, the builtin functions, and
//! the real part (to decide domain errors and kinks). Complex numbers carry the
//! complex-step derivative `Im f(x + ih) / h`; dual numbers `a + b*eps` with `eps^2 = 0`
//! carry forward-mode derivatives. The two oracles share no derivative table: complex
//! numbers evaluate each builtin genuinely in complex arithmetic
//! (`numeric::complex_table`), and dual numbers apply their own table of derivatives
//! (`Dual::apply`), so that a wrong entry in one shows as a disagreement with the
//! other. [`BoundedDual`] is a dual number that also carries a bound on its rounding,
//! which sets how closely a claim must match it, and [`Branches`] records which side
//! of each `abs` a computation took, to find kinks.

use std::fmt::Debug;

use crate::expr::node::Func;
use crate::numeric::bounds::Rounding;

/// A number the tape can run over.
pub trait Scalar: Copy + Debug + PartialEq {
    /// The number with this real value.
    fn from_f64(x: f64) -> Self;
    /// The real part (the value, for a dual number).
    fn re(self) -> f64;
    /// Sum.
    fn add(self, o: Self) -> Self;
    /// Difference.
    fn sub(self, o: Self) -> Self;
    /// Product.
    fn mul(self, o: Self) -> Self;
    /// Quotient.
    fn div(self, o: Self) -> Self;
    /// An integer power.
    fn powi(self, n: i32) -> Self;
    /// A real power of any number; a general power.
    fn pow(self, e: Self) -> Self;
    /// The square root.
    fn sqrt(self) -> Self;
    /// A builtin function.
    fn apply(self, f: Func) -> Self;
    /// Whether every part of the number is finite.
    fn is_finite(self) -> bool;

    /// The rounding error of `a + b`, given their rounded `sum`, for compensated
    /// summation. Only `f64` tracks it: the other types are derivative carriers or
    /// deliberately low precision, and their sums stay plain (the error is zero).
    fn sum_error(a: Self, b: Self, sum: Self) -> Self {
        let _ = (a, b, sum);
        Self::from_f64(0.0)
    }

    /// The product of `factors` taken in order from 1, each multiplying (`false`) or
    /// dividing (`true`). `f64` overrides it so that intermediate products of tiny or
    /// huge factors neither underflow nor overflow when the result is representable.
    fn product<I: Iterator<Item = (Self, bool)> + Clone>(factors: I) -> Self {
        factors.fold(Self::from_f64(1.0), |acc, (x, divide)| {
            if divide { acc.div(x) } else { acc.mul(x) }
        })
    }

    /// A power of a negative base by a whole exponent `e`. The exponent's own
    /// perturbation is dropped: the power has no real derivative in it there.
    fn pow_whole(self, e: f64) -> Self {
        self.powi(e as i32)
    }

    /// Whether, in a `max` (`largest`) or `min` reduction, this number replaces the
    /// one held when their values are equal. By default the first stays, as `argmax`
    /// names it; a one-sided derivative follows the tied element that moves the
    /// reduction most in its direction.
    fn replaces_tie(self, held: Self, largest: bool) -> bool {
        let _ = (held, largest);
        false
    }
}

impl Scalar for f64 {
    fn from_f64(x: f64) -> Self {
        x
    }
    fn re(self) -> f64 {
        self
    }
    fn add(self, o: Self) -> Self {
        self + o
    }
    fn sub(self, o: Self) -> Self {
        self - o
    }
    fn mul(self, o: Self) -> Self {
        self * o
    }
    fn div(self, o: Self) -> Self {
        self / o
    }
    fn powi(self, n: i32) -> Self {
        f64::powi(self, n)
    }
    fn pow(self, e: Self) -> Self {
        self.powf(e)
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn apply(self, f: Func) -> Self {
        f.apply(self)
    }
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    fn sum_error(a: Self, b: Self, sum: Self) -> Self {
        crate::numeric::sum::neumaier_error(a, b, sum)
    }
    fn product<I: Iterator<Item = (Self, bool)> + Clone>(factors: I) -> Self {
        crate::numeric::sum::scaled_product(factors)
    }
    fn pow_whole(self, e: f64) -> Self {
        // `powf` handles a negative base with a whole exponent, and stays correctly
        // signed for exponents beyond `i32`.
        self.powf(e)
    }
}

/// Single precision, for checking code that trains in float32: every operation rounds
/// to `f32`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct F32(pub f32);

impl Scalar for F32 {
    fn from_f64(x: f64) -> Self {
        F32(x as f32)
    }
    fn re(self) -> f64 {
        f64::from(self.0)
    }
    fn add(self, o: Self) -> Self {
        F32(self.0 + o.0)
    }
    fn sub(self, o: Self) -> Self {
        F32(self.0 - o.0)
    }
    fn mul(self, o: Self) -> Self {
        F32(self.0 * o.0)
    }
    fn div(self, o: Self) -> Self {
        F32(self.0 / o.0)
    }
    fn powi(self, n: i32) -> Self {
        F32(self.0.powi(n))
    }
    fn pow(self, e: Self) -> Self {
        F32(self.0.powf(e.0))
    }
    fn sqrt(self) -> Self {
        F32(self.0.sqrt())
    }
    fn apply(self, f: Func) -> Self {
        F32(f.apply(f64::from(self.0)) as f32)
    }
    fn is_finite(self) -> bool {
        self.0.is_finite()
    }
}

/// A complex number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Complex {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

impl Complex {
    /// `re + i im`.
    pub fn new(re: f64, im: f64) -> Complex {
        Complex { re, im }
    }
}

impl Scalar for Complex {
    fn from_f64(x: f64) -> Self {
        Complex::new(x, 0.0)
    }
    fn re(self) -> f64 {
        self.re
    }
    fn add(self, o: Self) -> Self {
        Complex::new(self.re + o.re, self.im + o.im)
    }
    fn sub(self, o: Self) -> Self {
        Complex::new(self.re - o.re, self.im - o.im)
    }
    fn mul(self, o: Self) -> Self {
        Complex::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
    fn div(self, o: Self) -> Self {
        // Smith's algorithm, which avoids overflow in the denominator.
        if o.re.abs() >= o.im.abs() {
            let r = o.im / o.re;
            let d = o.re + o.im * r;
            Complex::new((self.re + self.im * r) / d, (self.im - self.re * r) / d)
        } else {
            let r = o.re / o.im;
            let d = o.re * r + o.im;
            Complex::new((self.re * r + self.im) / d, (self.im * r - self.re) / d)
        }
    }
    fn powi(self, n: i32) -> Self {
        let mut base = if n < 0 {
            Complex::from_f64(1.0).div(self)
        } else {
            self
        };
        let mut k = n.unsigned_abs();
        let mut acc = Complex::from_f64(1.0);
        while k > 0 {
            if k & 1 == 1 {
                acc = acc.mul(base);
            }
            base = base.mul(base);
            k >>= 1;
        }
        acc
    }
    fn pow(self, e: Self) -> Self {
        if self.re == 0.0 && self.im == 0.0 {
            return Complex::from_f64(if e.re > 0.0 { 0.0 } else { f64::INFINITY });
        }
        e.mul(self.ln()).exp()
    }
    fn sqrt(self) -> Self {
        // The stable form: the small part is computed by division, not by cancellation,
        // so a tiny imaginary part survives (as the complex step needs).
        let r = self.re.hypot(self.im);
        if r == 0.0 {
            return Complex::from_f64(0.0);
        }
        if self.re >= 0.0 {
            let t = ((r + self.re) / 2.0).sqrt();
            Complex::new(t, self.im / (2.0 * t))
        } else {
            let t = ((r - self.re) / 2.0).sqrt();
            Complex::new(self.im.abs() / (2.0 * t), t.copysign(self.im))
        }
    }
    fn apply(self, f: Func) -> Self {
        // The complex table, written apart from the dual numbers' (complex_table.rs).
        self.apply_func(f)
    }
    fn is_finite(self) -> bool {
        self.re.is_finite() && self.im.is_finite()
    }
}

/// A dual number `value + derivative * eps`, with `eps^2 = 0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dual {
    /// The value.
    pub value: f64,
    /// The derivative carried along.
    pub derivative: f64,
}

impl Dual {
    /// `value + derivative * eps`.
    pub fn new(value: f64, derivative: f64) -> Dual {
        Dual { value, derivative }
    }

    fn chain(self, f: f64, df: f64) -> Dual {
        Dual::new(f, df * self.derivative)
    }
}

impl Scalar for Dual {
    fn from_f64(x: f64) -> Self {
        Dual::new(x, 0.0)
    }
    fn re(self) -> f64 {
        self.value
    }
    fn add(self, o: Self) -> Self {
        Dual::new(self.value + o.value, self.derivative + o.derivative)
    }
    fn sub(self, o: Self) -> Self {
        Dual::new(self.value - o.value, self.derivative - o.derivative)
    }
    fn mul(self, o: Self) -> Self {
        Dual::new(
            self.value * o.value,
            self.derivative * o.value + self.value * o.derivative,
        )
    }
    fn div(self, o: Self) -> Self {
        let q = self.value / o.value;
        Dual::new(q, (self.derivative - q * o.derivative) / o.value)
    }
    fn powi(self, n: i32) -> Self {
        if n == 0 {
            return Dual::from_f64(1.0);
        }
        let p = self.value.powi(n - 1);
        Dual::new(p * self.value, f64::from(n) * p * self.derivative)
    }
    fn pow(self, e: Self) -> Self {
        let v = self.value.powf(e.value);
        let mut d = 0.0;
        if self.derivative != 0.0 {
            d += e.value * self.value.powf(e.value - 1.0) * self.derivative;
        }
        if e.derivative != 0.0 {
            d += v * self.value.ln() * e.derivative;
        }
        Dual::new(v, d)
    }
    fn sqrt(self) -> Self {
        let s = self.value.sqrt();
        Dual::new(s, self.derivative / (2.0 * s))
    }
    fn apply(self, f: Func) -> Self {
        let x = self.value;
        let v = f.apply(x);
        let d = match f {
            Func::Exp => v,
            Func::Ln => 1.0 / x,
            Func::Sin => x.cos(),
            Func::Cos => -x.sin(),
            Func::Tan => 1.0 + v * v,
            Func::Sinh => x.cosh(),
            Func::Cosh => x.sinh(),
            // 1/cosh^2 rather than 1 - tanh^2, which cancels near saturation.
            Func::Tanh => {
                let c = x.cosh();
                1.0 / (c * c)
            }
            // (1 - x)(1 + x) keeps its digits near |x| = 1, where 1 - x^2 cancels.
            Func::Asin => 1.0 / ((1.0 - x) * (1.0 + x)).sqrt(),
            Func::Acos => -1.0 / ((1.0 - x) * (1.0 + x)).sqrt(),
            Func::Atan => 1.0 / (1.0 + x * x),
            Func::Erf => 2.0 / std::f64::consts::PI.sqrt() * (-x * x).exp(),
            Func::Abs => {
                if x < 0.0 {
                    -1.0
                } else {
                    1.0
                }
            }
            // sigmoid(x) sigmoid(-x) rather than v (1 - v), which cancels for large x.
            Func::Sigmoid => v * Func::Sigmoid.apply(-x),
            Func::Softplus => Func::Sigmoid.apply(x),
        };
        self.chain(v, d)
    }
    fn is_finite(self) -> bool {
        self.value.is_finite() && self.derivative.is_finite()
    }
}

/// A dual number with a first-order bound on the rounding of its value and of its
/// derivative (running error analysis, as `numeric::bounds::Rounding` does for
/// values), in units of the unit roundoff of `f64`. Its dual part is exactly what
/// [`Dual`] computes, so the dual-number oracle and its bound come from one run. The
/// bound is the condition estimate that `check` ties its tolerance to: a derivative
/// computed through cancelling terms carries their size, not its own.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoundedDual {
    /// The dual number.
    pub dual: Dual,
    /// The bound on the value's rounding, in units of the unit roundoff.
    pub value_error: f64,
    /// The bound on the derivative's rounding, in units of the unit roundoff.
    pub error: f64,
}

impl BoundedDual {
    fn new(dual: Dual, value_error: f64, error: f64) -> BoundedDual {
        BoundedDual {
            dual,
            value_error,
            error,
        }
    }

    /// Whether this is an exact zero: adding it rounds nothing (the compensated sums'
    /// zero corrections add it often).
    fn is_exact_zero(self) -> bool {
        self.dual.value == 0.0 && self.dual.derivative == 0.0 && self.value_error == 0.0
    }

    /// The sum or difference (`sign` -1), each part rounded once.
    fn plus(self, o: Self, sign: f64) -> Self {
        if o.is_exact_zero() {
            return self;
        }
        let d = if sign > 0.0 {
            self.dual.add(o.dual)
        } else {
            self.dual.sub(o.dual)
        };
        if self.is_exact_zero() {
            return BoundedDual::new(d, o.value_error, o.error);
        }
        BoundedDual::new(
            d,
            self.value_error + o.value_error + d.value.abs(),
            self.error + o.error + d.derivative.abs(),
        )
    }
}

/// How many roundings a library function's value carries: a math library is accurate
/// to about an ulp, `erf` and the inverse trigonometric functions to a few.
fn library_ulps(f: Func) -> f64 {
    match f {
        Func::Abs => 0.0,
        Func::Exp | Func::Ln => 1.0,
        _ => 2.0,
    }
}

impl Scalar for BoundedDual {
    fn from_f64(x: f64) -> Self {
        BoundedDual::new(Dual::from_f64(x), 0.0, 0.0)
    }
    fn re(self) -> f64 {
        self.dual.value
    }
    fn add(self, o: Self) -> Self {
        self.plus(o, 1.0)
    }
    fn sub(self, o: Self) -> Self {
        self.plus(o, -1.0)
    }
    fn mul(self, o: Self) -> Self {
        let d = self.dual.mul(o.dual);
        let (a, b) = (self.dual, o.dual);
        let value_error =
            b.value.abs() * self.value_error + a.value.abs() * o.value_error + d.value.abs();
        // Both products of the product rule round, and so does their sum; each factor's
        // error moves them by the other factor.
        let error = b.value.abs() * self.error
            + a.value.abs() * o.error
            + a.derivative.abs() * o.value_error
            + b.derivative.abs() * self.value_error
            + (a.derivative * b.value).abs()
            + (a.value * b.derivative).abs()
            + d.derivative.abs();
        BoundedDual::new(d, value_error, error)
    }
    fn div(self, o: Self) -> Self {
        let d = self.dual.div(o.dual);
        let (a, b) = (self.dual, o.dual);
        let q = d.value;
        let den = b.value.abs();
        let value_error = (self.value_error + q.abs() * o.value_error) / den + q.abs();
        let numerator = a.derivative - q * b.derivative;
        let error = (self.error
            + q.abs() * o.error
            + b.derivative.abs() * value_error
            + (q * b.derivative).abs()
            + numerator.abs())
            / den
            + d.derivative.abs() * (o.value_error / den + 1.0);
        BoundedDual::new(d, value_error, error)
    }
    fn powi(self, n: i32) -> Self {
        let d = self.dual.powi(n);
        if n == 0 {
            return BoundedDual::new(d, 0.0, 0.0);
        }
        let x = self.dual.value;
        let steps = f64::from(n.unsigned_abs().max(2)).log2().ceil();
        let slope = f64::from(n) * x.powi(n - 1);
        let curve = f64::from(n) * f64::from(n - 1) * x.powi(n - 2) * self.dual.derivative;
        let value_error = slope.abs() * self.value_error + steps * d.value.abs();
        let error = slope.abs() * self.error
            + curve.abs() * self.value_error
            + (steps + 2.0) * d.derivative.abs();
        BoundedDual::new(d, value_error, error)
    }
    fn pow(self, e: Self) -> Self {
        let d = self.dual.pow(e.dual);
        let (x, p) = (self.dual.value, e.dual.value);
        let (dx, dp) = (self.dual.derivative, e.dual.derivative);
        let v = d.value;
        let ln = x.ln();
        let slope_x = p * x.powf(p - 1.0);
        let slope_p = v * ln;
        let value_error =
            slope_x.abs() * self.value_error + slope_p.abs() * e.value_error + 2.0 * v.abs();
        // The derivative's own slopes in the base and the exponent, for the errors the
        // two carry in.
        let mut by_x = 0.0;
        let mut by_p = 0.0;
        if dx != 0.0 {
            by_x += p * (p - 1.0) * x.powf(p - 2.0) * dx;
            by_p += x.powf(p - 1.0) * (1.0 + p * ln) * dx;
        }
        if dp != 0.0 {
            by_x += (slope_x * ln + v / x) * dp;
            by_p += v * ln * ln * dp;
        }
        let error = slope_x.abs() * self.error
            + slope_p.abs() * e.error
            + by_x.abs() * self.value_error
            + by_p.abs() * e.value_error
            + 4.0 * d.derivative.abs();
        BoundedDual::new(d, value_error, error)
    }
    fn sqrt(self) -> Self {
        let d = self.dual.sqrt();
        let s = d.value;
        let value_error = self.value_error / (2.0 * s) + s;
        let error = self.error / (2.0 * s)
            + d.derivative.abs() * self.value_error / (2.0 * self.dual.value.abs())
            + 2.0 * d.derivative.abs();
        BoundedDual::new(d, value_error, error)
    }
    fn apply(self, f: Func) -> Self {
        let d = self.dual.apply(f);
        let x = self.dual.value;
        let slope = Dual::new(x, 1.0).apply(f).derivative;
        // How much the slope moves over the value's error: a central difference of the
        // slope across it (at least a few ulps wide, so that it is not all rounding).
        let width = (self.value_error * f64::EPSILON / 2.0)
            .max(4.0 * f64::EPSILON * x.abs())
            .max(f64::MIN_POSITIVE);
        let curve = if self.value_error == 0.0 || self.dual.derivative == 0.0 {
            0.0
        } else {
            let up = Dual::new(x + width, 1.0).apply(f).derivative;
            let down = Dual::new(x - width, 1.0).apply(f).derivative;
            (up - down) / (2.0 * width)
        };
        let value_error = slope.abs() * self.value_error + library_ulps(f) * d.value.abs();
        let error = slope.abs() * self.error
            + curve.abs() * self.dual.derivative.abs() * self.value_error
            + (library_ulps(f) + 2.0) * d.derivative.abs();
        BoundedDual::new(d, value_error, error)
    }
    fn is_finite(self) -> bool {
        self.dual.is_finite()
    }
}

/// A value and a record of the branches its computation took: a hash of the side of 0
/// each `abs` argument on the way fell on, and whether any of them was exactly 0. Runs
/// at two points with different records sit on different sides of a kink, which
/// `check` then finds by bisection; a record that says an argument was exactly 0
/// marks a point where gauge's derivative of `abs` (`u/abs(u)`) is undefined even when
/// the function, whose argument is 0 all around, is smooth there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Branches {
    /// The value, in `f64`.
    pub value: f64,
    /// The hash of the branches taken (0 where no `abs` was met).
    pub record: u64,
    /// Whether an `abs` on the way had an argument of exactly 0.
    pub at_zero: bool,
}

impl Branches {
    fn joined(self, o: Self, value: f64) -> Branches {
        // The structure of a tape is the same at every point, so an order-dependent
        // mix of the operands' records is a function of the branches alone.
        let record = if self.record == 0 && o.record == 0 {
            0
        } else {
            mix(self.record.rotate_left(17) ^ o.record)
        };
        Branches {
            value,
            record,
            at_zero: self.at_zero || o.at_zero,
        }
    }

    fn unary(self, value: f64) -> Branches {
        Branches { value, ..self }
    }
}

/// SplitMix64's finalizer: a bijection that spreads every input bit.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Scalar for Branches {
    fn from_f64(x: f64) -> Self {
        Branches {
            value: x,
            record: 0,
            at_zero: false,
        }
    }
    fn re(self) -> f64 {
        self.value
    }
    fn add(self, o: Self) -> Self {
        self.joined(o, self.value + o.value)
    }
    fn sub(self, o: Self) -> Self {
        self.joined(o, self.value - o.value)
    }
    fn mul(self, o: Self) -> Self {
        self.joined(o, self.value * o.value)
    }
    fn div(self, o: Self) -> Self {
        self.joined(o, self.value / o.value)
    }
    fn powi(self, n: i32) -> Self {
        self.unary(self.value.powi(n))
    }
    fn pow(self, e: Self) -> Self {
        self.joined(e, self.value.powf(e.value))
    }
    fn sqrt(self) -> Self {
        self.unary(self.value.sqrt())
    }
    fn apply(self, f: Func) -> Self {
        let value = f.apply(self.value);
        if f != Func::Abs {
            return self.unary(value);
        }
        let side = if self.value < 0.0 { 1 } else { 2 };
        Branches {
            value,
            record: mix(self.record ^ side),
            at_zero: self.at_zero || self.value == 0.0,
        }
    }
    fn is_finite(self) -> bool {
        self.value.is_finite()
    }
}

/// A running error bound ([`Rounding`]) for a computation whose inputs and constants
/// are rounded too, as a claim evaluated in single precision reads the point in
/// `f32`: each number enters carrying one rounding of itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InputRounded(pub Rounding);

impl Scalar for InputRounded {
    fn from_f64(x: f64) -> Self {
        InputRounded(Rounding {
            value: x,
            error: x.abs(),
        })
    }
    fn re(self) -> f64 {
        self.0.value
    }
    fn add(self, o: Self) -> Self {
        InputRounded(self.0.add(o.0))
    }
    fn sub(self, o: Self) -> Self {
        InputRounded(self.0.sub(o.0))
    }
    fn mul(self, o: Self) -> Self {
        InputRounded(self.0.mul(o.0))
    }
    fn div(self, o: Self) -> Self {
        InputRounded(self.0.div(o.0))
    }
    fn powi(self, n: i32) -> Self {
        InputRounded(self.0.powi(n))
    }
    fn pow(self, e: Self) -> Self {
        InputRounded(self.0.pow(e.0))
    }
    fn sqrt(self) -> Self {
        InputRounded(self.0.sqrt())
    }
    fn apply(self, f: Func) -> Self {
        InputRounded(self.0.apply(f))
    }
    fn is_finite(self) -> bool {
        self.0.is_finite()
    }
}
