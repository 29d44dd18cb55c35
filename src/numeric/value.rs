//! Values for evaluation: scalars and tensors, and the bindings that give names values.
//!
//! Bindings come from `--at` text such as `z=[2.1, 1.8, 0.2, -1.5], y=0`: scalars are
//! constant expressions (`pi/2`, `1e-12`, `-1`), tensors are nested lists whose shape
//! is read from the nesting, and indices are integers counted from 0.

use std::fmt::Write;
use std::rc::Rc;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::diag::source::Span;
use crate::expr::node::Symbol;
use crate::lower::lowerer::Lowerer;
use crate::lower::workspace::Workspace;
use crate::numeric::Evaluate;
use crate::syntax::tree::{Binding, BindingValue};

/// A dense tensor in row-major order.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    /// The length of each axis.
    pub shape: Vec<usize>,
    /// The elements, last axis fastest.
    pub data: Vec<f64>,
}

impl Tensor {
    /// A vector.
    pub fn vector(data: Vec<f64>) -> Tensor {
        Tensor {
            shape: vec![data.len()],
            data,
        }
    }

    /// The flat position of an element, or `None` if an index is out of range.
    #[inline]
    pub fn offset(&self, index: &[usize]) -> Option<usize> {
        if index.len() != self.shape.len() {
            return None;
        }
        let mut off = 0;
        for (&i, &n) in index.iter().zip(&self.shape) {
            if i >= n {
                return None;
            }
            off = off * n + i;
        }
        Some(off)
    }
}

/// The value of a name.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A number (also used for index values, which must then be whole).
    Scalar(f64),
    /// A tensor.
    Tensor(Rc<Tensor>),
}

/// Values for names, in the order they were given.
#[derive(Clone, Debug, Default)]
pub struct Bindings {
    entries: Vec<(Symbol, Value, Option<Span>)>,
}

impl Bindings {
    /// No bindings.
    pub fn new() -> Bindings {
        Bindings::default()
    }

    /// Binds a name, replacing an earlier value.
    pub fn insert(&mut self, name: Symbol, value: Value) {
        self.entries.retain(|e| e.0 != name);
        self.entries.push((name, value, None));
    }

    /// The value of a name.
    pub fn get(&self, name: Symbol) -> Option<&Value> {
        self.entries.iter().find(|e| e.0 == name).map(|e| &e.1)
    }

    /// Where a binding was written, if it came from text.
    pub fn span(&self, name: Symbol) -> Option<Span> {
        self.entries.iter().find(|e| e.0 == name).and_then(|e| e.2)
    }

    /// The bound names, in order.
    pub fn names(&self) -> impl Iterator<Item = Symbol> + '_ {
        self.entries.iter().map(|e| e.0)
    }

    /// Builds bindings from parsed `--at` text, evaluating each constant exactly first.
    pub fn from_syntax(session: &mut Workspace, parsed: &[Binding]) -> Result<Bindings> {
        let mut out = Bindings::new();
        for b in parsed {
            let name = b.name.name.as_str();
            if matches!(name, "pi" | "π" | "e") {
                return Err(Error::at(
                    ErrorKind::Binding,
                    b.name.span,
                    format!("`{name}` is a constant and cannot be given a value"),
                ));
            }
            if session.scope.defs.contains_key(name)
                || crate::expr::node::Func::from_name(name).is_some()
            {
                return Err(Error::at(
                    ErrorKind::Binding,
                    b.name.span,
                    format!("`{name}` is a function and cannot be given a value"),
                ));
            }
            let s = session.pool.symbol(&b.name.name);
            if let Some(span) = out.span(s) {
                return Err(Error::at(
                    ErrorKind::Binding,
                    b.name.span,
                    format!("`{}` is given a value twice", b.name.name),
                )
                .with_label(span, "first value here"));
            }
            let value = match &b.value {
                BindingValue::Scalar(e) => Value::Scalar(constant_value(session, e)?),
                BindingValue::List(_, span) => {
                    let mut shape = Vec::new();
                    let mut data = Vec::new();
                    collect(session, &b.value, 0, &mut shape, &mut data)?;
                    if data.is_empty() {
                        return Err(Error::at(
                            ErrorKind::Binding,
                            *span,
                            "a tensor needs at least one element",
                        ));
                    }
                    Value::Tensor(Rc::new(Tensor { shape, data }))
                }
            };
            out.entries.push((s, value, Some(b.name.span)));
        }
        Ok(out)
    }
}

fn constant_value(session: &mut Workspace, e: &crate::syntax::tree::Expr) -> Result<f64> {
    let id = Lowerer::new(session, false).constant(e)?;
    let empty = Bindings::new();
    session.eval(id, &empty).map_err(|mut err| {
        if err.labels.is_empty() {
            err.labels.push(crate::diag::error::Label {
                span: e.span,
                text: "this value".into(),
            });
        }
        err
    })
}

/// Flattens a nested list, checking that it is rectangular.
fn collect(
    session: &mut Workspace,
    v: &BindingValue,
    depth: usize,
    shape: &mut Vec<usize>,
    data: &mut Vec<f64>,
) -> Result<()> {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || collect(session, v, depth, shape, data));
    }
    match v {
        BindingValue::Scalar(e) => {
            if depth != shape.len() {
                return Err(Error::at(
                    ErrorKind::Binding,
                    e.span,
                    "this list mixes numbers and lists at one level",
                )
                .with_hint("every row of a matrix must be a list of the same length"));
            }
            data.push(constant_value(session, e)?);
            Ok(())
        }
        BindingValue::List(items, span) => {
            if depth == shape.len() {
                if !data.is_empty() {
                    return Err(Error::at(
                        ErrorKind::Binding,
                        *span,
                        "this list mixes numbers and lists at one level",
                    ));
                }
                shape.push(items.len());
            } else if depth > shape.len() || shape[depth] != items.len() {
                let want = shape.get(depth).copied().unwrap_or(0);
                return Err(Error::at(
                    ErrorKind::Binding,
                    *span,
                    format!(
                        "this list has {} elements, but the first list at its level has {want}",
                        items.len()
                    ),
                )
                .with_hint("tensors must be rectangular"));
            }
            for it in items {
                collect(session, it, depth + 1, shape, data)?;
            }
            Ok(())
        }
    }
}

/// Formats a number for messages: whole numbers without a fraction, others in full.
pub fn format_number(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:?}")
    }
}

/// Formats a value for messages, shortening long tensors.
pub fn format_value(v: &Value) -> String {
    match v {
        Value::Scalar(x) => format_number(*x),
        Value::Tensor(t) => {
            let mut s = String::new();
            format_nested(t, 0, 0, false, &mut s);
            s
        }
    }
}

/// Writes a tensor's nested lists from `axis` on: `brief` shows three numbers of the
/// last axis and two rows of each axis before it, to four significant digits; else
/// eight of each, in full, with a count of those left out.
fn format_nested(t: &Tensor, axis: usize, offset: usize, brief: bool, out: &mut String) {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || format_nested(t, axis, offset, brief, out));
    }
    let last = axis + 1 == t.shape.len();
    let shown = match (brief, last) {
        (false, _) => 8,
        (true, true) => 3,
        (true, false) => 2,
    };
    out.push('[');
    let n = t.shape[axis];
    let stride: usize = t.shape[axis + 1..].iter().product();
    for k in 0..n.min(shown) {
        if k > 0 {
            out.push_str(", ");
        }
        if !last {
            format_nested(t, axis + 1, offset + k * stride, brief, out);
        } else if brief {
            out.push_str(&format_short(t.data[offset + k]));
        } else {
            out.push_str(&format_number(t.data[offset + k]));
        }
    }
    match (n > shown, brief) {
        (false, _) => {}
        (true, true) => out.push_str(", …"),
        (true, false) => {
            let _ = write!(out, ", … ({n} in all)");
        }
    }
    out.push(']');
}

/// Formats a value briefly, for a point shown once in a report of many components:
/// numbers in full, a small tensor in full, and a larger one as its first few values
/// on each axis (to four significant digits) and its shape (`[[0.1253, -0.06104, …],
/// …] (16×64)`).
pub fn format_value_brief(v: &Value) -> String {
    match v {
        Value::Tensor(t) if t.data.len() > 6 => {
            let mut s = String::new();
            format_nested(t, 0, 0, true, &mut s);
            let shape: Vec<String> = t.shape.iter().map(|n| n.to_string()).collect();
            let _ = write!(s, " ({})", shape.join("×"));
            s
        }
        _ => format_value(v),
    }
}

/// A number to four significant digits: whole numbers as they are, others in fixed
/// notation where that is short, else in scientific notation.
pub fn format_short(x: f64) -> String {
    if !x.is_finite() || (x == x.trunc() && x.abs() < 1e15) {
        return format_number(x);
    }
    let magnitude = x.abs().log10().floor();
    if (-3.0..5.0).contains(&magnitude) {
        let decimals = (3.0 - magnitude).max(0.0) as usize;
        let s = format!("{x:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        return s;
    }
    format!("{x:.3e}")
}
