//! `gauge.Code` and `gauge.Arg`: generated `value_and_grad` functions and their
//! arguments.

use std::ffi::CString;

use gauge::results::ArgKind;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::expr::py_quote;

/// An argument of a generated function.
///
/// Attributes
/// ----------
/// name : str
///     Its name in gauge's language.
/// code : str
///     Its name in the generated code (renamed where the target reserves the name).
/// kind : str
///     ``"scalar"``, ``"label"`` (a class number) or ``"tensor"``.
/// rank : int
///     The number of axes (0 for a scalar or a label).
/// labels : bool
///     Whether it holds class numbers (labels) rather than real numbers.
#[pyclass(name = "Arg", module = "gauge", frozen, get_all)]
pub struct PyArg {
    name: String,
    code: String,
    kind: &'static str,
    rank: usize,
    labels: bool,
}

#[pymethods]
impl PyArg {
    fn __repr__(&self) -> String {
        format!(
            "Arg({}, kind={}, rank={})",
            py_quote(&self.name),
            py_quote(self.kind),
            self.rank
        )
    }
}

/// Generated code: ``value_and_grad(args...)``, which returns the value and the
/// gradients, as ``jax.value_and_grad`` does.
///
/// Attributes
/// ----------
/// text : str
///     The source text (also ``str(code)``).
/// target : str
///     ``"numpy"``, ``"jax"``, ``"torch"`` or ``"rust"``.
/// args : list of Arg
///     The function's arguments, in order.
#[pyclass(name = "Code", module = "gauge", frozen, get_all)]
pub struct PyCode {
    text: String,
    target: String,
    args: Vec<Py<PyArg>>,
}

impl PyCode {
    /// Wraps generated code.
    pub fn new(py: Python<'_>, code: &gauge::results::Code, target: &str) -> PyResult<PyCode> {
        let args = code
            .args()
            .iter()
            .map(|a| {
                let (kind, rank, labels) = match &a.kind {
                    ArgKind::Scalar => ("scalar", 0, false),
                    ArgKind::Label { .. } => ("label", 0, true),
                    ArgKind::Tensor { dims, labels } => ("tensor", dims.len(), labels.is_some()),
                };
                let arg = PyArg {
                    name: a.name.clone(),
                    code: a.code.clone(),
                    kind,
                    rank,
                    labels,
                };
                Py::new(py, arg)
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyCode {
            text: code.text().to_string(),
            target: target.to_string(),
            args,
        })
    }
}

#[pymethods]
impl PyCode {
    /// The generated ``value_and_grad``, ready to call: the code run in a namespace
    /// of its own (it imports its framework itself).
    ///
    /// Returns
    /// -------
    /// callable
    ///     ``value_and_grad(*args) -> (value, *grads)``.
    ///
    /// Raises
    /// ------
    /// ValueError
    ///     For Rust code, which Python cannot run.
    fn function(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        if self.target == "rust" {
            return Err(PyValueError::new_err(
                "Rust code is compiled, not run by Python: use .text",
            ));
        }
        let code = CString::new(self.text.as_str())
            .map_err(|_| PyValueError::new_err("the generated code holds a NUL byte"))?;
        let namespace = PyDict::new(py);
        py.run(&code, Some(&namespace), None)?;
        match namespace.get_item("value_and_grad")? {
            Some(f) => Ok(f.unbind()),
            None => Err(PyValueError::new_err(
                "the generated code defines no value_and_grad",
            )),
        }
    }

    fn __str__(&self) -> &str {
        &self.text
    }

    fn __repr__(&self) -> String {
        let names: Vec<String> = self.args.iter().map(|a| py_quote(&a.get().code)).collect();
        format!(
            "Code(target={}, args=[{}], {} lines)",
            py_quote(&self.target),
            names.join(", "),
            self.text.lines().count()
        )
    }
}
