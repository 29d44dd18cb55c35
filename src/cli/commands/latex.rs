//! `gauge latex`: an expression as LaTeX.

use std::io::Write;
use std::process::ExitCode;

use gauge::options::Output;
use gauge::{Format, Session};

use super::{Outcome, read_arg};
use crate::args::Cli;

/// Prints the expression as LaTeX.
pub fn run(session: &mut Session, cli: &Cli, expr: &str, out: &mut impl Write) -> Outcome {
    let text = read_arg(expr)?;
    // LaTeX whatever `--format` says: printing LaTeX is this command's one job.
    let output = cli
        .layout
        .apply(Output::new(Format::Latex).with_standalone(cli.standalone_latex()));
    out.write_all(session.parse(&text)?.render(&output).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
