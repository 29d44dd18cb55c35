//! Syntax: exact number literals, the syntax tree with spans, and the parser (one method
//! per production of `grammar/gauge.ebnf`).
//!
//! May import: `diag`. The syntax stage knows nothing about pools, names or shapes.

pub mod number;
pub mod parse;
pub mod tree;
