//! Lowering: names, kinds, shapes and definitions turn a syntax tree into pool
//! expressions inside a session (the pool, the scope, facts and claims).
//!
//! May import: `diag`, `syntax`, `expr`, `print`.

pub mod lowerer;
pub mod prelude;
pub mod workspace;
