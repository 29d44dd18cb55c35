//! The page layout of LaTeX derivations: an `align*` environment whose formulas and
//! rule notes share the width of an article's page.

use crate::expr::node::ExprId;
use crate::expr::pool::Pool;
use crate::print::latex::{break_lines, display_width, to_latex};

/// The share of the text block's width a derivation fills: the width estimates may be
/// short by 15% (see [`display_width`]).
const FILL: f64 = 0.85;

/// The narrowest a derivation's formulas are broken to, as a share of the text block.
const MIN_ROW_SHARE: f64 = 0.41;

/// The widest a note's row grows, in characters, on an article's page; a longer list of
/// rules continues on the next rows. A narrower page narrows the notes too.
const NOTE_WIDTH: usize = 24;

/// How many characters a note's row may take on a text block `page` points wide.
pub(crate) fn note_width(page: f64) -> usize {
    ((page * FILL / 12.2) as usize).clamp(12, NOTE_WIDTH)
}

/// The space `align*` leaves between the formulas and the notes, and the width of the
/// `=` with its spacing, in points.
const COLUMN_GAP: f64 = 20.0;
const RELATION: f64 = 14.0;

/// The indent of a continued row (`\quad`), in points.
const INDENT: f64 = 10.0;

/// One row of a derivation: the relation to the row before (`=`, `\neq`), the
/// expression, and a note (the rules that reached it).
pub type AlignRow<'a> = (&'a str, ExprId, String);

/// A note's rule names in rows of at most `width` characters, broken after commas.
pub(crate) fn note_rows(note: &str, width: usize) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    for name in note.split(", ").filter(|n| !n.is_empty()) {
        match rows.last_mut() {
            Some(row) if row.chars().count() + 2 + name.chars().count() <= width => {
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
pub fn align(pool: &Pool, first: ExprId, rows: &[AlignRow<'_>], page: f64) -> String {
    let rows: Vec<TexRow> = rows
        .iter()
        .map(|(relation, e, note)| TexRow {
            relation: relation.to_string(),
            tex: to_latex(pool, *e),
            notes: note_rows(note, note_width(page))
                .into_iter()
                .map(|n| format!("\\text{{{n}}}"))
                .collect(),
        })
        .collect();
    align_tex(&to_latex(pool, first), &rows, page)
}

/// A row of a derivation already set in LaTeX: the relation, the formula, and the
/// note's rows as math (`\text{chain rule}`, `p = \operatorname{softmax}(z)`).
pub struct TexRow {
    /// `=` or `\neq`.
    pub relation: String,
    /// The formula.
    pub tex: String,
    /// The note, one entry per row it takes.
    pub notes: Vec<String>,
}

/// An `align*` derivation from LaTeX rows (see [`align`]), for a text block `page`
/// points wide.
pub fn align_tex(head: &str, rows: &[TexRow], page: f64) -> String {
    let page_width = page * FILL;
    let notes = rows
        .iter()
        .flat_map(|r| r.notes.iter())
        .map(|n| display_width(n))
        .fold(0.0, f64::max);
    let notes = if notes > 0.0 { notes + COLUMN_GAP } else { 0.0 };
    // A short first expression opens the first row and sets the column the `=` signs
    // align on; a long one has a row of its own, starting where the formulas start,
    // so that it does not push every row to the right.
    let head_width = display_width(head);
    let inline = head_width <= (page_width - notes) * 0.4;
    let indent = if inline { head_width } else { 0.0 };
    let width = (page_width - notes - indent - RELATION).max(MIN_ROW_SHARE * page_width);
    let mut out: Vec<String> = Vec::new();
    if !inline {
        for (k, part) in break_lines(head, width + RELATION, width + RELATION - INDENT)
            .iter()
            .enumerate()
        {
            out.push(if k == 0 {
                format!("  &{part}")
            } else {
                format!("  &\\quad {part}")
            });
        }
    }
    for (k, row) in rows.iter().enumerate() {
        let parts = break_lines(&row.tex, width, width - INDENT);
        let height = parts.len().max(row.notes.len());
        for j in 0..height {
            let note = row
                .notes
                .get(j)
                .map_or(String::new(), |n| format!(" && {n}"));
            let line = match (j, parts.get(j)) {
                (0, Some(part)) => format!("&{} {part}{note}", row.relation),
                (_, Some(part)) => format!("&\\quad {part}{note}"),
                (_, None) => format!("&{note}"),
            };
            if k == 0 && j == 0 && inline {
                out.push(format!("  {head}\n  {line}"));
            } else {
                out.push(format!("  {line}"));
            }
        }
    }
    format!(
        "\\begin{{align*}}\n{}\n\\end{{align*}}\n",
        out.join(" \\\\\n")
    )
}
