//! Long formulas as several lines of a display, and how wide LaTeX math renders.

use crate::expr::node::{ExprId, Node};
use crate::expr::pool::Pool;
use crate::print::latex::{Latex, to_latex};

/// An expression as LaTeX lines for a multi-line display: a sum longer than `width`
/// characters of LaTeX source breaks before a top-level `+` or `-`, so that each line
/// after the first begins with its sign. Anything else is one line.
pub fn to_latex_lines(pool: &Pool, id: ExprId, width: usize) -> Vec<String> {
    let whole = to_latex(pool, id);
    if display_width(&whole) <= width as f64 {
        return vec![whole];
    }
    let Node::Add(terms) = pool.node(id) else {
        // A product that ends in a bracketed sum breaks inside the bracket.
        return break_in_bracket(&whole, width).unwrap_or_else(|| vec![whole]);
    };
    let printer = Latex::new(pool, id);
    let mut lines: Vec<String> = Vec::new();
    for piece in printer.sum_pieces(terms) {
        match lines.last_mut() {
            Some(line) if display_width(line) + 1.0 + display_width(&piece) <= width as f64 => {
                line.push(' ');
                line.push_str(&piece);
            }
            _ => lines.push(piece),
        }
    }
    lines
}

/// A formula that ends in `\left( ... \right)` around a sum, broken before the sum's
/// top-level signs: the bracket closes each row with `\right.` and reopens the next
/// with `\left.`, since a `\left`/`\right` pair cannot span rows. `None` when the
/// formula has no such bracket or its sum has a single term.
fn break_in_bracket(tex: &str, width: usize) -> Option<Vec<String>> {
    let body = tex.strip_suffix("\\right)")?;
    // The `\left(` that the final `\right)` closes: scan back, counting pairs.
    let mut depth = 0i32;
    let mut open = None;
    let mut k = body.len();
    while k > 0 {
        k -= 1;
        if body[k..].starts_with("\\right") {
            depth += 1;
        } else if body[k..].starts_with("\\left") {
            if depth == 0 {
                open = Some(k);
                break;
            }
            depth -= 1;
        }
    }
    let open = open?;
    let prefix = &body[..open];
    let inner = body[open..].strip_prefix("\\left(")?;
    // Split the inside at top-level ` + ` and ` - `, outside braces and brackets.
    let mut pieces: Vec<String> = Vec::new();
    let (mut brace, mut pair) = (0i32, 0i32);
    let mut start = 0;
    let mut i = 0;
    while i < inner.len() {
        let rest = &inner[i..];
        if rest.starts_with("\\left") {
            pair += 1;
        } else if rest.starts_with("\\right") {
            pair -= 1;
        } else if rest.starts_with('{') {
            brace += 1;
        } else if rest.starts_with('}') {
            brace -= 1;
        } else if brace == 0
            && pair == 0
            && i > start
            && (rest.starts_with(" + ") || rest.starts_with(" - "))
        {
            pieces.push(inner[start..i].to_string());
            start = i + 1;
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    pieces.push(inner[start..].to_string());
    if pieces.len() < 2 {
        return None;
    }
    let mut rows: Vec<String> = vec![format!("{prefix}\\left({}", pieces[0])];
    for piece in &pieces[1..] {
        let last = rows.last_mut()?;
        if display_width(last) + 1.0 + display_width(piece) <= width as f64 {
            last.push(' ');
            last.push_str(piece);
        } else {
            rows.push(piece.clone());
        }
    }
    let n = rows.len();
    if n < 2 {
        return None;
    }
    Some(
        rows.into_iter()
            .enumerate()
            .map(|(k, r)| {
                let open = if k == 0 { "" } else { "\\left." };
                let close = if k + 1 == n { "\\right)" } else { "\\right." };
                format!("{open}{r}{close}")
            })
            .collect(),
    )
}

/// About how many characters wide LaTeX math renders: commands that print one symbol
/// count one, `\left`/`\right` and braces nothing, sub- and superscripts about half,
/// and a fraction the wider of its numerator and denominator.
pub fn display_width(tex: &str) -> f64 {
    let chars: Vec<char> = tex.chars().collect();
    width_of(&chars, &mut 0, false)
}

/// The width of `chars` from `at`, to the end or, with `group`, to the closing brace.
fn width_of(chars: &[char], at: &mut usize, group: bool) -> f64 {
    let mut w = 0.0;
    while *at < chars.len() {
        let c = chars[*at];
        *at += 1;
        match c {
            '{' => w += width_of(chars, at, true),
            '}' if group => return w,
            '_' | '^' => {
                // A script: the next group or character, at about half size.
                if chars.get(*at) == Some(&'{') {
                    *at += 1;
                    w += 0.6 * width_of(chars, at, true);
                } else if *at < chars.len() {
                    *at += 1;
                    w += 0.6;
                }
            }
            '\\' => {
                let start = *at;
                while *at < chars.len() && chars[*at].is_ascii_alphabetic() {
                    *at += 1;
                }
                let name: String = chars[start..*at].iter().collect();
                match name.as_str() {
                    "frac" => {
                        let mut parts = [0.0f64; 2];
                        for part in &mut parts {
                            if chars.get(*at) == Some(&'{') {
                                *at += 1;
                                *part = width_of(chars, at, true);
                            }
                        }
                        w += parts[0].max(parts[1]) + 0.5;
                    }
                    "left" | "right" => {
                        // The delimiter that follows is one character.
                        *at += 1;
                        w += 0.5;
                    }
                    "operatorname" | "mathrm" | "text" | "sqrt" => {}
                    "" => {
                        // An escaped character (`\_`, `\,`) or a row break.
                        *at += 1;
                        w += 0.5;
                    }
                    "quad" => w += 1.5,
                    "exp" | "sin" | "cos" | "tan" => w += 3.0,
                    "ln" => w += 2.0,
                    _ => w += 1.2,
                }
            }
            ' ' => w += 0.3,
            _ => w += 1.0,
        }
    }
    w
}
