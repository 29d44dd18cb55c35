//! `gauge parse`: an expression, or every statement of a file, in canonical form.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use gauge::Session;

use super::{Outcome, read_arg, read_file};
use crate::args::{Cli, Show};

/// Prints the expression, or each statement of the file, in canonical form.
pub fn run(
    session: &mut Session,
    cli: &Cli,
    expr: Option<&str>,
    file: &Option<PathBuf>,
    out: &mut impl Write,
) -> Outcome {
    let output = cli.output(Show::default());
    let shown = match file {
        Some(path) => {
            let text = read_file(path)?;
            let loaded = session.load_named(&path.display().to_string(), &text)?;
            loaded.render(&output)
        }
        None => {
            let text = read_arg(expr.unwrap_or("-"))?;
            session.parse(&text)?.render(&output)
        }
    };
    out.write_all(shown.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
