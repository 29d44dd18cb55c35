//! The `gauge` command line.
//!
//! This file only parses arguments, calls the library and renders results and
//! diagnostics; miette is used here and nowhere in the library.

mod render;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use gauge::diag::error::{Error, ErrorKind};
use gauge::expr::node::ExprId;
use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;
use serde_json::json;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Human-readable text.
    Text,
    /// One JSON object on standard output.
    Json,
    /// LaTeX math (derivations as an `align*` environment); commands without a formula
    /// to show print text.
    Latex,
}

/// How results are printed: the format, and for LaTeX whether as a whole document.
#[derive(Clone, Copy, Debug)]
struct Output {
    format: Format,
    standalone: bool,
}

/// A formula as display math in a standalone document, or as it is otherwise.
fn display(tex: &str, standalone: bool) -> String {
    if standalone {
        format!("\\[\n{tex}\n\\]")
    } else {
        tex.to_string()
    }
}

/// About how many characters (see [`gauge::print::latex::display_width`]) fit across a page
/// of an article: an `align*` derivation's formulas and its notes share them.
const PAGE_WIDTH: usize = 50;

/// The narrowest a derivation's formulas are broken to.
const MIN_ROW_WIDTH: usize = 26;

/// The widest a note's row grows; a longer list of rules continues on the next rows.
const NOTE_WIDTH: usize = 24;

/// A note's rule names in rows of at most [`NOTE_WIDTH`] characters, broken after commas.
fn note_rows(note: &str) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    for name in note.split(", ").filter(|n| !n.is_empty()) {
        match rows.last_mut() {
            Some(row) if row.chars().count() + 2 + name.chars().count() <= NOTE_WIDTH => {
                row.push_str(", ");
                row.push_str(name);
            }
            Some(row) => {
                row.push(',');
                rows.push(name.to_string());
            }
            None => rows.push(name.to_string()),
        }
    }
    rows
}

/// An `align*` derivation: `first`, then one row per `(relation, expression, note)`,
/// the note set as `\text{...}`; a long sum continues on indented rows, and a long
/// list of rules on the rows below. The notes form one column, so the formulas get
/// what the widest note leaves of the page.
fn align(pool: &gauge::expr::pool::Pool, first: ExprId, rows: &[(&str, ExprId, String)]) -> String {
    let noted: Vec<Vec<String>> = rows.iter().map(|r| note_rows(&r.2)).collect();
    let notes = noted
        .iter()
        .flatten()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0);
    let width = PAGE_WIDTH.saturating_sub(notes).max(MIN_ROW_WIDTH);
    let mut out: Vec<String> = Vec::new();
    let head = gauge::print::latex::to_latex_lines(pool, first, width);
    for (k, part) in head.iter().enumerate() {
        out.push(if k == 0 {
            format!("  {part}")
        } else {
            format!("  &\\quad {part}")
        });
    }
    for (k, ((relation, e, _), notes)) in rows.iter().zip(&noted).enumerate() {
        let parts = gauge::print::latex::to_latex_lines(pool, *e, width);
        let height = parts.len().max(notes.len());
        for j in 0..height {
            let note = notes
                .get(j)
                .map_or(String::new(), |n| format!(" && \\text{{{n}}}"));
            let row = match (j, parts.get(j)) {
                (0, Some(part)) => format!("&{relation} {part}{note}"),
                (_, Some(part)) => format!("&\\quad {part}{note}"),
                (_, None) => note.trim_start().to_string(),
            };
            // The first relation continues the first expression's row, unless that
            // expression is long enough to fill the row itself.
            let short = head.len() == 1
                && gauge::print::latex::display_width(&head[0]) <= width as f64 / 2.0;
            if k == 0 && j == 0 && short {
                if let Some(last) = out.last_mut() {
                    last.push('\n');
                    last.push_str("  ");
                    last.push_str(&row);
                }
            } else {
                out.push(format!("  {row}"));
            }
        }
    }
    format!(
        "\\begin{{align*}}\n{}\n\\end{{align*}}\n",
        out.join(" \\\\\n")
    )
}

/// Prints LaTeX output, wrapped in a complete document when asked.
fn emit_latex(body: &str, standalone: bool) {
    let body = body.trim_end();
    if standalone {
        print!("{}", gauge::print::latex::standalone(body));
    } else {
        println!("{body}");
    }
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

    /// With LaTeX output, print a complete document (amsmath and amssymb only) that
    /// pdflatex compiles as it stands, instead of bare math.
    #[arg(long, global = true)]
    standalone: bool,

    #[command(subcommand)]
    command: Command,
}

/// Floating-point precisions for `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum DtypeArg {
    /// Double precision.
    F64,
    /// Single precision, as float32 training code computes.
    F32,
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
    /// Check a derivative against finite differences, the complex step and dual numbers.
    #[command(after_help = "\
Examples:
  gauge check 'cross_entropy(z, y)' --wrt z              # gauge's own derivative, random points
  gauge check 'eml(x, y)' --wrt x,y --grad 'exp(x), -1/y' # a hand-derived gradient
  gauge check 'abs(x)' --wrt x --at 'x=0'                # a kink is reported, not failed
  gauge check 'ln(1 + x) - x' --wrt x --at 'x=1e-12'     # finite differences cancel here")]
    Check {
        /// The function; `-` reads it from standard input.
        #[arg(allow_hyphen_values = true)]
        expr: String,
        /// The variables, separated by commas: scalars, or tensors (every element).
        #[arg(long, value_name = "VARS")]
        wrt: String,
        /// The claimed derivatives, one per variable, separated by commas; a tensor's has
        /// a free index (`softmax(z)[i] - delta(i, y)`). Default: gauge's own derivative.
        #[arg(long, value_name = "FORMULAS", allow_hyphen_values = true)]
        grad: Option<String>,
        /// The free index names of a tensor's claimed derivative.
        #[arg(long, value_name = "NAMES")]
        index: Option<String>,
        /// Check at this point instead of random ones.
        #[arg(long, value_name = "BINDINGS")]
        at: Option<String>,
        /// How many random points.
        #[arg(long, default_value_t = 20)]
        points: usize,
        /// The random seed (the same seed draws the same points).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The precision of the claim and the finite differences.
        #[arg(long, value_enum, default_value_t = DtypeArg::F64)]
        dtype: DtypeArg,
        /// Draw the finite-difference error against the step, for the worst component,
        /// as an SVG file.
        #[arg(long, value_name = "FILE.svg")]
        plot: Option<PathBuf>,
    },
    /// Decide the claims of a file: proved, confirmed by numbers, or refuted.
    #[command(after_help = "\
Examples:
  gauge prove examples/seed.gauge
  gauge prove examples/mistakes.gauge          # exits 1: each claim is refuted
  gauge prove examples/attention.gauge --format json
  gauge prove examples/seed.gauge --verify     # re-check every step of every proof")]
    Prove {
        /// The .gauge file.
        file: PathBuf,
        /// The random seed for the numeric checks.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Re-check every step of every proof with the independent step checker: each
        /// rule instance and its side condition, the step as a whole, and the step at
        /// random points.
        #[arg(long)]
        verify: bool,
    },
    /// Print an expression as LaTeX.
    #[command(after_help = "\
Examples:
  gauge latex 'exp(z[i]) / sum(j, exp(z[j]))'          # \\frac{e^{z_{i}}}{\\sum_{j} e^{z_{j}}}
  gauge latex 'softmax(z)[i] - delta(i, y)' --standalone")]
    Latex {
        /// The expression; `-` reads it from standard input.
        #[arg(allow_hyphen_values = true)]
        expr: String,
    },
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  gauge completions bash > /etc/bash_completion.d/gauge")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    // Output piped into a program that stops reading (`gauge ... | head`) is not an
    // error: print! then fails with a broken pipe, and the process ends quietly, as
    // command-line tools do, instead of reporting an internal error.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
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
    let mut session = match Workspace::with_prelude() {
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
                println!("{}", gauge::report::json::error(&session.sources, &e));
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

fn execute(session: &mut Workspace, cli: Cli) -> Result<ExitCode, Error> {
    for path in &cli.defs {
        let text = read_file(path)?;
        session.load_file(&path.display().to_string(), &text)?;
    }
    for fact in &cli.assume {
        session.load_file("<assume>", &format!("assume {fact}"))?;
    }
    let out = Output {
        format: cli.format,
        standalone: cli.standalone,
    };
    if cli.standalone {
        let latex_output = match &cli.command {
            Command::Latex { .. } => true,
            Command::Parse { file, .. } => file.is_none() && cli.format == Format::Latex,
            Command::Diff { .. }
            | Command::Grad { .. }
            | Command::Hessian { .. }
            | Command::Simplify { .. }
            | Command::Prove { .. } => cli.format == Format::Latex,
            _ => false,
        };
        if !latex_output {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "`--standalone` wraps LaTeX output in a document, and this command prints no LaTeX",
            )
            .with_hint(
                "use it with `gauge latex`, or with `--format latex` on parse, diff, grad, hessian, simplify or prove",
            ));
        }
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
                            gauge::lower::workspace::Statement::Let(_) => "let",
                            gauge::lower::workspace::Statement::Assume { .. } => "assume",
                            gauge::lower::workspace::Statement::Claim(_) => "claim",
                        };
                        (kind.to_string(), session.print_statement(s))
                    })
                    .collect();
                match cli.format {
                    Format::Text | Format::Latex => {
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
                    Format::Latex => {
                        let tex = gauge::print::latex::to_latex(&session.pool, id);
                        emit_latex(&display(&tex, cli.standalone), cli.standalone);
                    }
                    Format::Json => println!("{}", json!({"input": text, "canonical": printed})),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { expr, at } => {
            let text = read_arg(&expr)?;
            let id = session.parse_expression(&text)?;
            let bindings = if at.trim().is_empty() {
                gauge::numeric::value::Bindings::new()
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
                Format::Text | Format::Latex => println!("{value:?}"),
                Format::Json => {
                    let exact = session
                        .pool
                        .as_num(id)
                        .map(gauge::syntax::number::format_rational);
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
            if order == 0 || order > gauge::lower::lowerer::MAX_DIFF_ORDER {
                return Err(Error::new(
                    ErrorKind::Limit,
                    format!(
                        "--order must be from 1 to {}",
                        gauge::lower::lowerer::MAX_DIFF_ORDER
                    ),
                )
                .with_hint("write `--order 2` for the second derivative"));
            }
            let var = session.parse_variable(&wrt)?;
            derivative_report(session, id, &[(var, order)], show, out)
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
                    .is_some_and(|k| matches!(k, gauge::lower::lowerer::Kind::Tensor(_)));
            if !is_tensor {
                return scalar_gradient(session, id, &wrt_names, out);
            }
            let names: Vec<&str> = index.split(',').map(str::trim).collect();
            let var = session.parse_variable(&format!("{wrt}[{}]", names.join(", ")))?;
            derivative_report(session, id, &[(var, 1)], show, out)
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
            derivative_report(session, id, &[(v1, 1), (v2, 1)], show, out)
        }
        Command::Simplify { expr, show } => {
            let text = read_arg(&expr)?;
            let id = session.parse_expression(&text)?;
            let (taken, conditions, step) =
                gauge::calculus::derivation::differentiate_step(&mut session.pool, id)?;
            let defs = session.definitions_in_order();
            let facts = session.facts.clone();
            let mut simp = gauge::simplify::simplifier::Simplifier::new(&mut session.pool, defs)
                .with_facts(facts);
            let result = simp.simplify(taken);
            let mut steps: Vec<gauge::trace::Step> = step.into_iter().collect();
            steps.extend(simp.steps);
            let d = gauge::calculus::derivation::Derivation {
                start: id,
                steps,
                result,
                conditions,
            };
            print_derivation(session, &d, show, out);
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            expr,
            wrt,
            grad,
            index,
            at,
            points,
            seed,
            dtype,
            plot,
        } => {
            let text = read_arg(&expr)?;
            let id = session.parse_expression(&text)?;
            let dtype = match dtype {
                DtypeArg::F64 => gauge::numeric::oracle::Dtype::F64,
                DtypeArg::F32 => gauge::numeric::oracle::Dtype::F32,
            };
            let req = check_request(
                session,
                id,
                &wrt,
                grad.as_deref(),
                index.as_deref(),
                at.as_deref(),
                points,
                seed,
                dtype,
            )?;
            let report = gauge::check::run_check(session, &req)?;
            print_check(session, &req, &report, cli.format);
            if let Some(path) = plot {
                gauge::check::plot_worst(session, &req, &report, &path)?;
                if cli.format != Format::Json {
                    println!("plot: {}", path.display());
                }
            }
            Ok(if report.passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Prove { file, seed, verify } => {
            let text = read_file(&file)?;
            session.load_file(&file.display().to_string(), &text)?;
            let claims = session.claims.clone();
            let reports: Vec<gauge::prove::ClaimReport> = claims
                .iter()
                .map(|c| gauge::prove::prove_with(session, c, seed, verify))
                .collect();
            for r in &reports {
                if let Some(f) = &r.checker_failure {
                    eprintln!(
                        "gauge: BUG: the proof of claim `{}` (line {}) failed the step checker: {f}.\n       The verdict falls back to numeric evidence. Please report this.",
                        r.claim.name.clone().unwrap_or_default(),
                        r.claim.line
                    );
                }
            }
            print_proofs(session, &reports, out);
            let any = |name: &str| reports.iter().any(|r| r.verdict.name() == name);
            Ok(if any("error") {
                ExitCode::from(2)
            } else if any("refuted") {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Latex { expr } => {
            let text = read_arg(&expr)?;
            let id = session.parse_expression(&text)?;
            let tex = gauge::print::latex::to_latex(&session.pool, id);
            emit_latex(&display(&tex, cli.standalone), cli.standalone);
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
    session: &mut Workspace,
    id: ExprId,
    vars: &[(ExprId, u32)],
    show: Show,
    out: Output,
) -> Result<ExitCode, Error> {
    let defs = session.definitions_in_order();
    let mut cur = id;
    let mut all = gauge::calculus::derivation::Derivation {
        start: id,
        steps: Vec::new(),
        result: id,
        conditions: Vec::new(),
    };
    for (k, &(var, order)) in vars.iter().enumerate() {
        let facts = session.facts.clone();
        let d = gauge::calculus::derivation::derive_with_steps(
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
    print_derivation(session, &all, show, out);
    Ok(ExitCode::SUCCESS)
}

/// Prints a derived result as text or JSON.
fn print_derivation(
    session: &Workspace,
    d: &gauge::calculus::derivation::Derivation,
    show: Show,
    out: Output,
) {
    let text = |id: ExprId| {
        if show.cse {
            gauge::simplify::cse::to_text(&session.pool, id)
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
    match out.format {
        Format::Latex => {
            use std::fmt::Write;
            let tex = |id: ExprId| gauge::print::latex::to_latex(&session.pool, id);
            let mut o = String::new();
            if show.steps {
                // One step per line, each with its rules as a note.
                let rows: Vec<(&str, ExprId, String)> = d
                    .steps
                    .iter()
                    .map(|st| ("=", st.after, st.rule_names()))
                    .collect();
                o.push_str(&align(&session.pool, d.start, &rows));
            } else {
                let _ = writeln!(o, "{}", display(&tex(d.result), out.standalone));
            }
            if !conditions.is_empty() {
                let _ = writeln!(o, "% valid where {}", conditions.join(" and "));
            }
            emit_latex(&o, out.standalone);
        }
        Format::Text => {
            if show.steps {
                println!("  {}", session.print(d.start));
                for st in &d.steps {
                    println!("= {}    [{}]", session.print(st.after), st.rule_names());
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
                let named = gauge::simplify::cse::bindings(&session.pool, d.result);
                let map: rustc_hash::FxHashMap<ExprId, String> = named.iter().cloned().collect();
                let b: Vec<serde_json::Value> = named
                    .iter()
                    .map(|(id, n)| json!({"name": n, "value": gauge::print::text::to_text_named(&session.pool, *id, &[], &map)}))
                    .collect();
                out["cse"] = json!({
                    "result": gauge::print::text::to_text_named(&session.pool, d.result, &[], &map),
                    "bindings": b,
                });
            }
            println!("{out}");
        }
    }
}

/// Every partial derivative of `id` with respect to scalar variables, in one sweep.
fn scalar_gradient(
    session: &mut Workspace,
    id: ExprId,
    names: &[&str],
    out: Output,
) -> Result<ExitCode, Error> {
    let mut vars = Vec::new();
    for n in names {
        vars.push(session.parse_variable(n)?);
    }
    let parts = gauge::calculus::gradient::gradient(&mut session.pool, id, &vars)?;
    let defs = session.definitions_in_order();
    let facts = session.facts.clone();
    let mut simp =
        gauge::simplify::simplifier::Simplifier::new(&mut session.pool, defs).with_facts(facts);
    let parts: Vec<ExprId> = parts.into_iter().map(|p| simp.simplify(p)).collect();
    match out.format {
        Format::Text => {
            for (n, p) in names.iter().zip(&parts) {
                println!("{n}: {}", session.print(*p));
            }
        }
        Format::Latex => {
            let lines: Vec<String> = names
                .iter()
                .zip(&parts)
                .map(|(n, p)| {
                    let tex = format!(
                        "\\frac{{\\partial f}}{{\\partial {}}} = {}",
                        gauge::print::latex::name(n),
                        gauge::print::latex::to_latex(&session.pool, *p)
                    );
                    display(&tex, out.standalone)
                })
                .collect();
            emit_latex(&lines.join("\n"), out.standalone);
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

/// Splits a list at the commas outside brackets.
fn split_top_level(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in text.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out
}

#[allow(clippy::too_many_arguments)]
fn check_request(
    session: &mut Workspace,
    id: ExprId,
    wrt: &str,
    grad: Option<&str>,
    index: Option<&str>,
    at: Option<&str>,
    points: usize,
    seed: u64,
    dtype: gauge::numeric::oracle::Dtype,
) -> Result<gauge::check::CheckRequest, Error> {
    use gauge::check::CheckVar;
    use gauge::lower::lowerer::Kind;
    let names: Vec<String> = split_top_level(wrt);
    let mut vars = Vec::new();
    for n in &names {
        let kind = session
            .pool
            .lookup_symbol(n)
            .and_then(|s| session.kind_of(s).map(|k| (s, k)));
        match kind {
            Some((s, Kind::Scalar)) => vars.push(CheckVar::Scalar(s)),
            Some((s, Kind::Tensor(r))) => vars.push(CheckVar::Tensor(s, r)),
            Some((_, Kind::Index)) => {
                return Err(Error::new(
                    ErrorKind::Shape,
                    format!("`{n}` is an index; derivatives are taken by scalars and tensors"),
                ));
            }
            None => {
                return Err(Error::new(
                    ErrorKind::Name,
                    format!("`{n}` does not occur in the expression"),
                )
                .with_hint("--wrt takes names that the expression uses, separated by commas"));
            }
        }
    }
    let f_indices = session.pool.free_indices(id);
    let claims = match grad {
        None => None,
        Some(g) => {
            let parts = split_top_level(g);
            if parts.len() != vars.len() {
                return Err(Error::new(
                    ErrorKind::Arity,
                    format!(
                        "--grad has {} formulas for {} variables",
                        parts.len(),
                        vars.len()
                    ),
                )
                .with_hint("give one formula per variable of --wrt, separated by commas"));
            }
            let mut ids = Vec::new();
            for p in parts {
                ids.push(session.parse_expression_named("<grad>", &p)?);
            }
            Some(ids)
        }
    };
    // The free indices of each tensor's claim.
    let given: Option<Vec<String>> = index.map(split_top_level);
    let mut indices = Vec::new();
    for (k, v) in vars.iter().enumerate() {
        let CheckVar::Tensor(t, r) = v else {
            indices.push(Vec::new());
            continue;
        };
        let names: Vec<gauge::expr::node::Symbol> = match (&claims, &given) {
            (_, Some(g)) => g.iter().map(|n| session.pool.symbol(n)).collect(),
            (Some(c), None) => session
                .pool
                .free_indices(c[k])
                .into_iter()
                .filter(|s| !f_indices.contains(s))
                .collect(),
            (None, None) => {
                let mut out = Vec::new();
                for cand in ["i", "k", "l", "m", "p", "q"] {
                    let s = session.pool.symbol(cand);
                    if session.kind_of(s).is_none()
                        || (session.kind_of(s) == Some(Kind::Index) && !f_indices.contains(&s))
                    {
                        out.push(s);
                    }
                    if out.len() == *r as usize {
                        break;
                    }
                }
                out
            }
        };
        if names.len() != *r as usize {
            return Err(Error::new(
                ErrorKind::Shape,
                format!(
                    "the derivative by `{}` needs {r} free index name(s), found {}",
                    session.pool.name(*t),
                    names.len()
                ),
            )
            .with_hint("write the formula with a free index, as in `softmax(z)[i] - delta(i, y)`, or name it with --index"));
        }
        indices.push(names);
    }
    let at = match at {
        Some(a) => Some(session.parse_bindings(a)?),
        None => None,
    };
    Ok(gauge::check::CheckRequest {
        expr: id,
        vars,
        claims,
        indices,
        at,
        points,
        seed,
        dtype,
        tolerances: gauge::numeric::oracle::Tolerances::for_dtype(dtype),
    })
}

fn print_check(
    session: &Workspace,
    req: &gauge::check::CheckRequest,
    report: &gauge::check::CheckReport,
    format: Format,
) {
    let who = if report.symbolic {
        "gauge's derivative"
    } else {
        "the given formula"
    };
    let components: usize = report.points.iter().map(|p| p.components.len()).sum();
    match format {
        Format::Text | Format::Latex => {
            println!("checking the derivatives of {}", session.print(req.expr));
            for c in &report.claims {
                println!("  claim ({who}): {c}");
            }
            println!(
                "  references: complex step, dual numbers, finite differences; {} point(s), {components} component(s)",
                report.points.len()
            );
            println!(
                "  {:<20} {:>14} {:>14}",
                "reference", "max abs error", "max rel error"
            );
            for (o, a, r) in report.max_errors() {
                println!("  {:<20} {:>14.3e} {:>14.3e}", o.name(), a, r);
            }
            let mut notes: Vec<String> = Vec::new();
            for p in &report.points {
                for c in &p.components {
                    for n in &c.notes {
                        notes.push(format!("{} at {}: {n}", c.component, p.point));
                    }
                }
            }
            notes.dedup();
            for n in notes.iter().take(6) {
                println!("  note: {n}");
            }
            // At a single point, every component is listed: the claim, each reference,
            // and the errors.
            if report.points.len() == 1 {
                let p = &report.points[0];
                println!("  at {}", p.point);
                for c in &p.components {
                    let claim = c
                        .claim
                        .map_or("undefined".to_string(), |v| format!("{v:?}"));
                    let verdict = match &c.verdict {
                        gauge::numeric::oracle::Agreement::Agrees => "agrees".to_string(),
                        gauge::numeric::oracle::Agreement::Disagrees => "DISAGREES".to_string(),
                        gauge::numeric::oracle::Agreement::Inconclusive => {
                            "inconclusive".to_string()
                        }
                        gauge::numeric::oracle::Agreement::Kink {
                            subgradient: true, ..
                        } => "kink, subgradient".to_string(),
                        gauge::numeric::oracle::Agreement::Kink { .. } => "kink".to_string(),
                    };
                    println!("  {:<12} claim {claim:>24}   {verdict}", c.component);
                    for r in &c.readings {
                        let (v, t) = reading_cells(r);
                        println!(
                            "  {:<12} {:<19} {v:>24}   abs error {:.3e}   rel error {:.3e}   ({t})",
                            "",
                            r.oracle.name(),
                            r.abs_error,
                            r.rel_error
                        );
                    }
                }
            }
            if report.passed {
                println!("passed: the claim agrees with every trusted reference");
            } else {
                let failing = report
                    .points
                    .iter()
                    .filter(|p| p.components.iter().any(|c| !c.passes()))
                    .count();
                println!("FAILED at {failing} of {} point(s)", report.points.len());
                if let Some((p, c)) = report.worst() {
                    println!("  worst: component {} at {}", c.component, p.point);
                    match c.claim {
                        Some(v) => println!("    {:<20} {:>24}", "claim", format!("{v:?}")),
                        None => println!("    {:<20} {:>24}", "claim", "undefined"),
                    }
                    for r in &c.readings {
                        let (v, t) = reading_cells(r);
                        println!(
                            "    {:<20} {v:>24}   abs error {:.3e}   rel error {:.3e}   ({t})",
                            r.oracle.name(),
                            r.abs_error,
                            r.rel_error
                        );
                    }
                }
            }
        }
        Format::Json => {
            let points: Vec<serde_json::Value> = report
                .points
                .iter()
                .map(|p| {
                    let comps: Vec<serde_json::Value> = p
                        .components
                        .iter()
                        .map(|c| {
                            let readings: Vec<serde_json::Value> = c
                                .readings
                                .iter()
                                .map(|r| json!({"oracle": r.oracle.name(), "value": r.value, "abs_error": finite(r.abs_error), "rel_error": finite(r.rel_error), "trusted": r.trusted, "agrees": r.agrees, "note": r.note}))
                                .collect();
                            let verdict = match &c.verdict {
                                gauge::numeric::oracle::Agreement::Agrees => json!("agrees"),
                                gauge::numeric::oracle::Agreement::Disagrees => json!("disagrees"),
                                gauge::numeric::oracle::Agreement::Inconclusive => json!("inconclusive"),
                                gauge::numeric::oracle::Agreement::Kink { left, right, subgradient } => json!({"kink": {"left": left, "right": right, "subgradient": subgradient}}),
                            };
                            json!({"component": c.component, "claim": c.claim, "passes": c.passes(), "verdict": verdict, "readings": readings, "notes": c.notes})
                        })
                        .collect();
                    json!({"point": p.point, "components": comps})
                })
                .collect();
            let max: Vec<serde_json::Value> = report
                .max_errors()
                .into_iter()
                .map(
                    |(o, a, r)| json!({"oracle": o.name(), "max_abs_error": a, "max_rel_error": r}),
                )
                .collect();
            println!(
                "{}",
                json!({"function": session.print(req.expr), "claims": report.claims, "claim_is": who, "passed": report.passed, "max_errors": max, "points": points})
            );
        }
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// The value and trust columns of one oracle's reading in `check`'s text report.
fn reading_cells(r: &gauge::numeric::oracle::Reading) -> (String, &'static str) {
    let v = r
        .value
        .map_or("undefined".to_string(), |v| format!("{v:?}"));
    let t = if r.trusted {
        "reference"
    } else {
        "not trusted"
    };
    (v, t)
}

fn print_proofs(session: &Workspace, reports: &[gauge::prove::ClaimReport], out: Output) {
    use gauge::prove::Verdict;
    let label = |r: &gauge::prove::ClaimReport| {
        r.claim
            .name
            .clone()
            .unwrap_or_else(|| format!("line {}", r.claim.line))
    };
    match out.format {
        Format::Latex => {
            use std::fmt::Write;
            let mut o = String::new();
            for r in reports {
                let _ = writeln!(
                    o,
                    "% {} (line {}): {}",
                    label(r),
                    r.claim.line,
                    r.verdict.name()
                );
                if out.standalone {
                    // Claim names are identifiers, so `_` is the one character that
                    // text mode needs escaped.
                    let _ = writeln!(
                        o,
                        "\\noindent\\texttt{{{}}} (line {}): {}.",
                        label(r).replace('_', "\\_"),
                        r.claim.line,
                        r.verdict.name()
                    );
                }
                // Each row: the relation, the expression reached, and the rules that
                // reached it.
                let mut rows: Vec<(&str, ExprId, String)> = Vec::new();
                let mut first = r.claim.lhs;
                match (&r.verdict, &r.chain) {
                    (Verdict::Proved { .. }, Some(chain)) => {
                        // Read forwards, as a textbook does: lhs = ... = rhs.
                        for st in &chain.left {
                            rows.push(("=", st.after, st.rule_names()));
                        }
                        for st in chain.right.iter().rev() {
                            rows.push(("=", st.before, st.rule_names()));
                        }
                        if rows.is_empty() {
                            rows.push(("=", r.claim.rhs, String::new()));
                        }
                    }
                    (Verdict::Proved { steps }, None) => {
                        // The sides meet only through their difference, which the
                        // steps take down to 0.
                        first = steps.first().map_or(r.claim.lhs, |s| s.before);
                        for st in steps {
                            rows.push(("=", st.after, st.rule_names()));
                        }
                    }
                    (Verdict::Confirmed { points, .. }, _) => rows.push((
                        "\\overset{?}{=}",
                        r.claim.rhs,
                        format!("agrees at {points} random points; not proved"),
                    )),
                    (Verdict::Refuted { point, .. }, _) => {
                        let at: Vec<String> =
                            point.iter().map(|(n, v)| format!("{n} = {v}")).collect();
                        let _ = writeln!(o, "% counterexample: {}", at.join(", "));
                        rows.push(("\\neq", r.claim.rhs, "refuted at a point".into()));
                    }
                    (Verdict::Failed(e), _) => {
                        let _ = writeln!(o, "% error: {}", e.message.replace('\n', " "));
                        continue;
                    }
                }
                o.push_str(&align(&session.pool, first, &rows));
            }
            emit_latex(&o, out.standalone);
        }
        Format::Text => {
            for r in reports {
                let checked = match &r.verified {
                    Some(v) => format!(
                        "  verified: {} steps, {} rule instances, {} points",
                        v.steps, v.rewrites, v.points
                    ),
                    None => String::new(),
                };
                println!(
                    "{:<24} {:<10} {:>8.3} s{checked}",
                    label(r),
                    r.verdict.name(),
                    r.seconds
                );
            }
            for r in reports {
                match &r.verdict {
                    Verdict::Proved { .. } => {}
                    Verdict::Confirmed { points, residue } => {
                        println!("\n{} (line {}): confirmed", label(r), r.claim.line);
                        println!(
                            "  no proof found: lhs - rhs simplifies to {}, not 0",
                            session.print(*residue)
                        );
                        println!(
                            "  both sides agree at {points} random points; this is numeric evidence, not a proof"
                        );
                    }
                    Verdict::Refuted { point, lhs, rhs } => {
                        println!("\n{} (line {}): refuted", label(r), r.claim.line);
                        println!(
                            "  claim: {} = {}",
                            session.print(r.claim.lhs),
                            session.print(r.claim.rhs)
                        );
                        let at: Vec<String> =
                            point.iter().map(|(n, v)| format!("{n} = {v}")).collect();
                        println!("  counterexample: {}", at.join(", "));
                        println!("  left side  {lhs:?}");
                        match rhs {
                            Some(r) => println!("  right side {r:?}"),
                            None => println!(
                                "  right side undefined there, where the left side is defined"
                            ),
                        }
                    }
                    Verdict::Failed(e) => {
                        println!(
                            "\n{} (line {}): error: {}",
                            label(r),
                            r.claim.line,
                            e.message
                        );
                    }
                }
            }
            let count = |n: &str| reports.iter().filter(|r| r.verdict.name() == n).count();
            println!(
                "\n{} proved, {} confirmed, {} refuted, {} error",
                count("proved"),
                count("confirmed"),
                count("refuted"),
                count("error")
            );
        }
        Format::Json => {
            let claims: Vec<serde_json::Value> = reports
                .iter()
                .map(|r| {
                    let steps: Vec<serde_json::Value> = match &r.verdict {
                        Verdict::Proved { steps } => steps
                            .iter()
                            .map(|st| json!({"rules": st.rules, "expression": session.print(st.after)}))
                            .collect(),
                        _ => Vec::new(),
                    };
                    let counterexample = match &r.verdict {
                        Verdict::Refuted { point, lhs, rhs } => {
                            let p: serde_json::Map<String, serde_json::Value> =
                                point.iter().map(|(n, v)| (n.clone(), json!(v))).collect();
                            json!({"point": p, "lhs": lhs, "rhs": rhs})
                        }
                        _ => serde_json::Value::Null,
                    };
                    let error = match &r.verdict {
                        Verdict::Failed(e) => json!(e.message),
                        _ => serde_json::Value::Null,
                    };
                    let verified = match &r.verified {
                        Some(v) => json!({"steps": v.steps, "rewrites": v.rewrites, "points": v.points}),
                        None => serde_json::Value::Null,
                    };
                    // The proof read forwards, lhs = ... = rhs, when the sides meet.
                    let forward = r.chain.as_ref().map_or(serde_json::Value::Null, |c| {
                        let left = c.left.iter().map(|st| (st.after, &st.rules));
                        let right = c.right.iter().rev().map(|st| (st.before, &st.rules));
                        let lines: Vec<serde_json::Value> = left
                            .chain(right)
                            .map(|(e, rules)| json!({"rules": rules, "expression": session.print(e)}))
                            .collect();
                        json!(lines)
                    });
                    let checker_failure = r
                        .checker_failure
                        .as_ref()
                        .map_or(serde_json::Value::Null, |f| json!(f.to_string()));
                    json!({
                        "name": r.claim.name,
                        "line": r.claim.line,
                        "verdict": r.verdict.name(),
                        "lhs": session.print(r.claim.lhs),
                        "rhs": session.print(r.claim.rhs),
                        "seconds": r.seconds,
                        "steps": steps,
                        "forward": forward,
                        "counterexample": counterexample,
                        "error": error,
                        "verified": verified,
                        "checker_failure": checker_failure,
                    })
                })
                .collect();
            let count = |n: &str| reports.iter().filter(|r| r.verdict.name() == n).count();
            println!(
                "{}",
                json!({"claims": claims, "summary": {"proved": count("proved"), "confirmed": count("confirmed"), "refuted": count("refuted"), "error": count("error")}})
            );
        }
    }
}
