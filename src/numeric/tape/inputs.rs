//! A tape's inputs: the values of its scalars, tensors and free indices at one point,
//! resolved once from [`Bindings`] and reused across runs.

use std::rc::Rc;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::node::Symbol;
use crate::expr::pool::Pool;
use crate::numeric::tape::Tape;
use crate::numeric::value::{Bindings, Tensor, Value, format_value};

/// Which input a perturbation applies to: a scalar, or one element of a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputRef {
    /// A scalar input, by name.
    Scalar(Symbol),
    /// An element of a tensor, by name and flat (row-major) offset.
    Element(Symbol, usize),
}

/// Values for a tape's inputs, resolved once and reused across runs.
#[derive(Clone, Debug)]
pub struct TapeInputs {
    /// The point, as `name = value` text, for error messages.
    pub(crate) point: String,
    pub(crate) scalars: Vec<f64>,
    pub(crate) tensors: Vec<Rc<Tensor>>,
    pub(crate) indices: Vec<(u32, usize)>,
}

impl Tape {
    /// Resolves bindings for this tape's inputs; an error names what is missing.
    pub fn inputs(&self, pool: &Pool, at: &Bindings) -> Result<TapeInputs> {
        let missing = |s: Symbol, what: &str| {
            Error::new(
                ErrorKind::Binding,
                format!("no value for the {what} `{}`", pool.name(s)),
            )
        };
        let mut scalars = Vec::with_capacity(self.scalars.len());
        for &s in &self.scalars {
            match at.get(s) {
                Some(Value::Scalar(x)) => scalars.push(*x),
                _ => return Err(missing(s, "scalar")),
            }
        }
        let mut tensors = Vec::with_capacity(self.tensors.len());
        for &s in &self.tensors {
            match at.get(s) {
                Some(Value::Tensor(t)) => tensors.push(t.clone()),
                _ => return Err(missing(s, "tensor")),
            }
        }
        let mut indices = Vec::new();
        for &(s, r) in &self.free_indices {
            match at.get(s) {
                Some(Value::Scalar(x)) if *x >= 0.0 && x.fract() == 0.0 => {
                    indices.push((r, *x as usize))
                }
                _ => return Err(missing(s, "index")),
            }
        }
        let names = self
            .scalars
            .iter()
            .chain(&self.tensors)
            .chain(self.free_indices.iter().map(|f| &f.0));
        let point = names
            .filter_map(|&s| {
                at.get(s)
                    .map(|v| format!("{} = {}", pool.name(s), format_value(v)))
            })
            .collect::<Vec<_>>()
            .join(", ");
        Ok(TapeInputs {
            point,
            scalars,
            tensors,
            indices,
        })
    }
}
