//! The facade's error type: a diagnostic whose spans are resolved to file, line, column
//! and source text, so that it can be shown without the session it came from, and its
//! drawing as the command line shows it (a miette report: the file, line and column,
//! the source line with a caret, the hint), which the Python bindings show too.

use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, Severity, SourceCode, SourceSpan, SpanContents,
};
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

    /// The error drawn as the command line shows it on standard error: the message,
    /// the file, line and column, the source line with a caret under each span, and
    /// the hint, 100 columns wide; in colour when `colour` is true.
    ///
    /// ```
    /// let mut s = gauge::Session::new();
    /// let e = s.parse("x +").unwrap_err();
    /// let shown = e.render(false);
    /// assert!(shown.contains("[<input>:1:4]") && shown.contains("1 │ x +"));
    /// ```
    pub fn render(&self, colour: bool) -> String {
        draw(self, Severity::Error, colour)
    }

    /// The error drawn as a warning, as the command line shows a search that gave up
    /// at the work budget.
    pub fn render_warning(&self, colour: bool) -> String {
        draw(self, Severity::Warning, colour)
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

/// A source text whose reported positions count characters, as gauge's own do.
///
/// miette reports the column of a span in bytes, which disagrees with the JSON output
/// (and with what a reader counts) on lines with Greek letters. The header of a report
/// reads the primary span with no context lines; for that read this type gives the
/// line and the character column.
#[derive(Debug)]
struct CharSource {
    name: String,
    text: String,
}

impl SourceCode for CharSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        // miette counts lines and columns from 0; gauge's own positions count from 1.
        let (line, column) = if context_lines_before == 0 && context_lines_after == 0 {
            let at = line_col(&self.text, span.offset());
            (at.line - 1, at.column - 1)
        } else {
            (inner.line(), inner.column())
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            line,
            column,
            inner.line_count(),
        )))
    }
}

/// A library error in the shape miette renders.
#[derive(Debug)]
struct Report {
    message: String,
    severity: Severity,
    source: Option<CharSource>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl Diagnostic for Report {
    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h.clone()) as Box<dyn std::fmt::Display>)
    }
}

/// Lines longer than this are not drawn whole; the report shows an excerpt instead.
const LONG_LINE: usize = 300;

/// How many characters of a long line to show on each side of the error.
const EXCERPT_RADIUS: usize = 40;

fn report(e: &Error, severity: Severity) -> Report {
    if let Some(r) = long_line_report(e, severity) {
        return r;
    }
    let primary: Option<&Label> = e.labels().first();
    let mut text = primary.map(|p| p.source().to_string());
    let mut labels = Vec::new();
    let mut notes = Vec::new();
    for (k, l) in e.labels().iter().enumerate() {
        if primary.is_some_and(|p| p.same_source(l)) {
            let label = (!l.text().is_empty()).then(|| l.text().to_string());
            // miette draws no caret under an empty span, so an error at the end of the
            // input or of a line marks one column there, padding the text with a space.
            let mut len = l.range().len();
            if len == 0
                && let Some(t) = text.as_mut()
            {
                let at = l.range().start.min(t.len());
                if at == t.len() || t[at..].starts_with(['\n', '\r']) {
                    t.insert(at, ' ');
                }
                len = t[at..].chars().next().map_or(1, char::len_utf8);
            }
            let ls = LabeledSpan::new(label, l.range().start, len);
            labels.push(if k == 0 {
                LabeledSpan::new_primary_with_span(ls.label().map(String::from), *ls.inner())
            } else {
                ls
            });
        } else {
            notes.push(format!(
                "{} at {}:{}:{}",
                l.text(),
                l.file(),
                l.line(),
                l.column()
            ));
        }
    }
    let mut help = e.hint().map(String::from);
    if !notes.is_empty() {
        let n = notes.join("; ");
        help = Some(match help {
            Some(h) => format!("{h}\n{n}"),
            None => n,
        });
    }
    let source = primary.zip(text).map(|(p, text)| CharSource {
        name: p.file().to_string(),
        text,
    });
    Report {
        message: e.message().to_string(),
        severity,
        source,
        labels,
        help,
    }
}

fn draw(e: &Error, severity: Severity, colour: bool) -> String {
    let theme = if colour {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    let r = report(e, severity);
    if handler.render_report(&mut out, &r).is_err() {
        out = format!("error: {}\n", e.message());
    }
    out
}

/// A report for an error on a very long line (a generated 10 MB expression, say): the
/// location and a short excerpt with a caret, instead of the whole line.
fn long_line_report(e: &Error, severity: Severity) -> Option<Report> {
    let label = e.labels().first()?;
    let text = label.source();
    let start = label.range().start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |p| p + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |p| start + p);
    let line = &text[line_start..line_end];
    if line.len() <= LONG_LINE {
        return None;
    }
    let before: Vec<char> = text[line_start..start].chars().collect();
    let after: String = text[start..line_end].chars().take(EXCERPT_RADIUS).collect();
    let shown_before: String = before[before.len().saturating_sub(EXCERPT_RADIUS)..]
        .iter()
        .collect();
    let lead = if before.len() > EXCERPT_RADIUS {
        "…"
    } else {
        ""
    };
    let tail = if text[start..line_end].chars().count() > EXCERPT_RADIUS {
        "…"
    } else {
        ""
    };
    let caret_pad = lead.chars().count() + shown_before.chars().count();
    let mut help = format!(
        "at {}:{}:{} (a line of {} characters)\n    {lead}{shown_before}{after}{tail}\n    {}^",
        label.file(),
        label.line(),
        label.column(),
        line.chars().count(),
        " ".repeat(caret_pad)
    );
    if !label.text().is_empty() {
        help.push_str(&format!(" {}", label.text()));
    }
    if let Some(h) = e.hint() {
        help.push_str(&format!("\n{h}"));
    }
    Some(Report {
        message: e.message().to_string(),
        severity,
        source: None,
        labels: Vec::new(),
        help: Some(help),
    })
}
