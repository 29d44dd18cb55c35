//! `check`'s report: the claims, the point, a table of the variables (how many
//! components, the worst, the verdict), the largest error against each reference, notes,
//! the components that need a look, and the verdict; or every component as JSON.
//!
//! A check of a network's parameters has thousands of components and a point of
//! thousands of numbers. The text shows each point once, abbreviated, and refers to it;
//! it lists a component on its own only where it fails, sits on a kink or could not be
//! judged (or where there are only a few components in all). JSON has everything,
//! the point in full included.

use std::fmt::Write;

use serde::Serialize;

use crate::check::summary::{self, Variable};
use crate::check::{CheckReport, CheckRequest, PointCheck};
use crate::lower::workspace::Workspace;
// Named for what it is, the agreement of a claim with the references, so that the
// rename of the oracle's type in `numeric` changes this line only.
use crate::numeric::oracle::{Agreement, ComponentCheck, Reading};
use crate::numeric::value::{Bindings, Value, format_value_brief};
use crate::report::{Format, Output, json};

/// The check's report; LaTeX output is the text report, which has no formula to show.
pub fn check(ws: &Workspace, req: &CheckRequest, report: &CheckReport, out: &Output) -> String {
    match out.format() {
        Format::Text | Format::Latex => text(ws, req, report),
        Format::Json => format!("{}\n", json::to_string(&check_json(ws, req, report))),
    }
}

/// At most this many components are listed one by one; JSON has the rest.
const MAX_LISTED: usize = 10;
/// At most this many notes are shown.
const MAX_NOTES: usize = 6;
/// A check with at most this many components at one point lists every component.
const SMALL: usize = 8;
/// A point shown inline, where it is referred to, is at most this long; a longer one
/// is shown once, and referred to by number.
const INLINE_POINT: usize = 100;

/// Who made the claims: gauge, or the user.
fn claimant(report: &CheckReport) -> &'static str {
    if report.symbolic {
        "gauge's derivative"
    } else {
        "the given formula"
    }
}

/// The value and trust columns of one oracle's reading.
fn reading_cells(r: &Reading) -> (String, &'static str) {
    let v = r
        .value
        .map_or("undefined".to_string(), |v| format!("{v:?}"));
    let t = if r.trusted {
        "reference"
    } else {
        "not trusted"
    };
    (v, t)
}

fn agreement_text(a: &Agreement) -> &'static str {
    match a {
        Agreement::Agrees => "agrees",
        Agreement::Disagrees => "DISAGREES",
        Agreement::Inconclusive => "inconclusive",
        Agreement::Kink {
            subgradient: true, ..
        } => "kink, subgradient",
        Agreement::Kink { .. } => "kink",
    }
}

/// A variable's verdict in the table.
fn verdict_text(v: &Variable) -> String {
    if v.failing > 0 {
        return format!("DISAGREES at {} of {}", v.failing, v.components);
    }
    let agreeing = v.components - v.kinks - v.inconclusive;
    let mut parts = Vec::new();
    match agreeing {
        0 => {}
        n if n == v.components => parts.push("agrees".to_string()),
        n => parts.push(format!("agrees at {n}")),
    }
    if v.kinks > 0 {
        parts.push(format!("{} at kinks", v.kinks));
    }
    if v.inconclusive > 0 {
        parts.push(format!("{} inconclusive", v.inconclusive));
    }
    parts.join(", ")
}

/// The names a variable is differentiated by, as the claims read: `x`, `z[i]`.
fn variable_names(ws: &Workspace, req: &CheckRequest, report: &CheckReport) -> Vec<String> {
    report
        .variables
        .iter()
        .zip(&req.indices)
        .map(|(name, idx)| {
            if idx.is_empty() {
                name.clone()
            } else {
                let idx: Vec<&str> = idx.iter().map(|&s| ws.pool.name(s)).collect();
                format!("{name}[{}]", idx.join(", "))
            }
        })
        .collect()
}

/// The point a check ran at, abbreviated: the names the function uses, each tensor
/// as its first values and its shape.
fn brief_point(ws: &Workspace, report: &CheckReport, at: &Bindings) -> String {
    at.names()
        .filter(|s| report.names.contains(s))
        .filter_map(|s| {
            at.get(s)
                .map(|v| format!("{} = {}", ws.pool.name(s), format_value_brief(v)))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// How the text refers to the points: with one point, it is shown once at the top and
/// not repeated; with several, a short point is shown where it is referred to, and a
/// long one by its number, listed once at the end.
struct Points {
    brief: Vec<String>,
    /// The long points referred to, in order, to list at the end.
    referred: Vec<usize>,
}

impl Points {
    /// How the point of `p` is referred to: ` at x = 1` or ` at point 3`, or nothing
    /// when there is one point.
    fn at(&mut self, report: &CheckReport, p: &PointCheck) -> String {
        if report.points.len() == 1 {
            return String::new();
        }
        let k = report
            .points
            .iter()
            .position(|q| std::ptr::eq(q, p))
            .unwrap_or(0);
        if self.brief[k].chars().count() <= INLINE_POINT {
            return format!(" at {}", self.brief[k]);
        }
        if !self.referred.contains(&k) {
            self.referred.push(k);
        }
        format!(" at point {}", k + 1)
    }

    /// The number of point `k`, as ` (point 3)`, to be listed at the end; nothing when
    /// there is one point.
    fn numbered(&mut self, report: &CheckReport, k: usize) -> String {
        if report.points.len() == 1 {
            return String::new();
        }
        if !self.referred.contains(&k) {
            self.referred.push(k);
        }
        format!(" (point {})", k + 1)
    }
}

/// One component's lines: the claim and its verdict, then each reference.
fn component_lines(o: &mut String, c: &ComponentCheck, at: &str) {
    let claim = c
        .claim
        .map_or("undefined".to_string(), |v| format!("{v:?}"));
    let verdict = agreement_text(&c.verdict);
    let _ = writeln!(o, "  {:<12} claim {claim:>24}   {verdict}{at}", c.component);
    for r in &c.readings {
        let (v, t) = reading_cells(r);
        let _ = writeln!(
            o,
            "  {:<12} {:<19} {v:>24}   abs error {}   rel error {}   ({t})",
            "",
            r.oracle.name(),
            error_cell(r.abs_error),
            error_cell(r.rel_error)
        );
    }
}

fn text(ws: &Workspace, req: &CheckRequest, report: &CheckReport) -> String {
    let mut o = String::new();
    let who = claimant(report);
    let components: usize = report.points.iter().map(|p| p.components.len()).sum();
    let _ = writeln!(o, "checking the derivatives of {}", ws.print(req.expr));
    for (name, c) in variable_names(ws, req, report).iter().zip(&report.claims) {
        let _ = writeln!(o, "  claim ({who}) by {name}: {c}");
    }
    let _ = writeln!(
        o,
        "  references: complex step, dual numbers, finite differences; {} point(s), {components} component(s)",
        report.points.len()
    );
    let mut points = Points {
        brief: report
            .points
            .iter()
            .map(|p| brief_point(ws, report, &p.bindings))
            .collect(),
        referred: Vec::new(),
    };
    if let [_] = report.points.as_slice() {
        let _ = writeln!(o, "  at {}", points.brief[0]);
    }
    // The sections after the table refer to points; those referred to by number are
    // listed once, right after the table.
    let table = variables_table(report, &mut points);
    let mut rest = String::new();
    let _ = writeln!(
        rest,
        "  {:<20} {:>14} {:>14}",
        "reference", "max abs error", "max rel error"
    );
    for (oracle, a, r) in report.max_errors() {
        let _ = writeln!(rest, "  {:<20} {:>14.3e} {:>14.3e}", oracle.name(), a, r);
    }
    notes(&mut rest, report, &mut points);
    listing(&mut rest, report, components, &mut points);
    verdict_lines(&mut rest, report, &mut points);
    o.push_str(&table);
    points.referred.sort_unstable();
    for &k in &points.referred {
        let _ = writeln!(o, "  point {}: {}", k + 1, points.brief[k]);
    }
    o.push_str(&rest);
    o
}

/// The notes of the components, each once in a row, up to [`MAX_NOTES`].
fn notes(o: &mut String, report: &CheckReport, points: &mut Points) {
    let mut notes: Vec<String> = Vec::new();
    for p in &report.points {
        for c in &p.components {
            for n in &c.notes {
                let note = format!("{}{}: {n}", c.component, points.at(report, p));
                if notes.last() != Some(&note) {
                    notes.push(note);
                }
            }
        }
    }
    for n in notes.iter().take(MAX_NOTES) {
        let _ = writeln!(o, "  note: {n}");
    }
    if notes.len() > MAX_NOTES {
        let _ = writeln!(
            o,
            "  and {} more notes (every component's are in --format json)",
            notes.len() - MAX_NOTES
        );
    }
}

/// The components listed one by one: every one of a small check, else those that
/// need a look, up to [`MAX_LISTED`].
fn listing(o: &mut String, report: &CheckReport, components: usize, points: &mut Points) {
    let listed: Vec<(&PointCheck, &ComponentCheck)> = match report.points.as_slice() {
        [p] if p.components.len() <= SMALL => p.components.iter().map(|c| (p, c)).collect(),
        _ => summary::notable(report),
    };
    if !listed.is_empty() && listed.len() < components {
        let _ = writeln!(
            o,
            "  components that fail, sit on a kink or could not be judged ({}):",
            listed.len()
        );
    }
    for &(p, c) in listed.iter().take(MAX_LISTED) {
        let at = points.at(report, p);
        component_lines(o, c, &at);
    }
    if listed.len() > MAX_LISTED {
        let _ = writeln!(
            o,
            "  and {} more (every component is in --format json)",
            listed.len() - MAX_LISTED
        );
    }
}

/// The table of variables: components, the worst one and its error, the verdict.
fn variables_table(report: &CheckReport, points: &mut Points) -> String {
    let mut o = String::new();
    let vars = summary::variables(report);
    let rows: Vec<[String; 5]> = vars
        .iter()
        .map(|v| {
            let (worst, error, against) = match v.worst {
                Some((at, e)) => {
                    let p = &report.points[at.point];
                    let name = format!(
                        "{}{}",
                        p.components[at.component].component,
                        points.numbered(report, at.point)
                    );
                    let (error, against) = match e {
                        Some(e) if e.rel_error.is_finite() => (
                            format!("{:.3e}", e.rel_error),
                            e.oracle.map_or("", |o| o.name()).to_string(),
                        ),
                        Some(_) => ("undefined".to_string(), "claim undefined".to_string()),
                        None => ("-".to_string(), "-".to_string()),
                    };
                    (name, error, against)
                }
                None => ("-".to_string(), "-".to_string(), String::new()),
            };
            [
                v.name.clone(),
                v.components.to_string(),
                worst,
                error,
                against,
            ]
        })
        .collect();
    let header = ["variable", "components", "worst", "rel error", "against"];
    let mut width = header.map(|h| h.chars().count());
    for r in &rows {
        for (w, cell) in width.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5], verdict: &str| {
        format!(
            "  {:<w0$}  {:>w1$}  {:<w2$}  {:>w3$}  {:<w4$}  {verdict}\n",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2],
            w3 = width[3],
            w4 = width[4],
        )
    };
    o.push_str(&line(header, "verdict"));
    for (r, v) in rows.iter().zip(&vars) {
        let cells = [
            r[0].as_str(),
            r[1].as_str(),
            r[2].as_str(),
            r[3].as_str(),
            r[4].as_str(),
        ];
        o.push_str(&line(cells, &verdict_text(v)));
    }
    o
}

/// The verdict, and for a failed check its worst component with each reference.
fn verdict_lines(o: &mut String, report: &CheckReport, points: &mut Points) {
    let inconclusive: usize = summary::variables(report)
        .iter()
        .map(|v| v.inconclusive)
        .sum();
    if report.passed {
        let _ = writeln!(o, "passed: the claim agrees with every trusted reference");
        if inconclusive > 0 {
            let _ = writeln!(
                o,
                "  but {inconclusive} component(s) could not be judged: no reference could be trusted there"
            );
        }
        return;
    }
    let failing = report
        .points
        .iter()
        .filter(|p| p.components.iter().any(|c| !c.passes()))
        .count();
    let _ = writeln!(o, "FAILED at {failing} of {} point(s)", report.points.len());
    if let Some((p, c)) = report.worst() {
        let at = points.at(report, p);
        let _ = writeln!(o, "  worst: component {}{at}", c.component);
        let claim = c
            .claim
            .map_or("undefined".to_string(), |v| format!("{v:?}"));
        let _ = writeln!(o, "    {:<20} {:>24}", "claim", claim);
        for r in &c.readings {
            let (v, t) = reading_cells(r);
            let _ = writeln!(
                o,
                "    {:<20} {v:>24}   abs error {}   rel error {}   ({t})",
                r.oracle.name(),
                error_cell(r.abs_error),
                error_cell(r.rel_error)
            );
        }
    }
}

#[derive(Serialize)]
struct ReadingJson<'a> {
    abs_error: Option<f64>,
    agrees: bool,
    note: &'a Option<String>,
    oracle: &'static str,
    rel_error: Option<f64>,
    trusted: bool,
    value: Option<f64>,
}

#[derive(Serialize)]
struct KinkJson {
    left: f64,
    right: f64,
    subgradient: bool,
}

/// An agreement as JSON: its name, or for a kink the one-sided derivatives.
#[derive(Serialize)]
#[serde(untagged)]
enum AgreementJson {
    Named(&'static str),
    Kink { kink: KinkJson },
}

#[derive(Serialize)]
struct ComponentJson<'a> {
    claim: Option<f64>,
    component: &'a str,
    notes: &'a [String],
    passes: bool,
    readings: Vec<ReadingJson<'a>>,
    variable: &'a str,
    verdict: AgreementJson,
}

#[derive(Serialize)]
struct PointJson<'a> {
    components: Vec<ComponentJson<'a>>,
    point: &'a str,
    values: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct MaxErrorJson {
    max_abs_error: f64,
    max_rel_error: f64,
    oracle: &'static str,
}

#[derive(Serialize)]
struct WorstJson<'a> {
    component: &'a str,
    oracle: Option<&'static str>,
    /// The point, counted from 0 in `points`.
    point: usize,
    rel_error: Option<f64>,
}

#[derive(Serialize)]
struct VariableJson<'a> {
    claim: &'a str,
    components: usize,
    failing: usize,
    inconclusive: usize,
    kinks: usize,
    name: String,
    passed: bool,
    worst: Option<WorstJson<'a>>,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    claim_is: &'static str,
    claims: &'a [String],
    function: String,
    max_errors: Vec<MaxErrorJson>,
    passed: bool,
    points: Vec<PointJson<'a>>,
    variables: Vec<VariableJson<'a>>,
}

/// An error in the table: `undefined` where the claim or the reference has no value
/// (an error between an undefined value and a number is no number, and printing `NaN`
/// would read as a computation gone wrong).
fn error_cell(x: f64) -> String {
    if x.is_nan() {
        "undefined".to_string()
    } else {
        format!("{x:.3e}")
    }
}

/// A number, or null where it is not finite.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// A value in full, as JSON: a number, or nested arrays by the tensor's shape.
fn value_json(v: &Value) -> serde_json::Value {
    fn nested(data: &[f64], shape: &[usize]) -> serde_json::Value {
        match shape {
            [] | [_] => data.iter().copied().map(serde_json::Value::from).collect(),
            [n, rest @ ..] => {
                let stride = data.len() / (*n).max(1);
                data.chunks(stride.max(1))
                    .map(|c| nested(c, rest))
                    .collect()
            }
        }
    }
    match v {
        Value::Scalar(x) => serde_json::Value::from(*x),
        Value::Tensor(t) => nested(&t.data, &t.shape),
    }
}

fn agreement_json(a: &Agreement) -> AgreementJson {
    match a {
        Agreement::Agrees => AgreementJson::Named("agrees"),
        Agreement::Disagrees => AgreementJson::Named("disagrees"),
        Agreement::Inconclusive => AgreementJson::Named("inconclusive"),
        Agreement::Kink {
            left,
            right,
            subgradient,
        } => AgreementJson::Kink {
            kink: KinkJson {
                left: *left,
                right: *right,
                subgradient: *subgradient,
            },
        },
    }
}

fn component_json<'a>(c: &'a ComponentCheck, variable: &'a str) -> ComponentJson<'a> {
    ComponentJson {
        claim: c.claim,
        component: &c.component,
        notes: &c.notes,
        passes: c.passes(),
        readings: c
            .readings
            .iter()
            .map(|r| ReadingJson {
                abs_error: finite(r.abs_error),
                agrees: r.agrees,
                note: &r.note,
                oracle: r.oracle.name(),
                rel_error: finite(r.rel_error),
                trusted: r.trusted,
                value: r.value,
            })
            .collect(),
        variable,
        verdict: agreement_json(&c.verdict),
    }
}

fn check_json<'a>(ws: &Workspace, req: &CheckRequest, report: &'a CheckReport) -> CheckJson<'a> {
    let points = report
        .points
        .iter()
        .map(|p| {
            let mut components = Vec::with_capacity(p.components.len());
            for (name, span) in report.variables.iter().zip(&p.spans) {
                for c in &p.components[span.clone()] {
                    components.push(component_json(c, name));
                }
            }
            let values = p
                .bindings
                .names()
                .filter(|s| report.names.contains(s))
                .filter_map(|s| {
                    let v = p.bindings.get(s)?;
                    Some((ws.pool.name(s).to_string(), value_json(v)))
                })
                .collect();
            PointJson {
                components,
                point: &p.point,
                values,
            }
        })
        .collect();
    let variables = summary::variables(report)
        .into_iter()
        .zip(&report.claims)
        .map(|(v, claim)| VariableJson {
            claim,
            components: v.components,
            failing: v.failing,
            inconclusive: v.inconclusive,
            kinks: v.kinks,
            passed: v.passed(),
            worst: v.worst.map(|(at, e)| WorstJson {
                component: &report.points[at.point].components[at.component].component,
                oracle: e.and_then(|e| e.oracle).map(|o| o.name()),
                point: at.point,
                rel_error: e.and_then(|e| finite(e.rel_error)),
            }),
            name: v.name,
        })
        .collect();
    CheckJson {
        claim_is: claimant(report),
        claims: &report.claims,
        function: ws.print(req.expr),
        max_errors: report
            .max_errors()
            .into_iter()
            .map(|(o, a, r)| MaxErrorJson {
                max_abs_error: a,
                max_rel_error: r,
                oracle: o.name(),
            })
            .collect(),
        passed: report.passed,
        points,
        variables,
    }
}
