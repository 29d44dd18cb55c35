//! gauge's errors as Python exceptions, and the guard that keeps a panic from crossing
//! into Python.
//!
//! The exception classes live in Python (`gauge/_errors.py`), where a class may have
//! two bases (`GaugeSyntaxError` is a `GaugeError` and a `ValueError`); this module
//! looks the class up by the error's kind and raises it with the diagnostic drawn as
//! the command line draws it (caret, hint), plus the error's parts as attributes.

use std::panic::{AssertUnwindSafe, catch_unwind};

use gauge::ErrorKind;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

/// The module that defines the exception classes.
const ERRORS: &str = "gauge._errors";

/// The class of each kind of error, by its name in [`ERRORS`].
fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Syntax => "GaugeSyntaxError",
        ErrorKind::Name => "GaugeNameError",
        ErrorKind::Arity => "GaugeArityError",
        ErrorKind::Shape => "GaugeShapeError",
        ErrorKind::Recursion => "GaugeRecursionError",
        ErrorKind::Limit => "GaugeLimitError",
        ErrorKind::Binding => "GaugeBindingError",
        ErrorKind::Domain => "GaugeDomainError",
        ErrorKind::Io => "GaugeIOError",
        ErrorKind::Unsupported => "GaugeUnsupportedError",
    }
}

/// The Python exception for a gauge error: its class by kind, its text the drawn
/// diagnostic, and `kind`, `message`, `hint`, `file`, `line`, `column`, `labels` as
/// attributes. Another crate of the bindings (the tracer) raises its errors through
/// this too.
pub fn to_pyerr(py: Python<'_>, e: &gauge::Error) -> PyErr {
    let labels = e
        .labels()
        .iter()
        .map(|l| {
            (
                l.file().to_string(),
                l.line(),
                l.column(),
                l.text().to_string(),
            )
        })
        .collect::<Vec<_>>();
    let primary = e.labels().first();
    let fields = Fields {
        class: class_name(e.kind()),
        diagnostic: e.render(false).trim_end().to_string(),
        kind: e.kind().name(),
        message: e.message().to_string(),
        hint: e.hint().map(str::to_string),
        file: primary.map(|l| l.file().to_string()),
        line: primary.map(|l| l.line()),
        column: primary.map(|l| l.column()),
        labels,
        json: Some(e.to_json()),
    };
    raise(py, fields)
}

/// What an exception is made of.
struct Fields {
    class: &'static str,
    diagnostic: String,
    kind: &'static str,
    message: String,
    hint: Option<String>,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    labels: Vec<(String, usize, usize, String)>,
    json: Option<String>,
}

/// The exception made of `f`; should the exception module itself fail (it is part of
/// the package, so only a broken install does that), the failure is what is raised.
fn raise(py: Python<'_>, f: Fields) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = py.import(ERRORS)?.getattr(f.class)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("kind", f.kind)?;
        kwargs.set_item("message", &f.message)?;
        kwargs.set_item("hint", &f.hint)?;
        kwargs.set_item("file", &f.file)?;
        kwargs.set_item("line", f.line)?;
        kwargs.set_item("column", f.column)?;
        kwargs.set_item("labels", &f.labels)?;
        kwargs.set_item("json", &f.json)?;
        let args = PyTuple::new(py, [f.diagnostic.as_str()])?;
        Ok(PyErr::from_value(class.call(args, Some(&kwargs))?))
    };
    build().unwrap_or_else(|e| e)
}

/// Runs `f`, turning its gauge error into the Python exception and a panic (a bug in
/// gauge) into `GaugeInternalError`, so that nothing unwinds into Python.
pub fn guard<T>(py: Python<'_>, f: impl FnOnce() -> gauge::Result<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_pyerr(py, &e)),
        Err(payload) => Err(bug(py, payload.as_ref())),
    }
}

/// Runs `f`, which needs Python itself (to build the result's objects), turning a
/// panic into `GaugeInternalError` as [`guard`] does.
pub fn guard_py<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(bug(py, payload.as_ref())),
    }
}

/// The exception for a panic inside gauge: a bug, said to be one, with the panic's
/// message.
fn bug(py: Python<'_>, payload: &(dyn std::any::Any + Send)) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    let message = format!("gauge panicked: {what}");
    let hint = "this is a bug in gauge, not in your input; please report it with the call \
                that raised it (the session that raised it may be left half-updated: start a \
                new one)";
    raise(
        py,
        Fields {
            class: "GaugeInternalError",
            diagnostic: format!("  × {message}\n  help: {hint}"),
            kind: "bug",
            message,
            hint: Some(hint.to_string()),
            file: None,
            line: None,
            column: None,
            labels: Vec::new(),
            json: None,
        },
    )
}
