//! `gauge eval`: an expression's value at a point, in double precision.

use std::io::Write;
use std::process::ExitCode;

use gauge::Session;

use super::{Outcome, read_arg, read_point};
use crate::args::{Cli, Show};

/// Prints the expression's value at the point `--at` gives.
pub fn run(
    session: &mut Session,
    cli: &Cli,
    expr: &str,
    at: &str,
    out: &mut impl Write,
) -> Outcome {
    let (name, point) = read_point(at, expr)?;
    let text = read_arg(expr)?;
    let value = session.eval_at_named(&text, &name, &point)?;
    out.write_all(value.render(&cli.output(Show::default())).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
