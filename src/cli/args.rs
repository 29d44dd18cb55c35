//! The command-line arguments: every command, option and help text, read by clap.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub use crate::format::Format;
pub use crate::subargs::{CheckArgs, EmlArgs, EmlTableArgs};

const ABOUT: &str = "Derive, prove, check and print gradients.";

const MAIN_EXAMPLES: &str = "\
Examples:
  gauge eval 'cross_entropy(z, y)' --at 'z=[2.1, 1.8, 0.2, -1.5], y=0'
  gauge parse 'x**2*exp(-x)/sqrt(1+x**2)'
  gauge parse -f examples/seed.gauge
  echo 'eml(1, 1)' | gauge eval -";

#[derive(Parser, Debug)]
#[command(name = "gauge", version, about = ABOUT, after_help = MAIN_EXAMPLES)]
pub struct Cli {
    /// Load definitions (`let`, `assume`) from this .gauge file first; may be repeated.
    #[arg(long, global = true, value_name = "FILE")]
    pub defs: Vec<PathBuf>,

    /// A domain fact, as in an `assume` statement (`x > 0`, `0 < p < 1`, `-1 > x`); may
    /// be repeated.
    #[arg(long, global = true, value_name = "FACT", allow_hyphen_values = true)]
    pub assume: Vec<String>,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// With LaTeX output, print a complete document (amsmath and amssymb only) that
    /// pdflatex compiles as it stands, instead of bare math. (Markdown output is always
    /// whole, so it takes no `--standalone`.)
    #[arg(long, global = true)]
    pub standalone: bool,

    #[command(flatten)]
    pub layout: crate::format::Layout,

    /// The work budget: how much a command may build (one unit for each new expression
    /// node and one for each of its children) before its searches (simplification, the
    /// prover's expansions, repeated differentiation) give up, say so, and return what
    /// they have (exit code 2).
    #[arg(long, global = true, value_name = "UNITS", default_value_t = gauge::options::DEFAULT_BUDGET)]
    pub budget: usize,

    #[command(subcommand)]
    pub command: Command,
}

/// Floating-point precisions for `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DtypeArg {
    /// Double precision.
    F64,
    /// Single precision, as float32 training code computes.
    F32,
}

/// How to show a derived result.
#[derive(clap::Args, Debug, Clone, Copy, Default)]
pub struct Show {
    /// Print the derivation, one step per line, with the rules of each step.
    #[arg(long)]
    pub steps: bool,
    /// Print repeated subexpressions once, as `where` bindings.
    #[arg(long)]
    pub cse: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print an expression, or every statement of a file, in canonical form.
    #[command(after_help = "\
Examples:
  gauge parse 'x**2 + x*x - 2*x^2'          # prints 0
  gauge parse '(a+b)*(a+b)'                 # prints (a + b)^2
  gauge parse 'exp(z[i]) / sum(k, exp(z[k]))'
  gauge parse -f examples/seed.gauge")]
    Parse {
        /// The expression; `-` reads it from standard input, `@FILE` from a file.
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
  gauge eval 'sum(i, k, W[i, k]*x[k])' --at 'W=[[1, 2], [3, 4]], x=[0.5, -1]'
  gauge eval 'sum(i, k, W[i, k]*x[k])' --at @point.json   # {\"W\": [[1, 2], [3, 4]], \"x\": [0.5, -1]}")]
    Eval {
        /// The expression; `-` reads it from standard input, `@FILE` from a file.
        #[arg(allow_hyphen_values = true)]
        expr: String,
        /// Values of the free names: scalars, indices (from 0) and nested lists; or
        /// `@FILE` to read them from a file (a JSON object such as `{"z": [2.1, 1.8],
        /// "y": 0}`), `@-` from standard input.
        #[arg(
            long,
            value_name = "BINDINGS|@FILE",
            default_value = "",
            allow_hyphen_values = true
        )]
        at: String,
    },
    /// Differentiate an expression with respect to a scalar or a tensor element.
    #[command(after_help = "\
Examples:
  gauge diff 'eml(x, y)' --wrt y                       # -1/y
  gauge diff 'cross_entropy(z, y)' --wrt 'z[i]'        # softmax(z)[i] - delta(i, y)
  gauge diff 'sin(x)*x' --order 2                     # the only variable, x
  gauge diff 'cross_entropy(z, y)' --wrt 'z[i]' --steps
  gauge diff 'cross_entropy(z, y)' --wrt 'z[i]' --detail brief --format latex")]
    Diff {
        /// The expression; `-` reads it from standard input, `@FILE` from a file.
        #[arg(allow_hyphen_values = true)]
        expr: String,
        /// The variable: a scalar such as `x`, an element such as `z[i]` or `W[a, b]`, or
        /// a tensor alone (`z` means `z[i]`); or a definition without parameters from
        /// `--defs` (`h[j]`, `s`), for the derivative with it taken as an input (its
        /// adjoint). Default: the expression's only variable.
        #[arg(long, value_name = "VAR", allow_hyphen_values = true)]
        wrt: Option<String>,
        /// Take the derivative this many times.
        #[arg(long, default_value_t = 1, value_name = "K")]
        order: u32,
        /// How the derivation reads; implies `--steps`. `brief` groups the steps as a
        /// textbook does and names recurring calls; `normal` keeps calls of functions
        /// whole; `full` (what `--steps` alone shows) writes every definition out.
        #[arg(long, value_enum, value_name = "LEVEL")]
        detail: Option<crate::commands::diff::DetailArg>,
        #[command(flatten)]
        show: Show,
    },
    /// The gradient of a scalar expression: with respect to a tensor, in index form; or
    /// with respect to a list of scalars, every partial derivative in one reverse sweep.
    #[command(after_help = "\
Examples:
  gauge grad 'logsumexp(z)' --wrt z                    # softmax(z)[i]
  gauge grad 'sum(i, k, W[i, k]*x[k])' --wrt W --index a,b
  gauge grad '-z0 + ln(exp(z0) + exp(z1) + exp(z2))' --wrt z0,z1,z2
  gauge grad 'eml(x, y)'                               # every variable: x, then y")]
    Grad {
        /// The expression; `-` reads it from standard input, `@FILE` from a file.
        #[arg(allow_hyphen_values = true)]
        expr: String,
        /// The tensor, by name, or scalar variables separated by commas; a definition
        /// without parameters (`h`, `s`) counts as one, taken as an input (its adjoint).
        /// Default: the expression's variables (one tensor, or every scalar).
        #[arg(long, value_name = "TENSOR|VARS", allow_hyphen_values = true)]
        wrt: Option<String>,
        /// The free indices of the result, one per axis of the tensor.
        #[arg(long, default_value = "i", value_name = "NAMES")]
        index: String,
        #[command(flatten)]
        show: Show,
    },
    /// The Hessian of a scalar expression: with respect to a vector, in index form; or
    /// with respect to a list of scalars, every second partial derivative (the upper
    /// triangle; the rest follows by symmetry), sharing subterms as `let` bindings.
    #[command(after_help = "\
Examples:
  gauge hessian 'logsumexp(z)' --wrt z                 # softmax(z)[i]*(delta(i, k) - softmax(z)[k])
  gauge hessian 'x^2*y + exp(x*y)' --wrt x,y           # the entries x,x  x,y  y,y")]
    Hessian {
        /// The expression; `-` reads it from standard input, `@FILE` from a file.
        #[arg(allow_hyphen_values = true)]
        expr: String,
        /// The vector, by name, or scalar variables separated by commas. Default: every
        /// variable of the expression, or its one tensor.
        #[arg(long, value_name = "VECTOR|VARS", allow_hyphen_values = true)]
        wrt: Option<String>,
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
        /// The expression; `-` reads it from standard input, `@FILE` from a file.
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
  gauge check 'ln(1 + x) - x' --wrt x --at 'x=1e-12'     # finite differences cancel here
  gauge check 'cross_entropy(z, y)' --defs mlp.gauge --at @point.json   # every variable, at a JSON point
  gauge check 'cross_entropy(z, y)' --defs mlp.gauge --len W1=16x64 --len W2=32x16
  gauge check examples/training/mlp.gauge --values dump.npz   # a program's gradients, against the spec")]
    Check(Box<CheckArgs>),
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
        /// How a proved claim's derivation reads in LaTeX (see `diff --detail`).
        #[arg(long, value_enum, value_name = "LEVEL")]
        detail: Option<crate::commands::diff::DetailArg>,
    },
    /// Generate `value_and_grad(args...)`: the value and the gradients of a scalar
    /// formula, numerically stable, as NumPy, JAX, PyTorch or Rust code.
    #[command(after_help = "\
Examples:
  gauge codegen 'cross_entropy(z, y)' --wrt z                         # NumPy
  gauge codegen loss --defs examples/attention.gauge --wrt Q,K,V --target jax
  gauge codegen examples/training/mlp.gauge --wrt W1,b1,W2,b2        # its `loss`
  gauge codegen 'bce(v, t)' --wrt v --target rust
  gauge codegen 'mse(q, r)' --wrt q --target torch --emit-check")]
    Codegen {
        /// The scalar formula; `-` reads it from standard input, `@FILE` from a file.
        /// Definitions come from `--defs FILE.gauge`.
        #[arg(allow_hyphen_values = true)]
        expr: String,
        /// The variables of the gradient, separated by commas: scalars, or tensors
        /// whole. Default: every variable of the formula.
        #[arg(long, value_name = "VARS", allow_hyphen_values = true)]
        wrt: Option<String>,
        /// The language generated.
        #[arg(long, value_enum, default_value = "numpy")]
        target: CodegenTarget,
        /// Append a harness, `check_against(user_fn, ...)`, that compares a function
        /// written by hand with the generated one at random inputs.
        #[arg(long)]
        emit_check: bool,
        /// The definition generated when the formula is a .gauge file.
        #[arg(long, value_name = "NAME", default_value = "loss")]
        loss: String,
    },
    /// Print an expression as LaTeX.
    #[command(after_help = "\
Examples:
  gauge latex 'exp(z[i]) / sum(j, exp(z[j]))'          # \\frac{e^{z_{i}}}{\\sum_{j} e^{z_{j}}}
  gauge latex 'softmax(z)[i] - delta(i, y)' --standalone")]
    Latex {
        /// The expression; `-` reads it from standard input, `@FILE` from a file.
        #[arg(allow_hyphen_values = true)]
        expr: String,
    },
    /// Compile a formula, or its derivative, to a pure EML DAG (eml(x, y) = exp(x) - ln(y)).
    #[command(after_help = crate::subargs::EML_EXAMPLES)]
    Eml(EmlArgs),
    /// Print the table of EML forms against the paper's sizes, or rebuild it.
    #[command(after_help = crate::subargs::EML_TABLE_EXAMPLES)]
    EmlTable(EmlTableArgs),
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  gauge completions bash > /etc/bash_completion.d/gauge")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// The languages `gauge codegen` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CodegenTarget {
    /// NumPy.
    Numpy,
    /// JAX (`jax.numpy`).
    Jax,
    /// PyTorch, with a `torch.autograd.Function`.
    Torch,
    /// Rust without crates.
    Rust,
}

impl DtypeArg {
    /// The library's precision.
    pub fn to_gauge(self) -> gauge::options::Dtype {
        match self {
            DtypeArg::F64 => gauge::options::Dtype::F64,
            DtypeArg::F32 => gauge::options::Dtype::F32,
        }
    }
}

impl Cli {
    /// How results are rendered, showing what `show` asks for.
    pub fn output(&self, show: Show) -> gauge::options::Output {
        let out = gauge::options::Output::new(self.format.to_gauge())
            .with_standalone(self.standalone_latex())
            .with_steps(show.steps)
            .with_cse(show.cse);
        self.layout.apply(out)
    }

    /// Whether LaTeX is rendered as a document: with `--standalone`, and for Markdown,
    /// which is made from the document (its claims' headings, every formula
    /// delimited).
    pub fn standalone_latex(&self) -> bool {
        self.standalone || self.format == Format::Markdown
    }
}
