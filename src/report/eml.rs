//! `gauge eml`: a formula's EML form, its sizes, its domain and its audit, as text,
//! JSON or LaTeX; and `gauge eml-table`, the table of forms against the paper.

use serde::Serialize;

use crate::eml::audit::{Audit, Finding, show};
use crate::eml::run::{Candidate, Origin, Outcome};
use crate::report::{Format, Output, display, json, latex_output};

/// Trees longer than this are printed with `let` bindings only: their nested text
/// would be the tree written out in full.
pub const NESTED_LIMIT: u64 = 100_000;

/// What the report says, computed once for every format.
pub struct Shown {
    /// The formula, or its derivative, as the source.
    pub source: String,
    /// For `--diff`, the variable.
    pub diff: Option<String>,
    /// The formula as read, canonical.
    pub of: String,
    /// The conditions, in words.
    pub domain: Vec<String>,
    /// The compiled outcome.
    pub outcome: Outcome,
}

fn origin(o: Origin) -> &'static str {
    match o {
        Origin::Written => "as written",
        Origin::Alternative => "simplified",
        Origin::Native => "EML-native derivative",
    }
}

fn audit_line(a: &Audit) -> String {
    let mut s = format!(
        "{} points in f64 and {}-bit certified arithmetic: {} wrong in f64, {} certified wrong, {} unsure",
        a.checked,
        crate::eml::audit::BITS,
        a.wrong_f64.len(),
        a.wrong_certified.len(),
        a.unsure.len()
    );
    if !a.singular.is_empty() {
        s.push_str(&format!(
            ", {} singular (the form needs ln 0 there)",
            a.singular.len()
        ));
    }
    if a.outside > 0 {
        s.push_str(&format!(", {} outside the domain", a.outside));
    }
    s
}

fn finding(f: &Finding) -> String {
    let at: Vec<String> = f
        .point
        .iter()
        .map(|(n, z)| format!("{n} = {}", show(z.re, z.im)))
        .collect();
    format!("at {}: {}", at.join(", "), f.what)
}

#[derive(Serialize)]
struct Json<'a> {
    source: &'a str,
    diff: Option<&'a str>,
    compiled_from: &'static str,
    k: String,
    depth: u32,
    nodes: usize,
    domain: &'a [String],
    verified: bool,
    audit: AuditJson,
    bindings: Vec<Binding>,
    result: String,
    nested: Option<String>,
    candidates: Vec<CandidateJson>,
}

#[derive(Serialize)]
struct Binding {
    name: String,
    eml: String,
}

#[derive(Serialize)]
struct AuditJson {
    checked: usize,
    outside: usize,
    wrong_f64: usize,
    wrong_certified: usize,
    unsure: usize,
    singular: usize,
    worst_f64_error: f64,
    bits: usize,
    findings: Vec<String>,
}

#[derive(Serialize)]
struct CandidateJson {
    from: &'static str,
    k: String,
    nodes: usize,
    verified: bool,
}

fn audit_json(a: &Audit) -> AuditJson {
    AuditJson {
        checked: a.checked,
        outside: a.outside,
        wrong_f64: a.wrong_f64.len(),
        wrong_certified: a.wrong_certified.len(),
        unsure: a.unsure.len(),
        singular: a.singular.len(),
        worst_f64_error: a.worst_f64,
        bits: crate::eml::audit::BITS,
        findings: a
            .wrong_f64
            .iter()
            .chain(&a.wrong_certified)
            .chain(&a.unsure)
            .take(20)
            .map(finding)
            .collect(),
    }
}

fn nested(c: &Candidate) -> Option<String> {
    let k = u64::try_from(c.measure.k.clone()).ok()?;
    (k <= NESTED_LIMIT).then(|| c.compiled.dag.text(c.compiled.root))
}

/// The report.
pub fn eml(s: &Shown, out: &Output) -> String {
    let c = &s.outcome.chosen;
    let (dag, root) = (&c.compiled.dag, c.compiled.root);
    match out.format() {
        Format::Text => {
            let mut t = String::new();
            let what = match &s.diff {
                Some(v) => format!("d/d{v} {} = {}", s.of, s.source),
                None => s.source.clone(),
            };
            t.push_str(&format!("formula  {what}\n"));
            t.push_str(&format!(
                "size     K {} · depth {} · {} distinct nodes (compiled {})\n",
                c.measure.k,
                c.measure.depth,
                c.measure.distinct,
                origin(c.origin)
            ));
            if s.domain.is_empty() {
                t.push_str(
                    "domain   wherever the formula is defined, on the whole complex plane\n",
                );
            } else {
                t.push_str(&format!("domain   {}\n", s.domain.join("; ")));
            }
            if !c.compiled.fallbacks.is_empty() {
                t.push_str(&format!(
                    "note     the table has no form of {} on the region asked for: the domain above says where the one used is right\n",
                    c.compiled.fallbacks.join(", ")
                ));
            }
            let verdict = if c.audit.verified() {
                "verified"
            } else {
                "NOT VALID"
            };
            t.push_str(&format!("audit    {verdict}: {}\n", audit_line(&c.audit)));
            for f in c
                .audit
                .wrong_f64
                .iter()
                .chain(&c.audit.wrong_certified)
                .chain(&c.audit.unsure)
                .take(5)
            {
                t.push_str(&format!("         {}\n", finding(f)));
            }
            let (lines, result) = dag.bindings(root);
            for (name, body) in &lines {
                t.push_str(&format!("{name} = {body}\n"));
            }
            t.push_str(&result);
            t.push('\n');
            t
        }
        Format::Json => {
            let (lines, result) = dag.bindings(root);
            let j = Json {
                source: &s.source,
                diff: s.diff.as_deref(),
                compiled_from: origin(c.origin),
                k: c.measure.k.to_string(),
                depth: c.measure.depth,
                nodes: c.measure.distinct,
                domain: &s.domain,
                verified: c.audit.verified(),
                audit: audit_json(&c.audit),
                bindings: lines
                    .into_iter()
                    .map(|(name, eml)| Binding { name, eml })
                    .collect(),
                result,
                nested: nested(c),
                candidates: s
                    .outcome
                    .candidates
                    .iter()
                    .map(|c| CandidateJson {
                        from: origin(c.origin),
                        k: c.measure.k.to_string(),
                        nodes: c.measure.distinct,
                        verified: c.audit.verified(),
                    })
                    .collect(),
            };
            format!("{}\n", json::to_string(&j))
        }
        Format::Latex => {
            let tex = dag.latex(root);
            latex_output(&display(&tex, out.standalone()), out.standalone())
        }
    }
}

#[derive(Serialize)]
struct RowJson {
    primitive: &'static str,
    k: Option<u64>,
    region: Option<&'static str>,
    verified: Option<bool>,
    k_complex: Option<u64>,
    verified_complex: Option<bool>,
    paper_compiler: u64,
    at_most_half: Option<bool>,
    paper_search: Option<u64>,
    best_public: Option<u64>,
    derivative_k: Option<String>,
    derivative_nodes: Option<usize>,
    nodes: Option<usize>,
}

/// The table of forms against the paper's published sizes.
pub fn table(rows: &[crate::eml::paper::Row], out: &Output) -> String {
    let half = |r: &crate::eml::paper::Row| r.real.map(|(k, _, _)| 2 * k <= r.published.compiler);
    match out.format() {
        Format::Json => {
            let rows: Vec<RowJson> = rows
                .iter()
                .map(|r| RowJson {
                    primitive: r.published.name,
                    k: r.real.map(|x| x.0),
                    region: r.real.map(|x| x.1.name()),
                    verified: r.real.map(|x| x.2),
                    k_complex: r.complex.map(|x| x.0),
                    verified_complex: r.complex.map(|x| x.1),
                    paper_compiler: r.published.compiler,
                    at_most_half: half(r),
                    paper_search: r.published.search,
                    best_public: r.published.public,
                    derivative_k: r.derivative.as_ref().map(|d| d.0.clone()),
                    derivative_nodes: r.derivative.as_ref().map(|d| d.1),
                    nodes: r.derivative.as_ref().map(|d| d.2),
                })
                .collect();
            format!("{}\n", json::to_string(&rows))
        }
        _ => {
            let opt = |x: Option<u64>| x.map_or("-".to_string(), |k| k.to_string());
            let mut t = String::from(
                "| primitive | gauge K | region | audited | complex-safe K | paper compiler K | <= half | paper search K | best public K | d/dx K | d/dx DAG / DAG |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
            );
            for r in rows {
                let (k, region, ok) = match r.real {
                    Some((k, reg, ok)) => (
                        k.to_string(),
                        reg.name().to_string(),
                        if ok { "yes" } else { "NO" },
                    ),
                    None => ("-".into(), "-".into(), "-"),
                };
                let complex = match r.complex {
                    Some((k, true)) => k.to_string(),
                    Some((k, false)) => format!("{k} (NOT audited)"),
                    None => "-".into(),
                };
                let h = match half(r) {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "-",
                };
                let (dk, ratio) = match &r.derivative {
                    Some((k, dn, n)) => (
                        k.clone(),
                        format!("{dn}/{n} = {:.2}", *dn as f64 / (*n).max(1) as f64),
                    ),
                    None => ("-".into(), "-".into()),
                };
                t.push_str(&format!(
                    "| {} | {k} | {region} | {ok} | {complex} | {} | {h} | {} | {} | {dk} | {ratio} |\n",
                    r.published.name,
                    r.published.compiler,
                    opt(r.published.search),
                    opt(r.published.public)
                ));
            }
            t
        }
    }
}
