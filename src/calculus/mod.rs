//! Calculus: symbolic derivatives (one rule per node kind), derivatives by a named
//! intermediate (adjoints), reverse-mode gradients, and derivatives as steps a reader
//! can follow.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `trace`, `simplify`.

pub mod adjoint;
pub mod derivation;
pub mod derivative;
pub mod gradient;
pub mod lemma;
pub mod readable;
