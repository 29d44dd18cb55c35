//! Claims' outcomes: a table of verdicts with the evidence for each claim that is not
//! proved, JSON with every proof's steps, or LaTeX derivations.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::lower::workspace::Workspace;
use crate::prove::{ClaimReport, Outcome, Verdict};
use crate::report::derivation::{StepJson, steps_json};
use crate::report::layout::{AlignRow, align};
use crate::report::{Format, Output, json, latex_output};
use crate::trace::{Rule, join_rules};

/// How a claim is named in reports: its name, or the line it is on.
fn label(r: &ClaimReport) -> String {
    r.claim
        .name
        .clone()
        .unwrap_or_else(|| format!("line {}", r.claim.line))
}

/// How many claims ended with this verdict.
fn count(reports: &[ClaimReport], v: Verdict) -> usize {
    reports.iter().filter(|r| r.verdict.verdict() == v).count()
}

/// The claims' outcomes, in the chosen format.
pub fn claims(ws: &Workspace, reports: &[ClaimReport], out: &Output) -> String {
    match out.format() {
        Format::Latex => latex(ws, reports, out),
        Format::Text => text(ws, reports),
        Format::Json => format!("{}\n", json::to_string(&claims_json(ws, reports))),
    }
}

/// Each claim as a derivation, with its verdict in a comment.
/// The equality facts a proof used, each as its `assume` statement.
fn facts_text(ws: &Workspace, r: &ClaimReport) -> Vec<String> {
    r.facts_used
        .iter()
        .filter_map(|&k| ws.facts.get(k))
        .map(|f| format!("assume {} = {}", ws.print(f.subject), ws.print(f.bound)))
        .collect()
}

/// The lemmas a claim's proof uses, by name, in order of first use.
fn lemmas_used(r: &ClaimReport) -> Vec<&'static str> {
    let Outcome::Proved { steps } = &r.verdict else {
        return Vec::new();
    };
    let chained = r.chain.iter().flat_map(|c| c.left.iter().chain(&c.right));
    let mut used = Vec::new();
    for st in steps.iter().chain(chained) {
        for rule in &st.rules {
            if let Rule::Lemma(n) = rule
                && !used.contains(n)
            {
                used.push(*n);
            }
        }
    }
    used
}

/// What a reader should know of the lemmas a claim cites: each one not used, and why.
fn lemma_notes(r: &ClaimReport) -> Vec<String> {
    let used = lemmas_used(r);
    r.claim
        .by
        .iter()
        .filter_map(|c| match &c.unusable {
            Some(why) => Some(format!("lemma {} was not used: {why}", c.name)),
            None if r.verdict.verdict() == Verdict::Proved && !used.contains(&c.name.as_str()) => {
                Some(format!(
                    "lemma {} was not needed: the proof does not use it",
                    c.name
                ))
            }
            None => None,
        })
        .collect()
}

/// The names of the proved claims that another claim of `reports` cites: the LaTeX
/// states them as lemmas.
fn cited_lemmas(reports: &[ClaimReport]) -> Vec<&str> {
    reports
        .iter()
        .filter(|r| r.verdict.verdict() == Verdict::Proved)
        .filter_map(|r| r.claim.name.as_deref())
        .filter(|&n| {
            reports
                .iter()
                .any(|o| o.claim.by.iter().any(|c| c.name == n))
        })
        .collect()
}

/// A step's rules as a LaTeX margin: a lemma stated in the document is cited by its
/// number, `Lemma~\ref{lem:name}`.
fn latex_rules(rules: &[Rule], stated: &[&str]) -> String {
    rules
        .iter()
        .map(|r| match r {
            Rule::Lemma(n) if stated.contains(n) => format!("Lemma~\\ref{{lem:{n}}}"),
            other => other.name().replace('_', "\\_"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A standalone document: amsthm's `proof` and a `lemma` theorem style are declared
/// when the body states a lemma.
fn document(body: &str, standalone: bool) -> String {
    let doc = latex_output(body, standalone);
    if standalone && body.contains("\\begin{lemma}") {
        doc.replacen(
            "\\begin{document}",
            "\\usepackage{amsthm}\n\\newtheorem{lemma}{Lemma}\n\\begin{document}",
            1,
        )
    } else {
        doc
    }
}

fn latex(ws: &Workspace, reports: &[ClaimReport], out: &Output) -> String {
    let mut o = String::new();
    let stated = cited_lemmas(reports);
    for r in reports {
        let verdict = r.verdict.name();
        let _ = writeln!(o, "% {} (line {}): {verdict}", label(r), r.claim.line);
        for fact in facts_text(ws, r) {
            let _ = writeln!(o, "% using {fact}");
        }
        for note in lemma_notes(r) {
            let _ = writeln!(o, "% {note}");
        }
        // A claim that another cites is stated as a lemma, with its derivation as the
        // proof.
        let lemma = r.claim.name.as_deref().filter(|n| stated.contains(n));
        if let Some(n) = lemma {
            let _ = writeln!(
                o,
                "\\begin{{lemma}}[{}]\\label{{lem:{n}}}",
                n.replace('_', "\\_")
            );
            let statement = format!(
                "{} = {}",
                crate::print::latex::to_latex(&ws.pool, r.claim.lhs),
                crate::print::latex::to_latex(&ws.pool, r.claim.rhs)
            );
            let _ = writeln!(o, "\\[\n{statement}\n\\]\n\\end{{lemma}}\n\\begin{{proof}}");
        } else if out.standalone() {
            // Claim names are identifiers, so `_` is the one character that text mode
            // needs escaped.
            let _ = writeln!(
                o,
                "\\noindent\\texttt{{{}}} (line {}): {verdict}.",
                label(r).replace('_', "\\_"),
                r.claim.line,
            );
        }
        // Each row: the relation, the expression reached, and the rules that reached it.
        let mut rows: Vec<AlignRow<'_>> = Vec::new();
        let mut first = r.claim.lhs;
        match &r.verdict {
            Outcome::Proved { .. } => {
                if let Some((start, proof)) = r.proof() {
                    first = start;
                    rows.extend(
                        proof
                            .into_iter()
                            .map(|(e, rules)| ("=", e, latex_rules(rules, &stated))),
                    );
                }
            }
            Outcome::Confirmed { evidence, .. } => rows.push((
                "\\overset{?}{=}",
                r.claim.rhs,
                format!(
                    "agrees at {} points, certified in {}-bit arithmetic; not proved",
                    evidence.points, evidence.bits
                ),
            )),
            Outcome::Refuted { point, .. } => {
                let at: Vec<String> = point.iter().map(|(n, v)| format!("{n} = {v}")).collect();
                let _ = writeln!(o, "% counterexample: {}", at.join(", "));
                rows.push(("\\neq", r.claim.rhs, "refuted at a point".into()));
            }
            Outcome::Failed(e) => {
                let _ = writeln!(o, "% error: {}", e.message.replace('\n', " "));
                continue;
            }
        }
        // At `--detail brief` or `normal`, a proof that reads forwards to the right
        // side as it stands is set as its readable derivation.
        let readable = match (&r.verdict, &r.chain) {
            (Outcome::Proved { .. }, Some(c)) => c.readable.as_ref(),
            _ => None,
        };
        match readable {
            Some((shown, readable)) => {
                let d = crate::calculus::derivation::Derivation {
                    start: r.claim.lhs,
                    steps: r.chain.as_ref().map(|c| c.left.clone()).unwrap_or_default(),
                    result: r.claim.rhs,
                    conditions: Vec::new(),
                    shown: shown.clone(),
                    readable: None,
                };
                // A right half is read backwards, from where the halves meet.
                let right = r.chain.as_ref().map_or(&[][..], |c| c.right.as_slice());
                let tail = crate::calculus::readable::backwards(&ws.pool, right, ws.detail);
                o.push_str(&crate::report::derivation::readable_latex(
                    ws,
                    &d,
                    readable,
                    &tail,
                    out.width(),
                ));
            }
            None => o.push_str(&align(&ws.pool, first, &rows, out.width())),
        }
        if lemma.is_some() {
            o.push_str("\\end{proof}\n");
        }
    }
    document(&o, out.standalone())
}

/// A table of verdicts and times, then the evidence for each claim not proved, then
/// the counts.
fn text(ws: &Workspace, reports: &[ClaimReport]) -> String {
    let mut o = String::new();
    for r in reports {
        let checked = match &r.verified {
            Some(v) => format!(
                "  verified: {} steps, {} rule instances, {} points",
                v.steps, v.rewrites, v.points
            ),
            None => String::new(),
        };
        let _ = writeln!(
            o,
            "{:<24} {:<10} {:>8.3} s{checked}",
            label(r),
            r.verdict.name(),
            r.seconds
        );
    }
    for r in reports {
        let (name, line) = (label(r), r.claim.line);
        let notes = lemma_notes(r);
        let used = lemmas_used(r);
        match &r.verdict {
            Outcome::Proved { .. } if !r.facts_used.is_empty() || !used.is_empty() => {
                let mut using = facts_text(ws, r);
                using.extend(used.iter().map(|n| format!("lemma {n}")));
                let _ = writeln!(
                    o,
                    "\n{name} (line {line}): proved, using {}",
                    using.join("; ")
                );
                // A proof by lemmas is shown, so that the reader sees where each one
                // enters.
                if let Some((first, rows)) = r.proof().filter(|_| !used.is_empty()) {
                    let _ = writeln!(o, "  {}", ws.print(first));
                    for (e, rules) in rows {
                        let _ = writeln!(o, "  = {}    [{}]", ws.print(e), join_rules(rules));
                    }
                }
            }
            Outcome::Proved { .. } if !notes.is_empty() => {
                let _ = writeln!(o, "\n{name} (line {line}): proved");
            }
            Outcome::Proved { .. } => {}
            Outcome::Confirmed { evidence, residue } => {
                let _ = writeln!(o, "\n{name} (line {line}): confirmed");
                // A residue too big to read is described, not written out: a 30-layer
                // stack's would be megabytes.
                let residue_id = residue;
                let size = crate::expr::size::tree_size(&ws.pool, *residue);
                let residue = if size <= 2_000 {
                    ws.print(*residue)
                } else {
                    format!(
                        "an expression of {} distinct subterms ({size} written out)",
                        crate::expr::size::dag_size(&ws.pool, *residue)
                    )
                };
                if ws.pool.is_int(*residue_id, 0) {
                    // The simplifier reached 0, but the step checker rejected the
                    // derivation (its note is printed to stderr), so it proves nothing.
                    let _ = writeln!(
                        o,
                        "  no proof: a derivation reached 0 but failed the step checker"
                    );
                } else {
                    let _ = writeln!(
                        o,
                        "  no proof found: lhs - rhs simplifies to {residue}, not 0"
                    );
                }
                let _ = writeln!(
                    o,
                    "  {}; this is numeric evidence, not a proof",
                    evidence.describe()
                );
            }
            Outcome::Refuted {
                point,
                lhs,
                rhs,
                certificate,
            } => {
                let _ = writeln!(o, "\n{name} (line {line}): refuted");
                let _ = writeln!(
                    o,
                    "  claim: {} = {}",
                    ws.print(r.claim.lhs),
                    ws.print(r.claim.rhs)
                );
                let at: Vec<String> = point.iter().map(|(n, v)| format!("{n} = {v}")).collect();
                let _ = writeln!(o, "  counterexample: {}", at.join(", "));
                let _ = writeln!(o, "  left side  {lhs:?}");
                match rhs {
                    Some(r) => {
                        let _ = writeln!(o, "  right side {r:?}");
                    }
                    None => {
                        let _ = writeln!(
                            o,
                            "  right side undefined there, where the left side is defined"
                        );
                    }
                }
                let bits = certificate.bits;
                let _ = match certificate.difference {
                    Some(d) => writeln!(
                        o,
                        "  certified in {bits}-bit interval arithmetic: left - right = {d:?}"
                    ),
                    None => writeln!(o, "  certified in {bits}-bit interval arithmetic"),
                };
                if let Some(exact) = &certificate.exact {
                    let _ = writeln!(
                        o,
                        "  lhs - rhs simplifies to the number {exact}, exactly (rational arithmetic): the claim is false wherever both sides are defined"
                    );
                }
            }
            Outcome::Failed(e) => {
                let _ = writeln!(o, "\n{name} (line {line}): error: {}", e.message);
                // Where in the claim, when the error points into the file.
                if let Some(l) = e.labels.first() {
                    let at = ws.sources.line_col(l.span.source, l.span.start);
                    let _ = writeln!(o, "  at line {}, column {}", at.line, at.column);
                }
                if let Some(h) = &e.hint {
                    let _ = writeln!(o, "  help: {h}");
                }
            }
        }
        for note in notes {
            let _ = writeln!(o, "  note: {note}");
        }
    }
    let _ = writeln!(
        o,
        "\n{} proved, {} confirmed, {} refuted, {} error",
        count(reports, Verdict::Proved),
        count(reports, Verdict::Confirmed),
        count(reports, Verdict::Refuted),
        count(reports, Verdict::Error)
    );
    o
}

#[derive(Serialize)]
struct CounterexampleJson<'a> {
    /// The precision of the interval arithmetic that certified the counterexample.
    certified_bits: usize,
    /// `lhs - rhs`, certified, when both sides are defined.
    #[serde(skip_serializing_if = "Option::is_none")]
    difference: Option<f64>,
    /// `lhs - rhs` exactly, when it simplified to a number (the same at every point).
    #[serde(skip_serializing_if = "Option::is_none")]
    exact_difference: Option<&'a str>,
    lhs: f64,
    point: BTreeMap<&'a str, &'a str>,
    rhs: Option<f64>,
}

#[derive(Serialize)]
struct VerifiedJson {
    points: usize,
    rewrites: usize,
    steps: usize,
}

#[derive(Serialize)]
struct ClaimJson<'a> {
    /// The claims it cites as lemmas (`by`), when it cites any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    by: Vec<&'a str>,
    checker_failure: Option<String>,
    /// Whether the checker failure is the checker's own limit, not a wrong step.
    checker_gave_up: bool,
    counterexample: Option<CounterexampleJson<'a>>,
    error: Option<&'a str>,
    /// What a `confirmed` verdict rests on: the points, their regions and axis
    /// lengths, and the precision that certified them.
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a crate::prove::Evidence>,
    /// The equality facts the proof rewrote by, each as its `assume` statement.
    facts_used: Vec<String>,
    /// The proof read forwards, `lhs = ... = rhs`, when the sides meet.
    forward: Option<Vec<StepJson<'a>>>,
    /// The lemmas the proof uses, when it uses any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    lemmas_used: Vec<&'static str>,
    lhs: String,
    line: usize,
    name: Option<&'a str>,
    /// Each cited lemma that was not used, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    rhs: String,
    seconds: f64,
    steps: Vec<StepJson<'a>>,
    verdict: Verdict,
    verified: Option<VerifiedJson>,
}

#[derive(Serialize)]
struct SummaryJson {
    confirmed: usize,
    error: usize,
    proved: usize,
    refuted: usize,
}

#[derive(Serialize)]
struct ClaimsJson<'a> {
    claims: Vec<ClaimJson<'a>>,
    summary: SummaryJson,
}

fn claims_json<'a>(ws: &Workspace, reports: &'a [ClaimReport]) -> ClaimsJson<'a> {
    let claims = reports
        .iter()
        .map(|r| ClaimJson {
            checker_failure: r.checker_failure.as_ref().map(|f| f.to_string()),
            checker_gave_up: r.checker_failure.as_ref().is_some_and(|f| f.gave_up()),
            counterexample: match &r.verdict {
                Outcome::Refuted {
                    point,
                    lhs,
                    rhs,
                    certificate,
                } => Some(CounterexampleJson {
                    certified_bits: certificate.bits,
                    difference: certificate.difference,
                    exact_difference: certificate.exact.as_deref(),
                    lhs: *lhs,
                    point: point
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.as_str()))
                        .collect(),
                    rhs: *rhs,
                }),
                _ => None,
            },
            error: match &r.verdict {
                Outcome::Failed(e) => Some(e.message.as_str()),
                _ => None,
            },
            evidence: match &r.verdict {
                Outcome::Confirmed { evidence, .. } => Some(evidence),
                _ => None,
            },
            by: r.claim.by.iter().map(|c| c.name.as_str()).collect(),
            facts_used: facts_text(ws, r),
            lemmas_used: lemmas_used(r),
            notes: lemma_notes(r),
            forward: r.forward().map(|rows| steps_json(ws, rows.into_iter())),
            lhs: ws.print(r.claim.lhs),
            line: r.claim.line,
            name: r.claim.name.as_deref(),
            rhs: ws.print(r.claim.rhs),
            seconds: r.seconds,
            steps: match &r.verdict {
                Outcome::Proved { steps } => {
                    steps_json(ws, steps.iter().map(|st| (st.after, &st.rules[..])))
                }
                _ => Vec::new(),
            },
            verdict: r.verdict.verdict(),
            verified: r.verified.as_ref().map(|v| VerifiedJson {
                points: v.points,
                rewrites: v.rewrites,
                steps: v.steps,
            }),
        })
        .collect();
    ClaimsJson {
        claims,
        summary: SummaryJson {
            confirmed: count(reports, Verdict::Confirmed),
            error: count(reports, Verdict::Error),
            proved: count(reports, Verdict::Proved),
            refuted: count(reports, Verdict::Refuted),
        },
    }
}
