//! `gauge hessian`: the Hessian by a vector, in index form, or by a list of scalars.

use std::io::Write;
use std::process::ExitCode;

use gauge::Session;
use gauge::options::GradOptions;

use super::{Outcome, read_arg};
use crate::args::{Cli, Show};

/// Prints the Hessian: by a vector in index form, by the two indices `--index` names;
/// by scalars, every entry of the upper triangle.
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
    // Without --wrt, as for a gradient: every variable, or the one tensor.
    let vars: Vec<String> = match wrt {
        Some(w) => w.split(',').map(|v| v.trim().to_string()).collect(),
        None => session.gradient_variables(&text)?,
    };
    let vars: Vec<&str> = vars.iter().map(String::as_str).collect();
    let names: Vec<&str> = index.split(',').map(str::trim).collect();
    let h = session.hessian_of(&text, &vars, &GradOptions::new().with_index(&names))?;
    out.write_all(h.render(&cli.output(show)).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
