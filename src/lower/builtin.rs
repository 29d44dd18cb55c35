//! Builtins with their own syntax (`sum` over bound indices, `len` of an axis), arity
//! checks, and the "did you mean" hint for an unknown function.

use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::kind::Kind;
use crate::expr::node::{ExprId, Func};
use crate::lower::lowerer::{Binder, Lowerer, err};
use crate::syntax::tree::{Expr, ExprKind, Ident};

impl Lowerer<'_> {
    pub(super) fn unknown_function(&self, name: &Ident) -> Error {
        let mut candidates: Vec<String> = Func::ALL.iter().map(|f| f.name().to_string()).collect();
        // The builtins with syntax of their own are the reserved names that are functions.
        candidates.extend(
            crate::lower::scope::RESERVED
                .iter()
                .filter(|n| self.is_function_name(n))
                .map(|s| s.to_string()),
        );
        candidates.extend(self.session.scope.defs.keys().cloned());
        candidates.sort();
        let best = candidates
            .iter()
            .map(|c| (edit_distance(c, &name.name), c))
            .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < name.name.len().max(2))
            .min();
        let mut e = err(
            ErrorKind::Name,
            name.span,
            format!("unknown function `{}`", name.name),
        )
        .with_primary_text("not a builtin or a definition");
        e = match best {
            Some((_, c)) => e.with_hint(format!("did you mean `{c}`?")),
            None => e.with_hint(format!(
                "define it first: `let {}(x) = ...`, or load definitions with --defs",
                name.name
            )),
        };
        e
    }

    pub(super) fn arity(&self, name: &Ident, args: &[Expr], min: usize, max: usize) -> Result<()> {
        if args.len() < min || args.len() > max {
            let want = if min == max {
                format!("{min} argument{}", if min == 1 { "" } else { "s" })
            } else {
                format!("{min} to {max} arguments")
            };
            return Err(err(
                ErrorKind::Arity,
                name.span,
                format!(
                    "`{}` takes {want}, but {} were given",
                    name.name,
                    args.len()
                ),
            )
            .with_hint(builtin_usage(&name.name)));
        }
        Ok(())
    }

    /// Binds an index for the body that is lowered next (a sum's or a reduction's),
    /// returning its symbol; the caller pops it.
    pub(super) fn bind(&mut self, ident: &Ident) -> crate::expr::node::Symbol {
        let symbol = self.session.pool.symbol(&ident.name);
        self.binders.push(Binder {
            name: ident.name.clone(),
            symbol,
            span: ident.span,
            axes: Vec::new(),
        });
        symbol
    }

    /// `sum(j, body)`, or with `mean` set `mean(j, body)`: the sum divided by the
    /// number of terms, the product of the summed axes' lengths.
    pub(super) fn sum(&mut self, name: &Ident, args: &[Expr], mean: bool) -> Result<ExprId> {
        if args.len() < 2 {
            return Err(err(
                ErrorKind::Arity,
                name.span,
                format!("`{}` takes an index and a body", name.name),
            )
            .with_hint(format!(
                "write `{0}(j, exp(z[j]))`, or `{0}(i, k, W[i, k])` for several indices",
                name.name
            )));
        }
        let (binder_exprs, body) = args.split_at(args.len() - 1);
        let mut count = 0;
        for b in binder_exprs {
            let ExprKind::Name(ident) = &b.kind else {
                return Err(err(
                    ErrorKind::Shape,
                    b.span,
                    "expected the name of the summed index",
                )
                .with_hint("write `sum(j, body)`: the index comes first, the body last"));
            };
            if matches!(ident.name.as_str(), "pi" | "π" | "e")
                || self.session.scope.defs.contains_key(&ident.name)
                || self.is_function_name(&ident.name)
            {
                return Err(err(
                    ErrorKind::Name,
                    ident.span,
                    format!("`{}` cannot name a summed index", ident.name),
                ));
            }
            self.bind(ident);
            count += 1;
        }
        let body = self.value(&body[0]);
        let mut body = match body {
            Ok(b) => b,
            Err(e) => {
                self.binders.truncate(self.binders.len() - count);
                return Err(e);
            }
        };
        for _ in 0..count {
            let b = self.binders.pop().expect("pushed above");
            if b.axes.is_empty() {
                return Err(err(
                    ErrorKind::Shape,
                    b.span,
                    format!(
                        "summed index `{}` never indexes a tensor axis, so its range is unknown",
                        b.name
                    ),
                )
                .with_hint(format!(
                    "use it on a tensor in the body, as in `sum({0}, z[{0}])`",
                    b.name
                )));
            }
            let range = self.choose_range(&b.axes, b.span);
            body = self.pool().sum(b.symbol, range, body);
            if mean {
                body = self.pool().div(body, range);
            }
        }
        Ok(body)
    }

    pub(super) fn len(&mut self, name: &Ident, args: &[Expr]) -> Result<ExprId> {
        self.arity(name, args, 1, 2)?;
        let axis = match args.get(1) {
            None => 0,
            Some(e) => match &e.kind {
                ExprKind::Number(r) if r.is_integer() => crate::syntax::number::to_small_int(r)
                    .filter(|k| (0..=u32::MAX as i64).contains(k))
                    .ok_or_else(|| {
                        err(
                            ErrorKind::Shape,
                            e.span,
                            "an axis must be a small non-negative integer",
                        )
                    })? as u32,
                _ => {
                    return Err(err(
                        ErrorKind::Shape,
                        e.span,
                        "the axis of `len` must be a non-negative integer literal",
                    )
                    .with_hint("axes count from 0: `len(W, 1)` is the length of W's second axis"));
                }
            },
        };
        let ExprKind::Name(t) = &args[0].kind else {
            return Err(err(
                ErrorKind::Shape,
                args[0].span,
                "`len` takes a tensor by name",
            ));
        };
        let n = t.name.as_str();
        // `len(j)` of an index is the length of the axis it runs over.
        if args.len() == 1 {
            let axes = if let Some(b) = self.binder(n) {
                Some(self.binders[b].axes.clone())
            } else if let Some(k) = self.def_index(n) {
                self.def.as_ref().map(|d| d.indices[k].2.clone())
            } else {
                let s = self.session.pool.symbol(n);
                self.free.get(&s).map(|f| f.axes.clone())
            };
            if let Some(axes) = axes {
                if axes.is_empty() {
                    return Err(err(
                        ErrorKind::Shape,
                        t.span,
                        format!("index `{n}` has not indexed an axis yet, so its length is unknown"),
                    )
                    .with_hint(format!(
                        "write `len({n})` after a use such as `z[{n}]`, or name the tensor: `len(z)`"
                    )));
                }
                return Ok(self.choose_range(&axes, t.span));
            }
        }
        // An intermediate (`let A = softmax(S)` or `let h[i] = ...`) has the lengths of
        // its result indices.
        if self.def_param(n).is_none()
            && self.binder(n).is_none()
            && self.def_index(n).is_none()
            && let Some(&def) = self.session.scope.defs.get(n)
        {
            let d = self.session.pool.definition(def);
            if d.params.is_empty() && !d.indices.is_empty() {
                return d.index_ranges.get(axis as usize).copied().ok_or_else(|| {
                    err(
                        ErrorKind::Shape,
                        args.get(1).map_or(t.span, |a| a.span),
                        format!(
                            "`{n}` has {} axes, so axis {axis} does not exist",
                            d.indices.len()
                        ),
                    )
                    .with_hint("axes count from 0")
                });
            }
        }
        let rank = if let Some(k) = self.def_param(n) {
            match self.def.as_ref().and_then(|d| d.params[k].kind) {
                Some((Kind::Tensor(r), _)) => {
                    Some((r, self.def.as_ref().map(|d| d.params[k].symbol)))
                }
                _ => None,
            }
        } else if self.binder(n).is_some()
            || self.def_index(n).is_some()
            || self.session.scope.defs.contains_key(n)
            || self.is_function_name(n)
            || matches!(n, "pi" | "π" | "e")
        {
            None
        } else {
            // A name first met in `len` is a tensor with just enough axes: `len(z)` makes
            // z a vector and `len(W, 1)` makes W a matrix; a later use must agree.
            let s = self.session.pool.symbol(n);
            let rank = match self.session.scope.kinds.get(&s) {
                Some(&(Kind::Tensor(r), _)) => r,
                Some(_) => 0,
                None => {
                    self.use_global(t, Kind::Tensor(axis + 1))?;
                    axis + 1
                }
            };
            (rank > 0).then_some((rank, Some(s)))
        };
        match rank {
            Some((r, Some(s))) if axis < r => Ok(self.pool().len_of(s, axis)),
            Some((r, _)) => Err(err(
                ErrorKind::Shape,
                args.get(1).map_or(t.span, |a| a.span),
                format!("`{n}` has {r} axes, so axis {axis} does not exist"),
            )
            .with_hint("axes count from 0")),
            None => Err(err(
                ErrorKind::Shape,
                t.span,
                format!("`len` needs a tensor, and `{n}` is not used as one before this point"),
            )
            .with_hint(format!(
                "index `{n}` earlier, as in `{n}[j]`, so its shape is known"
            ))),
        }
    }
}

/// How a builtin is called, for the hint of an arity error.
fn builtin_usage(name: &str) -> String {
    match name {
        "log" => "write `log(x)` for ln(x), or `log(b, x)` for the base-b logarithm".into(),
        "delta" => "write `delta(i, k)`".into(),
        "diff" => "write `diff(f, x)`, `diff(f, z[i])` or `diff(f, x, 2)`".into(),
        "grad" => "write `grad(f, z)[i]`".into(),
        "hessian" => "write `hessian(f, z)[i, k]`".into(),
        "len" => "write `len(z)` or `len(W, 1)`".into(),
        other => format!("write `{other}(x)`"),
    }
}

/// Levenshtein distance, for "did you mean" hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
