//! Reports: results as JSON.
//!
//! May import every stage below it.

pub mod json;
