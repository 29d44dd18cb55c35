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
//! The source side of every check lives in [`reference`](mod@reference): the semantics of a gauge
//! formula at a complex point, under the same convention, computed in plain `f64`
//! complex numbers ([`complex`]) and in certified rectangles of intervals that
//! enclose the true value or fail ([`ball`]).
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `numeric`.

pub mod audit;
pub mod ball;
pub mod build;
pub mod certify;
pub mod compile;
pub mod complex;
pub mod dag;
pub mod derive;
pub mod domain;
pub mod exact;
pub mod float;
pub mod paper;
pub mod plain;
pub mod reference;
pub mod run;
pub mod search;
pub mod table;
pub mod targets;
