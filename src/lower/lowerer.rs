//! Lowering: resolving names, inferring kinds and shapes, and building pool expressions.
//!
//! Every name means one thing in a file: a scalar, an index, or a tensor with a fixed
//! number of axes, inferred from its first use. A later use of another kind is an error
//! that points at both uses. Indices link axes: when `i` indexes both `z` and `W`'s first
//! axis, their lengths must be equal, and that equality is recorded so evaluation can
//! check values against it. A sum's index ranges over an axis it indexes; an index that
//! indexes no axis has no range and is an error.
//!
//! Definitions (`let`) are lowered once into [`Definition`]s whose parameters have
//! inferred kinds; calls are checked against them and stay [`crate::expr::node::Node::Call`] nodes.

use rustc_hash::FxHashMap;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::diag::source::Span;
use crate::expr::node::{Constant, DefId, ExprId, Func, Symbol};
use crate::expr::pool::{Definition, Param, ParamKind, Pool};
use crate::lower::workspace::{Claim, Fact, Statement, Workspace};
use crate::syntax::tree::{ChainOp, Expr, ExprKind, Ident, Relation, Stmt};

pub use crate::expr::node::MAX_DIFF_ORDER;

/// Names with a fixed meaning that no `let` may take.
pub const RESERVED: [&str; 14] = [
    "sum", "delta", "diff", "grad", "hessian", "len", "log", "log2", "log10", "sqrt", "pi", "e",
    "π", "let",
];

/// What a global name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A scalar variable.
    Scalar,
    /// An index.
    Index,
    /// A tensor with this many axes.
    Tensor(u32),
}

impl Kind {
    /// Describes the kind in words, for messages.
    pub fn describe(self) -> String {
        match self {
            Kind::Scalar => "a scalar".into(),
            Kind::Index => "an index".into(),
            Kind::Tensor(1) => "a vector (a tensor with 1 axis)".into(),
            Kind::Tensor(2) => "a matrix (a tensor with 2 axes)".into(),
            Kind::Tensor(n) => format!("a tensor with {n} axes"),
        }
    }
}

fn param_kind_describe(k: ParamKind) -> String {
    match k {
        ParamKind::Scalar => Kind::Scalar.describe(),
        ParamKind::Index => Kind::Index.describe(),
        ParamKind::Tensor(n) => Kind::Tensor(n).describe(),
    }
}

/// The global names of a session and what they are.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Kinds of global names, with the span of the use that fixed each.
    pub kinds: FxHashMap<Symbol, (Kind, Span)>,
    /// The current definition of each defined name.
    pub defs: FxHashMap<String, DefId>,
    /// Which definitions came from the prelude.
    pub prelude_defs: Vec<DefId>,
}

/// A sum's bound index while its body is lowered.
struct Binder {
    name: String,
    symbol: Symbol,
    span: Span,
    axes: Vec<ExprId>,
}

/// A parameter of the definition being lowered.
struct ParamSlot {
    ident: Ident,
    symbol: Symbol,
    kind: Option<(ParamKind, Span)>,
    axes: Vec<ExprId>,
}

/// The definition being lowered.
struct DefContext {
    name: String,
    params: Vec<ParamSlot>,
    indices: Vec<(Ident, Symbol, Vec<ExprId>)>,
}

/// A free index of the statement being lowered.
struct FreeIndex {
    span: Span,
    axes: Vec<ExprId>,
}

/// Lowers syntax into a session's pool.
pub struct Lowerer<'s> {
    session: &'s mut Workspace,
    def: Option<DefContext>,
    binders: Vec<Binder>,
    free: FxHashMap<Symbol, FreeIndex>,
    free_order: Vec<Symbol>,
    equalities: Vec<(ExprId, ExprId, Span)>,
    in_prelude: bool,
}

fn err(kind: ErrorKind, span: Span, msg: impl Into<String>) -> Error {
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
            in_prelude,
        }
    }

    fn pool(&mut self) -> &mut Pool {
        &mut self.session.pool
    }

    fn reset_statement(&mut self) {
        self.def = None;
        self.binders.clear();
        self.free.clear();
        self.free_order.clear();
        self.equalities.clear();
    }

    // ----- statements ---------------------------------------------------------------

    /// Lowers one statement into the session.
    pub fn statement(&mut self, stmt: &Stmt) -> Result<Statement> {
        self.reset_statement();
        match stmt {
            Stmt::Let {
                name,
                params,
                indices,
                body,
                span,
            } => {
                let def = self.definition(name, params, indices, body, *span)?;
                Ok(Statement::Let(def))
            }
            Stmt::Assume {
                operands,
                relations,
                span,
            } => self.assume(operands, relations, *span),
            Stmt::Claim {
                name,
                lhs,
                rhs,
                span,
            } => self.claim(name.as_ref(), lhs, rhs, *span),
        }
    }

    /// Lowers a standalone expression (the command line's input).
    pub fn expression(&mut self, e: &Expr) -> Result<ExprId> {
        self.reset_statement();
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

    fn commit_equalities(&mut self) {
        let eqs = std::mem::take(&mut self.equalities);
        self.session.equal_lengths.extend(eqs);
    }

    /// Records the range of each free index that indexes an axis.
    fn finish_free_indices(&mut self) -> Result<()> {
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
    fn choose_range(&mut self, axes: &[ExprId], span: Span) -> ExprId {
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

    fn definition(
        &mut self,
        name: &Ident,
        params: &[Ident],
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
        for id in params.iter().chain(indices.iter()) {
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
            if let Some(&first) = seen.get(id.name.as_str()) {
                return Err(err(
                    ErrorKind::Name,
                    id.span,
                    format!("`{}` is named twice in this definition", id.name),
                )
                .with_label(first, "first here"));
            }
            seen.insert(&id.name, id.span);
        }
        let param_slots = params
            .iter()
            .map(|p| ParamSlot {
                ident: p.clone(),
                symbol: self.session.pool.symbol(&p.name),
                kind: None,
                axes: Vec::new(),
            })
            .collect();
        let index_slots = indices
            .iter()
            .map(|p| (p.clone(), self.session.pool.symbol(&p.name), Vec::new()))
            .collect();
        self.def = Some(DefContext {
            name: name.name.clone(),
            params: param_slots,
            indices: index_slots,
        });
        let body_id = self.value(body)?;
        let ctx = self.def.take().ok_or_else(|| {
            Error::new(ErrorKind::Unsupported, "internal: definition context lost")
        })?;
        let mut out_params = Vec::new();
        for slot in &ctx.params {
            let kind = slot.kind.map_or(ParamKind::Scalar, |(k, _)| k);
            let range = if kind == ParamKind::Index {
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
            indices: ctx.indices.iter().map(|(_, s, _)| *s).collect(),
            index_ranges: ranges,
            equal_lengths,
            body: body_id,
            builtin,
            span,
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

    fn assume(
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

    fn claim(
        &mut self,
        name: Option<&Ident>,
        lhs: &Expr,
        rhs: &Expr,
        span: Span,
    ) -> Result<Statement> {
        let l = self.value(lhs)?;
        let left_free: Vec<(Symbol, Span)> = self
            .free_order
            .iter()
            .map(|s| (*s, self.free[s].span))
            .collect();
        let r = self.value(rhs)?;
        let lf = self.pool().free_indices(l);
        let rf = self.pool().free_indices(r);
        for (side_free, other_free, side) in [(&lf, &rf, "left"), (&rf, &lf, "right")] {
            if let Some(&s) = side_free.iter().find(|s| !other_free.contains(s)) {
                let name_text = self.session.pool.name(s).to_string();
                let use_span = if side == "left" {
                    left_free.iter().find(|(x, _)| *x == s).map(|p| p.1)
                } else {
                    None
                }
                .or_else(|| self.free.get(&s).map(|f| f.span))
                .unwrap_or(span);
                let other = if side == "left" { rhs.span } else { lhs.span };
                return Err(err(
                    ErrorKind::Shape,
                    use_span,
                    format!("index `{name_text}` is free on the {side} side of the claim only"),
                )
                .with_primary_text(format!("free on the {side} side"))
                .with_label(
                    other,
                    "no free `".to_string() + &name_text + "` on this side",
                )
                .with_hint({
                    // The class index of the example must differ from the free one.
                    let class = if name_text == "y" { "c" } else { "y" };
                    format!(
                        "both sides of a claim must have the same free indices; a forgotten \
                         term, such as `- delta({name_text}, {class})` in a cross-entropy \
                         gradient, leaves an index on one side only. To test one value of \
                         `{name_text}`, write the value in its place"
                    )
                }));
            }
        }
        self.finish_free_indices()?;
        self.commit_equalities();
        let line = self.session.sources.line_col(span.source, span.start).line;
        self.session.claims.push(Claim {
            name: name.map(|n| n.name.clone()),
            lhs: l,
            rhs: r,
            span,
            line,
        });
        Ok(Statement::Claim(self.session.claims.len() - 1))
    }

    // ----- names --------------------------------------------------------------------

    fn binder(&self, name: &str) -> Option<usize> {
        self.binders.iter().rposition(|b| b.name == name)
    }

    fn def_param(&self, name: &str) -> Option<usize> {
        self.def
            .as_ref()?
            .params
            .iter()
            .position(|p| p.ident.name == name)
    }

    fn def_index(&self, name: &str) -> Option<usize> {
        self.def
            .as_ref()?
            .indices
            .iter()
            .position(|p| p.0.name == name)
    }

    fn is_defining(&self, name: &str) -> bool {
        self.def.as_ref().is_some_and(|d| d.name == name)
    }

    fn recursion_error(&self, ident: &Ident) -> Error {
        err(
            ErrorKind::Recursion,
            ident.span,
            format!("definition `{}` calls itself", ident.name),
        )
        .with_hint("gauge definitions cannot be recursive; write the body out in full")
    }

    /// Fixes or checks the kind of a global name.
    fn use_global(&mut self, ident: &Ident, kind: Kind) -> Result<Symbol> {
        let s = self.session.pool.symbol(&ident.name);
        match self.session.scope.kinds.get(&s) {
            None => {
                self.session.scope.kinds.insert(s, (kind, ident.span));
                Ok(s)
            }
            Some(&(k, _)) if k == kind => Ok(s),
            Some(&(k, first)) => Err(err(
                ErrorKind::Shape,
                ident.span,
                format!(
                    "`{}` is used as {}, but it was first used as {}",
                    ident.name,
                    kind.describe(),
                    k.describe()
                ),
            )
            .with_primary_text(format!("used as {} here", kind.describe()))
            .with_label(first, format!("first used as {} here", k.describe()))
            .with_hint("a name means one thing throughout; rename one of the uses")),
        }
    }

    /// Fixes or checks the kind of a parameter of the definition being lowered.
    fn use_param(&mut self, k: usize, kind: ParamKind, span: Span) -> Result<Symbol> {
        let Some(ctx) = self.def.as_mut() else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "internal: no definition",
            ));
        };
        let slot = &mut ctx.params[k];
        match slot.kind {
            None => {
                slot.kind = Some((kind, span));
                Ok(slot.symbol)
            }
            Some((have, _)) if have == kind => Ok(slot.symbol),
            Some((have, first)) => Err(err(
                ErrorKind::Shape,
                span,
                format!(
                    "parameter `{}` is used as {}, but it was first used as {}",
                    slot.ident.name,
                    param_kind_describe(kind),
                    param_kind_describe(have)
                ),
            )
            .with_primary_text(format!("used as {} here", param_kind_describe(kind)))
            .with_label(
                first,
                format!("first used as {} here", param_kind_describe(have)),
            )),
        }
    }

    fn not_a_value(&self, ident: &Ident, what: &str, hint: String) -> Error {
        err(
            ErrorKind::Name,
            ident.span,
            format!("`{}` is {what}, not a value", ident.name),
        )
        .with_hint(hint)
    }

    fn is_function_name(&self, name: &str) -> bool {
        Func::from_name(name).is_some()
            || matches!(
                name,
                "sum"
                    | "delta"
                    | "diff"
                    | "grad"
                    | "hessian"
                    | "len"
                    | "log"
                    | "log2"
                    | "log10"
                    | "sqrt"
            )
    }

    // ----- values -------------------------------------------------------------------

    /// Lowers an expression in value position.
    fn value(&mut self, e: &Expr) -> Result<ExprId> {
        match &e.kind {
            ExprKind::Number(r) => Ok(self.pool().num(r.clone())),
            ExprKind::Name(ident) => self.name_value(ident),
            ExprKind::Element { name, indices } => self.element(name, indices, e.span),
            ExprKind::Call {
                name,
                args,
                indices,
            } => self.call(name, args, indices.as_deref(), e.span),
            ExprKind::Neg(inner) => {
                let v = self.value(inner)?;
                Ok(self.pool().neg(v))
            }
            ExprKind::Chain { first, rest } => {
                let additive = matches!(rest.first(), Some((ChainOp::Add | ChainOp::Sub, _)));
                let mut parts = Vec::with_capacity(rest.len() + 2);
                // In a product, a leading minus is one more factor, -1: `-(1 + x)/x` is
                // (-1)*(1 + x)/x, built in one step, rather than the distributed sum
                // -1 - x divided by x. This keeps the printed form of such a product
                // reading back as the same node.
                let mut first = first.as_ref();
                if !additive {
                    while let ExprKind::Neg(inner) = &first.kind {
                        parts.push(self.pool().int(-1));
                        first = inner;
                    }
                }
                let f = self.value(first)?;
                parts.push(f);
                for (op, x) in rest {
                    let v = self.value(x)?;
                    let v = match op {
                        ChainOp::Add | ChainOp::Mul => v,
                        ChainOp::Sub => self.pool().neg(v),
                        ChainOp::Div => self.pool().recip(v),
                    };
                    parts.push(v);
                }
                Ok(if additive {
                    self.pool().add(parts)
                } else {
                    self.pool().mul(parts)
                })
            }
            ExprKind::Pow(b, x) => {
                let b = self.value(b)?;
                let x = self.value(x)?;
                Ok(self.pool().pow(b, x))
            }
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
            let s = self.use_param(k, ParamKind::Scalar, ident.span)?;
            return Ok(self.pool().sym(s));
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

    fn element(&mut self, name: &Ident, indices: &[Expr], span: Span) -> Result<ExprId> {
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
            let s = self.use_param(k, ParamKind::Tensor(rank), name.span)?;
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
    fn index(&mut self, e: &Expr, axis: Option<ExprId>) -> Result<ExprId> {
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
                        "an index must be a name or a non-negative integer",
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
            _ => Err(err(
                ErrorKind::Shape,
                e.span,
                "an index must be a name or a non-negative integer",
            )
            .with_hint("index arithmetic such as `z[i+1]` is not supported")),
        }
    }

    fn index_name(&mut self, ident: &Ident, axis: Option<ExprId>) -> Result<ExprId> {
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
            let s = self.use_param(k, ParamKind::Index, ident.span)?;
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
    fn tensor_arg(&mut self, e: &Expr, rank: u32) -> Result<ExprId> {
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
                    let s = self.use_param(k, ParamKind::Tensor(rank), ident.span)?;
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
            } => {
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
            _ => Err(wrong(e)),
        }
    }

    // ----- calls --------------------------------------------------------------------

    fn call(
        &mut self,
        name: &Ident,
        args: &[Expr],
        indices: Option<&[Expr]>,
        span: Span,
    ) -> Result<ExprId> {
        let n = name.name.as_str();
        // Definitions shadow builtin functions (a warning said so when they were made).
        if self.is_defining(n) {
            return Err(self.recursion_error(name));
        }
        if let Some(&def) = self.session.scope.defs.get(n) {
            let builtin = self.session.pool.definition(def).builtin;
            if builtin.is_none() {
                let lowered = self.call_args(def, name, args)?;
                return self.finish_call(def, name, lowered, indices, span);
            }
        }
        let no_indices = |what: &str| -> Result<()> {
            if indices.is_some() {
                return Err(err(
                    ErrorKind::Shape,
                    span,
                    format!("`{n}` {what} and takes no indices"),
                ));
            }
            Ok(())
        };
        match n {
            "sum" => {
                no_indices("gives a scalar")?;
                self.sum(name, args)
            }
            "delta" => {
                no_indices("gives a scalar")?;
                self.arity(name, args, 2, 2)?;
                let a = self.index(&args[0], None)?;
                let b = self.index(&args[1], None)?;
                Ok(self.pool().delta(a, b))
            }
            "diff" => {
                no_indices("gives a scalar")?;
                self.diff(name, args)
            }
            "grad" | "hessian" => self.grad(name, args, indices, span),
            "len" => {
                no_indices("gives a scalar")?;
                self.len(name, args)
            }
            "sqrt" => {
                no_indices("gives a scalar")?;
                self.arity(name, args, 1, 1)?;
                let a = self.value(&args[0])?;
                Ok(self.pool().sqrt(a))
            }
            "log" | "log2" | "log10" => {
                no_indices("gives a scalar")?;
                let (x, base) = if n == "log" {
                    self.arity(name, args, 1, 2)?;
                    if args.len() == 1 {
                        (self.value(&args[0])?, None)
                    } else {
                        (self.value(&args[1])?, Some(self.value(&args[0])?))
                    }
                } else {
                    self.arity(name, args, 1, 1)?;
                    let b = self.pool().int(if n == "log2" { 2 } else { 10 });
                    (self.value(&args[0])?, Some(b))
                };
                let lx = self.pool().func(Func::Ln, x);
                Ok(match base {
                    None => lx,
                    Some(b) => {
                        let lb = self.pool().func(Func::Ln, b);
                        self.pool().div(lx, lb)
                    }
                })
            }
            _ => {
                if let Some(f) = Func::from_name(n) {
                    no_indices("gives a scalar")?;
                    self.arity(name, args, 1, 1)?;
                    let a = self.value(&args[0])?;
                    return Ok(self.pool().func(f, a));
                }
                Err(self.unknown_function(name))
            }
        }
    }

    fn unknown_function(&self, name: &Ident) -> Error {
        let mut candidates: Vec<String> = Func::ALL.iter().map(|f| f.name().to_string()).collect();
        candidates.extend(
            [
                "sum", "delta", "diff", "grad", "hessian", "len", "log", "log2", "log10", "sqrt",
            ]
            .iter()
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

    fn arity(&self, name: &Ident, args: &[Expr], min: usize, max: usize) -> Result<()> {
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

    fn call_args(&mut self, def: DefId, name: &Ident, args: &[Expr]) -> Result<Vec<ExprId>> {
        let d = self.session.pool.definition(def);
        let kinds: Vec<ParamKind> = d.params.iter().map(|p| p.kind).collect();
        let ranges: Vec<Option<ExprId>> = d.params.iter().map(|p| p.range).collect();
        if kinds.len() != args.len() {
            let usage = usage_text(&name.name, kinds.len(), d.indices.len());
            return Err(err(
                ErrorKind::Arity,
                name.span,
                format!(
                    "`{}` takes {} argument{}, but {} were given",
                    name.name,
                    kinds.len(),
                    if kinds.len() == 1 { "" } else { "s" },
                    args.len()
                ),
            )
            .with_hint(format!("use it as `{usage}`")));
        }
        // Lower tensor arguments first so that index arguments can be linked to their axes.
        let mut out = vec![None; args.len()];
        for (k, a) in args.iter().enumerate() {
            match kinds[k] {
                ParamKind::Tensor(r) => out[k] = Some(self.tensor_arg(a, r)?),
                ParamKind::Scalar => out[k] = Some(self.value(a)?),
                ParamKind::Index => {}
            }
        }
        let partial: Vec<ExprId> = out.iter().map(|o| o.unwrap_or(ExprId(0))).collect();
        for (k, a) in args.iter().enumerate() {
            if kinds[k] == ParamKind::Index {
                let axis = match ranges[k] {
                    Some(r) => Some(self.instantiate_len(def, &partial, r)?),
                    None => None,
                };
                out[k] = Some(self.index(a, axis)?);
            }
        }
        Ok(out.into_iter().map(|o| o.unwrap_or(ExprId(0))).collect())
    }

    /// Finishes a call once its arguments are lowered: checks and links its indices.
    fn finish_call(
        &mut self,
        def: DefId,
        name: &Ident,
        args: Vec<ExprId>,
        indices: Option<&[Expr]>,
        span: Span,
    ) -> Result<ExprId> {
        let d = self.session.pool.definition(def);
        let want = d.indices.len();
        let ranges = d.index_ranges.clone();
        let usage = usage_text(&name.name, d.params.len(), want);
        let given = indices.map_or(0, |i| i.len());
        if want == 0 && indices.is_some() {
            return Err(err(
                ErrorKind::Shape,
                span,
                format!("`{}` gives a scalar and takes no indices", name.name),
            )
            .with_hint(format!("use it as `{usage}`")));
        }
        if want != given {
            let what = if given == 0 {
                format!(
                    "`{}` gives {}; select an element",
                    name.name,
                    Kind::Tensor(want as u32).describe()
                )
            } else {
                format!(
                    "`{}` takes {want} indices, but {given} were given",
                    name.name
                )
            };
            return Err(err(ErrorKind::Shape, span, what).with_hint(format!("use it as `{usage}`")));
        }
        let mut idx = Vec::with_capacity(want);
        for (k, e) in indices.unwrap_or(&[]).iter().enumerate() {
            let axis = self.instantiate_len(def, &args, ranges[k])?;
            idx.push(self.index(e, Some(axis))?);
        }
        self.instantiate_equalities(def, &args, span);
        Ok(self.pool().call(def, args, idx))
    }

    fn instantiate_equalities(&mut self, def: DefId, args: &[ExprId], span: Span) {
        let eqs = self.session.pool.definition(def).equal_lengths.clone();
        for (a, b) in eqs {
            if let (Ok(a), Ok(b)) = (
                self.instantiate_len(def, args, a),
                self.instantiate_len(def, args, b),
            ) && a != b
            {
                self.equalities.push((a, b, span));
            }
        }
    }

    fn instantiate_len(&mut self, def: DefId, args: &[ExprId], len: ExprId) -> Result<ExprId> {
        Ok(self.pool().instantiate_len(def, args, len))
    }

    fn sum(&mut self, name: &Ident, args: &[Expr]) -> Result<ExprId> {
        if args.len() < 2 {
            return Err(err(
                ErrorKind::Arity,
                name.span,
                "`sum` takes an index and a body",
            )
            .with_hint("write `sum(j, exp(z[j]))`, or `sum(i, k, W[i, k])` for several indices"));
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
            let symbol = self.session.pool.symbol(&ident.name);
            self.binders.push(Binder {
                name: ident.name.clone(),
                symbol,
                span: ident.span,
                axes: Vec::new(),
            });
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
        }
        Ok(body)
    }

    fn diff(&mut self, name: &Ident, args: &[Expr]) -> Result<ExprId> {
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
    fn variable(&mut self, e: &Expr) -> Result<ExprId> {
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
                    let s = self.use_param(k, ParamKind::Scalar, ident.span)?;
                    return Ok(self.pool().sym(s));
                }
                if matches!(n, "pi" | "π" | "e")
                    || self.session.scope.defs.contains_key(n)
                    || self.is_function_name(n)
                {
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
                if self.session.scope.defs.contains_key(n) || self.is_function_name(n) {
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

    fn grad(
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

    fn len(&mut self, name: &Ident, args: &[Expr]) -> Result<ExprId> {
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
        let rank = if let Some(k) = self.def_param(n) {
            match self.def.as_ref().and_then(|d| d.params[k].kind) {
                Some((ParamKind::Tensor(r), _)) => {
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

/// How a definition is used: `f(a, b)`, `f(a)[i]`, `f[i, k]`.
fn usage_text(name: &str, params: usize, indices: usize) -> String {
    const P: [&str; 6] = ["a", "b", "c", "d", "f", "g"];
    const I: [&str; 4] = ["i", "k", "l", "m"];
    let mut s = name.to_string();
    if params > 0 {
        let ps: Vec<&str> = (0..params).map(|k| P[k % P.len()]).collect();
        s.push_str(&format!("({})", ps.join(", ")));
    }
    if indices > 0 {
        let is: Vec<&str> = (0..indices).map(|k| I[k % I.len()]).collect();
        s.push_str(&format!("[{}]", is.join(", ")));
    }
    s
}

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
