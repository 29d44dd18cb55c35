//! [`Session::codegen`]: a formula and its gradients as generated code, and its options.

use crate::api::error::{Error, Result};
use crate::api::session::Session;
use crate::calculus::derivation::derive_with_steps;
use crate::codegen::build::InputKind;
use crate::codegen::{GradRequest, Request};
use crate::diag::error::{Error as Inner, ErrorKind};

pub use crate::codegen::Target;
pub use crate::codegen::ir::{Arg, ArgKind};

/// What [`Session::codegen`] generates: the language, and whether to append a harness
/// that checks a hand-written function against the generated one.
///
/// ```
/// use gauge::options::{CodegenOptions, Target};
///
/// let opts = CodegenOptions::new(Target::Jax).with_check(true);
/// # let _ = opts;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CodegenOptions {
    pub(crate) target: Target,
    pub(crate) emit_check: bool,
}

impl CodegenOptions {
    /// Code for `target`, without a harness.
    pub fn new(target: Target) -> CodegenOptions {
        CodegenOptions {
            target,
            emit_check: false,
        }
    }

    /// Appends (`true`) a harness, `check_against(user_fn, ...)`, that compares a
    /// function with the same signature against the generated one at random inputs.
    pub fn with_check(mut self, emit_check: bool) -> CodegenOptions {
        self.emit_check = emit_check;
        self
    }
}

/// Generated code and the arguments of its function.
#[derive(Clone, Debug)]
pub struct Code {
    inner: crate::codegen::Generated,
}

impl Code {
    /// The source text.
    pub fn text(&self) -> &str {
        &self.inner.code
    }

    /// The function's arguments, in order: their names in the language and in the
    /// code, and what each takes (shapes by length class).
    pub fn args(&self) -> &[Arg] {
        &self.inner.args
    }

    /// For each length class, the count the formula fixes, if any.
    pub fn classes(&self) -> &[Option<usize>] {
        &self.inner.classes
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.inner.code)
    }
}

impl Session {
    /// Generates `value_and_grad(args...)` for a scalar formula: it returns the value
    /// and the gradients by `wrt` (scalars, or tensors whole), in that order, as
    /// `jax.value_and_grad` does. The arguments are the formula's inputs in the order
    /// it first mentions them (scalars, tensors, and free indices, which are labels).
    ///
    /// ```
    /// use gauge::options::{CodegenOptions, Target};
    ///
    /// let mut s = gauge::Session::new();
    /// let code = s.codegen("cross_entropy(z, y)", &["z"], &CodegenOptions::new(Target::Numpy))?;
    /// assert!(code.text().contains("def value_and_grad(z, y):"));
    /// assert_eq!(code.args()[1].name, "y");
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn codegen(&mut self, expr: &str, wrt: &[&str], opts: &CodegenOptions) -> Result<Code> {
        if wrt.is_empty() {
            return Err(Error::new(ErrorKind::Name, "no variable is given")
                .with_hint("name the variables of the gradient, as in `--wrt W,b`"));
        }
        let inner = self.query(|ws| {
            let id = ws.parse_expression(expr)?;
            let inputs = crate::codegen::inputs(ws, id);
            let defs = ws.definitions_in_order();
            let mut grads = Vec::new();
            for name in wrt {
                let name = name.trim();
                let Some(arg) = inputs
                    .iter()
                    .position(|&(s, k)| ws.pool.name(s) == name && k != InputKind::Label)
                else {
                    return Err(Inner::new(
                        ErrorKind::Name,
                        format!("`{name}` is not a variable of `{expr}`"),
                    )
                    .with_hint(
                        "--wrt names scalars or tensors that the formula uses, whole: `--wrt W,b`",
                    ));
                };
                let (var, axes) = match inputs[arg].1 {
                    InputKind::Tensor(rank) => {
                        let avoid = ws.pool.free_indices(id);
                        let axes = crate::check::request::fresh_indices(ws, rank, &avoid);
                        if axes.len() != rank {
                            return Err(Inner::new(
                                ErrorKind::Unsupported,
                                format!("`{name}` has too many axes for a gradient in index form"),
                            ));
                        }
                        let names: Vec<&str> = axes.iter().map(|&s| ws.pool.name(s)).collect();
                        let var = ws.parse_variable(&format!("{name}[{}]", names.join(", ")))?;
                        (var, axes)
                    }
                    InputKind::Scalar | InputKind::Label => (ws.parse_variable(name)?, Vec::new()),
                };
                let facts = ws.facts.clone();
                let d = derive_with_steps(&mut ws.pool, id, var, 1, &defs, &facts)?;
                grads.push(GradRequest {
                    arg,
                    expr: d.result,
                    axes,
                });
            }
            let request = Request {
                value: id,
                inputs,
                grads,
                target: opts.target,
                emit_check: opts.emit_check,
                as_written: false,
            };
            crate::codegen::generate(&mut ws.pool, &request)
        })?;
        Ok(Code { inner })
    }
}
