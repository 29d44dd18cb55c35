//! Expressions, statements and values: what `parse`, `latex` and `eval` print.

use serde::Serialize;

use crate::expr::node::ExprId;
use crate::lower::workspace::{Statement, Workspace};
use crate::print::latex::to_latex;
use crate::report::{Format, Output, display, json, latex_output};
use crate::syntax::number::format_rational;

#[derive(Serialize)]
struct ParsedJson<'a> {
    canonical: String,
    input: &'a str,
}

/// An expression in canonical form; JSON shows the input it was read from.
pub fn expression(ws: &Workspace, input: &str, id: ExprId, out: &Output) -> String {
    match out.format() {
        Format::Text => format!("{}\n", ws.print(id)),
        Format::Latex => formula(ws, id, out),
        Format::Json => {
            let canonical = ws.print(id);
            format!("{}\n", json::to_string(&ParsedJson { canonical, input }))
        }
    }
}

/// An expression as LaTeX, display math in a standalone document.
pub fn formula(ws: &Workspace, id: ExprId, out: &Output) -> String {
    let tex = to_latex(&ws.pool, id);
    latex_output(&display(&tex, out.standalone()), out.standalone())
}

/// The name of a statement's kind, as JSON shows it.
pub fn statement_kind(st: &Statement) -> &'static str {
    match st {
        Statement::Let(_) => "let",
        Statement::Assume { .. } => "assume",
        Statement::Claim(_) => "claim",
        Statement::Tensor(_) => "tensor",
        Statement::Notation { .. } | Statement::Indices(_) => "notation",
    }
}

#[derive(Serialize)]
struct StatementJson<'a> {
    kind: &'a str,
    text: String,
}

#[derive(Serialize)]
struct FileJson<'a> {
    file: &'a str,
    statements: Vec<StatementJson<'a>>,
}

/// A file's statements in canonical form, one per line.
pub fn statements(ws: &Workspace, file: &str, stmts: &[Statement], out: &Output) -> String {
    match out.format() {
        Format::Text | Format::Latex => stmts
            .iter()
            .map(|s| format!("{}\n", ws.print_statement(s)))
            .collect(),
        Format::Json => {
            let statements = stmts
                .iter()
                .map(|s| StatementJson {
                    kind: statement_kind(s),
                    text: ws.print_statement(s),
                })
                .collect();
            format!("{}\n", json::to_string(&FileJson { file, statements }))
        }
    }
}

#[derive(Serialize)]
struct ValueJson {
    canonical: String,
    exact: Option<String>,
    value: f64,
}

/// A value in full precision; JSON adds the canonical expression and, for a number,
/// its exact value.
pub fn value(ws: &Workspace, id: ExprId, value: f64, out: &Output) -> String {
    match out.format() {
        Format::Text | Format::Latex => format!("{value:?}\n"),
        Format::Json => {
            let v = ValueJson {
                canonical: ws.print(id),
                exact: ws.pool.as_num(id).map(format_rational),
                value,
            };
            format!("{}\n", json::to_string(&v))
        }
    }
}
