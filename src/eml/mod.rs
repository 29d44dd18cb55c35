//! EML: every formula as a tree of one operator, `eml(x, y) = exp(x) - ln(y)`, over
//! the constant 1 and the variables (Odrzywołek, arXiv:2603.21852, 2026).
//!
//! The stage compiles a formula to a hash-consed EML DAG ([`dag`]), reports its size
//! `K` (the paper's RPN length, leaves plus eml nodes), depth and distinct nodes,
//! and holds every form it prints to the semantics written down in [`exact`]: the
//! principal branch of the complex logarithm, its cut on the negative real axis
//! taken from above, and branch decisions made on exact knowledge rather than on
//! rounding. [`float`] evaluates a DAG in `f64`; [`search`] enumerates small trees
//! by value to find the shortest forms of the calculator's primitives.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `numeric`.

pub mod compile;
pub mod dag;
pub mod derive;
pub mod domain;
pub mod exact;
pub mod float;
pub mod search;
pub mod table;
pub mod targets;
