//! The Rust side of `gauge.verify_backward`: `_Trace`, whose methods build one node
//! per operation the traced NumPy code makes, and `_BackwardCheck` with its
//! `BackwardReport`.
//!
//! The Python tracer (`gauge/_trace.py`) holds handles (ints) into a trace; every
//! arithmetic operation of a traced element is one call here, so these methods only
//! convert and call the library facade (`gauge::Trace`, `gauge::BackwardCheck`).

use gauge::api::backward::Run;
use gauge::options::Output;
use gauge::{BackwardCheck, BackwardReport, Format, Trace};
use pyo3::prelude::*;

use crate::errors::guard;

/// A traced program: handles (ints) to its values, with their values at the drawn
/// point.
#[pyclass(name = "_Trace", module = "gauge._gauge", unsendable)]
pub struct PyTrace {
    inner: Trace,
}

#[pymethods]
impl PyTrace {
    #[new]
    #[pyo3(signature = (seed=0))]
    fn new(py: Python<'_>, seed: u64) -> PyResult<PyTrace> {
        guard(py, || Trace::new(seed)).map(|inner| PyTrace { inner })
    }

    /// The handles of a new input's elements, row-major.
    #[pyo3(signature = (name, shape, positive=false))]
    fn input(
        &mut self,
        py: Python<'_>,
        name: &str,
        shape: Vec<usize>,
        positive: bool,
    ) -> PyResult<Vec<u32>> {
        guard(py, || self.inner.input(name, &shape, positive))
    }

    /// A constant's handle.
    fn constant(&mut self, py: Python<'_>, x: f64) -> PyResult<u32> {
        guard(py, || self.inner.constant(x))
    }

    /// `a op b` (`add`, `sub`, `mul`, `div`, `pow`).
    fn binary(&mut self, py: Python<'_>, op: &str, a: u32, b: u32) -> PyResult<u32> {
        guard(py, || self.inner.binary(op, a, b))
    }

    /// `-a`.
    fn neg(&mut self, py: Python<'_>, a: u32) -> PyResult<u32> {
        guard(py, || self.inner.neg(a))
    }

    /// A function of one argument by its NumPy name.
    fn func(&mut self, py: Python<'_>, name: &str, a: u32) -> PyResult<u32> {
        guard(py, || self.inner.func(name, a))
    }

    /// `|a|`, as the branch the drawn point is on.
    fn abs(&mut self, py: Python<'_>, a: u32) -> PyResult<u32> {
        guard(py, || self.inner.abs(a))
    }

    /// Whether `a op b` holds at the drawn point; the condition is kept.
    fn compare(&mut self, py: Python<'_>, a: u32, op: &str, b: u32) -> PyResult<bool> {
        guard(py, || self.inner.compare(a, op, b))
    }

    /// A handle's value at the drawn point.
    fn value(&self, py: Python<'_>, a: u32) -> PyResult<f64> {
        guard(py, || self.inner.value(a))
    }

    /// A handle's expression, as text.
    fn text(&self, py: Python<'_>, a: u32) -> PyResult<String> {
        guard(py, || self.inner.text(a))
    }

    /// How many branch conditions the program took so far.
    fn conditions(&self) -> usize {
        self.inner.conditions()
    }
}

/// One array as the tracer hands it over: name, shape, handles.
type ArrayArg = (String, Vec<usize>, Vec<u32>);

/// A check of a backward pass over several traced instances.
#[pyclass(name = "_BackwardCheck", module = "gauge._gauge", unsendable)]
pub struct PyBackwardCheck {
    inner: BackwardCheck,
}

#[pymethods]
impl PyBackwardCheck {
    #[new]
    fn new() -> PyBackwardCheck {
        PyBackwardCheck {
            inner: BackwardCheck::new(),
        }
    }

    /// Decides one traced run: sizes, the loss, the gradients, the named arrays, the
    /// labels and the in-place updates (see `gauge::api::backward::Run`).
    #[allow(clippy::too_many_arguments)]
    fn add_instance(
        &mut self,
        py: Python<'_>,
        trace: &mut PyTrace,
        sizes: Vec<(String, usize)>,
        loss: u32,
        grads: Vec<ArrayArg>,
        named: Vec<ArrayArg>,
        labels: Vec<(String, Vec<usize>, Vec<i64>)>,
        updates: Vec<(String, usize, String)>,
    ) -> PyResult<()> {
        let run = Run {
            sizes,
            loss,
            grads,
            named,
            labels,
            updates,
        };
        guard(py, || self.inner.add_instance(&mut trace.inner, run))
    }

    /// Judges sampled elements of the program's float64 gradient at a realistic
    /// shape: `(input, index, got, [f(x), f(x+h), f(x-h), f(x+h/2), f(x-h/2)], h)`.
    fn add_numeric(
        &mut self,
        sizes: Vec<(String, usize)>,
        point: &str,
        probes: Vec<gauge::api::backward::NumericProbe>,
    ) {
        self.inner.add_numeric(sizes, point, probes);
    }

    /// The report so far.
    fn report(&self) -> PyBackwardReport {
        PyBackwardReport {
            inner: self.inner.report(),
        }
    }
}

/// The report of `gauge.verify_backward`, as the library renders it.
#[pyclass(name = "_BackwardReport", module = "gauge._gauge", unsendable)]
pub struct PyBackwardReport {
    inner: BackwardReport,
}

#[pymethods]
impl PyBackwardReport {
    /// Whether every gradient is proved.
    #[getter]
    fn ok(&self) -> bool {
        self.inner.ok()
    }

    /// `(name, status, explanation, ratio)` per input.
    fn inputs(&self) -> Vec<(String, String, Option<String>, Option<String>)> {
        self.inner
            .inputs()
            .iter()
            .map(|i| {
                (
                    i.name.clone(),
                    i.status.name().to_string(),
                    i.explanation.clone(),
                    i.ratio.clone(),
                )
            })
            .collect()
    }

    /// The report as `text`, `json`, `latex` or `markdown` (made from the LaTeX, as
    /// `--format markdown` is).
    fn render(&self, format: &str) -> PyResult<String> {
        let f = match format {
            "text" => Format::Text,
            "json" => Format::Json,
            "latex" | "markdown" => Format::Latex,
            other => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "the format is \"text\", \"json\", \"latex\" or \"markdown\", not {other:?}"
                )));
            }
        };
        let out = Output::new(f);
        let rendered = self.inner.render(&out);
        Ok(if format == "markdown" {
            out.markdown(&rendered)
        } else {
            rendered
        })
    }
}

/// Adds the tracer's classes to the `_gauge` module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTrace>()?;
    m.add_class::<PyBackwardCheck>()?;
    m.add_class::<PyBackwardReport>()?;
    Ok(())
}
