//! Plain `f64` complex numbers and the calculator's functions over them: the fast,
//! uncertified half of the reference semantics that every EML form is checked against.
//!
//! The semantics are the project's convention (see [`reference`](super::reference)):
//! `ln` is the principal logarithm with its imaginary part in `(-π, π]`, and on its
//! cut, the negative real axis, it takes the upper edge, `ln(-r) = ln r + πi`. The sign
//! of a zero imaginary part is ignored (as in Mathematica and mpmath, unlike C99's
//! signed zeros): `-4 - 0i` is on the cut like `-4 + 0i`. Everything else follows
//! from `ln` and from the stated formulas, so the cuts of `sqrt`, the powers and the
//! inverse functions are decided in the same way.
//!
//! Accuracy. The arithmetic is IEEE's, with Smith's division. `exp`, the circular and
//! hyperbolic functions and `sqrt` use the usual stable component formulas (`tanh` is
//! Kahan's), and keep an exactly real argument exactly real. `ln` takes `ln |z|`
//! through `ln_1p` near the unit circle. The inverse functions follow their
//! logarithmic formulas, with each logarithm's argument `w` replaced by `1/w'` when
//! its partner `w'` (with `w w' = 1`) is the larger, so that neither cancels; an
//! exactly real argument inside the real domain uses the real library function. The
//! results are good to a few units in the last place of the larger component away
//! from the functions' zeros, and to a few units of `f64::EPSILON` absolutely near
//! them; arguments above about `1e150` in magnitude may overflow in the inverse
//! functions, where `z^2` is formed. This is an audit's reference, checked against
//! the certified [`ball`](super::ball) arithmetic; it is not a libm.

use std::f64::consts::{FRAC_PI_2, PI};
use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::expr::node::Func;

/// A complex number in `f64`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct C64 {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

impl C64 {
    /// 0.
    pub const ZERO: C64 = C64 { re: 0.0, im: 0.0 };
    /// 1.
    pub const ONE: C64 = C64 { re: 1.0, im: 0.0 };
    /// The imaginary unit.
    pub const I: C64 = C64 { re: 0.0, im: 1.0 };

    /// `re + im i`.
    pub const fn new(re: f64, im: f64) -> C64 {
        C64 { re, im }
    }

    /// A real number.
    pub const fn real(x: f64) -> C64 {
        C64 { re: x, im: 0.0 }
    }

    /// Whether the imaginary part is 0 (of either sign): the value is exactly real.
    pub fn is_real(self) -> bool {
        self.im == 0.0
    }

    /// Whether the value is exactly 0.
    pub fn is_zero(self) -> bool {
        self.re == 0.0 && self.im == 0.0
    }

    /// Whether both parts are finite.
    pub fn is_finite(self) -> bool {
        self.re.is_finite() && self.im.is_finite()
    }

    /// `|z|`, without overflow in the squares.
    pub fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }

    /// `i z`, exactly.
    pub fn mul_i(self) -> C64 {
        C64::new(-self.im, self.re)
    }

    /// `-i z`, exactly.
    pub fn mul_neg_i(self) -> C64 {
        C64::new(self.im, -self.re)
    }

    /// `z / 2`, exactly (but for underflow).
    pub fn half(self) -> C64 {
        C64::new(self.re / 2.0, self.im / 2.0)
    }

    /// `1 / z`, by Smith's algorithm (no overflow in `|z|^2`).
    pub fn recip(self) -> C64 {
        C64::ONE / self
    }

    /// `z^n` for a whole `n`, as a product (by repeated squaring): exact where the
    /// products are, real for a real `z`, and defined at 0 for `n >= 0` (`0^0` is 1).
    pub fn powi(self, n: i64) -> C64 {
        let mut base = self;
        let mut k = n.unsigned_abs();
        let mut acc = C64::ONE;
        while k > 0 {
            if k & 1 == 1 {
                acc = acc * base;
            }
            k >>= 1;
            if k > 0 {
                base = base * base;
            }
        }
        if n < 0 { acc.recip() } else { acc }
    }

    /// `e^z`. A real `z` gives a real result.
    pub fn exp(self) -> C64 {
        if self.is_real() {
            return C64::real(self.re.exp());
        }
        let r = self.re.exp();
        C64::new(r * self.im.cos(), r * self.im.sin())
    }

    /// The principal `ln z`, its imaginary part in `(-π, π]`: on the negative real
    /// axis (a zero imaginary part of either sign) the upper edge, `+πi`. `ln 0` is
    /// `-∞` (the caller reports it).
    pub fn ln(self) -> C64 {
        let im = if self.is_real() {
            if self.re < 0.0 { PI } else { 0.0 }
        } else {
            self.im.atan2(self.re)
        };
        C64::new(ln_modulus(self.re, self.im), im)
    }

    /// `ln(1 + u)`, principal, accurate for a small `u` (the rounding of `1 + u` is
    /// avoided); on the cut (`1 + u` a negative real) the upper edge.
    pub fn ln_1p(self) -> C64 {
        let (x, y) = (self.re, self.im);
        let one_plus = 1.0 + x;
        if x.abs() > 0.5 || y.abs() > 0.5 {
            return C64::new(one_plus, y).ln();
        }
        // |1 + u|^2 = 1 + (2x + x^2 + y^2), with no rounding of 1 + u.
        let re = 0.5 * (x * (2.0 + x) + y * y).ln_1p();
        let im = if y == 0.0 { 0.0 } else { y.atan2(one_plus) };
        C64::new(re, im)
    }

    /// The principal `sqrt z = exp(ln(z)/2)`, its real part at least 0: on the cut
    /// the upper edge, `sqrt(-4) = 2i`.
    pub fn sqrt(self) -> C64 {
        let (x, y) = (self.re, self.im);
        if self.is_real() {
            return if x >= 0.0 {
                C64::real(x.sqrt())
            } else {
                C64::new(0.0, (-x).sqrt())
            };
        }
        let r = self.abs();
        if x >= 0.0 {
            let t = ((r + x) / 2.0).sqrt();
            C64::new(t, y / (2.0 * t))
        } else {
            let t = ((r - x) / 2.0).sqrt();
            C64::new(y.abs() / (2.0 * t), t.copysign(y))
        }
    }

    /// `z^w = exp(w ln z)`; `0^w` is 0 when `Re w > 0` and NaN (undefined) otherwise.
    pub fn pow(self, w: C64) -> C64 {
        if self.is_zero() {
            return if w.re > 0.0 {
                C64::ZERO
            } else {
                C64::new(f64::NAN, f64::NAN)
            };
        }
        (w * self.ln()).exp()
    }

    /// `sin z = sin x cosh y + i cos x sinh y`.
    pub fn sin(self) -> C64 {
        let (x, y) = (self.re, self.im);
        if self.is_real() {
            return C64::real(x.sin());
        }
        C64::new(x.sin() * y.cosh(), x.cos() * y.sinh())
    }

    /// `cos z = cos x cosh y - i sin x sinh y`.
    pub fn cos(self) -> C64 {
        let (x, y) = (self.re, self.im);
        if self.is_real() {
            return C64::real(x.cos());
        }
        C64::new(x.cos() * y.cosh(), -(x.sin() * y.sinh()))
    }

    /// `tan z = -i tanh(i z)`.
    pub fn tan(self) -> C64 {
        if self.is_real() {
            return C64::real(self.re.tan());
        }
        self.mul_i().tanh().mul_neg_i()
    }

    /// `sinh z = sinh x cos y + i cosh x sin y`.
    pub fn sinh(self) -> C64 {
        let (x, y) = (self.re, self.im);
        if self.is_real() {
            return C64::real(x.sinh());
        }
        C64::new(x.sinh() * y.cos(), x.cosh() * y.sin())
    }

    /// `cosh z = cosh x cos y + i sinh x sin y`.
    pub fn cosh(self) -> C64 {
        let (x, y) = (self.re, self.im);
        if self.is_real() {
            return C64::real(x.cosh());
        }
        C64::new(x.cosh() * y.cos(), x.sinh() * y.sin())
    }

    /// `tanh z`, by Kahan's formula: no overflow for a large real part, and no
    /// cancellation in the imaginary part.
    pub fn tanh(self) -> C64 {
        let (x, y) = (self.re, self.im);
        if self.is_real() {
            return C64::real(x.tanh());
        }
        if x.abs() > 22.0 {
            // tanh is 1 to within e^-44 here, and the imaginary part is
            // 4 sin y cos y e^(-2|x|).
            let im = 4.0 * y.sin() * y.cos() * (-2.0 * x.abs()).exp();
            return C64::new(1f64.copysign(x), im);
        }
        let t = y.tan();
        let beta = 1.0 + t * t;
        let s = x.sinh();
        let rho = (1.0 + s * s).sqrt();
        let d = 1.0 + beta * s * s;
        C64::new(beta * rho * s / d, t / d)
    }

    /// `asin z = -i ln(iz + sqrt(1 - z^2))`.
    pub fn asin(self) -> C64 {
        if self.is_real() && self.re.abs() <= 1.0 {
            return C64::real(self.re.asin());
        }
        let s = ((C64::ONE - self) * (C64::ONE + self)).sqrt();
        let iz = self.mul_i();
        // (s + iz)(s - iz) = s^2 + z^2 = 1.
        larger_of_pair(s + iz, s - iz).ln().mul_neg_i()
    }

    /// `acos z = π/2 - asin z`.
    pub fn acos(self) -> C64 {
        if self.is_real() && self.re.abs() <= 1.0 {
            return C64::real(self.re.acos());
        }
        C64::real(FRAC_PI_2) - self.asin()
    }

    /// `atan z = (i/2)(ln(1 - iz) - ln(1 + iz))`, which is `-i atanh(iz)`.
    pub fn atan(self) -> C64 {
        if self.is_real() {
            return C64::real(self.re.atan());
        }
        self.mul_i().atanh().mul_neg_i()
    }

    /// `asinh z = ln(z + sqrt(z^2 + 1))`.
    pub fn asinh(self) -> C64 {
        if self.is_real() {
            return C64::real(self.re.asinh());
        }
        let iz = self.mul_i();
        // z^2 + 1 = (1 + iz)(1 - iz), without cancellation near z = ±i.
        let s = ((C64::ONE + iz) * (C64::ONE - iz)).sqrt();
        // (s + z)(s - z) = s^2 - z^2 = 1.
        larger_of_pair(s + self, s - self).ln()
    }

    /// `acosh z = ln(z + sqrt(z + 1) sqrt(z - 1))`.
    pub fn acosh(self) -> C64 {
        if self.is_real() && self.re >= 1.0 {
            let x = self.re;
            // ln(1 + (x - 1) + sqrt((x - 1)(x + 1))), exact near x = 1.
            let t = x - 1.0;
            return C64::real((t + (t * (x + 1.0)).sqrt()).ln_1p());
        }
        let q = (self + C64::ONE).sqrt() * (self - C64::ONE).sqrt();
        // (z + q)(z - q) = z^2 - (z + 1)(z - 1) = 1.
        larger_of_pair(self + q, self - q).ln()
    }

    /// `atanh z = (ln(1 + z) - ln(1 - z))/2`.
    pub fn atanh(self) -> C64 {
        if self.is_real() && self.re.abs() < 1.0 {
            return C64::real(self.re.atanh());
        }
        (self.ln_1p() - (-self).ln_1p()).half()
    }

    /// `sigmoid z = 1/(1 + e^-z)`, as `e^z/(1 + e^z)` when `Re z < 0` so that the
    /// exponential does not overflow.
    pub fn sigmoid(self) -> C64 {
        if self.is_real() {
            return C64::real(Func::Sigmoid.apply(self.re));
        }
        if self.re >= 0.0 {
            (C64::ONE + (-self).exp()).recip()
        } else {
            let t = self.exp();
            t / (C64::ONE + t)
        }
    }

    /// `softplus z = ln(1 + e^z)`, principal.
    pub fn softplus(self) -> C64 {
        if self.is_real() {
            return C64::real(Func::Softplus.apply(self.re));
        }
        self.exp().ln_1p()
    }
}

/// `ln |x + iy|`, through `ln_1p` near the unit circle, where `ln` of the rounded
/// modulus would lose the digits of a small result.
fn ln_modulus(x: f64, y: f64) -> f64 {
    let (a, b) = if x.abs() >= y.abs() {
        (x.abs(), y.abs())
    } else {
        (y.abs(), x.abs())
    };
    if (0.5..=2.0).contains(&a) && b < 1.0 {
        // |z|^2 - 1 = (a - 1)(a + 1) + b^2, with a - 1 exact here (Sterbenz).
        return 0.5 * ((a - 1.0) * (a + 1.0) + b * b).ln_1p();
    }
    a.hypot(b).ln()
}

/// Of two numbers whose product is exactly 1, the first as computed, or the reciprocal
/// of the second when the first is the smaller: a sum that cancels is replaced by the
/// reciprocal of the partner that does not.
fn larger_of_pair(w: C64, partner: C64) -> C64 {
    let size = |z: C64| z.re.abs().max(z.im.abs());
    if size(w) < size(partner) {
        partner.recip()
    } else {
        w
    }
}

impl Add for C64 {
    type Output = C64;
    fn add(self, b: C64) -> C64 {
        C64::new(self.re + b.re, self.im + b.im)
    }
}

impl Sub for C64 {
    type Output = C64;
    fn sub(self, b: C64) -> C64 {
        C64::new(self.re - b.re, self.im - b.im)
    }
}

impl Neg for C64 {
    type Output = C64;
    fn neg(self) -> C64 {
        C64::new(-self.re, -self.im)
    }
}

impl Mul for C64 {
    type Output = C64;
    fn mul(self, b: C64) -> C64 {
        // A real factor keeps the other's parts apart: no 0 * ∞ from a missing part.
        if b.is_real() {
            return C64::new(self.re * b.re, self.im * b.re);
        }
        if self.is_real() {
            return C64::new(self.re * b.re, self.re * b.im);
        }
        C64::new(
            self.re * b.re - self.im * b.im,
            self.re * b.im + self.im * b.re,
        )
    }
}

impl Div for C64 {
    type Output = C64;
    /// Smith's algorithm: the larger part of the divisor is divided out first, so
    /// that `|b|^2` is never formed.
    fn div(self, b: C64) -> C64 {
        let (x, y) = (self.re, self.im);
        let (c, d) = (b.re, b.im);
        if d == 0.0 {
            return C64::new(x / c, y / c);
        }
        if c.abs() >= d.abs() {
            let r = d / c;
            let den = c + d * r;
            C64::new((x + y * r) / den, (y - x * r) / den)
        } else {
            let r = c / d;
            let den = c * r + d;
            C64::new((x * r + y) / den, (y * r - x) / den)
        }
    }
}
