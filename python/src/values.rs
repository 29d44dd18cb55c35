//! `Session._check_values` and its report: a program's gradients, handed over as
//! bytes with their dtypes (or as dump files), checked against the spec.
//!
//! The Python side (`gauge/_arrays.py`) turns NumPy, JAX and torch arrays into
//! `(name, shape, dtype, bytes)`; here each becomes a library `Array`, so that the
//! dtype sets the tolerance as a dump file's does. The report's classes carry the
//! same table the text report prints, as Python values.

use gauge::api::values::{Array, ComponentResult, DumpResult, LossResult, ParamResult};
use gauge::options::{Output, ValuesOptions};
use gauge::{Format, ValuesReport};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

use crate::errors::guard;
use crate::expr::{py_quote, rendered};

/// One dump as Python gives it: `("files", values, grads_or_None)` or
/// `("arrays", source, [(name, shape, dtype, bytes), ...])`.
pub type DumpArg<'py> = Bound<'py, PyTuple>;

/// The options of a check of these dumps.
pub fn options(
    py: Python<'_>,
    dumps: Vec<DumpArg<'_>>,
    rtol: Option<f64>,
    compute: Option<&str>,
    only: Option<Vec<String>>,
    summary_only: bool,
) -> PyResult<ValuesOptions> {
    let mut opts: Option<ValuesOptions> = None;
    for d in &dumps {
        let kind: String = d.get_item(0)?.extract()?;
        match kind.as_str() {
            "files" => {
                let values: std::path::PathBuf = d.get_item(1)?.extract()?;
                let grads: Option<std::path::PathBuf> = d.get_item(2)?.extract()?;
                let mut o = match opts {
                    None => ValuesOptions::new(&values),
                    Some(o) => o.with_values(&values),
                };
                if let Some(g) = grads {
                    o = o.with_grads(g);
                }
                opts = Some(o);
            }
            "arrays" => {
                let source: String = d.get_item(1)?.extract()?;
                let arrays = arrays(py, &d.get_item(2)?)?;
                opts = Some(match opts {
                    None => ValuesOptions::from_arrays(&source, arrays),
                    Some(o) => o.with_arrays(&source, arrays),
                });
            }
            other => {
                return Err(PyValueError::new_err(format!(
                    "a dump is \"files\" or \"arrays\", not {other:?}"
                )));
            }
        }
    }
    let Some(mut opts) = opts else {
        return Err(PyValueError::new_err("no dump to check"));
    };
    if let Some(r) = rtol {
        if !(r > 0.0 && r.is_finite()) {
            return Err(PyValueError::new_err(format!(
                "rtol={r} is not a positive number; give a relative tolerance such as 1e-5"
            )));
        }
        opts = opts.with_rtol(r);
    }
    if let Some(c) = compute {
        opts = guard(py, || opts.with_compute(c))?;
    }
    if let Some(names) = &only {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        opts = opts.with_only(&names);
    }
    Ok(opts.with_summary_only(summary_only))
}

/// The arrays of one dump: `(name, shape, dtype, bytes)` each.
fn arrays(py: Python<'_>, list: &Bound<'_, PyAny>) -> PyResult<Vec<Array>> {
    let mut out = Vec::new();
    for item in list.try_iter()? {
        let item = item?;
        let t = item
            .cast::<PyTuple>()
            .map_err(|_| PyTypeError::new_err("an array is (name, shape, dtype, bytes)"))?;
        let name: String = t.get_item(0)?.extract()?;
        let shape: Vec<usize> = t.get_item(1)?.extract()?;
        let dtype: String = t.get_item(2)?.extract()?;
        let data = t.get_item(3)?;
        let bytes = data
            .cast::<PyBytes>()
            .map_err(|_| PyTypeError::new_err("an array's data is bytes"))?;
        out.push(guard(py, || {
            Array::from_le_bytes(&name, &shape, &dtype, bytes.as_bytes())
        })?);
    }
    Ok(out)
}

/// One component of a gradient, compared.
#[pyclass(name = "Component", module = "gauge", frozen, get_all)]
pub struct PyComponent {
    /// Its position, one index per axis.
    index: Py<PyTuple>,
    /// The program's value.
    got: f64,
    /// The spec's value (``None`` at a kink, where ``kink`` holds the range).
    want: Option<f64>,
    /// At a kink, the one-sided derivatives, smaller first.
    kink: Option<(f64, f64)>,
    /// The bound the difference must stay within.
    bound: f64,
    /// The relative error.
    rel_error: f64,
    /// Whether it passes.
    passed: bool,
}

#[pymethods]
impl PyComponent {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let want = match (self.want, self.kink) {
            (_, Some((lo, hi))) => format!("{lo:?}..{hi:?}"),
            (Some(w), None) => format!("{w:?}"),
            (None, None) => "undefined".to_string(),
        };
        Ok(format!(
            "Component(index={}, got={:?}, want={want}, rel_error={:.3e}, passed={})",
            self.index.bind(py).repr()?,
            self.got,
            self.rel_error,
            if self.passed { "True" } else { "False" }
        ))
    }
}

/// One parameter's gradient check in one dump: its row of the report.
///
/// Attributes
/// ----------
/// name : str
/// shape : tuple of int
/// dtype : str
///     The gradient's dtype, which sets its tolerance.
/// verdict : str
///     ``"passed"``, ``"failed"`` or ``"vacuous"`` (the correct gradient is within
///     rounding of 0 everywhere, so nothing was compared).
/// worst : Component or None
///     The worst component.
/// scale : float or None
///     A systematic ``got ≈ scale * want`` beyond rounding.
/// kinks : int
///     How many components sit on a kink (any subgradient passes there).
/// explanation : str or None
///     The mistake named, for a failing gradient (``got/want = 16 = N everywhere:
///     missing 1/N``).
#[pyclass(name = "ParamCheck", module = "gauge", frozen, get_all)]
pub struct PyParamCheck {
    name: String,
    shape: Py<PyTuple>,
    dtype: &'static str,
    verdict: &'static str,
    worst: Option<Py<PyComponent>>,
    scale: Option<f64>,
    kinks: usize,
    explanation: Option<String>,
}

#[pymethods]
impl PyParamCheck {
    /// Whether the verdict is ``passed``.
    #[getter]
    fn passed(&self) -> bool {
        self.verdict == "passed"
    }

    fn __repr__(&self) -> String {
        let why = self
            .explanation
            .as_ref()
            .map_or(String::new(), |e| format!(": {e}"));
        format!(
            "ParamCheck({}, {}{why})",
            py_quote(&self.name),
            self.verdict
        )
    }
}

/// The check of a dump's loss value.
#[pyclass(name = "LossCheck", module = "gauge", frozen, get_all)]
pub struct PyLossCheck {
    got: f64,
    want: f64,
    bound: f64,
    dtype: &'static str,
    passed: bool,
    explanation: Option<String>,
}

#[pymethods]
impl PyLossCheck {
    fn __repr__(&self) -> String {
        format!(
            "LossCheck(got={:?}, want={:?}, passed={})",
            self.got,
            self.want,
            if self.passed { "True" } else { "False" }
        )
    }
}

/// One dump's checks.
///
/// Attributes
/// ----------
/// source : str
///     The dump's file, or the name given to a dump of arrays (``dump 1``, ...).
/// lengths : dict of str to int
///     The named lengths read from the arrays' shapes.
/// loss : LossCheck or None
/// params : list of ParamCheck
/// unused : list of str
///     Arrays the spec does not use.
#[pyclass(name = "DumpCheck", module = "gauge", frozen, get_all)]
pub struct PyDumpCheck {
    source: String,
    lengths: Py<PyDict>,
    loss: Option<Py<PyLossCheck>>,
    params: Vec<Py<PyParamCheck>>,
    unused: Vec<String>,
}

#[pymethods]
impl PyDumpCheck {
    fn __repr__(&self) -> String {
        format!(
            "DumpCheck({}, {} params)",
            py_quote(&self.source),
            self.params.len()
        )
    }
}

fn component(py: Python<'_>, c: &ComponentResult) -> PyResult<Py<PyComponent>> {
    Py::new(
        py,
        PyComponent {
            index: PyTuple::new(py, &c.index)?.unbind(),
            got: c.got,
            want: (!c.want.is_nan()).then_some(c.want),
            kink: c.kink,
            bound: c.bound,
            rel_error: c.rel_error,
            passed: c.passed,
        },
    )
}

fn param(py: Python<'_>, p: &ParamResult) -> PyResult<Py<PyParamCheck>> {
    let worst = p.worst.as_ref().map(|c| component(py, c)).transpose()?;
    Py::new(
        py,
        PyParamCheck {
            name: p.name.clone(),
            shape: PyTuple::new(py, &p.shape)?.unbind(),
            dtype: p.dtype,
            verdict: p.verdict,
            worst,
            scale: p.scale,
            kinks: p.kinks,
            explanation: p.explanation.clone(),
        },
    )
}

fn loss(py: Python<'_>, l: &LossResult) -> PyResult<Py<PyLossCheck>> {
    Py::new(
        py,
        PyLossCheck {
            got: l.got,
            want: l.want,
            bound: l.bound,
            dtype: l.dtype,
            passed: l.passed,
            explanation: l.explanation.clone(),
        },
    )
}

fn dump(py: Python<'_>, d: &DumpResult) -> PyResult<Py<PyDumpCheck>> {
    let lengths = PyDict::new(py);
    for (n, v) in &d.lengths {
        lengths.set_item(n, v)?;
    }
    let params = d
        .params
        .iter()
        .map(|p| param(py, p))
        .collect::<PyResult<Vec<_>>>()?;
    Py::new(
        py,
        PyDumpCheck {
            source: d.source.clone(),
            lengths: lengths.unbind(),
            loss: d.loss.as_ref().map(|l| loss(py, l)).transpose()?,
            params,
            unused: d.unused.clone(),
        },
    )
}

/// The report of ``gauge.check``: a program's gradients against the spec's.
///
/// ``str(report)`` is the table ``gauge check SPEC --values`` prints: per dump, the
/// loss value's check and one row per parameter (shape, dtype, worst component,
/// relative error, verdict), then each failing gradient's named mistake.
///
/// Attributes
/// ----------
/// passed : bool
///     Whether the loss value and every gradient agree with the spec (also ``ok``).
/// spec : str
///     The spec's loss, as canonical text.
/// verdicts : dict of str to str
///     Each parameter's verdict over every dump: ``failed`` if it failed in one,
///     else ``vacuous`` if it compared nothing in one, else ``passed``.
/// explanations : dict of str to str
///     Each failing parameter's mistake: what holds in every dump when several were
///     given (a ratio that is a length in each), else the first dump's.
/// dumps : list of DumpCheck
#[pyclass(name = "ValuesReport", module = "gauge", unsendable)]
pub struct PyValuesReport {
    /// The library's report, for the JSON rendering, made when asked (it lists every
    /// component).
    inner: ValuesReport,
    text: String,
    passed: bool,
    spec: String,
    verdicts: Vec<(String, &'static str)>,
    explanations: Vec<(String, String)>,
    dumps: Vec<Py<PyDumpCheck>>,
}

impl PyValuesReport {
    /// Wraps the library's report, rendering it once.
    pub fn new(py: Python<'_>, r: ValuesReport) -> PyResult<PyValuesReport> {
        let results = r.dumps();
        let mut verdicts: Vec<(String, &'static str)> = Vec::new();
        for (name, v) in r.verdicts() {
            match verdicts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, seen)) => *seen = worse(seen, v),
                None => verdicts.push((name, v)),
            }
        }
        let mut explanations = r.explanations_across();
        for (name, e) in r.explanations() {
            if !explanations.iter().any(|(n, _)| *n == name) {
                explanations.push((name, e));
            }
        }
        Ok(PyValuesReport {
            text: r.render(&Output::new(Format::Text)),
            passed: r.passed(),
            spec: r.spec().to_string(),
            verdicts,
            explanations,
            dumps: results
                .iter()
                .map(|d| dump(py, d))
                .collect::<PyResult<Vec<_>>>()?,
            inner: r,
        })
    }
}

/// The worse of two verdicts of one parameter in two dumps.
fn worse(a: &'static str, b: &'static str) -> &'static str {
    let rank = |v: &str| match v {
        "failed" => 2,
        "vacuous" => 1,
        _ => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}

#[pymethods]
impl PyValuesReport {
    /// Whether the loss value and every gradient agree with the spec.
    #[getter]
    fn passed(&self) -> bool {
        self.passed
    }

    /// The same as ``passed``.
    #[getter]
    fn ok(&self) -> bool {
        self.passed
    }

    /// The spec's loss, as canonical text.
    #[getter]
    fn spec(&self) -> &str {
        &self.spec
    }

    /// Each parameter's verdict over every dump.
    #[getter]
    fn verdicts(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let d = PyDict::new(py);
        for (n, v) in &self.verdicts {
            d.set_item(n, v)?;
        }
        Ok(d.unbind())
    }

    /// Each failing parameter's named mistake.
    #[getter]
    fn explanations(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let d = PyDict::new(py);
        for (n, e) in &self.explanations {
            d.set_item(n, e)?;
        }
        Ok(d.unbind())
    }

    /// Each dump's checks.
    #[getter]
    fn dumps(&self, py: Python<'_>) -> Vec<Py<PyDumpCheck>> {
        self.dumps.iter().map(|d| d.clone_ref(py)).collect()
    }

    /// The report as ``gauge check --format json`` prints it.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        rendered(py, |o| self.inner.render(o), Format::Json, false, None)
    }

    fn __str__(&self) -> &str {
        &self.text
    }

    fn __repr__(&self) -> String {
        let rows: Vec<String> = self
            .verdicts
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect();
        format!(
            "ValuesReport({}; {}; {} dump{})",
            if self.passed { "passed" } else { "FAILED" },
            rows.join(", "),
            self.dumps.len(),
            if self.dumps.len() == 1 { "" } else { "s" }
        )
    }

    /// IPython shows the report's table rather than its repr.
    fn _repr_pretty_(&self, p: &Bound<'_, PyAny>, _cycle: bool) -> PyResult<()> {
        p.call_method1("text", (self.text.trim_end(),))?;
        Ok(())
    }
}
