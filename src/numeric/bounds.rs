//! Two number types for judging what a program computed, rather than what a formula
//! is: [`Rounding`] carries a bound on the rounding error of evaluating a formula in
//! floating point, and [`OneSided`] carries a one-sided directional derivative, which
//! exists at a kink (`relu` at 0, a tie of `max`) where the derivative does not.
//!
//! `Rounding` is running error analysis (Higham, *Accuracy and Stability of Numerical
//! Algorithms*, ch. 3): alongside each value it carries `error`, a first-order bound
//! on the absolute error of computing that value in a precision with unit roundoff
//! `u`, in units of `u`. Every operation adds its own rounding (the magnitude of its
//! result) to the errors of its operands, propagated by the operation's derivative.
//! Inputs are exact: they are the numbers the program read. A program that computes
//! the same formula in another order has errors of the same order, so a check scales
//! this bound by a safety factor rather than trusting it to the last bit.

use crate::expr::node::Func;
use crate::numeric::scalar::{Dual, Scalar};

/// A value and a bound on its rounding error, in units of the unit roundoff.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rounding {
    /// The value, computed in `f64`.
    pub value: f64,
    /// The first-order error bound, in units of the unit roundoff.
    pub error: f64,
}

impl Rounding {
    fn new(value: f64, error: f64) -> Rounding {
        Rounding { value, error }
    }
}

/// How many roundings a library function's result carries: the elementary functions
/// of a math library are accurate to about one unit in the last place, and `erf` and
/// the inverse trigonometric functions to a few.
fn library_roundings(f: Func) -> f64 {
    match f {
        Func::Abs => 0.0,
        Func::Exp | Func::Ln => 1.0,
        _ => 2.0,
    }
}

impl Scalar for Rounding {
    fn from_f64(x: f64) -> Self {
        Rounding::new(x, 0.0)
    }
    fn re(self) -> f64 {
        self.value
    }
    fn add(self, o: Self) -> Self {
        let v = self.value + o.value;
        Rounding::new(v, self.error + o.error + v.abs())
    }
    fn sub(self, o: Self) -> Self {
        let v = self.value - o.value;
        Rounding::new(v, self.error + o.error + v.abs())
    }
    fn mul(self, o: Self) -> Self {
        let v = self.value * o.value;
        Rounding::new(
            v,
            o.value.abs() * self.error + self.value.abs() * o.error + v.abs(),
        )
    }
    fn div(self, o: Self) -> Self {
        let v = self.value / o.value;
        Rounding::new(
            v,
            (self.error + v.abs() * o.error) / o.value.abs() + v.abs(),
        )
    }
    fn powi(self, n: i32) -> Self {
        if n == 0 {
            return Rounding::from_f64(1.0);
        }
        let v = self.value.powi(n);
        let slope = f64::from(n) * self.value.powi(n - 1);
        // A power by repeated squaring rounds about log2(n) times.
        let steps = f64::from(n.unsigned_abs().max(2)).log2().ceil();
        Rounding::new(v, slope.abs() * self.error + steps * v.abs())
    }
    fn pow(self, e: Self) -> Self {
        let v = self.value.powf(e.value);
        let mut err = 2.0 * v.abs();
        if self.error != 0.0 {
            err += (e.value * self.value.powf(e.value - 1.0)).abs() * self.error;
        }
        if e.error != 0.0 {
            err += (v * self.value.ln()).abs() * e.error;
        }
        Rounding::new(v, err)
    }
    fn sqrt(self) -> Self {
        let v = self.value.sqrt();
        Rounding::new(v, self.error / (2.0 * v) + v.abs())
    }
    fn apply(self, f: Func) -> Self {
        let d = Dual::new(self.value, 1.0).apply(f);
        Rounding::new(
            d.value,
            d.derivative.abs() * self.error + library_roundings(f) * d.value.abs(),
        )
    }
    fn is_finite(self) -> bool {
        self.value.is_finite() && !self.error.is_nan()
    }
}

/// A value and its one-sided derivative along a direction: a dual number whose
/// absolute value and reductions take the side the direction points to. At `x = 0`,
/// `abs(x + t*d)` grows as `|d|*t` for small `t > 0`, so its one-sided derivative is
/// `|d|`; at a tie, `max` follows the tied element that grows fastest. Elsewhere it is
/// the dual number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OneSided(pub Dual);

impl OneSided {
    /// `value + derivative * t`, for small `t > 0`.
    pub fn new(value: f64, derivative: f64) -> OneSided {
        OneSided(Dual::new(value, derivative))
    }

    /// The one-sided derivative.
    pub fn derivative(self) -> f64 {
        self.0.derivative
    }
}

impl Scalar for OneSided {
    fn from_f64(x: f64) -> Self {
        OneSided(Dual::from_f64(x))
    }
    fn re(self) -> f64 {
        self.0.value
    }
    fn add(self, o: Self) -> Self {
        OneSided(self.0.add(o.0))
    }
    fn sub(self, o: Self) -> Self {
        OneSided(self.0.sub(o.0))
    }
    fn mul(self, o: Self) -> Self {
        OneSided(self.0.mul(o.0))
    }
    fn div(self, o: Self) -> Self {
        OneSided(self.0.div(o.0))
    }
    fn powi(self, n: i32) -> Self {
        OneSided(self.0.powi(n))
    }
    fn pow(self, e: Self) -> Self {
        OneSided(self.0.pow(e.0))
    }
    fn sqrt(self) -> Self {
        OneSided(self.0.sqrt())
    }
    fn apply(self, f: Func) -> Self {
        if f == Func::Abs && self.0.value == 0.0 {
            return OneSided::new(0.0, self.0.derivative.abs());
        }
        OneSided(self.0.apply(f))
    }
    fn is_finite(self) -> bool {
        self.0.is_finite()
    }
    fn replaces_tie(self, held: Self, largest: bool) -> bool {
        if largest {
            self.0.derivative > held.0.derivative
        } else {
            self.0.derivative < held.0.derivative
        }
    }
}
