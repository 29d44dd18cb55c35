//! What is known exactly about a complex value, beyond its floating-point digits.
//!
//! The principal logarithm jumps by `2πi` across its cut, the negative real axis, so
//! a value that is truly on the cut must not be decided by the sign of a rounding
//! error. This is how the paper's compiled `i` comes out as `-i` at most working
//! precisions: `exp(iπ)` is `-1` exactly, but its computed imaginary part is a tiny
//! number of either sign, and the logarithm that follows picks an edge by it.
//!
//! An [`Exact`] travels with every value an EML evaluator computes. It records when
//! the imaginary part is exactly a multiple of `π/2` and when the real part is exactly
//! 0, so that `exp(a + kπi)` is known to be real and `ln` of a negative real takes the
//! upper edge (`+πi`), by the stated convention. It also records whether every
//! floating-point arithmetic computes that exact imaginary part bit for bit
//! (`robust`). A value that is real only through cancellation inside `exp`
//! (`exp(a + πi)`) is not: an ordinary evaluator gives it a tiny imaginary part of a
//! sign that depends on the precision. When such a value reaches the cut, the point
//! is *fragile*: the form's value there depends on rounding, in every evaluator but
//! this one, and gauge does not accept the form at that point.

/// What an evaluator knows exactly about one complex value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Exact {
    /// The imaginary part is exactly `k·π/2`, for this `k`, when known.
    pub half_pi: Option<i8>,
    /// The real part is exactly 0.
    pub re_zero: bool,
    /// Every floating-point evaluation computes the imaginary part named by
    /// `half_pi` exactly, so that a decision on the cut cannot depend on rounding.
    pub robust: bool,
}

/// The sign of a real part, as far as an evaluator can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    /// Certainly above 0.
    Positive,
    /// Certainly below 0.
    Negative,
    /// Exactly 0.
    Zero,
    /// Not decided (an enclosure that straddles 0).
    Unknown,
}

/// Why `ln` has no value under the stated semantics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LnFail {
    /// `ln 0`, which is defined only in the extended reals.
    Zero,
    /// The argument is truly on the cut, but only through cancellation that
    /// floating-point evaluators do not reproduce: its edge depends on rounding.
    Fragile,
    /// The sign of the real part of a real argument is not decided.
    Unsure,
}

/// Keeps `k·π/2` within the range where exactness is worth tracking.
const LIMIT: i8 = 64;

/// The largest `|k|` (in halves of π) that floating point keeps exact when adding
/// and subtracting multiples of `π` computed as `atan2(0, -1)`: up to `2π`.
const ROBUST_LIMIT: i8 = 4;

impl Exact {
    /// A real number given exactly (the constant 1, a real variable's value).
    pub const REAL: Exact = Exact {
        half_pi: Some(0),
        re_zero: false,
        robust: true,
    };

    /// Nothing known (a complex variable's value).
    pub const UNKNOWN: Exact = Exact {
        half_pi: None,
        re_zero: false,
        robust: true,
    };

    /// Whether the value is exactly real.
    pub fn is_real(self) -> bool {
        self.half_pi == Some(0)
    }

    /// What is known of `exp(z)` from what is known of `z`.
    ///
    /// `exp(a + kπ/2 i)` is real when `k` is even and purely imaginary when `k` is odd;
    /// only `k = 0` is real in floating point too.
    pub fn exp(self) -> Exact {
        match self.half_pi {
            Some(k) if k.rem_euclid(2) == 0 => Exact {
                half_pi: Some(0),
                re_zero: false,
                robust: self.robust && k == 0,
            },
            Some(_) => Exact {
                half_pi: None,
                re_zero: true,
                robust: false,
            },
            None => Exact::UNKNOWN,
        }
    }

    /// What is known of `ln(z)`, given the sign of `z`'s real part and of its
    /// imaginary part (used when the real part is exactly 0).
    pub fn ln(self, re: Sign, im: Sign) -> Result<Exact, LnFail> {
        if self.is_real() {
            return match re {
                Sign::Positive => Ok(Exact::REAL.robust_if(self.robust)),
                Sign::Negative if self.robust => Ok(Exact {
                    half_pi: Some(2),
                    re_zero: false,
                    robust: true,
                }),
                Sign::Negative => Err(LnFail::Fragile),
                Sign::Zero => Err(LnFail::Zero),
                Sign::Unknown => Err(LnFail::Unsure),
            };
        }
        if self.re_zero {
            let k = match im {
                Sign::Positive => 1,
                Sign::Negative => -1,
                Sign::Zero => return Err(LnFail::Zero),
                Sign::Unknown => return Ok(Exact::UNKNOWN),
            };
            return Ok(Exact {
                half_pi: Some(k),
                re_zero: false,
                robust: false,
            });
        }
        Ok(Exact::UNKNOWN)
    }

    /// What is known of `a - b`.
    pub fn minus(self, b: Exact) -> Exact {
        let half_pi = match (self.half_pi, b.half_pi) {
            (Some(x), Some(y)) => x.checked_sub(y).filter(|k| k.abs() <= LIMIT),
            _ => None,
        };
        Exact {
            half_pi,
            re_zero: self.re_zero && b.re_zero,
            robust: self.robust && b.robust && half_pi.is_some_and(|k| k.abs() <= ROBUST_LIMIT),
        }
    }

    fn robust_if(self, robust: bool) -> Exact {
        Exact { robust, ..self }
    }
}
