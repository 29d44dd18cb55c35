//! The output formats of `--format`, and Markdown, which is made from what a command
//! prints as LaTeX (see `gauge::options::Output::markdown`).

use clap::ValueEnum;

use crate::args::{Cli, Command};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// One JSON object on standard output.
    Json,
    /// LaTeX math (derivations as an `align*` environment); commands without a formula
    /// to show print text.
    Latex,
    /// Markdown with `$$` display math, for README files and notebooks (GitHub and
    /// Jupyter render it with MathJax): the LaTeX output with each derivation as an
    /// `aligned` block and the claims' headings as text; commands without a formula to
    /// show print their text as a code block.
    Markdown,
}

impl Format {
    /// The library's format.
    pub fn to_gauge(self) -> gauge::Format {
        match self {
            Format::Text => gauge::Format::Text,
            Format::Json => gauge::Format::Json,
            // Markdown is made from the LaTeX output (see [`markdown`]).
            Format::Latex | Format::Markdown => gauge::Format::Latex,
        }
    }
}

/// What the command writes that `--format markdown` is made from: LaTeX, or text
/// (shown as a code block) when it prints no formula; `None` for a command that takes
/// no `--format` (code, a completion script), whose output is left as it is.
pub fn markdown_source(cli: &Cli) -> Option<gauge::Format> {
    match &cli.command {
        Command::Codegen { .. } | Command::Completions { .. } => None,
        _ if crate::commands::prints_latex(cli) => Some(gauge::Format::Latex),
        _ => Some(gauge::Format::Text),
    }
}

/// What a command wrote, as `--format markdown` prints it (see [`markdown_source`]).
pub fn markdown(source: Option<gauge::Format>, written: Vec<u8>) -> Vec<u8> {
    match source {
        Some(format) if !written.is_empty() => {
            let written = String::from_utf8_lossy(&written);
            gauge::options::Output::new(format)
                .markdown(&written)
                .into_bytes()
        }
        _ => written,
    }
}
