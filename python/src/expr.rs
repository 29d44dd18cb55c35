//! `gauge.Expr`, `gauge.Derivation` and `gauge.Step`: expressions in canonical form,
//! and the derivations that reached them.
//!
//! An expression shares its session's workspace (an `Rc`), so these classes are
//! `unsendable`: Python may hold them anywhere, but only the thread that made them may
//! use them. Two expressions are equal, and hash alike, when their canonical texts are,
//! whichever session made them.

use gauge::Format;
use gauge::options::{IndexStyle, Output};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::errors::guard_py;

/// An expression in canonical form.
///
/// ``str(e)`` is the canonical text, which reads back to the same expression;
/// ``e.latex()`` is LaTeX math, and Jupyter shows the expression rendered. Two
/// expressions are equal exactly when their canonical texts are.
///
/// Examples
/// --------
/// >>> import gauge
/// >>> d = gauge.diff("x^3", "x")
/// >>> d
/// Expr('3*x^2')
/// >>> d.latex()
/// '3 x^2'
#[pyclass(name = "Expr", module = "gauge", unsendable)]
pub struct PyExpr {
    pub inner: gauge::Expr,
    /// The canonical text, printed once: it keys equality and the hash.
    text: String,
}

impl PyExpr {
    /// Wraps an expression of the library.
    pub fn new(inner: gauge::Expr) -> PyExpr {
        let text = inner.to_string();
        PyExpr { inner, text }
    }
}

#[pymethods]
impl PyExpr {
    fn __str__(&self) -> &str {
        &self.text
    }

    fn __repr__(&self) -> String {
        format!("Expr({})", py_quote(&self.text))
    }

    /// The canonical text (the same as ``str(e)``).
    #[getter]
    fn text(&self) -> &str {
        &self.text
    }

    /// The expression as LaTeX math, without delimiters.
    ///
    /// Parameters
    /// ----------
    /// indices : str, optional
    ///     How tensor elements are written: ``"subscript"`` (``z_{i}``) or
    ///     ``"brackets"`` (``z[i]``), as ``--indices`` says. Default: what the
    ///     session's files say (``notation indices = brackets``), else subscript.
    ///
    /// Returns
    /// -------
    /// str
    ///     For example ``\frac{e^{z_{i}}}{\sum_{j} e^{z_{j}}}``.
    #[pyo3(signature = (*, indices = None))]
    fn latex(&self, py: Python<'_>, indices: Option<&str>) -> PyResult<String> {
        match index_style(indices)? {
            None => Ok(self.inner.latex()),
            Some(style) => {
                let out = Output::new(Format::Latex).with_indices(style);
                let tex = guard_py(py, || Ok(self.inner.render(&out)))?;
                Ok(tex.trim_end().to_string())
            }
        }
    }

    /// The expression as JSON, as ``gauge parse --format json`` prints it: its canonical
    /// text and the text it was read from.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        rendered(py, |o| self.inner.render(o), Format::Json, false, None)
    }

    /// LaTeX for Jupyter, between ``$`` signs.
    fn _repr_latex_(&self) -> String {
        format!("${}$", self.inner.latex())
    }

    fn __eq__(&self, other: PyRef<'_, PyExpr>) -> bool {
        self.text == other.text
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        // The hash of the canonical text, so that it agrees with equality.
        PyString::new(py, &self.text).hash()
    }

    /// An expression never changes, so a copy is the expression itself.
    fn __copy__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// An expression never changes, so a deep copy is the expression itself.
    fn __deepcopy__<'py>(slf: PyRef<'py, Self>, _memo: &Bound<'py, PyAny>) -> PyRef<'py, Self> {
        slf
    }
}

/// A result rendered as the command line prints it in `format`; JSON without its final
/// line break, as `json.loads` and a string compare take it. A panic of the renderer
/// arrives as `GaugeInternalError`.
pub fn rendered(
    py: Python<'_>,
    render: impl FnOnce(&Output) -> String,
    format: Format,
    steps: bool,
    indices: Option<&str>,
) -> PyResult<String> {
    let out = with_indices(Output::new(format).with_steps(steps), indices)?;
    guard_py(py, || {
        let text = render(&out);
        Ok(match format {
            Format::Json => text.trim_end().to_string(),
            Format::Text | Format::Latex => text,
        })
    })
}

/// A result rendered as Markdown, as the command line prints it with `--format
/// markdown`: made from its LaTeX document.
pub fn rendered_markdown(
    py: Python<'_>,
    render: impl FnOnce(&Output) -> String,
    steps: bool,
    indices: Option<&str>,
) -> PyResult<String> {
    let out = Output::new(Format::Latex)
        .with_steps(steps)
        .with_standalone(true);
    let out = with_indices(out, indices)?;
    guard_py(py, || Ok(out.markdown(&render(&out))))
}

/// The index style a caller names with ``indices=``: `None` keeps the file's.
fn index_style(indices: Option<&str>) -> PyResult<Option<IndexStyle>> {
    indices
        .map(|name| {
            IndexStyle::from_name(name).ok_or_else(|| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "indices is \"subscript\" or \"brackets\", not {name:?}"
                ))
            })
        })
        .transpose()
}

/// `out` with the index style a caller names, if any.
fn with_indices(out: Output, indices: Option<&str>) -> PyResult<Output> {
    Ok(match index_style(indices)? {
        Some(style) => out.with_indices(style),
        None => out,
    })
}

/// A text as a Python string literal, for reprs.
pub fn py_quote(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('\'', "\\'");
    format!("'{escaped}'")
}

/// One step of a derivation: the rules applied, and the expression reached.
#[pyclass(name = "Step", module = "gauge", unsendable)]
pub struct PyStep {
    rules: Vec<String>,
    expr: Py<PyExpr>,
}

impl PyStep {
    /// A step of the library as a Python object.
    pub fn new(py: Python<'_>, step: &gauge::results::Step) -> PyResult<PyStep> {
        Ok(PyStep {
            rules: step.rules().to_vec(),
            expr: Py::new(py, PyExpr::new(step.expr().clone()))?,
        })
    }
}

#[pymethods]
impl PyStep {
    /// The rules applied, by their kebab-case names (``chain-rule-ln``, ...).
    #[getter]
    fn rules(&self) -> Vec<String> {
        self.rules.clone()
    }

    /// The expression the step reached.
    #[getter]
    fn expr(&self, py: Python<'_>) -> Py<PyExpr> {
        self.expr.clone_ref(py)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Step({}, rules=[{}])",
            py_quote(&self.expr.borrow(py).text),
            self.rules
                .iter()
                .map(|r| py_quote(r))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// A derived result with the derivation that reached it.
///
/// ``str(d)`` prints the derivation step by step, as ``gauge diff --steps`` does;
/// ``d.result`` is the result, ``d.steps`` the steps with their rules.
#[pyclass(name = "Derivation", module = "gauge", unsendable)]
pub struct PyDerivation {
    inner: gauge::Derivation,
}

impl PyDerivation {
    /// Wraps a derivation of the library.
    pub fn new(inner: gauge::Derivation) -> PyDerivation {
        PyDerivation { inner }
    }
}

#[pymethods]
impl PyDerivation {
    /// The result.
    #[getter]
    fn result(&self) -> PyExpr {
        PyExpr::new(self.inner.result())
    }

    /// What was derived, such as ``diff(eml(x, y), y)``.
    #[getter]
    fn start(&self) -> PyExpr {
        PyExpr::new(self.inner.start())
    }

    /// The steps from ``start`` to ``result``, in order.
    #[getter]
    fn steps(&self, py: Python<'_>) -> PyResult<Vec<PyStep>> {
        self.inner
            .steps()
            .iter()
            .map(|s| PyStep::new(py, s))
            .collect()
    }

    /// Where the result does not hold: expressions that must not be 0.
    #[getter]
    fn conditions(&self) -> Vec<PyExpr> {
        self.inner
            .conditions()
            .into_iter()
            .map(PyExpr::new)
            .collect()
    }

    /// The derivation as LaTeX (an ``align*`` environment, one row per step);
    /// ``indices`` is ``"subscript"`` or ``"brackets"`` (see ``Expr.latex``).
    #[pyo3(signature = (*, indices = None))]
    fn latex(&self, py: Python<'_>, indices: Option<&str>) -> PyResult<String> {
        rendered(py, |o| self.inner.render(o), Format::Latex, true, indices)
    }

    /// The derivation as JSON, as ``gauge diff --steps --format json`` prints it.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        rendered(py, |o| self.inner.render(o), Format::Json, true, None)
    }

    /// The derivation as Markdown, as ``gauge diff --steps --format markdown`` prints
    /// it: an ``aligned`` block between ``$$`` lines, which GitHub and Jupyter render.
    ///
    /// >>> print(gauge.derive("x^2", "x").markdown())
    /// $$
    /// \begin{aligned}
    ///     \frac{\partial}{\partial x}(x^2)
    ///     &= 2 x \frac{\partial x}{\partial x} && \text{power-rule} \\
    ///     &= 2 x && \text{variable}
    /// \end{aligned}
    /// $$
    #[pyo3(signature = (*, indices = None))]
    fn markdown(&self, py: Python<'_>, indices: Option<&str>) -> PyResult<String> {
        rendered_markdown(py, |o| self.inner.render(o), true, indices)
    }

    /// LaTeX for Jupyter: the derivation as displayed math.
    fn _repr_latex_(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("$${}$$", self.latex(py, None)?.trim_end()))
    }

    fn __str__(&self, py: Python<'_>) -> PyResult<String> {
        rendered(py, |o| self.inner.render(o), Format::Text, true, None)
    }

    fn __repr__(&self) -> String {
        format!(
            "Derivation({} = {}, {} steps)",
            py_quote(&self.inner.start().to_string()),
            py_quote(&self.inner.result().to_string()),
            self.inner.steps().len()
        )
    }
}
