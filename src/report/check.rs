//! `check`'s report: the claim, the largest error against each reference, notes, every
//! component at a single point, and the worst failure; or all of it as JSON.

use std::fmt::Write;

use serde::Serialize;

use crate::check::{CheckReport, CheckRequest};
use crate::lower::workspace::Workspace;
// Named for what it is, the agreement of a claim with the references, so that the
// rename of the oracle's type in `numeric` changes this line only.
use crate::numeric::oracle::{Agreement, Reading};
use crate::report::{Format, Output, json};

/// The check's report; LaTeX output is the text report, which has no formula to show.
pub fn check(ws: &Workspace, req: &CheckRequest, report: &CheckReport, out: &Output) -> String {
    match out.format() {
        Format::Text | Format::Latex => text(ws, req, report),
        Format::Json => format!("{}\n", json::to_string(&check_json(ws, req, report))),
    }
}

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

fn text(ws: &Workspace, req: &CheckRequest, report: &CheckReport) -> String {
    let mut o = String::new();
    let who = claimant(report);
    let components: usize = report.points.iter().map(|p| p.components.len()).sum();
    let _ = writeln!(o, "checking the derivatives of {}", ws.print(req.expr));
    for c in &report.claims {
        let _ = writeln!(o, "  claim ({who}): {c}");
    }
    let _ = writeln!(
        o,
        "  references: complex step, dual numbers, finite differences; {} point(s), {components} component(s)",
        report.points.len()
    );
    let _ = writeln!(
        o,
        "  {:<20} {:>14} {:>14}",
        "reference", "max abs error", "max rel error"
    );
    for (oracle, a, r) in report.max_errors() {
        let _ = writeln!(o, "  {:<20} {:>14.3e} {:>14.3e}", oracle.name(), a, r);
    }
    let mut notes: Vec<String> = Vec::new();
    for p in &report.points {
        for c in &p.components {
            for n in &c.notes {
                notes.push(format!("{} at {}: {n}", c.component, p.point));
            }
        }
    }
    notes.dedup();
    for n in notes.iter().take(6) {
        let _ = writeln!(o, "  note: {n}");
    }
    // At a single point, every component is listed: the claim, each reference, and
    // the errors.
    if let [p] = report.points.as_slice() {
        let _ = writeln!(o, "  at {}", p.point);
        for c in &p.components {
            let claim = c
                .claim
                .map_or("undefined".to_string(), |v| format!("{v:?}"));
            let verdict = agreement_text(&c.verdict);
            let _ = writeln!(o, "  {:<12} claim {claim:>24}   {verdict}", c.component);
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
    }
    if report.passed {
        let _ = writeln!(o, "passed: the claim agrees with every trusted reference");
    } else {
        let failing = report
            .points
            .iter()
            .filter(|p| p.components.iter().any(|c| !c.passes()))
            .count();
        let _ = writeln!(o, "FAILED at {failing} of {} point(s)", report.points.len());
        if let Some((p, c)) = report.worst() {
            let _ = writeln!(o, "  worst: component {} at {}", c.component, p.point);
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
    o
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
    verdict: AgreementJson,
}

#[derive(Serialize)]
struct PointJson<'a> {
    components: Vec<ComponentJson<'a>>,
    point: &'a str,
}

#[derive(Serialize)]
struct MaxErrorJson {
    max_abs_error: f64,
    max_rel_error: f64,
    oracle: &'static str,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    claim_is: &'static str,
    claims: &'a [String],
    function: String,
    max_errors: Vec<MaxErrorJson>,
    passed: bool,
    points: Vec<PointJson<'a>>,
}

/// A number, or null where it is not finite.
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

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn check_json<'a>(ws: &Workspace, req: &CheckRequest, report: &'a CheckReport) -> CheckJson<'a> {
    let points = report
        .points
        .iter()
        .map(|p| PointJson {
            components: p
                .components
                .iter()
                .map(|c| ComponentJson {
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
                    verdict: match &c.verdict {
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
                    },
                })
                .collect(),
            point: &p.point,
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
    }
}
