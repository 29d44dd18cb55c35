//! JSON forms of results and errors, for `--format json`.
//!
//! The objects are stable and documented in the README: an error is
//! `{"error": {"kind", "message", "hint", "labels": [{"file", "line", "column", "text"}]}}`.

use serde_json::{Value as Json, json};

use crate::diag::error::Error;
use crate::diag::source::SourceMap;

/// The JSON object for an error.
pub fn error(sources: &SourceMap, e: &Error) -> Json {
    let labels: Vec<Json> = e
        .labels
        .iter()
        .map(|l| {
            let src = sources.get(l.span.source);
            let lc = sources.line_col(l.span.source, l.span.start);
            json!({
                "file": src.name,
                "line": lc.line,
                "column": lc.column,
                "start": l.span.start,
                "end": l.span.end,
                "text": l.text,
            })
        })
        .collect();
    json!({
        "error": {
            "kind": e.kind.name(),
            "message": e.message,
            "hint": e.hint,
            "labels": labels,
        }
    })
}
