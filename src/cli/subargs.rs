//! The arguments of the commands that take many: `check`, `eml` and `eml-table`.

use std::path::PathBuf;

use crate::args::DtypeArg;

// The arguments of `gauge check`. (A plain comment: a doc comment here would become
// the command's help text.)
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The function; `-` reads it from standard input, `@FILE` from a file.
    #[arg(allow_hyphen_values = true)]
    pub expr: String,
    /// The variables, separated by commas: scalars, or tensors (every element; `W[a, b]`
    /// names the claim's free indices), or definitions without parameters (`h`, `h[j]`,
    /// `s`: the derivative with the intermediate taken as an input, its adjoint).
    /// Default: every variable of the function (its scalars and tensors once `--defs`
    /// definitions are expanded; not indices), in the order its canonical form
    /// mentions them.
    #[arg(long, value_name = "VARS", allow_hyphen_values = true)]
    pub wrt: Option<String>,
    /// The claimed derivatives, one per variable, separated by commas; a tensor's has
    /// a free index (`softmax(z)[i] - delta(i, y)`). Default: gauge's own derivative.
    #[arg(long, value_name = "FORMULAS", allow_hyphen_values = true)]
    pub grad: Option<String>,
    /// The free index names of a tensor's claimed derivative.
    #[arg(long, value_name = "NAMES")]
    pub index: Option<String>,
    /// Check at this point instead of random ones: `--at` text, or `@FILE` to read it
    /// from a file (a JSON object of names to numbers and nested lists), `@-` from
    /// standard input.
    #[arg(long, value_name = "BINDINGS|@FILE", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// Fix axis lengths of the random points: `NAME=LENGTHS`, where NAME is a tensor
    /// and LENGTHS its shape (`W1=16x64`, `x=64`), or NAME is a free index of the
    /// function and LENGTHS the length of the axis it runs over (`i=8`). Axes linked to
    /// a fixed one (by an index they share, in the function or its definitions) get
    /// its length; the others are drawn from 1 to 8. May be repeated.
    #[arg(long, value_name = "NAME=LENGTHS")]
    pub len: Vec<String>,
    /// How many random points.
    #[arg(long, default_value_t = 20)]
    pub points: usize,
    /// The random seed (the same seed draws the same points).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The precision of the claim and the finite differences.
    #[arg(long, value_enum, default_value_t = DtypeArg::F64)]
    pub dtype: DtypeArg,
    /// Draw the finite-difference error against the step, for the worst component,
    /// as an SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Check a program's gradients: the values it computed them at (inputs and
    /// parameters under the spec's names, the gradients as `grad.<name>`, the loss
    /// value as `loss`), as .npz, .npy, .safetensors or .json. Repeat it for dumps at
    /// other batch sizes. The function is then the spec: an expression, or a .gauge
    /// file whose `loss` (see --loss) is checked.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["grad", "index", "at", "len", "plot"])]
    pub values: Vec<PathBuf>,
    /// The gradients of the dump before it, in a file of their own, keyed by the
    /// parameters' names (`grad.<name>` also reads).
    #[arg(long, value_name = "FILE", requires = "values")]
    pub grads: Vec<PathBuf>,
    /// A relative tolerance for the gradients, in place of their dtype's rounding.
    #[arg(long, value_name = "RTOL", requires = "values")]
    pub rtol: Option<f64>,
    /// The precision the program computed in, when it is not the dumps' (half-precision
    /// dumps are taken to be computed in float32, as mixed-precision training does).
    #[arg(long, value_name = "DTYPE", requires = "values")]
    pub compute: Option<String>,
    /// The definition a .gauge spec's loss is, for --values.
    #[arg(long, value_name = "NAME", default_value = "loss", requires = "values")]
    pub loss: String,
}

pub const EML_EXAMPLES: &str = "\
Examples:
  gauge eml 'x*y'                                     # K 17
  gauge eml 'sin(x)^2 + cos(x)^2'                     # 1
  gauge eml --diff x 'ln(x)'                          # 1/x as EML
  gauge eml 'x + y' --complex-safe                    # right for every complex y
  gauge eml 'sigmoid(x)' --format json";

// The arguments of `gauge eml`.
#[derive(clap::Args, Debug)]
pub struct EmlArgs {
    /// The scalar formula; `-` reads it from standard input, `@FILE` from a file.
    #[arg(allow_hyphen_values = true)]
    pub expr: String,
    /// Compile the derivative by this variable instead of the formula.
    #[arg(long, value_name = "VAR")]
    pub diff: Option<String>,
    /// Use only forms right on the whole complex plane, where the table has them.
    #[arg(long)]
    pub complex_safe: bool,
    /// Print the tree as nested eml(...) text instead of let bindings for its
    /// shared subtrees.
    #[arg(long)]
    pub nested: bool,
}

pub const EML_TABLE_EXAMPLES: &str = "\
Examples:
  gauge eml-table                                     # the committed table, audited
  gauge eml-table --rebuild --state /tmp/eml --write forms.txt";

// The arguments of `gauge eml-table`.
#[derive(clap::Args, Debug)]
pub struct EmlTableArgs {
    /// Run the search, meet-in-the-middle and the recipes again instead of reading the
    /// committed table.
    #[arg(long)]
    pub rebuild: bool,
    /// With --rebuild: where the searches save their states, and resume from.
    #[arg(long, value_name = "DIR", requires = "rebuild")]
    pub state: Option<PathBuf>,
    /// With --rebuild: write the new table to this file (it must not exist yet).
    #[arg(long, value_name = "FILE", requires = "rebuild")]
    pub write: Option<PathBuf>,
    /// With --rebuild: the exhaustive search's size limit for constants, functions of
    /// one variable and of two, as `C,U,B`.
    #[arg(
        long,
        value_name = "C,U,B",
        default_value = "33,19,15",
        requires = "rebuild"
    )]
    pub k: String,
}
