//! `gauge check`: derivatives against finite differences, the complex step and dual
//! numbers.

use std::io::Write;
use std::process::ExitCode;

use gauge::Session;
use gauge::options::{CheckOptions, split_list};

use super::{Outcome, read_arg, read_point};
use crate::args::{CheckArgs, Cli, Format, Show};

/// Checks the derivatives and prints the report; exit code 1 when a component fails.
pub fn run(session: &mut Session, cli: &Cli, args: &CheckArgs, out: &mut impl Write) -> Outcome {
    let CheckArgs {
        expr,
        wrt,
        grad,
        index,
        at,
        len,
        points,
        seed,
        dtype,
        plot,
    } = args;
    let point = at.as_deref().map(|a| read_point(a, expr)).transpose()?;
    let text = read_arg(expr)?;
    let mut opts = CheckOptions::new()
        .with_points(*points)
        .with_seed(*seed)
        .with_dtype(dtype.to_gauge());
    if let Some(g) = grad {
        opts = opts.with_grad(g);
    }
    if let Some(i) = index {
        opts = opts.with_index(i);
    }
    if let Some((name, text)) = &point {
        opts = opts.with_at_named(name, text);
    }
    for l in len {
        opts = opts.with_len(l);
    }
    let vars = match wrt {
        Some(w) => split_list(w),
        None => session.variables(&text)?,
    };
    let vars: Vec<&str> = vars.iter().map(String::as_str).collect();
    let report = session.check_with(&text, &vars, &opts)?;
    out.write_all(report.render(&cli.output(Show::default())).as_bytes())?;
    if let Some(path) = plot {
        report.plot(path)?;
        if cli.format != Format::Json {
            writeln!(out, "plot: {}", path.display())?;
        }
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
