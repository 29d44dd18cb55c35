//! `gauge codegen`: the value and gradients of a formula as generated code.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use gauge::Session;
use gauge::options::{CodegenOptions, Target};

use super::{Outcome, read_arg, read_file};
use crate::args::CodegenTarget;

/// What to generate for: a formula (or `-`, `@FILE`), or a `.gauge` file and the name
/// of its definition to generate.
pub struct Formula<'a> {
    /// The formula or the file.
    pub expr: &'a str,
    /// The definition generated when `expr` is a file (`--loss`).
    pub loss: &'a str,
}

/// Prints the generated function (and, with `--emit-check`, its harness).
pub fn run(
    session: &mut Session,
    formula: &Formula<'_>,
    wrt: Option<&str>,
    target: CodegenTarget,
    emit_check: bool,
    out: &mut impl Write,
) -> Outcome {
    let path = Path::new(formula.expr);
    // As for `gauge check SPEC --values`: a file of definitions stands for its loss,
    // which is what a training script's gradients are of.
    let text = if formula.expr.ends_with(".gauge") || path.is_file() {
        let defs = read_file(path)?;
        session.load_named(formula.expr, &defs)?;
        formula.loss.to_string()
    } else {
        read_arg(formula.expr)?
    };
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
