//! gauge: derive, prove, check and print gradients.
//!
//! gauge reads formulas in a small language that looks like the math and like NumPy
//! (`let softmax(z)[i] = exp(z[i]) / sum(j, exp(z[j]))`), keeps them exact in a
//! hash-consed expression pool, and prints and evaluates them.
//!
//! The modules follow the pipeline, one job each:
//!
//! | module | job |
//! |---|---|
//! | [`source`] | source texts, byte spans, line and column |
//! | [`error`] | the error type: kind, message, labelled spans, hint |
//! | [`number`] | exact decimal literals and rational printing |
//! | [`syntax`] | the syntax tree with spans |
//! | [`parse`] | the parser, one method per grammar production |
//! | [`node`] | the closed `Node` enum, `ExprId`, `Symbol`, builtin functions |
//! | [`pool`] | the arena of canonical, hash-consed expressions |
//! | [`order`] | the structural order used to sort terms and factors |
//! | [`mod@print`] | the plain-text printer that round-trips through the parser |
//! | [`prelude`] | the definitions shipped with gauge, in gauge's own language |
//! | [`lower`] | name resolution, kinds and shapes: syntax tree to pool |
//! | [`session`] | a workspace: pool, scope, facts and claims, and loading text into it |
//! | [`value`] | tensor values and `--at` bindings |
//! | [`eval`] | floating-point evaluation with domain errors |
//! | [`json`] | the JSON forms of results |
//! | [`subst`] | substitution without capture, and expanding calls into bodies |
//! | [`contract`] | index calculus: sum linearity and delta contraction |
//! | [`sums`] | products and nests of sums in one canonical order, for the prover |
//! | [`derivative`] | symbolic derivatives, one rule per node kind |
//! | [`derivation`] | derivatives as steps a reader can follow |
//! | [`gradient`] | reverse-mode gradients over the whole DAG |
//! | [`sign`] | what is provably positive, non-negative or non-zero |
//! | [`rules`] | named rewrites with side conditions |
//! | [`fold`] | folding results back into named definitions |
//! | [`simplify`] | the phased simplifier and its steps |
//! | [`cse`] | common subexpressions as named bindings |
//! | [`scalar`] | the number types of the compiled evaluator |
//! | [`tape`] | the compiled evaluator |
//! | [`check`] | derivatives against independent numeric oracles |
//! | [`checker`] | `gauge check`: claimed gradients at given or random points |
//! | [`plot`] | finite-difference error plots |
//! | [`prove`] | claims: proved, confirmed or refuted |
//! | [`verify`] | the independent step checker that re-verifies derivations |
//! | [`latex`] | the LaTeX printer |
//!
//! # Example
//!
//! ```
//! use gauge::lower::workspace::Workspace;
//!
//! use gauge::numeric::Evaluate;
//! let mut s = Workspace::with_prelude().expect("the prelude loads");
//! let e = s.parse_expression("x**2 + x*x - 2*x^2").expect("it parses");
//! assert_eq!(s.print(e), "0");
//!
//! let ce = s.parse_expression("cross_entropy(z, y)").unwrap();
//! let at = s.parse_bindings("z=[2.1, 1.8, 0.2, -1.5], y=0").unwrap();
//! let v = s.eval(ce, &at).unwrap();
//! assert!((v - 0.6511320591048929).abs() < 1e-15);
//! ```

pub mod calculus;
pub mod check;
pub mod diag;
pub mod expr;
pub mod lower;
pub mod numeric;
pub mod print;
pub mod prove;
pub mod report;
pub mod simplify;
pub mod syntax;
pub mod trace;
pub mod verify;
