//! `gauge check`: derivatives against finite differences, the complex step and dual
//! numbers.

use std::io::Write;
use std::process::ExitCode;

use gauge::Session;
use gauge::options::{CheckOptions, ValuesOptions, split_list};

use std::path::Path;

use gauge::{Error, ErrorKind};

use super::{Outcome, read_arg, read_file, read_point};
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
        values,
        ..
    } = args;
    if !values.is_empty() {
        return program(session, cli, args, out);
    }
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

/// `--values`: a program's dumped gradients against the spec. SPEC is an expression,
/// or a `.gauge` file whose `--loss` definition (`loss`) is the spec.
fn program(session: &mut Session, cli: &Cli, args: &CheckArgs, out: &mut impl Write) -> Outcome {
    let spec_path = Path::new(&args.expr);
    let expr = if args.expr.ends_with(".gauge") || spec_path.is_file() {
        let text = read_file(spec_path)?;
        session.load_named(&args.expr, &text)?;
        args.loss.clone()
    } else {
        read_arg(&args.expr)?
    };
    if args.grads.len() > args.values.len() {
        return Err(
            Error::new(ErrorKind::Binding, "more --grads files than --values files")
                .with_hint("give each --grads right after the --values it belongs to")
                .into(),
        );
    }
    // Each gradients file goes with the values file of the same position.
    let mut opts = ValuesOptions::new(&args.values[0]);
    for (k, v) in args.values.iter().enumerate() {
        if k > 0 {
            opts = opts.with_values(v);
        }
        if let Some(g) = args.grads.get(k) {
            opts = opts.with_grads(g);
        }
    }
    if let Some(r) = args.rtol {
        if !(r > 0.0 && r.is_finite()) {
            return Err(Error::new(
                ErrorKind::Binding,
                format!("--rtol {r} is not a positive number"),
            )
            .with_hint("give a relative tolerance such as --rtol 1e-5")
            .into());
        }
        opts = opts.with_rtol(r);
    }
    if let Some(c) = &args.compute {
        opts = opts.with_compute(c)?;
    }
    if let Some(w) = &args.wrt {
        let names = split_list(w);
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        opts = opts.with_only(&names);
    }
    // The text report shows each gradient's worst component; JSON lists them all.
    opts = opts.with_summary_only(cli.format != Format::Json);
    let report = session.check_values(&expr, &opts)?;
    out.write_all(report.render(&cli.output(Show::default())).as_bytes())?;
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
