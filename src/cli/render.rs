//! Rendering the library's errors as miette reports on standard error.
//!
//! A [`gauge::Error`] carries its spans resolved to file, line, column and source
//! text; this module turns it into a report with the file name, line and column, the
//! source line and a caret. Colour is used only on a terminal and never when
//! `NO_COLOR` is set.

use std::io::Write;

use gauge::Error;
use gauge::results::Label;
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, Severity, SourceCode, SourceSpan, SpanContents,
};

/// The line and column of a byte offset, both from 0, the column in characters.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    (line, text[line_start..offset].chars().count())
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
        let (line, column) = if context_lines_before == 0 && context_lines_after == 0 {
            line_col(&self.text, span.offset())
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

fn render(e: &Error, severity: Severity) -> String {
    let theme = if super::colour() {
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

/// Prints an error report on standard error. A closed standard error leaves nothing
/// to report to, so a failed write is ignored.
pub fn error(e: &Error) {
    let _ = write!(std::io::stderr(), "{}", render(e, Severity::Error));
}

/// Prints a warning report on standard error.
pub fn warning(e: &Error) {
    let _ = write!(std::io::stderr(), "{}", render(e, Severity::Warning));
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
