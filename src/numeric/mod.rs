//! Numbers: the scalar types, the compiled tape that evaluates expressions over f64,
//! f32, complex and dual numbers, the independent derivative oracles, and error plots.
//!
//! The tape is the one evaluator: `gauge eval`, constant values in bindings, the facts
//! that random points must meet, the oracles and the prover all run it. [`eval`] gives a
//! workspace the evaluation of `gauge eval`: the point checked against the names' kinds
//! and shapes, then the tape, with messages that name the failing subexpression, the
//! point and the call it is in. It also holds values: tensors, and the `--at` bindings
//! read from text.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`.

pub mod bounds;
pub mod complex_table;
pub mod elements;
pub mod eval;
pub mod files;
pub mod json;
mod meet;
pub mod oracle;
pub mod plot;
pub mod precise;
pub mod sample;
pub mod scalar;
mod sum;
pub mod tape;
pub mod value;

pub use eval::{Compiled, Evaluate};
