//! The library facade: [`Session`](session::Session), [`Expr`](expr::Expr), one error
//! type, the claim [`Verdict`](crate::prove::Verdict), reports and options.
//!
//! This is the top of the pipeline and the only part of the crate that is API: the
//! crate root re-exports it, and the command line is built on it alone (as the
//! Python bindings will be). A session shares its workspace with the results it hands out, so that an
//! [`Expr`](expr::Expr) prints the same after later calls.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `numeric`, `trace`, `simplify`, `calculus`, `verify`, `check`, `prove`, `report`.

pub(crate) mod adjoint;
pub mod error;
pub mod expr;
pub mod options;
pub mod results;
pub mod session;
