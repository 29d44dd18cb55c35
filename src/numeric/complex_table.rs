//! The builtin functions in complex arithmetic, for the complex-step oracle.
//!
//! The complex step reads a derivative off `Im f(x + ih)/h`, so it is only as
//! independent as the complex functions it runs through. Each function here is
//! evaluated genuinely in complex arithmetic, written separately from the dual numbers'
//! derivative table (`scalar.rs`) and from the symbolic engine: a wrong entry in either
//! table then shows as a disagreement between the two oracles (and with finite
//! differences), instead of being copied into both.
//!
//! The step `h = 1e-150` is far below the real part's resolution, so every formula must
//! carry a tiny imaginary part without subtracting it from a real one:
//! - `exp`, `ln`, `sin`, `cos`, `sinh`, `cosh` by their real-and-imaginary-part
//!   formulas; `tan` and `tanh` by forms that divide rather than subtract (and, for
//!   `tanh`, through `expm1`, never overflow nor cancel near 0); `sigmoid` as `1/(1 + exp(-z))` and `softplus` as a
//!   complex `ln(1 + exp(z))`, each on the side where the exponential is small;
//! - `asin`, `acos` and `atan` by complex Newton steps on `sin(w) = z`, `cos(w) = z`
//!   and `tan(w) = z` from the real inverse, each where the forward function is well
//!   conditioned (and elsewhere through `pi/2 - acos(z)`, `pi - acos(-z)`,
//!   `pi/2 - atan(1/z)`): the closed forms through `ln` of a number of modulus near 1
//!   lose the imaginary part entirely;
//! - `erf` by Kummer's series `erf(z) = 2/sqrt(pi) e^(-z^2) sum 2^n z^(2n+1)/(2n+1)!!`
//!   (positive terms, no cancellation) for `|Re z| < 2`, and beyond by the continued
//!   fraction of `erfc`;
//! - `abs`, which is not analytic: the real part decides the branch, `abs(z) = z` where
//!   `Re z >= 0` and `-z` where `Re z < 0`, the usual complex-step convention (Martins
//!   et al. 2003). At `Re z = 0` this gives the right derivative, as the dual numbers'
//!   `abs` does; `check` finds kinks by one-sided differences before it asks either.

use crate::expr::node::Func;
use crate::numeric::scalar::{Complex, Scalar};

impl Complex {
    /// The builtin function `f` at this complex number (see the module docs).
    pub fn apply_func(self, f: Func) -> Complex {
        match f {
            Func::Exp => self.exp(),
            Func::Ln => self.ln(),
            Func::Sin => self.sin(),
            Func::Cos => self.cos(),
            Func::Tan => self.tan(),
            Func::Sinh => self.sinh(),
            Func::Cosh => self.cosh(),
            Func::Tanh => self.tanh(),
            Func::Asin => self.asin(),
            Func::Acos => self.acos(),
            Func::Atan => self.atan(),
            Func::Erf => self.erf(),
            Func::Abs => {
                if self.re < 0.0 {
                    Complex::new(-self.re, -self.im)
                } else {
                    self
                }
            }
            Func::Sigmoid => self.sigmoid(),
            Func::Softplus => self.softplus(),
        }
    }

    /// `e^z`.
    pub fn exp(self) -> Complex {
        let m = self.re.exp();
        if self.im == 0.0 {
            // `inf * sin(0)` would be NaN where the real exponential overflows.
            return Complex::new(m, 0.0);
        }
        Complex::new(m * self.im.cos(), m * self.im.sin())
    }

    /// The principal logarithm. Its imaginary part is the argument, which `atan2`
    /// gives to full relative accuracy however small it is.
    pub fn ln(self) -> Complex {
        Complex::new(self.re.hypot(self.im).ln(), self.im.atan2(self.re))
    }

    /// `ln(1 + z)`, accurate where `z` is small: the modulus is taken through
    /// `ln_1p(2 Re z + |z|^2) / 2`, so `softplus` of a very negative number keeps its
    /// value.
    fn ln_1p(self) -> Complex {
        let t = self.re * (2.0 + self.re) + self.im * self.im;
        Complex::new(0.5 * t.ln_1p(), self.im.atan2(1.0 + self.re))
    }

    /// The sine.
    pub fn sin(self) -> Complex {
        Complex::new(
            self.re.sin() * self.im.cosh(),
            self.re.cos() * self.im.sinh(),
        )
    }

    /// The cosine.
    pub fn cos(self) -> Complex {
        Complex::new(
            self.re.cos() * self.im.cosh(),
            -self.re.sin() * self.im.sinh(),
        )
    }

    /// The tangent, `(sin 2a + i sinh 2b)/(cos 2a + cosh 2b)`: one real division per
    /// part, so a tiny `b` survives.
    fn tan(self) -> Complex {
        let (a2, b2) = (2.0 * self.re, 2.0 * self.im);
        let d = a2.cos() + b2.cosh();
        Complex::new(a2.sin() / d, b2.sinh() / d)
    }

    /// The hyperbolic sine.
    pub fn sinh(self) -> Complex {
        Complex::new(
            self.re.sinh() * self.im.cos(),
            self.re.cosh() * self.im.sin(),
        )
    }

    /// The hyperbolic cosine.
    pub fn cosh(self) -> Complex {
        Complex::new(
            self.re.cosh() * self.im.cos(),
            self.re.sinh() * self.im.sin(),
        )
    }

    /// The hyperbolic tangent, `(1 - w)/(1 + w)` with `w = e^(-2z)` on the side where
    /// `|w| <= 1`: it neither overflows at large arguments (where `sinh/cosh` gives
    /// `inf/inf`) nor subtracts the imaginary parts.
    fn tanh(self) -> Complex {
        if self.re < 0.0 {
            let t = Complex::new(-self.re, -self.im).tanh();
            return Complex::new(-t.re, -t.im);
        }
        // (1 - w)/(1 + w) = -m/(2 + m) with m = w - 1 = expm1(-2z): near 0, 1 - w
        // would cancel to a value with few digits left, and every product with it
        // would carry that into its imaginary part.
        let m = Complex::new(-2.0 * self.re, -2.0 * self.im).exp_m1();
        m.neg().div(Complex::from_f64(2.0).add(m))
    }

    /// `e^z - 1`, accurate near 0: `expm1(a) cos(b) - 2 sin(b/2)^2 + i e^a sin(b)`.
    fn exp_m1(self) -> Complex {
        let half = (self.im / 2.0).sin();
        Complex::new(
            self.re.exp_m1() * self.im.cos() - 2.0 * half * half,
            self.re.exp() * self.im.sin(),
        )
    }

    /// The logistic function `1/(1 + e^-z)`, or `e^z/(1 + e^z)` where `Re z < 0`, so
    /// the exponential never overflows.
    fn sigmoid(self) -> Complex {
        let one = Complex::from_f64(1.0);
        if self.re >= 0.0 {
            let w = Complex::new(-self.re, -self.im).exp();
            one.div(one.add(w))
        } else {
            let w = self.exp();
            w.div(one.add(w))
        }
    }

    /// `ln(1 + e^z)`, as `z + ln(1 + e^-z)` where `Re z > 0`.
    fn softplus(self) -> Complex {
        if self.re > 0.0 {
            let w = Complex::new(-self.re, -self.im).exp();
            self.add(w.ln_1p())
        } else {
            self.exp().ln_1p()
        }
    }

    /// Solves `g(w) = z` by complex Newton steps `w -= (g(w) - z)/g'(w)` from the real
    /// inverse `start`, where `step(w)` gives `(g(w), g'(w))`. For the complex step one
    /// step already carries the imaginary part; the loop stops when a step no longer
    /// moves `w`.
    fn solve(self, start: f64, step: impl Fn(Complex) -> (Complex, Complex)) -> Complex {
        let mut w = Complex::from_f64(start);
        for _ in 0..32 {
            let (g, dg) = step(w);
            let delta = g.sub(self).div(dg);
            w = w.sub(delta);
            let size = w.re.abs().max(w.im.abs());
            if delta.re.abs().max(delta.im.abs()) <= 4.0 * f64::EPSILON * size {
                break;
            }
        }
        w
    }

    /// The inverse sine: `sin(w) = z`, whose slope is `cos(w)`, solved for
    /// `0 <= Re z <= 1/2`, where `cos(w)` is near 1; beyond, through `pi/2 - acos(z)`,
    /// whose Newton step divides by `sin(w)` with `w` near 0, which keeps its digits
    /// where `cos(w)` near `pi/2` would not.
    fn asin(self) -> Complex {
        if self.re < 0.0 {
            return self.neg().asin().neg();
        }
        if self.re > 0.5 {
            return Complex::from_f64(std::f64::consts::FRAC_PI_2).sub(self.acos());
        }
        self.solve(self.re.asin(), |w| (w.sin(), w.cos()))
    }

    /// The inverse cosine: `cos(w) = z`, whose slope is `-sin(w)`, solved for
    /// `Re z >= 0` (`w` in `[0, pi/2]`, where `sin(w)` is as accurate as `w`); for
    /// `Re z < 0` as `pi - acos(-z)`.
    fn acos(self) -> Complex {
        if self.re < 0.0 {
            return Complex::from_f64(std::f64::consts::PI).sub(self.neg().acos());
        }
        self.solve(self.re.min(1.0).acos(), |w| (w.cos(), w.sin().neg()))
    }

    /// The inverse tangent: `tan(w) = z`, whose slope is `1 + tan(w)^2`, solved for
    /// `0 <= Re z <= 1`; beyond, as `pi/2 - atan(1/z)`, since near `pi/2` the tangent
    /// is too ill-conditioned to solve for its imaginary part.
    fn atan(self) -> Complex {
        if self.re < 0.0 {
            return self.neg().atan().neg();
        }
        if self.re > 1.0 {
            let inverse = Complex::from_f64(1.0).div(self).atan();
            return Complex::from_f64(std::f64::consts::FRAC_PI_2).sub(inverse);
        }
        self.solve(self.re.atan(), |w| {
            let t = w.tan();
            (t, Complex::from_f64(1.0).add(t.mul(t)))
        })
    }

    fn neg(self) -> Complex {
        Complex::new(-self.re, -self.im)
    }

    /// The error function (see the module docs): odd, so computed for `Re z >= 0`.
    fn erf(self) -> Complex {
        if self.re < 0.0 {
            return self.neg().erf().neg();
        }
        let two_over_root_pi = std::f64::consts::FRAC_2_SQRT_PI;
        let z2 = self.mul(self);
        let gauss = Complex::new(-z2.re, -z2.im).exp();
        if self.re < 2.0 {
            // Kummer's series: every term is 2z^2/(2n + 1) times the last, nearly
            // real and positive near the real axis, so neither part cancels.
            let ratio = z2.mul(Complex::from_f64(2.0));
            let mut term = self;
            let mut sum = self;
            for n in 1..400 {
                term = term.mul(ratio).div(Complex::from_f64(f64::from(2 * n + 1)));
                sum = sum.add(term);
                let size = sum.re.abs().max(sum.im.abs());
                if term.re.abs().max(term.im.abs()) <= 0.25 * f64::EPSILON * size {
                    break;
                }
            }
            return sum.mul(gauss).mul(Complex::from_f64(two_over_root_pi));
        }
        // erfc(z) = e^(-z^2)/sqrt(pi) * 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))),
        // summed from the tail; 120 levels give double precision from |z| = 2 on.
        let mut t = self;
        for k in (1..=120).rev() {
            t = self.add(Complex::from_f64(f64::from(k) / 2.0).div(t));
        }
        let erfc = gauss.div(t).mul(Complex::from_f64(two_over_root_pi / 2.0));
        Complex::from_f64(1.0).sub(erfc)
    }
}
