//! `gauge check`: a claimed gradient against the oracles, at given or random points.
//!
//! For each variable (a scalar, or every element of a tensor), the claim is gauge's own
//! simplified symbolic derivative or a formula given with `--grad`. Random points sample
//! each name from its domain: `assume` facts bound scalars (positive names are drawn
//! log-uniformly), tensors get random axis lengths (axes linked by a shared index get
//! equal lengths, definitions expanded, and `--len` fixes lengths), and indices run over
//! their axis. Points where the function or the claim is undefined, or where the
//! function has a kink, are drawn again. Then [`search`] adds points where wrong
//! gradients show but random draws rarely land: either side of each kink found along
//! the inputs (and on it, where the claim must lie between the one-sided derivatives),
//! and the point at other magnitudes.
//!
//! At one point every component perturbs one input of the same function: they share
//! the function's value and its unperturbed runs (a run recomputes only the table
//! elements that depend on the perturbed input), and a tensor's claim is evaluated at
//! every element at once. [`summary`] condenses the components, per variable.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `numeric`, `trace`, `simplify`, `calculus`, `codegen`.

pub mod components;
pub mod explain;
pub mod request;
pub mod search;
pub mod summary;
pub mod through;
pub mod values;

use rustc_hash::FxHashMap;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::node::{DefId, ExprId, Symbol};
use crate::lower::workspace::Workspace;
use crate::numeric::bounds::Rounding;
use crate::numeric::oracle::{
    Claimed, ComponentCheck, Dtype, Oracle, Probe, Tolerances, check_component, claim_bounded,
    claim_rounding,
};
pub use crate::numeric::sample::{
    Lengths, Rng, eval_sides, intermediate_rounding, sample_for, sample_spread, sample_with,
    within_conditioning,
};
use crate::numeric::scalar::{F32, InputRounded, Scalar};
use crate::numeric::tape::{Elementwise, InputRef, Reuse, Tape, TapeInputs, point_text};
use crate::numeric::value::{Bindings, Value, format_value};

/// A variable to differentiate by.
#[derive(Clone, Debug)]
pub enum CheckVar {
    /// A scalar.
    Scalar(Symbol),
    /// Every element of a tensor with this many axes.
    Tensor(Symbol, u32),
    /// A named intermediate (`let h[i] = ...`, `let s = ...`): every element of its
    /// value, each differentiated by as an input (its adjoint).
    Intermediate(Intermediate),
}

/// A named intermediate as a check's variable. The references differentiate the
/// function written with the intermediate as an input: `function`, in which a stand-in
/// takes the place of the intermediate's calls. At a point, the stand-in takes the
/// intermediate's value there, and the references perturb it.
#[derive(Clone, Debug)]
pub struct Intermediate {
    /// The intermediate's definition.
    pub def: DefId,
    /// The stand-in: a tensor with the intermediate's axes, or a scalar.
    pub stand_in: Symbol,
    /// The intermediate's number of axes (0 for a scalar).
    pub rank: usize,
    /// The function with the stand-in in place of the intermediate.
    pub function: ExprId,
}

impl CheckVar {
    /// The variable's name: the scalar's, the tensor's or the intermediate's.
    pub fn name<'p>(&self, pool: &'p crate::expr::pool::Pool) -> &'p str {
        match self {
            CheckVar::Scalar(s) | CheckVar::Tensor(s, _) => pool.name(*s),
            CheckVar::Intermediate(m) => pool.name(pool.definition(m.def).name),
        }
    }

    /// Whether the derivative by it is taken in index form, over free indices.
    pub fn is_indexed(&self) -> bool {
        match self {
            CheckVar::Scalar(_) => false,
            CheckVar::Tensor(..) => true,
            CheckVar::Intermediate(m) => m.rank > 0,
        }
    }
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
        claim_tapes.push(if req.vars[k].is_indexed() {
            let over = &req.indices[k];
            ClaimTape::Tensor(Elementwise::compile(&mut session.pool, c, over)?)
        } else {
            ClaimTape::Scalar(Tape::compile(&mut session.pool, c)?)
        });
    }
    // Each intermediate's function and value, compiled once for every point.
    let mut stand_ins = Vec::with_capacity(req.vars.len());
    for v in &req.vars {
        stand_ins.push(match v {
            CheckVar::Intermediate(m) => Some(StandIn::compile(session, m)?),
            _ => None,
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
            let checked = check_point(session, req, &f_tape, &claim_tapes, &stand_ins, &at);
            match checked {
                Ok(p) => {
                    // A random point on a kink is drawn again (searched points look at
                    // kinks on purpose, below); one where an `abs` argument is 0 all
                    // around (its sides agree) would be drawn again in vain.
                    let kinked = p.components.iter().any(|c| {
                        matches!(c.verdict, crate::numeric::oracle::Agreement::Kink { left, right, .. } if left != right)
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
    // Random points land where the sampler looks; the kinks along the inputs and other
    // magnitudes are searched for from the first of them (see [`search`]).
    if req.at.is_none()
        && let Some(base) = points.first().map(|p| p.bindings.clone())
    {
        for found in search::searched_points(session, &f_tape, &base) {
            let checked = check_point(session, req, &f_tape, &claim_tapes, &stand_ins, &found.at);
            let Ok(mut p) = checked else {
                continue;
            };
            for c in &mut p.components {
                if !matches!(c.verdict, crate::numeric::oracle::Agreement::Agrees) {
                    c.notes.push(format!("a searched point: {}", found.why));
                }
            }
            points.push(p);
        }
    }
    let passed = points
        .iter()
        .all(|p| p.components.iter().all(|c| c.passes()));
    let variables = req
        .vars
        .iter()
        .map(|v| v.name(&session.pool).to_string())
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
        let idx: Vec<ExprId> = req.indices[k]
            .iter()
            .map(|&i| session.pool.index(i))
            .collect();
        let var = match v {
            CheckVar::Scalar(s) => session.pool.sym(*s),
            CheckVar::Tensor(t, _) => session.pool.elem(*t, idx),
            // The derivative by the intermediate itself, in its name: the references
            // differentiate the function with the stand-in, so the two are reached
            // independently.
            CheckVar::Intermediate(m) => session.pool.call(m.def, Vec::new(), idx),
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

/// An intermediate's function with the stand-in, and the intermediate's value,
/// compiled.
pub struct StandIn {
    stand_in: Symbol,
    /// The function with the stand-in in place of the intermediate.
    function: Tape,
    /// The intermediate's value: at every position of its axes, or the scalar.
    value: ClaimTape,
    /// The lengths of the intermediate's axes.
    lengths: Vec<Tape>,
}

impl StandIn {
    /// Compiles the function with the stand-in, and the intermediate's value.
    pub fn compile(session: &mut Workspace, m: &Intermediate) -> Result<StandIn> {
        let function = Tape::compile(&mut session.pool, m.function)?;
        let d = session.pool.definition(m.def).clone();
        let value = if m.rank == 0 {
            let call = session.pool.call(m.def, Vec::new(), Vec::new());
            ClaimTape::Scalar(Tape::compile(&mut session.pool, call)?)
        } else {
            let over: Vec<Symbol> = (0..m.rank)
                .map(|_| session.pool.fresh_index_symbol())
                .collect();
            let idx = over.iter().map(|&i| session.pool.index(i)).collect();
            let call = session.pool.call(m.def, Vec::new(), idx);
            ClaimTape::Tensor(Elementwise::compile(&mut session.pool, call, &over)?)
        };
        let mut lengths = Vec::with_capacity(m.rank);
        for &r in &d.index_ranges {
            let len = session.pool.instantiate_len(m.def, &[], r);
            lengths.push(Tape::compile(&mut session.pool, len)?);
        }
        Ok(StandIn {
            stand_in: m.stand_in,
            function,
            value,
            lengths,
        })
    }

    /// The point with the stand-in given the intermediate's value there.
    pub fn bind(&self, session: &Workspace, at: &Bindings) -> Result<Bindings> {
        let undefined = || {
            Error::new(
                ErrorKind::Domain,
                "the intermediate is undefined at the point",
            )
        };
        let value = match &self.value {
            ClaimTape::Scalar(tape) => {
                let inputs = tape.inputs(&session.pool, at)?;
                Value::Scalar(tape.eval(&inputs)?)
            }
            ClaimTape::Tensor(tape) => {
                let mut shape = Vec::with_capacity(self.lengths.len());
                for len in &self.lengths {
                    let inputs = len.inputs(&session.pool, at)?;
                    let n = len.eval(&inputs)?;
                    if !(n >= 1.0 && n.fract() == 0.0) {
                        return Err(Error::new(
                            ErrorKind::Shape,
                            "an axis of the intermediate has no length at the point",
                        ));
                    }
                    shape.push(n as usize);
                }
                let inputs = tape.inputs(&session.pool, at)?;
                let data = tape
                    .run::<f64>(&inputs, &shape)
                    .into_iter()
                    .map(|v| v.filter(|x| x.is_finite()).ok_or_else(undefined))
                    .collect::<Result<Vec<f64>>>()?;
                Value::Tensor(std::rc::Rc::new(crate::numeric::value::Tensor {
                    shape,
                    data,
                }))
            }
        };
        let mut out = at.clone();
        out.insert(self.stand_in, value);
        Ok(out)
    }
}

#[allow(clippy::too_many_arguments)]
fn check_point(
    session: &mut Workspace,
    req: &CheckRequest,
    f_tape: &Tape,
    claim_tapes: &[ClaimTape],
    stand_ins: &[Option<StandIn>],
    at: &Bindings,
) -> Result<PointCheck> {
    let inputs = f_tape.inputs(&session.pool, at)?;
    // An undefined function names the point in the order the function reads its names
    // (as `check` always has), not in the order the tape happened to meet them.
    let value = f_tape.eval_showing(&inputs, || point_text(&mut session.pool, &[req.expr], at))?;
    // Every component's oracles perturb one input of the same function at the same
    // point: they share its value and its unperturbed runs.
    let reuse = Reuse::new(f_tape, &inputs);
    let own = Function {
        tape: f_tape,
        inputs: &inputs,
        reuse: &reuse,
        value,
    };
    let mut components = Vec::new();
    let mut perturbed = Vec::new();
    let mut spans = Vec::with_capacity(req.vars.len());
    for (k, v) in req.vars.iter().enumerate() {
        let first = components.len();
        let mut out = Components {
            components: &mut components,
            perturbed: &mut perturbed,
        };
        match (v, &claim_tapes[k]) {
            (CheckVar::Scalar(s), ClaimTape::Scalar(claim_tape)) => {
                let x = scalar_value(session, at, *s)?;
                let claim_inputs = claim_tape.inputs(&session.pool, at)?;
                let claim = claim_bounded(claim_tape, &claim_inputs, req.dtype).ok();
                let name = session.pool.name(*s).to_string();
                out.scalar(req, &own, name, *s, x, claim);
            }
            (CheckVar::Tensor(t, _), ClaimTape::Tensor(claim_tape)) => {
                let tensor = tensor_value(session, at, *t)?;
                let claims = tensor_claims(session, req, claim_tape, at, &tensor.shape)?;
                let name = session.pool.name(*t).to_string();
                out.tensor(req, &own, &name, *t, &tensor, claims);
            }
            (CheckVar::Intermediate(_), claim_tape) => {
                let Some(si) = &stand_ins[k] else {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        "an intermediate's function was not compiled",
                    ));
                };
                // The function with the stand-in, at the point where the stand-in
                // takes the intermediate's value: the references perturb the stand-in.
                let bound = si.bind(session, at)?;
                let g_inputs = si.function.inputs(&session.pool, &bound)?;
                let g_value = si.function.eval(&g_inputs)?;
                // Written with the stand-in, the function must still have its value: a
                // wrong rewriting would otherwise pass as a wrong reference.
                let scale = value
                    .abs()
                    .max(g_value.abs())
                    .max(f_tape.largest_intermediate(&inputs))
                    .max(si.function.largest_intermediate(&g_inputs))
                    .max(1.0);
                // NaN never agrees.
                let agrees = (g_value - value).abs() <= 1e-9 * scale;
                if !agrees {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        format!(
                            "the function written with `{}` as an input has the value {g_value:?}, not {value:?}: a bug in gauge",
                            v.name(&session.pool)
                        ),
                    ));
                }
                let g_reuse = Reuse::new(&si.function, &g_inputs);
                let stand_in = Function {
                    tape: &si.function,
                    inputs: &g_inputs,
                    reuse: &g_reuse,
                    value: g_value,
                };
                let name = v.name(&session.pool).to_string();
                match claim_tape {
                    ClaimTape::Scalar(claim_tape) => {
                        let x = scalar_value(session, &bound, si.stand_in)?;
                        let claim_inputs = claim_tape.inputs(&session.pool, at)?;
                        let claim = claim_bounded(claim_tape, &claim_inputs, req.dtype).ok();
                        out.scalar(req, &stand_in, name, si.stand_in, x, claim);
                    }
                    ClaimTape::Tensor(claim_tape) => {
                        let tensor = tensor_value(session, &bound, si.stand_in)?;
                        let claims = tensor_claims(session, req, claim_tape, at, &tensor.shape)?;
                        out.tensor(req, &stand_in, &name, si.stand_in, &tensor, claims);
                    }
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

/// A function compiled and evaluated at a point, whose inputs the references perturb.
struct Function<'a> {
    tape: &'a Tape,
    inputs: &'a TapeInputs,
    reuse: &'a Reuse<'a>,
    value: f64,
}

impl Function<'_> {
    fn probe(&self, input: InputRef, x: f64) -> Probe<'_> {
        Probe {
            tape: self.tape,
            inputs: self.inputs,
            input,
            x,
            reuse: Some(self.reuse),
            value: Some(self.value),
        }
    }
}

/// The components of one point, and the input each perturbs, as they are checked.
struct Components<'a> {
    components: &'a mut Vec<ComponentCheck>,
    perturbed: &'a mut Vec<(InputRef, f64)>,
}

impl Components<'_> {
    /// The component of a scalar input.
    fn scalar(
        &mut self,
        req: &CheckRequest,
        f: &Function<'_>,
        name: String,
        s: Symbol,
        x: f64,
        claim: Option<Claimed>,
    ) {
        let input = InputRef::Scalar(s);
        self.perturbed.push((input, x));
        self.components.push(check_component(
            name,
            claim,
            &f.probe(input, x),
            req.dtype,
            &req.tolerances,
        ));
    }

    /// The components of a tensor input, one per element.
    fn tensor(
        &mut self,
        req: &CheckRequest,
        f: &Function<'_>,
        name: &str,
        t: Symbol,
        tensor: &crate::numeric::value::Tensor,
        claims: Vec<Option<Claimed>>,
    ) {
        for (off, claim) in claims.into_iter().enumerate() {
            let idx = unravel(off, &tensor.shape);
            let input = InputRef::Element(t, off);
            self.perturbed.push((input, tensor.data[off]));
            let component = format!(
                "{name}[{}]",
                idx.iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            self.components.push(check_component(
                component,
                claim,
                &f.probe(input, tensor.data[off]),
                req.dtype,
                &req.tolerances,
            ));
        }
    }
}

/// The value of a scalar at a point.
fn scalar_value(session: &Workspace, at: &Bindings, s: Symbol) -> Result<f64> {
    match at.get(s) {
        Some(Value::Scalar(x)) => Ok(*x),
        _ => Err(Error::new(
            ErrorKind::Binding,
            format!("no value for `{}`", session.pool.name(s)),
        )),
    }
}

/// The value of a tensor at a point.
fn tensor_value(
    session: &Workspace,
    at: &Bindings,
    t: Symbol,
) -> Result<std::rc::Rc<crate::numeric::value::Tensor>> {
    match at.get(t) {
        Some(Value::Tensor(tv)) => Ok(tv.clone()),
        _ => Err(Error::new(
            ErrorKind::Binding,
            format!("no value for the tensor `{}`", session.pool.name(t)),
        )),
    }
}

/// A tensor's claim at every element, in the check's precision, with the bound on
/// its rounding (see [`claim_bounded`]).
fn tensor_claims(
    session: &Workspace,
    req: &CheckRequest,
    claim_tape: &Elementwise,
    at: &Bindings,
    shape: &[usize],
) -> Result<Vec<Option<Claimed>>> {
    let claim_inputs = claim_tape.inputs(&session.pool, at)?;
    let (values, units): (Vec<Option<f64>>, Vec<Option<f64>>) = match req.dtype {
        Dtype::F64 => (
            claim_tape.run::<f64>(&claim_inputs, shape),
            claim_tape
                .run::<Rounding>(&claim_inputs, shape)
                .into_iter()
                .map(|v| v.map(|r| r.error))
                .collect(),
        ),
        Dtype::F32 => (
            claim_tape
                .run::<F32>(&claim_inputs, shape)
                .into_iter()
                .map(|v| v.map(F32::re))
                .collect(),
            claim_tape
                .run::<InputRounded>(&claim_inputs, shape)
                .into_iter()
                .map(|v| v.map(|r| r.0.error))
                .collect(),
        ),
    };
    Ok(values
        .into_iter()
        .zip(units)
        .map(|(v, u)| {
            v.map(|value| Claimed {
                value,
                rounding: claim_rounding(u.unwrap_or(f64::INFINITY), req.dtype),
            })
        })
        .collect())
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
    // A component of an intermediate perturbs the stand-in of the function written
    // with it, at the point where the stand-in takes the intermediate's value.
    let var = p.spans.iter().position(|r| r.contains(&ci));
    let (tape, bindings) = match var.map(|k| &req.vars[k]) {
        Some(CheckVar::Intermediate(m)) => {
            let si = StandIn::compile(session, m)?;
            let bound = si.bind(session, &p.bindings)?;
            (si.function, bound)
        }
        _ => (
            Tape::compile(&mut session.pool, req.expr)?,
            p.bindings.clone(),
        ),
    };
    let inputs = tape.inputs(&session.pool, &bindings)?;
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
