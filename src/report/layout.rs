//! The page layout of LaTeX derivations: an `align*` environment whose formulas and
//! rule notes share the width of an article's page.

use crate::expr::node::ExprId;
use crate::expr::pool::Pool;
use crate::print::latex::{break_lines, break_lines_plainly, display_width, to_latex};

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

/// The space before a note that shares a formula's line (`\qquad`), in points.
const NOTE_GAP: f64 = 20.0;

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
///
/// The notes form a column of their own when every row fits beside it. On a narrow
/// page (a two-column paper's) a formula may not fit in what the notes leave, and then
/// the notes give up their column: each follows its formula's last line, or takes a
/// line of its own below it, and the formulas get the whole width.
pub fn align_tex(head: &str, rows: &[TexRow], page: f64) -> String {
    let page_width = page * FILL;
    let notes = rows
        .iter()
        .flat_map(|r| r.notes.iter())
        .map(|n| display_width(n))
        .fold(0.0, f64::max);
    let notes = if notes > 0.0 { notes + COLUMN_GAP } else { 0.0 };
    let column = Columns::new(head, page_width, notes, true);
    let broken: Vec<Vec<String>> = rows.iter().map(|r| column.parts(&r.tex)).collect();
    let fits = broken
        .iter()
        .all(|parts| column.fit(parts, page_width - notes));
    if notes == 0.0 || fits {
        return column.render(head, rows, false);
    }
    // Without the notes' column, the first expression still opens the first row if
    // every row fits after it; else it takes a row of its own, and the formulas the
    // whole width.
    let own = Columns::new(head, page_width, 0.0, true);
    let broken: Vec<Vec<String>> = rows.iter().map(|r| own.parts(&r.tex)).collect();
    if !own.inline || broken.iter().all(|parts| own.fit(parts, page_width)) {
        return own.render(head, rows, true);
    }
    Columns::new(head, page_width, 0.0, false).render(head, rows, true)
}

/// The columns of an `align*`: whether the first expression opens the first row, and
/// how wide the formulas may be.
struct Columns {
    inline: bool,
    /// The width of the first expression when it opens the first row.
    indent: f64,
    width: f64,
}

impl Columns {
    /// The columns for a page `page_width` points wide with `notes` points of notes
    /// (with their gap) beside the formulas; the first expression opens the first row
    /// only if it may (`inline`) and is short.
    fn new(head: &str, page_width: f64, notes: f64, inline: bool) -> Columns {
        // A short first expression opens the first row and sets the column the `=`
        // signs align on; a long one has a row of its own, starting where the formulas
        // start, so that it does not push every row to the right.
        let head_width = display_width(head);
        let inline = inline && head_width <= (page_width - notes) * 0.4;
        let indent = if inline { head_width } else { 0.0 };
        let width = (page_width - notes - indent - RELATION).max(MIN_ROW_SHARE * page_width);
        Columns {
            inline,
            indent,
            width,
        }
    }

    /// A formula broken into the lines of a row, as the layouts are compared: without
    /// the last resort of [`break_lines`], which the chosen layout then takes for the
    /// rows that still do not fit (see [`Columns::render`]).
    fn parts(&self, tex: &str) -> Vec<String> {
        break_lines_plainly(tex, self.width, self.width - INDENT)
    }

    /// Whether a row's lines fit in `room` points after the first expression and the
    /// relation (the formulas' share of the page, if it was not too small to break to).
    fn fit(&self, parts: &[String], room: f64) -> bool {
        parts.iter().enumerate().all(|(k, p)| {
            let indent = if k == 0 { 0.0 } else { INDENT };
            self.indent + RELATION + indent + display_width(p) <= room
        })
    }

    /// The `align*`, with the notes in a column of their own, or `below` the formulas
    /// in theirs. Each row is broken with every means (see [`break_lines`]): the
    /// layout was chosen on the plain breaks, and a row those left too wide gets its
    /// last resort only now.
    fn render(&self, head: &str, rows: &[TexRow], below: bool) -> String {
        let broken: Vec<Vec<String>> = rows
            .iter()
            .map(|r| break_lines(&r.tex, self.width, self.width - INDENT))
            .collect();
        let mut out: Vec<String> = Vec::new();
        if !self.inline {
            let width = self.width + RELATION;
            for (k, part) in break_lines(head, width, width - INDENT).iter().enumerate() {
                out.push(if k == 0 {
                    format!("  &{part}")
                } else {
                    format!("  &\\quad {part}")
                });
            }
        }
        for (k, (row, parts)) in rows.iter().zip(&broken).enumerate() {
            let mut lines: Vec<String> = parts
                .iter()
                .enumerate()
                .map(|(j, part)| match j {
                    0 => format!("&{} {part}", row.relation),
                    _ => format!("&\\quad {part}"),
                })
                .collect();
            if below {
                self.notes_below(&mut lines, &row.notes);
            } else {
                for (j, n) in row.notes.iter().enumerate() {
                    match lines.get_mut(j) {
                        Some(line) => line.push_str(&format!(" && {n}")),
                        None => lines.push(format!("& && {n}")),
                    }
                }
            }
            for (j, line) in lines.into_iter().enumerate() {
                if k == 0 && j == 0 && self.inline {
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

    /// The notes of a row in the formulas' column: the first after the row's last
    /// line when it fits there, the others on lines of their own, set off by a
    /// `\qquad` from where the formulas start.
    fn notes_below(&self, lines: &mut Vec<String>, notes: &[String]) {
        for (j, n) in notes.iter().enumerate() {
            let last = lines.last_mut().filter(|_| j == 0);
            match last {
                Some(line)
                    if display_width(line) + NOTE_GAP + display_width(n)
                        <= self.width + RELATION =>
                {
                    line.push_str(&format!(" \\qquad {n}"));
                }
                _ => lines.push(format!("&\\qquad {n}")),
            }
        }
    }
}
