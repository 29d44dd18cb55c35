//! The report of `gauge check SPEC --values FILE`: per dump, the loss value's check and
//! one row per parameter (its shape, the worst component and its relative error, that
//! error in units of the dtype's rounding, the verdict), each failing gradient's
//! explanation, and a one-line summary; or every component as JSON.

use std::fmt::Write;

use serde::Serialize;

use crate::check::explain::Explanation;
use crate::check::values::{
    Component, DumpReport, LossCheck, ParamCheck, ParamVerdict, ValuesReport,
};
use crate::numeric::files::position;
use crate::numeric::value::format_short;
use crate::report::{Format, Output, json};

/// The report, as text or JSON (LaTeX output is the text: there is no formula to show).
pub fn values(report: &ValuesReport, out: &Output) -> String {
    match out.format() {
        Format::Text | Format::Latex => text(report),
        Format::Json => format!("{}\n", json::to_string(&report_json(report))),
    }
}

fn shape_text(shape: &[usize]) -> String {
    if shape.is_empty() {
        "scalar".into()
    } else {
        shape
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("×")
    }
}

fn component_name(p: &ParamCheck, k: usize) -> String {
    if p.shape.is_empty() {
        return p.name.clone();
    }
    let at: Vec<String> = position(&p.shape, k)
        .iter()
        .map(|i| i.to_string())
        .collect();
    format!("{}[{}]", p.name, at.join(", "))
}

fn verdict_text(v: ParamVerdict) -> &'static str {
    match v {
        ParamVerdict::Passed => "ok",
        ParamVerdict::Failed => "WRONG",
        ParamVerdict::Vacuous => "vacuous",
    }
}

/// The error of a component in units of the dtype's rounding (its unit roundoff).
fn rounding_units(c: &Component, p: &ParamCheck) -> f64 {
    let u = p.dtype.unit_roundoff().unwrap_or(f64::EPSILON / 2.0);
    c.rel_error() / u
}

fn number(x: f64) -> String {
    if x.is_nan() {
        "undefined".into()
    } else {
        format_short(x)
    }
}

fn loss_line(o: &mut String, l: &LossCheck) {
    let rel = if l.want == 0.0 {
        (l.got - l.want).abs()
    } else {
        ((l.got - l.want) / l.want).abs()
    };
    let _ = writeln!(
        o,
        "  loss   {}   got {}   want {}   rel error {}   {}",
        l.dtype.name(),
        format_short(l.got),
        format_short(l.want),
        format_short(rel),
        if l.passed { "ok" } else { "WRONG" }
    );
    if let Some(e) = &l.explanation {
        let _ = writeln!(o, "    the loss value: {}", loss_meaning(e));
    }
}

/// A loss value's explanation: a ratio of a length reads as a sum against a mean.
fn loss_meaning(e: &Explanation) -> String {
    match e {
        Explanation::Ratio { ratio, matches } if matches.len() == 1 && matches[0].length => {
            let m = &matches[0];
            let how = match (m.inverse, m.negative) {
                (false, false) => format!(
                    "the program's loss is {} times the spec's: a sum where the spec has a mean?",
                    m.text
                ),
                (true, false) => format!(
                    "the program's loss is the spec's divided by {}: a mean where the spec has a sum?",
                    m.text
                ),
                _ => m.meaning(),
            };
            format!(
                "got/want = {} = {}: {how}",
                format_short(*ratio),
                m.formula()
            )
        }
        other => other.describe(),
    }
}

fn text(report: &ValuesReport) -> String {
    let mut o = String::new();
    let mut wrong = Vec::new();
    let mut vacuous = Vec::new();
    let mut checked = 0;
    let mut loss_wrong = false;
    for d in &report.dumps {
        dump_text(&mut o, d);
        for p in &d.params {
            checked += 1;
            match p.verdict {
                ParamVerdict::Failed if report.dumps.len() > 1 => {
                    wrong.push(format!("{} in {}", p.name, d.source))
                }
                ParamVerdict::Failed => wrong.push(p.name.clone()),
                ParamVerdict::Vacuous => vacuous.push(p.name.clone()),
                ParamVerdict::Passed => {}
            }
        }
        loss_wrong |= d.loss.as_ref().is_some_and(|l| !l.passed);
    }
    if report.dumps.len() > 1 {
        for (name, e) in &report.explanations {
            let _ = writeln!(o, "over every dump, {name}: {}", e.describe());
        }
    }
    let loss_part = if loss_wrong {
        "the loss value is WRONG: the forward computes another function; "
    } else {
        ""
    };
    if report.passed {
        let _ = writeln!(
            o,
            "passed: {checked} gradient{} with the spec{}",
            if checked == 1 { " agrees" } else { "s agree" },
            if report.dumps.iter().any(|d| d.loss.is_some()) {
                ", and so does the loss"
            } else {
                ""
            }
        );
    } else {
        let mut parts = Vec::new();
        if !wrong.is_empty() {
            parts.push(format!(
                "{} of {checked} gradients wrong ({})",
                wrong.len(),
                wrong.join(", ")
            ));
        }
        if !vacuous.is_empty() {
            parts.push(format!(
                "{} vacuous, compared nothing ({})",
                vacuous.len(),
                vacuous.join(", ")
            ));
        }
        let _ = writeln!(o, "FAILED: {loss_part}{}", parts.join("; "));
    }
    o
}

fn dump_text(o: &mut String, d: &DumpReport) {
    let lengths: Vec<String> = d
        .lengths
        .iter()
        .map(|(n, v)| format!("{n} = {v}"))
        .collect();
    if lengths.is_empty() {
        let _ = writeln!(o, "{}", d.source);
    } else {
        let _ = writeln!(o, "{} ({})", d.source, lengths.join(", "));
    }
    if let Some(l) = &d.loss {
        loss_line(o, l);
    }
    let mut rows = vec![[
        "param".to_string(),
        "shape".into(),
        "dtype".into(),
        "worst".into(),
        "got".into(),
        "want".into(),
        "rel error".into(),
        "err/u".into(),
        "verdict".into(),
    ]];
    for p in &d.params {
        let (worst, got, want, rel, units) = match p.worst {
            Some(k) => {
                let c = p.components.get(k);
                let want = match c.kink {
                    Some((lo, hi)) => format!("{}..{}", number(lo.min(hi)), number(lo.max(hi))),
                    None => number(c.want),
                };
                (
                    component_name(p, k),
                    number(c.got),
                    want,
                    format_short(c.rel_error()),
                    format_short(rounding_units(&c, p)),
                )
            }
            None => Default::default(),
        };
        rows.push([
            p.name.clone(),
            shape_text(&p.shape),
            p.dtype.name().to_string(),
            worst,
            got,
            want,
            rel,
            units,
            verdict_text(p.verdict).to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..9)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(o, "  {}", line.join("  ").trim_end());
    }
    for p in &d.params {
        notes(o, p);
    }
    if !d.unused.is_empty() {
        let _ = writeln!(o, "  not used by the spec: {}", d.unused.join(", "));
    }
}

fn notes(o: &mut String, p: &ParamCheck) {
    if p.kinks > 0 {
        let _ = writeln!(
            o,
            "  {}: {} component{} at a kink (relu at 0, a tie of max): any subgradient between the one-sided derivatives is accepted",
            p.name,
            p.kinks,
            if p.kinks == 1 { "" } else { "s" }
        );
    }
    match p.verdict {
        ParamVerdict::Vacuous => {
            let largest = p
                .components
                .iter()
                .map(|c| c.want.abs())
                .fold(0.0, f64::max);
            let _ = writeln!(
                o,
                "  {}: vacuous: every component of the correct gradient is within rounding of 0 (the largest is {}), so a gradient of zeros would pass too; nothing was compared",
                p.name,
                format_short(largest)
            );
        }
        ParamVerdict::Failed => {
            let bad = p.components.iter().filter(|c| !c.passed).count();
            if let Some(s) = p.scale
                && bad == 0
            {
                let _ = writeln!(
                    o,
                    "  {}: every component is within its bound, but together they lean: got ≈ {} × want over all {} components, beyond what rounding explains",
                    p.name,
                    format_short(s),
                    p.components.len()
                );
            } else {
                let _ = writeln!(
                    o,
                    "  {}: {bad} of {} components beyond their bounds",
                    p.name,
                    p.components.len()
                );
            }
            if let Some(e) = &p.explanation {
                let _ = writeln!(o, "  {}: {}", p.name, e.describe());
            }
        }
        ParamVerdict::Passed => {}
    }
}

#[derive(Serialize)]
struct ReportJson<'a> {
    spec: &'a str,
    passed: bool,
    dumps: Vec<DumpJson<'a>>,
    explanations: Vec<ExplanationJson>,
}

#[derive(Serialize)]
struct DumpJson<'a> {
    source: &'a str,
    lengths: serde_json::Map<String, serde_json::Value>,
    loss: Option<LossJson>,
    params: Vec<ParamJson<'a>>,
    unused: &'a [String],
}

#[derive(Serialize)]
struct LossJson {
    got: f64,
    want: f64,
    bound: f64,
    dtype: &'static str,
    passed: bool,
    explanation: Option<ExplanationJson>,
}

#[derive(Serialize)]
struct ParamJson<'a> {
    name: &'a str,
    shape: &'a [usize],
    dtype: &'static str,
    compute_roundoff: f64,
    verdict: &'static str,
    worst: Option<ComponentJson>,
    scale: Option<f64>,
    kinks: usize,
    explanation: Option<ExplanationJson>,
    components: Vec<ComponentJson>,
}

#[derive(Serialize)]
struct ComponentJson {
    index: Vec<usize>,
    got: f64,
    want: Option<f64>,
    bound: f64,
    kink: Option<[f64; 2]>,
    rel_error: f64,
    rounding_units: f64,
    passed: bool,
}

#[derive(Serialize)]
struct ExplanationJson {
    param: Option<String>,
    kind: &'static str,
    text: String,
    ratio: Option<f64>,
    matches: Vec<String>,
    terms: Vec<(String, f64)>,
    residual: Option<String>,
}

fn explanation_json(param: Option<&str>, e: &Explanation) -> ExplanationJson {
    let mut j = ExplanationJson {
        param: param.map(str::to_string),
        kind: "unexplained",
        text: e.describe(),
        ratio: None,
        matches: Vec::new(),
        terms: Vec::new(),
        residual: None,
    };
    match e {
        Explanation::Ratio { ratio, matches } => {
            j.kind = "ratio";
            j.ratio = Some(*ratio);
            j.matches = matches.iter().map(|m| m.formula()).collect();
        }
        Explanation::Terms {
            changes, residual, ..
        } => {
            j.kind = "terms";
            j.terms = changes
                .iter()
                .map(|c| (c.term.clone(), c.coefficient))
                .collect();
            j.residual = Some(residual.clone());
        }
        Explanation::Unexplained { .. } => {}
    }
    j
}

fn component_json(p: &ParamCheck, k: usize) -> ComponentJson {
    let c = p.components.get(k);
    ComponentJson {
        index: position(&p.shape, k),
        got: c.got,
        want: c.want.is_finite().then_some(c.want),
        bound: c.bound,
        kink: c.kink.map(|(a, b)| [a.min(b), a.max(b)]),
        rel_error: c.rel_error(),
        rounding_units: rounding_units(&c, p),
        passed: c.passed,
    }
}

fn report_json(r: &ValuesReport) -> ReportJson<'_> {
    ReportJson {
        spec: &r.spec,
        passed: r.passed,
        dumps: r
            .dumps
            .iter()
            .map(|d| DumpJson {
                source: &d.source,
                lengths: d
                    .lengths
                    .iter()
                    .map(|(n, v)| (n.clone(), serde_json::Value::from(*v)))
                    .collect(),
                loss: d.loss.as_ref().map(|l| LossJson {
                    got: l.got,
                    want: l.want,
                    bound: l.bound,
                    dtype: l.dtype.name(),
                    passed: l.passed,
                    explanation: l.explanation.as_ref().map(|e| {
                        let mut j = explanation_json(None, e);
                        j.text = loss_meaning(e);
                        j
                    }),
                }),
                params: d
                    .params
                    .iter()
                    .map(|p| ParamJson {
                        name: &p.name,
                        shape: &p.shape,
                        dtype: p.dtype.name(),
                        compute_roundoff: p.compute_roundoff,
                        verdict: match p.verdict {
                            ParamVerdict::Passed => "passed",
                            ParamVerdict::Failed => "failed",
                            ParamVerdict::Vacuous => "vacuous",
                        },
                        worst: p.worst.map(|k| component_json(p, k)),
                        scale: p.scale,
                        kinks: p.kinks,
                        explanation: p
                            .explanation
                            .as_ref()
                            .map(|e| explanation_json(Some(&p.name), e)),
                        components: (0..p.components.len())
                            .map(|k| component_json(p, k))
                            .collect(),
                    })
                    .collect(),
                unused: &d.unused,
            })
            .collect(),
        explanations: r
            .explanations
            .iter()
            .map(|(n, e)| explanation_json(Some(n), e))
            .collect(),
    }
}
