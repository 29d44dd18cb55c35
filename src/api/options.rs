//! Options of the [`Session`](crate::Session) methods and of rendering, as structs with
//! `with_*` builders.
//!
//! ```
//! use gauge::Format;
//! use gauge::options::{CheckOptions, DiffOptions, Output, ProveOptions};
//!
//! let out = Output::new(Format::Json).with_steps(true);
//! let second = DiffOptions::new().with_order(2);
//! let check = CheckOptions::new().with_points(5).with_seed(7);
//! let prove = ProveOptions::new().with_verify(true);
//! # let _ = (out, second, check, prove);
//! ```

pub use crate::api::codegen::{CodegenOptions, Target};
pub use crate::check::request::split_list;
pub use crate::numeric::oracle::Dtype;
pub use crate::report::Output;
pub use crate::syntax::tree::IndexStyle;

/// How a derivative is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiffOptions {
    pub(crate) order: u32,
    pub(crate) detail: Detail,
}

pub use crate::calculus::readable::Detail;

impl Default for DiffOptions {
    fn default() -> DiffOptions {
        DiffOptions {
            order: 1,
            detail: Detail::Full,
        }
    }
}

impl DiffOptions {
    /// The first derivative.
    pub fn new() -> DiffOptions {
        DiffOptions::default()
    }

    /// The `order`-th derivative (from 1 to the documented limit of 64).
    pub fn with_order(mut self, order: u32) -> DiffOptions {
        self.order = order;
        self
    }

    /// How the derivation reads (`--detail`): `Full` (the default) writes every
    /// definition out and shows every rule; `Normal` keeps calls of functions whole
    /// and takes their derivatives in one step; `Brief` also groups the steps as a
    /// textbook does and names recurring calls (`p = softmax(z)`).
    pub fn with_detail(mut self, detail: Detail) -> DiffOptions {
        self.detail = detail;
        self
    }
}

/// How a gradient or Hessian by a tensor names the free indices of its result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GradOptions {
    pub(crate) index: Option<Vec<String>>,
}

impl GradOptions {
    /// The default index names: `i` for a gradient, `i, k` for a Hessian.
    pub fn new() -> GradOptions {
        GradOptions::default()
    }

    /// The free index names of the result, one per axis of the tensor (two for a
    /// Hessian).
    pub fn with_index(mut self, names: &[&str]) -> GradOptions {
        self.index = Some(names.iter().map(|n| n.to_string()).collect());
        self
    }
}

/// How a derivative is checked against the numeric references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    pub(crate) grad: Option<String>,
    pub(crate) index: Option<String>,
    pub(crate) at: Option<String>,
    pub(crate) at_name: Option<String>,
    pub(crate) lengths: Vec<String>,
    pub(crate) points: usize,
    pub(crate) seed: u64,
    pub(crate) dtype: Dtype,
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            grad: None,
            index: None,
            at: None,
            at_name: None,
            lengths: Vec::new(),
            points: 20,
            seed: 1,
            dtype: Dtype::F64,
        }
    }
}

impl CheckOptions {
    /// gauge's own derivative, at 20 random points drawn with seed 1, in double precision.
    pub fn new() -> CheckOptions {
        CheckOptions::default()
    }

    /// Checks these claimed derivatives instead of gauge's own: one formula per variable,
    /// separated by commas; a tensor's has a free index (`softmax(z)[i] - delta(i, y)`).
    pub fn with_grad(mut self, formulas: &str) -> CheckOptions {
        self.grad = Some(formulas.to_string());
        self
    }

    /// The free index names of a tensor's claimed derivative, separated by commas.
    pub fn with_index(mut self, names: &str) -> CheckOptions {
        self.index = Some(names.to_string());
        self
    }

    /// Checks at this point (`z=[1, 2], y=0`, or a JSON object `{"z": [1, 2], "y": 0}`)
    /// instead of random ones.
    pub fn with_at(mut self, bindings: &str) -> CheckOptions {
        self.at = Some(bindings.to_string());
        self.at_name = None;
        self
    }

    /// Checks at a point read from a text shown in diagnostics under `name` (a file's
    /// path), such as a JSON file's contents.
    pub fn with_at_named(mut self, name: &str, bindings: &str) -> CheckOptions {
        self.at = Some(bindings.to_string());
        self.at_name = Some(name.to_string());
        self
    }

    /// Fixes axis lengths of the random points: `W=16x64` gives a tensor's shape (the
    /// length of each axis, joined by `x`), `i=8` the length of the axis a free index
    /// of the function runs over; axes linked to them get the same lengths. May be
    /// given several times.
    pub fn with_len(mut self, length: &str) -> CheckOptions {
        self.lengths.push(length.to_string());
        self
    }

    /// How many random points.
    pub fn with_points(mut self, points: usize) -> CheckOptions {
        self.points = points;
        self
    }

    /// The random seed: the same seed draws the same points.
    pub fn with_seed(mut self, seed: u64) -> CheckOptions {
        self.seed = seed;
        self
    }

    /// The precision of the claim and the finite differences.
    pub fn with_dtype(mut self, dtype: Dtype) -> CheckOptions {
        self.dtype = dtype;
        self
    }
}

/// How claims are decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProveOptions {
    pub(crate) seed: u64,
    pub(crate) verify: bool,
    pub(crate) detail: Detail,
}

impl Default for ProveOptions {
    fn default() -> ProveOptions {
        ProveOptions {
            seed: 1,
            verify: false,
            detail: Detail::Full,
        }
    }
}

impl ProveOptions {
    /// Seed 1 for the numeric checks, and no re-check of the proofs.
    pub fn new() -> ProveOptions {
        ProveOptions::default()
    }

    /// The random seed for the numeric checks.
    pub fn with_seed(mut self, seed: u64) -> ProveOptions {
        self.seed = seed;
        self
    }

    /// Re-checks every step of every proof with the independent step checker: each
    /// rule instance and its side condition, the step as a whole, and the step at
    /// random points.
    pub fn with_verify(mut self, verify: bool) -> ProveOptions {
        self.verify = verify;
        self
    }

    /// How the derivations of proved claims read (see [`DiffOptions::with_detail`]):
    /// at `Brief` or `Normal`, a claim about a first derivative is derived with calls of
    /// functions differentiated whole, and its rows grouped and labelled.
    pub fn with_detail(mut self, detail: Detail) -> ProveOptions {
        self.detail = detail;
        self
    }
}

/// The work one call may do building expressions before its searches give up, by
/// default (see [`Session::set_budget`](crate::Session::set_budget)).
pub const DEFAULT_BUDGET: usize = crate::expr::pool::DEFAULT_BUDGET;
