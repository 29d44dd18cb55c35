//! The per-element decision: is the program's gradient element the derivative of its
//! loss?
//!
//! The loss's derivative by every input element is taken in one reverse sweep over the
//! trace ([`crate::calculus::gradient`]). Each element of the program's gradient is then
//! first compared with it at the drawn point, in 128-bit interval arithmetic: an
//! enclosure of the difference that excludes 0 certifies a wrong element, with both
//! values. An element that agrees there goes to the prover ([`crate::prove`]), which
//! proves `got = want` by sound rules or says why not. Since the trace took each
//! branch as the drawn point did, a proof holds in the region the branches imply.

use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::node::ExprId;
use crate::numeric::precise::eval::{BUDGET, Evaluator};
use crate::prove::Outcome;

use super::Trace;

/// The precision of the check at the drawn point, in bits.
pub const POINT_BITS: usize = 128;

/// What became of one element.
#[derive(Clone, Debug, PartialEq)]
pub enum ElementVerdict {
    /// `got = want` by sound rules, in the trace's region; the number of steps.
    Proved {
        /// The steps the proof took (0 when the two are one expression).
        steps: usize,
    },
    /// The two differ at the drawn point, as certified in interval arithmetic.
    Wrong {
        /// The program's value (the midpoint of its enclosure).
        got: f64,
        /// The derivative's value.
        want: f64,
    },
    /// They agree at the drawn point but differ elsewhere, as certified: a difference
    /// outside the region the branches imply, or one that vanishes at the point.
    WrongElsewhere {
        /// The point, `name = value` for every name.
        point: Vec<(String, String)>,
    },
    /// No proof, but agreement at every point tested, certified: numbers, not proof.
    Confirmed,
    /// Not decided, and why.
    Undecided(String),
    /// Not decided because an earlier element of the same input is wrong.
    Skipped,
}

impl ElementVerdict {
    /// Whether the element is certainly wrong.
    pub fn is_wrong(&self) -> bool {
        matches!(
            self,
            ElementVerdict::Wrong { .. } | ElementVerdict::WrongElsewhere { .. }
        )
    }
}

/// One element of one input's gradient.
#[derive(Clone, Debug)]
pub struct Element {
    /// Its index.
    pub index: Vec<usize>,
    /// The program's gradient element.
    pub got: ExprId,
    /// The loss's derivative by the input element.
    pub want: ExprId,
    /// The program's value at the drawn point (NaN where it could not be enclosed).
    pub got_value: f64,
    /// The derivative's value there.
    pub want_value: f64,
    /// The verdict.
    pub verdict: ElementVerdict,
}

/// Why an input's gradient could not be compared element by element.
#[derive(Clone, Debug, PartialEq)]
pub enum Mismatch {
    /// The backward gave no gradient for the input.
    Missing,
    /// The gradient's shape differs from the input's.
    Shape {
        /// The gradient's shape.
        got: Vec<usize>,
        /// Whether the gradient is the correct one transposed, element for element
        /// (decided at the drawn point, in interval arithmetic).
        transposed: bool,
    },
}

/// One input's result.
#[derive(Clone, Debug)]
pub struct InputResult {
    /// The input's name.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Why its elements could not be compared, if so.
    pub mismatch: Option<Mismatch>,
    /// The elements, row-major.
    pub elements: Vec<Element>,
}

impl InputResult {
    /// Whether every element is proved.
    pub fn proved(&self) -> bool {
        self.mismatch.is_none()
            && self
                .elements
                .iter()
                .all(|e| matches!(e.verdict, ElementVerdict::Proved { .. }))
    }

    /// Whether some element is certainly wrong (or the shape is).
    pub fn wrong(&self) -> bool {
        self.mismatch.is_some() || self.elements.iter().any(|e| e.verdict.is_wrong())
    }

    /// The first wrong element.
    pub fn first_wrong(&self) -> Option<&Element> {
        self.elements.iter().find(|e| e.verdict.is_wrong())
    }
}

/// A program's gradient, by input: its name, its shape, and its elements row-major.
pub type Gradients = Vec<(String, Vec<usize>, Vec<ExprId>)>;

/// Decides every element of every input's gradient.
pub fn verify(
    trace: &mut Trace,
    loss: ExprId,
    grads: &Gradients,
    seed: u64,
) -> Result<Vec<InputResult>> {
    if !trace.holds(loss) {
        return Err(Error::new(
            ErrorKind::Binding,
            "the loss is not a value of this trace",
        ));
    }
    for (name, _, _) in grads {
        if !trace.inputs().iter().any(|i| &i.name == name) {
            let names: Vec<String> = trace
                .inputs()
                .iter()
                .map(|i| format!("`{}`", i.name))
                .collect();
            return Err(Error::new(
                ErrorKind::Binding,
                format!("the backward gives a gradient for `{name}`, which is not an input"),
            )
            .with_hint(format!("the inputs are {}", names.join(", "))));
        }
    }
    // Only the inputs the program gives gradients for are checked, and the loss is
    // differentiated by their elements alone.
    let inputs: Vec<_> = trace
        .inputs()
        .iter()
        .filter(|i| grads.iter().any(|g| g.0 == i.name))
        .cloned()
        .collect();
    let vars: Vec<ExprId> = inputs
        .iter()
        .flat_map(|i| i.elements.iter().copied())
        .collect();
    let wants = crate::calculus::gradient::gradient(&mut trace.ws.pool, loss, &vars)?;
    let mut wants = wants.into_iter();
    let mut out = Vec::with_capacity(inputs.len());
    for input in &inputs {
        let want: Vec<ExprId> = wants.by_ref().take(input.elements.len()).collect();
        let Some((_, shape, got)) = grads.iter().find(|g| g.0 == input.name) else {
            continue;
        };
        let result = if *shape != input.shape || got.len() != want.len() {
            let transposed = is_transpose(trace, &input.shape, shape, got, &want);
            InputResult {
                name: input.name.clone(),
                shape: input.shape.clone(),
                mismatch: Some(Mismatch::Shape {
                    got: shape.clone(),
                    transposed,
                }),
                elements: Vec::new(),
            }
        } else {
            InputResult {
                name: input.name.clone(),
                shape: input.shape.clone(),
                mismatch: None,
                elements: decide_elements(
                    trace,
                    &input.shape,
                    got,
                    &want,
                    (loss, &input.elements),
                    seed,
                )?,
            }
        };
        out.push(result);
    }
    Ok(out)
}

/// The row-major index of position `k` in `shape`.
pub fn unravel(mut k: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for axis in (0..shape.len()).rev() {
        index[axis] = k % shape[axis].max(1);
        k /= shape[axis].max(1);
    }
    index
}

/// How `got` compares with `want` at the drawn point, and their values there.
struct AtPoint {
    /// Whether they certainly differ.
    differ: bool,
    got: f64,
    want: f64,
}

/// Compares the elements at the drawn point, then proves those that agree; once an
/// element is wrong, the rest are only compared.
fn decide_elements(
    trace: &mut Trace,
    shape: &[usize],
    got: &[ExprId],
    want: &[ExprId],
    (loss, vars): (ExprId, &[ExprId]),
    seed: u64,
) -> Result<Vec<Element>> {
    let at_point = compare_at_point(trace, got, want);
    let any_wrong = at_point.iter().any(|a| a.differ);
    let mut out = Vec::with_capacity(got.len());
    for (k, ((&g, &w), at)) in got.iter().zip(want).zip(at_point).enumerate() {
        let verdict = if at.differ {
            ElementVerdict::Wrong {
                got: at.got,
                want: at.want,
            }
        } else if any_wrong {
            ElementVerdict::Skipped
        } else {
            // Each element's proof has the work budget of one library call, so that a
            // hard element ends in numbers (or `undecided`) rather than running on.
            trace
                .ws
                .pool
                .set_budget(Some(crate::expr::pool::DEFAULT_BUDGET));
            let v = prove_element(trace, g, w, loss, vars[k], seed.wrapping_add(k as u64));
            trace.ws.pool.set_budget(None);
            v
        };
        out.push(Element {
            index: unravel(k, shape),
            got: g,
            want: w,
            got_value: at.got,
            want_value: at.want,
            verdict,
        });
    }
    Ok(out)
}

/// Each pair's difference at the drawn point, in interval arithmetic; one evaluator
/// serves every pair, so the DAG they share is enclosed once.
fn compare_at_point(trace: &mut Trace, got: &[ExprId], want: &[ExprId]) -> Vec<AtPoint> {
    let point = trace.point().clone();
    let mut out = Vec::with_capacity(got.len());
    let unknown = AtPoint {
        differ: false,
        got: f64::NAN,
        want: f64::NAN,
    };
    let Ok(mut ev) = Evaluator::new(&mut trace.ws.pool, &point, POINT_BITS, BUDGET * 8) else {
        return got.iter().map(|_| AtPoint { ..unknown }).collect();
    };
    for (&g, &w) in got.iter().zip(want) {
        let a = ev.enclose(g);
        let b = ev.enclose(w);
        out.push(match (a, b) {
            (Ok(a), Ok(b)) => AtPoint {
                differ: a.disjoint(&b),
                got: a.midpoint_f64(),
                want: b.midpoint_f64(),
            },
            _ => AtPoint { ..unknown },
        });
    }
    out
}

/// Whether `got`, of shape `got_shape`, is `want` (of `shape`) transposed: a matrix
/// with its axes swapped, or any array with its axes reversed.
fn is_transpose(
    trace: &mut Trace,
    shape: &[usize],
    got_shape: &[usize],
    got: &[ExprId],
    want: &[ExprId],
) -> bool {
    let reversed: Vec<usize> = shape.iter().rev().copied().collect();
    if got_shape != reversed.as_slice() || got.len() != want.len() || shape.len() < 2 {
        return false;
    }
    // want[i, j, ...] is got[..., j, i].
    let reordered: Vec<ExprId> = (0..want.len())
        .map(|k| {
            let index = unravel(k, shape);
            let mut at = 0;
            for (axis, &i) in index.iter().enumerate().rev() {
                at = at * reversed[shape.len() - 1 - axis] + i;
            }
            got[at]
        })
        .collect();
    compare_at_point(trace, &reordered, want)
        .iter()
        .all(|a| !a.differ && a.got.is_finite())
}

/// The prover's verdict on `got = want`; when the reverse sweep's form of the
/// derivative does not meet the program's, the forward rules' form (the derivative
/// taken by `var` alone, through the loss) is tried too.
fn prove_element(
    trace: &mut Trace,
    got: ExprId,
    want: ExprId,
    loss: ExprId,
    var: ExprId,
    seed: u64,
) -> ElementVerdict {
    if got == want {
        return ElementVerdict::Proved { steps: 0 };
    }
    let first = crate::prove::decide_equal(&mut trace.ws, got, want, seed);
    if let Outcome::Proved { steps } = &first {
        return ElementVerdict::Proved { steps: steps.len() };
    }
    if !matches!(first, Outcome::Refuted { .. })
        && let Ok((forward, _)) =
            crate::calculus::derivative::derive_n(&mut trace.ws.pool, loss, var, 1)
        && forward != want
        && let Outcome::Proved { steps } =
            crate::prove::decide_equal(&mut trace.ws, got, forward, seed)
    {
        return ElementVerdict::Proved { steps: steps.len() };
    }
    match first {
        Outcome::Proved { steps } => ElementVerdict::Proved { steps: steps.len() },
        Outcome::Refuted { point, .. } => ElementVerdict::WrongElsewhere { point },
        Outcome::Confirmed { .. } => ElementVerdict::Confirmed,
        Outcome::Failed(e) => ElementVerdict::Undecided(e.message),
    }
}
