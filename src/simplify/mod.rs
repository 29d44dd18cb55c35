//! Simplification: the phased simplifier, its named rules with side conditions, the sign
//! prover those conditions use, folding into named definitions, and CSE.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `trace`.

pub mod angles;
pub mod content;
pub mod cse;
pub mod fold;
pub mod merge_powers;
pub mod negated;
pub mod outer;
pub mod rules;
pub mod sign;
pub mod simplifier;
pub mod walk;
