//! The `gauge` command line.
//!
//! It parses arguments, calls the library's facade (and nothing below it), prints the
//! rendered results, and renders diagnostics with miette, which is used here and
//! nowhere in the library. Each command is a small function in [`commands`].

mod args;
mod commands;
mod format;
mod render;
mod subargs;
mod usage;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use args::Format;

/// Why a command stopped: an error of gauge's, or output that could not be written.
enum Failure {
    /// Bad input or usage: a diagnostic, and exit code 2.
    Gauge(gauge::Error),
    /// Standard output could not be written.
    Io(std::io::Error),
}

impl From<gauge::Error> for Failure {
    fn from(e: gauge::Error) -> Failure {
        Failure::Gauge(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Io(e)
    }
}

fn main() -> ExitCode {
    // Deep but legal inputs recurse through every stage. The library grows its stack
    // where it recurses on expressions (on any thread), but not yet through the written
    // forms of whole-tensor expressions (`Form`, whose derived clone recurses): 10,000
    // nested `(2*(2*...w))` overflow the main thread's 8 MB. So the work runs on a thread
    // with a large stack, whose memory is only reserved, not used, until touched; it
    // costs about half a millisecond a command.
    let worker = std::thread::Builder::new().stack_size(512 << 20).spawn(run);
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("gauge: internal error (please report it with the input that caused it)");
            ExitCode::from(70)
        }
    }
}

fn run() -> ExitCode {
    let cli = usage::parse();
    let format = cli.format;
    let mut session = match gauge::Session::try_new() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("gauge: the built-in prelude failed to load: {e}");
            return ExitCode::from(70);
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = if format == Format::Markdown {
        // Markdown is made from the whole LaTeX output, so the command writes it here
        // first; what it wrote before an error is still printed.
        let source = format::markdown_source(&cli);
        let mut written = Vec::new();
        let result = commands::execute(&mut session, cli, &mut written);
        match out.write_all(&format::markdown(source, written)) {
            Ok(()) => result,
            Err(e) => Err(Failure::Io(e)),
        }
    } else {
        commands::execute(&mut session, cli, &mut out)
    };
    // A search that gave up at the work budget printed what it had; the exit code says
    // the answer is not the whole one.
    let mut gave_up = false;
    for w in session.take_warnings() {
        gave_up |= w.kind() == gauge::ErrorKind::Limit;
        render::warning(&w);
    }
    let result = match result {
        Ok(code) if gave_up && code == ExitCode::SUCCESS => Ok(ExitCode::from(2)),
        other => other,
    };
    let result = match result {
        Err(Failure::Gauge(e)) => {
            let json = if format == Format::Json {
                writeln!(out, "{}", e.to_json())
            } else {
                Ok(())
            };
            render::error(&e);
            json.map(|()| ExitCode::from(2))
        }
        Err(Failure::Io(e)) => Err(e),
        Ok(code) => Ok(code),
    };
    let written = result.and_then(|code| out.flush().map(|()| code));
    // The process ends here, and the system takes its memory back at once: freeing a
    // session node by node would add a tenth to the time of a large command.
    std::mem::forget(session);
    match written {
        Ok(code) => code,
        // Output piped into a program that stops reading (`gauge ... | head`) is not an
        // error: gauge ends quietly, as command-line tools do.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gauge: cannot write the output: {e}");
            ExitCode::from(70)
        }
    }
}

/// Whether diagnostics may use colour: a terminal, and `NO_COLOR` unset.
fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
