//! The source semantics of a gauge formula at a complex point: what every compiled
//! EML form is checked against, in `f64` ([`eval_f64`]) and in certified rectangles
//! of intervals ([`eval_ball`]).
//!
//! # The semantics
//!
//! These are the project's convention for the calculator's primitives over the
//! complex numbers.
//!
//! - `ln` is the principal logarithm, `Im ln z` in `(-π, π]`. On its cut, where `z`
//!   is exactly a negative real, it takes the upper edge: `ln(-r) = ln r + πi`. The
//!   sign of a zero imaginary part is ignored (as in Mathematica and mpmath, unlike
//!   C99's signed zeros). `ln 0` is undefined.
//! - `sqrt z = exp(ln(z)/2)`, principal (`sqrt(-4) = 2i`), and `sqrt 0 = 0`.
//!   `z^w = exp(w ln z)`, with `0^w = 0` for `Re w > 0` and undefined otherwise. A
//!   whole literal power is a product, valid everywhere, at 0 and at negative `z`
//!   too (`(-1.5)^2` is exactly 2.25, and `z^-n` is undefined only at 0); another
//!   rational literal power `p/q` is `exp((p/q) ln z)`.
//! - `sin`, `cos`, `tan`, `sinh`, `cosh`, `tanh` are the usual entire or meromorphic
//!   functions.
//! - The inverse functions are the DLMF/Kahan principal values, written through
//!   `ln` and `sqrt` so that the convention above decides them on their cuts:
//!   `asin z = -i ln(iz + sqrt(1 - z^2))`; `acos z = π/2 - asin z`;
//!   `atan z = (i/2)(ln(1 - iz) - ln(1 + iz))`; `asinh z = ln(z + sqrt(z^2 + 1))`;
//!   `acosh z = ln(z + sqrt(z + 1) sqrt(z - 1))`;
//!   `atanh z = (ln(1 + z) - ln(1 - z))/2`. Off the cuts these agree with
//!   Mathematica and mpmath. On a cut, the value follows from the convention for
//!   `ln` and `sqrt` inside the formula, and it is continuous with one side: that of
//!   Kahan's counter-clockwise continuity, which mpmath shares at every cut point the
//!   tests check. `asin` and `acos` take the upper side on `(-∞, -1)` and the lower
//!   side on `(1, ∞)` (`asin(-3) = -π/2 + 1.7627…i`, `acos(-3) = π - 1.7627…i`,
//!   `asin(5) = π/2 - 2.2924…i`); `atanh` the upper side on `(-∞, -1)` and the lower
//!   on `(1, ∞)` (`atanh(2) = 0.5493… - (π/2)i`); `acosh` the upper side on all of
//!   `(-∞, 1)`; `atan` and `asinh` the right side on `i(1, ∞)` and the left side on
//!   `i(-∞, -1)` (`atan(2i) = π/2 + 0.5493…i`, `asinh(-3i) = -1.7627… - (π/2)i`).
//!   A value on a cut is therefore not always the limit from above: it is what the
//!   formula gives.
//! - `sigmoid z = 1/(1 + exp(-z))`, `softplus z = ln(1 + exp z)` (principal).
//!   `abs` and `erf` are the real functions, evaluated only at exactly real values.
//! - The prelude's `hypot(x, y) = sqrt(x^2 + y^2)`, `avg(x, y) = (x + y)/2`,
//!   `log(b, x) = ln x / ln b`, and every other definition, by its body.
//!
//! The walk evaluates the pool's canonical form of a formula, which its constructors
//! have already normalized by rules that hold for real values. Most of them hold over
//! the complex numbers too (`(x^y)^2 = x^(2y)`, `exp(x) exp(y) = exp(x + y)`,
//! `sqrt(x)^2 = x`), but `exp(u)^w = exp(u w)` for a non-whole `w` does not when
//! `|Im u| > π`: `sqrt(exp(u))` is built as `exp(u/2)`, and is evaluated as written
//! there, not as `exp(ln(exp(u))/2)`.
//!
//! A formula's definitions are expanded as the precise evaluator expands them. Sums,
//! tensors, indices, deltas, reductions and derivatives not yet taken have no
//! complex reference here: they are reported as unsupported, never a panic.

use std::rc::Rc;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::ToPrimitive;
use rustc_hash::FxHashMap;

use crate::eml::ball::{Ball, BallArith};
use crate::eml::complex::C64;
use crate::expr::node::{Constant, ExprId, Func, Node};
use crate::expr::pool::Pool;
use crate::numeric::precise::Fail;

/// Why a formula has no `f64` reference value at a point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A node the reference semantics does not cover, or a variable with no value.
    Unsupported(String),
    /// Certainly undefined under the semantics (`ln 0`, a division by 0).
    Undefined(String),
    /// A value that is not a finite `f64` (an overflow, or a pole met in rounding).
    NotFinite(String),
}

impl Error {
    /// The reason, in words.
    pub fn reason(&self) -> &str {
        match self {
            Error::Unsupported(why) | Error::Undefined(why) | Error::NotFinite(why) => why,
        }
    }
}

/// A point: each variable's name and its complex value.
pub type Point<'a> = [(&'a str, C64)];

/// The value of `e` at `at`, in `f64` complex arithmetic.
pub fn eval_f64(pool: &mut Pool, e: ExprId, at: &Point) -> Result<C64, Error> {
    Walker::new(pool, at, Float).value(e)
}

/// The value of `e` at `at`, enclosed with `bits`-bit bounds (the point's numbers are
/// taken exactly).
pub fn eval_ball(pool: &mut Pool, e: ExprId, at: &Point, bits: usize) -> Result<Ball, Fail> {
    let arith = BallArith::new(bits, crate::numeric::precise::eval::BUDGET)?;
    Walker::new(pool, at, arith)
        .value(e)
        .map(Rc::unwrap_or_clone)
}

/// One arithmetic the walk computes in: the operations a formula's nodes need.
trait Semantics {
    type Value: Clone;
    type Error: Clone;
    /// The error for what the semantics does not cover.
    fn unsupported(why: String) -> Self::Error;
    fn number(&mut self, r: &BigRational) -> Result<Self::Value, Self::Error>;
    fn constant(&mut self, c: Constant) -> Result<Self::Value, Self::Error>;
    fn point(&mut self, z: C64) -> Result<Self::Value, Self::Error>;
    fn add(&mut self, a: &Self::Value, b: &Self::Value) -> Result<Self::Value, Self::Error>;
    fn mul(&mut self, a: &Self::Value, b: &Self::Value) -> Result<Self::Value, Self::Error>;
    fn powi(&mut self, a: &Self::Value, n: &BigInt) -> Result<Self::Value, Self::Error>;
    fn sqrt(&mut self, a: &Self::Value) -> Result<Self::Value, Self::Error>;
    fn pow(&mut self, a: &Self::Value, w: &Self::Value) -> Result<Self::Value, Self::Error>;
    fn func(&mut self, f: Func, a: &Self::Value) -> Result<Self::Value, Self::Error>;
}

/// A binary operation of a semantics.
type Binary<S> = fn(
    &mut S,
    &<S as Semantics>::Value,
    &<S as Semantics>::Value,
) -> Result<<S as Semantics>::Value, <S as Semantics>::Error>;

/// A walk of one formula's DAG, each node's value kept by its id.
struct Walker<'a, S: Semantics> {
    pool: &'a mut Pool,
    at: &'a Point<'a>,
    s: S,
    memo: FxHashMap<ExprId, Result<S::Value, S::Error>>,
}

impl<'a, S: Semantics> Walker<'a, S> {
    fn new(pool: &'a mut Pool, at: &'a Point<'a>, s: S) -> Walker<'a, S> {
        Walker {
            pool,
            at,
            s,
            memo: FxHashMap::default(),
        }
    }

    fn value(&mut self, id: ExprId) -> Result<S::Value, S::Error> {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.value(id));
        }
        if let Some(r) = self.memo.get(&id) {
            return r.clone();
        }
        let r = self.node(id);
        self.memo.insert(id, r.clone());
        r
    }

    fn node(&mut self, id: ExprId) -> Result<S::Value, S::Error> {
        let unsupported = |what: &str| {
            Err(S::unsupported(format!(
                "{what} has no complex reference value"
            )))
        };
        match self.pool.node(id).clone() {
            Node::Num(r) => self.s.number(&r),
            Node::Const(c) => self.s.constant(c),
            Node::Sym(s) => {
                let name = self.pool.name(s);
                match self.at.iter().find(|(n, _)| *n == name) {
                    Some(&(_, z)) => self.s.point(z),
                    None => Err(S::unsupported(format!(
                        "the variable `{name}` has no value"
                    ))),
                }
            }
            Node::Add(ts) => self.fold(&ts, S::add),
            Node::Mul(fs) => self.fold(&fs, S::mul),
            Node::Pow(b, e) => self.power(b, e),
            Node::Func(f, a) => {
                let v = self.value(a)?;
                self.s.func(f, &v)
            }
            Node::Call { def, .. } => {
                if self.pool.reduction_of(def).is_some() {
                    return unsupported("a reduction of a vector");
                }
                match self.pool.expand_call(id) {
                    Some(body) if body != id => self.value(body),
                    _ => unsupported("a tensor-valued call"),
                }
            }
            Node::Index(_) => unsupported("an index"),
            Node::Tensor(_) | Node::Elem(..) | Node::Len(..) => unsupported("a tensor"),
            Node::Delta(..) => unsupported("a Kronecker delta"),
            Node::Sum { .. } => unsupported("a sum over an index"),
            Node::Diff { .. } => unsupported("a derivative not yet taken"),
        }
    }

    /// The children combined by `op`, in order.
    fn fold(&mut self, ids: &[ExprId], op: Binary<S>) -> Result<S::Value, S::Error> {
        let Some((&first, rest)) = ids.split_first() else {
            return Err(S::unsupported("an empty sum or product".into()));
        };
        let mut acc = self.value(first)?;
        for &c in rest {
            let v = self.value(c)?;
            acc = op(&mut self.s, &acc, &v)?;
        }
        Ok(acc)
    }

    /// A power: a whole literal exponent is a product, `1/2` a square root, another
    /// literal `exp((p/q) ln b)`, anything else `exp(e ln b)`.
    fn power(&mut self, b: ExprId, e: ExprId) -> Result<S::Value, S::Error> {
        let base = self.value(b)?;
        if let Node::Num(r) = self.pool.node(e).clone() {
            if r.is_integer() {
                return self.s.powi(&base, r.numer());
            }
            if r == BigRational::new(1.into(), 2.into()) {
                return self.s.sqrt(&base);
            }
        }
        let w = self.value(e)?;
        self.s.pow(&base, &w)
    }
}

/// `f64` complex arithmetic, with the domain checks that [`C64`] leaves to its caller.
struct Float;

/// `z`, or an error when it is not finite.
fn finite(z: C64, what: &str) -> Result<C64, Error> {
    if z.is_finite() {
        Ok(z)
    } else {
        Err(Error::NotFinite(format!("{what} is not a finite f64")))
    }
}

impl Semantics for Float {
    type Value = C64;
    type Error = Error;

    fn unsupported(why: String) -> Error {
        Error::Unsupported(why)
    }

    fn number(&mut self, r: &BigRational) -> Result<C64, Error> {
        finite(
            C64::real(crate::syntax::number::rational_to_f64(r)),
            "a number",
        )
    }

    fn constant(&mut self, c: Constant) -> Result<C64, Error> {
        Ok(C64::real(c.value()))
    }

    fn point(&mut self, z: C64) -> Result<C64, Error> {
        finite(z, "a value at the point")
    }

    fn add(&mut self, a: &C64, b: &C64) -> Result<C64, Error> {
        finite(*a + *b, "a sum")
    }

    fn mul(&mut self, a: &C64, b: &C64) -> Result<C64, Error> {
        finite(*a * *b, "a product")
    }

    fn powi(&mut self, a: &C64, n: &BigInt) -> Result<C64, Error> {
        let Some(k) = n.to_i64().filter(|k| k.unsigned_abs() <= 1 << 24) else {
            return Err(Error::Unsupported("a power with a huge exponent".into()));
        };
        if k < 0 && a.is_zero() {
            return Err(Error::Undefined("0 to a negative power".into()));
        }
        finite(a.powi(k), "a power")
    }

    fn sqrt(&mut self, a: &C64) -> Result<C64, Error> {
        finite(a.sqrt(), "a square root")
    }

    fn pow(&mut self, a: &C64, w: &C64) -> Result<C64, Error> {
        if a.is_zero() && w.re <= 0.0 {
            return Err(Error::Undefined(
                "0 to a power whose real part is not positive".into(),
            ));
        }
        finite(a.pow(*w), "a power")
    }

    fn func(&mut self, f: Func, a: &C64) -> Result<C64, Error> {
        let z = *a;
        let v = match f {
            Func::Exp => z.exp(),
            Func::Ln => {
                if z.is_zero() {
                    return Err(Error::Undefined("the logarithm of 0".into()));
                }
                z.ln()
            }
            Func::Sin => z.sin(),
            Func::Cos => z.cos(),
            Func::Tan => z.tan(),
            Func::Sinh => z.sinh(),
            Func::Cosh => z.cosh(),
            Func::Tanh => z.tanh(),
            Func::Asin => z.asin(),
            Func::Acos => z.acos(),
            Func::Atan => z.atan(),
            Func::Sigmoid => z.sigmoid(),
            Func::Softplus => z.softplus(),
            Func::Abs | Func::Erf => {
                if !z.is_real() {
                    return Err(Error::Unsupported(format!(
                        "`{}` is evaluated only at real values",
                        f.name()
                    )));
                }
                C64::real(f.apply(z.re))
            }
        };
        finite(v, &format!("`{}` of the value", f.name()))
    }
}

impl Semantics for BallArith {
    type Value = Rc<Ball>;
    type Error = Fail;

    fn unsupported(why: String) -> Fail {
        Fail::Unsure(why)
    }

    fn number(&mut self, r: &BigRational) -> Result<Rc<Ball>, Fail> {
        self.rational(r).map(Rc::new)
    }

    fn constant(&mut self, c: Constant) -> Result<Rc<Ball>, Fail> {
        match c {
            Constant::Pi => self.pi(),
            Constant::E => self.e(),
        }
        .map(Rc::new)
    }

    fn point(&mut self, z: C64) -> Result<Rc<Ball>, Fail> {
        self.from_c64(z).map(Rc::new)
    }

    fn add(&mut self, a: &Rc<Ball>, b: &Rc<Ball>) -> Result<Rc<Ball>, Fail> {
        BallArith::add(self, a, b).map(Rc::new)
    }

    fn mul(&mut self, a: &Rc<Ball>, b: &Rc<Ball>) -> Result<Rc<Ball>, Fail> {
        BallArith::mul(self, a, b).map(Rc::new)
    }

    fn powi(&mut self, a: &Rc<Ball>, n: &BigInt) -> Result<Rc<Ball>, Fail> {
        if a.is_zero() && n < &BigInt::from(0) {
            return Err(Fail::undefined("0 to a negative power"));
        }
        BallArith::powi(self, a, n).map(Rc::new)
    }

    fn sqrt(&mut self, a: &Rc<Ball>) -> Result<Rc<Ball>, Fail> {
        BallArith::sqrt(self, a).map(Rc::new)
    }

    fn pow(&mut self, a: &Rc<Ball>, w: &Rc<Ball>) -> Result<Rc<Ball>, Fail> {
        BallArith::pow(self, a, w).map(Rc::new)
    }

    fn func(&mut self, f: Func, a: &Rc<Ball>) -> Result<Rc<Ball>, Fail> {
        BallArith::func(self, f, a).map(Rc::new)
    }
}
