//! Statements: `let` definitions (parameters with inferred kinds, result indices with
//! ranges), `assume` facts, and claims whose sides must have the same free indices.

use rustc_hash::FxHashMap;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::diag::source::Span;
use crate::expr::definition::{Definition, Param};
use crate::expr::kind::Kind;
use crate::expr::node::{DefId, ExprId, Func, Symbol};
use crate::lower::lowerer::{DefContext, Lowerer, ParamSlot, err};
use crate::lower::scope::RESERVED;
use crate::lower::workspace::{Citation, Claim, Fact, Statement};
use crate::syntax::tree::{Expr, Ident, Relation};

impl Lowerer<'_> {
    pub(super) fn definition(
        &mut self,
        name: &Ident,
        params: &[Ident],
        shapes: &[Vec<Ident>],
        indices: &[Ident],
        body: &Expr,
        span: Span,
    ) -> Result<DefId> {
        if RESERVED.contains(&name.name.as_str()) {
            return Err(err(
                ErrorKind::Name,
                name.span,
                format!(
                    "`{}` is built into the language and cannot be redefined",
                    name.name
                ),
            ));
        }
        let builtin = Func::from_name(&name.name);
        // Canonical forms create builtin calls (`e^x` is `exp(x)`), and the printer writes
        // them by name; a user definition of that name would change what printed text
        // means. So builtins keep their meaning; only the prelude states their bodies.
        if builtin.is_some() && !self.in_prelude {
            return Err(err(
                ErrorKind::Name,
                name.span,
                format!(
                    "`{}` is a builtin function and cannot be redefined",
                    name.name
                ),
            )
            .with_hint(format!("choose another name, such as `my_{}`", name.name)));
        }
        // Every parameter and index name must be distinct.
        let mut seen: FxHashMap<&str, Span> = FxHashMap::default();
        for id in params.iter().chain(indices).chain(shapes.iter().flatten()) {
            if RESERVED.contains(&id.name.as_str()) {
                return Err(err(
                    ErrorKind::Name,
                    id.span,
                    format!(
                        "`{}` is built into the language and cannot name a parameter",
                        id.name
                    ),
                ));
            }
            // A length named on two axes says that they are equal, as in `tensor`.
            let a_length = shapes.iter().flatten().any(|l| std::ptr::eq(l, id))
                && !params.iter().chain(indices).any(|p| p.name == id.name);
            if let Some(&first) = seen.get(id.name.as_str())
                && !a_length
            {
                return Err(err(
                    ErrorKind::Name,
                    id.span,
                    format!("`{}` is named twice in this definition", id.name),
                )
                .with_label(first, "first here"));
            }
            seen.insert(&id.name, id.span);
        }
        let mut lengths: Vec<(String, ExprId)> = Vec::new();
        let mut param_slots = Vec::with_capacity(params.len());
        for (p, shape) in params.iter().zip(shapes) {
            let symbol = self.session.pool.symbol(&p.name);
            // A declared shape fixes the parameter's kind, so that it may be used whole
            // alone (`softmax(z / T)`), and names its lengths for the body.
            let kind = (!shape.is_empty()).then_some((Kind::Tensor(shape.len() as u32), p.span));
            for (axis, len) in shape.iter().enumerate() {
                let this = self.session.pool.len_of(symbol, axis as u32);
                match lengths.iter().find(|(n, _)| *n == len.name) {
                    Some(&(_, first)) => self.equalities.push((first, this, len.span)),
                    None => lengths.push((len.name.clone(), this)),
                }
            }
            param_slots.push(ParamSlot {
                ident: p.clone(),
                symbol,
                kind,
                axes: Vec::new(),
            });
        }
        let index_slots = indices
            .iter()
            .map(|p| (p.clone(), self.session.pool.symbol(&p.name), Vec::new()))
            .collect();
        self.def = Some(DefContext {
            name: name.name.clone(),
            params: param_slots,
            indices: index_slots,
            lengths,
            labels: Vec::new(),
        });
        // A body that is a whole tensor (`let h = tanh(W @ x + b)`) defines an indexed
        // definition, its indices named as people name them.
        let (body_id, whole_axes) = if indices.is_empty() {
            match self.operand(body)? {
                crate::lower::tensor::Operand::Scalar(x) => (x, Vec::new()),
                crate::lower::tensor::Operand::Whole(w) => self.name_axes(&w),
            }
        } else {
            (self.value(body)?, Vec::new())
        };
        let ctx = self.def.take().ok_or_else(|| {
            Error::new(ErrorKind::Unsupported, "internal: definition context lost")
        })?;
        let mut out_params = Vec::new();
        for (slot, shape) in ctx.params.iter().zip(shapes) {
            let kind = slot.kind.map_or(Kind::Scalar, |(k, _)| k);
            let range = if kind == Kind::Index {
                if slot.axes.is_empty() {
                    return Err(err(
                        ErrorKind::Shape,
                        slot.ident.span,
                        format!(
                            "parameter `{}` is used as an index but never indexes a tensor axis",
                            slot.ident.name
                        ),
                    ));
                }
                Some(self.choose_range(&slot.axes.clone(), slot.ident.span))
            } else {
                None
            };
            out_params.push(Param {
                name: slot.symbol,
                kind,
                range,
                lengths: shape
                    .iter()
                    .map(|l| self.session.pool.symbol(&l.name))
                    .collect(),
            });
        }
        let mut ranges = Vec::new();
        for (ident, _, axes) in &ctx.indices {
            if axes.is_empty() {
                return Err(err(
                    ErrorKind::Shape,
                    ident.span,
                    format!(
                        "index `{}` of `{}` never indexes a tensor axis, so its range is unknown",
                        ident.name, name.name
                    ),
                )
                .with_hint(format!("use it in the body, as in `z[{}]`", ident.name)));
            }
            ranges.push(self.choose_range(&axes.clone(), ident.span));
        }
        let mut index_symbols: Vec<Symbol> = ctx.indices.iter().map(|(_, s, _)| *s).collect();
        for (s, len) in whole_axes {
            index_symbols.push(s);
            ranges.push(len);
        }
        // Free indices in a definition's body would have no value at a call.
        if let Some(&s) = self.free_order.first() {
            let fi = &self.free[&s];
            return Err(err(
                ErrorKind::Shape,
                fi.span,
                format!(
                    "index `{}` is not a parameter or an index of `{}`",
                    self.session.pool.name(s),
                    name.name
                ),
            )
            .with_hint(format!(
                "list it after the name: `let {}(...)[{}] = ...`, or sum over it",
                name.name,
                self.session.pool.name(s)
            )));
        }
        let equal_lengths = self.equalities.drain(..).map(|(a, b, _)| (a, b)).collect();
        let symbol = self.session.pool.symbol(&name.name);
        let builtin = if self.in_prelude { builtin } else { None };
        let def = Definition {
            name: symbol,
            params: out_params,
            indices: index_symbols,
            index_ranges: ranges,
            equal_lengths,
            labels: ctx.labels.clone(),
            body: body_id,
            builtin,
            span,
            form: None,
            reduce: None,
        };
        let id = self.session.pool.add_definition(def);
        if !self.in_prelude {
            if let Some(&old) = self.session.scope.defs.get(&name.name)
                && self.session.scope.prelude_defs.contains(&old)
            {
                self.session.warnings.push(
                    err(
                        ErrorKind::Name,
                        name.span,
                        format!("this definition of `{}` shadows the prelude's", name.name),
                    )
                    .with_hint("rename it to keep the prelude's meaning"),
                );
            } else if Func::from_name(&name.name).is_some()
                && !self.session.scope.defs.contains_key(&name.name)
            {
                self.session.warnings.push(err(
                    ErrorKind::Name,
                    name.span,
                    format!(
                        "this definition of `{}` shadows the builtin function",
                        name.name
                    ),
                ));
            }
        }
        self.session.scope.defs.insert(name.name.clone(), id);
        if self.in_prelude {
            self.session.scope.prelude_defs.push(id);
        }
        Ok(id)
    }

    pub(super) fn assume(
        &mut self,
        operands: &[Expr],
        relations: &[(Relation, Span)],
        span: Span,
    ) -> Result<Statement> {
        let mut ids = Vec::new();
        for o in operands {
            ids.push(self.value(o)?);
        }
        self.finish_free_indices()?;
        self.commit_equalities();
        let mut facts = Vec::new();
        for (k, &(rel, rspan)) in relations.iter().enumerate() {
            let (a, b) = (ids[k], ids[k + 1]);
            let a_const = self.pool().free_symbols(a).is_empty();
            let b_const = self.pool().free_symbols(b).is_empty();
            let fact = match (a_const, b_const) {
                (true, true) => {
                    return Err(err(
                        ErrorKind::Name,
                        rspan,
                        "this comparison is between two constants and says nothing about any name",
                    )
                    .with_label(operands[k].span, "constant")
                    .with_label(operands[k + 1].span, "constant"));
                }
                (false, true) => Fact {
                    subject: a,
                    relation: rel,
                    bound: b,
                    span,
                },
                (true, false) => Fact {
                    subject: b,
                    relation: rel.flipped(),
                    bound: a,
                    span,
                },
                (false, false) => {
                    let d = self.pool().sub(a, b);
                    let zero = self.pool().int(0);
                    Fact {
                        subject: d,
                        relation: rel,
                        bound: zero,
                        span,
                    }
                }
            };
            facts.push(fact);
        }
        let first = self.session.facts.len();
        self.session.facts.extend(facts);
        Ok(Statement::Assume {
            operands: ids,
            relations: relations.iter().map(|r| r.0).collect(),
            facts: first..self.session.facts.len(),
        })
    }

    /// `assume lhs = rhs`: an equality fact, over the free indices of its sides (`n`
    /// in `sum(k, Y[n, k]) = 1` stands for every `n`). The simplifier rewrites by it
    /// and random points are drawn to meet it (see `expr::equality`).
    pub(super) fn assume_equal(&mut self, lhs: &Expr, rhs: &Expr, span: Span) -> Result<Statement> {
        let a = self.value(lhs)?;
        let b = self.value(rhs)?;
        self.finish_free_indices()?;
        self.commit_equalities();
        if self.pool().free_symbols(a).is_empty() && self.pool().free_symbols(b).is_empty() {
            return Err(err(
                ErrorKind::Name,
                span,
                "this equation is between two constants and says nothing about any name",
            )
            .with_label(lhs.span, "constant")
            .with_label(rhs.span, "constant"));
        }
        let first = self.session.facts.len();
        self.session.facts.push(Fact {
            subject: a,
            relation: Relation::Equal,
            bound: b,
            span,
        });
        Ok(Statement::Assume {
            operands: vec![a, b],
            relations: vec![Relation::Equal],
            facts: first..self.session.facts.len(),
        })
    }

    pub(super) fn claim(
        &mut self,
        name: Option<&Ident>,
        lhs: &Expr,
        rhs: &Expr,
        by: &[Ident],
        span: Span,
    ) -> Result<Statement> {
        // What the canonical forms drop of each side's domain (`ln(A) - ln(A)`) is
        // kept beside it, for the prover to hold the side to.
        self.pool().record_guards();
        let l = self.operand(lhs);
        let left_guards = self.pool().take_guards();
        let l = l?;
        self.pool().record_guards();
        let r = self.operand(rhs);
        let right_guards = self.pool().take_guards();
        let r = r?;
        let (l, r) = self.claim_sides(l, r, lhs, rhs)?;
        // A claim holds for every value of the free indices of either side: an index
        // free on one side only (`diff(sum(j, z[j]), z[i]) = 1`) ranges over its axis
        // as one free on both does.
        self.finish_free_indices()?;
        self.commit_equalities();
        let line = self.session.sources.line_col(span.source, span.start).line;
        self.session.claims.push(Claim {
            name: name.map(|n| n.name.clone()),
            lhs: l,
            rhs: r,
            span,
            line,
            unreadable: None,
            guards: [left_guards, right_guards],
            by: by
                .iter()
                .map(|b| Citation {
                    name: b.name.clone(),
                    span: b.span,
                    unusable: None,
                })
                .collect(),
        });
        Ok(Statement::Claim(self.session.claims.len() - 1))
    }

    /// `notation name = "latex"`: the name prints as the LaTeX from now on (a later
    /// notation for it replaces this one). Any name may be given one, used or not,
    /// so that notations can head a file.
    pub(super) fn notation(&mut self, name: &Ident, latex: &str) -> Statement {
        let symbol = self.pool().symbol(&name.name);
        self.pool().set_notation(symbol, latex);
        Statement::Notation {
            name: symbol,
            latex: latex.to_string(),
        }
    }
}
