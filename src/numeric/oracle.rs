//! Checking derivatives against independent numbers.
//!
//! A claimed derivative (gauge's own symbolic one, or a formula a person derived) is
//! compared, component by component, with three oracles that do not use the symbolic
//! engine: central finite differences with Richardson extrapolation, the complex step
//! `Im f(x + ih)/h`, and dual numbers, which share no derivative table (see
//! `numeric::complex_table`). Against the exact oracles a component agrees within a
//! multiple of the rounding bounds of the claim (in its dtype) and of the dual numbers,
//! a condition estimate carried through each computation; against finite differences
//! within fixed tolerances (see [`Tolerances`]).
//!
//! The checker is careful where numbers mislead: where finite differences at two step
//! sizes disagree (cancellation, or a step below the input's resolution), they are
//! reported as unreliable and the exact oracles decide; where the left and right
//! one-sided differences differ, the point is a kink, and a claim between them is
//! accepted as a subgradient, and said so.
//!
//! [`gradcheck`] is the same check for Rust code: closures for a function and its
//! claimed gradient, checked with finite differences, as `torch.autograd.gradcheck` does.

use crate::diag::error::Result;
use crate::numeric::bounds::Rounding;
use crate::numeric::scalar::{BoundedDual, Branches, Complex, Dual, F32, InputRounded, Scalar};
use crate::numeric::tape::{InputRef, Reuse, Tape, TapeInputs};

/// The oracles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Oracle {
    /// Central finite differences with Richardson extrapolation.
    FiniteDifferences,
    /// The complex step.
    ComplexStep,
    /// Dual numbers (forward mode).
    DualNumbers,
}

impl Oracle {
    /// The oracle's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Oracle::FiniteDifferences => "finite differences",
            Oracle::ComplexStep => "complex step",
            Oracle::DualNumbers => "dual numbers",
        }
    }
}

/// The precision the claim and the finite differences are evaluated in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// Double precision.
    F64,
    /// Single precision (the exact oracles stay in double precision as the reference).
    F32,
}

impl Dtype {
    /// Machine epsilon.
    pub fn epsilon(self) -> f64 {
        match self {
            Dtype::F64 => f64::EPSILON,
            Dtype::F32 => f64::from(f32::EPSILON),
        }
    }
}

/// Agreement thresholds.
///
/// Against the exact oracles (complex step, dual numbers) a claim agrees when
/// `|claim - reference| <= exact_rtol*|reference| + exact_safety*(e_claim + e_ref)`:
/// `e_claim` bounds the rounding of the claim in its dtype and `e_ref` that of the
/// dual numbers in `f64`, both by running error analysis along the computation, so
/// the tolerance is relative to the dtype and to a condition estimate (a derivative
/// computed through cancelling terms carries the size of the terms). `exact_rtol` is a
/// floor for what the bounds leave out (a math library's last bits, the complex step's
/// own arithmetic). Against finite differences, whose truncation and rounding are not
/// bounded, a claim agrees when `|claim - reference| <= fd_atol + fd_rtol*|reference|`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerances {
    /// The multiple of the rounding bounds allowed against the exact oracles.
    pub exact_safety: f64,
    /// The relative floor against the exact oracles.
    pub exact_rtol: f64,
    /// Absolute tolerance against finite differences.
    pub fd_atol: f64,
    /// Relative tolerance against finite differences.
    pub fd_rtol: f64,
}

impl Tolerances {
    /// The defaults for a precision: against the exact oracles, 16 times the rounding
    /// bounds with a relative floor of 1e-12 in `f64` (so a claim off by 1e-9 relative
    /// fails wherever the derivative is computed stably) and 1e-6 in `f32`; against
    /// finite differences, 1e-9 + 1e-6 |ref| in `f64` and 1e-4 + 1e-3 |ref| in `f32`.
    pub fn for_dtype(dtype: Dtype) -> Tolerances {
        match dtype {
            Dtype::F64 => Tolerances {
                exact_safety: 16.0,
                exact_rtol: 1e-12,
                fd_atol: 1e-9,
                fd_rtol: 1e-6,
            },
            Dtype::F32 => Tolerances {
                exact_safety: 16.0,
                exact_rtol: 1e-6,
                fd_atol: 1e-4,
                fd_rtol: 1e-3,
            },
        }
    }

    /// The largest difference allowed between a claim and an exact oracle's
    /// `reference`, given the absolute rounding bounds of the claim and of the
    /// reference. A bound that is not finite (a derivative computed through an
    /// overflow, or at the edge of a domain) allows what finite differences would.
    pub fn exact_slack(&self, reference: f64, claim_rounding: f64, reference_rounding: f64) -> f64 {
        let bound = claim_rounding + reference_rounding;
        if !bound.is_finite() {
            return self.fd_atol + self.fd_rtol * reference.abs();
        }
        self.exact_rtol * reference.abs() + self.exact_safety * bound
    }

    /// Whether `claim` agrees with a finite-difference `reference`.
    fn fd_allows(&self, claim: f64, reference: f64) -> bool {
        (claim - reference).abs() <= self.fd_atol + self.fd_rtol * reference.abs()
    }
}

/// A claimed derivative's value at a point and a bound on its rounding there (absolute,
/// in the dtype it was computed in).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Claimed {
    /// The value.
    pub value: f64,
    /// The bound on its rounding error.
    pub rounding: f64,
}

impl Claimed {
    /// A value taken as exact (a number a test or a caller supplies).
    pub fn exact(value: f64) -> Claimed {
        Claimed {
            value,
            rounding: 0.0,
        }
    }
}

/// One oracle's value for one component.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// Which oracle.
    pub oracle: Oracle,
    /// Its value (the reference), if it could be computed.
    pub value: Option<f64>,
    /// `|claim - value|`.
    pub abs_error: f64,
    /// `|claim - value| / |value|` (the absolute error where the value is 0).
    pub rel_error: f64,
    /// Whether this oracle's value is trusted at this point.
    pub trusted: bool,
    /// Whether the claim agrees with it under the tolerances.
    pub agrees: bool,
    /// Why it is not trusted, where it is not.
    pub note: Option<String>,
}

/// What one oracle comparison says about one component at one point: the claimed
/// derivative agrees with the trusted oracles, disagrees, sits on a kink, or nothing
/// could be trusted. (A claim's overall outcome is a different thing, the prover's.)
#[derive(Clone, Debug, PartialEq)]
pub enum Agreement {
    /// The claim agrees with every trusted oracle.
    Agrees,
    /// The claim disagrees with a trusted oracle.
    Disagrees,
    /// The point is a kink: the derivative does not exist; the one-sided derivatives are
    /// given, and whether the claim lies between them (a subgradient).
    Kink {
        /// The left derivative.
        left: f64,
        /// The right derivative.
        right: f64,
        /// Whether the claim lies between them.
        subgradient: bool,
    },
    /// No oracle could be trusted at this point.
    Inconclusive,
}

/// The check of one component at one point.
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentCheck {
    /// The component, such as `x` or `z[2]`.
    pub component: String,
    /// The claimed derivative's value (None where the claim is undefined).
    pub claim: Option<f64>,
    /// The oracles' readings.
    pub readings: Vec<Reading>,
    /// What the comparison concluded.
    pub verdict: Agreement,
    /// Notes for the reader (which oracle was trusted and why).
    pub notes: Vec<String>,
}

impl ComponentCheck {
    /// Whether the component passes (it agrees, or is a kink with a subgradient claim, or
    /// a kink where the claim is undefined).
    pub fn passes(&self) -> bool {
        match &self.verdict {
            Agreement::Agrees | Agreement::Inconclusive => true,
            Agreement::Disagrees => false,
            Agreement::Kink { subgradient, .. } => *subgradient || self.claim.is_none(),
        }
    }
}

/// A function of one input, for the oracles: its value at `x + delta` in the input's
/// component, over any scalar type.
pub struct Probe<'a> {
    /// The compiled function.
    pub tape: &'a Tape,
    /// The point.
    pub inputs: &'a TapeInputs,
    /// The perturbed input.
    pub input: InputRef,
    /// The input's value at the point.
    pub x: f64,
    /// Runs of `tape` at `inputs` kept for the probes of one point, so that a run
    /// recomputes only what depends on `input` (see [`Reuse`]); `None` runs from
    /// scratch. Either way the values are the same.
    pub reuse: Option<&'a Reuse<'a>>,
    /// The function's value at the point, where the caller has computed it (every
    /// probe of a point shares it); `None` computes it.
    pub value: Option<f64>,
}

impl Probe<'_> {
    fn at<T: Scalar + 'static>(&self, delta: T) -> Option<T> {
        let seed = Some((self.input, delta));
        match self.reuse {
            Some(r) if r.is_for(self.tape, self.inputs) => r.run(seed).ok(),
            _ => self.tape.run(self.inputs, seed).ok(),
        }
    }

    /// The function's value at the point, in `f64`. A run that adds 0 to the input
    /// gives the same value (at most the sign of a zero result differs, where the
    /// input is -0, and every use here takes a difference or a size), so the value
    /// the caller computed once serves every component.
    fn unperturbed(&self) -> Option<f64> {
        self.value.or_else(|| self.at(0.0f64))
    }

    fn value_at(&self, h: f64, dtype: Dtype) -> Option<f64> {
        match dtype {
            Dtype::F64 => self.at(h),
            Dtype::F32 => {
                // The perturbed input itself is rounded to single precision.
                let xh = (self.x + h) as f32;
                let delta = f64::from(xh) - self.x;
                self.at(F32(delta as f32)).map(|v| v.re())
            }
        }
    }
}

/// Finite differences: Richardson-extrapolated central differences at a step chosen
/// from the input's scale and the precision, and at a quarter of it; `None` with a
/// reason where they cannot be trusted.
pub fn finite_difference(probe: &Probe<'_>, dtype: Dtype) -> (Option<f64>, Option<String>, f64) {
    let eps = dtype.epsilon();
    let scale = probe.x.abs().max(1.0);
    // The truncation error of the extrapolated difference is O(h^4) and the rounding
    // error O(eps/h): their balance is at h ~ eps^(1/5).
    let h = eps.powf(0.2) * scale;
    let central = |h: f64| -> Option<f64> {
        // A step below the input's resolution, in the precision used, is never used.
        let lost = match dtype {
            Dtype::F64 => probe.x + h == probe.x,
            Dtype::F32 => (probe.x as f32) + (h as f32) == probe.x as f32,
        };
        if lost {
            return None;
        }
        let fp = probe.value_at(h, dtype)?;
        let fm = probe.value_at(-h, dtype)?;
        Some((fp - fm) / (2.0 * h))
    };
    let richardson = |h: f64| -> Option<f64> {
        let a = central(h)?;
        let b = central(h / 2.0)?;
        Some((4.0 * b - a) / 3.0)
    };
    let (Some(r1), Some(r2)) = (richardson(h), richardson(h / 4.0)) else {
        return (
            None,
            Some("the function is undefined near the point".into()),
            h,
        );
    };
    // Two step sizes that disagree in the leading digits mean the differences carry
    // rounding noise (cancellation) or the function is not smooth here; either way they
    // do not decide the verdict. The test is relative, so a tiny derivative computed
    // from much larger values is caught too.
    let spread = (r1 - r2).abs();
    let digits = if dtype == Dtype::F32 { 1e-2 } else { 1e-6 };
    // The rounding of f itself, magnified by the smallest step used: where it is not
    // far below the estimate, the differences cannot resolve the slope (a huge f with
    // a small slope gives the same f on both sides, and a difference of exactly 0).
    let f0 = match dtype {
        Dtype::F64 => probe.unperturbed(),
        Dtype::F32 => probe.value_at(0.0, dtype),
    }
    .unwrap_or(0.0);
    let noise = eps * f0.abs() / (h / 8.0);
    let unresolved = noise > digits * r2.abs();
    if unresolved || (spread > digits * r2.abs().max(r1.abs()) && spread > f64::MIN_POSITIVE) {
        return (
            Some(r2),
            Some(format!(
                "finite differences lost their digits here: at steps {h:.1e} and {:.1e} they give {r1:e} and {r2:e} (cancellation, or a point where the function is not smooth)",
                h / 4.0
            )),
            h,
        );
    }
    (Some(r2), None, h)
}

/// The complex-step derivative, `Im f(x + ih)/h` with `h = 1e-150`: small enough that
/// the `h^2` terms vanish below any value's resolution, and large enough that a
/// derivative as small as 1e-150 still has an imaginary part above the subnormals
/// (`h = 1e-200` lost every derivative below 1e-108, `exp(-300)`'s for one).
pub fn complex_step(probe: &Probe<'_>) -> Option<f64> {
    let h = COMPLEX_STEP;
    probe.at(Complex::new(0.0, h)).map(|c| c.im / h)
}

/// The complex step's `h`.
pub const COMPLEX_STEP: f64 = 1e-150;

/// The forward-mode derivative from dual numbers.
pub fn dual_number(probe: &Probe<'_>) -> Option<f64> {
    probe.at(Dual::new(0.0, 1.0)).map(|d| d.derivative)
}

/// The forward-mode derivative from dual numbers, with a bound on its absolute
/// rounding (see [`BoundedDual`]); one run gives both.
pub fn dual_number_bounded(probe: &Probe<'_>) -> Option<(f64, f64)> {
    let unit = BoundedDual {
        dual: Dual::new(0.0, 1.0),
        value_error: 0.0,
        error: 0.0,
    };
    probe
        .at(unit)
        .map(|d| (d.dual.derivative, d.error * f64::EPSILON / 2.0))
}

/// Whether the function's computation at the point applies `abs` to exactly 0 (see
/// [`Branches`]): there gauge's derivative of `abs` is undefined, even where the
/// argument is 0 all around and the function is smooth.
pub fn on_abs_zero(probe: &Probe<'_>) -> bool {
    probe
        .tape
        .run::<Branches>(probe.inputs, None)
        .is_ok_and(|b| b.at_zero)
}

/// One-sided differences, to find kinks: `(left, right)` if they differ.
pub fn kink(probe: &Probe<'_>) -> Option<(f64, f64)> {
    let h = f64::EPSILON.sqrt() * probe.x.abs().max(1.0);
    let f0 = probe.unperturbed()?;
    let sides = |h: f64| -> Option<(f64, f64)> {
        let fp = probe.at(h)?;
        let fm = probe.at(-h)?;
        Some(((f0 - fm) / h, (fp - f0) / h))
    };
    let (left, right) = sides(h)?;
    let jump = (right - left).abs();
    if jump <= 1e-4 * (1.0 + right.abs() + left.abs()) {
        return None;
    }
    // At a kink the jump between the one-sided slopes stays as the step shrinks; where
    // the function is merely curved, it shrinks with the step.
    let (l2, r2) = sides(h / 16.0)?;
    ((r2 - l2).abs() > 0.5 * jump).then_some((left, right))
}

/// Checks one component: the claim against each oracle.
pub fn check_component(
    component: String,
    claimed: Option<Claimed>,
    probe: &Probe<'_>,
    dtype: Dtype,
    tol: &Tolerances,
) -> ComponentCheck {
    let claim = claimed.map(|c| c.value);
    let mut notes = Vec::new();
    if let Some((left, right)) = kink(probe) {
        let (lo, hi) = (left.min(right), left.max(right));
        let subgradient = claim.is_some_and(|c| {
            c >= lo - tol.fd_atol - tol.fd_rtol * lo.abs()
                && c <= hi + tol.fd_atol + tol.fd_rtol * hi.abs()
        });
        notes.push(format!(
            "the function has a kink here: the left derivative is {left:e} and the right one {right:e}, so it is not differentiable"
        ));
        if subgradient {
            notes.push("the claim lies between them, so it is accepted as a subgradient".into());
        } else if claim.is_none() {
            notes.push("the claimed derivative is undefined here, as it should be".into());
        }
        return ComponentCheck {
            component,
            claim,
            readings: Vec::new(),
            verdict: Agreement::Kink {
                left,
                right,
                subgradient,
            },
            notes,
        };
    }
    let (fd, fd_note, fd_step) = finite_difference(probe, dtype);
    let bounded = dual_number_bounded(probe);
    let dual_rounding = bounded.map_or(f64::INFINITY, |b| b.1);
    // An undefined claim where an argument of `abs` is exactly 0 is gauge's derivative
    // of `abs` saying it is undefined there (`u/abs(u)`), not a wrong claim: with
    // `len(z) = 1`, `cross_entropy(z, 0)` is 0 everywhere, so `abs` of it is smooth
    // (the one-sided derivatives agree) but sits on its kink at every point. It is
    // reported as a kink whose sides agree.
    if claim.is_none()
        && let Some((d, _)) = bounded
        && on_abs_zero(probe)
    {
        notes.push(format!(
            "an argument of abs is exactly 0 here, where the derivative of abs is undefined; the function is smooth here (both one-sided derivatives are {d:e}), and the claimed derivative is undefined, as gauge's derivative of abs is at 0"
        ));
        return ComponentCheck {
            component,
            claim,
            readings: Vec::new(),
            verdict: Agreement::Kink {
                left: d,
                right: d,
                subgradient: false,
            },
            notes,
        };
    }
    let claim_rounding = claimed.map_or(0.0, |c| c.rounding);
    let readings_raw = [
        (Oracle::ComplexStep, complex_step(probe), None),
        (Oracle::DualNumbers, bounded.map(|b| b.0), None),
        (Oracle::FiniteDifferences, fd, fd_note),
    ];
    let allows = |oracle: Oracle, c: f64, v: f64| match oracle {
        Oracle::FiniteDifferences => tol.fd_allows(c, v),
        Oracle::ComplexStep | Oracle::DualNumbers => {
            (c - v).abs() <= tol.exact_slack(v, claim_rounding, dual_rounding)
        }
    };
    let mut readings = Vec::new();
    for (oracle, value, note) in readings_raw {
        let trusted = value.is_some() && note.is_none();
        let (abs_error, rel_error, agrees) = match (claim, value) {
            (Some(c), Some(v)) => {
                let a = (c - v).abs();
                let r = if v != 0.0 { a / v.abs() } else { a };
                (a, r, allows(oracle, c, v))
            }
            _ => (f64::NAN, f64::NAN, false),
        };
        if let Some(n) = &note {
            notes.push(n.clone());
        }
        readings.push(Reading {
            oracle,
            value,
            abs_error,
            rel_error,
            trusted,
            agrees,
            note,
        });
    }
    // Finite differences that disagree are looked at once more: the rounding of f
    // comes from its largest intermediate value, not from f itself (`sin(x*1e9)` is
    // at most 1 but carries the rounding of 1e9), and where that rounding, magnified
    // by the step, is not far below the estimate, the differences decide nothing.
    // Only a disagreement pays for the extra run that finds the largest value.
    if let Some(r) = readings
        .iter_mut()
        .find(|r| r.oracle == Oracle::FiniteDifferences && r.trusted && !r.agrees)
    {
        let largest = probe.tape.largest_intermediate(probe.inputs);
        let rounding = dtype.epsilon() * largest;
        let noise = rounding / (fd_step / 8.0);
        let digits = if dtype == Dtype::F32 { 1e-2 } else { 1e-6 };
        if noise > digits * r.value.map_or(0.0, f64::abs) {
            let note = format!(
                "finite differences cannot resolve the slope here: an intermediate value of {largest:.1e} carries a rounding of {rounding:.1e}, which their step magnifies to {noise:.1e}"
            );
            notes.push(note.clone());
            r.trusted = false;
            r.note = Some(note);
        }
    }
    // The complex step and dual numbers compute the same derivative from tables
    // written apart, each exactly up to its rounding; where they differ by more than
    // the rounding bound allows, one of them is wrong here (a table's bug, or
    // rounding at an extreme point that the bound missed), and neither judges the
    // claim: finite differences decide where they can be trusted.
    let exact: Vec<f64> = readings
        .iter()
        .filter(|r| r.trusted && r.oracle != Oracle::FiniteDifferences)
        .filter_map(|r| r.value)
        .collect();
    let exact_split = exact.len() == 2
        && (exact[0] - exact[1]).abs()
            > tol.exact_slack(exact[0].abs().max(exact[1].abs()), 0.0, 2.0 * dual_rounding);
    if exact_split {
        notes.push(format!(
            "the complex step ({:e}) and dual numbers ({:e}) disagree with each other here, so only finite differences can judge this point",
            exact[0], exact[1]
        ));
        for r in readings
            .iter_mut()
            .filter(|r| r.oracle != Oracle::FiniteDifferences)
        {
            r.trusted = false;
        }
    }
    let trusted: Vec<&Reading> = readings.iter().filter(|r| r.trusted).collect();
    if readings
        .iter()
        .any(|r| r.oracle == Oracle::FiniteDifferences && !r.trusted)
        && trusted
            .iter()
            .any(|r| r.oracle != Oracle::FiniteDifferences)
    {
        notes.push(
            "the verdict rests on the complex step and dual numbers, which do not cancel".into(),
        );
    }
    // The exact oracles agree with each other here (else they were set aside above),
    // each to its rounding; a claim within its tolerance of either is within the sum
    // of both of the other, so either one suffices. Finite differences, where trusted,
    // must agree too.
    let exact_agrees = trusted
        .iter()
        .filter(|r| r.oracle != Oracle::FiniteDifferences)
        .map(|r| r.agrees)
        .reduce(|a, b| a || b);
    let fd_agrees = trusted
        .iter()
        .find(|r| r.oracle == Oracle::FiniteDifferences)
        .map(|r| r.agrees);
    let verdict = match (claim, exact_agrees, fd_agrees) {
        (None, _, _) => Agreement::Disagrees,
        (Some(_), None, None) => Agreement::Inconclusive,
        (Some(_), e, f) if e != Some(false) && f != Some(false) => Agreement::Agrees,
        _ => Agreement::Disagrees,
    };
    if claim.is_none() {
        notes.push("the claimed derivative is undefined at this point".into());
    }
    ComponentCheck {
        component,
        claim,
        readings,
        verdict,
        notes,
    }
}

/// Options for [`gradcheck`].
#[derive(Clone, Debug)]
pub struct GradcheckOptions {
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance.
    pub rtol: f64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            atol: 1e-7,
            rtol: 1e-5,
        }
    }
}

/// The result of [`gradcheck`].
#[derive(Clone, Debug)]
pub struct GradcheckReport {
    /// Per component: the claimed gradient, the finite-difference reference, and whether
    /// they agree.
    pub components: Vec<(f64, f64, bool)>,
    /// Whether every component agrees.
    pub passed: bool,
    /// The component with the largest error, if any failed.
    pub worst: Option<usize>,
}

/// Checks a claimed gradient of a function of a vector with Richardson-extrapolated
/// central differences, like `torch.autograd.gradcheck`.
///
/// ```
/// use gauge::numeric::oracle::{gradcheck, GradcheckOptions};
///
/// // f(x) = x0^2 * x1, whose gradient is (2 x0 x1, x0^2).
/// let f = |x: &[f64]| x[0] * x[0] * x[1];
/// let right = |x: &[f64]| vec![2.0 * x[0] * x[1], x[0] * x[0]];
/// let wrong = |x: &[f64]| vec![x[0] * x[1], x[0] * x[0]]; // dropped the factor 2
/// assert!(gradcheck(f, right, &[1.5, -0.5], &GradcheckOptions::default()).passed);
/// let report = gradcheck(f, wrong, &[1.5, -0.5], &GradcheckOptions::default());
/// assert!(!report.passed);
/// assert_eq!(report.worst, Some(0));
/// ```
pub fn gradcheck(
    f: impl Fn(&[f64]) -> f64,
    grad: impl Fn(&[f64]) -> Vec<f64>,
    x0: &[f64],
    options: &GradcheckOptions,
) -> GradcheckReport {
    let claimed = grad(x0);
    let mut components = Vec::with_capacity(x0.len());
    let mut worst: Option<(usize, f64)> = None;
    for k in 0..x0.len() {
        let scale = x0[k].abs().max(1.0);
        let h = f64::EPSILON.powf(0.2) * scale;
        let at = |d: f64| {
            let mut x = x0.to_vec();
            x[k] += d;
            f(&x)
        };
        let central = |h: f64| (at(h) - at(-h)) / (2.0 * h);
        let reference = (4.0 * central(h / 2.0) - central(h)) / 3.0;
        let c = claimed.get(k).copied().unwrap_or(f64::NAN);
        let err = (c - reference).abs();
        let ok = err <= options.atol + options.rtol * reference.abs();
        if !ok && worst.is_none_or(|(_, e)| err > e) {
            worst = Some((k, err));
        }
        components.push((c, reference, ok));
    }
    let passed = components.iter().all(|c| c.2) && claimed.len() == x0.len();
    GradcheckReport {
        components,
        passed,
        worst: worst.map(|w| w.0),
    }
}

/// Runs the claim's tape for one component, in the checked precision.
pub fn claim_value(tape: &Tape, inputs: &TapeInputs, dtype: Dtype) -> Result<f64> {
    match dtype {
        Dtype::F64 => tape.run::<f64>(inputs, None),
        Dtype::F32 => tape.run::<F32>(inputs, None).map(|v| v.re()),
    }
}

/// Runs the claim's tape for one component, in the checked precision, with a bound on
/// its rounding there: the running error bound of the claim's formula (in `f32`, with
/// the point and the constants rounded as they are read).
pub fn claim_bounded(tape: &Tape, inputs: &TapeInputs, dtype: Dtype) -> Result<Claimed> {
    let value = claim_value(tape, inputs, dtype)?;
    let units = match dtype {
        Dtype::F64 => tape.run::<Rounding>(inputs, None).map(|r| r.error),
        Dtype::F32 => tape.run::<InputRounded>(inputs, None).map(|r| r.0.error),
    };
    Ok(Claimed {
        value,
        rounding: claim_rounding(units.unwrap_or(f64::INFINITY), dtype),
    })
}

/// A running error bound in units of the dtype's unit roundoff, as an absolute bound.
pub fn claim_rounding(units: f64, dtype: Dtype) -> f64 {
    units * dtype.epsilon() / 2.0
}
