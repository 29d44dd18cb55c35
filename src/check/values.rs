//! `gauge check SPEC --values FILE`: the gradients a program computed, checked against
//! the specification's own.
//!
//! A dump holds the program's inputs and parameters, keyed by the names the spec uses,
//! its gradients (`grad.<name>`, or a separate file), and optionally its loss value
//! (`loss`). gauge evaluates its symbolic gradient of the spec's loss at those values
//! and compares, component by component, with a bound that comes from the dtypes:
//! - the gradient's own storage rounding, `u_s * |want|`;
//! - the rounding of computing it, `KAPPA * u_c * e`, where `e` is the running error
//!   bound of the gradient formula at that component (see [`crate::numeric::bounds`])
//!   and `u_c` the unit roundoff of the precision the program computed in (the dump's,
//!   or `f32` for half-precision dumps, which mixed-precision training computes in).
//!
//! A whole tensor is also tested for a systematic scale (`got ≈ c * want` with `c` not
//! 1), which finds a relative error far below one component's bound when the tensor is
//! large, as a bf16 dump needs. A tensor whose every component is within its bound of
//! zero is *vacuous*: a zero gradient would pass, so nothing was compared. Components
//! where the reference fails are looked at again through one-sided derivatives: at a
//! kink (`relu` at 0, a tie of `max`) any value between the two is a subgradient and
//! passes. [`explain`] names the mistake of a failing gradient.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `numeric`, `trace`, `simplify`, `calculus`, `codegen`.

use std::path::PathBuf;
use std::rc::Rc;

pub use crate::check::components::{Component, Components};
use crate::check::components::{Judge, Partial, Summary, merge, summarize};
use crate::check::explain::{self, Explanation, Lengths};
use crate::codegen::build::InputKind;
use crate::codegen::exec::{ArgValue, Bounded};
use crate::codegen::ir::Program;
use crate::codegen::{GradRequest, Request};
use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::kind::Kind;
use crate::expr::node::{ExprId, Symbol};
use crate::lower::workspace::Workspace;
use crate::numeric::bounds::{OneSided, Rounding};
use crate::numeric::elements;
use crate::numeric::files::{Stored, StoredType, position, read_arrays};
use crate::numeric::scalar::Scalar;
use crate::numeric::tape::{Elementwise, InputRef, Tape};
use crate::numeric::value::{Bindings, Tensor, Value};

/// The factor by which a program's rounding may exceed the running error bound of
/// gauge's formula: a program computes the same gradient in another order, with
/// other intermediate forms, so its errors are of the same order but not the same.
pub const KAPPA: f64 = 8.0;

/// How many components that fail the plain comparison are looked at again through
/// one-sided derivatives (two runs of the loss each); the rest stay failing.
const ONE_SIDED_BUDGET: usize = 20_000;

/// How many failing components are looked at from both sides before the rest are, if
/// none of these sits on a kink.
const KINK_SAMPLE: usize = 32;

/// Where one dump's arrays are: in files, or held in memory by the caller (the Python
/// bindings), named as in a values file.
#[derive(Clone, Debug)]
pub enum DumpSource {
    /// A values file, and optionally the gradients in a file of their own.
    Files {
        /// The values file.
        values: PathBuf,
        /// A separate gradients file, keyed by the parameters' names.
        grads: Option<PathBuf>,
    },
    /// Arrays in memory: the values by their names, the gradients as `grad.<name>`,
    /// the loss value as `loss`.
    Arrays {
        /// What the report calls the dump.
        source: String,
        /// The arrays (their elements are shared, so a copy of the source is cheap).
        arrays: Vec<Stored>,
    },
}

/// How to judge.
#[derive(Clone, Debug, Default)]
pub struct Judging {
    /// A relative tolerance in place of the gradients' storage rounding.
    pub rtol: Option<f64>,
    /// The precision the program computed in, in place of the default.
    pub compute: Option<StoredType>,
    /// Only these parameters, by name.
    pub only: Option<Vec<String>>,
    /// Whether a summary of each gradient is enough (the text report) rather than
    /// every component (the JSON report). A large gradient is then compared block by
    /// block as it is computed; one that passes keeps only its worst component.
    pub summary_only: bool,
}

/// From this many components, a gradient whose summary is enough is compared as it is
/// computed (see [`Judging::summary_only`]).
pub const STREAM_FROM: usize = 1 << 16;

/// The share of a component's running error bound that gauge's own evaluation of the
/// reference may take (it sums plainly, not compensated).
const REFERENCE_ROUNDOFF: f64 = 8.0 * f64::EPSILON;

/// One dump, read and matched with the spec.
#[derive(Clone, Debug)]
pub struct Dump {
    /// Where it came from, as shown.
    pub source: String,
    /// The inputs and parameters held as values: all but the large float tensors
    /// read in place ([`Dump::held`]).
    values: Bindings,
    /// The large float inputs (a layer's weights), read in place from the file and
    /// converted where they are read.
    pub held: Vec<(Symbol, Stored)>,
    /// Every input as a value, made on first use (see [`Dump::point`]).
    point: std::cell::OnceCell<Bindings>,
    /// The gradients, per parameter.
    pub grads: Vec<(Symbol, Stored)>,
    /// The program's loss value and its dtype.
    pub loss: Option<(f64, StoredType)>,
    /// The coarsest floating dtype among the values.
    pub values_dtype: Option<StoredType>,
    /// Arrays in the file that the spec does not use.
    pub unused: Vec<String>,
}

/// A parameter's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamVerdict {
    /// Every component within its bound, and no systematic scale.
    Passed,
    /// A component beyond its bound, or a systematic scale.
    Failed,
    /// Every reference component within its bound of zero: nothing was compared.
    Vacuous,
}

/// One parameter's check in one dump.
#[derive(Clone, Debug)]
pub struct ParamCheck {
    /// The parameter's name.
    pub name: String,
    /// Its shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// The dtype of the gradient as stored.
    pub dtype: StoredType,
    /// The unit roundoff of the precision the program is taken to compute in.
    pub compute_roundoff: f64,
    /// Every component, last axis fastest.
    pub components: Components,
    /// The worst component: the failing one with the largest error over its bound.
    pub worst: Option<usize>,
    /// The systematic scale `got ≈ c * want` over the whole tensor, where it is
    /// significant beyond rounding.
    pub scale: Option<f64>,
    /// How many components sit on a kink.
    pub kinks: usize,
    /// The verdict.
    pub verdict: ParamVerdict,
    /// What the mistake is, for a failing gradient.
    pub explanation: Option<Explanation>,
}

/// The loss value's check.
#[derive(Clone, Debug)]
pub struct LossCheck {
    /// The program's value.
    pub got: f64,
    /// The spec's.
    pub want: f64,
    /// The bound.
    pub bound: f64,
    /// Its dtype.
    pub dtype: StoredType,
    /// Whether it passes.
    pub passed: bool,
    /// For a failing value, its ratio to the spec's matched with the lengths.
    pub explanation: Option<Explanation>,
}

/// One dump's report.
#[derive(Clone, Debug)]
pub struct DumpReport {
    /// The file.
    pub source: String,
    /// The named lengths, as read from the data.
    pub lengths: Vec<(String, usize)>,
    /// The loss value's check, when the dump has one.
    pub loss: Option<LossCheck>,
    /// One check per parameter with a gradient.
    pub params: Vec<ParamCheck>,
    /// Arrays the spec does not use.
    pub unused: Vec<String>,
}

/// The whole report.
#[derive(Clone, Debug)]
pub struct ValuesReport {
    /// The spec's loss, as text.
    pub spec: String,
    /// One report per dump.
    pub dumps: Vec<DumpReport>,
    /// Explanations that hold in every dump, per parameter (several dumps tell a length
    /// from a constant that equals it in one).
    pub explanations: Vec<(String, Explanation)>,
    /// Whether everything passed.
    pub passed: bool,
}

/// Reads a dump's arrays and matches them with the names `loss` uses.
pub fn read_dump(ws: &mut Workspace, loss: ExprId, from: &DumpSource) -> Result<Dump> {
    let (source, arrays, grads_file) = match from {
        DumpSource::Files { values, grads } => (
            values.display().to_string(),
            read_arrays(values)?,
            grads.as_ref(),
        ),
        DumpSource::Arrays { source, arrays } => (source.clone(), arrays.clone(), None),
    };
    // The hints say how to save a dump, or, for arrays handed over in memory, how to
    // pass them.
    let memory = matches!(from, DumpSource::Arrays { .. });
    let mut values = Vec::new();
    let mut grads: Vec<(String, Stored, String)> = Vec::new();
    let mut program_loss = None;
    for a in arrays {
        if let Some(rest) = a.name.strip_prefix("grad.") {
            grads.push((rest.to_string(), a, source.clone()));
        } else if a.name == "loss" {
            program_loss = Some(a);
        } else {
            values.push(a);
        }
    }
    if let Some(g) = grads_file {
        let shown = g.display().to_string();
        for a in read_arrays(g)? {
            if a.name == "loss" {
                program_loss = Some(a);
                continue;
            }
            let name = a.name.strip_prefix("grad.").unwrap_or(&a.name).to_string();
            grads.push((name, a, shown.clone()));
        }
    }
    let used = spec_names(ws, loss);
    let mut point = Bindings::new();
    let mut in_file: Vec<(Symbol, Stored)> = Vec::new();
    let mut unused = Vec::new();
    let mut values_dtype: Option<StoredType> = None;
    let held: Vec<String> = values.iter().map(|a| a.name.clone()).collect();
    for a in values {
        let Some(&s) = used.iter().find(|&&s| ws.pool.name(s) == a.name.as_str()) else {
            unused.push(a.name.clone());
            continue;
        };
        if let Some(k) = a.data.first_non_finite() {
            return Err(Error::new(
                ErrorKind::Binding,
                format!(
                    "`{}` in `{source}` holds {} at position {:?} (shape {:?})",
                    a.name,
                    a.data.get(k),
                    position(&a.shape, k),
                    a.shape
                ),
            )
            .with_hint(
                "a program's inputs and parameters must be finite; check the step that made them",
            ));
        }
        if a.dtype.unit_roundoff().is_some() {
            values_dtype = Some(coarser(values_dtype, a.dtype));
        }
        let in_place = a.data.as_decoded().is_none() && !a.shape.is_empty();
        if in_place && ws.kind_of(s) != Some(Kind::Index) && !ws.pool.is_label(s) {
            in_file.push((s, a));
        } else {
            point.insert(s, value_of(a));
        }
    }
    let missing: Vec<&str> = used
        .iter()
        .filter(|&&s| point.get(s).is_none() && !in_file.iter().any(|h| h.0 == s))
        .map(|&s| ws.pool.name(s))
        .collect();
    if !missing.is_empty() {
        let held: Vec<&str> = held.iter().map(String::as_str).collect();
        return Err(Error::new(
            ErrorKind::Binding,
            format!(
                "the spec uses {} but `{source}` has no array of that name (it holds {})",
                quoted(&missing),
                if held.is_empty() { "none".to_string() } else { quoted(&held) }
            ),
        )
        .with_hint(if memory {
            "give every input and parameter under the name the spec gives it"
        } else {
            "save every input and parameter under the name the spec gives it, as `np.savez(path, W1=W1, ...)`"
        }));
    }
    let mut matched = Vec::with_capacity(grads.len());
    for (name, g, file) in grads {
        let Some(&s) = used.iter().find(|&&s| ws.pool.name(s) == name.as_str()) else {
            return Err(Error::new(
                ErrorKind::Binding,
                format!("`{file}` has a gradient for `{name}`, which the spec does not use"),
            )
            .with_hint(format!(
                "the spec's variables are {}",
                quoted(&used.iter().map(|&s| ws.pool.name(s)).collect::<Vec<_>>())
            )));
        };
        if ws.kind_of(s) == Some(Kind::Index) || ws.pool.is_label(s) {
            return Err(Error::new(
                ErrorKind::Binding,
                format!("`{file}` has a gradient for `{name}`, which the spec uses as an index (a label), and an index has no gradient"),
            )
            .with_hint("leave integer inputs such as labels out of the gradients"));
        }
        let shape = match (point.get(s), in_file.iter().find(|h| h.0 == s)) {
            (Some(Value::Tensor(t)), _) => t.shape.clone(),
            (_, Some(h)) => h.1.shape.clone(),
            _ => Vec::new(),
        };
        if g.shape != shape && !(shape.is_empty() && g.data.len() == 1) {
            return Err(Error::new(
                ErrorKind::Shape,
                format!(
                    "the gradient of `{name}` in `{file}` has shape {:?}, but `{name}` has shape {:?}",
                    g.shape, shape
                ),
            )
            .with_hint("a gradient has its parameter's shape; check for a missing transpose or a reduction over the wrong axis"));
        }
        // Whole numbers (JSON's, or an integer array) are exact, and are compared as
        // float64 values.
        let mut g = g;
        if g.dtype.unit_roundoff().is_none() {
            g.dtype = StoredType::F64;
        }
        matched.push((s, g));
    }
    if matched.is_empty() {
        return Err(Error::new(
            ErrorKind::Binding,
            format!("`{source}` holds no gradients"),
        )
        .with_hint(if memory {
            "give each gradient under its parameter's name"
        } else {
            "save each gradient as `grad.<name>` next to the values (`np.savez(path, W1=W1, **{'grad.W1': dW1})`), or give them with --grads"
        }));
    }
    let loss = match program_loss {
        None => None,
        Some(l) if l.data.len() == 1 && l.dtype.unit_roundoff().is_some() => {
            Some((l.data.get(0), l.dtype))
        }
        Some(l) => {
            return Err(Error::new(
                ErrorKind::Binding,
                format!(
                    "`loss` in `{source}` has shape {:?}; the loss is one number",
                    l.shape
                ),
            )
            .with_hint(if memory {
                "give the loss value as one number"
            } else {
                "save the loss value as a scalar: `loss=np.float64(loss)`"
            }));
        }
    };
    Ok(Dump {
        source,
        values: point,
        held: in_file,
        point: std::cell::OnceCell::new(),
        grads: matched,
        loss,
        values_dtype,
        unused,
    })
}

impl Dump {
    /// Every input and parameter as a value. The tensors [held](Dump::held) in the
    /// file are converted to `f64` the first time this is asked (by the tapes, a
    /// kink's one-sided look, a failing gradient's explanation); a large check that
    /// passes never asks.
    pub fn point(&self) -> &Bindings {
        self.point.get_or_init(|| {
            let mut p = self.values.clone();
            for (s, a) in &self.held {
                p.insert(*s, value_of(a.clone()));
            }
            p
        })
    }

    /// The shapes of the tensors held in the file.
    fn held_shapes(&self) -> Vec<(Symbol, Vec<usize>)> {
        self.held
            .iter()
            .map(|(s, a)| (*s, a.shape.clone()))
            .collect()
    }

    /// The shape of input `s` (empty for a number or a name not given).
    pub fn shape_of(&self, s: Symbol) -> Vec<usize> {
        match (self.values.get(s), self.held.iter().find(|h| h.0 == s)) {
            (Some(Value::Tensor(t)), _) => t.shape.clone(),
            (_, Some(h)) => h.1.shape.clone(),
            _ => Vec::new(),
        }
    }
}

/// The names a check's values must give: the scalars and tensors `loss` uses, with its
/// definitions expanded.
pub fn spec_names(ws: &mut Workspace, loss: ExprId) -> Vec<Symbol> {
    let mut found = ws.pool.free_variables(loss);
    for s in ws.names_used(loss) {
        if !found.contains(&s) {
            found.push(s);
        }
    }
    found
        .into_iter()
        .filter(|&s| {
            matches!(
                ws.kind_of(s),
                Some(Kind::Scalar | Kind::Tensor(_) | Kind::Index)
            )
        })
        .collect()
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn value_of(a: Stored) -> Value {
    if a.shape.is_empty() {
        Value::Scalar(a.data.first().unwrap_or(0.0))
    } else {
        Value::Tensor(Rc::new(Tensor {
            shape: a.shape,
            data: a.data.into_vec(),
        }))
    }
}

/// The coarser of two floating types.
fn coarser(a: Option<StoredType>, b: StoredType) -> StoredType {
    match a {
        Some(a) if a.unit_roundoff() >= b.unit_roundoff() => a,
        _ => b,
    }
}

/// The unit roundoff a program computes in: that of the coarsest of its values and the
/// stored result (the gradient or the loss), except that a half-precision result
/// (f16, bf16) of values held in f32 or f64 was only stored in it: mixed-precision
/// training computes in f32 and rounds once at the end. A program whose values are in
/// half precision computes in it.
fn compute_roundoff(values: Option<StoredType>, stored: StoredType, judging: &Judging) -> f64 {
    let result = match stored {
        StoredType::F16 | StoredType::Bf16 => StoredType::F32,
        other => other,
    };
    let t = judging.compute.unwrap_or(coarser(values, result));
    t.unit_roundoff().unwrap_or(f64::EPSILON / 2.0)
}

/// Checks every dump against the spec's loss.
pub fn run(
    ws: &mut Workspace,
    loss: ExprId,
    dumps: &[Dump],
    judging: &Judging,
) -> Result<ValuesReport> {
    // The reference gradients, symbolic, once for every dump.
    let mut refs = Vec::new();
    let mut by_name: Vec<Symbol> = Vec::new();
    for d in dumps {
        for (s, _) in &d.grads {
            if !by_name.contains(s) {
                by_name.push(*s);
            }
        }
    }
    if let Some(only) = &judging.only {
        for n in only {
            if !by_name.iter().any(|&s| ws.pool.name(s) == n.as_str()) {
                return Err(Error::new(
                    ErrorKind::Name,
                    format!("--wrt names `{n}`, but no dump has its gradient"),
                ));
            }
        }
        by_name.retain(|&s| only.iter().any(|n| ws.pool.name(s) == n.as_str()));
    }
    for &s in &by_name {
        refs.push(Reference::new(ws, loss, s)?);
    }
    let loss_tape = Tape::compile(&mut ws.pool, loss)?;
    let compiled = crate::numeric::Compiled::new(ws, loss);
    let arrays = ArrayProgram::new(ws, loss, &refs);
    let lengths = Lengths::named(ws);
    let mut reports = Vec::with_capacity(dumps.len());
    for d in dumps {
        // The point's own checks (kinds, linked lengths, labels), then the loss's value
        // with its rounding bound in one run; where that run fails, the plain
        // evaluation says where, as `gauge eval` would.
        let in_source = |e: Error| {
            let message = format!("the spec's loss at `{}`: {}", d.source, e.message);
            Error { message, ..e }
        };
        compiled
            .check_held(ws, &d.values, &d.held_shapes())
            .map_err(in_source)?;
        // The whole program as arrays where it runs so, else the tapes, one component
        // at a time. A large gradient whose summary is enough is compared block by
        // block as it is computed; one that does not pass cleanly (a failure, a kink,
        // a lean, a vacuous tensor) is computed again whole, for the full comparison.
        let judges: Vec<Option<Judge<'_>>> = refs
            .iter()
            .map(|r| {
                let (_, g) = d.grads.iter().find(|(s, _)| *s == r.param)?;
                (judging.summary_only && g.data.len() >= STREAM_FROM).then(|| Judge {
                    got: g.data.view(),
                    us: storage_roundoff(g.dtype, judging),
                    compute: KAPPA * compute_roundoff(d.values_dtype, g.dtype, judging)
                        + REFERENCE_ROUNDOFF,
                })
            })
            .collect();
        let stream: Vec<bool> = judges.iter().map(Option::is_some).collect();
        let per_block = |k: usize, start: usize, want: &[f64], error: &[f64]| {
            judges[k]
                .as_ref()
                .map_or_else(Partial::default, |j| j.block(start, want, error))
        };
        let mut streamed: Vec<Option<Summary>> = (0..refs.len()).map(|_| None).collect();
        let mut results = match &arrays {
            Some(a) if stream.contains(&true) => match a.run_blocks(d, &stream, &per_block) {
                Some((r, blocks)) => {
                    for (k, b) in blocks.into_iter().enumerate() {
                        let s = merge(b);
                        let clean = !s.undefined
                            && !s.any_failing
                            && s.scale.is_none()
                            && !s.vacuous
                            && s.worst_component.is_some();
                        if stream[k] && clean {
                            streamed[k] = Some(s);
                        }
                    }
                    let whole = (0..refs.len()).any(|k| stream[k] && streamed[k].is_none());
                    if whole { a.run(d) } else { Some(r) }
                }
                None => None,
            },
            Some(a) => a.run(d),
            None => None,
        };
        let bounded: Rounding = match &results {
            Some(r) if r.value.value.is_finite() => r.value,
            _ => {
                let inputs = loss_tape.inputs(&ws.pool, d.point())?;
                match loss_tape.run(&inputs, None) {
                    Ok(r) => r,
                    Err(_) => {
                        let v = compiled.eval(ws, d.point()).map_err(in_source)?;
                        Rounding::from_f64(v)
                    }
                }
            }
        };
        let want_loss = bounded.value;
        let at_lengths = lengths.values(ws, |s| d.shape_of(s));
        let loss_check = match d.loss {
            Some((got, dtype)) => {
                let uc = compute_roundoff(d.values_dtype, dtype, judging);
                let us = judging.rtol.unwrap_or(dtype.unit_roundoff().unwrap_or(0.0));
                let bound =
                    us * want_loss.abs() + (KAPPA * uc + 8.0 * f64::EPSILON) * bounded.error;
                let passed = (got - want_loss).abs() <= bound;
                let explanation = (!passed)
                    .then(|| explain::ratio_only(got, want_loss, &at_lengths))
                    .flatten();
                Some(LossCheck {
                    got,
                    want: want_loss,
                    bound,
                    dtype,
                    passed,
                    explanation,
                })
            }
            None => None,
        };
        let mut params = Vec::new();
        for (k, r) in refs.iter().enumerate() {
            let Some((_, g)) = d.grads.iter().find(|(s, _)| *s == r.param) else {
                continue;
            };
            if let Some(s) = streamed[k].take() {
                params.push(r.passed_as_computed(ws, d, g, judging, s));
                continue;
            }
            let computed = results.as_mut().map(|x| std::mem::take(&mut x.grads[k]));
            let mut p = r.compare(ws, d, g, judging, &loss_tape, computed)?;
            if p.verdict == ParamVerdict::Failed {
                p.explanation = Some(explain::explain(
                    ws,
                    loss,
                    r.param,
                    r.expr,
                    &r.over,
                    d,
                    &p,
                    &at_lengths,
                )?);
            }
            params.push(p);
        }
        reports.push(DumpReport {
            source: d.source.clone(),
            lengths: at_lengths.shown(),
            loss: loss_check,
            params,
            unused: d.unused.clone(),
        });
    }
    let explanations = explain::across(&reports);
    let passed = reports.iter().all(|r| {
        r.loss.as_ref().is_none_or(|l| l.passed)
            && r.params.iter().all(|p| p.verdict == ParamVerdict::Passed)
    });
    Ok(ValuesReport {
        spec: ws.print(loss),
        dumps: reports,
        explanations,
        passed,
    })
}

/// The loss and every reference gradient as one array program (the in-process target
/// of `codegen`), which evaluates a layer's millions of components as whole-array
/// operations and matrix products. A spec it cannot lower is evaluated by the tapes.
struct ArrayProgram {
    program: Program,
    inputs: Vec<Symbol>,
}

impl ArrayProgram {
    fn new(ws: &mut Workspace, loss: ExprId, refs: &[Reference]) -> Option<ArrayProgram> {
        let inputs = crate::codegen::inputs(ws, loss);
        let grads = refs
            .iter()
            .map(|r| {
                let arg = inputs
                    .iter()
                    .position(|&(s, k)| s == r.param && k != InputKind::Label)?;
                Some(GradRequest {
                    arg,
                    expr: r.expr,
                    axes: r.over.clone(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let request = Request {
            value: loss,
            inputs: inputs.clone(),
            grads,
            target: crate::codegen::Target::Rust,
            emit_check: false,
            as_written: true,
        };
        let program = crate::codegen::lower(&mut ws.pool, &request).ok()?;
        Some(ArrayProgram {
            program,
            inputs: inputs.into_iter().map(|(s, _)| s).collect(),
        })
    }

    /// The loss and the gradients at a dump's values; `None` where the program cannot
    /// run there (the tapes then say why).
    fn run(&self, d: &Dump) -> Option<crate::codegen::exec::Results> {
        let args = self.args(d)?;
        crate::codegen::exec::run(&self.program, &args).ok()
    }

    /// [`ArrayProgram::run`], with the gradients marked in `stream` handed to
    /// `per_block` a block at a time (see [`crate::codegen::exec::run_blocks`]).
    fn run_blocks<B: Send>(
        &self,
        d: &Dump,
        stream: &[bool],
        per_block: &crate::codegen::exec::PerBlock<'_, B>,
    ) -> Option<(crate::codegen::exec::Results, Vec<Vec<B>>)> {
        let args = self.args(d)?;
        crate::codegen::exec::run_blocks(&self.program, &args, stream, per_block).ok()
    }

    /// The program's arguments at a dump's values.
    fn args<'d>(&self, d: &'d Dump) -> Option<Vec<ArgValue<'d>>> {
        self.inputs
            .iter()
            .map(|&s| {
                if let Some((_, a)) = d.held.iter().find(|h| h.0 == s) {
                    return Some(ArgValue::Tensor {
                        shape: &a.shape,
                        data: a.data.view(),
                    });
                }
                match d.values.get(s)? {
                    Value::Scalar(v) => Some(ArgValue::Scalar(*v)),
                    Value::Tensor(t) => Some(ArgValue::Tensor {
                        shape: &t.shape,
                        data: elements::View::Decoded(&t.data),
                    }),
                }
            })
            .collect::<Option<Vec<_>>>()
    }
}

/// A parameter's reference gradient: the symbolic derivative of the loss by its
/// element, compiled to be evaluated at every element at once.
struct Reference {
    param: Symbol,
    expr: ExprId,
    over: Vec<Symbol>,
    tape: Elementwise,
}

impl Reference {
    fn new(ws: &mut Workspace, loss: ExprId, param: Symbol) -> Result<Reference> {
        let rank = match ws.kind_of(param) {
            Some(Kind::Tensor(r)) => r as usize,
            _ => 0,
        };
        let avoid = ws.pool.free_indices(loss);
        let over = crate::check::request::fresh_indices(ws, rank, &avoid);
        let idx: Vec<ExprId> = over.iter().map(|&i| ws.pool.index(i)).collect();
        let var = if rank == 0 {
            ws.pool.sym(param)
        } else {
            ws.pool.elem(param, idx)
        };
        let defs = ws.definitions_in_order();
        let facts = ws.facts.clone();
        let d = crate::calculus::derivation::derive_with_steps(
            &mut ws.pool,
            loss,
            var,
            1,
            &defs,
            &facts,
        )?;
        let tape = Elementwise::compile(&mut ws.pool, d.result, &over)?;
        Ok(Reference {
            param,
            expr: d.result,
            over,
            tape,
        })
    }

    /// The check of a gradient that passed cleanly as it was computed (see
    /// [`Judging::summary_only`]): every component within its bound, no lean, not
    /// vacuous; only the worst component is kept.
    fn passed_as_computed(
        &self,
        ws: &Workspace,
        d: &Dump,
        g: &Stored,
        judging: &Judging,
        s: Summary,
    ) -> ParamCheck {
        let shape = d.shape_of(self.param);
        let kept = s.worst.zip(s.worst_component);
        ParamCheck {
            name: ws.pool.name(self.param).to_string(),
            shape,
            dtype: g.dtype,
            compute_roundoff: compute_roundoff(d.values_dtype, g.dtype, judging),
            components: Components {
                got: g.data.clone(),
                kept,
                ..Components::default()
            },
            worst: s.worst,
            scale: None,
            kinks: 0,
            verdict: ParamVerdict::Passed,
            explanation: None,
        }
    }

    /// Compares the program's gradient with this reference at a dump's values.
    fn compare(
        &self,
        ws: &Workspace,
        d: &Dump,
        g: &Stored,
        judging: &Judging,
        loss_tape: &Tape,
        computed: Option<Bounded>,
    ) -> Result<ParamCheck> {
        let shape = d.shape_of(self.param);
        // One run gives each component's value and its rounding bound; the value's own
        // rounding (plain sums, not compensated ones) is within the bound's share for
        // the reference, `reference_roundoff`. The arrays become the components' own
        // reference and bound columns, in place.
        let total: usize = shape.iter().product();
        let (mut want, mut bound) = match computed {
            Some(b) if b.value.len() == total && b.error.len() == total => (b.value, b.error),
            _ => {
                let inputs = self.tape.inputs(&ws.pool, d.point())?;
                let run = self.tape.run::<Rounding>(&inputs, &shape);
                let want = run
                    .iter()
                    .map(|r| r.map_or(f64::NAN, |r| r.value))
                    .collect();
                let error = run
                    .iter()
                    .map(|r| r.map_or(f64::NAN, |r| r.error))
                    .collect();
                (want, error)
            }
        };
        let uc = compute_roundoff(d.values_dtype, g.dtype, judging);
        let us = storage_roundoff(g.dtype, judging);
        let reference_roundoff = REFERENCE_ROUNDOFF;
        // The largest rounding scale of any component: the bound of a component whose
        // reference is undefined (a kink), which has no scale of its own.
        let widest = want
            .iter()
            .zip(&bound)
            .filter(|(w, e)| w.is_finite() && e.is_finite())
            .map(|(_, e)| *e)
            .fold(0.0, f64::max);
        let got = g.data.clone();
        let mut passed = Vec::with_capacity(total);
        for k in 0..total {
            let (w, e) = (want[k], bound[k]);
            let (w, e) = if !w.is_finite() {
                (f64::NAN, widest)
            } else if !e.is_finite() {
                (w, widest)
            } else {
                (w, e)
            };
            let b = us * w.abs() + (KAPPA * uc + reference_roundoff) * e + f64::MIN_POSITIVE;
            let b = if b.is_finite() { b } else { f64::MAX };
            let gk = got.get(k);
            passed.push(w.is_finite() && gk.is_finite() && (gk - w).abs() <= b);
            want[k] = w;
            bound[k] = b;
        }
        let mut components = Components {
            got,
            want,
            bound,
            passed,
            kinks: Vec::new(),
            kept: None,
        };
        // Components that fail, or have no reference, looked at again from both sides.
        // Components without a reference always need it; among the others, a sample
        // comes first, and when none of it sits on a kink the failures are taken as
        // real: each look costs two runs of the whole loss.
        let (undefined, defined): (Vec<usize>, Vec<usize>) = (0..components.len())
            .filter(|&k| !components.passed[k])
            .partition(|&k| components.want[k].is_nan());
        let failing: Vec<usize> = undefined
            .into_iter()
            .chain(defined)
            .take(ONE_SIDED_BUDGET)
            .collect();
        let mut kinks = 0;
        if !failing.is_empty() {
            let loss_inputs = loss_tape.inputs(&ws.pool, d.point())?;
            for (looked, k) in failing.into_iter().enumerate() {
                if looked == KINK_SAMPLE && kinks == 0 && !components.want[k].is_nan() {
                    break;
                }
                let input = if shape.is_empty() {
                    InputRef::Scalar(self.param)
                } else {
                    InputRef::Element(self.param, k)
                };
                let side = |dir: f64| {
                    loss_tape
                        .run::<OneSided>(&loss_inputs, Some((input, OneSided::new(0.0, dir))))
                        .ok()
                        .map(|v| v.derivative())
                        .filter(|x| x.is_finite())
                };
                let (Some(right), Some(left)) = (side(1.0), side(-1.0).map(|x| -x)) else {
                    continue;
                };
                let mut c = components.get(k);
                let spread = (right - left).abs();
                let scale = right.abs().max(left.abs());
                let slack = us * scale + (KAPPA * uc + reference_roundoff) * widest;
                if spread > slack {
                    kinks += 1;
                    c.kink = Some((left, right));
                    let (lo, hi) = (left.min(right), left.max(right));
                    c.bound = slack + f64::MIN_POSITIVE;
                    c.passed = c.got >= lo - c.bound && c.got <= hi + c.bound;
                } else if c.want.is_nan() {
                    // The formula has no value here, but the derivative exists.
                    c.want = right;
                    c.bound = slack + f64::MIN_POSITIVE;
                    c.passed = (c.got - right).abs() <= c.bound;
                }
                components.set(k, c);
            }
        }
        let Summary {
            worst,
            scale,
            any_failing,
            vacuous,
            ..
        } = summarize(&components, us);
        let verdict = if any_failing || scale.is_some() {
            ParamVerdict::Failed
        } else if vacuous {
            ParamVerdict::Vacuous
        } else {
            ParamVerdict::Passed
        };
        Ok(ParamCheck {
            name: ws.pool.name(self.param).to_string(),
            shape,
            dtype: g.dtype,
            compute_roundoff: uc,
            components,
            worst,
            scale,
            kinks,
            verdict,
            explanation: None,
        })
    }
}

/// The relative rounding of a stored gradient: its dtype's unit roundoff, or `--rtol`.
fn storage_roundoff(dtype: StoredType, judging: &Judging) -> f64 {
    judging.rtol.unwrap_or(dtype.unit_roundoff().unwrap_or(0.0))
}

/// Reads every dump, matching its arrays with the names the loss uses.
pub fn read_dumps(ws: &mut Workspace, loss: ExprId, from: &[DumpSource]) -> Result<Vec<Dump>> {
    from.iter().map(|f| read_dump(ws, loss, f)).collect()
}
