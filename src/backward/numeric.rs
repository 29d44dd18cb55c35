//! The numeric check at a realistic shape: the program's own float64 gradient against
//! central differences of its own loss, element by element at sampled elements.
//!
//! The proof runs at small instances of the named dimensions; this check runs the same
//! functions on real arrays at realistic sizes, where a program that special-cases a
//! shape, or mixes up two axes that are equal only at small sizes, is caught. For each
//! sampled element the driver gives the loss at `x`, `x ± h` and `x ± h/2`; the
//! derivative is the Richardson extrapolation of the two central differences, with
//! their disagreement and the rounding of the loss as its error. Where the one-sided
//! differences disagree by more than that, the element sits on a kink (`relu` at
//! exactly 0, a tie of a `max`), and any value between them is a valid subgradient.

use serde::Serialize;

/// The loss at the five points of one element's differences.
#[derive(Clone, Copy, Debug)]
pub struct Probe {
    /// f(x).
    pub at: f64,
    /// f(x + h), f(x - h).
    pub h: (f64, f64),
    /// f(x + h/2), f(x - h/2).
    pub half: (f64, f64),
    /// The step.
    pub step: f64,
}

/// One sampled element's judgement.
#[derive(Clone, Debug, Serialize)]
pub struct NumericElement {
    /// The element's index.
    pub index: Vec<usize>,
    /// The program's gradient element.
    pub got: f64,
    /// The derivative by differences (at a kink, the middle of the one-sided ones).
    pub want: f64,
    /// The bound on `|got - want|` it was held to.
    pub bound: f64,
    /// Whether the element is on a kink, where any value between the one-sided
    /// differences passes.
    pub kink: bool,
    /// Whether it passed.
    pub passed: bool,
}

/// Judges one element: the program's `got` against the differences of `p`.
pub fn judge(index: Vec<usize>, got: f64, p: Probe) -> NumericElement {
    let h = p.step;
    let central = (p.h.0 - p.h.1) / (2.0 * h);
    let central_half = (p.half.0 - p.half.1) / h;
    let richardson = (4.0 * central_half - central) / 3.0;
    // The rounding of the loss values, carried through the differences, and the
    // disagreement of the two steps (the truncation left after extrapolating).
    let scale = p.at.abs().max(p.h.0.abs()).max(p.h.1.abs());
    let rounding = 8.0 * f64::EPSILON * scale / h;
    let truncation = (central_half - central).abs();
    let bound = 1e-6 * richardson.abs().max(got.abs()).max(1e-3) + 10.0 * (rounding + truncation);
    // A kink: for a smooth loss the one-sided differences close in as the step
    // halves (their gap is about h f''), while across a kink their gap stays the jump
    // of the derivative.
    let right = (p.h.0 - p.at) / h;
    let left = (p.at - p.h.1) / h;
    let right_half = (p.half.0 - p.at) / (h / 2.0);
    let left_half = (p.at - p.half.1) / (h / 2.0);
    let (gap, gap_half) = ((right - left).abs(), (right_half - left_half).abs());
    let kink =
        gap_half > 0.8 * gap && gap > 1e3 * rounding + 1e-8 * right.abs().max(left.abs()).max(1e-3);
    if !got.is_finite() || !central.is_finite() {
        return NumericElement {
            index,
            got,
            want: richardson,
            bound,
            kink: false,
            passed: false,
        };
    }
    if kink {
        let (lo, hi) = if left < right {
            (left, right)
        } else {
            (right, left)
        };
        let slack =
            1e-6 * hi.abs().max(lo.abs()).max(1e-3) + 10.0 * rounding + (right - left).abs() * 1e-3;
        return NumericElement {
            index,
            got,
            want: (lo + hi) / 2.0,
            bound: slack,
            kink: true,
            passed: got >= lo - slack && got <= hi + slack,
        };
    }
    NumericElement {
        index,
        got,
        want: richardson,
        bound,
        kink: false,
        passed: (got - richardson).abs() <= bound,
    }
}

/// One input's numeric check at one point.
#[derive(Clone, Debug, Serialize)]
pub struct NumericInput {
    /// The input's name.
    pub name: String,
    /// The sampled elements.
    pub elements: Vec<NumericElement>,
}

impl NumericInput {
    /// Whether every sampled element passed.
    pub fn passed(&self) -> bool {
        self.elements.iter().all(|e| e.passed)
    }
}

/// The numeric check at one point of a realistic shape.
#[derive(Clone, Debug, Serialize)]
pub struct NumericCheck {
    /// Each named dimension's size.
    pub sizes: Vec<(String, usize)>,
    /// What the point is: `random`, or `kinks` (inputs with zeros planted, so that a
    /// `relu` meets exactly 0).
    pub point: String,
    /// Each checked input.
    pub inputs: Vec<NumericInput>,
}
