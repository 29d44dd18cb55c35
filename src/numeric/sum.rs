//! Sums and products in `f64` that keep full precision: Neumaier's compensated
//! summation, and products held as a mantissa and a binary exponent.
//!
//! The tape uses them for every sum, sum of terms and product it computes in `f64`, so
//! that a long sum carries the error of about one rounding and a product of tiny and huge
//! factors is right whenever the result itself is representable.

use crate::numeric::scalar::Scalar;

/// A running compensated sum over any [`Scalar`]; only `f64` actually compensates.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Compensated<T> {
    sum: T,
    compensation: T,
}

impl<T: Scalar> Compensated<T> {
    /// The empty sum.
    #[inline(always)]
    pub(crate) fn new() -> Compensated<T> {
        Compensated {
            sum: T::from_f64(0.0),
            compensation: T::from_f64(0.0),
        }
    }

    /// Adds a term.
    #[inline(always)]
    pub(crate) fn add(&mut self, x: T) {
        let t = self.sum.add(x);
        self.compensation = self.compensation.add(T::sum_error(self.sum, x, t));
        self.sum = t;
    }

    /// The sum with its compensation.
    #[inline(always)]
    pub(crate) fn total(&self) -> T {
        self.sum.add(self.compensation)
    }
}

/// The compensated sum of `values[k]` for each `k` in `at`. A long sum runs in four
/// lanes, each compensated, merged at the end: the lanes' additions do not wait on
/// each other, so the sum runs at the adder's throughput instead of its latency, and
/// each lane still carries the error of about one rounding.
#[inline(always)]
pub(crate) fn sum_at<T: Scalar>(values: &[T], at: &[u32]) -> T {
    let mut acc = Compensated::new();
    if at.len() < 16 {
        for &k in at {
            acc.add(values[k as usize]);
        }
        return acc.total();
    }
    let mut lanes = [Compensated::new(); 4];
    let chunks = at.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        for (lane, &k) in lanes.iter_mut().zip(c) {
            lane.add(values[k as usize]);
        }
    }
    for &k in rest {
        lanes[0].add(values[k as usize]);
    }
    let mut lost = T::from_f64(0.0);
    for lane in lanes {
        acc.add(lane.sum);
        lost = lost.add(lane.compensation);
    }
    acc.compensation = acc.compensation.add(lost);
    acc.total()
}

/// Neumaier's correction term for `a + b = sum`: what rounding the sum lost.
#[inline(always)]
pub(crate) fn neumaier_error(a: f64, b: f64, sum: f64) -> f64 {
    if a.abs() >= b.abs() {
        (a - sum) + b
    } else {
        (b - sum) + a
    }
}

/// A product taken in order from 1. While every partial product is a normal number the
/// plain product is exactly what the scaled one would give (scaling by powers of two is
/// exact), so the scaled product is computed only when a partial product leaves the
/// normal range.
pub(crate) fn scaled_product<I: Iterator<Item = (f64, bool)> + Clone>(factors: I) -> f64 {
    let mut plain = 1.0f64;
    let mut normal = true;
    for (x, divide) in factors.clone() {
        plain = if divide { plain / x } else { plain * x };
        if !plain.is_normal() {
            normal = false;
            break;
        }
    }
    if normal {
        return plain;
    }
    let mut acc = ScaledProduct::one();
    for (x, divide) in factors {
        if divide {
            acc.divide(x);
        } else {
            acc.multiply(x);
        }
    }
    acc.value()
}

/// A product held as `mantissa * 2^exponent`, immune to intermediate over- and underflow.
struct ScaledProduct {
    mantissa: f64,
    exponent: i64,
}

impl ScaledProduct {
    fn one() -> ScaledProduct {
        ScaledProduct {
            mantissa: 1.0,
            exponent: 0,
        }
    }

    fn normalize(&mut self) {
        if self.mantissa != 0.0 && self.mantissa.is_finite() {
            let (m, e) = libm::frexp(self.mantissa);
            self.mantissa = m;
            self.exponent += i64::from(e);
        }
    }

    fn multiply(&mut self, x: f64) {
        let (m, e) = libm::frexp(x);
        self.mantissa *= m;
        self.exponent += i64::from(e);
        self.normalize();
    }

    fn divide(&mut self, x: f64) {
        let (m, e) = libm::frexp(x);
        self.mantissa /= m;
        self.exponent -= i64::from(e);
        self.normalize();
    }

    fn value(&self) -> f64 {
        if self.mantissa == 0.0 || !self.mantissa.is_finite() {
            return self.mantissa;
        }
        let e = self.exponent.clamp(-2200, 2200) as i32;
        libm::scalbn(self.mantissa, e)
    }
}
