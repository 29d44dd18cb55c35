//! The page layout of LaTeX derivations: an `align*` environment whose formulas and
//! rule notes share the width of an article's page.

use crate::expr::node::ExprId;
use crate::expr::pool::Pool;
use crate::print::latex::{display_width, to_latex_lines};

/// About how many characters (see [`display_width`]) fit across a page of an article:
/// an `align*` derivation's formulas and its notes share them.
const PAGE_WIDTH: usize = 50;

/// The narrowest a derivation's formulas are broken to.
const MIN_ROW_WIDTH: usize = 26;

/// The widest a note's row grows; a longer list of rules continues on the next rows.
const NOTE_WIDTH: usize = 24;

/// One row of a derivation: the relation to the row before (`=`, `\neq`), the
/// expression, and a note (the rules that reached it).
pub type AlignRow<'a> = (&'a str, ExprId, String);

/// A note's rule names in rows of at most [`NOTE_WIDTH`] characters, broken after commas.
fn note_rows(note: &str) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    for name in note.split(", ").filter(|n| !n.is_empty()) {
        match rows.last_mut() {
            Some(row) if row.chars().count() + 2 + name.chars().count() <= NOTE_WIDTH => {
                row.push_str(", ");
                row.push_str(name);
            }
            Some(row) => {
                row.push(',');
                rows.push(name.to_string());
            }
            None => rows.push(name.to_string()),
        }
    }
    rows
}

/// An `align*` derivation: `first`, then one row per `(relation, expression, note)`,
/// the note set as `\text{...}`; a long sum continues on indented rows, and a long
/// list of rules on the rows below. The notes form one column, so the formulas get
/// what the widest note leaves of the page.
pub fn align(pool: &Pool, first: ExprId, rows: &[AlignRow<'_>]) -> String {
    let noted: Vec<Vec<String>> = rows.iter().map(|r| note_rows(&r.2)).collect();
    let notes = noted
        .iter()
        .flatten()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0);
    let width = PAGE_WIDTH.saturating_sub(notes).max(MIN_ROW_WIDTH);
    let mut out: Vec<String> = Vec::new();
    let head = to_latex_lines(pool, first, width);
    for (k, part) in head.iter().enumerate() {
        out.push(if k == 0 {
            format!("  {part}")
        } else {
            format!("  &\\quad {part}")
        });
    }
    for (k, ((relation, e, _), notes)) in rows.iter().zip(&noted).enumerate() {
        let parts = to_latex_lines(pool, *e, width);
        let height = parts.len().max(notes.len());
        for j in 0..height {
            let note = notes
                .get(j)
                .map_or(String::new(), |n| format!(" && \\text{{{n}}}"));
            let row = match (j, parts.get(j)) {
                (0, Some(part)) => format!("&{relation} {part}{note}"),
                (_, Some(part)) => format!("&\\quad {part}{note}"),
                (_, None) => note.trim_start().to_string(),
            };
            // The first relation continues the first expression's row, unless that
            // expression is long enough to fill the row itself.
            let short = head.len() == 1 && display_width(&head[0]) <= width as f64 / 2.0;
            if k == 0 && j == 0 && short {
                if let Some(last) = out.last_mut() {
                    last.push('\n');
                    last.push_str("  ");
                    last.push_str(&row);
                }
            } else {
                out.push(format!("  {row}"));
            }
        }
    }
    format!(
        "\\begin{{align*}}\n{}\n\\end{{align*}}\n",
        out.join(" \\\\\n")
    )
}
