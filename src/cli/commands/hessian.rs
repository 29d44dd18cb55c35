//! `gauge hessian`: the Hessian by a vector, in index form.

use std::io::Write;
use std::process::ExitCode;

use gauge::Session;
use gauge::options::GradOptions;

use super::{Outcome, read_arg};
use crate::args::{Cli, Show};

/// Prints the Hessian in index form, by the two indices `--index` names.
pub fn run(
    session: &mut Session,
    cli: &Cli,
    expr: &str,
    wrt: Option<&str>,
    index: &str,
    show: Show,
    out: &mut impl Write,
) -> Outcome {
    let text = read_arg(expr)?;
    let wrt = match wrt {
        Some(w) => w.to_string(),
        None => session.variable(&text)?,
    };
    let names: Vec<&str> = index.split(',').map(str::trim).collect();
    let h = session.hessian_with(&text, &wrt, &GradOptions::new().with_index(&names))?;
    out.write_all(h.render(&cli.output(show)).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
