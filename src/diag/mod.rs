//! Diagnostics: source texts, byte spans, and the one error type every stage returns.
//!
//! This is the bottom of the pipeline. It imports nothing from the crate.

pub mod error;
pub mod source;
