//! Printing the library's errors and warnings on standard error.
//!
//! The library draws a [`gauge::Error`] as a miette report (the file name, line and
//! column, the source line and a caret, the hint: [`gauge::Error::render`]); this
//! module prints it, in colour only on a terminal and never when `NO_COLOR` is set.

use std::io::Write;

use gauge::Error;

/// Prints an error report on standard error. A closed standard error leaves nothing
/// to report to, so a failed write is ignored.
pub fn error(e: &Error) {
    let _ = write!(std::io::stderr(), "{}", e.render(super::colour()));
}

/// Prints a warning report on standard error.
pub fn warning(e: &Error) {
    let _ = write!(std::io::stderr(), "{}", e.render_warning(super::colour()));
}
