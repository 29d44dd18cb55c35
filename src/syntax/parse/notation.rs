//! Notation: `notation xhat = "\hat{x}"` says how a name prints in LaTeX. The LaTeX is
//! a string literal, read here with the checks that keep it safe to paste into a
//! formula: not empty, braces balanced, and none of the characters that would end or
//! break the math (`$`, `%`, `&`, `#`) unless escaped.
//!
//! `notation indices = brackets` (or `subscript`) says how the file's tensor elements
//! print: `z[i]` or `z_{i}`. The style is a bare word, not a string, since it is a
//! choice and not LaTeX; so a name called `indices` can still be given LaTeX in quotes.

use std::borrow::Cow;

use crate::diag::source::Span;
use crate::syntax::parse::{Grammar, PResult, commit, expected, hard};
use crate::syntax::tree::{IndexStyle, Stmt};

/// How a notation reads, for hints.
const NOTATION_HINT: &str = r#"a notation reads `notation xhat = "\hat{x}"`"#;

/// How the index style reads, for hints.
const INDICES_HINT: &str = "elements print as `z[i]` after `notation indices = brackets`, \
     as `z_{i}` after `notation indices = subscript` (the default)";

impl<'s> Grammar<'s> {
    /// `notation_stmt = "notation" ( "indices" "=" index_style | name "=" string )`.
    pub(super) fn notation_stmt<'a>(&self, i: &'a str) -> PResult<'a, Stmt> {
        let (start, _) = self.ws(i)?;
        let (r, _) = self.keyword(start, "notation")?;
        let (r, name) = commit(self.name(r))?;
        let (r, _) = match self.token(r, "=") {
            Ok(v) => v,
            Err(_) => {
                let (at, _) = self.ws(r)?;
                return hard(at, "`=` and the LaTeX in quotes", Some(NOTATION_HINT));
            }
        };
        let (at, _) = self.ws(r)?;
        if name.name == "indices" && !at.starts_with('"') {
            return self.index_style(start, at);
        }
        let (r, (latex, latex_span)) = self.string(r)?;
        // The style in quotes would give a name called `indices` the LaTeX `brackets`,
        // which no one means.
        if name.name == "indices" && IndexStyle::from_name(&latex).is_some() {
            let mut e = expected(at, "the style as a bare word");
            e.message = Some(format!(
                "the index style is a word, not LaTeX: write `notation indices = {latex}`"
            ));
            e.hint = Some(Cow::Borrowed(INDICES_HINT));
            return Err(nom::Err::Failure(e));
        }
        let span = self.span(start, r);
        Ok((
            r,
            Stmt::Notation {
                name,
                latex,
                latex_span,
                span,
            },
        ))
    }

    /// `index_style = "subscript" | "brackets"`, after `notation indices =`.
    fn index_style<'a>(&self, start: &'a str, at: &'a str) -> PResult<'a, Stmt> {
        let style = self
            .word(at)
            .ok()
            .and_then(|(r, w)| Some((r, IndexStyle::from_name(w)?)));
        match style {
            Some((r, style)) => Ok((
                r,
                Stmt::Indices {
                    style,
                    span: self.span(start, r),
                },
            )),
            None => hard(at, "`subscript` or `brackets`", Some(INDICES_HINT)),
        }
    }

    /// `string = '"' { character | '\"' } '"'`: a string literal on one line, whose
    /// text is LaTeX for math mode. Backslashes are kept as written, except that `\"`
    /// is a quote. The text and the span of the literal, quotes included.
    pub(super) fn string<'a>(&self, i: &'a str) -> PResult<'a, (String, Span)> {
        let (i, _) = self.ws(i)?;
        let Some(body) = i.strip_prefix('"') else {
            return hard(i, "the LaTeX in double quotes", Some(NOTATION_HINT));
        };
        let mut text = String::new();
        // The unmatched `{`s, by their place in the input, innermost last.
        let mut open: Vec<&'a str> = Vec::new();
        let mut chars = body.char_indices().peekable();
        let end = loop {
            let Some((k, c)) = chars.next() else {
                return Err(unterminated(self, i, &body[body.len()..]));
            };
            let here = &body[k..];
            match c {
                '\n' | '\r' => return Err(unterminated(self, i, here)),
                '"' => break k,
                '\\' => match chars.peek().copied() {
                    Some((_, '"')) => {
                        chars.next();
                        text.push('"');
                    }
                    // A control symbol (`\{`, `\%`, `\\`): the character after the
                    // backslash is text, not syntax.
                    Some((_, next)) if !next.is_ascii_alphabetic() && next != '\n' => {
                        chars.next();
                        text.push('\\');
                        text.push(next);
                    }
                    _ => text.push('\\'),
                },
                '{' => {
                    open.push(here);
                    text.push(c);
                }
                '}' => {
                    if open.pop().is_none() {
                        return Err(bad_latex(
                            here,
                            "balanced braces",
                            "this `}` closes no `{`".into(),
                            "write `\\}` for a literal brace",
                        ));
                    }
                    text.push(c);
                }
                '$' => {
                    return Err(bad_latex(
                        here,
                        "LaTeX without `$`",
                        "`$` cannot appear in a notation".into(),
                        r"the notation is set in math mode already: write `\hat{x}`, not `$\hat{x}$`",
                    ));
                }
                '%' | '&' | '#' => {
                    return Err(bad_latex(
                        here,
                        "LaTeX that stays inside its formula",
                        format!("`{c}` cannot appear unescaped in a notation"),
                        "it would break the formula the name is printed in: write it with a backslash before it",
                    ));
                }
                _ => text.push(c),
            }
        };
        let rest = &body[end + 1..];
        if let Some(first) = open.last() {
            return Err(bad_latex(
                first,
                "balanced braces",
                "this `{` is not closed".into(),
                "close it with `}` before the closing quote",
            ));
        }
        if text.trim().is_empty() {
            return Err(bad_latex(
                i,
                "LaTeX between the quotes",
                "the notation is empty".into(),
                r#"write the LaTeX the name prints as, such as `"\hat{x}"`"#,
            ));
        }
        Ok((rest, (text, self.span(i, rest))))
    }
}

/// The failure of a string without its closing quote on its line, at the line's end.
fn unterminated<'a>(g: &Grammar<'_>, open: &'a str, at: &'a str) -> nom::Err<super::PError<'a>> {
    let mut e = expected(at, "`\"` to close the string");
    let lc = crate::diag::source::line_col(g.src, g.offset(open));
    e.hint = Some(Cow::Owned(format!(
        "the string opened at line {}, column {} is not closed: a string ends on its line",
        lc.line, lc.column
    )));
    nom::Err::Failure(e)
}

/// A committed failure inside a string: `message` at `at`, `what` was expected.
fn bad_latex<'a>(
    at: &'a str,
    what: &'static str,
    message: String,
    hint: &'static str,
) -> nom::Err<super::PError<'a>> {
    let mut e = expected(at, what);
    e.message = Some(message);
    e.hint = Some(Cow::Borrowed(hint));
    nom::Err::Failure(e)
}
