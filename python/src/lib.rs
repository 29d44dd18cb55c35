//! `gauge._gauge`: the Python extension module of gauge, built with PyO3 (abi3, for
//! CPython 3.9 and later) and maturin.
//!
//! The bindings only convert arguments and wrap results: the library facade
//! (`gauge::Session` and its reports) does the work. The Python package around this
//! module (`python/gauge/`) adds the exception classes, the conversion of NumPy, JAX
//! and torch arrays, and the module-level functions.
//!
//! | file | classes |
//! |---|---|
//! | `session.rs` | `Session` |
//! | `expr.rs` | `Expr`, `Derivation`, `Step` |
//! | `proofs.rs` | `Proofs`, `Claim`, `Counterexample` |
//! | `values.rs` | `ValuesReport`, `DumpCheck`, `ParamCheck`, `LossCheck`, `Component` |
//! | `code.rs` | `Code`, `Arg` |
//! | `eml.rs` | `Eml`, `EmlTable` |
//! | `errors.rs` | gauge errors as `GaugeError` subclasses; panics caught |
//! | `backward.rs` | the tracer of `gauge.verify_backward` |

mod backward;
mod code;
mod eml;
mod errors;
mod expr;
mod proofs;
mod session;
mod values;

use pyo3::prelude::*;

/// The extension module: every class, and the version.
#[pymodule]
fn _gauge(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<session::PySession>()?;
    m.add_class::<expr::PyExpr>()?;
    m.add_class::<expr::PyDerivation>()?;
    m.add_class::<expr::PyStep>()?;
    m.add_class::<proofs::PyProofs>()?;
    m.add_class::<proofs::PyClaim>()?;
    m.add_class::<proofs::PyCounterexample>()?;
    m.add_class::<values::PyValuesReport>()?;
    m.add_class::<values::PyDumpCheck>()?;
    m.add_class::<values::PyParamCheck>()?;
    m.add_class::<values::PyLossCheck>()?;
    m.add_class::<values::PyComponent>()?;
    m.add_class::<code::PyCode>()?;
    m.add_class::<code::PyArg>()?;
    m.add_class::<eml::PyEml>()?;
    m.add_class::<eml::PyEmlTable>()?;
    m.add_function(wrap_pyfunction!(eml::_eml_table, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_testing, m)?)?;
    backward::register(m)?;
    Ok(())
}

/// Panics inside the guard every call into gauge runs in, so that the tests can see
/// a panic arrive as `GaugeInternalError` (gauge itself has no input known to panic).
#[pyfunction]
fn _panic_for_testing(py: Python<'_>, message: &str) -> PyResult<()> {
    errors::guard(py, || -> gauge::Result<()> { panic!("{message}") })
}
