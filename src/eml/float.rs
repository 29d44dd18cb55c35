//! EML in `f64` complex arithmetic, under the semantics of [`exact`](super::exact).
//!
//! `ln` is the principal logarithm, its imaginary part in `(-π, π]`: on the negative
//! real axis it takes the upper edge, `ln(-r) = ln r + πi`, whatever the sign of a
//! zero imaginary part. Values whose imaginary part is exactly a multiple of `π/2`
//! (or whose real part is exactly 0) are kept exact rather than rounded, so the
//! logarithm's branch is decided on what is exactly true. A real difference that
//! cancels to within rounding is taken as exactly 0, so that a logarithm of it is
//! reported as `ln 0` rather than computed from rounding noise.

use std::f64::consts::FRAC_PI_2;

use crate::eml::dag::{Dag, Id, Node};
use crate::eml::exact::{Exact, LnFail, Sign};

/// A complex value and what is known of it exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Value {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
    /// What is exactly known.
    pub exact: Exact,
}

/// Why an EML form has no `f64` value at a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fail {
    /// `ln 0`.
    LnZero,
    /// A logarithm whose branch depends on rounding (see [`LnFail::Fragile`]).
    Fragile,
    /// A value beyond the range of `f64`.
    Overflow,
}

impl Fail {
    /// The reason, in words.
    pub fn reason(self) -> &'static str {
        match self {
            Fail::LnZero => "ln 0 (defined only in the extended reals)",
            Fail::Fragile => "a logarithm on its branch cut whose edge depends on rounding",
            Fail::Overflow => "a value beyond the range of f64",
        }
    }
}

impl Value {
    /// A real number given exactly.
    pub fn real(x: f64) -> Value {
        Value {
            re: x,
            im: 0.0,
            exact: Exact::REAL,
        }
    }

    /// A complex number; exactly real when `im` is 0.
    pub fn complex(re: f64, im: f64) -> Value {
        if im == 0.0 {
            return Value::real(re);
        }
        Value {
            re,
            im,
            exact: Exact::UNKNOWN,
        }
    }

    /// The value with its exactly known parts written exactly.
    fn cleaned(mut self) -> Value {
        if let Some(k) = self.exact.half_pi {
            self.im = f64::from(k) * FRAC_PI_2;
        }
        if self.exact.re_zero {
            self.re = 0.0;
        }
        self
    }

    fn finite(self) -> Result<Value, Fail> {
        if self.re.is_finite() && self.im.is_finite() {
            Ok(self)
        } else {
            Err(Fail::Overflow)
        }
    }

    /// `exp(z)`.
    pub fn exp(self) -> Result<Value, Fail> {
        let r = self.re.exp();
        let exact = self.exact.exp();
        let (re, im) = match self.exact.half_pi {
            Some(k) => match k.rem_euclid(4) {
                0 => (r, 0.0),
                1 => (0.0, r),
                2 => (-r, 0.0),
                _ => (0.0, -r),
            },
            // An imaginary part of 0 must not meet an infinite modulus (inf * 0).
            None => (r * self.im.cos(), r * self.im.sin()),
        };
        Value { re, im, exact }.finite()
    }

    /// The principal `ln(z)`.
    pub fn ln(self) -> Result<Value, Fail> {
        let sign = |x: f64| {
            if x > 0.0 {
                Sign::Positive
            } else if x < 0.0 {
                Sign::Negative
            } else {
                Sign::Zero
            }
        };
        let exact = self
            .exact
            .ln(sign(self.re), sign(self.im))
            .map_err(|f| match f {
                LnFail::Zero | LnFail::Unsure => Fail::LnZero,
                LnFail::Fragile => Fail::Fragile,
            })?;
        let modulus = self.re.hypot(self.im);
        if modulus == 0.0 {
            return Err(Fail::LnZero);
        }
        // The upper edge on the cut: a zero imaginary part counts as +0.
        let im = if self.im == 0.0 {
            if self.re < 0.0 {
                std::f64::consts::PI
            } else {
                0.0
            }
        } else {
            self.im.atan2(self.re)
        };
        Value {
            re: modulus.ln(),
            im,
            exact,
        }
        .cleaned()
        .finite()
    }

    /// `a - b`.
    pub fn minus(self, b: Value) -> Value {
        let exact = self.exact.minus(b.exact);
        let mut re = self.re - b.re;
        // A real difference within rounding of 0 is 0: its logarithm is `ln 0`, not
        // the logarithm of noise.
        if exact.is_real() && re.abs() <= 8.0 * f64::EPSILON * self.re.abs().max(b.re.abs()) {
            re = 0.0;
        }
        Value {
            re,
            im: self.im - b.im,
            exact,
        }
        .cleaned()
    }

    /// `eml(a, b) = exp(a) - ln(b)`.
    pub fn eml(self, b: Value) -> Result<Value, Fail> {
        Ok(self.exp()?.minus(b.ln()?))
    }
}

/// The value of the tree `root` with the DAG's variables bound to `vars` (by number).
pub fn eval(dag: &Dag, root: Id, vars: &[Value]) -> Result<Value, Fail> {
    let order = dag.reachable(root);
    let mut values: rustc_hash::FxHashMap<Id, Value> = rustc_hash::FxHashMap::default();
    for id in order {
        let v = match dag.node(id) {
            Node::One => Value::real(1.0),
            Node::Var(k) => vars[k as usize],
            Node::Eml(a, b) => values[&a].eml(values[&b])?,
        };
        values.insert(id, v);
    }
    Ok(values[&root])
}
