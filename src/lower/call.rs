//! Calls: dispatching a call to a definition or a builtin, lowering a definition's
//! arguments by the kinds of its parameters, and linking the indices of its result to the
//! axes they run over.

use crate::diag::error::{ErrorKind, Result};
use crate::diag::source::Span;
use crate::expr::kind::Kind;
use crate::expr::node::{DefId, ExprId, Func, Node};
use crate::lower::lowerer::{Lowerer, err};
use crate::syntax::tree::{Expr, Ident};

impl Lowerer<'_> {
    pub(super) fn call(
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
        if let Some(e) = self.reduction_call(name, args, indices.is_some(), span)? {
            return Ok(e);
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
            "sum" | "mean" => {
                no_indices("gives a scalar")?;
                self.sum(name, args, n == "mean")
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

    pub(super) fn call_args(
        &mut self,
        def: DefId,
        name: &Ident,
        args: &[Expr],
    ) -> Result<Vec<ExprId>> {
        self.call_args_with(def, name, args, vec![None; args.len()])
    }

    /// Lowers a call's arguments by the kinds of its parameters; those already lowered
    /// (`pre`) are taken as they are.
    pub(super) fn call_args_with(
        &mut self,
        def: DefId,
        name: &Ident,
        args: &[Expr],
        pre: Vec<Option<ExprId>>,
    ) -> Result<Vec<ExprId>> {
        let d = self.session.pool.definition(def);
        let kinds: Vec<Kind> = d.params.iter().map(|p| p.kind).collect();
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
        let mut out = pre;
        out.resize(args.len(), None);
        for (k, a) in args.iter().enumerate() {
            if out[k].is_some() {
                continue;
            }
            match kinds[k] {
                Kind::Tensor(r) => out[k] = Some(self.tensor_arg(a, r)?),
                Kind::Scalar => out[k] = Some(self.value(a)?),
                Kind::Index => {}
            }
        }
        let partial: Vec<ExprId> = out.iter().map(|o| o.unwrap_or(ExprId(0))).collect();
        for (k, a) in args.iter().enumerate() {
            if kinds[k] == Kind::Index {
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
    pub(super) fn finish_call(
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

    /// What a call of `def` with `args` says about its arguments: the lengths the
    /// body requires equal, and the tensors it uses as labels, with their ranges.
    pub(super) fn instantiate_equalities(&mut self, def: DefId, args: &[ExprId], span: Span) {
        let labels = self.session.pool.definition(def).labels.clone();
        for (k, range) in labels {
            let Some(&arg) = args.get(k) else { continue };
            if let Node::Tensor(t) = *self.session.pool.node(arg) {
                let range = range.map(|r| self.session.pool.instantiate_len(def, args, r));
                self.note_label(t, range, span);
            }
        }
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
}

/// How a definition is used: `f(a, b)`, `f(a)[i]`, `f[i, k]`.
pub(super) fn usage_text(name: &str, params: usize, indices: usize) -> String {
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
