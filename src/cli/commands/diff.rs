//! `gauge diff`: a derivative by a scalar or a tensor element.

use std::io::Write;
use std::process::ExitCode;

use gauge::Session;
use gauge::options::DiffOptions;

use clap::ValueEnum;

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

/// How a derivation reads (`--detail`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DetailArg {
    /// Grouped as a textbook groups its lines (a definition, the chain rule, a known
    /// derivative, simplify), with recurring calls named (`p = softmax(z)`).
    Brief,
    /// One row per round of rules, calls of functions differentiated whole.
    Normal,
    /// Every definition written out and every rule a row.
    Full,
}

impl DetailArg {
    /// The library's detail.
    pub fn to_gauge(self) -> gauge::options::Detail {
        match self {
            DetailArg::Brief => gauge::options::Detail::Brief,
            DetailArg::Normal => gauge::options::Detail::Normal,
            DetailArg::Full => gauge::options::Detail::Full,
        }
    }
}
