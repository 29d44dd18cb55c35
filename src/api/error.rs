//! The facade's error type: a diagnostic whose spans are resolved to file, line, column
//! and source text, so that it can be shown without the session it came from.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::diag::error::{Error as Inner, ErrorKind};
use crate::diag::source::{SourceId, SourceMap, line_col};
use crate::report::json;

/// A span of the input that an [`Error`] is about, with what to say under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    file: String,
    line: usize,
    column: usize,
    start: usize,
    end: usize,
    text: String,
    source: Arc<str>,
}

impl Label {
    /// The name of the text the span is in: a path, `<input>`, `<bindings>`, `<prelude>`.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line the span starts on, from 1.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The column the span starts at, from 1, counted in characters.
    pub fn column(&self) -> usize {
        self.column
    }

    /// The span's byte range in [`Label::source`].
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }

    /// What to say under the span; empty when the error's message says it all.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The whole text the span is in.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The line the span starts on, without its line break.
    pub fn source_line(&self) -> &str {
        let start = self.start.min(self.source.len());
        let from = self.source[..start].rfind('\n').map_or(0, |p| p + 1);
        let to = self.source[start..]
            .find('\n')
            .map_or(self.source.len(), |p| start + p);
        self.source[from..to].trim_end_matches('\r')
    }

    /// Whether two labels point into the same text (two texts may share a name, as
    /// every expression given to a session is `<input>`).
    pub fn same_source(&self, other: &Label) -> bool {
        Arc::ptr_eq(&self.source, &other.source)
    }
}

/// Everything that can go wrong in gauge, with the spans of the input it is about.
///
/// A failed check or a refuted claim is a report, not an error: errors are bad input
/// (a typo, an unknown function, a shape clash), values outside a function's domain,
/// and limits. [`Error::kind`] says which, [`Error::labels`] where.
///
/// ```
/// use gauge::{ErrorKind, Session};
///
/// let mut s = Session::new();
/// let e = s.parse("x +").unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::Syntax);
/// assert_eq!(e.to_string(), "expected an expression, found the end of the input");
/// let at = &e.labels()[0];
/// assert_eq!((at.file(), at.line(), at.column()), ("<input>", 1, 4));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    hint: Option<String>,
    labels: Vec<Label>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The result type of the facade.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with no location, such as a file that cannot be read.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            hint: None,
            labels: Vec::new(),
        }
    }

    /// The same error with a hint saying how to fix it.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    /// The error for a session used while one of its calls runs, which safe
    /// single-threaded code cannot do; it is an error rather than a panic all the same.
    pub(crate) fn busy() -> Error {
        Error::new(
            ErrorKind::Unsupported,
            "the session is busy with another call",
        )
    }

    /// An error of a stage, its spans resolved against the texts they point into.
    pub(crate) fn resolve(sources: &SourceMap, e: Inner) -> Error {
        // One shared copy of each text, so that labels in one text compare equal.
        let mut texts: Vec<(SourceId, Arc<str>)> = Vec::new();
        let labels = e
            .labels
            .into_iter()
            .map(|l| {
                let src = sources.get(l.span.source);
                let source = match texts.iter().find(|(id, _)| *id == l.span.source) {
                    Some((_, t)) => t.clone(),
                    None => {
                        let t: Arc<str> = Arc::from(src.text.as_str());
                        texts.push((l.span.source, t.clone()));
                        t
                    }
                };
                let lc = line_col(&src.text, l.span.start);
                Label {
                    file: src.name.clone(),
                    line: lc.line,
                    column: lc.column,
                    start: l.span.start,
                    end: l.span.end,
                    text: l.text,
                    source,
                }
            })
            .collect();
        Error {
            kind: e.kind,
            message: e.message,
            hint: e.hint,
            labels,
        }
    }

    /// The broad kind, for exit codes and JSON.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// One sentence saying what is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How to fix it, where a hint helps.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The spans involved; the first is the primary one.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// The error as one JSON object, as `--format json` prints it:
    /// `{"error": {"hint", "kind", "labels": [{"column", "end", "file", "line", "start",
    /// "text"}], "message"}}`.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// let e = s.parse("f(x)").unwrap_err();
    /// assert!(e.to_json().starts_with(r#"{"error":{"hint":"define it first"#));
    /// ```
    pub fn to_json(&self) -> String {
        json::to_string(&ErrorJson {
            error: ErrorBody {
                hint: self.hint.as_deref(),
                kind: self.kind.name(),
                labels: self
                    .labels
                    .iter()
                    .map(|l| LabelJson {
                        column: l.column,
                        end: l.end,
                        file: &l.file,
                        line: l.line,
                        start: l.start,
                        text: &l.text,
                    })
                    .collect(),
                message: &self.message,
            },
        })
    }
}

#[derive(Serialize)]
struct LabelJson<'a> {
    column: usize,
    end: usize,
    file: &'a str,
    line: usize,
    start: usize,
    text: &'a str,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    hint: Option<&'a str>,
    kind: &'static str,
    labels: Vec<LabelJson<'a>>,
    message: &'a str,
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    error: ErrorBody<'a>,
}
