//! `gauge check`: a claimed gradient against the oracles, at given or random points.
//!
//! For each variable (a scalar, or every element of a tensor), the claim is gauge's own
//! simplified symbolic derivative or a formula given with `--grad`. Random points sample
//! each name from its domain: `assume` facts bound scalars (positive names are drawn
//! log-uniformly), tensors get random axis lengths (axes linked by a shared index get
//! equal lengths, definitions expanded, and `--len` fixes lengths), and indices run over
//! their axis. Points where the function or the claim is undefined, or where the
//! function has a kink, are drawn again.
//!
//! At one point every component perturbs one input of the same function: they share
//! the function's value and its unperturbed runs (a run recomputes only the table
//! elements that depend on the perturbed input), and a tensor's claim is evaluated at
//! every element at once. [`summary`] condenses the components, per variable.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `numeric`, `trace`, `simplify`, `calculus`.

pub mod request;
pub mod summary;

use rustc_hash::FxHashMap;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::node::{ExprId, Symbol};
use crate::lower::workspace::Workspace;
use crate::numeric::oracle::{
    ComponentCheck, Dtype, Oracle, Probe, Tolerances, check_component, claim_value,
};
pub use crate::numeric::sample::{
    Lengths, Rng, eval_sides, intermediate_rounding, sample_for, sample_spread, sample_with,
    within_conditioning,
};
use crate::numeric::scalar::{F32, Scalar};
use crate::numeric::tape::{Elementwise, InputRef, Reuse, Tape, point_text};
use crate::numeric::value::{Bindings, Value, format_value};

/// A variable to differentiate by.
#[derive(Clone, Debug)]
pub enum CheckVar {
    /// A scalar.
    Scalar(Symbol),
    /// Every element of a tensor with this many axes.
    Tensor(Symbol, u32),
}

/// What to check.
#[derive(Clone, Debug)]
pub struct CheckRequest {
    /// The function.
    pub expr: ExprId,
    /// The variables.
    pub vars: Vec<CheckVar>,
    /// The claimed derivatives, one per variable (for a tensor, with free indices
    /// `indices[k]`); `None` checks gauge's own symbolic derivative.
    pub claims: Option<Vec<ExprId>>,
    /// The free index names of each tensor variable's claim.
    pub indices: Vec<Vec<Symbol>>,
    /// A point to check at, or `None` for random points.
    pub at: Option<Bindings>,
    /// The axis lengths of random points: fixed ones, and the links of the function and
    /// the claims with their definitions expanded.
    pub lengths: Lengths,
    /// How many random points.
    pub points: usize,
    /// The random seed.
    pub seed: u64,
    /// The precision of the claim and the finite differences.
    pub dtype: Dtype,
    /// The agreement thresholds.
    pub tolerances: Tolerances,
}

/// The checks at one point.
#[derive(Clone, Debug)]
pub struct PointCheck {
    /// The point, as `name = value` text.
    pub point: String,
    /// One check per component.
    pub components: Vec<ComponentCheck>,
    /// The point's values.
    pub bindings: Bindings,
    /// For each component, the input it perturbs and that input's value.
    pub inputs: Vec<(InputRef, f64)>,
    /// For each variable, its components' positions in `components`.
    pub spans: Vec<std::ops::Range<usize>>,
}

/// The whole report.
#[derive(Clone, Debug)]
pub struct CheckReport {
    /// The variables' names, in order.
    pub variables: Vec<String>,
    /// The names the function uses, which a point shows.
    pub names: Vec<Symbol>,
    /// The claims, as text, one per variable.
    pub claims: Vec<String>,
    /// Whether the claims are gauge's own derivatives (else given formulas).
    pub symbolic: bool,
    /// The points checked.
    pub points: Vec<PointCheck>,
    /// Whether every component passed.
    pub passed: bool,
}

impl CheckReport {
    /// The largest absolute and relative errors against each trusted oracle.
    pub fn max_errors(&self) -> Vec<(Oracle, f64, f64)> {
        let mut out: FxHashMap<Oracle, (f64, f64)> = FxHashMap::default();
        for p in &self.points {
            for c in &p.components {
                for r in c
                    .readings
                    .iter()
                    .filter(|r| r.trusted && r.abs_error.is_finite())
                {
                    let e = out.entry(r.oracle).or_insert((0.0, 0.0));
                    e.0 = e.0.max(r.abs_error);
                    e.1 = e.1.max(r.rel_error);
                }
            }
        }
        let mut v: Vec<(Oracle, f64, f64)> = out.into_iter().map(|(o, (a, r))| (o, a, r)).collect();
        v.sort_by_key(|x| x.0);
        v
    }

    /// The failing component with the largest error, and its point.
    pub fn worst(&self) -> Option<(&PointCheck, &ComponentCheck)> {
        let mut best: Option<(&PointCheck, &ComponentCheck, f64)> = None;
        for p in &self.points {
            for c in &p.components {
                if c.passes() {
                    continue;
                }
                let err = c
                    .readings
                    .iter()
                    .filter(|r| r.trusted)
                    .map(|r| {
                        if r.rel_error.is_finite() {
                            r.rel_error
                        } else {
                            f64::INFINITY
                        }
                    })
                    .fold(0.0, f64::max);
                let err = if c.claim.is_none() {
                    f64::INFINITY
                } else {
                    err
                };
                if best.is_none_or(|b| err > b.2) {
                    best = Some((p, c, err));
                }
            }
        }
        best.map(|b| (b.0, b.1))
    }
}

/// Runs a check.
pub fn run_check(session: &mut Workspace, req: &CheckRequest) -> Result<CheckReport> {
    let f_tape = Tape::compile(&mut session.pool, req.expr)?;
    let (claims, symbolic) = match &req.claims {
        Some(c) => (c.clone(), false),
        None => (own_derivatives(session, req)?, true),
    };
    let mut claim_tapes = Vec::with_capacity(claims.len());
    for (k, &c) in claims.iter().enumerate() {
        claim_tapes.push(match req.vars[k] {
            CheckVar::Scalar(_) => ClaimTape::Scalar(Tape::compile(&mut session.pool, c)?),
            CheckVar::Tensor(..) => {
                let over = &req.indices[k];
                ClaimTape::Tensor(Elementwise::compile(&mut session.pool, c, over)?)
            }
        });
    }
    let claim_texts: Vec<String> = claims.iter().map(|&c| session.print(c)).collect();
    let mut rng = Rng(req.seed);
    let mut points = Vec::new();
    let n_points = if req.at.is_some() {
        1
    } else {
        req.points.max(1)
    };
    for _ in 0..n_points {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let at = match &req.at {
                Some(b) => b.clone(),
                None => sample_point(session, req, &mut rng)?,
            };
            let checked = check_point(session, req, &f_tape, &claim_tapes, &at);
            match checked {
                Ok(p) => {
                    let kinked = p.components.iter().any(|c| {
                        matches!(c.verdict, crate::numeric::oracle::Agreement::Kink { .. })
                    });
                    if req.at.is_none() && kinked && attempt < 100 {
                        continue;
                    }
                    points.push(p);
                    break;
                }
                Err(e) if req.at.is_none() && attempt < 100 => {
                    let _ = e;
                    continue;
                }
                Err(e) => {
                    return Err(if req.at.is_none() {
                        Error::new(
                            ErrorKind::Domain,
                            format!("no point where the function is defined was found in 100 tries: {}", e.message),
                        )
                        .with_hint("state the domain with `assume` (for example `--assume 'x > 0'`), or give a point with --at")
                    } else {
                        e
                    });
                }
            }
        }
    }
    let passed = points
        .iter()
        .all(|p| p.components.iter().all(|c| c.passes()));
    let variables = req
        .vars
        .iter()
        .map(|v| match v {
            CheckVar::Scalar(s) | CheckVar::Tensor(s, _) => session.pool.name(*s).to_string(),
        })
        .collect();
    Ok(CheckReport {
        variables,
        names: session.names_used(req.expr),
        claims: claim_texts,
        symbolic,
        points,
        passed,
    })
}

/// gauge's own simplified derivative for each variable.
fn own_derivatives(session: &mut Workspace, req: &CheckRequest) -> Result<Vec<ExprId>> {
    let defs = session.definitions_in_order();
    let facts = session.facts.clone();
    let mut out = Vec::new();
    for (k, v) in req.vars.iter().enumerate() {
        let var = match v {
            CheckVar::Scalar(s) => session.pool.sym(*s),
            CheckVar::Tensor(t, _) => {
                let idx: Vec<ExprId> = req.indices[k]
                    .iter()
                    .map(|&i| session.pool.index(i))
                    .collect();
                session.pool.elem(*t, idx)
            }
        };
        let d = crate::calculus::derivation::derive_with_steps(
            &mut session.pool,
            req.expr,
            var,
            1,
            &defs,
            &facts,
        )?;
        out.push(d.result);
    }
    Ok(out)
}

/// A claim, compiled: for a tensor, to be evaluated at every element at once.
enum ClaimTape {
    Scalar(Tape),
    Tensor(Elementwise),
}

fn check_point(
    session: &mut Workspace,
    req: &CheckRequest,
    f_tape: &Tape,
    claim_tapes: &[ClaimTape],
    at: &Bindings,
) -> Result<PointCheck> {
    let inputs = f_tape.inputs(&session.pool, at)?;
    // An undefined function names the point in the order the function reads its names
    // (as `check` always has), not in the order the tape happened to meet them.
    let value = f_tape.eval_showing(&inputs, || point_text(&mut session.pool, &[req.expr], at))?;
    // Every component's oracles perturb one input of the same function at the same
    // point: they share its value and its unperturbed runs.
    let reuse = Reuse::new(f_tape, &inputs);
    let probe = |input: InputRef, x: f64| Probe {
        tape: f_tape,
        inputs: &inputs,
        input,
        x,
        reuse: Some(&reuse),
        value: Some(value),
    };
    let mut components = Vec::new();
    let mut perturbed = Vec::new();
    let mut spans = Vec::with_capacity(req.vars.len());
    for (k, v) in req.vars.iter().enumerate() {
        let first = components.len();
        match (v, &claim_tapes[k]) {
            (CheckVar::Scalar(s), ClaimTape::Scalar(claim_tape)) => {
                let x = match at.get(*s) {
                    Some(Value::Scalar(x)) => *x,
                    _ => {
                        return Err(Error::new(
                            ErrorKind::Binding,
                            format!("no value for `{}`", session.pool.name(*s)),
                        ));
                    }
                };
                let claim_inputs = claim_tape.inputs(&session.pool, at)?;
                let claim = claim_value(claim_tape, &claim_inputs, req.dtype).ok();
                perturbed.push((InputRef::Scalar(*s), x));
                components.push(check_component(
                    session.pool.name(*s).to_string(),
                    claim,
                    &probe(InputRef::Scalar(*s), x),
                    req.dtype,
                    &req.tolerances,
                ));
            }
            (CheckVar::Tensor(t, _), ClaimTape::Tensor(claim_tape)) => {
                let tensor = match at.get(*t) {
                    Some(Value::Tensor(tv)) => tv.clone(),
                    _ => {
                        return Err(Error::new(
                            ErrorKind::Binding,
                            format!("no value for the tensor `{}`", session.pool.name(*t)),
                        ));
                    }
                };
                let claim_inputs = claim_tape.inputs(&session.pool, at)?;
                let claims: Vec<Option<f64>> = match req.dtype {
                    Dtype::F64 => claim_tape.run::<f64>(&claim_inputs, &tensor.shape),
                    Dtype::F32 => claim_tape
                        .run::<F32>(&claim_inputs, &tensor.shape)
                        .into_iter()
                        .map(|v| v.map(F32::re))
                        .collect(),
                };
                let name = session.pool.name(*t).to_string();
                for (off, claim) in claims.into_iter().enumerate() {
                    let idx = unravel(off, &tensor.shape);
                    let input = InputRef::Element(*t, off);
                    perturbed.push((input, tensor.data[off]));
                    let component = format!(
                        "{name}[{}]",
                        idx.iter()
                            .map(|i| i.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    components.push(check_component(
                        component,
                        claim,
                        &probe(input, tensor.data[off]),
                        req.dtype,
                        &req.tolerances,
                    ));
                }
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    "a claim was compiled for another kind of variable",
                ));
            }
        }
        spans.push(first..components.len());
    }
    let used = session.names_used(req.expr);
    let point = at
        .names()
        .filter(|s| used.contains(s))
        .filter_map(|s| {
            at.get(s)
                .map(|v| format!("{} = {}", session.pool.name(s), format_value(v)))
        })
        .collect::<Vec<_>>()
        .join(", ");
    Ok(PointCheck {
        point,
        components,
        bindings: at.clone(),
        inputs: perturbed,
        spans,
    })
}

fn unravel(mut off: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for a in (0..shape.len()).rev() {
        idx[a] = off % shape[a];
        off /= shape[a];
    }
    idx
}

/// Draws a random point for the names the function and claims use.
fn sample_point(session: &mut Workspace, req: &CheckRequest, rng: &mut Rng) -> Result<Bindings> {
    let mut exprs = vec![req.expr];
    if let Some(claims) = &req.claims {
        exprs.extend(claims.iter().copied());
    }
    sample_with(session, &exprs, rng, &req.lengths)
}

/// Draws the finite-difference error against the step for the worst component (the
/// failing one with the largest error, or else the one with the largest
/// finite-difference error) as an SVG file.
pub fn plot_worst(
    session: &mut Workspace,
    req: &CheckRequest,
    report: &CheckReport,
    path: &std::path::Path,
) -> Result<()> {
    let mut choice: Option<(usize, usize, f64)> = None;
    for (pi, p) in report.points.iter().enumerate() {
        for (ci, c) in p.components.iter().enumerate() {
            let fd = c
                .readings
                .iter()
                .find(|r| r.oracle == Oracle::FiniteDifferences)
                .map_or(0.0, |r| {
                    if r.abs_error.is_finite() {
                        r.abs_error
                    } else {
                        0.0
                    }
                });
            let score = if c.passes() { fd } else { f64::INFINITY };
            if choice.is_none_or(|b| score > b.2) {
                choice = Some((pi, ci, score));
            }
        }
    }
    let Some((pi, ci, _)) = choice else {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "there is no component to plot",
        ));
    };
    let p = &report.points[pi];
    let Some(&(input, x)) = p.inputs.get(ci) else {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "there is no component to plot",
        ));
    };
    let tape = Tape::compile(&mut session.pool, req.expr)?;
    let inputs = tape.inputs(&session.pool, &p.bindings)?;
    let probe = Probe {
        tape: &tape,
        inputs: &inputs,
        input,
        x,
        reuse: None,
        value: None,
    };
    let reference = crate::numeric::oracle::dual_number(&probe).ok_or_else(|| {
        Error::new(
            ErrorKind::Domain,
            "the function has no derivative at the plotted point",
        )
    })?;
    let value = |d: f64| tape.run::<f64>(&inputs, Some((input, d))).ok();
    let central = |h: f64| -> Option<f64> {
        if x + h == x {
            return None;
        }
        Some((value(h)? - value(-h)?) / (2.0 * h))
    };
    let estimate = |h: f64| -> Option<f64> { Some((4.0 * central(h / 2.0)? - central(h)?) / 3.0) };
    let (_, _, chosen) = crate::numeric::oracle::finite_difference(&probe, req.dtype);
    let title = format!("{} at {}", p.components[ci].component, p.point);
    let data = crate::numeric::plot::step_plot(title, estimate, reference, chosen);
    crate::numeric::plot::write_svg(&data, path)
}
