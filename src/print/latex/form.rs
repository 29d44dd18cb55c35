//! LaTeX for calls of anonymous definitions: whole-tensor expressions in their written
//! form (`\operatorname{softmax}\left(z / T\right)`, `Q K^{\top}`).

use crate::expr::form::{Form, FormOp};
use crate::expr::kind::Kind;
use crate::expr::node::{DefId, ExprId, Symbol};
use crate::print::latex::{Latex, Level};
use crate::print::text::{Length, length_of};
use crate::syntax::tree::IndexStyle;

impl Latex<'_> {
    /// The LaTeX standing for an anonymous definition's parameter, while its form
    /// prints.
    pub(super) fn param_tex(&self, s: Symbol) -> Option<String> {
        let params = self.params.borrow();
        if params.is_empty() {
            return None;
        }
        params.iter().rev().find(|p| p.0 == s).map(|p| p.1.clone())
    }

    /// The LaTeX of a parameter's axis length while an anonymous form prints.
    pub(super) fn param_len(&self, s: Symbol, axis: u32) -> Option<String> {
        let lens = self.param_lens.borrow();
        lens.iter()
            .rev()
            .find(|l| l.0 == s && l.1 == axis)
            .map(|l| l.2.clone())
    }

    /// The LaTeX of the length of axis `axis` of a tensor argument, in the caller's
    /// names (see the text printer's `len_text`).
    fn len_tex(&self, arg: ExprId, axis: u32) -> String {
        let of = |name: String, axis: u32| {
            if axis == 0 {
                format!("\\operatorname{{len}}({name})")
            } else {
                format!("\\operatorname{{len}}({name}, {axis})")
            }
        };
        match length_of(self.pool, arg, axis) {
            Length::Axis(t, axis) => match self.param_len(t, axis) {
                Some(l) => l,
                None => {
                    let name = self
                        .param_tex(t)
                        .unwrap_or_else(|| super::name(self.pool.name(t)));
                    of(name, axis)
                }
            },
            Length::Range(range) => {
                let mut t = String::new();
                self.expr(range, Level::Sum, &mut t);
                t
            }
            Length::Unknown(arg, axis) => {
                let mut t = String::new();
                self.expr(arg, Level::Power, &mut t);
                of(t, axis)
            }
        }
    }

    /// A call of an anonymous definition in its written form: `\operatorname{softmax}
    /// \left(z / T\right)`, `\left(W x + b\right)_{i}`.
    pub(super) fn anonymous_call(
        &self,
        def: DefId,
        args: &[ExprId],
        indices: &[ExprId],
        out: &mut String,
    ) {
        let d = self.pool.definition(def);
        let Some(form) = &d.form else { return };
        let texts: Vec<(Symbol, String)> = d
            .params
            .iter()
            .zip(args)
            .map(|(p, &a)| {
                let mut t = String::new();
                self.expr(a, Level::Power, &mut t);
                (p.name, t)
            })
            .collect();
        let idx = (!indices.is_empty()).then(|| self.indices(indices));
        let suffix = self.element_indices(indices);
        let mut lens = Vec::new();
        for (p, &a) in d.params.iter().zip(args) {
            if let Kind::Tensor(rank) = p.kind {
                lens.extend((0..rank).map(|axis| (p.name, axis, self.len_tex(a, axis))));
            }
        }
        let depth = self.params.borrow().len();
        let len_depth = self.param_lens.borrow().len();
        self.params.borrow_mut().extend(texts);
        self.param_lens.borrow_mut().extend(lens);
        if let Form::Indexed(leaf) = form {
            self.indexed(d.indices.first().copied(), *leaf, idx, out);
            self.params.borrow_mut().truncate(depth);
            self.param_lens.borrow_mut().truncate(len_depth);
            return;
        }
        let mut body = String::new();
        self.form(form, &mut body);
        self.params.borrow_mut().truncate(depth);
        self.param_lens.borrow_mut().truncate(len_depth);
        match idx {
            // A subscript after a call or a selection is braced onto it whole; brackets
            // follow it as they are.
            Some(_) if form_is_atomic(form) && self.style == IndexStyle::Subscript => {
                out.push_str(&format!("{{{body}}}{suffix}"));
            }
            Some(_) if form_is_atomic(form) => out.push_str(&format!("{body}{suffix}")),
            Some(_) => {
                super::parens(&body, out);
                out.push_str(&suffix);
            }
            None => out.push_str(&body),
        }
    }

    /// A vector written by its element (`Form::Indexed`): at an index, the element with
    /// the index in place; whole, under a reduction's operator, the subscript of a fresh
    /// bound index and the element over it (`_{j} \left(z_{j} - c\right)`).
    fn indexed(&self, axis: Option<Symbol>, leaf: ExprId, idx: Option<String>, out: &mut String) {
        let Some(axis) = axis else { return };
        let (scope_len, renames_len) = (self.scope.borrow().len(), self.renames.borrow().len());
        let mut body = String::new();
        match idx {
            Some(at) => {
                self.renames.borrow_mut().push((axis, at));
                self.expr(leaf, Level::Sum, &mut body);
                super::parens(&body, out);
            }
            None => {
                let n = self.binders().fresh(self.pool, axis, leaf);
                self.expr(leaf, Level::Sum, &mut body);
                out.push_str(&super::sub(&super::name(&n)));
                out.push(' ');
                super::parens(&body, out);
            }
        }
        self.scope.borrow_mut().truncate(scope_len);
        self.renames.borrow_mut().truncate(renames_len);
    }

    /// A written form, bracketed where an operand binds looser than its place.
    fn form(&self, f: &Form, out: &mut String) {
        let wrapped = |this: &Self, u: &Form, tight: bool, out: &mut String| {
            if tight && !form_is_atomic(u) {
                let mut inner = String::new();
                this.form(u, &mut inner);
                super::parens(&inner, out);
            } else {
                this.form(u, out);
            }
        };
        match f {
            Form::Whole(e) => self.expr(*e, Level::Power, out),
            Form::Scalar(e) | Form::Indexed(e) => self.expr(*e, Level::Power, out),
            Form::Neg(u) => {
                out.push('-');
                wrapped(self, u, true, out);
            }
            Form::Chain(first, rest) => {
                let additive = rest.first().is_some_and(|r| r.0.is_additive());
                wrapped(self, first, !additive, out);
                for (op, x) in rest {
                    out.push_str(match op {
                        FormOp::Add => " + ",
                        FormOp::Sub => " - ",
                        FormOp::Mul => " \\odot ",
                        FormOp::Div => " / ",
                        FormOp::MatMul => " ",
                    });
                    wrapped(self, x, true, out);
                }
            }
            Form::Pow(a, b) => {
                wrapped(self, a, true, out);
                let mut exponent = String::new();
                self.form(b, &mut exponent);
                out.push_str(&super::sup(&exponent));
            }
            Form::Func(n, u) => {
                let cmd = match *n {
                    "exp" => "\\exp".to_string(),
                    "ln" | "log" => "\\ln".to_string(),
                    "sqrt" => {
                        out.push_str("\\sqrt{");
                        self.form(u, out);
                        out.push('}');
                        return;
                    }
                    "sigmoid" => "\\sigma".to_string(),
                    "sin" | "cos" | "tan" | "sinh" | "cosh" | "tanh" => format!("\\{n}"),
                    other => format!("\\operatorname{{{}}}", other.replace('_', "\\_")),
                };
                out.push_str(&cmd);
                let mut inner = String::new();
                self.form(u, &mut inner);
                super::parens(&inner, out);
            }
            Form::Apply(def, args) => {
                let n = self.pool.name(self.pool.definition(*def).name);
                out.push_str(&format!("\\operatorname{{{}}}", n.replace('_', "\\_")));
                let mut inner = String::new();
                for (k, a) in args.iter().enumerate() {
                    if k > 0 {
                        inner.push_str(", ");
                    }
                    self.form(a, &mut inner);
                }
                super::parens(&inner, out);
            }
            Form::Transpose(u) => {
                wrapped(self, u, true, out);
                out.push_str("^{\\top}");
            }
            Form::OneHot(u, classes) => {
                out.push_str("\\operatorname{onehot}");
                let mut inner = String::new();
                self.form(u, &mut inner);
                inner.push_str(", ");
                self.bare(*classes, &mut inner);
                super::parens(&inner, out);
            }
            Form::Select(u, idx) => {
                let mut base = String::new();
                wrapped(self, u, true, &mut base);
                let parts: Vec<String> = idx
                    .iter()
                    .map(|i| match i {
                        Some(i) => {
                            let mut t = String::new();
                            self.bare(*i, &mut t);
                            t
                        }
                        None => ":".to_string(),
                    })
                    .collect();
                if self.style == IndexStyle::Subscript {
                    out.push_str(&format!("{{{base}}}{}", super::sub(&parts.join(","))));
                } else {
                    out.push_str(&format!("{base}[{}]", parts.join(", ")));
                }
            }
        }
    }
}

/// Whether a written form prints as one unit (a name, a call, a selection), needing no
/// brackets as an operand.
fn form_is_atomic(f: &Form) -> bool {
    !matches!(f, Form::Neg(_) | Form::Chain(_, _) | Form::Pow(_, _))
}
