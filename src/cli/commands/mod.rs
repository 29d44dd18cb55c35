//! One function per command: each reads its arguments, calls the library's facade and
//! writes the rendered result.

mod check;
mod codegen;
mod completions;
pub mod diff;
mod eml;
mod eval;
mod grad;
mod hessian;
mod latex;
mod parse;
mod prove;
mod simplify;

use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

use gauge::{Error, ErrorKind, Session};

use crate::Failure;
use crate::args::{Cli, Command, Format};

/// What a command returns: its exit code, or why it stopped.
pub type Outcome = Result<ExitCode, Failure>;

/// Loads `--defs` and `--assume`, checks the global options, and runs the command.
pub fn execute(session: &mut Session, cli: Cli, out: &mut impl Write) -> Outcome {
    session.set_budget(Some(cli.budget));
    for path in &cli.defs {
        let text = read_file(path)?;
        session.load_named(&path.display().to_string(), &text)?;
    }
    for fact in &cli.assume {
        session.assume(fact)?;
    }
    if cli.standalone && cli.format == Format::Markdown {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "`--standalone` makes a LaTeX document, and Markdown output is already a whole document",
        )
        .with_hint(
            "drop `--standalone` for Markdown, or use `--format latex --standalone` for a document that pdflatex compiles",
        )
        .into());
    }
    if cli.standalone && !prints_latex(&cli) {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "`--standalone` wraps LaTeX output in a document, and this command prints no LaTeX",
        )
        .with_hint(
            "use it with `gauge latex`, or with `--format latex` on parse, diff, grad, hessian, simplify or prove",
        )
        .into());
    }
    match &cli.command {
        Command::Parse { expr, file } => parse::run(session, &cli, expr.as_deref(), file, out),
        Command::Eval { expr, at } => eval::run(session, &cli, expr, at, out),
        Command::Diff {
            expr,
            wrt,
            order,
            detail,
            show,
        } => {
            let mut show = *show;
            show.steps |= detail.is_some();
            let detail = detail.map_or(gauge::options::Detail::Full, |d| d.to_gauge());
            let opts = gauge::options::DiffOptions::new()
                .with_order(*order)
                .with_detail(detail);
            diff::run(session, &cli, expr, wrt.as_deref(), &opts, show, out)
        }
        Command::Grad {
            expr,
            wrt,
            index,
            show,
        } => grad::run(session, &cli, expr, wrt.as_deref(), index, *show, out),
        Command::Hessian {
            expr,
            wrt,
            index,
            show,
        } => hessian::run(session, &cli, expr, wrt.as_deref(), index, *show, out),
        Command::Simplify { expr, show } => simplify::run(session, &cli, expr, *show, out),
        Command::Check(args) => check::run(session, &cli, args, out),
        Command::Prove {
            file,
            seed,
            verify,
            detail,
        } => {
            let opts = gauge::options::ProveOptions::new()
                .with_seed(*seed)
                .with_verify(*verify)
                .with_detail(detail.map_or(gauge::options::Detail::Full, |d| d.to_gauge()));
            prove::run(session, &cli, file, &opts, out)
        }
        Command::Latex { expr } => latex::run(session, &cli, expr, out),
        Command::Codegen {
            expr,
            wrt,
            target,
            emit_check,
            loss,
        } => {
            let what = codegen::Formula { expr, loss };
            codegen::run(session, &what, wrt.as_deref(), *target, *emit_check, out)
        }
        Command::Eml(args) => eml::run(session, &cli, args, out),
        Command::EmlTable(args) => eml::table(&cli, args, out),
        Command::Completions { shell } => completions::run(*shell, out),
    }
}

/// Whether the command prints LaTeX, which `--standalone` wraps in a document (and
/// `--format markdown` rewrites as Markdown).
pub fn prints_latex(cli: &Cli) -> bool {
    let latex = matches!(cli.format, Format::Latex | Format::Markdown);
    match &cli.command {
        Command::Latex { .. } => true,
        Command::Parse { file, .. } => file.is_none() && latex,
        Command::Diff { .. }
        | Command::Grad { .. }
        | Command::Hessian { .. }
        | Command::Simplify { .. }
        | Command::Prove { .. }
        | Command::Eml(_) => latex,
        Command::Eval { .. }
        | Command::Check(_)
        | Command::Codegen { .. }
        | Command::EmlTable(_)
        | Command::Completions { .. } => false,
    }
}

/// An argument's text; `-` reads it from standard input and `@FILE` from a file.
fn read_arg(text: &str) -> Result<String, Error> {
    if text == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot read standard input: {e}")))?;
        Ok(s.trim_end().to_string())
    } else if let Some(path) = text.strip_prefix('@') {
        // No expression starts with `@` (it is the matrix product, between operands),
        // so `@FILE` names a file as it does for `--at`.
        if path.is_empty() {
            return Err(Error::new(ErrorKind::Io, "`@` names no file").with_hint(
                "write `@expr.txt` to read the expression from a file, or `-` from standard input",
            ));
        }
        Ok(read_file(Path::new(path))?.trim_end().to_string())
    } else {
        Ok(text.to_string())
    }
}

/// The point `--at` gives, and the name its text is shown under: `@FILE` reads a
/// file (a JSON object, or `--at` text), `@-` standard input, anything else is the
/// point itself.
fn read_point(at: &str, expr: &str) -> Result<(String, String), Error> {
    let Some(path) = at.strip_prefix('@') else {
        return Ok(("<bindings>".to_string(), at.to_string()));
    };
    match path {
        "" => Err(Error::new(ErrorKind::Io, "`--at @` names no file")
            .with_hint("write `--at @point.json` to read a point from a file, or `--at @-` from standard input")),
        "-" if expr == "-" => Err(Error::new(
            ErrorKind::Io,
            "standard input cannot give both the expression and the point",
        )
        .with_hint("give the expression as an argument, or the point with `--at @point.json`")),
        "-" => Ok(("<stdin>".to_string(), read_arg("-")?)),
        // A program's dump: its arrays, read by their format, as a JSON point.
        _ if is_dump(Path::new(path)) => Ok((path.to_string(), gauge::values_point(Path::new(path))?)),
        _ => Ok((path.to_string(), read_file(Path::new(path))?)),
    }
}

/// Whether a point file is an array dump (`.npy`, `.npz`, safetensors) rather than
/// JSON text.
fn is_dump(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        matches!(
            e.to_ascii_lowercase().as_str(),
            "npy" | "npz" | "safetensors" | "st"
        )
    })
}

/// A file's text.
fn read_file(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot read `{}`: {e}", path.display()),
        )
        .with_hint("check the path; .gauge and point files are UTF-8 text")
    })
}
