//! Rendering library errors as miette reports on standard error.
//!
//! The library's [`Error`] carries spans into the session's sources; this module turns
//! it into a report with the file name, line and column, the source line and a caret.
//! Colour is used only on a terminal and never when `NO_COLOR` is set.

use gauge::diag::error::Error;
use gauge::lower::workspace::Workspace;
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, Severity, SourceCode, SourceSpan, SpanContents,
};

/// A source text whose reported positions count characters, as gauge's own do.
///
/// miette reports the column of a span in bytes, which disagrees with the JSON output
/// (and with what a reader counts) on lines with Greek letters. The header of a report
/// reads the primary span with no context lines; for that read this type gives the
/// line and the character column computed by [`gauge::diag::source::line_col`].
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
            let lc = gauge::diag::source::line_col(&self.text, span.offset());
            (lc.line - 1, lc.column - 1)
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

fn report(session: &Workspace, e: &Error, severity: Severity) -> Report {
    if let Some(r) = long_line_report(session, e, severity) {
        return r;
    }
    let primary = e.labels.first().map(|l| l.span.source);
    let mut text = primary.map(|id| session.sources.get(id).text.clone());
    let mut labels = Vec::new();
    let mut notes = Vec::new();
    for (k, l) in e.labels.iter().enumerate() {
        if Some(l.span.source) == primary {
            let label = (!l.text.is_empty()).then(|| l.text.clone());
            // miette draws no caret under an empty span, so an error at the end of the
            // input or of a line marks one column there, padding the text with a space.
            let mut len = l.span.len();
            if len == 0
                && let Some(t) = text.as_mut()
            {
                let at = l.span.start.min(t.len());
                if at == t.len() || t[at..].starts_with(['\n', '\r']) {
                    t.insert(at, ' ');
                }
                len = t[at..].chars().next().map_or(1, char::len_utf8);
            }
            let ls = LabeledSpan::new(label, l.span.start, len);
            labels.push(if k == 0 {
                LabeledSpan::new_primary_with_span(ls.label().map(String::from), *ls.inner())
            } else {
                ls
            });
        } else {
            let src = session.sources.get(l.span.source);
            let lc = session.sources.line_col(l.span.source, l.span.start);
            notes.push(format!("{} at {}:{}", l.text, src.name, lc));
        }
    }
    let mut help = e.hint.clone();
    if !notes.is_empty() {
        let n = notes.join("; ");
        help = Some(match help {
            Some(h) => format!("{h}\n{n}"),
            None => n,
        });
    }
    let source = primary.zip(text).map(|(id, text)| CharSource {
        name: session.sources.get(id).name.clone(),
        text,
    });
    Report {
        message: e.message.clone(),
        severity,
        source,
        labels,
        help,
    }
}

fn render(session: &Workspace, e: &Error, severity: Severity) -> String {
    let theme = if super::colour() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    let r = report(session, e, severity);
    if handler.render_report(&mut out, &r).is_err() {
        out = format!("error: {}\n", e.message);
    }
    out
}

/// Prints an error report on standard error.
pub fn error(session: &Workspace, e: &Error) {
    eprint!("{}", render(session, e, Severity::Error));
}

/// Prints a warning report on standard error.
pub fn warning(session: &Workspace, e: &Error) {
    eprint!("{}", render(session, e, Severity::Warning));
}

/// A report for an error on a very long line (a generated 10 MB expression, say): the
/// location and a short excerpt with a caret, instead of the whole line.
fn long_line_report(session: &Workspace, e: &Error, severity: Severity) -> Option<Report> {
    let label = e.labels.first()?;
    let src = session.sources.get(label.span.source);
    let start = label.span.start.min(src.text.len());
    let line_start = src.text[..start].rfind('\n').map_or(0, |p| p + 1);
    let line_end = src.text[start..]
        .find('\n')
        .map_or(src.text.len(), |p| start + p);
    let line = &src.text[line_start..line_end];
    if line.len() <= LONG_LINE {
        return None;
    }
    let lc = session.sources.line_col(label.span.source, start);
    let before: Vec<char> = src.text[line_start..start].chars().collect();
    let after: String = src.text[start..line_end]
        .chars()
        .take(EXCERPT_RADIUS)
        .collect();
    let shown_before: String = before[before.len().saturating_sub(EXCERPT_RADIUS)..]
        .iter()
        .collect();
    let lead = if before.len() > EXCERPT_RADIUS {
        "…"
    } else {
        ""
    };
    let tail = if src.text[start..line_end].chars().count() > EXCERPT_RADIUS {
        "…"
    } else {
        ""
    };
    let caret_pad = lead.chars().count() + shown_before.chars().count();
    let mut help = format!(
        "at {}:{} (a line of {} characters)\n    {lead}{shown_before}{after}{tail}\n    {}^",
        src.name,
        lc,
        line.chars().count(),
        " ".repeat(caret_pad)
    );
    if !label.text.is_empty() {
        help.push_str(&format!(" {}", label.text));
    }
    if let Some(h) = &e.hint {
        help.push_str(&format!("\n{h}"));
    }
    Some(Report {
        message: e.message.clone(),
        severity,
        source: None,
        labels: Vec::new(),
        help: Some(help),
    })
}
