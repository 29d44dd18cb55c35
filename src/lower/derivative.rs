//! Derivative nodes: `diff(f, x)` and `diff(f, x, k)`, `grad(f, z)[i]` and
//! `hessian(f, z)[i, k]`, and the variable of a derivative (a scalar, an element, or a
//! named intermediate: a call of a definition without parameters).

use crate::diag::error::{ErrorKind, Result};
use crate::diag::source::Span;
use crate::expr::kind::Kind;
use crate::expr::node::{ExprId, MAX_DIFF_ORDER};
use crate::lower::call::usage_text;
use crate::lower::lowerer::{Lowerer, err};
use crate::syntax::tree::{Expr, ExprKind, Ident};

impl Lowerer<'_> {
    pub(super) fn diff(&mut self, name: &Ident, args: &[Expr]) -> Result<ExprId> {
        self.arity(name, args, 2, 3)?;
        let f = self.value(&args[0])?;
        let var = self.variable(&args[1])?;
        let order = match args.get(2) {
            None => 1,
            Some(e) => self.order(e)?,
        };
        Ok(self.pool().diff(f, var, order))
    }

    fn order(&self, e: &Expr) -> Result<u32> {
        if let ExprKind::Number(r) = &e.kind
            && r.is_integer()
            && let Some(k) = crate::syntax::number::to_small_int(r)
        {
            if (1..=MAX_DIFF_ORDER as i64).contains(&k) {
                return Ok(k as u32);
            }
            if k > MAX_DIFF_ORDER as i64 {
                return Err(err(
                    ErrorKind::Limit,
                    e.span,
                    format!("derivative orders above {MAX_DIFF_ORDER} are not supported"),
                ));
            }
        }
        Err(err(
            ErrorKind::Shape,
            e.span,
            "the order of a derivative must be a positive integer",
        )
        .with_hint("write `diff(f, x, 2)` for the second derivative"))
    }

    /// Lowers the variable of `diff`: a scalar name or a tensor element.
    pub(super) fn variable(&mut self, e: &Expr) -> Result<ExprId> {
        match &e.kind {
            ExprKind::Name(ident) => {
                let n = ident.name.as_str();
                if self.binder(n).is_some() || self.def_index(n).is_some() {
                    return Err(err(
                        ErrorKind::Shape,
                        ident.span,
                        format!("cannot differentiate with respect to the index `{n}`"),
                    ));
                }
                if let Some(k) = self.def_param(n) {
                    let s = self.use_param(k, Kind::Scalar, ident.span)?;
                    return Ok(self.pool().sym(s));
                }
                if self.session.scope.defs.contains_key(n) || self.is_defining(n) {
                    return self.intermediate(ident, None, e.span);
                }
                if matches!(n, "pi" | "π" | "e") || self.is_function_name(n) {
                    return Err(err(
                        ErrorKind::Shape,
                        ident.span,
                        format!("cannot differentiate with respect to `{n}`: it is not a variable"),
                    ));
                }
                let s = self.use_global(ident, Kind::Scalar)?;
                Ok(self.pool().sym(s))
            }
            ExprKind::Element { name, indices } => {
                let n = name.name.as_str();
                if self.session.scope.defs.contains_key(n) || self.is_defining(n) {
                    return self.intermediate(name, Some(indices), e.span);
                }
                if self.is_function_name(n) {
                    return Err(err(
                        ErrorKind::Shape,
                        name.span,
                        format!("cannot differentiate with respect to `{n}`: it is not a tensor"),
                    ));
                }
                self.element(name, indices, e.span)
            }
            _ => Err(err(
                ErrorKind::Shape,
                e.span,
                "expected a variable: a scalar name such as `x` or an element such as `z[i]`",
            )),
        }
    }

    /// Lowers a named intermediate as a derivative's variable: a call of a definition
    /// without parameters (`s`, `h[j]`), whose derivative is the adjoint (see
    /// `calculus::adjoint`). A definition with parameters is a function, not a value.
    fn intermediate(
        &mut self,
        name: &Ident,
        indices: Option<&[Expr]>,
        span: Span,
    ) -> Result<ExprId> {
        let n = name.name.as_str();
        if self.is_defining(n) {
            return Err(self.recursion_error(name));
        }
        let def = self.session.scope.defs[n];
        let d = self.session.pool.definition(def);
        if d.builtin.is_some() {
            return Err(err(
                ErrorKind::Shape,
                name.span,
                format!(
                    "cannot differentiate with respect to `{n}`: it is a function, not a variable"
                ),
            ));
        }
        if !d.params.is_empty() {
            let usage = usage_text(n, d.params.len(), d.indices.len());
            let named = usage_text("v", 0, d.indices.len());
            return Err(err(
                ErrorKind::Shape,
                name.span,
                format!(
                    "cannot differentiate with respect to `{n}`: it is a function of {} parameter{}, not an intermediate value",
                    d.params.len(),
                    if d.params.len() == 1 { "" } else { "s" }
                ),
            )
            .with_hint(format!(
                "differentiate by one of its inputs, or name the value it takes: `let {named} = {usage}`, then `diff(f, {named})`"
            )));
        }
        let rank = d.indices.len();
        if indices.is_none() && rank > 0 {
            let usage = usage_text(n, 0, rank);
            return Err(err(
                ErrorKind::Shape,
                span,
                format!(
                    "`{n}` is {}; differentiate by one element",
                    Kind::Tensor(rank as u32).describe()
                ),
            )
            .with_hint(format!("write `diff(f, {usage})`")));
        }
        self.finish_call(def, name, Vec::new(), indices, span)
    }

    pub(super) fn grad(
        &mut self,
        name: &Ident,
        args: &[Expr],
        indices: Option<&[Expr]>,
        span: Span,
    ) -> Result<ExprId> {
        self.arity(name, args, 2, 2)?;
        let hessian = name.name == "hessian";
        let ExprKind::Name(tensor) = &args[1].kind else {
            return Err(err(
                ErrorKind::Shape,
                args[1].span,
                format!(
                    "`{}` takes a tensor by name as its second argument",
                    name.name
                ),
            )
            .with_hint(format!("write `{}(f, z)[i]`", name.name)));
        };
        let idx = indices.unwrap_or(&[]);
        if idx.is_empty() || (hessian && idx.len() != 2) {
            let usage = if hessian {
                "hessian(f, z)[i, k]"
            } else {
                "grad(f, z)[i]"
            };
            return Err(err(
                ErrorKind::Shape,
                span,
                format!("`{}` gives a tensor; select an element", name.name),
            )
            .with_hint(format!("write `{usage}`")));
        }
        let f = self.value(&args[0])?;
        if hessian {
            let first = Expr {
                kind: ExprKind::Element {
                    name: tensor.clone(),
                    indices: vec![idx[0].clone()],
                },
                span,
            };
            let second = Expr {
                kind: ExprKind::Element {
                    name: tensor.clone(),
                    indices: vec![idx[1].clone()],
                },
                span,
            };
            let v1 = self.variable(&first)?;
            let v2 = self.variable(&second)?;
            let d1 = self.pool().diff(f, v1, 1);
            Ok(self.pool().diff(d1, v2, 1))
        } else {
            let el = Expr {
                kind: ExprKind::Element {
                    name: tensor.clone(),
                    indices: idx.to_vec(),
                },
                span,
            };
            let v = self.variable(&el)?;
            Ok(self.pool().diff(f, v, 1))
        }
    }
}
