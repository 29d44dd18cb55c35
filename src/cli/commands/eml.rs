//! `gauge eml` and `gauge eml-table`.

use std::io::Write;
use std::process::ExitCode;

use gauge::Session;
use gauge::options::EmlOptions;

use super::{Outcome, read_arg};
use crate::args::{Cli, EmlArgs, EmlTableArgs, Show};

/// Prints a formula's EML form; exit code 1 when its audit does not verify it.
pub fn run(session: &mut Session, cli: &Cli, args: &EmlArgs, out: &mut impl Write) -> Outcome {
    let text = read_arg(&args.expr)?;
    let mut opts = EmlOptions::new().with_complex_safe(args.complex_safe);
    if let Some(v) = &args.diff {
        opts = opts.with_diff(v);
    }
    let report = session.eml(&text, &opts)?;
    let rendered = report.render(&cli.output(Show::default()));
    let rendered = match (args.nested, report.nested()) {
        (true, Some(nested)) if cli.format == crate::args::Format::Text => {
            // The summary lines, then the tree written out in full.
            let summary: Vec<&str> = rendered
                .lines()
                .take_while(|l| !l.starts_with("t1 = ") && l.contains("  "))
                .collect();
            format!("{}\n{nested}\n", summary.join("\n"))
        }
        _ => rendered,
    };
    out.write_all(rendered.as_bytes())?;
    Ok(if report.verified() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Prints the table of forms against the paper, rebuilding it first if asked.
pub fn table(cli: &Cli, args: &EmlTableArgs, out: &mut impl Write) -> Outcome {
    let build = if args.rebuild {
        let k: Vec<u32> = args
            .k
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        let [c, u, b] = k[..] else {
            return Err(gauge::Error::new(
                gauge::ErrorKind::Syntax,
                format!("--k takes three sizes, `C,U,B`, not `{}`", args.k),
            )
            .with_hint("for example --k 33,19,15")
            .into());
        };
        if let Some(w) = &args.write
            && w.exists()
        {
            return Err(gauge::Error::new(
                gauge::ErrorKind::Io,
                format!(
                    "{} exists already; --write does not overwrite a file",
                    w.display()
                ),
            )
            .with_hint("give a new file name, or move the old one away")
            .into());
        }
        Some(gauge::EmlBuild {
            k: [c, u, b],
            state: args.state.clone(),
        })
    } else {
        None
    };
    let mut log = |m: &str| eprintln!("{m}");
    let t = gauge::eml_table(build.as_ref(), &mut log)?;
    if let (Some(w), Some(text)) = (&args.write, t.forms_text()) {
        std::fs::write(w, text)?;
    }
    out.write_all(t.render(&cli.output(Show::default())).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
