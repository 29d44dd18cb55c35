//! A point written as JSON: `{"x": 1.5, "z": [2.1, 1.8], "W": [[1, 2], [3, 4]], "y": 0}`,
//! as `--at @point.json` reads it (or `--at '{...}'` inline).
//!
//! An object maps names to numbers or to nested lists of numbers, which must be
//! rectangular. serde_json reads the text, and the value visitors here check each value
//! as it is read, so that an error names the value by its path (`W1[3]`) and points at
//! the place in the text where it went wrong; the names keep the order they are written
//! in, and a name given twice is an error, as in `--at` text.

use std::fmt;
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::diag::error::{Error, ErrorKind, Result};
use crate::diag::source::{SourceId, Span};
use crate::lower::workspace::Workspace;
use crate::numeric::value::{Bindings, Tensor, Value};

/// A value read from JSON: a number, or a tensor's shape and elements.
struct Read {
    /// The shape; empty for a number.
    shape: Vec<usize>,
    data: Vec<f64>,
}

/// Reads one value, named by its path for messages.
struct ValueSeed {
    path: String,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Read;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Read, D::Error> {
        d.deserialize_any(self)
    }
}

impl ValueSeed {
    fn not_a_number<E: de::Error>(&self, what: &str) -> E {
        E::custom(format!(
            "`{}` is {what}; a value is a number or a list of numbers",
            self.path
        ))
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Read;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a number or a list of numbers for `{}`", self.path)
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> std::result::Result<Read, E> {
        if !x.is_finite() {
            return Err(E::custom(format!(
                "`{}` is beyond the range of f64 (about 1.8e308)",
                self.path
            )));
        }
        Ok(Read {
            shape: Vec::new(),
            data: vec![x],
        })
    }

    fn visit_i64<E: de::Error>(self, x: i64) -> std::result::Result<Read, E> {
        self.visit_f64(x as f64)
    }

    fn visit_u64<E: de::Error>(self, x: u64) -> std::result::Result<Read, E> {
        self.visit_f64(x as f64)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Read, E> {
        Err(self.not_a_number(&format!("the string {s:?}")))
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> std::result::Result<Read, E> {
        Err(self.not_a_number(&format!("`{b}`")))
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Read, E> {
        Err(self.not_a_number("`null`"))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> std::result::Result<Read, A::Error> {
        Err(self.not_a_number("an object"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Read, A::Error> {
        let mut shape: Option<Vec<usize>> = None;
        let mut data = Vec::new();
        let mut n = 0;
        while let Some(row) = seq.next_element_seed(ValueSeed {
            path: format!("{}[{n}]", self.path),
        })? {
            match &shape {
                None => shape = Some(row.shape),
                Some(first) if *first == row.shape => {}
                Some(first) => {
                    let (p, k) = (&self.path, n);
                    let msg = match (first.is_empty(), row.shape.is_empty()) {
                        (true, false) => format!(
                            "`{p}` mixes numbers and lists: `{p}[0]` is a number and `{p}[{k}]` a list"
                        ),
                        (false, true) => format!(
                            "`{p}` mixes numbers and lists: `{p}[0]` is a list and `{p}[{k}]` a number"
                        ),
                        _ if first.len() == 1 && row.shape.len() == 1 => format!(
                            "`{p}` is not rectangular: `{p}[{k}]` has {} elements, but `{p}[0]` has {}",
                            row.shape[0], first[0]
                        ),
                        _ => format!(
                            "`{p}` is not rectangular: `{p}[{k}]` has shape {:?}, but `{p}[0]` has {:?}",
                            row.shape, first
                        ),
                    };
                    return Err(de::Error::custom(msg));
                }
            }
            data.extend(row.data);
            n += 1;
        }
        let Some(inner) = shape else {
            return Err(de::Error::custom(format!(
                "`{}` is an empty list; a tensor needs at least one element",
                self.path
            )));
        };
        let mut shape = vec![n];
        shape.extend(inner);
        Ok(Read { shape, data })
    }
}

/// Reads the whole point: an object, its names in the order written.
struct PointVisitor;

impl<'de> Visitor<'de> for PointVisitor {
    type Value = Vec<(String, Read)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"an object of names to numbers or lists, such as {"x": 1.5, "z": [2, 3]}"#)
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Vec<(String, Read)>, A::Error> {
        let mut out: Vec<(String, Read)> = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            if out.iter().any(|(n, _)| *n == name) {
                return Err(de::Error::custom(format!(
                    "`{name}` is given a value twice"
                )));
            }
            let value = map.next_value_seed(ValueSeed { path: name.clone() })?;
            out.push((name, value));
        }
        Ok(out)
    }
}

/// The byte offset of a line and column (both from 1) in `text`.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[start.min(text.len())..];
    let col: usize = rest
        .chars()
        .take(column.saturating_sub(1))
        .map(char::len_utf8)
        .sum();
    (start + col).min(text.len())
}

/// A serde_json error as a diagnostic at its place in the text. serde_json ends each
/// message with its position, which the label shows instead.
/// The largest character boundary of `text` at or before `i` (at most its length).
fn floor_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn json_error(e: &serde_json::Error, source: SourceId, text: &str) -> Error {
    use serde_json::error::Category;
    let at = offset_of(text, e.line(), e.column());
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
    // serde_json's column is the last character it read: a syntax error is at the
    // token that follows, a value's error just after the value.
    // serde_json counts columns in bytes, and the byte before one may be inside a
    // character: the span starts at the character that holds it.
    let mut start = floor_char_boundary(text, at.saturating_sub(1));
    if matches!(e.classify(), Category::Syntax | Category::Eof) {
        let rest = &text[start..];
        let token = rest.trim_start_matches(|c: char| c.is_whitespace() || ",:[{".contains(c));
        start += rest.len() - token.len();
    }
    let word = &text[start..];
    let end = word.chars().next().map_or(start, |c| start + c.len_utf8());
    let span = Span::new(source, start, end);
    let object = r#"a point is a JSON object of names to numbers or nested lists: {"x": 1.5, "W": [[1, 2], [3, 4]]}"#;
    let special = ["NaN", "Infinity", "-Infinity", "nan", "inf", "-inf"]
        .into_iter()
        .find(|w| word.starts_with(w) && matches!(e.classify(), Category::Syntax));
    let (message, hint) = if let Some(w) = special {
        (
            format!("`{w}` is not a number in JSON, and a point's values must be finite"),
            "give finite numbers: a function is evaluated and checked only where it is defined",
        )
    } else if message.contains("number out of range") {
        (
            "a number is beyond the range of f64 (about 1.8e308)".to_string(),
            "give finite numbers",
        )
    } else if matches!(e.classify(), Category::Syntax | Category::Eof) {
        (format!("the point is not valid JSON: {message}"), object)
    } else if message.starts_with("invalid type") {
        (format!("the point is not a JSON object: {message}"), object)
    } else if message.contains("rectangular") || message.contains("mixes") {
        (
            message,
            "every row of a tensor must be a list of the same length",
        )
    } else if message.contains("given a value twice") {
        (message, "give each name one value")
    } else if message.contains("empty list") {
        (message, "")
    } else {
        (message, object)
    };
    let error = Error::at(ErrorKind::Binding, span, message);
    if hint.is_empty() {
        error
    } else {
        error.with_hint(hint)
    }
}

impl Bindings {
    /// Builds bindings from a point written as JSON (see the module docs), stored in
    /// the session's sources as `source` so that an error can point into it.
    pub fn from_json(session: &mut Workspace, source: SourceId, text: &str) -> Result<Bindings> {
        let mut de = serde_json::Deserializer::from_str(text);
        let read = de
            .deserialize_map(PointVisitor)
            .and_then(|v| de.end().map(|()| v))
            .map_err(|e| json_error(&e, source, text))?;
        let whole = Span::new(source, 0, text.len().min(1));
        let mut out = Bindings::new();
        for (name, r) in read {
            let bad = |what: &str| {
                Error::at(
                    ErrorKind::Binding,
                    whole,
                    format!("`{name}` {what} and cannot be given a value"),
                )
            };
            if !is_name(&name) {
                return Err(bad("is not a name")
                    .with_hint("a name is a letter or `_` followed by letters, digits or `_`"));
            }
            if matches!(name.as_str(), "pi" | "π" | "e") {
                return Err(bad("is a constant"));
            }
            if session.scope.defs.contains_key(name.as_str())
                || crate::expr::node::Func::from_name(&name).is_some()
            {
                return Err(bad("is a function"));
            }
            let s = session.pool.symbol(&name);
            let value = if r.shape.is_empty() {
                Value::Scalar(r.data[0])
            } else {
                Value::Tensor(Rc::new(Tensor {
                    shape: r.shape,
                    data: r.data,
                }))
            };
            out.insert(s, value);
        }
        Ok(out)
    }
}

/// Whether `text` is one name of the language: a letter (Greek letters included) or
/// `_`, then letters, digits or `_`.
pub fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}
