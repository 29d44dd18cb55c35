//! Derived results: a derivative, gradient, Hessian or simplification with its steps,
//! and the partial derivatives of a scalar gradient.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::calculus::derivation::Derivation;
use crate::expr::node::ExprId;
use crate::lower::workspace::Workspace;
use crate::print::latex::{name as latex_name, to_latex, to_latex_named};
use crate::print::text::to_text_named;
use crate::report::layout::{AlignRow, align};
use crate::report::{Format, Output, display, json, latex_output};
use crate::trace::Rule;

/// One step of a derivation in JSON: the rules and the expression reached.
#[derive(Serialize)]
pub(crate) struct StepJson<'a> {
    expression: String,
    rules: &'a [Rule],
}

#[derive(Serialize)]
struct BindingJson {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct CseJson {
    bindings: Vec<BindingJson>,
    result: String,
}

#[derive(Serialize)]
struct DerivationJson<'a> {
    conditions: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    cse: Option<CseJson>,
    input: String,
    result: String,
    steps: Vec<StepJson<'a>>,
}

/// The steps of a derivation as JSON: each step's rules and the expression it reached.
pub(crate) fn steps_json<'a>(
    ws: &Workspace,
    steps: impl Iterator<Item = (ExprId, &'a [Rule])>,
) -> Vec<StepJson<'a>> {
    steps
        .map(|(e, rules)| StepJson {
            expression: ws.print(e),
            rules,
        })
        .collect()
}

/// Where a derivative does not exist, as sorted `u != 0` texts without repeats.
fn conditions(ws: &Workspace, d: &Derivation) -> Vec<String> {
    d.conditions
        .iter()
        .map(|c| format!("{} != 0", ws.print(c.nonzero)))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// A derived result: the result, or with `steps` the derivation; with `cse`, repeated
/// subexpressions named once.
pub fn derivation(ws: &Workspace, d: &Derivation, out: &Output) -> String {
    let conditions = conditions(ws, d);
    let text = |id: ExprId| {
        if out.cse() {
            crate::simplify::cse::to_text(&ws.pool, id)
        } else {
            ws.print(id)
        }
    };
    let mut o = String::new();
    match out.format() {
        Format::Latex => {
            if out.steps() {
                // One step per line, each with its rules as a note.
                let rows: Vec<AlignRow<'_>> = d
                    .steps
                    .iter()
                    .map(|st| ("=", st.after, st.rule_names()))
                    .collect();
                o.push_str(&align(&ws.pool, d.start, &rows));
            } else {
                let tex = to_latex(&ws.pool, d.result);
                let _ = writeln!(o, "{}", display(&tex, out.standalone()));
            }
            if !conditions.is_empty() {
                let _ = writeln!(o, "% valid where {}", conditions.join(" and "));
            }
            latex_output(&o, out.standalone())
        }
        Format::Text => {
            if out.steps() {
                let _ = writeln!(o, "  {}", ws.print(d.start));
                for st in &d.steps {
                    let _ = writeln!(o, "= {}    [{}]", ws.print(st.after), st.rule_names());
                }
                if out.cse() {
                    let _ = writeln!(o, "{}", text(d.result));
                }
            } else {
                let _ = writeln!(o, "{}", text(d.result));
            }
            if !conditions.is_empty() {
                let _ = writeln!(o, "  (where {})", conditions.join(" and "));
            }
            o
        }
        Format::Json => {
            let steps = steps_json(ws, d.steps.iter().map(|st| (st.after, &st.rules[..])));
            let cse = out.cse().then(|| {
                let named = crate::simplify::cse::bindings(&ws.pool, d.result);
                let map: FxHashMap<ExprId, String> = named.iter().cloned().collect();
                CseJson {
                    bindings: named
                        .iter()
                        .map(|(id, n)| BindingJson {
                            name: n.clone(),
                            value: to_text_named(&ws.pool, *id, &[], &map),
                        })
                        .collect(),
                    result: to_text_named(&ws.pool, d.result, &[], &map),
                }
            });
            let j = DerivationJson {
                conditions: &conditions,
                cse,
                input: ws.print(d.start),
                result: ws.print(d.result),
                steps,
            };
            format!("{}\n", json::to_string(&j))
        }
    }
}

#[derive(Serialize)]
struct GradientJson {
    gradient: BTreeMap<String, String>,
    input: String,
    /// The subterms the partials share, each once, innermost first; the partials
    /// refer to them by name.
    #[serde(rename = "let")]
    lets: Vec<BindingJson>,
}

/// Every partial derivative of `input` by the scalar variables `names`, one per line.
/// The subterms the partials share are printed once, first, as `let` bindings that the
/// partials refer to: the 1,000 partials of a cross-entropy all hold the same sum of
/// 1,000 exponentials, and printing it in each would make the output quadratic.
pub fn scalar_gradient(
    ws: &Workspace,
    input: ExprId,
    names: &[String],
    parts: &[ExprId],
    out: &Output,
) -> String {
    let lets = crate::simplify::cse::bindings_of(&ws.pool, parts);
    let map: FxHashMap<ExprId, String> = lets.iter().cloned().collect();
    // A root is printed whole even when it has a name: that is its binding's body.
    let text = |id: ExprId| to_text_named(&ws.pool, id, &[], &map);
    match out.format() {
        Format::Text => {
            let mut o = String::new();
            for (id, name) in &lets {
                let _ = writeln!(o, "let {name} = {}", text(*id));
            }
            for (n, p) in names.iter().zip(parts) {
                let _ = writeln!(o, "{n}: {}", text(*p));
            }
            o
        }
        Format::Latex => {
            let mut roots: Vec<ExprId> = lets.iter().map(|(id, _)| *id).collect();
            roots.extend_from_slice(parts);
            let tex = to_latex_named(&ws.pool, &roots, &map);
            let mut lines: Vec<String> = lets
                .iter()
                .zip(&tex)
                .map(|((_, name), body)| {
                    display(&format!("{} = {body}", latex_name(name)), out.standalone())
                })
                .collect();
            lines.extend(names.iter().zip(&tex[lets.len()..]).map(|(n, body)| {
                let tex = format!(
                    "\\frac{{\\partial f}}{{\\partial {}}} = {body}",
                    latex_name(n)
                );
                display(&tex, out.standalone())
            }));
            latex_output(&lines.join("\n"), out.standalone())
        }
        Format::Json => {
            let gradient = names
                .iter()
                .zip(parts)
                .map(|(n, p)| (n.clone(), text(*p)))
                .collect();
            let j = GradientJson {
                gradient,
                input: ws.print(input),
                lets: lets
                    .iter()
                    .map(|(id, name)| BindingJson {
                        name: name.clone(),
                        value: text(*id),
                    })
                    .collect(),
            };
            format!("{}\n", json::to_string(&j))
        }
    }
}
