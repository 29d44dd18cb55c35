//! The prelude: definitions shipped inside the binary, written in gauge's own language.
//!
//! The text lives in `src/lower/prelude.gauge` and is compiled in with `include_str!`, so the
//! binary needs no files at run time. [`crate::lower::workspace::Workspace::with_prelude`] loads it.

/// The prelude's source text.
pub const PRELUDE: &str = include_str!("prelude.gauge");

/// The name the prelude's diagnostics are shown under.
pub const PRELUDE_NAME: &str = "<prelude>";
