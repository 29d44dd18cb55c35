//! `gauge completions`: a shell completion script.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use super::Outcome;
use crate::args::Cli;

/// Prints the completion script for `shell`.
pub fn run(shell: clap_complete::Shell, out: &mut impl Write) -> Outcome {
    // The script is generated into memory first: the generator panics on a failed
    // write, and a closed pipe must stay an ordinary write error.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "gauge", &mut script);
    out.write_all(&script)?;
    Ok(ExitCode::SUCCESS)
}
