//! The library facade: [`Session`](session::Session), [`Expr`](expr::Expr), one error
//! type, the claim [`Verdict`](crate::prove::Verdict), reports and options.
//!
//! This is the top of the pipeline and the only part of the crate that is API: the
//! crate root re-exports it, and the command line is built on it alone (as the
//! Python bindings will be). A session shares its workspace with the results it hands out, so that an
//! [`Expr`](expr::Expr) prints the same after later calls.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `numeric`, `trace`, `simplify`, `calculus`, `codegen`, `verify`, `check`, `prove`, `backward`, `eml`, `report`.

pub(crate) mod adjoint;
pub mod backward;
pub mod codegen;
pub mod eml;
pub mod error;
pub mod expr;
pub mod options;
pub mod prove;
pub mod results;
pub mod session;
pub mod values;

/// The arrays of a values file (`.npy`, `.npz`, `.safetensors`, `.json`) as a point in
/// JSON, for `--at @dump.npz`: each array under its name, numbers written to read back
/// exactly. A NaN or infinity in an array is an error naming it. What a program
/// computed rather than read, its gradients (`grad.<name>`) and its `loss`, is left
/// out: `gauge check SPEC --values` compares those.
pub fn values_point(path: &std::path::Path) -> error::Result<String> {
    let sources = crate::diag::source::SourceMap::default();
    crate::numeric::files::read_arrays(path)
        .map(|mut arrays| {
            arrays.retain(|a| a.name != "loss" && !a.name.starts_with("grad."));
            arrays
        })
        .and_then(|arrays| crate::numeric::files::point_json(&arrays))
        .map_err(|e| error::Error::resolve(&sources, e))
}
