//! The report of `gauge.verify_backward`: one line per input (proved, or wrong with
//! what it misses), the instances it was decided at and the region the branches
//! imply; or the whole report as JSON; or as a LaTeX table.

use std::fmt::Write;

use crate::backward::check::{Report, Status};
use crate::report::{Format, Output, json};

/// The report in the chosen format.
pub fn backward(report: &Report, out: &Output) -> String {
    match out.format() {
        Format::Text => text(report),
        Format::Json => format!("{}\n", json::to_string(report)),
        Format::Latex => latex(report),
    }
}

fn sizes_text(sizes: &[(String, usize)]) -> String {
    if sizes.is_empty() {
        return "fixed shapes".to_string();
    }
    sizes
        .iter()
        .map(|(d, n)| format!("{d}={n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn text(report: &Report) -> String {
    let mut s = String::new();
    let width = report
        .inputs
        .iter()
        .map(|i| i.name.len())
        .max()
        .unwrap_or(1)
        + 1;
    for i in &report.inputs {
        let _ = write!(s, "d{:<width$} {:<10}", i.name, i.status.name());
        match (&i.explanation, i.status) {
            (Some(e), _) => {
                let _ = writeln!(s, "{e}");
            }
            (None, Status::Proved) => {
                let elements: usize = report
                    .instances
                    .iter()
                    .filter_map(|x| x.inputs.iter().find(|y| y.name == i.name))
                    .map(|y| y.elements)
                    .sum();
                let _ = writeln!(s, "every element, {elements} in all");
            }
            (None, _) => s.push('\n'),
        }
    }
    s.push('\n');
    for inst in &report.instances {
        let _ = write!(
            s,
            "traced at {}: {} nodes, {} branch conditions",
            sizes_text(&inst.sizes),
            inst.nodes,
            inst.conditions
        );
        if !inst.region.is_empty() {
            // The first four; the JSON report has them all.
            let shown = &inst.region[..inst.region.len().min(4)];
            let more = if inst.conditions > shown.len() {
                ", ..."
            } else {
                ""
            };
            let _ = write!(s, " ({}{more})", shown.join(", "));
        }
        let _ = writeln!(s, "; decided in {:.2} s", inst.seconds);
    }
    for n in &report.numeric {
        let count: usize = n.inputs.iter().map(|i| i.elements.len()).sum();
        let off: usize = n
            .inputs
            .iter()
            .map(|i| i.elements.iter().filter(|e| !e.passed).count())
            .sum();
        let kinks: usize = n
            .inputs
            .iter()
            .map(|i| i.elements.iter().filter(|e| e.kink).count())
            .sum();
        let _ = write!(
            s,
            "checked numerically at {} ({} point): {count} sampled elements against central differences, {off} off",
            sizes_text(&n.sizes),
            n.point
        );
        if kinks > 0 {
            let _ = write!(
                s,
                ", {kinks} on a kink (any value between the one-sided differences passes)"
            );
        }
        s.push('\n');
    }
    let proved = report
        .inputs
        .iter()
        .filter(|i| i.status == Status::Proved)
        .count();
    let wrong = report
        .inputs
        .iter()
        .filter(|i| i.status == Status::Wrong)
        .count();
    let _ = writeln!(
        s,
        "{}: {proved} of {} gradients proved, {wrong} wrong",
        if report.ok { "ok" } else { "FAILED" },
        report.inputs.len()
    );
    s
}

/// LaTeX-safe text: the program's names and residuals in `\texttt`.
fn tt(text: &str) -> String {
    let mut out = String::from("\\texttt{");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '_' | '&' | '%' | '$' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '^' => out.push_str("\\^{}"),
            '~' => out.push_str("\\~{}"),
            _ => out.push(c),
        }
    }
    out.push('}');
    out
}

fn latex(report: &Report) -> String {
    let mut s =
        String::from("\\begin{tabular}{lll}\n\\hline\ngradient & verdict & note \\\\\n\\hline\n");
    for i in &report.inputs {
        let note = i.explanation.as_deref().map(tt).unwrap_or_default();
        let _ = writeln!(
            s,
            "{} & {} & {} \\\\",
            tt(&format!("d{}", i.name)),
            i.status.name(),
            note
        );
    }
    s.push_str("\\hline\n\\end{tabular}\n");
    s
}
