//! Calls with whole tensors: builtin functions applied elementwise (`exp(z)`), the
//! transpose, and definitions applied to tensors, row by row over leading axes when a
//! tensor has more axes than the parameter takes (`softmax(Q @ K.T)` is a softmax of
//! each row).

use crate::diag::error::{ErrorKind, Result};
use crate::diag::source::Span;
use crate::expr::form::Form;
use crate::expr::kind::Kind;
use crate::expr::node::{DefId, ExprId, Func, Node};
use crate::expr::subst::Subst;
use crate::lower::lowerer::{Lowerer, err};
use crate::lower::tensor::{Operand, Whole, shape_words, transpose};
use crate::syntax::tree::{Expr, ExprKind, Ident};

impl Lowerer<'_> {
    /// A call in a position where it may be a whole tensor: a builtin function applied
    /// elementwise, a transpose, or a definition applied to tensors (row by row over
    /// leading axes when a tensor has more axes than the parameter takes).
    pub(super) fn call_operand(
        &mut self,
        name: &Ident,
        args: &[Expr],
        indices: Option<&[Expr]>,
        e: &Expr,
    ) -> Result<Operand> {
        if let Some(r) = self.reduction_call(name, args, indices.is_some(), e.span)? {
            return Ok(Operand::Scalar(r));
        }
        let n = name.name.as_str();
        let user_def = self
            .session
            .scope
            .defs
            .get(n)
            .copied()
            .filter(|&d| self.session.pool.definition(d).builtin.is_none())
            .filter(|_| !self.is_defining(n));
        if let Some(def) = user_def {
            return self.def_operand(def, name, args, indices, e);
        }
        let elementwise = Func::from_name(n).is_some()
            || matches!(n, "sqrt" | "log2" | "log10")
            || (n == "log" && args.len() == 1);
        if n == "transpose" {
            self.arity(name, args, 1, 1)?;
            let w = match self.operand(&args[0])? {
                Operand::Whole(w) => w,
                Operand::Scalar(_) => {
                    return Err(err(
                        ErrorKind::Shape,
                        args[0].span,
                        "`transpose` takes a tensor, and this is a scalar",
                    ));
                }
            };
            let t = Operand::Whole(transpose(w, e.span));
            return match indices {
                Some(idx) => match t {
                    Operand::Whole(w) => self.select(w, idx, e.span),
                    s => Ok(s),
                },
                None => Ok(t),
            };
        }
        if n == "onehot" {
            self.arity(name, args, 2, 2)?;
            let t = self.onehot(&args[0], &args[1], e.span)?;
            return match indices {
                Some(idx) => self.select(t, idx, e.span),
                None => Ok(Operand::Whole(t)),
            };
        }
        if elementwise && args.len() == 1 {
            let a = self.operand(&args[0])?;
            if let Operand::Whole(w) = a {
                let fname = builtin_name(n);
                let form = Form::Func(fname, Box::new(w.form.clone()));
                let mapped =
                    self.elementwise(&[Operand::Whole(w)], form, e.span, move |pool, v| {
                        apply_builtin(pool, fname, v[0])
                    })?;
                return match (mapped, indices) {
                    (Operand::Whole(w), Some(idx)) => self.select(w, idx, e.span),
                    (m, _) => Ok(m),
                };
            }
            if let (None, Operand::Scalar(x)) = (indices, a) {
                return Ok(Operand::Scalar(apply_builtin(
                    self.pool(),
                    builtin_name(n),
                    x,
                )));
            }
            // A scalar argument lowers as it always did.
        }
        self.scalar_value(e).map(Operand::Scalar)
    }

    /// `onehot(y, C)`: for labels `y` (an input tensor of class numbers, or one label
    /// such as `y[n]`) the tensor with one more axis, of length `C`, whose element
    /// `[..., c]` is `delta(c, y[...])`. The labels' values are recorded as below `C`.
    fn onehot(&mut self, labels: &Expr, classes: &Expr, span: Span) -> Result<Whole> {
        let count = self.value(classes)?;
        let len = self.class_count(count).ok_or_else(|| {
            err(
                ErrorKind::Shape,
                classes.span,
                "the number of classes must be a length",
            )
            .with_hint("write a whole number, a declared length such as `C`, or `len(Z, 1)`")
        })?;
        let (mut axes, mut lens, label, form) = match self.operand(labels)? {
            Operand::Whole(w) => (w.axes, w.lens, w.body, w.form),
            Operand::Scalar(x) => (Vec::new(), Vec::new(), x, Form::Scalar(x)),
        };
        let not_labels = || {
            err(
                ErrorKind::Shape,
                labels.span,
                "`onehot` takes labels: an input tensor of class numbers, or one of them",
            )
            .with_hint("as in `onehot(y, C)` or `onehot(y[n], C)`")
        };
        let Node::Elem(t, idx) = self.pool().node(label).clone() else {
            return Err(not_labels());
        };
        if idx
            .iter()
            .any(|&i| !matches!(self.pool().node(i), Node::Index(_) | Node::Num(_)))
        {
            return Err(not_labels());
        }
        self.note_label(t, Some(len), span);
        let c = self.fresh_axes(1)[0];
        let ci = self.pool().index(c);
        let body = self.pool().delta(ci, label);
        axes.push(c);
        lens.push(len);
        Ok(Whole {
            axes,
            lens,
            body,
            form: Form::OneHot(Box::new(form), count),
            span,
        })
    }

    /// The length a number of classes stands for: a whole number, an axis length, or a
    /// length name (`C` in `tensor Z[N, C]`) as the axis it names.
    fn class_count(&mut self, count: ExprId) -> Option<ExprId> {
        let pool = &self.session.pool;
        match pool.node(count).clone() {
            Node::Num(r)
                if r.is_integer() && r > num_rational::BigRational::from_integer(0.into()) =>
            {
                Some(count)
            }
            Node::Len(..) => Some(count),
            Node::Call { def, args, indices } if args.is_empty() && indices.is_empty() => {
                let body = pool.definition(def).body;
                matches!(pool.node(body), Node::Len(..)).then_some(body)
            }
            _ => None,
        }
    }

    /// A definition called with whole tensors.
    fn def_operand(
        &mut self,
        def: DefId,
        name: &Ident,
        args: &[Expr],
        indices: Option<&[Expr]>,
        e: &Expr,
    ) -> Result<Operand> {
        let d = self.session.pool.definition(def);
        let kinds: Vec<Kind> = d.params.iter().map(|p| p.kind).collect();
        let out_rank = d.indices.len();
        if kinds.len() != args.len() {
            // The scalar path reports the arity error.
            return self.scalar_value(e).map(Operand::Scalar);
        }
        // Which arguments are whole tensors with more axes than their parameter takes?
        let mut lowered: Vec<Option<Operand>> = vec![None; args.len()];
        let mut batched = false;
        for (k, a) in args.iter().enumerate() {
            let want = match kinds[k] {
                Kind::Tensor(r) => r as usize,
                Kind::Scalar => 0,
                Kind::Index => continue,
            };
            // A name passed as a tensor keeps the inference by first use; anything
            // else, calls included, lowers as an operand (it may be row by row).
            let name_like = matches!(&a.kind, ExprKind::Name(_));
            if want > 0 && name_like {
                // A name passed as a tensor keeps the inference by first use (it may
                // fix the name's rank), unless it is known to have more axes.
                if let ExprKind::Name(ident) = &a.kind
                    && let Some(w) = self.whole_name(ident, a.span)?
                    && w.rank() > want
                {
                    batched = true;
                    lowered[k] = Some(Operand::Whole(w));
                }
                continue;
            }
            let o = self.operand(a)?;
            if o.rank() > want {
                batched = true;
            } else if o.rank() < want {
                return Err(err(
                    ErrorKind::Shape,
                    a.span,
                    format!(
                        "`{}` takes {} here, but this is {}",
                        name.name,
                        shape_words(want),
                        shape_words(o.rank())
                    ),
                )
                .with_hint(self.scalar_name_hint()));
            }
            lowered[k] = Some(o);
        }
        if !batched {
            let mut pre = Vec::with_capacity(args.len());
            for o in &lowered {
                pre.push(match o {
                    None => None,
                    Some(Operand::Scalar(x)) => Some(*x),
                    Some(Operand::Whole(w)) => Some(self.pass_whole(w)?),
                });
            }
            let call_args = self.call_args_with(def, name, args, pre)?;
            if out_rank > 0 && indices.is_none() {
                // A tensor-valued call used whole.
                let ranges = self.session.pool.definition(def).index_ranges.clone();
                let lens = ranges
                    .iter()
                    .map(|&r| self.session.pool.instantiate_len(def, &call_args, r))
                    .collect();
                let axes = self.fresh_axes(out_rank);
                let idx: Vec<ExprId> = axes.iter().map(|&a| self.session.pool.index(a)).collect();
                self.instantiate_equalities(def, &call_args, e.span);
                let body = self.pool().call(def, call_args.clone(), idx);
                let whole = self.pool().call(def, call_args, Vec::new());
                return Ok(Operand::Whole(Whole {
                    axes,
                    lens,
                    body,
                    form: Form::Whole(whole),
                    span: e.span,
                }));
            }
            return self
                .finish_call(def, name, call_args, indices, e.span)
                .map(Operand::Scalar);
        }
        // Row by row: the leading axes of each argument beyond what its parameter takes
        // are batch axes, broadcast together.
        let mut batch_lens: Vec<ExprId> = Vec::new();
        let mut extra = vec![0usize; args.len()];
        for (k, a) in args.iter().enumerate() {
            let want = match kinds[k] {
                Kind::Tensor(r) => r as usize,
                Kind::Scalar => 0,
                Kind::Index => continue,
            };
            if lowered[k].is_none() {
                lowered[k] = Some(self.operand(a)?);
            }
            let o = lowered[k].as_ref().expect("set above");
            extra[k] = o.rank().saturating_sub(want);
            if extra[k] > batch_lens.len() {
                let Operand::Whole(w) = o else { continue };
                let mut lens = w.lens[..extra[k]].to_vec();
                let have = batch_lens.len();
                // Existing batch axes line up with the last ones of the longer batch.
                for (p, &l) in batch_lens.iter().enumerate() {
                    let q = extra[k] - have + p;
                    if lens[q] != l {
                        self.equalities.push((lens[q], l, e.span));
                    }
                    lens[q] = l;
                }
                batch_lens = lens;
            }
        }
        let nb = batch_lens.len();
        let batch_axes = self.fresh_axes(nb);
        let mut pre = Vec::with_capacity(args.len());
        let mut forms = Vec::with_capacity(args.len());
        for (k, o) in lowered.iter().enumerate() {
            let Some(o) = o else {
                pre.push(None);
                forms.push(Form::Scalar(ExprId(0)));
                continue;
            };
            forms.push(o.form());
            match o {
                Operand::Scalar(x) => pre.push(Some(*x)),
                Operand::Whole(w) => {
                    let mut idx: Vec<ExprId> = Vec::with_capacity(w.rank());
                    for p in 0..extra[k] {
                        let axis = batch_axes[nb - extra[k] + p];
                        if w.lens[p] != batch_lens[nb - extra[k] + p] {
                            self.equalities.push((
                                w.lens[p],
                                batch_lens[nb - extra[k] + p],
                                e.span,
                            ));
                        }
                        idx.push(self.session.pool.index(axis));
                    }
                    let rest = Whole {
                        axes: w.axes[extra[k]..].to_vec(),
                        lens: w.lens[extra[k]..].to_vec(),
                        body: {
                            let mut s = Subst::default();
                            for (p, &i) in idx.iter().enumerate() {
                                s.indices.insert(w.axes[p], i);
                            }
                            self.pool().substitute(w.body, &s)
                        },
                        form: Form::Select(
                            Box::new(w.form.clone()),
                            idx.iter()
                                .map(|&i| Some(i))
                                .chain(std::iter::repeat_n(None, w.rank() - extra[k]))
                                .collect(),
                        ),
                        span: w.span,
                    };
                    pre.push(Some(if rest.rank() == 0 {
                        rest.body
                    } else {
                        self.pass_whole(&rest)?
                    }));
                }
            }
        }
        let call_args = self.call_args_with(def, name, args, pre)?;
        let ranges = self.session.pool.definition(def).index_ranges.clone();
        let mut lens = batch_lens;
        for &r in &ranges {
            lens.push(self.session.pool.instantiate_len(def, &call_args, r));
        }
        let own_axes = self.fresh_axes(out_rank);
        let idx: Vec<ExprId> = own_axes
            .iter()
            .map(|&a| self.session.pool.index(a))
            .collect();
        self.instantiate_equalities(def, &call_args, e.span);
        let body = self.pool().call(def, call_args, idx);
        let mut axes = batch_axes;
        axes.extend(own_axes);
        // The form applies the definition to the arguments as written; an index argument
        // prints as its own expression.
        let w = Whole {
            axes,
            lens,
            body,
            form: Form::Apply(def, forms),
            span: e.span,
        };
        match indices {
            Some(idx) => self.select(w, idx, e.span),
            None if w.rank() == 0 => Ok(Operand::Scalar(w.body)),
            None => Ok(Operand::Whole(w)),
        }
    }
}

/// The static name of a builtin that applies elementwise.
fn builtin_name(n: &str) -> &'static str {
    match n {
        "sqrt" => "sqrt",
        "log" => "log",
        "log2" => "log2",
        "log10" => "log10",
        _ => Func::from_name(n).map_or("exp", Func::name),
    }
}

/// A one-argument builtin applied to a scalar, as the scalar path lowers it.
fn apply_builtin(pool: &mut crate::expr::pool::Pool, name: &str, x: ExprId) -> ExprId {
    match name {
        "sqrt" => pool.sqrt(x),
        "log" => pool.func(Func::Ln, x),
        "log2" | "log10" => {
            let l = pool.func(Func::Ln, x);
            let b = pool.int(if name == "log2" { 2 } else { 10 });
            let lb = pool.func(Func::Ln, b);
            pool.div(l, lb)
        }
        _ => match Func::from_name(name) {
            Some(f) => pool.func(f, x),
            None => x,
        },
    }
}
