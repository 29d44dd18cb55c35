//! A whole check: the program traced at two or more instances of its named
//! dimensions, each decided element by element ([`run_instance`]), then one verdict
//! per input across them ([`combine`]), with what a wrong gradient misses.

use std::time::Instant;

use serde::Serialize;

use crate::diag::error::Result;
use crate::expr::node::ExprId;

use super::Trace;
use super::explain::{Names, constant_ratio, residual};
use super::prove::{ElementVerdict, Gradients, Mismatch, verify};

/// How many branch conditions a report lists (the text shows the first four).
pub const MAX_REGION: usize = 10_000;

/// Each named dimension's size at an instance.
pub type Sizes = Vec<(String, usize)>;

/// How an input's gradient ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Every element proved, at every instance.
    Proved,
    /// No element wrong, but some only confirmed by numbers.
    Confirmed,
    /// Some element certainly wrong, or the shape is.
    Wrong,
    /// Neither proved nor refuted.
    Undecided,
}

impl Status {
    /// The status as reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Status::Proved => "proved",
            Status::Confirmed => "confirmed",
            Status::Wrong => "wrong",
            Status::Undecided => "undecided",
        }
    }
}

/// The first wrong element of an input at one instance.
#[derive(Clone, Debug, Serialize)]
pub struct WrongElement {
    /// Its index.
    pub index: Vec<usize>,
    /// The program's value at the drawn point (NaN when it differs only elsewhere).
    pub got: f64,
    /// The derivative's value there.
    pub want: f64,
    /// What the program's element lacks, `want - got`, in the program's names.
    pub missing: String,
    /// For an element that agrees at the drawn point but differs elsewhere, the
    /// point where it does.
    pub elsewhere: Option<Vec<(String, String)>>,
}

/// One input at one instance.
#[derive(Clone, Debug, Serialize)]
pub struct InstanceInput {
    /// The input's name.
    pub name: String,
    /// Its shape at this instance.
    pub shape: Vec<usize>,
    /// How it ended here.
    pub status: Status,
    /// How many elements were proved.
    pub proved: usize,
    /// How many were certainly wrong.
    pub wrong: usize,
    /// How many elements there are.
    pub elements: usize,
    /// The backward gave no gradient for the input.
    pub missing: bool,
    /// The gradient's shape, when it is not the input's.
    pub shape_got: Option<Vec<usize>>,
    /// Whether that gradient is the correct one transposed.
    pub transposed: bool,
    /// The first wrong element.
    pub first_wrong: Option<WrongElement>,
    /// The indices of the wrong elements (at most 16).
    pub wrong_at: Vec<Vec<usize>>,
    /// When every wrong element lacks the same number, that number.
    pub constant: Option<f64>,
    /// When the wrong elements are exactly the positions a label input picks
    /// (`[n, y[n]]`), those positions as text.
    pub at_labels: Option<String>,
    /// The number every element is the correct one times, if there is one.
    pub ratio: Option<f64>,
    /// Why an element was left undecided, for the first such element.
    pub undecided: Option<String>,
}

/// A label input: its name, its shape and its values, row-major.
pub type Labels = (String, Vec<usize>, Vec<i64>);

/// The label input whose positions (`[n, y[n]]`) are exactly `wrong` in an array of
/// `shape`, as text.
fn label_positions(shape: &[usize], wrong: &[Vec<usize>], labels: &[Labels]) -> Option<String> {
    let (last, lead) = shape.split_last()?;
    for (name, lshape, values) in labels {
        if lshape.as_slice() != lead || values.len() != lead.iter().product::<usize>() {
            continue;
        }
        if values.iter().any(|&v| v < 0 || v as usize >= *last) {
            continue;
        }
        let picked: Vec<Vec<usize>> = values
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                let mut at = super::prove::unravel(k, lead);
                at.push(v as usize);
                at
            })
            .collect();
        let mut a = picked.clone();
        let mut b = wrong.to_vec();
        a.sort();
        b.sort();
        if a == b {
            let letters: Vec<&str> = ["n", "m", "k", "l"].into_iter().take(lead.len()).collect();
            let idx = letters.join(", ");
            return Some(format!("[{idx}, {name}[{idx}]]"));
        }
    }
    None
}

/// One instance: the named dimensions' sizes, and every input's result.
#[derive(Clone, Debug, Serialize)]
pub struct Instance {
    /// Each named dimension's size.
    pub sizes: Vec<(String, usize)>,
    /// How many branch conditions the trace took (the region the proof holds in).
    pub conditions: usize,
    /// Each of them, as text in the program's names (at most [`MAX_REGION`]).
    pub region: Vec<String>,
    /// How many nodes the trace built.
    pub nodes: usize,
    /// Seconds spent deciding.
    pub seconds: f64,
    /// Every input's result.
    pub inputs: Vec<InstanceInput>,
    /// The arrays the program updated in place: name, line, code.
    pub updates: Vec<(String, usize, String)>,
}

/// Decides one traced instance: `loss` and `grads` are nodes of `trace`; `named` are
/// the program's named arrays (its local variables), used to write residuals.
pub fn run_instance(
    trace: &mut Trace,
    sizes: Vec<(String, usize)>,
    loss: ExprId,
    grads: &Gradients,
    named: &[(String, Vec<usize>, Vec<ExprId>)],
    labels: &[Labels],
    seed: u64,
) -> Result<Instance> {
    let start = Instant::now();
    let results = verify(trace, loss, grads, seed)?;
    let own: Vec<ExprId> = grads.iter().flat_map(|g| g.2.iter().copied()).collect();
    let names = Names::new(trace, named, &own);
    let mut inputs = Vec::with_capacity(results.len());
    for r in &results {
        let proved = r
            .elements
            .iter()
            .filter(|e| matches!(e.verdict, ElementVerdict::Proved { .. }))
            .count();
        let wrong_elements: Vec<_> = r.elements.iter().filter(|e| e.verdict.is_wrong()).collect();
        let status = if r.wrong() {
            Status::Wrong
        } else if r.proved() {
            Status::Proved
        } else if r.elements.iter().all(|e| {
            matches!(
                e.verdict,
                ElementVerdict::Proved { .. } | ElementVerdict::Confirmed
            )
        }) {
            Status::Confirmed
        } else {
            Status::Undecided
        };
        // The number the first wrong element lacks, proved, when it is one.
        let exact = match r.first_wrong() {
            Some(e) => super::explain::constant_residual(trace, e.got, e.want),
            None => None,
        };
        let first_wrong = match r.first_wrong() {
            Some(e) => {
                let missing = match &exact {
                    Some(c) => crate::syntax::number::format_rational(c),
                    None => residual(trace, &names, e.got, e.want),
                };
                let elsewhere = match &e.verdict {
                    ElementVerdict::WrongElsewhere { point } => Some(point.clone()),
                    _ => None,
                };
                Some(WrongElement {
                    index: e.index.clone(),
                    got: e.got_value,
                    want: e.want_value,
                    missing,
                    elsewhere,
                })
            }
            None => None,
        };
        let undecided = r.elements.iter().find_map(|e| match &e.verdict {
            ElementVerdict::Undecided(why) => Some(why.clone()),
            _ => None,
        });
        let (shape_got, transposed) = match &r.mismatch {
            Some(Mismatch::Shape { got, transposed }) => (Some(got.clone()), *transposed),
            _ => (None, false),
        };
        inputs.push(InstanceInput {
            name: r.name.clone(),
            shape: r.shape.clone(),
            status,
            proved,
            wrong: wrong_elements.len(),
            elements: r.elements.len(),
            missing: matches!(r.mismatch, Some(Mismatch::Missing)),
            shape_got,
            transposed,
            first_wrong,
            constant: exact.as_ref().and_then(|_| constant_of(r)),
            at_labels: if r.wrong() && r.mismatch.is_none() {
                let all: Vec<Vec<usize>> = wrong_elements.iter().map(|e| e.index.clone()).collect();
                label_positions(&r.shape, &all, labels)
            } else {
                None
            },
            wrong_at: wrong_elements
                .iter()
                .take(16)
                .map(|e| e.index.clone())
                .collect(),
            ratio: if r.wrong() && r.mismatch.is_none() {
                constant_ratio(r)
            } else {
                None
            },
            undecided,
        });
    }
    // The branch conditions, in the program's names (`h[0, 1] > 0`).
    let conditions: Vec<(ExprId, i8)> = trace.region().iter().map(|c| (c.expr, c.sign)).collect();
    let region: Vec<String> = conditions
        .into_iter()
        .take(MAX_REGION)
        .map(|(e, sign)| {
            let rel = match sign {
                1 => ">",
                -1 => "<",
                _ => "=",
            };
            let named = names.apply(&mut trace.ws.pool, e);
            format!(
                "{} {rel} 0",
                crate::print::text::to_text_abridged(&trace.ws.pool, named, 40)
            )
        })
        .collect();
    Ok(Instance {
        sizes,
        conditions: trace.region().len(),
        region,
        nodes: trace.ws.pool.len(),
        seconds: start.elapsed().as_secs_f64(),
        inputs,
        updates: Vec::new(),
    })
}

/// The number every wrong element lacks, when it is one number (to 1e-12) and the
/// first wrong element's residual is proved to be it.
fn constant_of(r: &super::prove::InputResult) -> Option<f64> {
    let wrong: Vec<_> = r.elements.iter().filter(|e| e.verdict.is_wrong()).collect();
    let first = wrong.first()?;
    let c = first.want_value - first.got_value;
    if !c.is_finite() {
        return None;
    }
    let same = wrong.iter().all(|e| {
        let d = e.want_value - e.got_value;
        (d - c).abs() <= 1e-12 * c.abs().max(1.0)
    });
    same.then_some(c)
}

/// One input's verdict across the instances.
#[derive(Clone, Debug, Serialize)]
pub struct InputVerdict {
    /// The input's name.
    pub name: String,
    /// How it ended: wrong at any instance is wrong; proved only if proved at all.
    pub status: Status,
    /// What is wrong, in a sentence: the ratio matched with the dimensions, a
    /// transposed or missing gradient, or the first wrong element with its residual.
    pub explanation: Option<String>,
    /// The ratio matched with the named dimensions (`N`, `-1`, `1/D`), when every
    /// element at every instance is the correct one times it.
    pub ratio: Option<String>,
    /// The first wrong element and the instance it was found at.
    pub first_wrong: Option<(Vec<(String, usize)>, WrongElement)>,
}

/// The verdicts of every input across the instances.
pub fn combine(
    instances: &[Instance],
    numeric: &[super::numeric::NumericCheck],
) -> Vec<InputVerdict> {
    let Some(first) = instances.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, input) in first.inputs.iter().enumerate() {
        let across: Vec<(&Instance, &InstanceInput)> = instances
            .iter()
            .filter_map(|i| i.inputs.get(k).map(|x| (i, x)))
            .collect();
        let status = if across.iter().any(|a| a.1.status == Status::Wrong) {
            Status::Wrong
        } else if across.iter().all(|a| a.1.status == Status::Proved) {
            Status::Proved
        } else if across
            .iter()
            .all(|a| matches!(a.1.status, Status::Proved | Status::Confirmed))
        {
            Status::Confirmed
        } else {
            Status::Undecided
        };
        let ratios: Option<Vec<(Sizes, f64)>> = across
            .iter()
            .map(|a| a.1.ratio.map(|r| (a.0.sizes.clone(), r)))
            .collect();
        let ratio = ratios.and_then(|r| super::ratio::match_sizes(&r));
        let first_wrong = across
            .iter()
            .find_map(|a| a.1.first_wrong.clone().map(|w| (a.0.sizes.clone(), w)));
        // The numeric check at a realistic shape: a failing element there makes an
        // input proved at the small instances wrong.
        let off = numeric.iter().find_map(|n| {
            n.inputs
                .iter()
                .find(|i| i.name == input.name)
                .and_then(|i| i.elements.iter().find(|e| !e.passed))
                .map(|e| (n, e))
        });
        if let Some((n, e)) = off
            && status != Status::Wrong
        {
            let at: Vec<String> = e.index.iter().map(usize::to_string).collect();
            let dims: Vec<String> = n.sizes.iter().map(|(d, k)| format!("{d}={k}")).collect();
            out.push(InputVerdict {
                name: input.name.clone(),
                status: Status::Wrong,
                explanation: Some(format!(
                    "d{}[{}] is {} at {} ({} point), but central differences of the loss give {} (to {:.1e}): the program differs from its proved form at this shape",
                    input.name,
                    at.join(", "),
                    e.got,
                    dims.join(", "),
                    n.point,
                    e.want,
                    e.bound
                )),
                ratio: None,
                first_wrong: None,
            });
            continue;
        }
        let explanation = explain_input(
            &input.name,
            status,
            &across,
            ratio.as_deref(),
            first_wrong.as_ref(),
        );
        out.push(InputVerdict {
            name: input.name.clone(),
            status,
            explanation,
            ratio,
            first_wrong,
        });
    }
    out
}

/// The sentence that says what is wrong with an input's gradient.
fn explain_input(
    name: &str,
    status: Status,
    across: &[(&Instance, &InstanceInput)],
    ratio: Option<&str>,
    first_wrong: Option<&(Vec<(String, usize)>, WrongElement)>,
) -> Option<String> {
    if status == Status::Proved {
        return None;
    }
    let g = format!("d{name}");
    if let Some((_, a)) = across.iter().find(|a| a.1.missing) {
        return Some(format!("the backward gives no gradient for `{}`", a.name));
    }
    if let Some((_, a)) = across.iter().find(|a| a.1.shape_got.is_some()) {
        let got = a.shape_got.clone().unwrap_or_default();
        return Some(if a.transposed {
            format!(
                "{g} has shape {got:?} where `{name}` has shape {:?}: it is the correct gradient transposed",
                a.shape
            )
        } else {
            format!(
                "{g} has shape {got:?} where `{name}` has shape {:?}",
                a.shape
            )
        });
    }
    if let Some(r) = ratio {
        let what = super::ratio::describe(r);
        return Some(format!("{g} = {r} x the correct gradient{what}"));
    }
    // The same number missing at exactly the positions a label picks, at every
    // instance: a one-hot term.
    let wrong: Vec<&(&Instance, &InstanceInput)> =
        across.iter().filter(|a| a.1.wrong > 0).collect();
    if !wrong.is_empty()
        && let Some(pos) = wrong[0].1.at_labels.clone()
        && wrong.iter().all(|a| a.1.at_labels.as_ref() == Some(&pos))
        && let Some(constants) = wrong
            .iter()
            .map(|a| a.1.constant.map(|c| (a.0.sizes.clone(), c)))
            .collect::<Option<Vec<_>>>()
    {
        let c =
            super::ratio::match_sizes(&constants).unwrap_or_else(|| format!("{}", constants[0].1));
        return Some(format!(
            "{g} is missing `{c}` at the label positions {pos} and nothing elsewhere: a one-hot term (`- onehot(y)`, scaled) is missing or wrong"
        ));
    }
    if let Some((sizes, w)) = first_wrong {
        let at: Vec<String> = w.index.iter().map(usize::to_string).collect();
        let at = if at.is_empty() {
            String::new()
        } else {
            format!("[{}]", at.join(", "))
        };
        let dims: Vec<String> = sizes.iter().map(|(d, n)| format!("{d}={n}")).collect();
        let when = if dims.is_empty() {
            String::new()
        } else {
            format!(" (at {})", dims.join(", "))
        };
        let count = across
            .iter()
            .find(|a| a.1.wrong > 0)
            .map(|a| format!("; {} of {} elements are wrong", a.1.wrong, a.1.elements))
            .unwrap_or_default();
        // An array the program updated in place that the residual reads: a stale
        // value is a likely cause.
        let stale: Vec<String> = across
            .iter()
            .flat_map(|a| a.0.updates.iter())
            .filter(|(name, _, _)| w.missing.contains(&format!("{name}[")))
            .map(|(name, line, code)| format!("; `{name}` was updated in place at line {line} (`{code}`) and the residual reads it: is a stale value used?"))
            .take(1)
            .collect();
        let mut text = match &w.elsewhere {
            None => format!(
                "{g}{at} is missing `{}`{when}: the program gives {}, the derivative is {}{count}",
                w.missing, w.got, w.want
            ),
            Some(_) => format!(
                "{g}{at} is missing `{}`{when}: it agrees at the drawn point but not elsewhere{count}",
                w.missing
            ),
        };
        text.extend(stale);
        return Some(text);
    }
    across
        .iter()
        .find_map(|a| a.1.undecided.clone())
        .map(|why| format!("{g} is not decided: {why}"))
}

/// A whole check: the instances and the verdict per input.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Every instance decided.
    pub instances: Vec<Instance>,
    /// The numeric checks at a realistic shape.
    pub numeric: Vec<super::numeric::NumericCheck>,
    /// One verdict per input, across the instances.
    pub inputs: Vec<InputVerdict>,
    /// Whether every input is proved.
    pub ok: bool,
}
