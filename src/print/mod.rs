//! Printing: the plain-text printer that round-trips through the parser, and LaTeX.
//!
//! May import: `diag`, `syntax`, `expr`.

pub mod latex;
pub mod number;
pub mod text;
