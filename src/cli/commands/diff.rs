//! `gauge diff`: a derivative by a scalar or a tensor element.

use std::io::Write;
use std::process::ExitCode;

use gauge::Session;
use gauge::options::DiffOptions;

use super::{Outcome, read_arg};
use crate::args::{Cli, Show};

/// Prints the derivative, or with `--steps` its derivation.
pub fn run(
    session: &mut Session,
    cli: &Cli,
    expr: &str,
    wrt: Option<&str>,
    opts: &DiffOptions,
    show: Show,
    out: &mut impl Write,
) -> Outcome {
    let text = read_arg(expr)?;
    let wrt = match wrt {
        Some(w) => w.to_string(),
        None => session.variable(&text)?,
    };
    let d = session.diff_with(&text, &wrt, opts)?;
    out.write_all(d.render(&cli.output(show)).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
