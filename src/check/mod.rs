//! `gauge check`: a claimed gradient against the oracles, at given or random points.
//!
//! For each variable (a scalar, or every element of a tensor), the claim is gauge's own
//! simplified symbolic derivative or a formula given with `--grad`. Random points sample
//! each name from its domain: `assume` facts bound scalars (positive names are drawn
//! log-uniformly), tensors get random axis lengths (axes linked by a shared index get
//! equal lengths), and indices run over their axis. Points where the function or the
//! claim is undefined, or where the function has a kink, are drawn again.

use std::rc::Rc;

use rustc_hash::FxHashMap;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::node::{ExprId, Node, Symbol};
use crate::lower::lowerer::Kind;
use crate::lower::session::Session;
use crate::lower::value::{Bindings, Tensor, Value, format_value};
use crate::numeric::oracle::{
    ComponentCheck, Dtype, Oracle, Probe, Tolerances, check_component, claim_value,
};
use crate::numeric::tape::{InputRef, Tape};
use crate::syntax::tree::Relation;

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
}

/// The whole report.
#[derive(Clone, Debug)]
pub struct CheckReport {
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

/// A small deterministic generator (SplitMix64), so a seed reproduces a run.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn bits(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.bits() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.bits() % n.max(1) as u64) as usize
    }
}

/// Runs a check.
pub fn run_check(session: &mut Session, req: &CheckRequest) -> Result<CheckReport> {
    let f_tape = Tape::compile(&mut session.pool, req.expr)?;
    let (claims, symbolic) = match &req.claims {
        Some(c) => (c.clone(), false),
        None => (own_derivatives(session, req)?, true),
    };
    let claim_tapes: Vec<Tape> = claims
        .iter()
        .map(|&c| Tape::compile(&mut session.pool, c))
        .collect::<Result<_>>()?;
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
                    let kinked = p
                        .components
                        .iter()
                        .any(|c| matches!(c.verdict, crate::numeric::oracle::Verdict::Kink { .. }));
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
    Ok(CheckReport {
        claims: claim_texts,
        symbolic,
        points,
        passed,
    })
}

/// gauge's own simplified derivative for each variable.
fn own_derivatives(session: &mut Session, req: &CheckRequest) -> Result<Vec<ExprId>> {
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

fn check_point(
    session: &mut Session,
    req: &CheckRequest,
    f_tape: &Tape,
    claim_tapes: &[Tape],
    at: &Bindings,
) -> Result<PointCheck> {
    let inputs = f_tape.inputs(&session.pool, at)?;
    f_tape.eval(&inputs)?;
    let mut components = Vec::new();
    let mut perturbed = Vec::new();
    for (k, v) in req.vars.iter().enumerate() {
        match v {
            CheckVar::Scalar(s) => {
                let x = match at.get(*s) {
                    Some(Value::Scalar(x)) => *x,
                    _ => {
                        return Err(Error::new(
                            ErrorKind::Binding,
                            format!("no value for `{}`", session.pool.name(*s)),
                        ));
                    }
                };
                let claim_inputs = claim_tapes[k].inputs(&session.pool, at)?;
                let claim = claim_value(&claim_tapes[k], &claim_inputs, req.dtype).ok();
                let probe = Probe {
                    tape: f_tape,
                    inputs: &inputs,
                    input: InputRef::Scalar(*s),
                    x,
                };
                perturbed.push((InputRef::Scalar(*s), x));
                components.push(check_component(
                    session.pool.name(*s).to_string(),
                    claim,
                    &probe,
                    req.dtype,
                    &req.tolerances,
                ));
            }
            CheckVar::Tensor(t, _) => {
                let tensor = match at.get(*t) {
                    Some(Value::Tensor(tv)) => tv.clone(),
                    _ => {
                        return Err(Error::new(
                            ErrorKind::Binding,
                            format!("no value for the tensor `{}`", session.pool.name(*t)),
                        ));
                    }
                };
                let total: usize = tensor.shape.iter().product();
                for off in 0..total {
                    let idx = unravel(off, &tensor.shape);
                    let mut b = at.clone();
                    for (&s, &i) in req.indices[k].iter().zip(&idx) {
                        b.insert(s, Value::Scalar(i as f64));
                    }
                    let claim_inputs = claim_tapes[k].inputs(&session.pool, &b)?;
                    let claim = claim_value(&claim_tapes[k], &claim_inputs, req.dtype).ok();
                    let probe = Probe {
                        tape: f_tape,
                        inputs: &inputs,
                        input: InputRef::Element(*t, off),
                        x: tensor.data[off],
                    };
                    perturbed.push((InputRef::Element(*t, off), tensor.data[off]));
                    let name = format!(
                        "{}[{}]",
                        session.pool.name(*t),
                        idx.iter()
                            .map(|i| i.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    components.push(check_component(
                        name,
                        claim,
                        &probe,
                        req.dtype,
                        &req.tolerances,
                    ));
                }
            }
        }
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
fn sample_point(session: &mut Session, req: &CheckRequest, rng: &mut Rng) -> Result<Bindings> {
    let mut exprs = vec![req.expr];
    if let Some(claims) = &req.claims {
        exprs.extend(claims.iter().copied());
    }
    sample_for(session, &exprs, rng)
}

/// Two compiled expressions at one point: `None` when the point is outside the left
/// one's domain (or lacks a name), else the left value and the right one where it is
/// defined. Claims and steps are judged this way: a point where the left side is
/// undefined says nothing about them.
pub fn eval_sides(
    pool: &crate::expr::pool::Pool,
    left: &Tape,
    right: &Tape,
    at: &Bindings,
) -> Option<(f64, Option<f64>)> {
    let (Ok(li), Ok(ri)) = (left.inputs(pool, at), right.inputs(pool, at)) else {
        return None;
    };
    let l = left.eval(&li).ok()?;
    Some((l, right.eval(&ri).ok()))
}

/// How much absolute rounding two evaluations of equal values may differ by beyond
/// their own size: a hundred-odd ulps of the largest intermediate either side computes.
/// This assumes the result moves with that intermediate one for one, which is the worst
/// case; callers cap it at a small share of the values themselves.
pub fn intermediate_rounding(
    pool: &crate::expr::pool::Pool,
    tapes: &[&Tape],
    at: &Bindings,
) -> f64 {
    tapes
        .iter()
        .filter_map(|t| t.inputs(pool, at).ok().map(|i| t.largest_intermediate(&i)))
        .fold(0.0, f64::max)
        * 1e-13
}

/// Whether two values that ought to be equal differ by no more than rounding, amplified
/// by how ill-conditioned `tape` is at `at`, can explain. The inputs (scalars and tensor
/// elements, not indices) are moved by about a billionth; a function whose value then
/// moves by `d` turns rounding errors of the inputs' size into differences near
/// `d / 10^4`, so a difference below `d / 1000` is no evidence of inequality
/// (`sin(5^(pi*x))` against `sin((5^pi)^x)` at `x = 2`). Where `d` is itself a
/// thousandth of the values, the point is hopeless and says nothing either.
pub fn within_conditioning(
    session: &Session,
    tape: &Tape,
    at: &Bindings,
    value: f64,
    difference: f64,
) -> bool {
    let mut moved = at.clone();
    let names: Vec<Symbol> = at.names().collect();
    for (k, s) in names.into_iter().enumerate() {
        // Each input moves by its own amount, so that no ratio of them stays fixed.
        let factor = 1.0 + 1e-9 * (1.0 + k as f64 * 0.37);
        let v = match (session.kind_of(s), at.get(s)) {
            (Some(Kind::Scalar), Some(Value::Scalar(v))) => Value::Scalar(v * factor),
            (Some(Kind::Tensor(_)), Some(Value::Tensor(t))) => Value::Tensor(Rc::new(Tensor {
                shape: t.shape.clone(),
                data: t.data.iter().map(|x| x * factor).collect(),
            })),
            _ => continue,
        };
        moved.insert(s, v);
    }
    let Ok(moved_value) = tape
        .inputs(&session.pool, &moved)
        .and_then(|i| tape.eval(&i))
    else {
        return false;
    };
    let d = (moved_value - value).abs();
    // Either the difference is rounding amplified by the conditioning, or the function
    // is so ill-conditioned here (a billionth's move changes it by a thousandth of its
    // size, as `sin` of 10^23 does) that no evaluation of it means anything.
    d.is_finite() && (difference <= 1e-3 * d || d >= 1e-3 * value.abs().max(difference))
}

/// Draws a random point for every name the expressions use (see the module docs).
pub fn sample_for(session: &mut Session, exprs: &[ExprId], rng: &mut Rng) -> Result<Bindings> {
    sample_spread(session, exprs, rng, 1.0)
}

/// [`sample_for`], with the ranges of unbounded scalars stretched by `spread`: for
/// expressions defined only far from 0 (`ln(x - 5)`), after the usual ranges found no
/// point.
pub fn sample_spread(
    session: &mut Session,
    exprs: &[ExprId],
    rng: &mut Rng,
    spread: f64,
) -> Result<Bindings> {
    // Scalars are drawn inside their own bounds; a fact about anything else (`z[0] > 0`,
    // `x - y > 0`) is met by drawing again.
    for _ in 0..64 {
        let at = draw(session, exprs, rng, spread)?;
        if facts_hold(session, &at) {
            return Ok(at);
        }
    }
    Err(Error::new(
        ErrorKind::Domain,
        "no random point satisfies the `assume` facts",
    )
    .with_hint("check that the facts can hold together"))
}

/// Whether every fact that can be evaluated at `at` holds there; a fact about names the
/// point does not bind says nothing.
fn facts_hold(session: &mut Session, at: &Bindings) -> bool {
    let facts = session.facts.clone();
    facts.iter().all(|f| {
        let (Ok(s), Ok(b)) = (session.eval(f.subject, at), session.eval(f.bound, at)) else {
            return true;
        };
        match f.relation {
            Relation::Greater => s > b,
            Relation::GreaterEq => s >= b,
            Relation::Less => s < b,
            Relation::LessEq => s <= b,
            Relation::NotEq => s != b,
        }
    })
}

/// One random point, each scalar inside the bounds its own facts give.
fn draw(session: &mut Session, exprs: &[ExprId], rng: &mut Rng, spread: f64) -> Result<Bindings> {
    let mut names: Vec<Symbol> = Vec::new();
    for &e in exprs {
        for s in session.names_used(e) {
            if !names.contains(&s) {
                names.push(s);
            }
        }
    }
    // Axis lengths: one per class of equal axes, from 1 to 8.
    let mut lengths: FxHashMap<ExprId, usize> = FxHashMap::default();
    let eqs = session.equal_lengths.clone();
    let mut length_of = |session: &mut Session, len: ExprId, rng: &mut Rng| -> usize {
        if let Some(&n) = lengths.get(&len) {
            return n;
        }
        let n = 1 + rng.below(8);
        // Every axis linked to this one gets the same length.
        let mut class = vec![len];
        let mut k = 0;
        while k < class.len() {
            for &(a, b, _) in &eqs {
                if a == class[k] && !class.contains(&b) {
                    class.push(b);
                }
                if b == class[k] && !class.contains(&a) {
                    class.push(a);
                }
            }
            k += 1;
        }
        for c in class {
            lengths.insert(c, n);
        }
        let _ = session;
        n
    };
    let mut b = Bindings::new();
    // Tensors first, so that indices know their ranges.
    for &s in &names {
        if let Some(Kind::Tensor(r)) = session.kind_of(s) {
            let mut shape = Vec::new();
            for a in 0..r {
                let len = session.pool.len_of(s, a);
                shape.push(length_of(session, len, rng));
            }
            let total: usize = shape.iter().product();
            let data = (0..total).map(|_| rng.range(-2.0, 2.0)).collect();
            b.insert(s, Value::Tensor(Rc::new(Tensor { shape, data })));
        }
    }
    for &s in &names {
        match session.kind_of(s) {
            Some(Kind::Scalar) => {
                let v = sample_scalar(session, s, rng, spread);
                b.insert(s, Value::Scalar(v));
            }
            Some(Kind::Index) => {
                // The axis the index selects in these expressions, before any range
                // recorded by another statement of the file.
                let own = exprs.iter().find_map(|&e| session.pool.axis_of(s, e));
                let n = match own.or_else(|| session.index_ranges.get(&s).copied()) {
                    Some(len) => match session.pool.node(len).clone() {
                        Node::Len(t, a) => match b.get(t) {
                            Some(Value::Tensor(tv)) => {
                                tv.shape.get(a as usize).copied().unwrap_or(1)
                            }
                            _ => length_of(session, len, rng),
                        },
                        _ => 3,
                    },
                    None => 3,
                };
                b.insert(s, Value::Scalar(rng.below(n) as f64));
            }
            _ => {}
        }
    }
    Ok(b)
}

/// A scalar drawn from its domain: bounds from `assume` facts; a positive name without
/// an upper bound log-uniformly from 0.01 to 100; otherwise uniformly from -3 to 3.
fn sample_scalar(session: &Session, s: Symbol, rng: &mut Rng, spread: f64) -> f64 {
    let mut lo = f64::NEG_INFINITY;
    let mut hi = f64::INFINITY;
    let mut avoid = Vec::new();
    for f in &session.facts {
        if !matches!(session.pool.node(f.subject), Node::Sym(x) if *x == s) {
            continue;
        }
        let Some(b) = crate::simplify::sign::constant_value(&session.pool, f.bound) else {
            continue;
        };
        match f.relation {
            Relation::Greater | Relation::GreaterEq => lo = lo.max(b),
            Relation::Less | Relation::LessEq => hi = hi.min(b),
            Relation::NotEq => avoid.push(b),
        }
    }
    for _ in 0..100 {
        let v = match (lo.is_finite(), hi.is_finite()) {
            (true, true) => {
                let m = (hi - lo) * 1e-3;
                rng.range(lo + m, hi - m)
            }
            (true, false) if lo >= 0.0 => {
                let a = lo.max(1e-2);
                (rng.range(a.ln(), (a * 1e4).ln())).exp()
            }
            (true, false) => rng.range(lo + 1e-3, lo + 6.0 * spread),
            (false, true) => rng.range(hi - 6.0 * spread, hi - 1e-3),
            (false, false) => rng.range(-3.0 * spread, 3.0 * spread),
        };
        if !avoid.iter().any(|&a| (v - a).abs() < 1e-6) {
            return v;
        }
    }
    lo.max(-3.0).min(hi) + 0.5
}

/// Draws the finite-difference error against the step for the worst component (the
/// failing one with the largest error, or else the one with the largest
/// finite-difference error) as an SVG file.
pub fn plot_worst(
    session: &mut Session,
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
