//! `gauge simplify`: an expression simplified, its derivatives taken.

use std::io::Write;
use std::process::ExitCode;

use gauge::Session;

use super::{Outcome, read_arg};
use crate::args::{Cli, Show};

/// Prints the simplified expression, or with `--steps` the derivation.
pub fn run(
    session: &mut Session,
    cli: &Cli,
    expr: &str,
    show: Show,
    out: &mut impl Write,
) -> Outcome {
    let text = read_arg(expr)?;
    let d = session.simplify_with_steps(&text)?;
    out.write_all(d.render(&cli.output(show)).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
