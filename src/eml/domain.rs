//! Where a form is valid: regions of the complex plane, and the conditions a compiled
//! formula carries.
//!
//! A primitive's EML form need not agree with the primitive everywhere: the paper's
//! `x + y` of size 19 goes through `ln(exp(y))`, which is `y` only when
//! `|Im y| < π`. Each form in the table carries the largest [`Region`] on which the
//! audit found it right, for every one of its arguments. A compiled formula carries
//! one [`Condition`] per form it used whose region is not the whole plane: the
//! argument, as a source subexpression, must lie in the region.

use crate::expr::node::ExprId;

/// A region of the complex plane, for every argument of a form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    /// The positive reals.
    Positive,
    /// The reals.
    Real,
    /// The strip `|Im z| < π`, reals included.
    Strip,
    /// Everywhere but the negative real axis and 0: the principal logarithm's own
    /// domain of continuity.
    OffCut,
    /// The whole plane (wherever the primitive itself is defined).
    Complex,
}

impl Region {
    /// Every region, narrowest first.
    pub const ALL: [Region; 5] = [
        Region::Positive,
        Region::Real,
        Region::Strip,
        Region::OffCut,
        Region::Complex,
    ];

    /// The region's name, as the table and the search write it.
    pub fn name(self) -> &'static str {
        match self {
            Region::Positive => "positive",
            Region::Real => "real",
            Region::Strip => "strip",
            Region::OffCut => "off-cut",
            Region::Complex => "complex",
        }
    }

    /// The region with this name.
    pub fn from_name(name: &str) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Whether every point of `self` is in `other`.
    pub fn within(self, other: Region) -> bool {
        use Region::*;
        matches!(
            (self, other),
            (_, Complex) | (Positive, _) | (Real, Real | Strip) | (Strip, Strip) | (OffCut, OffCut)
        )
    }

    /// Whether the complex number `re + i im` lies in the region.
    pub fn contains(self, re: f64, im: f64) -> bool {
        match self {
            Region::Positive => im == 0.0 && re > 0.0,
            Region::Real => im == 0.0,
            Region::Strip => im.abs() < std::f64::consts::PI,
            Region::OffCut => !(im == 0.0 && re <= 0.0),
            Region::Complex => true,
        }
    }

    /// The condition `z ∈ region` in words, for an argument printed as `z`.
    pub fn describe(self, z: &str) -> String {
        match self {
            Region::Positive => format!("{z} > 0"),
            Region::Real => format!("{z} real"),
            Region::Strip => format!("|Im({z})| < pi"),
            Region::OffCut => format!("{z} not in (-inf, 0]"),
            Region::Complex => format!("{z} anywhere"),
        }
    }
}

/// A condition a compiled formula carries: the source subexpression `arg` must lie
/// in `region` for the form used on it to be right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Condition {
    /// The region.
    pub region: Region,
    /// The argument, in the source formula's pool.
    pub arg: ExprId,
}
