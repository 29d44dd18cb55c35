//! The `gauge` command line.
//!
//! This file only parses arguments, calls the library and renders results and
//! diagnostics; miette is used here and nowhere in the library.

mod render;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use gauge::error::{Error, ErrorKind};
use gauge::node::ExprId;
use gauge::session::Session;
use serde_json::json;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Human-readable text.
    Text,
    /// One JSON object on standard output.
    Json,
}

const ABOUT: &str = "Derive, prove, check and print gradients.";

const MAIN_EXAMPLES: &str = "\
Examples:
  gauge eval 'cross_entropy(z, y)' --at 'z=[2.1, 1.8, 0.2, -1.5], y=0'
  gauge parse 'x**2*exp(-x)/sqrt(1+x**2)'
  gauge parse -f examples/seed.gauge
  echo 'eml(1, 1)' | gauge eval -";

#[derive(Parser, Debug)]
#[command(name = "gauge", version, about = ABOUT, after_help = MAIN_EXAMPLES)]
struct Cli {
    /// Load definitions (`let`, `assume`) from this .gauge file first; may be repeated.
    #[arg(long, global = true, value_name = "FILE")]
    defs: Vec<PathBuf>,

    /// A domain fact, as in an `assume` statement (`x > 0`, `0 < p < 1`); may be repeated.
    #[arg(long, global = true, value_name = "FACT")]
    assume: Vec<String>,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    format: Format,

    #[command(subcommand)]
    command: Command,
}

/// How to show a derived result.
#[derive(clap::Args, Debug, Clone, Copy)]
struct Show {
    /// Print the derivation, one step per line, with the rules of each step.
    #[arg(long)]
    steps: bool,
    /// Print repeated subexpressions once, as `where` bindings.
    #[arg(long)]
    cse: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print an expression, or every statement of a file, in canonical form.
    #[command(after_help = "\
Examples:
  gauge parse 'x**2 + x*x - 2*x^2'          # prints 0
  gauge parse '(a+b)*(a+b)'                 # prints (a + b)^2
  gauge parse 'exp(z[i]) / sum(k, exp(z[k]))'
  gauge parse -f examples/seed.gauge")]
    Parse {
        /// The expression; `-` reads it from standard input.
        #[arg(
            required_unless_present = "file",
            conflicts_with = "file",
            allow_hyphen_values = true
        )]
        expr: Option<String>,
        /// Check a whole .gauge file and print each statement in canonical form.
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Evaluate an expression at a point, in double precision.
    #[command(after_help = "\
Examples:
  gauge eval 'cross_entropy(z, y)' --at 'z=[2.1, 1.8, 0.2, -1.5], y=0'
  gauge eval '-ln(0.001)'
  gauge eval 'sum(i, k, W[i, k]*x[k])' --at 'W=[[1, 2], [3, 4]], x=[0.5, -1]'")]
    Eval {
        /// The expression; `-` reads it from standard input.
        #[arg(allow_hyphen_values = true)]
        expr: String,
        /// Values of the free names: scalars, indices (from 0) and nested lists.
        #[arg(long, value_name = "BINDINGS", default_value = "")]
        at: String,
    },
    /// Differentiate an expression with respect to a scalar or a tensor element.
    #[command(after_help = "\
Examples:
  gauge diff 'eml(x, y)' --wrt y                       # -1/y
  gauge diff 'cross_entropy(z, y)' --wrt 'z[i]'        # softmax(z)[i] - delta(i, y)
  gauge diff 'sin(x)*x' --wrt x --order 2
  gauge diff 'cross_entropy(z, y)' --wrt 'z[i]' --steps")]
    Diff {
        /// The expression; `-` reads it from standard input.
        #[arg(allow_hyphen_values = true)]
        expr: String,
        /// The variable: a scalar such as `x`, or an element such as `z[i]` or `W[a, b]`.
        #[arg(long, value_name = "VAR")]
        wrt: String,
        /// Take the derivative this many times.
        #[arg(long, default_value_t = 1, value_name = "K")]
        order: u32,
        #[command(flatten)]
        show: Show,
    },
    /// The gradient of a scalar expression: with respect to a tensor, in index form; or
    /// with respect to a list of scalars, every partial derivative in one reverse sweep.
    #[command(after_help = "\
Examples:
  gauge grad 'logsumexp(z)' --wrt z                    # softmax(z)[i]
  gauge grad 'sum(i, k, W[i, k]*x[k])' --wrt W --index a,b
  gauge grad '-z0 + ln(exp(z0) + exp(z1) + exp(z2))' --wrt z0,z1,z2")]
    Grad {
        /// The expression; `-` reads it from standard input.
        #[arg(allow_hyphen_values = true)]
        expr: String,
        /// The tensor, by name, or scalar variables separated by commas.
        #[arg(long, value_name = "TENSOR|VARS")]
        wrt: String,
        /// The free indices of the result, one per axis of the tensor.
        #[arg(long, default_value = "i", value_name = "NAMES")]
        index: String,
        #[command(flatten)]
        show: Show,
    },
    /// The Hessian of a scalar expression with respect to a vector, in index form.
    #[command(after_help = "\
Example:
  gauge hessian 'logsumexp(z)' --wrt z                 # softmax(z)[i]*(delta(i, k) - softmax(z)[k])")]
    Hessian {
        /// The expression; `-` reads it from standard input.
        #[arg(allow_hyphen_values = true)]
        expr: String,
        /// The vector, by name.
        #[arg(long, value_name = "VECTOR")]
        wrt: String,
        /// The two free indices of the result.
        #[arg(long, default_value = "i,k", value_name = "NAMES")]
        index: String,
        #[command(flatten)]
        show: Show,
    },
    /// Simplify an expression, taking any derivatives in it.
    #[command(after_help = "\
Examples:
  gauge simplify 'exp(z[i])/sum(j, exp(z[j]))'         # softmax(z)[i]
  gauge simplify 'diff(x^3, x) + 1/(1 + exp(-x))'")]
    Simplify {
        /// The expression; `-` reads it from standard input.
        #[arg(allow_hyphen_values = true)]
        expr: String,
        #[command(flatten)]
        show: Show,
    },
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  gauge completions bash > /etc/bash_completion.d/gauge")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    // Deep but legal inputs recurse through lowering and printing; a large stack keeps
    // the documented nesting limit, not the platform's default stack, the real bound.
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
    let cli = Cli::parse();
    let format = cli.format;
    let mut session = match Session::with_prelude() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("gauge: the built-in prelude failed to load: {e}");
            return ExitCode::from(70);
        }
    };
    let result = execute(&mut session, cli);
    for w in std::mem::take(&mut session.warnings) {
        render::warning(&session, &w);
    }
    match result {
        Ok(code) => code,
        Err(e) => {
            if format == Format::Json {
                println!("{}", gauge::json::error(&session.sources, &e));
            }
            render::error(&session, &e);
            ExitCode::from(2)
        }
    }
}

fn read_arg(text: &str) -> Result<String, Error> {
    if text == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot read standard input: {e}")))?;
        Ok(s.trim_end().to_string())
    } else {
        Ok(text.to_string())
    }
}

fn read_file(path: &PathBuf) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot read `{}`: {e}", path.display()),
        )
        .with_hint("check the path; .gauge files are UTF-8 text")
    })
}

fn execute(session: &mut Session, cli: Cli) -> Result<ExitCode, Error> {
    for path in &cli.defs {
        let text = read_file(path)?;
        session.load_file(&path.display().to_string(), &text)?;
    }
    for fact in &cli.assume {
        session.load_file("<assume>", &format!("assume {fact}"))?;
    }
    match cli.command {
        Command::Parse { expr, file } => {
            if let Some(path) = file {
                let text = read_file(&path)?;
                let stmts = session.load_file(&path.display().to_string(), &text)?;
                let printed: Vec<(String, String)> = stmts
                    .iter()
                    .map(|s| {
                        let kind = match s {
                            gauge::session::Statement::Let(_) => "let",
                            gauge::session::Statement::Assume { .. } => "assume",
                            gauge::session::Statement::Claim(_) => "claim",
                        };
                        (kind.to_string(), session.print_statement(s))
                    })
                    .collect();
                match cli.format {
                    Format::Text => {
                        for (_, t) in &printed {
                            println!("{t}");
                        }
                    }
                    Format::Json => {
                        let list: Vec<_> = printed
                            .iter()
                            .map(|(k, t)| json!({"kind": k, "text": t}))
                            .collect();
                        println!(
                            "{}",
                            json!({"file": path.display().to_string(), "statements": list})
                        );
                    }
                }
            } else {
                let text = read_arg(expr.as_deref().unwrap_or("-"))?;
                let id = session.parse_expression(&text)?;
                let printed = session.print(id);
                match cli.format {
                    Format::Text => println!("{printed}"),
                    Format::Json => println!("{}", json!({"input": text, "canonical": printed})),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { expr, at } => {
            let text = read_arg(&expr)?;
            let id = session.parse_expression(&text)?;
            let bindings = if at.trim().is_empty() {
                gauge::value::Bindings::new()
            } else {
                session.parse_bindings(&at)?
            };
            // A value for a name the expression does not use is likely a typo.
            let used = session.names_used(id);
            for name in bindings.names() {
                if !used.contains(&name) {
                    let text = session.pool.name(name).to_string();
                    let mut w = Error::new(
                        ErrorKind::Binding,
                        format!("`{text}` is given a value, but the expression does not use it"),
                    );
                    if let Some(span) = bindings.span(name) {
                        w = w.with_label(span, "unused");
                    }
                    session.warnings.push(w);
                }
            }
            let value = session.eval(id, &bindings)?;
            match cli.format {
                Format::Text => println!("{value:?}"),
                Format::Json => {
                    let exact = session.pool.as_num(id).map(gauge::number::format_rational);
                    println!(
                        "{}",
                        json!({"canonical": session.print(id), "value": value, "exact": exact})
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff {
            expr,
            wrt,
            order,
            show,
        } => {
            let text = read_arg(&expr)?;
            let id = session.parse_expression(&text)?;
            if order == 0 || order > gauge::lower::MAX_DIFF_ORDER {
                return Err(Error::new(
                    ErrorKind::Limit,
                    format!("--order must be from 1 to {}", gauge::lower::MAX_DIFF_ORDER),
                )
                .with_hint("write `--order 2` for the second derivative"));
            }
            let var = session.parse_variable(&wrt)?;
            derivative_report(session, id, &[(var, order)], show, cli.format)
        }
        Command::Grad {
            expr,
            wrt,
            index,
            show,
        } => {
            let text = read_arg(&expr)?;
            let id = session.parse_expression(&text)?;
            let wrt_names: Vec<&str> = wrt.split(',').map(str::trim).collect();
            let is_tensor = wrt_names.len() == 1
                && session
                    .pool
                    .lookup_symbol(wrt_names[0])
                    .and_then(|s| session.kind_of(s))
                    .is_some_and(|k| matches!(k, gauge::lower::Kind::Tensor(_)));
            if !is_tensor {
                return scalar_gradient(session, id, &wrt_names, cli.format);
            }
            let names: Vec<&str> = index.split(',').map(str::trim).collect();
            let var = session.parse_variable(&format!("{wrt}[{}]", names.join(", ")))?;
            derivative_report(session, id, &[(var, 1)], show, cli.format)
        }
        Command::Hessian {
            expr,
            wrt,
            index,
            show,
        } => {
            let text = read_arg(&expr)?;
            let id = session.parse_expression(&text)?;
            let names: Vec<&str> = index.split(',').map(str::trim).collect();
            if names.len() != 2 {
                return Err(Error::new(
                    ErrorKind::Arity,
                    "--index takes two index names for a Hessian",
                )
                .with_hint("write `--index i,k`"));
            }
            let v1 = session.parse_variable(&format!("{wrt}[{}]", names[0]))?;
            let v2 = session.parse_variable(&format!("{wrt}[{}]", names[1]))?;
            derivative_report(session, id, &[(v1, 1), (v2, 1)], show, cli.format)
        }
        Command::Simplify { expr, show } => {
            let text = read_arg(&expr)?;
            let id = session.parse_expression(&text)?;
            let (taken, conditions) = gauge::derivation::take_derivatives(&mut session.pool, id)?;
            let defs = session.definitions_in_order();
            let facts = session.facts.clone();
            let mut simp =
                gauge::simplify::Simplifier::new(&mut session.pool, defs).with_facts(facts);
            let result = simp.simplify(taken);
            let mut steps = Vec::new();
            if taken != id {
                steps.push(gauge::simplify::Step {
                    rules: vec!["differentiate".into()],
                    before: id,
                    after: taken,
                });
            }
            steps.extend(simp.steps);
            let d = gauge::derivation::Derivation {
                start: id,
                steps,
                result,
                conditions,
            };
            print_derivation(session, &d, show, cli.format);
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "gauge", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Whether diagnostics may use colour: a terminal, and `NO_COLOR` unset.
fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Differentiates `id` by each variable in turn and prints the result.
fn derivative_report(
    session: &mut Session,
    id: ExprId,
    vars: &[(ExprId, u32)],
    show: Show,
    format: Format,
) -> Result<ExitCode, Error> {
    let defs = session.definitions_in_order();
    let mut cur = id;
    let mut all = gauge::derivation::Derivation {
        start: id,
        steps: Vec::new(),
        result: id,
        conditions: Vec::new(),
    };
    for (k, &(var, order)) in vars.iter().enumerate() {
        let facts = session.facts.clone();
        let d = gauge::derivation::derive_with_steps(
            &mut session.pool,
            cur,
            var,
            order,
            &defs,
            &facts,
        )?;
        if k == 0 {
            all.start = d.start;
        }
        all.steps.extend(d.steps);
        all.conditions.extend(d.conditions);
        cur = d.result;
    }
    all.result = cur;
    print_derivation(session, &all, show, format);
    Ok(ExitCode::SUCCESS)
}

/// Prints a derived result as text or JSON.
fn print_derivation(
    session: &Session,
    d: &gauge::derivation::Derivation,
    show: Show,
    format: Format,
) {
    let text = |id: ExprId| {
        if show.cse {
            gauge::cse::to_text(&session.pool, id)
        } else {
            session.print(id)
        }
    };
    let conditions: Vec<String> = d
        .conditions
        .iter()
        .map(|c| format!("{} != 0", session.print(c.nonzero)))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    match format {
        Format::Text => {
            if show.steps {
                println!("  {}", session.print(d.start));
                for st in &d.steps {
                    println!("= {}    [{}]", session.print(st.after), st.rules.join(", "));
                }
                if show.cse {
                    println!("{}", text(d.result));
                }
            } else {
                println!("{}", text(d.result));
            }
            if !conditions.is_empty() {
                println!("  (where {})", conditions.join(" and "));
            }
        }
        Format::Json => {
            let steps: Vec<serde_json::Value> = d
                .steps
                .iter()
                .map(|st| json!({"rules": st.rules, "expression": session.print(st.after)}))
                .collect();
            let mut out = json!({
                "input": session.print(d.start),
                "result": session.print(d.result),
                "conditions": conditions,
                "steps": steps,
            });
            if show.cse {
                let named = gauge::cse::bindings(&session.pool, d.result);
                let map: rustc_hash::FxHashMap<ExprId, String> = named.iter().cloned().collect();
                let b: Vec<serde_json::Value> = named
                    .iter()
                    .map(|(id, n)| json!({"name": n, "value": gauge::print::to_text_named(&session.pool, *id, &[], &map)}))
                    .collect();
                out["cse"] = json!({
                    "result": gauge::print::to_text_named(&session.pool, d.result, &[], &map),
                    "bindings": b,
                });
            }
            println!("{out}");
        }
    }
}

/// Every partial derivative of `id` with respect to scalar variables, in one sweep.
fn scalar_gradient(
    session: &mut Session,
    id: ExprId,
    names: &[&str],
    format: Format,
) -> Result<ExitCode, Error> {
    let mut vars = Vec::new();
    for n in names {
        vars.push(session.parse_variable(n)?);
    }
    let parts = gauge::gradient::gradient(&mut session.pool, id, &vars)?;
    let defs = session.definitions_in_order();
    let facts = session.facts.clone();
    let mut simp = gauge::simplify::Simplifier::new(&mut session.pool, defs).with_facts(facts);
    let parts: Vec<ExprId> = parts.into_iter().map(|p| simp.simplify(p)).collect();
    match format {
        Format::Text => {
            for (n, p) in names.iter().zip(&parts) {
                println!("{n}: {}", session.print(*p));
            }
        }
        Format::Json => {
            let g: serde_json::Map<String, serde_json::Value> = names
                .iter()
                .zip(&parts)
                .map(|(n, p)| (n.to_string(), json!(session.print(*p))))
                .collect();
            println!("{}", json!({"input": session.print(id), "gradient": g}));
        }
    }
    Ok(ExitCode::SUCCESS)
}
