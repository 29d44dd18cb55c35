//! `gauge codegen`: the value and gradients of a formula as generated code.

use std::io::Write;
use std::process::ExitCode;

use gauge::options::{CodegenOptions, Target};
use gauge::{Error, ErrorKind, Session};

use super::{Outcome, read_arg};
use crate::args::CodegenTarget;

/// Prints the generated function (and, with `--emit-check`, its harness).
pub fn run(
    session: &mut Session,
    expr: &str,
    wrt: Option<&str>,
    target: CodegenTarget,
    emit_check: bool,
    out: &mut impl Write,
) -> Outcome {
    if expr.ends_with(".gauge") && std::path::Path::new(expr).is_file() {
        // A file of definitions is not a formula: say how to name the one wanted.
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!("`{expr}` is a file of definitions, not a formula"),
        )
        .with_hint(format!(
            "load it with --defs and name the loss: `gauge codegen loss --defs {expr} --wrt ...`"
        ))
        .into());
    }
    let text = read_arg(expr)?;
    let vars: Vec<String> = match wrt {
        Some(w) => w.split(',').map(|v| v.trim().to_string()).collect(),
        None => session.variables(&text)?,
    };
    let vars: Vec<&str> = vars.iter().map(String::as_str).collect();
    let target = match target {
        CodegenTarget::Numpy => Target::Numpy,
        CodegenTarget::Jax => Target::Jax,
        CodegenTarget::Torch => Target::Torch,
        CodegenTarget::Rust => Target::Rust,
    };
    let opts = CodegenOptions::new(target).with_check(emit_check);
    let code = session.codegen(&text, &vars, &opts)?;
    out.write_all(code.text().as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
