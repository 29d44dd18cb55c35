//! The lowerer: its state while a statement is lowered, and its entry points (a
//! statement, an expression, the variable of a derivative, a constant).
//!
//! Lowering resolves names, infers kinds and shapes, and builds pool expressions. Every
//! name means one thing in a file: a scalar, an index, or a tensor with a fixed number of
//! axes, inferred from its first use. A later use of another kind is an error that points
//! at both uses. Indices link axes: when `i` indexes both `z` and `W`'s first axis, their
//! lengths must be equal, and that equality is recorded so evaluation can check values
//! against it. A sum's index ranges over an axis it indexes; an index that indexes no axis
//! has no range and is an error.
//!
//! Definitions (`let`) are lowered once into [`Definition`](crate::expr::definition::Definition)s
//! whose parameters have inferred kinds; calls are checked against them and stay
//! [`crate::expr::node::Node::Call`] nodes.
//!
//! The methods for each part of the language live in the sibling files listed in
//! [`crate::lower`]; this file holds only the state they share.

use rustc_hash::FxHashMap;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::diag::source::Span;
use crate::expr::kind::Kind;
use crate::expr::node::{ExprId, Symbol};
use crate::expr::pool::Pool;
use crate::lower::workspace::{Statement, Workspace};
use crate::syntax::tree::{Expr, Ident, Stmt};

/// A sum's bound index while its body is lowered.
pub(super) struct Binder {
    pub(super) name: String,
    pub(super) symbol: Symbol,
    pub(super) span: Span,
    pub(super) axes: Vec<ExprId>,
}

/// A parameter of the definition being lowered.
pub(super) struct ParamSlot {
    pub(super) ident: Ident,
    pub(super) symbol: Symbol,
    pub(super) kind: Option<(Kind, Span)>,
    pub(super) axes: Vec<ExprId>,
}

/// The definition being lowered.
pub(super) struct DefContext {
    pub(super) name: String,
    pub(super) params: Vec<ParamSlot>,
    pub(super) indices: Vec<(Ident, Symbol, Vec<ExprId>)>,
    /// The names of the declared parameters' axis lengths (`n` in `let f(Z[n, c])`),
    /// each with the length it stands for: `len(Z)`.
    pub(super) lengths: Vec<(String, ExprId)>,
    /// The parameters used as labels, with the length their values stay below.
    pub(super) labels: Vec<(usize, Option<ExprId>)>,
}

/// A free index of the statement being lowered.
pub(super) struct FreeIndex {
    pub(super) span: Span,
    pub(super) axes: Vec<ExprId>,
}

/// Lowers syntax into a session's pool.
pub struct Lowerer<'s> {
    pub(super) session: &'s mut Workspace,
    pub(super) def: Option<DefContext>,
    pub(super) binders: Vec<Binder>,
    pub(super) free: FxHashMap<Symbol, FreeIndex>,
    pub(super) free_order: Vec<Symbol>,
    pub(super) equalities: Vec<(ExprId, ExprId, Span)>,
    /// The rank of each name the statement uses with indices somewhere (`z[j]`), so
    /// that a whole-tensor use before that point (`softmax(z / T)`) knows it.
    pub(super) rank_hints: FxHashMap<String, u32>,
    pub(super) in_prelude: bool,
}

/// An error at a span; short, since lowering raises many.
pub(super) fn err(kind: ErrorKind, span: Span, msg: impl Into<String>) -> Error {
    Error::at(kind, span, msg)
}

impl<'s> Lowerer<'s> {
    /// A lowerer over a session; `in_prelude` marks the prelude's own definitions.
    pub fn new(session: &'s mut Workspace, in_prelude: bool) -> Lowerer<'s> {
        Lowerer {
            session,
            def: None,
            binders: Vec::new(),
            free: FxHashMap::default(),
            free_order: Vec::new(),
            equalities: Vec::new(),
            rank_hints: FxHashMap::default(),
            in_prelude,
        }
    }

    pub(super) fn pool(&mut self) -> &mut Pool {
        &mut self.session.pool
    }

    fn reset_statement(&mut self) {
        self.def = None;
        self.binders.clear();
        self.free.clear();
        self.free_order.clear();
        self.equalities.clear();
        self.rank_hints.clear();
    }

    /// Notes the rank of every name used with indices in `e` (see `rank_hints`).
    fn hint_ranks(&mut self, e: &Expr) {
        let mut hints = std::mem::take(&mut self.rank_hints);
        collect_rank_hints(e, &mut hints, &|name, k| {
            // The labels of `onehot(y, C)` are a vector unless declared otherwise.
            if name == "onehot" {
                return (k == 0).then_some(1);
            }
            // A bare name passed to a definition's tensor parameter has its rank.
            let def = self.session.scope.defs.get(name)?;
            match self.session.pool.definition(*def).params.get(k)?.kind {
                Kind::Tensor(r) => Some(r),
                _ => None,
            }
        });
        self.rank_hints = hints;
    }

    /// Lowers one statement into the session.
    pub fn statement(&mut self, stmt: &Stmt) -> Result<Statement> {
        self.reset_statement();
        match stmt {
            Stmt::Let { body: e, .. } | Stmt::AssumeEqual { lhs: e, .. } => self.hint_ranks(e),
            Stmt::Assume { operands, .. } => operands.iter().for_each(|e| self.hint_ranks(e)),
            Stmt::Claim { lhs, rhs, .. } => {
                self.hint_ranks(lhs);
                self.hint_ranks(rhs);
            }
            Stmt::Tensor { .. } | Stmt::Notation { .. } | Stmt::Indices { .. } => {}
        }
        if let Stmt::AssumeEqual { rhs, .. } = stmt {
            self.hint_ranks(rhs);
        }
        match stmt {
            Stmt::Let {
                name,
                params,
                shapes,
                indices,
                body,
                span,
            } => {
                let def = self.definition(name, params, shapes, indices, body, *span)?;
                Ok(Statement::Let(def))
            }
            Stmt::Assume {
                operands,
                relations,
                span,
            } => self.assume(operands, relations, *span),
            Stmt::AssumeEqual { lhs, rhs, span } => self.assume_equal(lhs, rhs, *span),
            Stmt::Claim {
                name,
                lhs,
                rhs,
                by,
                span,
            } => self.claim(name.as_ref(), lhs, rhs, by, *span),
            Stmt::Tensor { decls, span } => self.declare(decls, *span),
            Stmt::Notation { name, latex, .. } => Ok(self.notation(name, latex)),
            Stmt::Indices { style, .. } => {
                self.pool().set_index_style(*style);
                Ok(Statement::Indices(*style))
            }
        }
    }

    /// Lowers a standalone expression (the command line's input).
    pub fn expression(&mut self, e: &Expr) -> Result<ExprId> {
        self.reset_statement();
        self.hint_ranks(e);
        let id = self.value(e)?;
        self.finish_free_indices()?;
        self.commit_equalities();
        Ok(id)
    }

    /// Lowers the variable of a derivative given on its own (`x`, `z[i]`, `W[a, b]`).
    pub fn variable_expression(&mut self, e: &Expr) -> Result<ExprId> {
        self.reset_statement();
        let id = self.variable(e)?;
        self.finish_free_indices()?;
        self.commit_equalities();
        Ok(id)
    }

    /// Lowers a constant expression: one with no names but `pi` and `e`.
    pub fn constant(&mut self, e: &Expr) -> Result<ExprId> {
        self.reset_statement();
        let id = self.value(e)?;
        if !self.pool().free_symbols(id).is_empty() {
            return Err(err(
                ErrorKind::Binding,
                e.span,
                "a value must be a constant: a number or an expression of numbers, `pi` and `e`",
            ));
        }
        Ok(id)
    }

    pub(super) fn commit_equalities(&mut self) {
        let eqs = std::mem::take(&mut self.equalities);
        self.session.equal_lengths.extend(eqs);
    }

    /// Records the range of each free index that indexes an axis.
    pub(super) fn finish_free_indices(&mut self) -> Result<()> {
        for s in std::mem::take(&mut self.free_order) {
            let Some(fi) = self.free.remove(&s) else {
                continue;
            };
            // A free index needs no range to have a value (the caller gives it), so one
            // that indexes no axis, as in `delta(i, y)`, is fine; a summed one is not.
            if fi.axes.is_empty() {
                continue;
            }
            let range = self.choose_range(&fi.axes, fi.span);
            self.session.index_ranges.insert(s, range);
        }
        Ok(())
    }

    /// Picks the canonical range among the axes an index touches and records that the
    /// others have the same length.
    pub(super) fn choose_range(&mut self, axes: &[ExprId], span: Span) -> ExprId {
        let pool = &self.session.pool;
        let mut best = axes[0];
        for &a in &axes[1..] {
            if pool.cmp(a, best).is_lt() {
                best = a;
            }
        }
        for &a in axes {
            if a != best && !self.equalities.iter().any(|&(x, y, _)| x == best && y == a) {
                self.equalities.push((best, a, span));
            }
        }
        best
    }
}

/// Walks a syntax tree for names used with plain indices (`z[j]`, `W[i, k]`, `Z[n, :]`)
/// or passed by name to a definition's tensor parameter (`softmax(z)`), recording the
/// rank of each name's first such use.
fn collect_rank_hints(
    e: &Expr,
    out: &mut FxHashMap<String, u32>,
    param_rank: &dyn Fn(&str, usize) -> Option<u32>,
) {
    use crate::syntax::tree::ExprKind;
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Number(_) | ExprKind::Name(_) | ExprKind::Slice => {}
            ExprKind::Element { name, indices } => {
                out.entry(name.name.clone()).or_insert(indices.len() as u32);
                stack.extend(indices.iter());
            }
            ExprKind::Call {
                name,
                args,
                indices,
            } => {
                // A reduction of one bare name (`max(z)`, `argmax(z)`) reduces a vector.
                let reduced =
                    args.len() == 1 && crate::lower::reduce::reduction_named(&name.name).is_some();
                for (k, a) in args.iter().enumerate() {
                    if let ExprKind::Name(n) = &a.kind {
                        let rank = if reduced {
                            Some(1)
                        } else {
                            param_rank(&name.name, k)
                        };
                        if let Some(r) = rank {
                            out.entry(n.name.clone()).or_insert(r);
                        }
                    }
                }
                stack.extend(args.iter());
                stack.extend(indices.iter().flatten());
            }
            ExprKind::Neg(a) | ExprKind::Transpose(a) => stack.push(a),
            ExprKind::Chain { first, rest } => {
                stack.push(first);
                stack.extend(rest.iter().map(|(_, x)| x));
            }
            ExprKind::Pow(a, b) => {
                stack.push(a);
                stack.push(b);
            }
            ExprKind::Index { base, indices } => {
                stack.push(base);
                stack.extend(indices.iter());
            }
        }
    }
}
