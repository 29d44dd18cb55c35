//! `gauge.Eml` and `gauge.EmlTable`: a formula as a pure EML DAG (`gauge eml`), and the
//! table of EML forms against the paper's sizes (`gauge eml-table`).
//!
//! Both are rendered once, when made: the library's report shares its workspace (an
//! `Rc`), and keeping only its numbers and texts lets these classes be frozen and used
//! from any thread.

use gauge::Format;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt};

use crate::errors::guard;
use crate::expr::{py_quote, rendered};

/// A formula (or its derivative) compiled to a pure EML DAG over ``1`` and its
/// variables, where ``eml(x, y) = exp(x) - ln(y)``, and audited against the formula in
/// ``f64`` and certified arithmetic, as ``gauge eml`` reports it.
///
/// ``str(e)`` is the report ``gauge eml`` prints, ``e.latex()`` the DAG as LaTeX,
/// ``e.to_json()`` the report as ``gauge eml --format json`` prints it.
///
/// Attributes
/// ----------
/// expr : str
///     The formula, as given.
/// diff : str or None
///     The variable of the derivative compiled instead of the formula, if any.
/// k : int
///     The paper's size ``K``: the length of the tree written out in reverse Polish
///     notation (leaves plus ``eml`` nodes). Exact: it can exceed any machine integer.
/// depth : int
///     The depth in ``eml`` levels.
/// nodes : int
///     The distinct nodes of the DAG.
/// nested : str or None
///     The tree as nested ``eml(...)`` text, or ``None`` when it is too long to write
///     out (see ``bindings``).
/// bindings : list of (str, str)
///     The DAG's shared subtrees as ``(name, eml)`` pairs, in order; each may use the
///     names before it.
/// result : str
///     The whole DAG over the names of ``bindings`` (the nested text when there are
///     none).
/// domain : list of str
///     Where the form is right, one condition each; empty for wherever the formula is
///     defined.
/// verified : bool
///     Whether the audit found no wrong value and nothing unsure.
/// audit : dict
///     The audit's counts: ``checked`` (points), ``wrong_f64``, ``wrong_certified``
///     and ``unsure``.
///
/// Examples
/// --------
/// >>> import gauge
/// >>> e = gauge.Session().eml("exp(x)")
/// >>> e
/// Eml('exp(x)', k=3, depth=1, nodes=3, verified=True)
/// >>> e.nested
/// 'eml(x, 1)'
/// >>> gauge.Session().eml("x*y").domain
/// ['x not in (-inf, 0]', 'y not in (-inf, 0]']
#[pyclass(name = "Eml", module = "gauge", frozen)]
pub struct PyEml {
    #[pyo3(get)]
    expr: String,
    #[pyo3(get)]
    diff: Option<String>,
    #[pyo3(get)]
    k: Py<PyInt>,
    #[pyo3(get)]
    depth: u32,
    #[pyo3(get)]
    nodes: usize,
    #[pyo3(get)]
    nested: Option<String>,
    #[pyo3(get)]
    bindings: Vec<(String, String)>,
    #[pyo3(get)]
    result: String,
    #[pyo3(get)]
    domain: Vec<String>,
    #[pyo3(get)]
    verified: bool,
    /// Points checked, wrong in `f64`, certified wrong, unsure.
    counts: (usize, usize, usize, usize),
    text: String,
    latex: String,
    json: String,
}

impl PyEml {
    /// Wraps the library's report, rendering it once.
    pub fn new(
        py: Python<'_>,
        r: &gauge::EmlReport,
        expr: &str,
        diff: Option<&str>,
    ) -> PyResult<PyEml> {
        // `K` arrives in decimal; Python's `int` reads it exactly, however long.
        let k = py
            .get_type::<PyInt>()
            .call1((r.k(),))?
            .cast_into::<PyInt>()?;
        let (bindings, result) = r.bindings();
        Ok(PyEml {
            expr: expr.to_string(),
            diff: diff.map(str::to_string),
            k: k.unbind(),
            depth: r.depth(),
            nodes: r.nodes(),
            nested: r.nested(),
            bindings,
            result,
            domain: r.domain().to_vec(),
            verified: r.verified(),
            counts: r.audit_counts(),
            text: rendered(py, |o| r.render(o), Format::Text, false, None)?,
            latex: rendered(py, |o| r.render(o), Format::Latex, false, None)?,
            json: rendered(py, |o| r.render(o), Format::Json, false, None)?,
        })
    }
}

#[pymethods]
impl PyEml {
    /// The audit's counts: ``checked``, ``wrong_f64``, ``wrong_certified``, ``unsure``.
    #[getter]
    fn audit(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let (checked, wrong_f64, wrong_certified, unsure) = self.counts;
        let d = PyDict::new(py);
        d.set_item("checked", checked)?;
        d.set_item("wrong_f64", wrong_f64)?;
        d.set_item("wrong_certified", wrong_certified)?;
        d.set_item("unsure", unsure)?;
        Ok(d.unbind())
    }

    /// The DAG as ``gauge eml --format latex`` prints it: the nested form, or an
    /// ``aligned`` block of the bindings and the result.
    fn latex(&self) -> &str {
        &self.latex
    }

    /// The report as ``gauge eml --format json`` prints it (``k`` is a string there,
    /// as JSON numbers lose precision beyond 2^53).
    fn to_json(&self) -> &str {
        &self.json
    }

    fn __str__(&self) -> &str {
        &self.text
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let diff = self
            .diff
            .as_deref()
            .map_or(String::new(), |v| format!(", diff={}", py_quote(v)));
        let verified = if self.verified { "True" } else { "False" };
        format!(
            "Eml({}{diff}, k={}, depth={}, nodes={}, verified={verified})",
            py_quote(&self.expr),
            self.k.bind(py),
            self.depth,
            self.nodes
        )
    }
}

/// The table of EML forms of gauge's primitives beside the paper's published sizes,
/// each form audited again, as ``gauge eml-table`` prints it.
///
/// ``str(t)`` is the Markdown table, ``t.to_json()`` the rows as ``gauge eml-table
/// --format json`` prints them, and ``t.rows`` the rows as dicts.
///
/// Attributes
/// ----------
/// rows : list of dict
///     One per primitive: ``primitive``, gauge's ``k``, the ``region`` where its form
///     is right and whether it ``verified``, the complex-safe form's ``k_complex`` and
///     ``verified_complex``, the paper's ``paper_compiler`` and ``paper_search``
///     sizes, ``at_most_half`` (gauge's form is at most half the paper compiler's),
///     and the ``best_public`` size; ``None`` where a size is unknown.
///
/// Examples
/// --------
/// >>> import gauge
/// >>> t = gauge.eml_table()
/// >>> row = next(r for r in t.rows if r["primitive"] == "exp")
/// >>> row["k"], row["paper_compiler"]
/// (3, 3)
#[pyclass(name = "EmlTable", module = "gauge", frozen)]
pub struct PyEmlTable {
    text: String,
    json: String,
}

impl PyEmlTable {
    /// The committed table, compared with the paper.
    fn committed(py: Python<'_>) -> PyResult<PyEmlTable> {
        let table = guard(py, || gauge::eml_table(None, &mut |_| {}))?;
        Ok(PyEmlTable {
            text: rendered(py, |o| table.render(o), Format::Text, false, None)?,
            json: rendered(py, |o| table.render(o), Format::Json, false, None)?,
        })
    }

    /// The rows, read from the JSON rendering: a new list each time, so that a
    /// caller's changes stay in its copy.
    fn read_rows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?.call_method1("loads", (&self.json,))
    }
}

#[pymethods]
impl PyEmlTable {
    /// The rows, one dict per primitive.
    #[getter]
    fn rows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.read_rows(py)
    }

    /// The rows as ``gauge eml-table --format json`` prints them.
    fn to_json(&self) -> &str {
        &self.json
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.read_rows(py)?.len()
    }

    fn __str__(&self) -> &str {
        &self.text
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("EmlTable({} rows)", self.__len__(py)?))
    }
}

/// The committed table of EML forms against the paper (``gauge.eml_table`` wraps it).
#[pyfunction]
pub fn _eml_table(py: Python<'_>) -> PyResult<PyEmlTable> {
    PyEmlTable::committed(py)
}
