//! The output formats of `--format`; Markdown, which is made from what a command
//! prints as LaTeX (see `gauge::options::Output::markdown`); and the LaTeX layout
//! options, `--width` and `--indices`.

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

/// How LaTeX output is laid out: the width it is broken to and how elements are
/// written. (Plain comments on the struct: a doc comment would become help text.)
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct Layout {
    /// The width of the text block LaTeX derivations are broken to, in points: 345 is
    /// an article's at 10 pt, about 240 a two-column paper's column.
    #[arg(long, global = true, value_name = "POINTS", default_value_t = 345,
          value_parser = clap::value_parser!(u32).range(150..=2000))]
    pub width: u32,

    /// How LaTeX writes tensor elements: `z_{i}`, `W_{ij}` (subscript) or `z[i]`,
    /// `W[i, j]` (brackets). Deltas and sums keep their subscripts. Default: what the
    /// file's `notation indices = ...` says, else subscript.
    #[arg(long, global = true, value_enum, value_name = "STYLE")]
    pub indices: Option<Indices>,
}

/// How LaTeX writes tensor elements (`--indices`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Indices {
    /// `z_{i}`, `W_{ij}`, `\operatorname{softmax}(z)_{i}`.
    Subscript,
    /// `z[i]`, `W[i, j]`, `\operatorname{softmax}(z)[i]`.
    Brackets,
}

impl Layout {
    /// `out` laid out as these options say; a style given here overrides the file's.
    pub fn apply(&self, out: gauge::options::Output) -> gauge::options::Output {
        let out = out.with_width(self.width);
        match self.indices {
            Some(Indices::Subscript) => out.with_indices(gauge::options::IndexStyle::Subscript),
            Some(Indices::Brackets) => out.with_indices(gauge::options::IndexStyle::Brackets),
            None => out,
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
