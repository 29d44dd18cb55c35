//! Reductions over a vector: `max(j, body)` and `min(j, body)`, their one-argument
//! forms over a whole vector (`max(z)`, `max(z - c)`, `max(Z[n, :])`), and `argmax`,
//! `argmin` in index position (`delta(i, argmax(z))`, `z[argmax(z)]`).
//!
//! The vector becomes a tensor argument as any whole-tensor expression does: a tensor
//! name, or an anonymous definition whose written form is its element over the bound
//! index ([`Form::Indexed`]). The call is of the pool's reduction definition, which has
//! no body: nothing expands it, and each later stage treats it by its meaning.
//! `max(a, b)` with two values stays the prelude's definition; the two-argument form is
//! a reduction only when its first argument names an index that the body uses on an
//! axis.

use crate::diag::error::{ErrorKind, Result};
use crate::diag::source::Span;
use crate::expr::definition::Reduce;
use crate::expr::form::Form;
use crate::expr::kind::Kind;
use crate::expr::node::ExprId;
use crate::lower::lowerer::{Lowerer, err};
use crate::lower::tensor::{Operand, Whole};
use crate::syntax::tree::{Expr, ExprKind, Ident};

/// The reduction a function name calls, if it is one.
pub(super) fn reduction_named(name: &str) -> Option<Reduce> {
    Reduce::ALL.into_iter().find(|r| r.name() == name)
}

impl Lowerer<'_> {
    /// A call in value position of a reduction's name, unless the user defined the
    /// name: the reduction, an error for a position (`argmax` is an index), or `None`
    /// for arguments that are not a reduction's (`max(a, b)` is the prelude's).
    pub(super) fn reduction_call(
        &mut self,
        name: &Ident,
        args: &[Expr],
        indexed: bool,
        span: Span,
    ) -> Result<Option<ExprId>> {
        let n = name.name.as_str();
        let Some(r) = reduction_named(n) else {
            return Ok(None);
        };
        let user_defined = self
            .session
            .scope
            .defs
            .get(n)
            .is_some_and(|d| !self.session.scope.prelude_defs.contains(d));
        if user_defined || self.is_defining(n) {
            return Ok(None);
        }
        if r.is_position() {
            return Err(err(
                ErrorKind::Shape,
                span,
                format!("`{n}` gives a position, which is an index, not a value"),
            )
            .with_hint(format!(
                "use it where an index goes: `z[{n}(z)]`, `delta(i, {n}(z))`"
            )));
        }
        let Some(e) = self.reduction(r, name, args, span)? else {
            return Ok(None);
        };
        if indexed {
            return Err(err(
                ErrorKind::Shape,
                span,
                format!("`{n}` of a vector gives a scalar and takes no indices"),
            ));
        }
        Ok(Some(e))
    }

    /// `max(j, body)`, `max(v)` and the like as a call of the reduction `r`; `None`
    /// when the arguments are not a reduction's (`max(a, b)` of two values).
    pub(super) fn reduction(
        &mut self,
        r: Reduce,
        name: &Ident,
        args: &[Expr],
        span: Span,
    ) -> Result<Option<ExprId>> {
        let vector = match args {
            [whole] => self.reduced_whole(r, name, whole)?,
            [first, body] => match &first.kind {
                ExprKind::Name(ident) if self.may_bind(ident) => {
                    match self.by_element(ident, body)? {
                        Some(Ok(vector)) => Some(vector),
                        // Every element is the same (`max(j, 0*z[j])`): the reduction
                        // is that value, at the first position.
                        Some(Err(_)) if r.is_position() => return Ok(Some(self.pool().int(0))),
                        Some(Err(same)) => return Ok(Some(same)),
                        None => None,
                    }
                }
                _ => None,
            },
            _ => None,
        };
        let Some(vector) = vector else {
            return Ok(None);
        };
        let def = self.pool().reduction(r, span);
        Ok(Some(self.pool().call(def, vec![vector], Vec::new())))
    }

    /// The vector of a one-argument reduction: a whole tensor of rank 1.
    fn reduced_whole(&mut self, r: Reduce, name: &Ident, e: &Expr) -> Result<Option<ExprId>> {
        match self.operand(e)? {
            Operand::Whole(w) if w.rank() == 1 => self.pass_whole(&w).map(Some),
            Operand::Whole(w) => Err(err(
                ErrorKind::Shape,
                e.span,
                format!(
                    "`{}` reduces a vector, but this is a tensor of rank {}",
                    name.name,
                    w.rank()
                ),
            )
            .with_hint(format!(
                "reduce one row, `{0}(Z[n, :])`, or name the index: `{0}(j, Z[n, j])`",
                r.name()
            ))),
            // `max(x)` of one value is the two-value definition's arity error.
            Operand::Scalar(_) => Ok(None),
        }
    }

    /// Whether a name can be a reduction's bound index: it is not a value already in
    /// scope (a scalar, a tensor or a parameter). An index bound around it may be bound
    /// again, as a nested sum may: an index is no value that `max(a, b)` could take.
    fn may_bind(&mut self, ident: &Ident) -> bool {
        let n = ident.name.as_str();
        if self.def_param(n).is_some()
            || matches!(n, "pi" | "π" | "e")
            || self.session.scope.defs.contains_key(n)
            || self.is_function_name(n)
        {
            return false;
        }
        let s = self.session.pool.symbol(n);
        !matches!(
            self.session.scope.kinds.get(&s),
            Some((Kind::Scalar | Kind::Tensor(_), _))
        )
    }

    /// The vector of `max(j, body)`: the body with `j` bound, when the body uses `j` on
    /// a tensor axis; otherwise `None` (a two-value `max(a, b)`).
    ///
    /// A body that does not depend on the index once lowered (`0*z[j]` is 0) is a
    /// vector of one repeated value, given as `Err(value)`: a vector written by an
    /// element that never varies would print as `max(j, 0)`, which reads as two values.
    fn by_element(
        &mut self,
        ident: &Ident,
        written: &Expr,
    ) -> Result<Option<std::result::Result<ExprId, ExprId>>> {
        let symbol = self.bind(ident);
        let lowered = self.value(written);
        let b = self.binders.pop().expect("pushed above");
        let body = match lowered {
            Ok(v) if !b.axes.is_empty() => v,
            // A body that failed after using the index on an axis was meant as a
            // reduction, and its error is the one to show.
            Err(e) if !b.axes.is_empty() => return Err(e),
            _ => return Ok(None),
        };
        if !self.session.pool.free_indices_ref(body).contains(&symbol) {
            return Ok(Some(Err(body)));
        }
        let range = self.choose_range(&b.axes, b.span);
        let w = Whole {
            axes: vec![symbol],
            lens: vec![range],
            body,
            form: Form::Indexed(body),
            span: written.span,
        };
        self.pass_whole(&w).map(|v| Some(Ok(v)))
    }
}
