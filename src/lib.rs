//! gauge: derive, prove, check and print gradients.
//!
//! gauge reads formulas in a small language that looks like the math and like NumPy
//! (`let softmax(z)[i] = exp(z[i]) / sum(j, exp(z[j]))`), keeps them exact and
//! canonical, and derives, simplifies, proves, checks and prints them. A
//! [`Session`] is the front door: give it formulas as text, get back [`Expr`]essions
//! and reports.
//!
//! ```
//! use gauge::{Session, Verdict};
//!
//! let mut s = Session::new();
//! s.load("let f(x) = x^3\nassume p > 0")?;            // statements: let, assume
//! let d = s.diff("cross_entropy(z, y)", "z[i]")?;     // an Expr; Display prints canonical text
//! assert_eq!(d.to_string(), "softmax(z)[i] - delta(i, y)");
//! println!("{d}  {}", d.latex());
//! let g = s.grad("eml(x, y)", &["x", "y"])?;          // one Expr per variable
//! assert_eq!(g[1].to_string(), "-1/y");
//! let h = s.hessian("logsumexp(z)", "z")?;            // index form
//! assert_eq!(h.to_string(), "softmax(z)[i]*(delta(i, k) - softmax(z)[k])");
//! let e = s.simplify("ln(exp(x))")?;
//! assert_eq!(e.to_string(), "x");
//! let v = s.eval("eml(1, 1)", &[])?;                  // f64 value at bindings
//! assert_eq!(v, std::f64::consts::E);
//! let c = s.prove("diff(eml(x, y), y) = -1/y")?;      // a claim's outcome
//! assert_eq!(c.verdict(), Verdict::Proved);
//! let r = s.check("cross_entropy(z, y)", &["z"])?;    // a CheckReport
//! assert!(r.passed());
//! # Ok::<(), gauge::Error>(())
//! ```
//!
//! Every result also renders as the command line prints it, as text, JSON or LaTeX
//! (see [`options::Output`]); the `gauge` binary is a thin layer over this facade.
//!
//! # Layout
//!
//! The source tree follows the pipeline, one stage per folder, each importing only the
//! stages above it in this table (its `mod.rs` says which, on a `May import:` line that
//! a test holds it to):
//!
//! | stage | job |
//! |---|---|
//! | `diag` | source texts, byte spans, line and column, the error type, the stack guard that lets deep recursion grow the stack |
//! | `syntax` | exact number literals, the syntax tree, the parser (one method per production of `grammar/gauge.ebnf`) |
//! | `expr` | `Node`, `ExprId`, the hash-consed `Pool` whose constructors return canonical nodes, one `Kind` type, order, substitution, contraction, sizes |
//! | `print` | the text printer that round-trips, and LaTeX |
//! | `lower` | names, kinds, shapes and definitions: syntax tree to pool, inside a `Workspace` (pool, scope, facts, claims) and the prelude |
//! | `numeric` | values and `--at` bindings, the compiled tape (the one evaluator: f64, f32, complex, dual), derivative oracles, random points, plots |
//! | `eml` | formulas as trees of the one operator `eml(x, y) = exp(x) - ln(y)`: the DAG and its sizes, exact branch semantics, the exhaustive search, the table of shortest forms, the compiler, EML-native derivatives, the audit |
//! | `trace` | the vocabulary of derivations: the `Rule` enum, `Step`, `Rewrite` |
//! | `simplify` | the phased simplifier, its named rules, the sign prover, folding into definitions, CSE |
//! | `calculus` | symbolic derivatives, reverse-mode gradients, derivations step by step |
//! | `codegen` | `gauge codegen`: a formula and its gradients as one numerically stable `value_and_grad` function in NumPy, JAX, PyTorch or Rust |
//! | `verify` | the independent step checker: its own sign prover, derivative table and normal form; never imports `simplify` or `calculus` |
//! | `check` | `gauge check`: claimed gradients against the oracles |
//! | `prove` | claims: proved, confirmed or refuted, and the one `Verdict` |
//! | `backward` | traced programs: a hand-written backward pass proved element by element, and what a wrong one misses, in the program's names |
//! | `report` | every result rendered as text, JSON (serde) or LaTeX, as the command line prints it |
//! | `api` | this facade: `Session`, `Expr`, `Error`, reports and options |
//!
//! The binary lives in `src/cli/` (arguments in `args.rs`, one file per command in
//! `commands/`, diagnostics in `render.rs`) and uses the facade alone. The stage modules
//! are public only so that the integration tests (`tests/it/`) and the benchmarks can
//! test each stage directly: they are hidden from the documentation, are not API, and
//! change without notice.

#![warn(missing_docs)]
// One function maps dump files (`numeric::elements`); nothing else is unsafe.
#![deny(unsafe_code)]

#[doc(hidden)]
pub mod api;
#[doc(hidden)]
pub mod backward;
#[doc(hidden)]
pub mod calculus;
#[doc(hidden)]
pub mod check;
#[doc(hidden)]
pub mod codegen;
#[doc(hidden)]
pub mod diag;
#[doc(hidden)]
pub mod eml;
#[doc(hidden)]
pub mod expr;
#[doc(hidden)]
pub mod lower;
#[doc(hidden)]
pub mod numeric;
#[doc(hidden)]
pub mod print;
#[doc(hidden)]
pub mod prove;
#[doc(hidden)]
pub mod report;
#[doc(hidden)]
pub mod simplify;
#[doc(hidden)]
pub mod syntax;
#[doc(hidden)]
pub mod trace;
#[doc(hidden)]
pub mod verify;

pub use api::backward::{BackwardCheck, BackwardReport, Trace};
pub use api::eml::{EmlBuild, EmlReport, EmlTable, eml_table};
pub use api::error::{Error, Result};
pub use api::expr::Expr;
pub use api::results::{CheckReport, ClaimReport, Derivation};
pub use api::session::Session;
pub use api::values::ValuesReport;
pub use api::values_point;
pub use diag::error::ErrorKind;
pub use prove::Verdict;
pub use report::Format;

/// Options of the [`Session`] methods and of rendering, as structs with `with_*`
/// builders.
pub mod options {
    pub use crate::api::eml::EmlOptions;
    pub use crate::api::options::*;
    pub use crate::api::values::{Array, ValuesOptions};
}

/// What the [`Session`] methods return besides expressions and the reports at the
/// crate root: gradients, values, loaded statements, claims' outcomes, an error's
/// labelled spans, a derivation's steps.
pub mod results {
    pub use crate::api::codegen::{Arg, ArgKind, Code};
    pub use crate::api::error::Label;
    pub use crate::api::results::{
        Counterexample, Evaluation, Gradient, Hessian, Loaded, Proofs, Step,
    };
    pub use crate::api::values::{ComponentResult, DumpResult, LossResult, ParamResult};
}
