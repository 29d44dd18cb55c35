//! `gauge.Proofs`, `gauge.Claim` and `gauge.Counterexample`: the outcomes of claims,
//! rendered exactly as `gauge prove` prints them.

use gauge::Format;
use pyo3::exceptions::{PyIndexError, PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::expr::{PyExpr, PyStep, py_quote, rendered, rendered_markdown};

/// Where a refuted claim's two sides differ, certified in interval arithmetic.
#[pyclass(name = "Counterexample", module = "gauge", frozen, get_all)]
pub struct PyCounterexample {
    /// The point: each name with its value as text (it reads back exactly).
    point: Py<PyDict>,
    /// The left side's value there.
    lhs: f64,
    /// The right side's value there, or ``None`` where it is undefined.
    rhs: Option<f64>,
    /// ``lhs - rhs``, where both sides are defined.
    difference: Option<f64>,
    /// The precision of the interval arithmetic that certified it, in bits.
    bits: usize,
}

#[pymethods]
impl PyCounterexample {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let point = self.point.bind(py).repr()?;
        let rhs = self.rhs.map_or("None".to_string(), |r| format!("{r:?}"));
        Ok(format!(
            "Counterexample(point={point}, lhs={:?}, rhs={rhs})",
            self.lhs
        ))
    }
}

/// One claim's outcome.
///
/// Attributes
/// ----------
/// verdict : str
///     ``"proved"`` (by sound rewriting), ``"confirmed"`` (no proof, but the sides
///     agree in certified arithmetic at every point tried), ``"refuted"`` (with a
///     counterexample) or ``"error"`` (it could not be decided).
/// name : str or None
/// line : int
/// lhs, rhs : Expr
/// counterexample : Counterexample or None
/// steps : list of Step
///     The proof, for a proved claim: the expressions after ``start``, with rules.
/// start : Expr or None
///     The first expression of the proof.
/// error : str or None
///     Why the claim could not be decided.
#[pyclass(name = "Claim", module = "gauge", unsendable)]
pub struct PyClaim {
    inner: gauge::ClaimReport,
}

#[pymethods]
impl PyClaim {
    /// ``proved``, ``confirmed``, ``refuted`` or ``error``.
    #[getter]
    fn verdict(&self) -> &'static str {
        self.inner.verdict().name()
    }

    /// The claim's name, if it has one.
    #[getter]
    fn name(&self) -> Option<String> {
        self.inner.name().map(str::to_string)
    }

    /// The line the claim starts on, from 1.
    #[getter]
    fn line(&self) -> usize {
        self.inner.line()
    }

    /// The left side.
    #[getter]
    fn lhs(&self) -> PyExpr {
        PyExpr::new(self.inner.lhs())
    }

    /// The right side.
    #[getter]
    fn rhs(&self) -> PyExpr {
        PyExpr::new(self.inner.rhs())
    }

    /// Whether the verdict is ``proved`` or ``confirmed``.
    #[getter]
    fn ok(&self) -> bool {
        matches!(
            self.inner.verdict(),
            gauge::Verdict::Proved | gauge::Verdict::Confirmed
        )
    }

    /// The counterexample of a refuted claim.
    #[getter]
    fn counterexample(&self, py: Python<'_>) -> PyResult<Option<PyCounterexample>> {
        let Some(c) = self.inner.counterexample() else {
            return Ok(None);
        };
        let point = PyDict::new(py);
        for (n, v) in &c.point {
            point.set_item(n, v)?;
        }
        Ok(Some(PyCounterexample {
            point: point.unbind(),
            lhs: c.lhs,
            rhs: c.rhs,
            difference: c.difference,
            bits: c.bits,
        }))
    }

    /// The first expression of the proof, for a proved claim.
    #[getter]
    fn start(&self) -> Option<PyExpr> {
        self.inner.proof().map(|(first, _)| PyExpr::new(first))
    }

    /// The steps of the proof, for a proved claim (empty otherwise).
    #[getter]
    fn steps(&self, py: Python<'_>) -> PyResult<Vec<PyStep>> {
        match self.inner.proof() {
            Some((_, steps)) => steps.iter().map(|s| PyStep::new(py, s)).collect(),
            None => Ok(Vec::new()),
        }
    }

    /// Why the claim could not be decided, for the verdict ``error``.
    #[getter]
    fn error(&self) -> Option<String> {
        self.inner.error().map(str::to_string)
    }

    /// The outcome as ``gauge prove --format latex`` prints it: the derivation as an
    /// ``align*`` environment; ``indices`` is ``"subscript"`` or ``"brackets"`` (see
    /// ``Expr.latex``).
    #[pyo3(signature = (*, indices = None))]
    fn latex(&self, py: Python<'_>, indices: Option<&str>) -> PyResult<String> {
        rendered(py, |o| self.inner.render(o), Format::Latex, false, indices)
    }

    /// The outcome as ``gauge prove --format json`` prints it.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        rendered(py, |o| self.inner.render(o), Format::Json, false, None)
    }

    /// The outcome as ``gauge prove --format markdown`` prints it.
    #[pyo3(signature = (*, indices = None))]
    fn markdown(&self, py: Python<'_>, indices: Option<&str>) -> PyResult<String> {
        rendered_markdown(py, |o| self.inner.render(o), false, indices)
    }

    fn __str__(&self, py: Python<'_>) -> PyResult<String> {
        rendered(py, |o| self.inner.render(o), Format::Text, false, None)
    }

    fn __repr__(&self) -> String {
        let name = self
            .inner
            .name()
            .map_or(String::new(), |n| format!("{}, ", py_quote(n)));
        format!(
            "Claim({name}{} = {}: {})",
            self.inner.lhs(),
            self.inner.rhs(),
            self.inner.verdict().name()
        )
    }
}

/// The outcomes of the claims of a file or text, in order: a list of ``Claim`` s.
///
/// ``str()`` is the table ``gauge prove`` prints, ``to_json()`` and ``latex()`` its
/// other formats. Index by position or by a claim's name.
#[pyclass(name = "Proofs", module = "gauge", unsendable)]
pub struct PyProofs {
    inner: gauge::results::Proofs,
    claims: Vec<Py<PyClaim>>,
}

impl PyProofs {
    /// Wraps the library's outcomes.
    pub fn new(py: Python<'_>, inner: gauge::results::Proofs) -> PyResult<PyProofs> {
        let claims = inner
            .claims()
            .iter()
            .map(|c| Py::new(py, PyClaim { inner: c.clone() }))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyProofs { inner, claims })
    }
}

#[pymethods]
impl PyProofs {
    fn __len__(&self) -> usize {
        self.claims.len()
    }

    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyClaim>> {
        if let Ok(k) = key.extract::<isize>() {
            let n = self.claims.len() as isize;
            let at = if k < 0 { k + n } else { k };
            return usize::try_from(at)
                .ok()
                .and_then(|a| self.claims.get(a))
                .map(|c| c.clone_ref(py))
                .ok_or_else(|| PyIndexError::new_err(format!("claim {k} of {n}")));
        }
        if let Ok(name) = key.extract::<String>() {
            return self
                .claims
                .iter()
                .find(|c| c.borrow(py).inner.name() == Some(name.as_str()))
                .map(|c| c.clone_ref(py))
                .ok_or_else(|| PyKeyError::new_err(name));
        }
        Err(PyTypeError::new_err("index claims by position or by name"))
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let list = pyo3::types::PyList::new(py, self.claims.iter().map(|c| c.clone_ref(py)))?;
        Ok(list.try_iter()?.into_any().unbind())
    }

    /// Whether no claim is refuted or failed (every one proved or confirmed).
    #[getter]
    fn ok(&self) -> bool {
        self.inner.claims().iter().all(|c| {
            matches!(
                c.verdict(),
                gauge::Verdict::Proved | gauge::Verdict::Confirmed
            )
        })
    }

    /// Whether every claim is proved.
    #[getter]
    fn all_proved(&self) -> bool {
        !self.inner.any(gauge::Verdict::Confirmed)
            && !self.inner.any(gauge::Verdict::Refuted)
            && !self.inner.any(gauge::Verdict::Error)
    }

    /// Each claim's verdict, by name (or ``line N`` for a claim without one).
    #[getter]
    fn verdicts(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let d = PyDict::new(py);
        for c in self.inner.claims() {
            let key = c
                .name()
                .map_or_else(|| format!("line {}", c.line()), str::to_string);
            d.set_item(key, c.verdict().name())?;
        }
        Ok(d.unbind())
    }

    /// The outcomes as ``gauge prove --format latex`` prints them; ``indices`` is
    /// ``"subscript"`` or ``"brackets"`` (see ``Expr.latex``).
    #[pyo3(signature = (*, indices = None))]
    fn latex(&self, py: Python<'_>, indices: Option<&str>) -> PyResult<String> {
        rendered(py, |o| self.inner.render(o), Format::Latex, false, indices)
    }

    /// The outcomes as ``gauge prove --format json`` prints them.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        rendered(py, |o| self.inner.render(o), Format::Json, false, None)
    }

    /// The outcomes as ``gauge prove --format markdown`` prints them.
    #[pyo3(signature = (*, indices = None))]
    fn markdown(&self, py: Python<'_>, indices: Option<&str>) -> PyResult<String> {
        rendered_markdown(py, |o| self.inner.render(o), false, indices)
    }

    fn __str__(&self, py: Python<'_>) -> PyResult<String> {
        rendered(py, |o| self.inner.render(o), Format::Text, false, None)
    }

    fn __repr__(&self) -> String {
        let parts: Vec<String> = self
            .inner
            .claims()
            .iter()
            .map(|c| {
                let who = c
                    .name()
                    .map_or_else(|| format!("line {}", c.line()), str::to_string);
                format!("{who}: {}", c.verdict().name())
            })
            .collect();
        format!("Proofs([{}])", parts.join(", "))
    }
}
