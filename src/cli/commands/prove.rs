//! `gauge prove`: the claims of a file, proved, confirmed by numbers, or refuted.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use gauge::options::ProveOptions;
use gauge::{Session, Verdict};

use super::{Outcome, read_file};
use crate::args::{Cli, Show};

/// Decides the claims of `file` (and of `--defs`) and prints their outcomes; exit code
/// 2 when a claim could not be decided, else 1 when one is refuted.
pub fn run(
    session: &mut Session,
    cli: &Cli,
    file: &Path,
    opts: &ProveOptions,
    out: &mut impl Write,
) -> Outcome {
    let text = read_file(file)?;
    session.load_claims(&file.display().to_string(), &text)?;
    let proofs = session.prove_all(opts);
    for c in proofs.claims() {
        if let Some(f) = c.checker_failure().filter(|_| c.checker_gave_up()) {
            let _ = writeln!(
                std::io::stderr(),
                "gauge: warning: the step checker could not re-check the proof of claim `{}` (line {}): {f}.\n       The verdict falls back to numeric evidence.",
                c.name().unwrap_or_default(),
                c.line()
            );
        } else if let Some(f) = c.checker_failure() {
            let _ = writeln!(
                std::io::stderr(),
                "gauge: BUG: the proof of claim `{}` (line {}) failed the step checker: {f}.\n       The verdict falls back to numeric evidence. Please report this.",
                c.name().unwrap_or_default(),
                c.line()
            );
        }
    }
    out.write_all(proofs.render(&cli.output(Show::default())).as_bytes())?;
    Ok(if proofs.any(Verdict::Error) {
        ExitCode::from(2)
    } else if proofs.any(Verdict::Refuted) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
