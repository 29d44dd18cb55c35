//! The library's error type: a diagnostic with a kind, spans and a hint.
//!
//! Every failure that a user can cause (a typo, an unknown function, a shape clash, a
//! value out of a function's domain) becomes an [`Error`] carrying the byte spans it is
//! about. The library never renders them; the binary turns them into a report with the
//! source line and a caret, and JSON output carries the same fields.

use std::fmt;

use crate::diag::source::Span;

/// What went wrong, broadly: used for exit codes, JSON output and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The text does not follow the grammar.
    Syntax,
    /// A name is unknown, or used in a way its meaning does not allow.
    Name,
    /// Arguments or indices do not fit what a function or tensor takes.
    Arity,
    /// Shapes or kinds clash (a scalar used as a tensor, an index on no axis, ...).
    Shape,
    /// A definition refers to itself.
    Recursion,
    /// Input exceeds a documented limit (nesting depth, literal size, derivative order).
    Limit,
    /// A value given with `--at` is missing, malformed or does not fit its use.
    Binding,
    /// Evaluation left a function's domain (ln of a negative, division by zero, overflow).
    Domain,
    /// A file could not be read.
    Io,
    /// The operation is not available yet or not for this kind of input.
    Unsupported,
}

impl ErrorKind {
    /// A stable lowercase name, used in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::Name => "name",
            ErrorKind::Arity => "arity",
            ErrorKind::Shape => "shape",
            ErrorKind::Recursion => "recursion",
            ErrorKind::Limit => "limit",
            ErrorKind::Binding => "binding",
            ErrorKind::Domain => "domain",
            ErrorKind::Io => "io",
            ErrorKind::Unsupported => "unsupported",
        }
    }
}

/// A span with a short text saying what is there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The text marked.
    pub span: Span,
    /// What to say under it.
    pub text: String,
}

/// A failure with everything needed to show it: kind, message, labelled spans, hint.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    /// The broad kind.
    pub kind: ErrorKind,
    /// One sentence saying what is wrong.
    pub message: String,
    /// The spans involved; the first is the primary one.
    pub labels: Vec<Label>,
    /// How to fix it, where a hint helps.
    pub hint: Option<String>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error {
    /// An error with no location.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            labels: Vec::new(),
            hint: None,
        }
    }

    /// An error at one span.
    pub fn at(kind: ErrorKind, span: Span, message: impl Into<String>) -> Error {
        let message = message.into();
        Error {
            kind,
            labels: vec![Label {
                span,
                text: String::new(),
            }],
            message,
            hint: None,
        }
    }

    /// Adds a labelled span.
    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Error {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    /// Sets the text of the primary label.
    pub fn with_primary_text(mut self, text: impl Into<String>) -> Error {
        if let Some(l) = self.labels.first_mut() {
            l.text = text.into();
        }
        self
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    /// The primary span, if the error has a location.
    pub fn span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
