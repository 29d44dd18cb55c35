//! `gauge grad`: a gradient by a tensor in index form, or by a list of scalars.

use std::io::Write;
use std::process::ExitCode;

use gauge::Session;
use gauge::options::GradOptions;

use super::{Outcome, read_arg};
use crate::args::{Cli, Show};

/// Prints the gradient: in index form by a tensor, or one line per scalar variable.
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
    let vars: Vec<String> = match wrt {
        Some(w) => w.split(',').map(|v| v.trim().to_string()).collect(),
        None => session.gradient_variables(&text)?,
    };
    let vars: Vec<&str> = vars.iter().map(String::as_str).collect();
    let names: Vec<&str> = index.split(',').map(str::trim).collect();
    let g = session.grad_with(&text, &vars, &GradOptions::new().with_index(&names))?;
    out.write_all(g.render(&cli.output(show)).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
