//! Certified complex arithmetic: rectangles `re + im i` of intervals that always hold
//! the true value of the calculator's functions, under the semantics of
//! [`reference`](super::reference), or fail.
//!
//! Each part is an [`Interval`] of gauge's precise arithmetic, rounded outwards. The
//! rule is the precise arithmetic's: every result encloses the true value, or the
//! operation fails ([`Fail::Undefined`] where the value certainly does not exist,
//! [`Fail::Unsure`] where the enclosure cannot decide); never a false enclosure.
//!
//! The principal logarithm's cut is where care is needed. A rectangle that lies on
//! the negative real axis and reaches below it holds values whose logarithms differ by
//! about `2πi` (the axis itself takes the upper edge, `+πi`, by the convention), so
//! its logarithm is unsure. A rectangle whose imaginary part is exactly the point 0 is
//! an exactly real value: its logarithm is decided on the sign of the real part
//! alone. The operations keep such values exactly real wherever the mathematics does
//! (sums, products and quotients of reals, the real functions, a real square root),
//! so that `sqrt(1 - z^2)` at `z = -3` is the upper edge's `sqrt(8) i`, as the
//! convention says, and not an enclosure that straddles the cut.

use astro_float::BigFloat;
use num_bigint::BigInt;
use num_rational::BigRational;

use crate::eml::complex::C64;
use crate::expr::node::Func;
use crate::numeric::precise::interval::{le, negative, positive};
use crate::numeric::precise::{Arith, Fail, Interval};

/// A complex rectangle that holds a value: its real and imaginary parts' enclosures.
#[derive(Clone, Debug)]
pub struct Ball {
    /// The real part's enclosure.
    pub re: Interval,
    /// The imaginary part's enclosure: the point 0 for an exactly real value.
    pub im: Interval,
}

impl Ball {
    /// Whether the value is exactly real (its imaginary part is the point 0).
    pub fn is_real(&self) -> bool {
        self.im.is_zero()
    }

    /// Whether the value is exactly 0.
    pub fn is_zero(&self) -> bool {
        self.re.is_zero() && self.im.is_zero()
    }

    /// The rectangle's centre, rounded to `f64`.
    pub fn midpoint(&self) -> C64 {
        C64::new(self.re.midpoint_f64(), self.im.midpoint_f64())
    }

    /// The larger of the two parts' widths, rounded up to `f64`.
    pub fn width(&self) -> f64 {
        self.re.width_f64().max(self.im.width_f64())
    }

    /// Whether the rectangle, grown by `tolerance` on every side, holds `z`.
    pub fn holds(&self, z: C64, tolerance: f64) -> bool {
        let inside = |v: &Interval, x: f64| {
            let lo = crate::numeric::precise::interval::to_f64(v.lo());
            let hi = crate::numeric::precise::interval::to_f64(v.hi());
            lo - tolerance <= x && x <= hi + tolerance
        };
        inside(&self.re, z.re) && inside(&self.im, z.im)
    }
}

/// Complex rectangles' arithmetic at one working precision.
pub struct BallArith {
    arith: Arith,
}

impl BallArith {
    /// The arithmetic with `bits`-bit bounds and a budget of interval operations.
    pub fn new(bits: usize, budget: u64) -> Result<BallArith, Fail> {
        Ok(BallArith {
            arith: Arith::new(bits, budget)?,
        })
    }

    /// The real interval arithmetic underneath.
    pub fn arith(&mut self) -> &mut Arith {
        &mut self.arith
    }

    fn zero(&self) -> Result<Interval, Fail> {
        self.arith.from_int(0)
    }

    /// An exactly real value.
    pub fn real(&self, x: Interval) -> Result<Ball, Fail> {
        Ok(Ball {
            re: x,
            im: self.zero()?,
        })
    }

    /// A complex `f64` number, exactly; exactly real when its imaginary part is 0.
    pub fn from_c64(&self, z: C64) -> Result<Ball, Fail> {
        let im = if z.im == 0.0 {
            self.zero()?
        } else {
            self.arith.from_f64(z.im)?
        };
        Ok(Ball {
            re: self.arith.from_f64(z.re)?,
            im,
        })
    }

    /// An exact rational number, enclosed.
    pub fn rational(&mut self, r: &BigRational) -> Result<Ball, Fail> {
        let x = self.arith.from_rational(r)?;
        self.real(x)
    }

    /// A whole number, exactly.
    pub fn int(&mut self, n: i64) -> Result<Ball, Fail> {
        self.rational(&BigRational::from_integer(n.into()))
    }

    /// π, enclosed.
    pub fn pi(&mut self) -> Result<Ball, Fail> {
        let p = self.arith.pi()?;
        self.real(p)
    }

    /// e, enclosed.
    pub fn e(&mut self) -> Result<Ball, Fail> {
        let e = self.arith.e()?;
        self.real(e)
    }

    /// `a + b`.
    pub fn add(&mut self, a: &Ball, b: &Ball) -> Result<Ball, Fail> {
        Ok(Ball {
            re: self.arith.add(&a.re, &b.re)?,
            im: self.arith.add(&a.im, &b.im)?,
        })
    }

    /// `a - b`.
    pub fn sub(&mut self, a: &Ball, b: &Ball) -> Result<Ball, Fail> {
        Ok(Ball {
            re: self.arith.sub(&a.re, &b.re)?,
            im: self.arith.sub(&a.im, &b.im)?,
        })
    }

    /// `-a`, exactly.
    pub fn neg(&self, a: &Ball) -> Ball {
        Ball {
            re: self.arith.neg(&a.re),
            im: self.arith.neg(&a.im),
        }
    }

    /// `i a`, exactly.
    pub fn mul_i(&self, a: &Ball) -> Ball {
        Ball {
            re: self.arith.neg(&a.im),
            im: a.re.clone(),
        }
    }

    /// `-i a`, exactly.
    pub fn mul_neg_i(&self, a: &Ball) -> Ball {
        Ball {
            re: a.im.clone(),
            im: self.arith.neg(&a.re),
        }
    }

    /// `a * b`. A real factor multiplies the other's parts alone, so that a product
    /// of reals stays exactly real.
    pub fn mul(&mut self, a: &Ball, b: &Ball) -> Result<Ball, Fail> {
        if b.is_real() {
            return self.scale(a, &b.re);
        }
        if a.is_real() {
            return self.scale(b, &a.re);
        }
        let ac = self.arith.mul(&a.re, &b.re)?;
        let bd = self.arith.mul(&a.im, &b.im)?;
        let ad = self.arith.mul(&a.re, &b.im)?;
        let bc = self.arith.mul(&a.im, &b.re)?;
        Ok(Ball {
            re: self.arith.sub(&ac, &bd)?,
            im: self.arith.add(&ad, &bc)?,
        })
    }

    /// `a * x` for a real `x`.
    fn scale(&mut self, a: &Ball, x: &Interval) -> Result<Ball, Fail> {
        Ok(Ball {
            re: self.arith.mul(&a.re, x)?,
            im: self.arith.mul(&a.im, x)?,
        })
    }

    /// `a / 2`.
    pub fn half(&mut self, a: &Ball) -> Result<Ball, Fail> {
        let h = self
            .arith
            .from_rational(&BigRational::new(1.into(), 2.into()))?;
        self.scale(a, &h)
    }

    /// `1 / b`: undefined when `b` is exactly 0, unsure when it may be 0.
    pub fn recip(&mut self, b: &Ball) -> Result<Ball, Fail> {
        if b.is_real() {
            let r = self.arith.recip(&b.re)?;
            return self.real(r);
        }
        // 1/(c + di) = (c - di)/(c^2 + d^2).
        let two = BigInt::from(2);
        let c2 = self.arith.pow_int(&b.re, &two)?;
        let d2 = self.arith.pow_int(&b.im, &two)?;
        let m = self.arith.add(&c2, &d2)?;
        let r = self.arith.recip(&m)?;
        let re = self.arith.mul(&b.re, &r)?;
        let im = self.arith.mul(&b.im, &r)?;
        Ok(Ball {
            re,
            im: self.arith.neg(&im),
        })
    }

    /// `a / b`.
    pub fn div(&mut self, a: &Ball, b: &Ball) -> Result<Ball, Fail> {
        if b.is_zero() {
            return Err(Fail::undefined("a division by 0"));
        }
        let r = self.recip(b)?;
        self.mul(a, &r)
    }

    /// `a^n` for a whole `n`, as a product: defined everywhere for `n >= 0` (`0^0` is
    /// 1), exactly real for a real `a`, undefined at 0 for `n < 0`.
    pub fn powi(&mut self, a: &Ball, n: &BigInt) -> Result<Ball, Fail> {
        use num_traits::{Signed, ToPrimitive};
        if a.is_real() {
            let x = self.arith.pow_int(&a.re, n)?;
            return self.real(x);
        }
        let Some(mut k) = n.abs().to_u64().filter(|&k| k <= 1 << 24) else {
            return Err(Fail::unsure("a power with a huge exponent"));
        };
        let mut base = a.clone();
        let mut acc = self.int(1)?;
        while k > 0 {
            if k & 1 == 1 {
                acc = self.mul(&acc, &base)?;
            }
            k >>= 1;
            if k > 0 {
                base = self.mul(&base, &base)?;
            }
        }
        if n.is_negative() {
            return self.recip(&acc);
        }
        Ok(acc)
    }

    /// `e^a = e^x (cos y + i sin y)`; exactly real for a real `a`.
    pub fn exp(&mut self, a: &Ball) -> Result<Ball, Fail> {
        let r = self.arith.exp(&a.re)?;
        if a.is_real() {
            return self.real(r);
        }
        let c = self.arith.func(Func::Cos, &a.im)?;
        let s = self.arith.func(Func::Sin, &a.im)?;
        Ok(Ball {
            re: self.arith.mul(&r, &c)?,
            im: self.arith.mul(&r, &s)?,
        })
    }

    /// The principal `ln a` (see the module docs for the cut).
    pub fn ln(&mut self, a: &Ball) -> Result<Ball, Fail> {
        let arg = self.arg(a)?;
        let re = if a.is_real() {
            let m = self.arith.abs(&a.re)?;
            self.arith.ln(&m)?
        } else {
            // ln|a| = ln(x^2 + y^2)/2.
            let two = BigInt::from(2);
            let x2 = self.arith.pow_int(&a.re, &two)?;
            let y2 = self.arith.pow_int(&a.im, &two)?;
            let m = self.arith.add(&x2, &y2)?;
            let l = self.arith.ln(&m)?;
            let h = self
                .arith
                .from_rational(&BigRational::new(1.into(), 2.into()))?;
            self.arith.mul(&l, &h)?
        };
        Ok(Ball { re, im: arg })
    }

    /// The principal argument, in `(-π, π]`: `π` on the negative real axis.
    fn arg(&mut self, a: &Ball) -> Result<Interval, Fail> {
        let (x, y) = (&a.re, &a.im);
        if a.is_real() {
            if x.is_positive() {
                return self.zero();
            }
            if x.is_negative() {
                return self.arith.pi();
            }
            if x.is_zero() {
                return Err(Fail::undefined("the logarithm of 0"));
            }
            return Err(Fail::unsure("a logarithm of a real that may be 0"));
        }
        if x.is_positive() {
            // atan(y/x), in (-π/2, π/2).
            let t = self.arith.div(y, x)?;
            return self.arith.func(Func::Atan, &t);
        }
        if y.is_positive() || y.is_negative() {
            // ±π/2 - atan(x/y).
            let t = self.arith.div(x, y)?;
            let t = self.arith.func(Func::Atan, &t)?;
            let pi = self.arith.pi()?;
            let h = self
                .arith
                .from_rational(&BigRational::new(1.into(), 2.into()))?;
            let half_pi = self.arith.mul(&pi, &h)?;
            let side = if y.is_positive() {
                half_pi
            } else {
                self.arith.neg(&half_pi)
            };
            return self.arith.sub(&side, &t);
        }
        if x.is_negative() && !negative(y.lo()) {
            // On or above the negative real axis: π - atan(y/|x|), in (π/2, π].
            let m = self.arith.neg(x);
            let t = self.arith.div(y, &m)?;
            let t = self.arith.func(Func::Atan, &t)?;
            let pi = self.arith.pi()?;
            return self.arith.sub(&pi, &t);
        }
        if x.is_negative() {
            return Err(Fail::unsure(
                "a logarithm of a value that straddles the negative real axis",
            ));
        }
        Err(Fail::unsure("a logarithm of a value that may be 0"))
    }

    /// The principal `sqrt a = exp(ln(a)/2)`; `sqrt 0 = 0`, and a real `a` gives a
    /// real root when it is positive and an imaginary one (the upper edge) when it is
    /// negative.
    pub fn sqrt(&mut self, a: &Ball) -> Result<Ball, Fail> {
        if a.is_zero() {
            return Ok(a.clone());
        }
        if a.is_real() && a.re.is_positive() {
            let r = self.arith.sqrt(&a.re)?;
            return self.real(r);
        }
        if a.is_real() && a.re.is_negative() {
            let m = self.arith.neg(&a.re);
            let r = self.arith.sqrt(&m)?;
            return Ok(Ball {
                re: self.zero()?,
                im: r,
            });
        }
        let l = self.ln(a)?;
        let h = self.half(&l)?;
        self.exp(&h)
    }

    /// `a^w = exp(w ln a)`; `0^w` is 0 when `Re w > 0` and undefined when `Re w <= 0`.
    pub fn pow(&mut self, a: &Ball, w: &Ball) -> Result<Ball, Fail> {
        if a.is_zero() {
            if w.re.is_positive() {
                return self.int(0);
            }
            if !positive(w.re.hi()) {
                return Err(Fail::undefined(
                    "0 to a power whose real part is not positive",
                ));
            }
            return Err(Fail::unsure(
                "0 to a power whose real part's sign is unknown",
            ));
        }
        let l = self.ln(a)?;
        let x = self.mul(w, &l)?;
        self.exp(&x)
    }

    /// `sin a = sin x cosh y + i cos x sinh y`.
    pub fn sin(&mut self, a: &Ball) -> Result<Ball, Fail> {
        self.circular(a, false)
    }

    /// `cos a = cos x cosh y - i sin x sinh y`.
    pub fn cos(&mut self, a: &Ball) -> Result<Ball, Fail> {
        self.circular(a, true)
    }

    fn circular(&mut self, a: &Ball, cosine: bool) -> Result<Ball, Fail> {
        let (f, g) = if cosine {
            (Func::Cos, Func::Sin)
        } else {
            (Func::Sin, Func::Cos)
        };
        let fx = self.arith.func(f, &a.re)?;
        if a.is_real() {
            return self.real(fx);
        }
        let gx = self.arith.func(g, &a.re)?;
        let ch = self.arith.func(Func::Cosh, &a.im)?;
        let sh = self.arith.func(Func::Sinh, &a.im)?;
        let re = self.arith.mul(&fx, &ch)?;
        let im = self.arith.mul(&gx, &sh)?;
        let im = if cosine { self.arith.neg(&im) } else { im };
        Ok(Ball { re, im })
    }

    /// `tan a = sin a / cos a`.
    pub fn tan(&mut self, a: &Ball) -> Result<Ball, Fail> {
        if a.is_real() {
            let t = self.arith.func(Func::Tan, &a.re)?;
            return self.real(t);
        }
        let s = self.sin(a)?;
        let c = self.cos(a)?;
        self.div(&s, &c)
    }

    /// `sinh a = sinh x cos y + i cosh x sin y`.
    pub fn sinh(&mut self, a: &Ball) -> Result<Ball, Fail> {
        self.hyperbolic(a, false)
    }

    /// `cosh a = cosh x cos y + i sinh x sin y`.
    pub fn cosh(&mut self, a: &Ball) -> Result<Ball, Fail> {
        self.hyperbolic(a, true)
    }

    fn hyperbolic(&mut self, a: &Ball, cosine: bool) -> Result<Ball, Fail> {
        let (f, g) = if cosine {
            (Func::Cosh, Func::Sinh)
        } else {
            (Func::Sinh, Func::Cosh)
        };
        let fx = self.arith.func(f, &a.re)?;
        if a.is_real() {
            return self.real(fx);
        }
        let gx = self.arith.func(g, &a.re)?;
        let c = self.arith.func(Func::Cos, &a.im)?;
        let s = self.arith.func(Func::Sin, &a.im)?;
        Ok(Ball {
            re: self.arith.mul(&fx, &c)?,
            im: self.arith.mul(&gx, &s)?,
        })
    }

    /// `tanh a = sinh a / cosh a`.
    pub fn tanh(&mut self, a: &Ball) -> Result<Ball, Fail> {
        if a.is_real() {
            let t = self.arith.func(Func::Tanh, &a.re)?;
            return self.real(t);
        }
        let s = self.sinh(a)?;
        let c = self.cosh(a)?;
        self.div(&s, &c)
    }

    /// Whether `a` is exactly real and certainly within `[-1, 1]`.
    fn real_unit(&self, a: &Ball) -> bool {
        let one = BigFloat::from_word(1, 64);
        a.is_real() && le(&one.neg(), a.re.lo()) && le(a.re.hi(), &one)
    }

    /// `asin a = -i ln(ia + sqrt(1 - a^2))`.
    pub fn asin(&mut self, a: &Ball) -> Result<Ball, Fail> {
        if self.real_unit(a) {
            let r = self.arith.func(Func::Asin, &a.re)?;
            return self.real(r);
        }
        let one = self.int(1)?;
        let two = BigInt::from(2);
        let sq = self.powi(a, &two)?;
        let d = self.sub(&one, &sq)?;
        let s = self.sqrt(&d)?;
        let ia = self.mul_i(a);
        let w = self.add(&ia, &s)?;
        let l = self.ln(&w)?;
        Ok(self.mul_neg_i(&l))
    }

    /// `acos a = π/2 - asin a`.
    pub fn acos(&mut self, a: &Ball) -> Result<Ball, Fail> {
        if self.real_unit(a) {
            let r = self.arith.func(Func::Acos, &a.re)?;
            return self.real(r);
        }
        let pi = self.pi()?;
        let half_pi = self.half(&pi)?;
        let s = self.asin(a)?;
        self.sub(&half_pi, &s)
    }

    /// `atan a = (i/2)(ln(1 - ia) - ln(1 + ia))`.
    pub fn atan(&mut self, a: &Ball) -> Result<Ball, Fail> {
        if a.is_real() {
            let r = self.arith.func(Func::Atan, &a.re)?;
            return self.real(r);
        }
        let one = self.int(1)?;
        let ia = self.mul_i(a);
        let p = self.sub(&one, &ia)?;
        let q = self.add(&one, &ia)?;
        let lp = self.ln(&p)?;
        let lq = self.ln(&q)?;
        let d = self.sub(&lp, &lq)?;
        let h = self.half(&d)?;
        Ok(self.mul_i(&h))
    }

    /// `asinh a = ln(a + sqrt(a^2 + 1))`; for a negative real, `-asinh(-a)`, which
    /// does not cancel.
    pub fn asinh(&mut self, a: &Ball) -> Result<Ball, Fail> {
        if a.is_real() && a.re.is_negative() {
            let m = self.neg(a);
            let r = self.asinh(&m)?;
            return Ok(self.neg(&r));
        }
        let one = self.int(1)?;
        let two = BigInt::from(2);
        let sq = self.powi(a, &two)?;
        let d = self.add(&sq, &one)?;
        let s = self.sqrt(&d)?;
        let w = self.add(a, &s)?;
        self.ln(&w)
    }

    /// `acosh a = ln(a + sqrt(a + 1) sqrt(a - 1))`.
    pub fn acosh(&mut self, a: &Ball) -> Result<Ball, Fail> {
        let one = self.int(1)?;
        let p = self.add(a, &one)?;
        let m = self.sub(a, &one)?;
        let sp = self.sqrt(&p)?;
        let sm = self.sqrt(&m)?;
        let q = self.mul(&sp, &sm)?;
        let w = self.add(a, &q)?;
        self.ln(&w)
    }

    /// `atanh a = (ln(1 + a) - ln(1 - a))/2`.
    pub fn atanh(&mut self, a: &Ball) -> Result<Ball, Fail> {
        let one = self.int(1)?;
        let p = self.add(&one, a)?;
        let m = self.sub(&one, a)?;
        let lp = self.ln(&p)?;
        let lm = self.ln(&m)?;
        let d = self.sub(&lp, &lm)?;
        self.half(&d)
    }

    /// `sigmoid a = 1/(1 + e^-a)`: the real function's stable enclosure for a real
    /// `a`.
    pub fn sigmoid(&mut self, a: &Ball) -> Result<Ball, Fail> {
        if a.is_real() {
            let r = self.arith.func(Func::Sigmoid, &a.re)?;
            return self.real(r);
        }
        let one = self.int(1)?;
        let m = self.neg(a);
        let t = self.exp(&m)?;
        let d = self.add(&one, &t)?;
        self.recip(&d)
    }

    /// `softplus a = ln(1 + e^a)`, principal.
    pub fn softplus(&mut self, a: &Ball) -> Result<Ball, Fail> {
        if a.is_real() {
            let r = self.arith.func(Func::Softplus, &a.re)?;
            return self.real(r);
        }
        let one = self.int(1)?;
        let t = self.exp(a)?;
        let d = self.add(&one, &t)?;
        self.ln(&d)
    }

    /// A function of the reals only (`abs`, `erf`), at a value that must be exactly
    /// real.
    pub fn real_only(&mut self, f: Func, a: &Ball) -> Result<Ball, Fail> {
        if !a.is_real() {
            return Err(Fail::unsure(format!(
                "`{}` is evaluated only at real values",
                f.name()
            )));
        }
        let r = self.arith.func(f, &a.re)?;
        self.real(r)
    }

    /// A builtin function.
    pub fn func(&mut self, f: Func, a: &Ball) -> Result<Ball, Fail> {
        match f {
            Func::Exp => self.exp(a),
            Func::Ln => self.ln(a),
            Func::Sin => self.sin(a),
            Func::Cos => self.cos(a),
            Func::Tan => self.tan(a),
            Func::Sinh => self.sinh(a),
            Func::Cosh => self.cosh(a),
            Func::Tanh => self.tanh(a),
            Func::Asin => self.asin(a),
            Func::Acos => self.acos(a),
            Func::Atan => self.atan(a),
            Func::Sigmoid => self.sigmoid(a),
            Func::Softplus => self.softplus(a),
            Func::Abs | Func::Erf => self.real_only(f, a),
        }
    }
}
