//! Diagnostics: source texts, byte spans, and the one error type every stage returns.
//!
//! This is the bottom of the pipeline.
//!
//! May import: nothing.

pub mod error;
pub mod source;
