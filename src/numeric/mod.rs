//! Numbers: the scalar types, the compiled tape that evaluates expressions over f64,
//! f32, complex and dual numbers, the independent derivative oracles, and error plots.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`.

pub mod interp;
pub mod oracle;
pub mod plot;
pub mod scalar;
pub mod tape;
