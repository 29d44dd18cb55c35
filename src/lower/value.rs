//! Expressions in value position (numbers, names, elements, chains and powers), in index
//! position (index names and integer literals, linked to the axes they select), and as
//! tensor arguments of calls.

use crate::diag::error::{ErrorKind, Result};
use crate::diag::source::Span;
use crate::expr::kind::Kind;
use crate::expr::node::{Constant, ExprId, Symbol};
use crate::lower::call::usage_text;
use crate::lower::lowerer::{FreeIndex, Lowerer, err};
use crate::lower::tensor::Operand;
use crate::syntax::tree::{Expr, ExprKind, Ident};

impl Lowerer<'_> {
    /// Lowers an expression in value position: a scalar. A whole tensor here is an
    /// error that says so.
    pub(super) fn value(&mut self, e: &Expr) -> Result<ExprId> {
        match self.operand(e)? {
            Operand::Scalar(x) => Ok(x),
            Operand::Whole(w) => Err(err(
                ErrorKind::Shape,
                e.span,
                format!(
                    "expected a scalar here, but this is {}",
                    Kind::Tensor(w.axes.len() as u32).describe()
                ),
            )
            .with_hint("select an element, as in `softmax(z)[i]` or `(W @ x)[i]`, or sum over it")),
        }
    }

    /// Lowers the scalar leaves of value position: numbers, names, elements and calls.
    /// Arithmetic goes through [`Lowerer::operand`], which may find whole tensors.
    pub(super) fn scalar_value(&mut self, e: &Expr) -> Result<ExprId> {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.scalar_value(e));
        }
        match &e.kind {
            ExprKind::Number(r) => {
                self.record_written(r, e.span);
                Ok(self.pool().num(r.clone()))
            }
            ExprKind::Name(ident) => self.name_value(ident),
            ExprKind::Element { name, indices } => self.element(name, indices, e.span),
            ExprKind::Call {
                name,
                args,
                indices,
            } => self.call(name, args, indices.as_deref(), e.span),
            _ => self.value(e),
        }
    }

    /// Records how a number literal or a fraction of two integer literals was written,
    /// so that the printers show it so (`0.044715`, not `8943/200000`; see
    /// [`crate::print::number`]). Integers need no record.
    pub(super) fn record_written(&mut self, value: &num_rational::BigRational, span: Span) {
        if value.is_integer() {
            return;
        }
        let source = self.session.sources.get(span.source);
        let Some(text) = source.text.get(span.start..span.end) else {
            return;
        };
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let decimal = is_decimal_literal(&text);
        let fraction = text
            .split_once('/')
            .is_some_and(|(n, d)| is_digits(n) && is_digits(d));
        if decimal && source.name != crate::lower::prelude::PRELUDE_NAME {
            self.session.pool.note_user_decimal();
        }
        if decimal || fraction {
            let magnitude = num_traits::Signed::abs(value);
            self.session.pool.set_written(&magnitude, &text);
        }
    }

    fn name_value(&mut self, ident: &Ident) -> Result<ExprId> {
        let name = ident.name.as_str();
        if self.binder(name).is_some() || self.def_index(name).is_some() {
            return Err(self.not_a_value(
                ident,
                "an index",
                format!("an index selects an element, as in `z[{name}]`; use `delta({name}, k)` to compare indices"),
            ));
        }
        if let Some(k) = self.def_param(name) {
            let s = self.use_param(k, Kind::Scalar, ident.span)?;
            return Ok(self.pool().sym(s));
        }
        if let Some(len) = self.def_length(name) {
            return Ok(len);
        }
        match name {
            "pi" | "π" => return Ok(self.pool().constant(Constant::Pi)),
            "e" => return Ok(self.pool().constant(Constant::E)),
            _ => {}
        }
        if self.is_defining(name) {
            return Err(self.recursion_error(ident));
        }
        if let Some(&def) = self.session.scope.defs.get(name) {
            let d = self.session.pool.definition(def);
            if d.params.is_empty() && d.indices.is_empty() {
                // The body's linked axes hold wherever the definition is used.
                self.instantiate_equalities(def, &[], ident.span);
                return Ok(self.pool().call(def, Vec::new(), Vec::new()));
            }
            let (np, ni) = (d.params.len(), d.indices.len());
            let usage = usage_text(name, np, ni);
            return Err(self.not_a_value(ident, "a definition", format!("use it as `{usage}`")));
        }
        if self.is_function_name(name) {
            return Err(self.not_a_value(ident, "a function", format!("call it: `{name}(x)`")));
        }
        let s = self.use_global(ident, Kind::Scalar)?;
        Ok(self.pool().sym(s))
    }

    pub(super) fn element(&mut self, name: &Ident, indices: &[Expr], span: Span) -> Result<ExprId> {
        let n = name.name.as_str();
        if self.binder(n).is_some() || self.def_index(n).is_some() {
            return Err(err(
                ErrorKind::Shape,
                name.span,
                format!("`{n}` is an index, not a tensor"),
            ));
        }
        if matches!(n, "pi" | "π" | "e") {
            return Err(err(
                ErrorKind::Shape,
                name.span,
                format!("`{n}` is a constant, not a tensor"),
            ));
        }
        let rank = indices.len() as u32;
        if let Some(k) = self.def_param(n) {
            let s = self.use_param(k, Kind::Tensor(rank), name.span)?;
            let idx = self.tensor_indices(s, indices)?;
            return Ok(self.pool().elem(s, idx));
        }
        if self.is_defining(n) {
            return Err(self.recursion_error(name));
        }
        if let Some(&def) = self.session.scope.defs.get(n) {
            let d = self.session.pool.definition(def);
            if !d.params.is_empty() {
                let usage = usage_text(n, d.params.len(), d.indices.len());
                return Err(err(
                    ErrorKind::Arity,
                    name.span,
                    format!("`{n}` takes arguments"),
                )
                .with_hint(format!("use it as `{usage}`")));
            }
            return self.finish_call(def, name, Vec::new(), Some(indices), span);
        }
        if self.is_function_name(n) {
            return Err(err(
                ErrorKind::Name,
                name.span,
                format!("`{n}` is a function, not a tensor"),
            )
            .with_hint(format!("call it: `{n}(x)`")));
        }
        let s = self.use_global(name, Kind::Tensor(rank))?;
        let idx = self.tensor_indices(s, indices)?;
        Ok(self.pool().elem(s, idx))
    }

    /// Lowers the indices of `tensor[...]`, linking each index to its axis.
    fn tensor_indices(&mut self, tensor: Symbol, indices: &[Expr]) -> Result<Vec<ExprId>> {
        let mut out = Vec::with_capacity(indices.len());
        for (a, e) in indices.iter().enumerate() {
            let axis = self.pool().len_of(tensor, a as u32);
            out.push(self.index(e, Some(axis))?);
        }
        Ok(out)
    }

    /// Lowers an expression in index position: an index name or a non-negative integer.
    pub(super) fn index(&mut self, e: &Expr, axis: Option<ExprId>) -> Result<ExprId> {
        match &e.kind {
            ExprKind::Number(r) => {
                if r.is_integer() && r >= &num_rational::BigRational::from_integer(0.into()) {
                    if r.numer() > &num_bigint::BigInt::from(u32::MAX) {
                        return Err(err(ErrorKind::Limit, e.span, "this index is too large"));
                    }
                    Ok(self.pool().num(r.clone()))
                } else {
                    Err(err(
                        ErrorKind::Shape,
                        e.span,
                        "an index must be a name, a whole number or a label such as `y[n]`",
                    )
                    .with_hint("indices count from 0, as in NumPy and PyTorch"))
                }
            }
            ExprKind::Neg(inner) if matches!(inner.kind, ExprKind::Number(_)) => Err(err(
                ErrorKind::Shape,
                e.span,
                "negative indices are not supported",
            )
            .with_hint("indices count from 0; write the position from the start")),
            ExprKind::Name(ident) => self.index_name(ident, axis),
            ExprKind::Element { name, indices } => self.label(name, indices, axis, e.span),
            ExprKind::Call {
                name,
                args,
                indices: None,
            } if crate::lower::reduce::reduction_named(&name.name)
                .is_some_and(|r| r.is_position()) =>
            {
                let r = crate::lower::reduce::reduction_named(&name.name);
                let found = match r {
                    Some(r) => self.reduction(r, name, args, e.span)?,
                    None => None,
                };
                found.ok_or_else(|| {
                    err(
                        ErrorKind::Shape,
                        e.span,
                        format!("`{}` takes a vector", name.name),
                    )
                    .with_hint(format!(
                        "write `{0}(z)`, `{0}(Z[n, :])` or `{0}(j, body)`",
                        name.name
                    ))
                })
            }
            _ => Err(err(
                ErrorKind::Shape,
                e.span,
                "an index must be a name, a whole number or a label such as `y[n]`",
            )
            .with_hint("index arithmetic such as `z[i+1]` is not supported")),
        }
    }

    /// Lowers a label in index position, `y[n]` in `Z[n, y[n]]` or `delta(i, y[n])`: an
    /// element of a tensor given as input, whose values are whole numbers from 0. A
    /// global label tensor records the axis it indexes, so that random points draw its
    /// values below that axis's length and sums over the axis contract a delta with it.
    fn label(
        &mut self,
        name: &Ident,
        indices: &[Expr],
        axis: Option<ExprId>,
        span: Span,
    ) -> Result<ExprId> {
        // A label's own indices are names or numbers: `y[n]`, not `y[x[n]]`. Labels of
        // labels are not a thing models do, and refusing them keeps lowering shallow.
        if let Some(inner) = indices
            .iter()
            .find(|i| !matches!(i.kind, ExprKind::Name(_) | ExprKind::Number(_)))
        {
            return Err(err(
                ErrorKind::Shape,
                inner.span,
                "an index must be a name, a whole number or a label such as `y[n]`",
            )
            .with_hint("a label's own indices must be names or whole numbers"));
        }
        let elem = self.element(name, indices, span)?;
        let crate::expr::node::Node::Elem(t, _) = self.pool().node(elem).clone() else {
            return Err(err(
                ErrorKind::Shape,
                span,
                format!(
                    "`{}` is a definition; only an input tensor's elements can be indices",
                    name.name
                ),
            )
            .with_hint("give the labels as a tensor of whole numbers, as in `Z[n, y[n]]`"));
        };
        self.note_label(t, axis, span);
        Ok(elem)
    }

    /// Records that the values of the tensor `t` are used as indices, below `axis` when
    /// they index one: in the pool for an input tensor, and in the definition being
    /// lowered for one of its parameters (a call then records its argument).
    pub(super) fn note_label(&mut self, t: Symbol, axis: Option<ExprId>, span: Span) {
        let name = self.session.pool.name(t).to_string();
        let old = match (self.def_param(&name), self.def.as_mut()) {
            (Some(k), Some(ctx)) => match ctx.labels.iter_mut().find(|l| l.0 == k) {
                Some(entry) => match (entry.1, axis) {
                    (Some(o), Some(a)) if o != a => Some(o),
                    (None, a) => {
                        entry.1 = a;
                        None
                    }
                    _ => None,
                },
                None => {
                    ctx.labels.push((k, axis));
                    None
                }
            },
            _ => self.session.pool.set_label_range(t, axis),
        };
        if let (Some(old), Some(a)) = (old, axis) {
            // The same labels index two axes: the two must have one length.
            self.equalities.push((old, a, span));
        }
    }

    pub(super) fn index_name(&mut self, ident: &Ident, axis: Option<ExprId>) -> Result<ExprId> {
        let n = ident.name.as_str();
        if let Some(b) = self.binder(n) {
            if let Some(a) = axis {
                self.binders[b].axes.push(a);
            }
            let s = self.binders[b].symbol;
            return Ok(self.pool().index(s));
        }
        if let Some(k) = self.def_index(n) {
            let s = {
                let ctx = self.def.as_mut().expect("def_index implies a definition");
                if let Some(a) = axis {
                    ctx.indices[k].2.push(a);
                }
                ctx.indices[k].1
            };
            return Ok(self.pool().index(s));
        }
        if let Some(k) = self.def_param(n) {
            let s = self.use_param(k, Kind::Index, ident.span)?;
            if let Some(a) = axis
                && let Some(ctx) = self.def.as_mut()
            {
                ctx.params[k].axes.push(a);
            }
            return Ok(self.pool().index(s));
        }
        if matches!(n, "pi" | "π" | "e") {
            return Err(err(
                ErrorKind::Shape,
                ident.span,
                format!("`{n}` is a constant, not an index"),
            ));
        }
        if self.session.scope.defs.contains_key(n) || self.is_function_name(n) {
            return Err(err(
                ErrorKind::Name,
                ident.span,
                format!("`{n}` is a function, not an index"),
            ));
        }
        let s = self.use_global(ident, Kind::Index)?;
        let entry = self.free.entry(s).or_insert_with(|| FreeIndex {
            span: ident.span,
            axes: Vec::new(),
        });
        if let Some(a) = axis {
            entry.axes.push(a);
        }
        if !self.free_order.contains(&s) {
            self.free_order.push(s);
        }
        Ok(self.pool().index(s))
    }

    /// Lowers an argument for a tensor parameter with `rank` axes.
    pub(super) fn tensor_arg(&mut self, e: &Expr, rank: u32) -> Result<ExprId> {
        let wrong = |e: &Expr| {
            err(
                ErrorKind::Shape,
                e.span,
                format!("expected {} here", Kind::Tensor(rank).describe()),
            )
            .with_hint("pass a tensor by its name, as in `softmax(z)[i]`")
        };
        match &e.kind {
            ExprKind::Name(ident) => {
                let n = ident.name.as_str();
                if self.binder(n).is_some() || self.def_index(n).is_some() {
                    return Err(wrong(e));
                }
                if let Some(k) = self.def_param(n) {
                    let s = self.use_param(k, Kind::Tensor(rank), ident.span)?;
                    return Ok(self.pool().tensor(s));
                }
                if self.is_defining(n) {
                    return Err(self.recursion_error(ident));
                }
                if let Some(&def) = self.session.scope.defs.get(n) {
                    let d = self.session.pool.definition(def);
                    if d.params.is_empty() && d.indices.len() as u32 == rank {
                        return Ok(self.pool().call(def, Vec::new(), Vec::new()));
                    }
                    return Err(wrong(e));
                }
                if matches!(n, "pi" | "π" | "e") || self.is_function_name(n) {
                    return Err(wrong(e));
                }
                let s = self.use_global(ident, Kind::Tensor(rank))?;
                Ok(self.pool().tensor(s))
            }
            ExprKind::Call {
                name,
                args,
                indices: None,
            } if self
                .session
                .scope
                .defs
                .get(&name.name)
                .is_none_or(|&d| self.session.pool.definition(d).builtin.is_none()) =>
            {
                if self.is_defining(&name.name) {
                    return Err(self.recursion_error(name));
                }
                let Some(&def) = self.session.scope.defs.get(&name.name) else {
                    return Err(wrong(e));
                };
                let d = self.session.pool.definition(def);
                if d.indices.len() as u32 != rank {
                    return Err(wrong(e));
                }
                let args = self.call_args(def, name, args)?;
                // The call's own index ranges and equalities apply when it is indexed,
                // which happens inside the callee; record its equalities now.
                self.instantiate_equalities(def, &args, e.span);
                Ok(self.pool().call(def, args, Vec::new()))
            }
            _ => match self.operand(e)? {
                Operand::Whole(w) if w.axes.len() as u32 == rank => self.pass_whole(&w),
                Operand::Whole(w) => Err(err(
                    ErrorKind::Shape,
                    e.span,
                    format!(
                        "expected {} here, but this is {}",
                        Kind::Tensor(rank).describe(),
                        Kind::Tensor(w.axes.len() as u32).describe()
                    ),
                )),
                Operand::Scalar(_) => Err(wrong(e)),
            },
        }
    }
}

/// Whether a text is a nonempty run of ASCII digits.
fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_digit())
}

/// Whether a text is one number literal with a point or an exponent (`0.5`, `.5`,
/// `2.`, `1e-3`, `2.5E+4`), not an expression of several.
fn is_decimal_literal(text: &str) -> bool {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (text, None),
    };
    let digits = mantissa.replacen('.', "", 1);
    let mantissa_ok = is_digits(&digits) && !mantissa.contains('-');
    let exponent_ok = exponent.is_none_or(|e| is_digits(e.trim_start_matches(['+', '-'])));
    mantissa_ok && exponent_ok && (exponent.is_some() || mantissa.contains('.'))
}
