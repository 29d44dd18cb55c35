//! Diagnostics: source texts, byte spans, and the one error type every stage returns;
//! and the guard that lets every stage recurse as deep as its input nests ([`stack`]).
//!
//! This is the bottom of the pipeline.
//!
//! May import: nothing.

pub mod error;
pub mod source;
pub mod stack;
