//! Expressions: the closed `Node` enum, the hash-consed `Pool` whose constructors return
//! canonical nodes, the kinds of names, the structural order, substitution, index
//! contraction and sizes.
//!
//! May import: `diag`, `syntax` (number literals, relations and the LaTeX index style
//! only).
//!
//! | module | job |
//! |---|---|
//! | [`node`] | the closed `Node` enum, `ExprId`, `Symbol`, builtin functions |
//! | [`kind`] | the kind of a name or parameter: scalar, index or tensor of a rank |
//! | [`definition`] | definitions made by `let`: parameters, result indices, body |
//! | [`form`] | the written form of a whole-tensor expression, for anonymous definitions |
//! | [`pool`] | the arena and memo map, and the canonical constructors (in `pool/`) |
//! | [`order`] | the structural order that sorts terms and factors |
//! | [`constant`] | constant expressions as `f64` |
//! | [`size`] | tree and DAG sizes |
//! | [`subst`] | substitution without capture, and expanding calls into bodies |
//! | [`contract`] | index calculus: sum linearity and delta contraction |
//! | [`sums`] | products and nests of sums in one canonical order, for the prover |

pub mod constant;
pub mod contract;
pub mod definition;
pub mod equality;
pub mod form;
pub mod kind;
pub mod node;
pub mod order;
pub mod pool;
pub mod size;
pub mod subst;
pub mod sums;
