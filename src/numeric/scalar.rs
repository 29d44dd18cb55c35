//! The number types the compiled evaluator runs over: `f64`, `f32`, complex numbers and
//! dual numbers.
//!
//! [`Scalar`] is what the tape needs of a number: arithmetic, the builtin functions, and
//! the real part (to decide domain errors and kinks). Complex numbers carry the
//! complex-step derivative `Im f(x + ih) / h`; dual numbers `a + b*eps` with `eps^2 = 0`
//! carry forward-mode derivatives. For the functions that have no convenient complex
//! form (`erf`, `abs`, `sigmoid`, `softplus`), the complex versions use the first-order
//! expansion `f(a + ib) = f(a) + i b f'(a)`, which is exact for the tiny steps of the
//! complex-step method and keeps it independent of the symbolic engine.

use std::fmt::Debug;

use crate::expr::node::Func;

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

    fn exp(self) -> Complex {
        let m = self.re.exp();
        Complex::new(m * self.im.cos(), m * self.im.sin())
    }

    fn ln(self) -> Complex {
        Complex::new(self.re.hypot(self.im).ln(), self.im.atan2(self.re))
    }

    fn sin(self) -> Complex {
        Complex::new(
            self.re.sin() * self.im.cosh(),
            self.re.cos() * self.im.sinh(),
        )
    }

    fn cos(self) -> Complex {
        Complex::new(
            self.re.cos() * self.im.cosh(),
            -self.re.sin() * self.im.sinh(),
        )
    }

    fn sinh(self) -> Complex {
        Complex::new(
            self.re.sinh() * self.im.cos(),
            self.re.cosh() * self.im.sin(),
        )
    }

    fn cosh(self) -> Complex {
        Complex::new(
            self.re.cosh() * self.im.cos(),
            self.re.sinh() * self.im.sin(),
        )
    }

    /// The first-order expansion f(a) + i b f'(a), for the complex step.
    fn first_order(self, f: f64, df: f64) -> Complex {
        Complex::new(f, self.im * df)
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
        // A complex step: the imaginary part is far below the real part's resolution, so
        // f(a + ib) = f(a) + i b f'(a) to machine precision, and the analytic complex
        // formulas would lose the tiny part where they subtract it from a real one.
        if self.im.abs() <= 1e-150 * self.re.abs().max(1.0) {
            let d = Dual::new(self.re, 1.0).apply(f);
            return Complex::new(d.value, self.im * d.derivative);
        }
        let one = Complex::from_f64(1.0);
        match f {
            Func::Exp => self.exp(),
            Func::Ln => self.ln(),
            Func::Sin => self.sin(),
            Func::Cos => self.cos(),
            Func::Tan => self.sin().div(self.cos()),
            Func::Sinh => self.sinh(),
            Func::Cosh => self.cosh(),
            Func::Tanh => self.sinh().div(self.cosh()),
            Func::Asin => {
                // asin z = -i ln(iz + sqrt(1 - z^2))
                let iz = Complex::new(-self.im, self.re);
                let w = iz.add(one.sub(self.mul(self)).sqrt()).ln();
                Complex::new(w.im, -w.re)
            }
            Func::Acos => {
                let half_pi = Complex::from_f64(std::f64::consts::FRAC_PI_2);
                half_pi.sub(self.apply(Func::Asin))
            }
            Func::Atan => {
                // atan z = (i/2) ln((i + z)/(i - z))
                let i = Complex::new(0.0, 1.0);
                let w = i.add(self).div(i.sub(self)).ln();
                Complex::new(-w.im / 2.0, w.re / 2.0)
            }
            Func::Erf => {
                let d = 2.0 / std::f64::consts::PI.sqrt() * (-self.re * self.re).exp();
                self.first_order(libm::erf(self.re), d)
            }
            Func::Abs => {
                let s = if self.re < 0.0 { -1.0 } else { 1.0 };
                Complex::new(s * self.re, s * self.im)
            }
            Func::Sigmoid => {
                let v = Func::Sigmoid.apply(self.re);
                self.first_order(v, v * (1.0 - v))
            }
            Func::Softplus => {
                self.first_order(Func::Softplus.apply(self.re), Func::Sigmoid.apply(self.re))
            }
        }
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
            Func::Tanh => 1.0 - v * v,
            Func::Asin => 1.0 / (1.0 - x * x).sqrt(),
            Func::Acos => -1.0 / (1.0 - x * x).sqrt(),
            Func::Atan => 1.0 / (1.0 + x * x),
            Func::Erf => 2.0 / std::f64::consts::PI.sqrt() * (-x * x).exp(),
            Func::Abs => {
                if x < 0.0 {
                    -1.0
                } else {
                    1.0
                }
            }
            Func::Sigmoid => v * (1.0 - v),
            Func::Softplus => Func::Sigmoid.apply(x),
        };
        self.chain(v, d)
    }
    fn is_finite(self) -> bool {
        self.value.is_finite() && self.derivative.is_finite()
    }
}
