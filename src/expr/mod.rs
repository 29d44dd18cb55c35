//! Expressions: the closed `Node` enum, the hash-consed `Pool` whose constructors return
//! canonical nodes, the structural order, substitution, index contraction and sizes.
//!
//! May import: `diag`, `syntax` (number literals and relations only).

pub mod constant;
pub mod contract;
pub mod node;
pub mod order;
pub mod pool;
pub mod size;
pub mod subst;
pub mod sums;
