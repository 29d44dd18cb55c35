//! Numbers: the scalar types, the compiled tape that evaluates expressions over f64,
//! f32, complex and dual numbers, the independent derivative oracles, and error plots.
//!
//! It also holds values: tensors, and the `--at` bindings read from text.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`.

pub mod interp;
pub mod oracle;
pub mod plot;
pub mod sample;
pub mod scalar;
pub mod tape;
pub mod value;

use crate::diag::error::Result;
use crate::expr::node::ExprId;
use crate::lower::workspace::Workspace;
use crate::syntax::parse::Grammar;
use value::Bindings;

/// Numbers for a session: evaluating its expressions and reading `--at` points.
///
/// Lowering knows nothing of values; this trait gives a [`Workspace`] the two operations
/// that need them, so call sites read `session.eval(id, &at)`.
pub trait Evaluate {
    /// Parses `--at` bindings such as `z=[2.1, 1.8], y=0`.
    fn parse_bindings(&mut self, text: &str) -> Result<Bindings>;
    /// Evaluates an expression at a point, in `f64`.
    fn eval(&mut self, id: ExprId, at: &Bindings) -> Result<f64>;
}

impl Evaluate for Workspace {
    fn parse_bindings(&mut self, text: &str) -> Result<Bindings> {
        let id = self.sources.add("<bindings>", text);
        let parsed = Grammar::new(text, id).parse_bindings()?;
        Bindings::from_syntax(self, &parsed)
    }

    fn eval(&mut self, id: ExprId, at: &Bindings) -> Result<f64> {
        let mut ev = interp::Evaluator::new(self, at)?;
        ev.eval(id)
    }
}
