//! JSON text from serde structs.
//!
//! The JSON objects are stable and documented in the README. Their keys print in sorted
//! order, as `serde_json::Value` objects print them; every object goes through a
//! `Value` on its way to text, so that the order does not depend on how a struct's
//! fields are declared (they are declared sorted all the same, to read like the output).

use serde::Serialize;

/// The compact JSON text of a value, with every object's keys sorted.
pub fn to_string<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(v) => v.to_string(),
        // The report structs hold strings, numbers and lists under string keys, which
        // always serialize; should one ever fail, the output is still one JSON object.
        Err(e) => serde_json::json!({ "error": { "kind": "internal", "message": e.to_string() } })
            .to_string(),
    }
}
