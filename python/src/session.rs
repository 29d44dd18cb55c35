//! `gauge.Session`: the library's session for Python, holding definitions and
//! assumptions across calls.
//!
//! Each method converts its arguments, calls the library facade inside [`guard`] (a
//! gauge error becomes its Python exception, a panic `GaugeInternalError`), hands the
//! session's warnings to Python's `warnings` module, and wraps the result. The
//! Python subclass in `gauge/_session.py` adds what is easier in Python: arrays for
//! `check`, values for `eval`.

use std::path::PathBuf;

use gauge::ErrorKind;
use gauge::options::{CodegenOptions, DiffOptions, EmlOptions, GradOptions, ProveOptions, Target};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

use crate::code::PyCode;
use crate::eml::PyEml;
use crate::errors::{guard, guard_py};
use crate::expr::{PyDerivation, PyExpr};
use crate::proofs::PyProofs;

/// A gauge session: definitions (``let``), assumptions (``assume``) and claims loaded
/// once, then used by every call.
///
/// Parameters
/// ----------
/// defs : str or os.PathLike, optional
///     gauge statements as text, or the path of a ``.gauge`` file, to load first.
/// budget : int or None, optional
///     How much one call may build before its searches give up and return what they
///     have (with a ``GaugeWarning``); ``None`` lifts the limit.
///
/// Examples
/// --------
/// >>> import gauge
/// >>> s = gauge.Session("let f(x) = x^3\nassume p > 0")
/// >>> s.diff("f(p)", "p")
/// Expr('3*p^2')
/// >>> s.simplify("ln(p^2)")
/// Expr('2*ln(p)')
#[pyclass(name = "Session", module = "gauge", unsendable, subclass)]
pub struct PySession {
    pub inner: gauge::Session,
    /// Where the definitions came from, for the repr.
    loaded: Vec<String>,
}

/// Statements to load: a text, or a file's path and contents.
pub struct Source {
    /// The name diagnostics show: the path, or `<defs>`.
    pub name: String,
    /// The statements.
    pub text: String,
    /// Whether it was read from a file.
    pub is_file: bool,
}

/// Reads `arg` as gauge text or as the path of a file of it: an `os.PathLike` is a
/// path; a string is a path when it is one line ending in `.gauge`, and text
/// otherwise (an existing file of another name does not count, so that an expression
/// never turns into a path by the files that happen to be there).
pub fn source(py: Python<'_>, arg: &Bound<'_, PyAny>, text_name: &str) -> PyResult<Source> {
    let path: PathBuf = match arg.cast::<PyString>() {
        Ok(s) => {
            let s = s.to_cow()?;
            let s: &str = &s;
            let one_line = !s.contains('\n');
            if !(one_line && s.trim_end().ends_with(".gauge")) {
                return Ok(Source {
                    name: text_name.to_string(),
                    text: s.to_string(),
                    is_file: false,
                });
            }
            PathBuf::from(s)
        }
        Err(_) => arg.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "expected gauge text (a str) or a path (os.PathLike), got {}",
                type_name(arg)
            ))
        })?,
    };
    let shown = path.display().to_string();
    let text = guard(py, || {
        std::fs::read_to_string(&path).map_err(|e| {
            gauge::Error::new(ErrorKind::Io, format!("cannot read `{shown}`: {e}"))
                .with_hint("check the path; gauge files are text, such as `model.gauge`")
        })
    })?;
    Ok(Source {
        name: shown,
        text,
        is_file: true,
    })
}

/// The name of an object's type, for messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an object".to_string())
}

/// The variables of a gradient: one name or a sequence of names.
fn names(arg: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(s) = arg.cast::<PyString>() {
        return Ok(vec![s.to_cow()?.into_owned()]);
    }
    if arg.cast::<PyList>().is_ok() || arg.cast::<PyTuple>().is_ok() {
        return arg.extract::<Vec<String>>();
    }
    Err(PyTypeError::new_err(format!(
        "wrt is a name (str) or a list of names, not {}",
        type_name(arg)
    )))
}

impl PySession {
    /// Hands the warnings of the last call to Python's `warnings` module, as
    /// `GaugeWarning`s drawn as the command line draws them.
    fn warn(&mut self, py: Python<'_>) -> PyResult<()> {
        let warnings = self.inner.take_warnings();
        if warnings.is_empty() {
            return Ok(());
        }
        let warn = py.import("gauge._errors")?.getattr("_warn")?;
        for w in warnings {
            warn.call1((w.render_warning(false).trim_end(),))?;
        }
        Ok(())
    }

    /// Runs a call of the library, then hands on its warnings.
    fn call<T>(
        &mut self,
        py: Python<'_>,
        f: impl FnOnce(&mut gauge::Session) -> gauge::Result<T>,
    ) -> PyResult<T> {
        let inner = &mut self.inner;
        let result = guard(py, || f(inner));
        self.warn(py)?;
        result
    }

    /// Loads a source of statements.
    fn load_source(&mut self, py: Python<'_>, src: Source) -> PyResult<usize> {
        let loaded = self.call(py, |s| s.load_named(&src.name, &src.text))?;
        self.loaded.push(if src.is_file {
            src.name
        } else {
            format!("{} statement(s)", loaded.len())
        });
        Ok(loaded.len())
    }
}

#[pymethods]
impl PySession {
    #[new]
    #[pyo3(signature = (defs = None, *, budget = Some(gauge::options::DEFAULT_BUDGET)))]
    fn new(
        py: Python<'_>,
        defs: Option<&Bound<'_, PyAny>>,
        budget: Option<usize>,
    ) -> PyResult<Self> {
        let inner = guard(py, gauge::Session::try_new)?;
        let mut s = PySession {
            inner,
            loaded: Vec::new(),
        };
        s.inner.set_budget(budget);
        if let Some(d) = defs {
            let src = source(py, d, "<defs>")?;
            s.load_source(py, src)?;
        }
        Ok(s)
    }

    /// Loads statements: ``let`` definitions, ``assume`` facts, ``tensor`` shapes and
    /// ``claim`` s.
    ///
    /// Parameters
    /// ----------
    /// defs : str or os.PathLike
    ///     The statements as text, one per line, or the path of a ``.gauge`` file.
    ///
    /// Returns
    /// -------
    /// int
    ///     How many statements were loaded.
    fn load(&mut self, py: Python<'_>, defs: &Bound<'_, PyAny>) -> PyResult<usize> {
        let src = source(py, defs, "<input>")?;
        self.load_source(py, src)
    }

    /// States a domain fact, as an ``assume`` statement does (``x > 0``, ``0 < p < 1``).
    fn assume(&mut self, py: Python<'_>, fact: &str) -> PyResult<()> {
        self.call(py, |s| s.assume(fact))
    }

    /// Reads an expression into canonical form.
    fn parse(&mut self, py: Python<'_>, text: &str) -> PyResult<PyExpr> {
        self.call(py, |s| s.parse(text)).map(PyExpr::new)
    }

    /// The variables of an expression: its free scalars and tensors, in canonical order.
    fn variables(&mut self, py: Python<'_>, expr: &str) -> PyResult<Vec<String>> {
        self.call(py, |s| s.variables(expr))
    }

    /// The derivative of ``expr`` by a scalar (``x``), a tensor element (``z[i]``) or
    /// a named intermediate, simplified.
    ///
    /// Parameters
    /// ----------
    /// expr : str
    ///     The expression, in gauge's language.
    /// wrt : str
    ///     What to differentiate by.
    /// order : int, optional
    ///     The order of the derivative (1 to 64).
    ///
    /// Returns
    /// -------
    /// Expr
    #[pyo3(signature = (expr, wrt, order = 1))]
    fn diff(&mut self, py: Python<'_>, expr: &str, wrt: &str, order: u32) -> PyResult<PyExpr> {
        let opts = DiffOptions::new().with_order(order);
        self.call(py, |s| s.diff_with(expr, wrt, &opts))
            .map(|d| PyExpr::new(d.result()))
    }

    /// The derivative with its derivation, step by step (``str()`` of the result
    /// prints the steps, ``.latex()`` an ``align*``); ``detail`` is ``"brief"``,
    /// ``"normal"`` or ``"full"``, as ``gauge diff --detail``.
    #[pyo3(signature = (expr, wrt, order = 1, detail = "full"))]
    fn derive(
        &mut self,
        py: Python<'_>,
        expr: &str,
        wrt: &str,
        order: u32,
        detail: &str,
    ) -> PyResult<PyDerivation> {
        let Some(detail) = gauge::options::Detail::parse(detail) else {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "detail must be \"brief\", \"normal\" or \"full\", not {detail:?}"
            )));
        };
        let opts = DiffOptions::new().with_order(order).with_detail(detail);
        self.call(py, |s| s.diff_with(expr, wrt, &opts))
            .map(PyDerivation::new)
    }

    /// The gradient: one derivative per variable (by a tensor, one expression in index
    /// form, with a free index ``i``).
    ///
    /// Parameters
    /// ----------
    /// expr : str
    /// wrt : str or list of str, optional
    ///     The variables; by default, the expression's tensor or every scalar.
    /// index : list of str, optional
    ///     The free index names of a tensor's gradient, one per axis.
    ///
    /// Returns
    /// -------
    /// list of Expr
    #[pyo3(signature = (expr, wrt = None, index = None))]
    fn grad(
        &mut self,
        py: Python<'_>,
        expr: &str,
        wrt: Option<&Bound<'_, PyAny>>,
        index: Option<Vec<String>>,
    ) -> PyResult<Vec<PyExpr>> {
        let wrt = match wrt {
            Some(w) => names(w)?,
            None => self.call(py, |s| s.gradient_variables(expr))?,
        };
        let wrt: Vec<&str> = wrt.iter().map(String::as_str).collect();
        let mut opts = GradOptions::new();
        if let Some(ix) = &index {
            let ix: Vec<&str> = ix.iter().map(String::as_str).collect();
            opts = opts.with_index(&ix);
        }
        let g = self.call(py, |s| s.grad_with(expr, &wrt, &opts))?;
        Ok(g.parts().into_iter().map(PyExpr::new).collect())
    }

    /// The Hessian: by one vector, one expression in index form (by ``z[i]`` and
    /// ``z[k]``); by one scalar, the second derivative; by a list of scalars, the
    /// symmetric matrix of every second partial derivative, as a list of rows.
    #[pyo3(signature = (expr, wrt))]
    fn hessian(
        &mut self,
        py: Python<'_>,
        expr: &str,
        wrt: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let one = wrt.cast::<PyString>().is_ok();
        let wrt = names(wrt)?;
        let refs: Vec<&str> = wrt.iter().map(String::as_str).collect();
        let h = self.call(py, |s| s.hessian_of(expr, &refs, &GradOptions::new()))?;
        let entries = h.entries();
        if one || h.derivation().is_some() {
            let Some(e) = entries.into_iter().next() else {
                return Err(PyValueError::new_err("the Hessian has no entry"));
            };
            return Ok(Py::new(py, PyExpr::new(e))?.into_any());
        }
        // The upper triangle, row by row (row i from column i on), filled out to the
        // symmetric matrix.
        let n = wrt.len();
        if entries.len() != n * (n + 1) / 2 {
            return Err(PyValueError::new_err("the Hessian is missing an entry"));
        }
        let mut upper: Vec<Vec<gauge::Expr>> = Vec::with_capacity(n);
        let mut it = entries.into_iter();
        for i in 0..n {
            upper.push(it.by_ref().take(n - i).collect());
        }
        let entry = |i: usize, k: usize| {
            let (r, c) = if k >= i { (i, k) } else { (k, i) };
            PyExpr::new(upper[r][c - r].clone())
        };
        let out: Vec<Vec<PyExpr>> = (0..n)
            .map(|i| (0..n).map(|k| entry(i, k)).collect())
            .collect();
        Ok(out.into_pyobject(py)?.into_any().unbind())
    }

    /// Simplifies an expression to canonical form, using the definitions and
    /// assumptions loaded.
    fn simplify(&mut self, py: Python<'_>, expr: &str) -> PyResult<PyExpr> {
        self.call(py, |s| s.simplify(expr)).map(PyExpr::new)
    }

    /// The simplification with its derivation, step by step.
    fn simplify_steps(&mut self, py: Python<'_>, expr: &str) -> PyResult<PyDerivation> {
        self.call(py, |s| s.simplify_with_steps(expr))
            .map(PyDerivation::new)
    }

    /// Decides claims ``lhs = rhs``: proved, confirmed by numbers, or refuted with a
    /// counterexample.
    ///
    /// Parameters
    /// ----------
    /// claims : str or os.PathLike
    ///     A ``.gauge`` file, a text of statements with ``claim`` lines, or claims
    ///     alone, one ``lhs = rhs`` per line.
    /// seed : int, optional
    ///     The seed of the numeric checks.
    /// verify : bool, optional
    ///     Re-check every proof with the independent step checker.
    ///
    /// Returns
    /// -------
    /// Proofs
    ///     One ``Claim`` per claim, in order; ``str()`` prints what ``gauge prove``
    ///     prints.
    #[pyo3(signature = (claims, *, seed = 1, verify = false))]
    fn prove(
        &mut self,
        py: Python<'_>,
        claims: &Bound<'_, PyAny>,
        seed: u64,
        verify: bool,
    ) -> PyResult<PyProofs> {
        let src = source(py, claims, "<claims>")?;
        let text = if src.is_file || has_statements(&src.text) {
            src.text
        } else {
            bare_claims(&src.text)
        };
        let opts = ProveOptions::new().with_seed(seed).with_verify(verify);
        let proofs = self.call(py, |s| s.prove_text(&src.name, &text, &opts))?;
        guard_py(py, || PyProofs::new(py, proofs))
    }

    /// Generates ``value_and_grad(args...)``: the expression's value and its
    /// gradients by ``wrt``, numerically stable, in NumPy, JAX, PyTorch or Rust.
    ///
    /// Parameters
    /// ----------
    /// expr : str
    /// wrt : str or list of str
    ///     The variables of the gradient: scalars, or tensors whole.
    /// target : {"numpy", "jax", "torch", "rust"}, optional
    /// check : bool, optional
    ///     Append ``check_against(user_fn, ...)``, which compares a hand-written
    ///     function with the generated one at random inputs.
    ///
    /// Returns
    /// -------
    /// Code
    #[pyo3(signature = (expr, wrt, target = "numpy", *, check = false))]
    fn codegen(
        &mut self,
        py: Python<'_>,
        expr: &str,
        wrt: &Bound<'_, PyAny>,
        target: &str,
        check: bool,
    ) -> PyResult<PyCode> {
        let Some(t) = Target::ALL.into_iter().find(|t| t.name() == target) else {
            let known: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
            return Err(PyValueError::new_err(format!(
                "target {target:?} is not one of {}",
                known.join(", ")
            )));
        };
        let wrt = names(wrt)?;
        let refs: Vec<&str> = wrt.iter().map(String::as_str).collect();
        let opts = CodegenOptions::new(t).with_check(check);
        let code = self.call(py, |s| s.codegen(expr, &refs, &opts))?;
        PyCode::new(py, &code, target)
    }

    /// Compiles a scalar formula, or its derivative, to a pure EML DAG over ``1`` and
    /// its variables (``eml(x, y) = exp(x) - ln(y)``), and audits it against the
    /// formula in ``f64`` and 256-bit certified arithmetic at real and complex points
    /// and on both sides of every branch cut, as ``gauge eml`` does.
    ///
    /// Parameters
    /// ----------
    /// expr : str
    ///     A scalar formula of the calculator's functions (no tensors or sums).
    /// diff : str, optional
    ///     Compile the derivative by this variable instead of the formula.
    /// complex_safe : bool, optional
    ///     Use only forms right on the whole complex plane, where the table has them.
    ///
    /// Returns
    /// -------
    /// Eml
    ///
    /// Raises
    /// ------
    /// GaugeUnsupportedError
    ///     For a formula with no EML form (tensors, sums, functions outside the table).
    ///
    /// Examples
    /// --------
    /// >>> import gauge
    /// >>> s = gauge.Session()
    /// >>> s.eml("sin(x)^2 + cos(x)^2").k
    /// 1
    /// >>> s.eml("ln(x)", diff="x").result
    /// 'eml(eml(eml(1, eml(eml(1, eml(1, x)), 1)), eml(eml(1, 1), 1)), 1)'
    #[pyo3(signature = (expr, *, diff = None, complex_safe = false))]
    fn eml(
        &mut self,
        py: Python<'_>,
        expr: &str,
        diff: Option<&str>,
        complex_safe: bool,
    ) -> PyResult<PyEml> {
        let mut opts = EmlOptions::new().with_complex_safe(complex_safe);
        if let Some(v) = diff {
            opts = opts.with_diff(v);
        }
        let report = self.call(py, |s| s.eml(expr, &opts))?;
        PyEml::new(py, &report, expr, diff)
    }

    /// Evaluates ``expr`` at values written as ``gauge eval --at`` takes them, or as
    /// a JSON object; ``Session.eval`` builds that text from Python values.
    #[pyo3(signature = (expr, at, name = "<bindings>"))]
    fn _eval_text(&mut self, py: Python<'_>, expr: &str, at: &str, name: &str) -> PyResult<f64> {
        self.call(py, |s| s.eval_at_named(expr, name, at))
            .map(|e| e.value())
    }

    /// Checks a program's gradients against the spec: the work of ``Session.check``,
    /// once it has turned the arrays into bytes (see ``gauge/_arrays.py``).
    #[pyo3(signature = (spec, dumps, *, rtol = None, compute = None, only = None, summary_only = true))]
    #[allow(clippy::too_many_arguments)]
    fn _check_values(
        &mut self,
        py: Python<'_>,
        spec: &str,
        dumps: Vec<crate::values::DumpArg>,
        rtol: Option<f64>,
        compute: Option<&str>,
        only: Option<Vec<String>>,
        summary_only: bool,
    ) -> PyResult<crate::values::PyValuesReport> {
        let opts = crate::values::options(py, dumps, rtol, compute, only, summary_only)?;
        let report = self.call(py, |s| s.check_values(spec, &opts))?;
        guard_py(py, || crate::values::PyValuesReport::new(py, report))
    }

    fn __repr__(&self) -> String {
        if self.loaded.is_empty() {
            "Session()".to_string()
        } else {
            format!("Session(loaded: {})", self.loaded.join(", "))
        }
    }
}

/// Whether a text has statements (`let`, `assume`, `claim`, `tensor`), rather than
/// bare claims.
fn has_statements(text: &str) -> bool {
    text.lines().any(|l| {
        let first = l.split_whitespace().next().unwrap_or("");
        matches!(first, "let" | "assume" | "claim" | "tensor")
    })
}

/// Bare claims, one `lhs = rhs` per line, as `claim` statements; comments and blank
/// lines stay as they are, so that line numbers hold.
fn bare_claims(text: &str) -> String {
    text.lines()
        .map(|l| {
            let t = l.trim();
            if t.is_empty() || t.starts_with('#') {
                l.to_string()
            } else {
                format!("claim {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
