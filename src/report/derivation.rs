//! Derived results: a derivative, gradient, Hessian or simplification with its steps,
//! and the partial derivatives of a scalar gradient.

use std::collections::BTreeSet;
use std::fmt::Write;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::calculus::derivation::Derivation;
use crate::expr::node::ExprId;
use crate::lower::workspace::Workspace;
use crate::print::latex::to_latex;
use crate::print::text::to_text_named;
use crate::report::layout::{AlignRow, TexRow, align, align_tex};
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

/// A row of a derivation at `--detail brief` or `normal`: what it shows, what it says
/// it did, and every rule of the steps it groups.
#[derive(Serialize)]
struct RowJson {
    expression: String,
    label: String,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
struct DerivationJson<'a> {
    conditions: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<Vec<RowJson>>,
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
            // A step too big to write out as a tree carries its own bindings.
            expression: if too_big_for_a_tree(ws, e) {
                crate::simplify::cse::to_text(&ws.pool, e)
            } else {
                ws.print(e)
            },
            rules,
        })
        .collect()
}

/// An expression as one line of text: whole, or when too big for a tree, with its
/// repeated subexpressions as names (whose bindings the JSON's `cse` holds).
fn whole_or_named(ws: &Workspace, id: ExprId) -> String {
    if too_big_for_a_tree(ws, id) {
        let named = crate::simplify::cse::bindings(&ws.pool, id);
        let map: FxHashMap<ExprId, String> = named.into_iter().collect();
        to_text_named(&ws.pool, id, &[], &map)
    } else {
        ws.print(id)
    }
}

/// A result as LaTeX with its repeated subexpressions named: the result, then one
/// `s_{k} = ...` display per binding.
fn latex_where(ws: &Workspace, id: ExprId, standalone: bool) -> String {
    let named = crate::simplify::cse::bindings(&ws.pool, id);
    let map: FxHashMap<ExprId, String> = named.iter().cloned().collect();
    let mut roots = vec![id];
    roots.extend(named.iter().map(|(b, _)| *b));
    let tex = crate::print::latex::to_latex_named(&ws.pool, &roots, &map);
    let mut o = String::new();
    let _ = writeln!(o, "{}", display(&tex[0], standalone));
    for ((_, name), body) in named.iter().zip(&tex[1..]) {
        let line = format!("{} = {body}", crate::print::latex::name(name));
        let _ = writeln!(o, "{}", display(&line, standalone));
    }
    o
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

/// The most nodes an expression written out as a tree may have before it is printed
/// with its repeated subexpressions named once, as with `--cse`. A 30-layer
/// convolution stack's derivative is a DAG of a few thousand nodes but a tree of
/// billions: written out, it would take hours and gigabytes.
pub const MAX_TREE_PRINT: u64 = 20_000;

/// Whether `id` is printed with `where` bindings even without `--cse`: its tree is
/// over [`MAX_TREE_PRINT`] and more than twice its DAG.
pub fn too_big_for_a_tree(ws: &Workspace, id: ExprId) -> bool {
    let tree = crate::expr::size::tree_size(&ws.pool, id);
    tree > MAX_TREE_PRINT && tree > 2 * crate::expr::size::dag_size(&ws.pool, id) as u64
}

/// The steps as shown, each with the expression it reached in the definitions' names
/// (see [`Derivation::shown`]); a step that only writes a definition out, and so shows
/// as the expression before it, is left out.
fn shown_steps(d: &Derivation) -> impl Iterator<Item = (ExprId, &crate::trace::Step)> {
    let mut last = d.start;
    d.steps.iter().enumerate().filter_map(move |(k, st)| {
        let e = d.shown.get(k).copied().unwrap_or(st.after);
        let new = e != last;
        last = e;
        new.then_some((e, st))
    })
}

/// A derived result: the result, or with `steps` the derivation; with `cse`, or when
/// the result is too big to write out as a tree, repeated subexpressions named once.
pub fn derivation(ws: &Workspace, d: &Derivation, out: &Output) -> String {
    let conditions = conditions(ws, d);
    let named = |id: ExprId| out.cse() || too_big_for_a_tree(ws, id);
    let text = |id: ExprId| {
        if named(id) {
            crate::simplify::cse::to_text(&ws.pool, id)
        } else {
            ws.print(id)
        }
    };
    let mut o = String::new();
    match out.format() {
        Format::Latex => {
            if let (true, Some(r)) = (out.steps(), &d.readable) {
                o.push_str(&readable_latex(ws, d, r, &[], out.width()));
            } else if out.steps() {
                // One step per line, each with its rules as a note.
                let rows: Vec<AlignRow<'_>> = shown_steps(d)
                    .map(|(e, st)| ("=", e, st.rule_names()))
                    .collect();
                o.push_str(&align(&ws.pool, d.start, &rows, out.width()));
            } else if named(d.result) {
                o.push_str(&latex_where(ws, d.result, out.standalone()));
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
            if let (true, Some(r)) = (out.steps(), &d.readable) {
                let _ = writeln!(o, "  {}", text(d.start));
                for (e, label, _) in readable_rows(d, r) {
                    let _ = writeln!(o, "= {}    [{label}]", text(e));
                }
            } else if out.steps() {
                let _ = writeln!(o, "  {}", text(d.start));
                for (e, st) in shown_steps(d) {
                    let _ = writeln!(o, "= {}    [{}]", text(e), st.rule_names());
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
            let steps = steps_json(ws, shown_steps(d).map(|(e, st)| (e, &st.rules[..])));
            let cse = named(d.result).then(|| {
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
                rows: d.readable.as_ref().map(|r| {
                    readable_rows(d, r)
                        .into_iter()
                        .map(|(e, label, rules)| RowJson {
                            expression: ws.print(e),
                            label,
                            rules,
                        })
                        .collect()
                }),
                cse,
                input: whole_or_named(ws, d.start),
                result: whole_or_named(ws, d.result),
                steps,
            };
            format!("{}\n", json::to_string(&j))
        }
    }
}

/// The rows of a readable derivation: each group's expression as shown, its label and
/// every rule of its steps; a row that shows what the row before it showed is left out.
fn readable_rows(
    d: &Derivation,
    r: &crate::calculus::readable::Readable,
) -> Vec<(ExprId, String, Vec<Rule>)> {
    let mut rows: Vec<(ExprId, String, Vec<Rule>)> = Vec::new();
    let mut from = 0;
    let mut last = d.start;
    for g in &r.groups {
        let e = d.shown.get(g.end - 1).copied().unwrap_or(d.result);
        let mut rules: Vec<Rule> = Vec::new();
        for st in &d.steps[from..g.end.min(d.steps.len())] {
            for rule in &st.rules {
                if !rules.contains(rule) {
                    rules.push(*rule);
                }
            }
        }
        from = g.end;
        if e == last {
            continue;
        }
        last = e;
        rows.push((e, g.label.clone(), rules));
    }
    rows
}

/// A readable derivation as an `align*`: the rows with their labels, recurring calls
/// written as their names (`p_y`), each name stated beside the first row that uses it,
/// and, when the result uses one, a last row with the names written out.
pub(crate) fn readable_latex(
    ws: &Workspace,
    d: &Derivation,
    r: &crate::calculus::readable::Readable,
    tail: &[(ExprId, String)],
    page: f64,
) -> String {
    use crate::print::latex::{CallName, name, to_latex_calls};
    let calls: Vec<CallName> = r
        .names
        .iter()
        .map(|n| (n.def, n.args.clone(), n.name.clone()))
        .collect();
    let statement = |n: &crate::calculus::readable::Named| {
        let f = ws
            .pool
            .name(ws.pool.definition(n.def).name)
            .replace('_', "\\_");
        let args: Vec<String> = n.args.iter().map(|&a| to_latex(&ws.pool, a)).collect();
        format!(
            "{} = \\operatorname{{{f}}}({})",
            name(&n.name),
            args.join(", ")
        )
    };
    let mut stated: Vec<usize> = Vec::new();
    let mut rows: Vec<TexRow> = Vec::new();
    let head = to_latex_calls(&ws.pool, d.start, &calls);
    let head_names = head != to_latex(&ws.pool, d.start);
    let mut shown: Vec<(ExprId, String)> = readable_rows(d, r)
        .into_iter()
        .map(|(e, label, _)| (e, label))
        .collect();
    shown.extend(tail.iter().cloned());
    for (row, (e, label)) in shown.into_iter().enumerate() {
        let tex = to_latex_calls(&ws.pool, e, &calls);
        // A long label continues on the rows below, as a list of rules does.
        let width = crate::report::layout::note_width(page);
        let mut notes: Vec<String> = crate::report::layout::note_rows(&label, width)
            .iter()
            .map(|l| format!("\\text{{{}}}", escape_text(l)))
            .collect();
        for (k, n) in r.names.iter().enumerate() {
            // A name the first expression uses is stated beside the first row.
            let in_head = row == 0 && head_names && head.contains(&name(&n.name));
            let shows = in_head || tex.contains(&name(&n.name)) && tex != to_latex(&ws.pool, e);
            if shows && !stated.contains(&k) {
                stated.push(k);
                notes.push(statement(n));
            }
        }
        rows.push(TexRow {
            relation: "=".to_string(),
            tex,
            notes,
        });
    }
    let plain = to_latex(&ws.pool, d.result);
    if rows.last().is_some_and(|last| last.tex != plain) {
        let used: Vec<String> = r
            .names
            .iter()
            .filter(|n| rows.last().is_some_and(|l| l.tex.contains(&name(&n.name))))
            .map(statement)
            .collect();
        rows.push(TexRow {
            relation: "=".to_string(),
            tex: plain,
            notes: vec![format!("\\text{{substitute }} {}", used.join(", "))],
        });
    }
    align_tex(&head, &rows, page)
}

/// Text for `\\text{...}`: LaTeX's special characters escaped.
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '_' | '%' | '&' | '#' | '$' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}
