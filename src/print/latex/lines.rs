//! Long formulas as several lines of a display, and how wide LaTeX math renders.
//!
//! Widths are estimated in TeX points at 10 pt, the size of an article's text, from the
//! LaTeX source: letters (capitals wider), operators with their spacing, fractions as
//! wide as their wider part, scripts at 70%, big operators as wide as their limits (in
//! a fraction, in text style with the limits beside them), grown brackets by what they
//! enclose. Measured against
//! pdflatex on the rows of the example derivations, the estimate is within 15% of the
//! true width; the layouts that use it leave that much to spare.
//!
//! A formula too wide for its line breaks at the places a typesetter would choose:
//! before a `+` or `-` at the outermost level it can, else between the factors of a
//! product, never inside a brace group (a fraction's part, a script) or an element's
//! indices in brackets (`W[i, j]`). A bracket that
//! spans rows closes each row with `\right.` and reopens the next with `\left.`,
//! since a `\left`/`\right` pair cannot span rows. A fraction whose numerator is too
//! wide for a line is first written as `\frac{1}{b} \left(a\right)`, which can break.
//! As a last resort, a line that still has no place to break that fits (a sum whose
//! body is one fraction, `\sum_j \frac{a}{b}`) has a narrower numerator brought out
//! the same way, if that gives it places to break.

use crate::expr::node::ExprId;
use crate::expr::pool::Pool;
use crate::print::latex::to_latex;

/// An expression as LaTeX lines for a multi-line display: the first line at most
/// `width` points wide, and the others too (see [`break_lines`]).
pub fn to_latex_lines(pool: &Pool, id: ExprId, width: f64) -> Vec<String> {
    break_lines(&to_latex(pool, id), width, width)
}

/// The width of an italic letter, of a capital one, and of a digit, in points.
const LETTER: f64 = 5.6;
/// Capitals are wider (`K`, `Q`, `W` are 8 to 9.5 pt): a matrix element in brackets,
/// `K[l, m]`, sets them at full size.
const CAPITAL: f64 = 7.4;
const DIGIT: f64 = 5.0;
/// A binary operator with its medium spaces, and a relation with its thick ones.
const BINARY: f64 = 12.2;
const RELATION: f64 = 13.4;

/// About how wide LaTeX math renders in display style at 10 pt, in points.
pub fn display_width(tex: &str) -> f64 {
    let chars: Vec<char> = tex.chars().collect();
    Measure::new(&chars).run(0, chars.len(), 1.0)
}

struct Measure<'a> {
    chars: &'a [char],
    /// How many fractions surround the text measured: past the first, parts shrink.
    fraction_depth: u32,
    /// How wide each `\left` or `\right` delimiter is, by its place in `chars`.
    delimiters: rustc_hash::FxHashMap<usize, f64>,
}

/// How wide a grown bracket is, by what it encloses: a line of text, a fraction, a
/// fraction with a fraction or a big operator inside, and a big operator in display
/// style, which grows it most (measured against pdflatex).
const DELIMITER: [f64; 4] = [3.9, 5.9, 7.6, 8.8];

impl<'a> Measure<'a> {
    fn new(chars: &'a [char]) -> Measure<'a> {
        Measure {
            chars,
            fraction_depth: 0,
            delimiters: delimiter_widths(chars),
        }
    }
}

/// The width of each `\left` and `\right` delimiter in `chars`, by its place: a bracket
/// grows with the tallest thing it encloses (see [`DELIMITER`]); `.` is the null
/// delimiter. One pass, with a stack of the open brackets.
fn delimiter_widths(chars: &[char]) -> rustc_hash::FxHashMap<usize, f64> {
    let mut widths = rustc_hash::FxHashMap::default();
    // Per open bracket: where its `\left` is, how many fraction parts were open at it,
    // and the tallest class of what it holds so far.
    let mut open: Vec<(usize, usize, usize)> = Vec::new();
    // The brace depths at which a fraction's part is open, and how many of the next
    // brace groups are a fraction's parts.
    let mut fraction_parts: Vec<usize> = Vec::new();
    let mut pending_parts = 0;
    let mut braces = 0usize;
    let word = |i: usize| -> String {
        chars[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect()
    };
    let null = |i: usize, name: &str| chars.get(i + 1 + name.len()) == Some(&'.');
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                let name = word(i);
                let parts = fraction_parts.len();
                let raise = |class: usize, open: &mut Vec<(usize, usize, usize)>| {
                    if let Some(top) = open.last_mut() {
                        top.2 = top.2.max(class);
                    }
                };
                match name.as_str() {
                    "left" => open.push((i, parts, 0)),
                    "right" => {
                        if let Some((at, _, class)) = open.pop() {
                            let w = |here: usize, n: &str| {
                                if null(here, n) { 1.2 } else { DELIMITER[class] }
                            };
                            widths.insert(at, w(at, "left"));
                            widths.insert(i, w(i, "right"));
                            raise(class, &mut open);
                        }
                    }
                    "frac" => {
                        let inside = open.last().is_some_and(|o| parts > o.1);
                        raise(if inside { 2 } else { 1 }, &mut open);
                        pending_parts = 2;
                    }
                    "sum" | "prod" => {
                        let inside = open.last().is_some_and(|o| parts > o.1);
                        raise(if inside { 2 } else { 3 }, &mut open);
                    }
                    "sqrt" => raise(1, &mut open),
                    _ => {}
                }
                i += 1 + name.len().max(1);
                continue;
            }
            '{' => {
                braces += 1;
                if pending_parts > 0 {
                    pending_parts -= 1;
                    fraction_parts.push(braces);
                }
            }
            '}' => {
                if fraction_parts.last() == Some(&braces) {
                    fraction_parts.pop();
                }
                braces = braces.saturating_sub(1);
            }
            _ => {}
        }
        i += 1;
    }
    widths
}

impl Measure<'_> {
    /// The end of the group or token that starts at `i`: a `{...}` group (its inside
    /// is `i + 1..end - 1`), a command, or one character.
    fn token_end(&self, i: usize) -> usize {
        let c = self.chars;
        match c.get(i) {
            Some('{') => {
                let mut depth = 0;
                let mut j = i;
                while j < c.len() {
                    match c[j] {
                        '\\' => j += 1,
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                return j + 1;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                c.len()
            }
            Some('\\') => {
                let mut j = i + 1;
                while j < c.len() && c[j].is_ascii_alphabetic() {
                    j += 1;
                }
                if j == i + 1 { (j + 1).min(c.len()) } else { j }
            }
            Some(_) => i + 1,
            None => i,
        }
    }

    /// The width of the group or token at `i`, and where it ends.
    fn group(&mut self, i: usize, scale: f64) -> (f64, usize) {
        let end = self.token_end(i);
        if self.chars.get(i) == Some(&'{') {
            (
                self.run(i + 1, end.saturating_sub(1).max(i + 1), scale),
                end,
            )
        } else {
            (self.run(i, end, scale), end)
        }
    }

    /// The limits under and over a big operator at `i`: the widest, and where they end.
    fn limits(&mut self, mut i: usize) -> (f64, usize) {
        let mut widest: f64 = 0.0;
        while i < self.chars.len() && matches!(self.chars[i], '_' | '^') {
            let (w, end) = self.group(i + 1, 0.7);
            widest = widest.max(w);
            i = end;
        }
        (widest, i)
    }

    fn run(&mut self, from: usize, to: usize, scale: f64) -> f64 {
        let c = self.chars;
        let mut w = 0.0;
        let mut i = from;
        while i < to {
            match c[i] {
                '{' => {
                    let (g, end) = self.group(i, scale);
                    w += g;
                    i = end;
                }
                '_' | '^' => {
                    let (g, end) = self.group(i + 1, scale * 0.7);
                    w += g + 0.5 * scale;
                    i = end;
                }
                '\\' => {
                    let end = self.token_end(i);
                    let name: String = c[i + 1..end].iter().collect();
                    i = end;
                    w += self.command(&name, &mut i, scale);
                }
                ' ' => i += 1,
                '+' | '-' => {
                    // Binary between operands; unary after an opening or an operator.
                    let before = c[from..i].iter().rev().find(|ch| **ch != ' ');
                    let unary = before.is_none_or(|b| "({[,=^_&".contains(*b));
                    w += scale * if unary || scale < 1.0 { 7.8 } else { BINARY };
                    i += 1;
                }
                '=' | '<' | '>' => {
                    w += RELATION * scale;
                    i += 1;
                }
                '(' | ')' | '|' => {
                    w += 3.9 * scale;
                    i += 1;
                }
                // Square brackets are narrower than round ones: an element's
                // indices, `W[i, j]`.
                '[' | ']' => {
                    w += 2.8 * scale;
                    i += 1;
                }
                ',' => {
                    w += 4.5 * scale;
                    i += 1;
                }
                ch if ch.is_ascii_digit() || ch == '.' || ch == '/' => {
                    w += DIGIT * scale;
                    i += 1;
                }
                ch if ch.is_ascii_uppercase() => {
                    w += CAPITAL * scale;
                    i += 1;
                }
                _ => {
                    w += LETTER * scale;
                    i += 1;
                }
            }
        }
        w
    }

    /// The width of the command `name`, whose arguments start at `*i` (moved past them).
    fn command(&mut self, name: &str, i: &mut usize, scale: f64) -> f64 {
        let c = self.chars;
        match name {
            "frac" => {
                let inner = if self.fraction_depth > 0 { 0.75 } else { 1.0 };
                self.fraction_depth += 1;
                let (a, end) = self.group(*i, scale * inner);
                let (b, end) = self.group(end, scale * inner);
                self.fraction_depth -= 1;
                *i = end;
                a.max(b) + 2.4 * scale
            }
            "left" | "right" => {
                let at = *i - 1 - name.len();
                let delimiter = c.get(*i).copied();
                *i = if delimiter == Some('\\') {
                    self.token_end(*i)
                } else {
                    (*i + 1).min(c.len())
                };
                let grown = self.delimiters.get(&at).copied().unwrap_or(DELIMITER[1]);
                scale * if delimiter == Some('.') { 1.2 } else { grown }
            }
            "operatorname" | "mathrm" | "text" | "mathbf" | "mathit" | "mathsf" => {
                if c.get(*i) == Some(&'*') {
                    *i += 1;
                }
                let end = self.token_end(*i);
                let inside: String = c[*i..end].iter().collect();
                *i = end;
                // A reference prints as its number (`Lemma~\\ref{lem:x}` is "Lemma 1").
                let inside = strip_refs(&inside);
                let letters = inside
                    .trim_matches(['{', '}'])
                    .replace("\\_", "_")
                    .replace("\\,", "")
                    .chars()
                    .filter(|ch| *ch != '\\')
                    .count() as f64;
                scale * (5.0 * letters + if name == "operatorname" { 1.7 } else { 0.0 })
            }
            "sqrt" => {
                let (g, end) = self.group(*i, scale);
                *i = end;
                g + 8.3 * scale
            }
            // Inside a fraction a big operator is set in text style: smaller, with
            // its limits beside it rather than under it.
            "sum" | "prod" if self.fraction_depth > 0 => {
                let (limits, end) = self.limits(*i);
                *i = end;
                scale * (12.5 + limits + 1.7)
            }
            "sum" | "prod" | "max" | "min" => {
                let (limits, end) = self.limits(*i);
                *i = end;
                let body: f64 = if name == "max" || name == "min" {
                    15.0
                } else {
                    14.4
                };
                scale * (body.max(limits) + 1.7)
            }
            "ln" | "log" | "exp" | "sin" | "cos" | "tan" | "sinh" | "cosh" | "tanh" | "arcsin"
            | "arccos" | "arctan" => scale * (5.0 * name.len() as f64 + 1.7),
            "cdot" => 7.2 * scale,
            "quad" => 10.0 * scale,
            "qquad" => 20.0 * scale,
            "odot" | "times" => BINARY * scale,
            "neq" | "leq" | "geq" => RELATION * scale,
            "lvert" | "rvert" => 2.8 * scale,
            // An escaped character (`\_`, `\,`), a row break, or a space.
            "" => 2.0 * scale,
            _ => 5.7 * scale,
        }
    }
}

/// Text with each `\\ref{...}` as the two characters a reference's number takes.
fn strip_refs(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(k) = rest.find("\\ref{") {
        out.push_str(&rest[..k]);
        out.push_str("00");
        rest = rest[k..].split_once('}').map_or("", |(_, r)| r);
    }
    out.push_str(rest);
    out.replace('~', " ")
}

/// Where a formula may break, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Break {
    /// Before a `+` or `-` between terms.
    Sign,
    /// Between two factors of a product.
    Factor,
    /// Between two factors of a big operator's body (`\\sum_j a_j b_j` after `a_j`):
    /// the last resort, since the row after it still belongs to the operator.
    Body,
}

/// A place a formula may break: the byte offset of the space there, the kind, how
/// many brackets are open, and how many of those are `\left` ones.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    at: usize,
    kind: Break,
    depth: usize,
    lefts: usize,
}

impl Candidate {
    /// How much worse than a break at the outer level this one reads, in points: a
    /// break inside a plain bracket (`\\ln(1 - ...)`) splits what reads as one
    /// symbol, inside a grown one a group the eye still spans.
    fn penalty(&self) -> f64 {
        let plain = self.depth - self.lefts;
        25.0 * self.lefts as f64
            + 80.0 * plain as f64
            + match self.kind {
                Break::Sign => 0.0,
                Break::Factor => 40.0,
                Break::Body => 120.0,
            }
    }
}

/// The places `tex` may break, outside every brace group.
fn candidates(tex: &str) -> Vec<Candidate> {
    let bytes = tex.as_bytes();
    let mut out = Vec::new();
    let mut braces = 0i32;
    // The brackets open, each `true` for a `\left` one; and per bracket depth, whether
    // a big operator (`\sum`) has been seen in the current term, over which a product
    // must not break (the factors after it are its body).
    let mut stack: Vec<bool> = Vec::new();
    let mut operator_in_term: Vec<bool> = vec![false];
    // The space right after a big operator's limits separates it from its body.
    let mut after_operator = false;
    // How many plain square brackets are open: an element's indices (`W[i, j]`,
    // `z[i + 1]`), one symbol that no row may split.
    let mut square = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &tex[i..];
        let depth = stack.len();
        let lefts = stack.iter().filter(|l| **l).count();
        if let Some(after) = rest.strip_prefix("\\left") {
            stack.push(true);
            operator_in_term.push(false);
            i += "\\left".len() + delimiter_len(after);
            continue;
        }
        if let Some(after) = rest.strip_prefix("\\right") {
            stack.pop();
            operator_in_term.pop();
            i += "\\right".len() + delimiter_len(after);
            continue;
        }
        match bytes[i] {
            b'\\' => {
                let name_len = rest[1..]
                    .bytes()
                    .take_while(|b| b.is_ascii_alphabetic())
                    .count();
                let name = &rest[1..1 + name_len];
                if braces == 0 && ["sum", "prod", "max", "min", "operatorname"].contains(&name) {
                    let big = name != "operatorname" || rest[1 + name_len..].starts_with('*');
                    if big && let Some(flag) = operator_in_term.last_mut() {
                        *flag = true;
                        after_operator = true;
                    }
                }
                i += 1 + name_len.max(1);
                continue;
            }
            b'{' => braces += 1,
            b'}' => braces -= 1,
            b'(' if braces == 0 => {
                stack.push(false);
                operator_in_term.push(false);
            }
            b')' if braces == 0 => {
                stack.pop();
                operator_in_term.pop();
            }
            b'[' if braces == 0 => square += 1,
            b']' if braces == 0 => square = square.saturating_sub(1),
            b' ' if braces == 0 && after_operator => after_operator = false,
            b' ' if braces == 0 && square == 0 && i > 0 => {
                let after = &tex[i + 1..];
                if after.starts_with("+ ") || after.starts_with("- ") {
                    out.push(Candidate {
                        at: i,
                        kind: Break::Sign,
                        depth,
                        lefts,
                    });
                    if let Some(flag) = operator_in_term.last_mut() {
                        *flag = false;
                    }
                } else if factor_gap(&tex[..i], after) {
                    let body = operator_in_term.last().copied().unwrap_or(false);
                    out.push(Candidate {
                        at: i,
                        kind: if body { Break::Body } else { Break::Factor },
                        depth,
                        lefts,
                    });
                }
            }
            _ => {}
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// The length of the delimiter after `\left` or `\right`: one character, or a command
/// such as `\lvert`.
fn delimiter_len(rest: &str) -> usize {
    if let Some(cmd) = rest.strip_prefix('\\') {
        1 + cmd
            .bytes()
            .take_while(|b| b.is_ascii_alphabetic())
            .count()
            .max(1)
    } else {
        rest.chars().next().map_or(0, char::len_utf8)
    }
}

/// Whether a space between `before` and `after` separates two factors of a product: not
/// an operator's side, and not what follows a `\cdot`, a sign or an opening bracket.
fn factor_gap(before: &str, after: &str) -> bool {
    let b = before.trim_end();
    let ends_open = b.is_empty()
        || b.ends_with(['+', '-', '=', '(', '[', ',', '&'])
        || b.ends_with("\\cdot")
        || b.ends_with("\\odot")
        || b.ends_with("\\left(")
        || b.ends_with("\\quad");
    let starts_close = after.is_empty()
        || after.starts_with(['+', '-', '=', ')', ']', ',', '&'])
        || ["\\right", "\\cdot", "\\odot", "\\\\", "\\quad"]
            .iter()
            .any(|p| after.starts_with(p));
    !ends_open && !starts_close
}

/// Rewrites each fraction whose numerator is wider than `width`, outside brace groups,
/// as `\frac{1}{b} \left(a\right)`, so that the numerator can break; repeated, since
/// the numerator brought out may hold such fractions itself.
fn unwrap_wide_fractions(tex: &str, width: f64) -> String {
    let mut tex = tex.to_string();
    for _ in 0..8 {
        let Some(next) = unwrap_one(&tex, width) else {
            break;
        };
        tex = next;
    }
    tex
}

fn unwrap_one(tex: &str, width: f64) -> Option<String> {
    let chars: Vec<char> = tex.chars().collect();
    // Brought out, even a numerator with no place to break at its top
    // (`\\sum_j \\frac{..}{..}`) has its own fractions unwrapped next.
    fractions(&chars)
        .into_iter()
        .find(|f| f.numerator != "1" && display_width(&f.numerator) > width)
        .map(|f| f.unwrapped(&chars))
}

/// A fraction outside every brace group: where it starts and ends (in characters), its
/// numerator's inside, and its denominator's group with the braces.
struct Fraction {
    at: usize,
    end: usize,
    numerator: String,
    denominator: String,
}

impl Fraction {
    /// `chars` with this fraction written as `\frac{1}{b} \left(a\right)`.
    fn unwrapped(&self, chars: &[char]) -> String {
        let head: String = chars[..self.at].iter().collect();
        let tail: String = chars[self.end..].iter().collect();
        format!(
            "{head}\\frac{{1}}{} \\left({}\\right){tail}",
            self.denominator, self.numerator
        )
    }
}

/// The fractions of `chars` outside every brace group, in order.
fn fractions(chars: &[char]) -> Vec<Fraction> {
    let m = Measure::new(chars);
    let mut out = Vec::new();
    let mut braces = 0i32;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '{' => braces += 1,
            '}' => braces -= 1,
            '\\' if braces == 0 => {
                let end = m.token_end(i);
                let name: String = chars[i + 1..end].iter().collect();
                if name == "frac" && chars.get(end) == Some(&'{') {
                    let a_end = m.token_end(end);
                    let b_end = m.token_end(a_end);
                    out.push(Fraction {
                        at: i,
                        end: b_end,
                        numerator: chars[end + 1..a_end - 1].iter().collect(),
                        denominator: chars[a_end..b_end].iter().collect(),
                    });
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// How far the lines of a formula overflow their widths, in points, summed: the first
/// line's width is `first`, the others' `rest`.
fn overflow(lines: &[String], first: f64, rest: f64) -> f64 {
    lines
        .iter()
        .enumerate()
        .map(|(k, l)| (display_width(l) - if k == 0 { first } else { rest }).max(0.0))
        .sum()
}

/// `tex` in lines as [`break_lines`] breaks it, but without its last resort: a line
/// that has no place to break stays too wide. A layout compares these, so that a row
/// which fits one way only by being cut into many pieces does not make that way look
/// as good as one where it reads whole.
pub fn break_lines_plainly(tex: &str, first: f64, rest: f64) -> Vec<String> {
    if display_width(tex) <= first {
        return vec![tex.to_string()];
    }
    break_at(&unwrap_wide_fractions(tex, rest.min(first)), first, rest)
}

/// `tex` in lines: the first at most `first` points wide, the others `rest` (each
/// estimated by [`display_width`]), broken as the module says. A formula that has no
/// place to break stays one line, however wide.
pub fn break_lines(tex: &str, first: f64, rest: f64) -> Vec<String> {
    if display_width(tex) <= first {
        return vec![tex.to_string()];
    }
    let mut tex = unwrap_wide_fractions(tex, rest.min(first));
    let mut lines = break_at(&tex, first, rest);
    // A line still too wide has no place to break that fits, as when a fraction narrower
    // than a line is the whole body of a sum (`\\sum_j \\frac{a}{b}`). Bringing out a
    // numerator that has places to break of its own gives it some: the widest first,
    // kept only if the lines then overflow less.
    for _ in 0..8 {
        let now = overflow(&lines, first, rest);
        if now == 0.0 {
            break;
        }
        let chars: Vec<char> = tex.chars().collect();
        let mut found: Vec<Fraction> = fractions(&chars)
            .into_iter()
            .filter(|f| f.numerator != "1" && !candidates(&f.numerator).is_empty())
            .collect();
        found.sort_by(|a, b| display_width(&b.numerator).total_cmp(&display_width(&a.numerator)));
        let better = found.iter().find_map(|f| {
            let next = f.unwrapped(&chars);
            let next_lines = break_at(&next, first, rest);
            (overflow(&next_lines, first, rest) < now).then_some((next, next_lines))
        });
        let Some((next, next_lines)) = better else {
            break;
        };
        tex = next;
        lines = next_lines;
    }
    lines
}

/// `tex`, its wide fractions unwrapped, in lines as [`break_lines`] says.
fn break_at(tex: &str, first: f64, rest: f64) -> Vec<String> {
    let all = candidates(tex);
    let mut lines = Vec::new();
    let mut start = 0;
    let mut open = 0;
    let mut prefix = String::new();
    loop {
        let limit = if lines.is_empty() { first } else { rest };
        let row = |end: usize, lefts: usize| {
            format!(
                "{}{}{}{}",
                prefix,
                "\\left.".repeat(open),
                tex[start..end].trim(),
                "\\right.".repeat(lefts)
            )
        };
        let tail = row(tex.len(), 0);
        if display_width(&tail) <= limit {
            lines.push(tail);
            break;
        }
        let ahead: Vec<&Candidate> = all.iter().filter(|c| c.at > start).collect();
        let Some(&&fallback) = ahead.first() else {
            lines.push(tail);
            break;
        };
        let fitting: Vec<(f64, Candidate)> = ahead
            .iter()
            .map(|c| (display_width(&row(c.at, c.lefts)), **c))
            .filter(|(w, _)| *w <= limit)
            .collect();
        // The farthest break, held back by how deep it is and by breaking a product
        // rather than a sum: a break at the outer level a little earlier reads better.
        let score = |(w, c): &(f64, Candidate)| w - c.penalty();
        let chosen = fitting
            .iter()
            .max_by(|a, b| score(a).total_cmp(&score(b)))
            .map_or(fallback, |(_, c)| *c);
        lines.push(row(chosen.at, chosen.lefts));
        start = chosen.at;
        open = chosen.lefts;
        prefix = if chosen.kind != Break::Sign {
            "\\cdot ".to_string()
        } else {
            String::new()
        };
    }
    lines
}
