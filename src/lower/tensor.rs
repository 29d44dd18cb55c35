//! Whole-tensor expressions, as NumPy writes them: elementwise arithmetic with scalars
//! broadcast (`z / T`, `x - mu`, `exp(z)`), the matrix product `A @ B`, rows `Z[n, :]`,
//! transposes `X.T`, and definitions applied to tensors, row by row over leading axes
//! (`softmax(Q @ K.T / sqrt(d))`).
//!
//! A whole-tensor expression lowers to a [`Whole`]: its element at fresh axis indices, the
//! length of each axis, and its written [`Form`]. Where it is passed whole to a
//! definition, or indexed, it becomes an anonymous definition whose calls print in that
//! form (see [`crate::expr::form`]); an element of it is a call with indices, and the
//! rest of gauge (derivatives, evaluation, proofs) treats it as it treats a named
//! intermediate.

use crate::diag::error::{ErrorKind, Result};
use crate::diag::source::Span;
use crate::expr::definition::{Definition, Param};
use crate::expr::form::{Form, FormOp};
use crate::expr::kind::Kind;
use crate::expr::node::{ExprId, Node, Symbol};
use crate::expr::subst::Subst;
use crate::lower::lowerer::{Lowerer, err};
use crate::syntax::tree::{ChainOp, Expr, ExprKind, Ident};

/// A whole tensor while it is lowered: its element at `axes`, one fresh index symbol
/// per axis (in NumPy order), with the axes' lengths and the written form.
#[derive(Clone, Debug)]
pub(super) struct Whole {
    pub(super) axes: Vec<Symbol>,
    pub(super) lens: Vec<ExprId>,
    pub(super) body: ExprId,
    pub(super) form: Form,
    pub(super) span: Span,
}

impl Whole {
    pub(super) fn rank(&self) -> usize {
        self.axes.len()
    }
}

/// A lowered operand of whole-tensor arithmetic: a scalar, or a whole tensor.
#[derive(Clone, Debug)]
pub(super) enum Operand {
    Scalar(ExprId),
    Whole(Whole),
}

impl Operand {
    pub(super) fn rank(&self) -> usize {
        match self {
            Operand::Scalar(_) => 0,
            Operand::Whole(w) => w.rank(),
        }
    }

    pub(super) fn form(&self) -> Form {
        match self {
            Operand::Scalar(x) => Form::Scalar(*x),
            Operand::Whole(w) => w.form.clone(),
        }
    }
}

/// The names given to indices that the user did not name, in order.
const INDEX_NAMES: [&str; 8] = ["i", "k", "l", "m", "p", "q", "r", "s"];

/// The words for a rank, in messages.
pub(super) fn shape_words(rank: usize) -> String {
    match rank {
        0 => "a scalar".into(),
        r => Kind::Tensor(r as u32).describe(),
    }
}

impl Lowerer<'_> {
    /// Lowers an expression that may be a whole tensor.
    pub(super) fn operand(&mut self, e: &Expr) -> Result<Operand> {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.operand(e));
        }
        let lowered = self.operand_unrecorded(e)?;
        // A fraction of two integer literals (`1/20000`) is recorded as written, so
        // that it prints as a fraction however its value reads best otherwise.
        if let (ExprKind::Chain { .. }, Operand::Scalar(x)) = (&e.kind, &lowered)
            && let Some(r) = self.session.pool.as_num(*x).cloned()
        {
            self.record_written(&r, e.span);
        }
        Ok(lowered)
    }

    fn operand_unrecorded(&mut self, e: &Expr) -> Result<Operand> {
        match &e.kind {
            ExprKind::Name(ident) => match self.whole_name(ident, e.span)? {
                Some(w) => Ok(Operand::Whole(w)),
                None => self.scalar_value(e).map(Operand::Scalar),
            },
            ExprKind::Element { name, indices } if indices.iter().any(is_slice) => {
                let base = match self.whole_name(name, name.span)? {
                    Some(w) => w,
                    None => {
                        // The slice fixes the rank of a name met for the first time.
                        let rank = indices.len() as u32;
                        let s = self.tensor_symbol(name, rank)?;
                        self.whole_of_tensor(s, rank, name.span)
                    }
                };
                self.select(base, indices, e.span)
            }
            ExprKind::Index { base, indices } => {
                let base = match self.operand(base)? {
                    Operand::Whole(w) => w,
                    Operand::Scalar(_) => {
                        return Err(err(
                            ErrorKind::Shape,
                            base.span,
                            "a scalar has no elements to select",
                        )
                        .with_hint("indices select from a tensor, as in `(W @ x)[i]`"));
                    }
                };
                self.select(base, indices, e.span)
            }
            ExprKind::Transpose(base) => match self.operand(base)? {
                Operand::Whole(w) => Ok(Operand::Whole(transpose(w, e.span))),
                Operand::Scalar(_) => Err(err(
                    ErrorKind::Shape,
                    base.span,
                    "`.T` transposes a tensor, and this is a scalar",
                )
                .with_hint(self.scalar_name_hint())),
            },
            ExprKind::Slice => Err(err(
                ErrorKind::Syntax,
                e.span,
                "`:` selects a whole axis, inside brackets",
            )
            .with_hint("write `Z[n, :]` for the row n of Z")),
            ExprKind::Neg(inner) => match self.operand(inner)? {
                Operand::Scalar(x) => Ok(Operand::Scalar(self.pool().neg(x))),
                Operand::Whole(w) => {
                    let body = self.pool().neg(w.body);
                    Ok(Operand::Whole(Whole {
                        body,
                        form: Form::Neg(Box::new(w.form)),
                        span: e.span,
                        ..w
                    }))
                }
            },
            ExprKind::Chain { first, rest } => self.chain(e, first, rest),
            ExprKind::Pow(b, x) => {
                let b = self.operand(b)?;
                let x = self.operand(x)?;
                match (b, x) {
                    (Operand::Scalar(b), Operand::Scalar(x)) => {
                        Ok(Operand::Scalar(self.pool().pow(b, x)))
                    }
                    (b, x) => {
                        let form = Form::Pow(Box::new(b.form()), Box::new(x.form()));
                        self.elementwise(&[b, x], form, e.span, |pool, v| pool.pow(v[0], v[1]))
                    }
                }
            }
            ExprKind::Call {
                name,
                args,
                indices,
            } => self.call_operand(name, args, indices.as_deref(), e),
            _ => self.scalar_value(e).map(Operand::Scalar),
        }
    }

    /// The tensor a name stands for, if the name is known to be one: a tensor
    /// parameter, a global tensor, or an indexed definition without parameters.
    pub(super) fn whole_name(&mut self, ident: &Ident, span: Span) -> Result<Option<Whole>> {
        let n = ident.name.as_str();
        if self.binder(n).is_some() || self.def_index(n).is_some() || self.def_length(n).is_some() {
            return Ok(None);
        }
        if let Some(k) = self.def_param(n) {
            let (kind, symbol) = {
                let ctx = self.def.as_ref().expect("def_param implies a definition");
                (ctx.params[k].kind, ctx.params[k].symbol)
            };
            let hinted = self.rank_hints.get(n).copied().filter(|&r| r > 0);
            return Ok(match (kind, hinted) {
                (Some((Kind::Tensor(r), _)), _) | (None, Some(r)) => {
                    self.use_param(k, Kind::Tensor(r), ident.span)?;
                    Some(self.whole_of_tensor(symbol, r, span))
                }
                _ => None,
            });
        }
        if self.is_defining(n) {
            return Ok(None);
        }
        if let Some(&def) = self.session.scope.defs.get(n) {
            let d = self.session.pool.definition(def);
            if !d.params.is_empty() || d.indices.is_empty() {
                return Ok(None);
            }
            let ranges = d.index_ranges.clone();
            let axes = self.fresh_axes(ranges.len());
            let idx: Vec<ExprId> = axes.iter().map(|&a| self.pool().index(a)).collect();
            self.instantiate_equalities(def, &[], span);
            let body = self.pool().call(def, Vec::new(), idx);
            let whole = self.pool().call(def, Vec::new(), Vec::new());
            return Ok(Some(Whole {
                axes,
                lens: ranges,
                body,
                form: Form::Whole(whole),
                span,
            }));
        }
        if matches!(n, "pi" | "π" | "e") || self.is_function_name(n) {
            return Ok(None);
        }
        let s = self.session.pool.symbol(n);
        match self.session.scope.kinds.get(&s) {
            Some(&(Kind::Tensor(r), _)) => Ok(Some(self.whole_of_tensor(s, r, span))),
            Some(_) => Ok(None),
            None => match self.rank_hints.get(n).copied().filter(|&r| r > 0) {
                Some(r) => {
                    let s = self.use_global(ident, Kind::Tensor(r))?;
                    Ok(Some(self.whole_of_tensor(s, r, span)))
                }
                None => Ok(None),
            },
        }
    }

    /// The symbol of a tensor name used with `rank` axes (a parameter or a global).
    fn tensor_symbol(&mut self, ident: &Ident, rank: u32) -> Result<Symbol> {
        if let Some(k) = self.def_param(&ident.name) {
            return self.use_param(k, Kind::Tensor(rank), ident.span);
        }
        if self.session.scope.defs.contains_key(&ident.name)
            || self.is_function_name(&ident.name)
            || matches!(ident.name.as_str(), "pi" | "π" | "e")
        {
            return Err(err(
                ErrorKind::Shape,
                ident.span,
                format!("`{}` is not a tensor", ident.name),
            ));
        }
        self.use_global(ident, Kind::Tensor(rank))
    }

    /// The whole tensor named `s`, with `rank` axes.
    fn whole_of_tensor(&mut self, s: Symbol, rank: u32, span: Span) -> Whole {
        let axes = self.fresh_axes(rank as usize);
        let idx: Vec<ExprId> = axes.iter().map(|&a| self.pool().index(a)).collect();
        let lens = (0..rank).map(|a| self.pool().len_of(s, a)).collect();
        let body = self.pool().elem(s, idx);
        let whole = self.pool().tensor(s);
        Whole {
            axes,
            lens,
            body,
            form: Form::Whole(whole),
            span,
        }
    }

    pub(super) fn fresh_axes(&mut self, n: usize) -> Vec<Symbol> {
        (0..n)
            .map(|_| self.session.pool.fresh_index_symbol())
            .collect()
    }

    /// The element of a whole tensor at the given index expressions.
    pub(super) fn element_at(&mut self, w: &Whole, idx: &[ExprId]) -> ExprId {
        let mut s = Subst::default();
        for (&a, &i) in w.axes.iter().zip(idx) {
            s.indices.insert(a, i);
        }
        self.pool().substitute(w.body, &s)
    }

    /// An element of a whole tensor as it should read: an element of a tensor or of a
    /// named definition's call (`Z[n, j]`, `softmax(Q[i, :] @ K.T)[j]`) as it is, and
    /// an element of arithmetic on tensors as a call of the anonymous definition, so
    /// that it prints as written: `(W @ x + b)[i]`.
    pub(super) fn element_of(&mut self, w: &Whole, idx: Vec<ExprId>) -> Result<ExprId> {
        let e = self.element_at(w, &idx);
        let named = match self.session.pool.node(e) {
            Node::Elem(..) => true,
            Node::Call { def, .. } => self.session.pool.definition(*def).form.is_none(),
            _ => false,
        };
        if named {
            return Ok(e);
        }
        self.anonymous(w, idx)
    }

    /// `base[...]` with `:` for whole axes: a smaller tensor, or an element.
    pub(super) fn select(&mut self, base: Whole, indices: &[Expr], span: Span) -> Result<Operand> {
        if indices.len() != base.rank() {
            return Err(err(
                ErrorKind::Shape,
                span,
                format!(
                    "{} indices given, but this is {}",
                    indices.len(),
                    shape_words(base.rank())
                ),
            )
            .with_label(base.span, format!("{} here", shape_words(base.rank())))
            .with_hint("give one index or `:` for each axis"));
        }
        let mut picked = Vec::with_capacity(indices.len());
        let mut keep = Vec::new();
        for (p, e) in indices.iter().enumerate() {
            if is_slice(e) {
                picked.push(None);
                keep.push(p);
            } else {
                picked.push(Some(self.index(e, Some(base.lens[p]))?));
            }
        }
        if keep.is_empty() {
            let idx: Vec<ExprId> = picked.iter().map(|p| p.expect("no slices")).collect();
            return self.element_of(&base, idx).map(Operand::Scalar);
        }
        let mut idx = Vec::with_capacity(indices.len());
        for (p, choice) in picked.iter().enumerate() {
            idx.push(match choice {
                Some(i) => *i,
                None => self.pool().index(base.axes[p]),
            });
        }
        let body = self.element_at(&base, &idx);
        Ok(Operand::Whole(Whole {
            axes: keep.iter().map(|&p| base.axes[p]).collect(),
            lens: keep.iter().map(|&p| base.lens[p]).collect(),
            body,
            form: Form::Select(Box::new(base.form), picked),
            span,
        }))
    }

    /// A chain `a + b - c` or `a * b / c @ d` with whole tensors among its operands.
    fn chain(&mut self, e: &Expr, first: &Expr, rest: &[(ChainOp, Expr)]) -> Result<Operand> {
        let additive = matches!(rest.first(), Some((ChainOp::Add | ChainOp::Sub, _)));
        let mut ops = Vec::with_capacity(rest.len() + 1);
        // In a product, a leading minus is one more factor, -1: `-(1 + x)/x` is
        // (-1)*(1 + x)/x, built in one step, rather than the distributed sum -1 - x
        // divided by x. This keeps the printed form of such a product reading back as
        // the same node.
        let mut head = first;
        let mut minus = 0;
        if !additive {
            while let ExprKind::Neg(inner) = &head.kind {
                minus += 1;
                head = inner;
            }
        }
        let mut lead = self.operand(head)?;
        if let Operand::Whole(w) = &mut lead {
            for _ in 0..minus {
                w.body = self.session.pool.neg(w.body);
                w.form = Form::Neg(Box::new(w.form.clone()));
            }
            minus = 0;
        }
        ops.push((None, lead, first.span));
        for (op, x) in rest {
            ops.push((Some(*op), self.operand(x)?, x.span));
        }
        if let Some((_, _, span)) = ops.iter().find(|(op, _, _)| *op == Some(ChainOp::MatMul))
            && ops.iter().all(|(_, o, _)| matches!(o, Operand::Scalar(_)))
        {
            return Err(err(
                ErrorKind::Shape,
                *span,
                "`@` multiplies tensors, but these operands are scalars",
            )
            .with_hint(
                "a name first used whole has no known shape: use it with indices in the \
                 same statement, as in `W[i, k]`",
            ));
        }
        if ops.iter().all(|(_, o, _)| matches!(o, Operand::Scalar(_))) {
            return Ok(Operand::Scalar(self.scalar_chain(additive, minus, &ops)));
        }
        // The leading signs of a product apply to its scalar head.
        for _ in 0..minus {
            let head = ops[0].1.clone();
            ops[0].1 = self.negate(head);
        }
        let head_form = ops[0].1.form();
        let form = Form::Chain(
            Box::new(head_form),
            ops[1..]
                .iter()
                .map(|(op, o, _)| (form_op(op.expect("later operands have one")), o.form()))
                .collect(),
        );
        if additive {
            let mut operands = Vec::with_capacity(ops.len());
            for (op, o, _) in ops {
                operands.push(match op {
                    Some(ChainOp::Sub) => self.negate(o),
                    _ => o,
                });
            }
            return self.elementwise(&operands, form, e.span, |pool, v| pool.add(v.to_vec()));
        }
        // Products associate to the left, as in NumPy: `a * B @ C` is `(a * B) @ C`.
        let mut iter = ops.into_iter();
        let (_, mut acc, mut acc_span) = iter.next().expect("a chain has a first operand");
        for (op, o, span) in iter {
            let whole_span = acc_span.to(span);
            acc = match op {
                Some(ChainOp::MatMul) => self.matmul(acc, acc_span, o, span, whole_span)?,
                Some(ChainOp::Div) => {
                    let r = self.reciprocal(o);
                    self.elementwise(&[acc, r], Form::Scalar(ExprId(0)), whole_span, |pool, v| {
                        pool.mul(v.to_vec())
                    })?
                }
                _ => {
                    self.elementwise(&[acc, o], Form::Scalar(ExprId(0)), whole_span, |pool, v| {
                        pool.mul(v.to_vec())
                    })?
                }
            };
            acc_span = whole_span;
        }
        Ok(match acc {
            Operand::Whole(w) => Operand::Whole(Whole {
                form,
                span: e.span,
                ..w
            }),
            scalar => scalar,
        })
    }

    /// The scalar chain as it always lowered, with `minus` leading factors of -1.
    fn scalar_chain(
        &mut self,
        additive: bool,
        minus: usize,
        ops: &[(Option<ChainOp>, Operand, Span)],
    ) -> ExprId {
        let mut parts = Vec::with_capacity(ops.len() + minus);
        for _ in 0..minus {
            parts.push(self.pool().int(-1));
        }
        for (op, o, _) in ops {
            let v = match *o {
                Operand::Scalar(v) => v,
                Operand::Whole(ref w) => w.body,
            };
            parts.push(match op {
                Some(ChainOp::Sub) => self.pool().neg(v),
                Some(ChainOp::Div) => self.pool().recip(v),
                _ => v,
            });
        }
        if additive {
            self.pool().add(parts)
        } else {
            self.pool().mul(parts)
        }
    }

    fn negate(&mut self, o: Operand) -> Operand {
        self.map_operand(o, |pool, x| pool.neg(x))
    }

    fn reciprocal(&mut self, o: Operand) -> Operand {
        self.map_operand(o, |pool, x| pool.recip(x))
    }

    /// A scalar function applied to a scalar, or to each element of a tensor (its form
    /// unchanged: the caller writes the operator into the chain's form).
    fn map_operand(
        &mut self,
        o: Operand,
        f: impl FnOnce(&mut crate::expr::pool::Pool, ExprId) -> ExprId,
    ) -> Operand {
        match o {
            Operand::Scalar(x) => Operand::Scalar(f(self.pool(), x)),
            Operand::Whole(w) => {
                let body = f(self.pool(), w.body);
                Operand::Whole(Whole { body, ..w })
            }
        }
    }

    /// Combines operands elementwise, broadcasting as NumPy does: the result has the
    /// largest rank, and an operand of rank r lines up with the last r axes. Axes that
    /// line up must have equal lengths; the equality is recorded, as for an index used
    /// on two axes.
    pub(super) fn elementwise(
        &mut self,
        operands: &[Operand],
        form: Form,
        span: Span,
        combine: impl FnOnce(&mut crate::expr::pool::Pool, &[ExprId]) -> ExprId,
    ) -> Result<Operand> {
        let rank = operands.iter().map(Operand::rank).max().unwrap_or(0);
        let Some(lead) = operands.iter().find_map(|o| match o {
            Operand::Whole(w) if w.rank() == rank => Some(w.clone()),
            _ => None,
        }) else {
            let xs: Vec<ExprId> = operands
                .iter()
                .map(|o| match o {
                    Operand::Scalar(x) => *x,
                    Operand::Whole(w) => w.body,
                })
                .collect();
            return Ok(Operand::Scalar(combine(self.pool(), &xs)));
        };
        let axes = self.fresh_axes(rank);
        let lens = lead.lens.clone();
        let mut values = Vec::with_capacity(operands.len());
        for o in operands {
            match o {
                Operand::Scalar(x) => values.push(*x),
                Operand::Whole(w) => {
                    let offset = rank - w.rank();
                    for (p, &len) in w.lens.iter().enumerate() {
                        if len != lens[offset + p] {
                            self.equalities.push((lens[offset + p], len, span));
                        }
                    }
                    let idx: Vec<ExprId> = axes[offset..]
                        .iter()
                        .map(|&a| self.session.pool.index(a))
                        .collect();
                    values.push(self.element_at(w, &idx));
                }
            }
        }
        let body = combine(self.pool(), &values);
        Ok(Operand::Whole(Whole {
            axes,
            lens,
            body,
            form,
            span,
        }))
    }

    /// `a @ b`, with NumPy's rules: vector @ vector is a scalar, matrix @ vector a
    /// vector, vector @ matrix a vector, matrix @ matrix a matrix, and leading axes of
    /// higher ranks broadcast as batches.
    fn matmul(
        &mut self,
        a: Operand,
        a_span: Span,
        b: Operand,
        b_span: Span,
        span: Span,
    ) -> Result<Operand> {
        let (a, b) = match (a, b) {
            (Operand::Whole(a), Operand::Whole(b)) => (a, b),
            (a, b) => {
                // Point at the scalar operand, and label the other with its shape.
                let (bad_span, other_span, other_rank) = if a.rank() == 0 {
                    (a_span, b_span, b.rank())
                } else {
                    (b_span, a_span, a.rank())
                };
                return Err(err(
                    ErrorKind::Shape,
                    bad_span,
                    "`@` multiplies tensors, and this is a scalar",
                )
                .with_label(other_span, shape_words(other_rank))
                .with_hint(
                    "use `*` to scale by a scalar; a name first used whole has no known \
                     shape: use it with indices in the same statement (`W[i, k]`)",
                ));
            }
        };
        let (ra, rb) = (a.rank(), b.rank());
        // The contracted axis: a's last, and b's second to last (its only, for a vector).
        let ka = ra - 1;
        let kb = if rb == 1 { 0 } else { rb - 2 };
        let (la, lb) = (a.lens[ka], b.lens[kb]);
        if la != lb {
            self.equalities.push((la, lb, span));
        }
        let batch_a = ra.saturating_sub(2);
        let batch_b = rb.saturating_sub(2);
        let batch = batch_a.max(batch_b);
        let mut lens = Vec::new();
        for p in 0..batch {
            // Batch axes line up from the right, as in broadcasting.
            let from_a = (p + batch_a).checked_sub(batch).map(|q| a.lens[q]);
            let from_b = (p + batch_b).checked_sub(batch).map(|q| b.lens[q]);
            match (from_a, from_b) {
                (Some(x), Some(y)) => {
                    if x != y {
                        self.equalities.push((x, y, span));
                    }
                    lens.push(x);
                }
                (Some(x), None) | (None, Some(x)) => lens.push(x),
                (None, None) => unreachable!("one of them has the axis"),
            }
        }
        if ra >= 2 {
            lens.push(a.lens[ra - 2]);
        }
        if rb >= 2 {
            lens.push(b.lens[rb - 1]);
        }
        let axes = self.fresh_axes(lens.len());
        let k = self.session.pool.fresh_index_symbol();
        let ki = self.pool().index(k);
        let mut ia = Vec::with_capacity(ra);
        let mut ib = Vec::with_capacity(rb);
        for p in 0..batch_a {
            ia.push(self.session.pool.index(axes[p + batch - batch_a]));
        }
        for p in 0..batch_b {
            ib.push(self.session.pool.index(axes[p + batch - batch_b]));
        }
        let mut next = batch;
        if ra >= 2 {
            ia.push(self.session.pool.index(axes[next]));
            next += 1;
        }
        ia.push(ki);
        ib.push(ki);
        if rb >= 2 {
            ib.push(self.session.pool.index(axes[next]));
        }
        let x = self.element_at(&a, &ia);
        let y = self.element_at(&b, &ib);
        let product = self.pool().mul(vec![x, y]);
        let body = self.pool().sum(k, la, product);
        let form = Form::Chain(Box::new(a.form), vec![(FormOp::MatMul, b.form)]);
        if lens.is_empty() {
            return Ok(Operand::Scalar(body));
        }
        Ok(Operand::Whole(Whole {
            axes,
            lens,
            body,
            form,
            span,
        }))
    }

    /// A tensor argument made from a whole tensor: the tensor itself when it is a
    /// name or a tensor-valued call, otherwise a call of an anonymous definition.
    pub(super) fn pass_whole(&mut self, w: &Whole) -> Result<ExprId> {
        let axis_ids: Vec<ExprId> = w.axes.iter().map(|&a| self.session.pool.index(a)).collect();
        match self.session.pool.node(w.body).clone() {
            Node::Elem(s, idx) if *idx == *axis_ids => return Ok(self.pool().tensor(s)),
            Node::Call { def, args, indices }
                if *indices == *axis_ids
                    && !args.iter().any(|&x| {
                        let free = self.session.pool.free_indices_ref(x);
                        w.axes.iter().any(|a| free.contains(a))
                    }) =>
            {
                return Ok(self.pool().call(def, args.to_vec(), Vec::new()));
            }
            _ => {}
        }
        self.anonymous(w, Vec::new())
    }

    /// A call of the anonymous definition that stands for `w`, with `indices` (none to
    /// pass it whole). Its parameters are what the body uses from around it: indices
    /// bound or free there, and the parameters of the definition being lowered.
    pub(super) fn anonymous(&mut self, w: &Whole, indices: Vec<ExprId>) -> Result<ExprId> {
        let pool = &mut self.session.pool;
        let mut captured: Vec<(Symbol, Kind)> = Vec::new();
        for s in pool.free_indices(w.body) {
            if !w.axes.contains(&s) {
                captured.push((s, Kind::Index));
            }
        }
        for leaf in w.form.leaves() {
            for s in pool.free_indices(leaf) {
                if !w.axes.contains(&s) && !captured.iter().any(|c| c.0 == s) {
                    captured.push((s, Kind::Index));
                }
            }
        }
        // The parameters of the definition being lowered that the body uses are
        // parameters of the anonymous definition too, passed on by the call, which keeps
        // them as arguments (`Pool::specialize`): calling the enclosing definition
        // substitutes into them, so a tensor parameter `Z` in `softmax(Z[n, :])` becomes
        // whatever the enclosing definition is called with.
        if let Some(ctx) = &self.def {
            // The result's lengths count too: `onehot(lab[0], len(X, 1))` uses `X` only
            // for the length of its axis.
            let mut used: Vec<Symbol> = pool.free_symbols(w.body).to_vec();
            for &part in w.form.leaves().iter().chain(&w.lens) {
                used.extend(pool.free_symbols(part).iter().copied());
            }
            for p in &ctx.params {
                if let Some((kind, _)) = p.kind
                    && kind != Kind::Index
                    && used.contains(&p.symbol)
                {
                    captured.push((p.symbol, kind));
                }
            }
        }
        let mut subst = Subst::default();
        let mut params = Vec::with_capacity(captured.len());
        let mut args = Vec::with_capacity(captured.len());
        for (k, &(s, kind)) in captured.iter().enumerate() {
            let p = pool.symbol(&format!("%p{k}"));
            match kind {
                Kind::Index => {
                    let new = pool.index(p);
                    subst.indices.insert(s, new);
                    args.push(pool.index(s));
                }
                Kind::Scalar => {
                    let new = pool.sym(p);
                    subst.scalars.insert(s, new);
                    args.push(pool.sym(s));
                }
                Kind::Tensor(_) => {
                    let new = pool.tensor(p);
                    subst.tensors.insert(s, new);
                    args.push(pool.tensor(s));
                }
            }
            params.push((p, kind, s));
        }
        let mut result = Vec::with_capacity(w.rank());
        for (k, &a) in w.axes.iter().enumerate() {
            let p = pool.symbol(&format!("%a{k}"));
            let new = pool.index(p);
            subst.indices.insert(a, new);
            result.push(p);
        }
        let body = pool.substitute(w.body, &subst);
        let mut out_params = Vec::with_capacity(params.len());
        for &(p, kind, original) in &params {
            let range = if kind == Kind::Index {
                let axis = pool.axis_of(original, w.body).or_else(|| {
                    w.form
                        .leaves()
                        .into_iter()
                        .find_map(|l| pool.axis_of(original, l))
                });
                axis.map(|a| pool.substitute(a, &subst))
            } else {
                None
            };
            out_params.push(Param {
                name: p,
                kind,
                range,
                lengths: Vec::new(),
            });
        }
        let ranges: Vec<ExprId> = w.lens.iter().map(|&l| pool.substitute(l, &subst)).collect();
        let form = w.form.map_leaves(&mut |leaf| pool.substitute(leaf, &subst));
        let name = pool.symbol("%t");
        let def = Definition {
            name,
            params: out_params,
            indices: result,
            index_ranges: ranges,
            equal_lengths: Vec::new(),
            labels: Vec::new(),
            body,
            builtin: None,
            span: w.span,
            form: Some(form),
            reduce: None,
        };
        let def = pool.add_anonymous(def);
        Ok(pool.call(def, args, indices))
    }
}

impl Lowerer<'_> {
    /// The element of a whole tensor at indices named `i`, `k`, `l`, ... (avoiding
    /// every name it uses), with each index's symbol and range: the body and indices of
    /// a definition whose body was written whole.
    pub(super) fn name_axes(&mut self, w: &Whole) -> (ExprId, Vec<(Symbol, ExprId)>) {
        let mut taken: Vec<Symbol> = self.session.pool.free_symbols(w.body).to_vec();
        for leaf in w.form.leaves() {
            taken.extend(self.session.pool.free_symbols(leaf).iter().copied());
        }
        let mut names = INDEX_NAMES
            .iter()
            .map(|s| s.to_string())
            .chain((0..).map(|k| format!("i{k}")));
        let mut out = Vec::with_capacity(w.rank());
        let mut idx = Vec::with_capacity(w.rank());
        for &len in &w.lens {
            let sym = loop {
                let n = names.next().expect("endless");
                let sym = self.session.pool.symbol(&n);
                if !taken.contains(&sym)
                    && self
                        .session
                        .scope
                        .kinds
                        .get(&sym)
                        .is_none_or(|k| k.0 == Kind::Index)
                {
                    taken.push(sym);
                    break sym;
                }
            };
            idx.push(self.session.pool.index(sym));
            out.push((sym, len));
        }
        let body = match self.element_of(w, idx.clone()) {
            Ok(x) => x,
            Err(_) => self.element_at(w, &idx),
        };
        (body, out)
    }

    /// The two sides of a claim as scalars: whole tensors of the same shape are
    /// compared element by element, at fresh free indices (`i`, `k`, ...), and a scalar
    /// side is compared with every element of a tensor side.
    pub(super) fn claim_sides(
        &mut self,
        l: Operand,
        r: Operand,
        lhs: &Expr,
        rhs: &Expr,
    ) -> Result<(ExprId, ExprId)> {
        let (lr, rr) = (l.rank(), r.rank());
        if lr == 0 && rr == 0 {
            let (Operand::Scalar(a), Operand::Scalar(b)) = (l, r) else {
                unreachable!("rank 0 is a scalar")
            };
            return Ok((a, b));
        }
        if lr != rr {
            return Err(err(
                ErrorKind::Shape,
                lhs.span,
                format!(
                    "the sides of the claim have different shapes: {} and {}",
                    shape_words(lr),
                    shape_words(rr)
                ),
            )
            .with_primary_text(shape_words(lr))
            .with_label(rhs.span, shape_words(rr))
            .with_hint(
                "compare tensors of the same shape, or select elements: `lhs[i] = rhs[i]`; \
                 a name used with indices anywhere in the statement is a tensor throughout it",
            ));
        }
        let shape = match (&l, &r) {
            (Operand::Whole(w), _) | (_, Operand::Whole(w)) => w.lens.clone(),
            _ => unreachable!("one side is a tensor"),
        };
        // Fresh free indices, named as people name them, avoiding every name in use.

        let mut idx = Vec::with_capacity(shape.len());
        let mut taken: Vec<Symbol> = Vec::new();
        for o in [&l, &r] {
            let ids: Vec<ExprId> = match o {
                Operand::Scalar(x) => vec![*x],
                Operand::Whole(w) => {
                    let mut v = vec![w.body];
                    v.extend(w.form.leaves());
                    v
                }
            };
            for id in ids {
                taken.extend(self.session.pool.free_symbols(id).iter().copied());
            }
        }
        let mut names = INDEX_NAMES
            .iter()
            .map(|s| s.to_string())
            .chain((0..).map(|k| format!("i{k}")));
        for &len in &shape {
            let name = loop {
                let n = names.next().expect("endless");
                let sym = self.session.pool.symbol(&n);
                let free_kind = self.session.scope.kinds.get(&sym).map(|k| k.0);
                if !taken.contains(&sym) && matches!(free_kind, None | Some(Kind::Index)) {
                    taken.push(sym);
                    break n;
                }
            };
            let ident = Ident {
                name,
                span: lhs.span,
            };
            idx.push(self.index_name(&ident, Some(len))?);
        }
        let side = |this: &mut Self, o: Operand| -> Result<ExprId> {
            match o {
                Operand::Scalar(x) => Ok(x),
                Operand::Whole(w) => {
                    for (p, &len) in w.lens.iter().enumerate() {
                        if len != shape[p] {
                            this.equalities.push((len, shape[p], w.span));
                        }
                    }
                    this.element_of(&w, idx.clone())
                }
            }
        };
        let a = side(self, l)?;
        let b = side(self, r)?;
        Ok((a, b))
    }
}

/// The transpose: NumPy's `.T` reverses the axes.
pub(super) fn transpose(w: Whole, span: Span) -> Whole {
    let mut axes = w.axes;
    axes.reverse();
    let mut lens = w.lens;
    lens.reverse();
    Whole {
        axes,
        lens,
        body: w.body,
        form: Form::Transpose(Box::new(w.form)),
        span,
    }
}

fn is_slice(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Slice)
}

fn form_op(op: ChainOp) -> FormOp {
    match op {
        ChainOp::Add => FormOp::Add,
        ChainOp::Sub => FormOp::Sub,
        ChainOp::Mul => FormOp::Mul,
        ChainOp::Div => FormOp::Div,
        ChainOp::MatMul => FormOp::MatMul,
    }
}
