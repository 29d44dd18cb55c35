//! The written form of a whole-tensor expression (`z / T`, `Q @ K.T`, `Z[n, :]`), kept
//! with the anonymous definition that stands for it, so that output reads as the user
//! wrote it.
//!
//! Whole-tensor expressions lower to index form: `z / T` is the tensor whose element
//! `i` is `z[i]/T`. Where such a tensor is passed whole (`softmax(z / T)`), the lowering
//! makes an anonymous definition, `%t(... )[i] = z[i]/T`, and calls it, so that
//! derivatives, evaluation and the prover treat it as they treat a named intermediate.
//! The definition's [`Form`] is what the printers write for that call. Its leaves are
//! pool expressions over the definition's parameters; the printers replace the
//! parameters by the call's arguments.

use crate::expr::node::{DefId, ExprId};

/// An operator of a whole-tensor chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormOp {
    /// `+`, elementwise with broadcasting.
    Add,
    /// `-`, elementwise with broadcasting.
    Sub,
    /// `*`, elementwise with broadcasting.
    Mul,
    /// `/`, elementwise with broadcasting.
    Div,
    /// `@`, the matrix product.
    MatMul,
}

impl FormOp {
    /// The operator as the language writes it.
    pub fn text(self) -> &'static str {
        match self {
            FormOp::Add => "+",
            FormOp::Sub => "-",
            FormOp::Mul => "*",
            FormOp::Div => "/",
            FormOp::MatMul => "@",
        }
    }

    /// Whether the operator joins terms (`+ -`) rather than factors (`* / @`).
    pub fn is_additive(self) -> bool {
        matches!(self, FormOp::Add | FormOp::Sub)
    }
}

/// The written form of a whole-tensor expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Form {
    /// A whole tensor written as an expression: a tensor name, a parameter, or a
    /// tensor-valued call such as `softmax(z)`.
    Whole(ExprId),
    /// A scalar operand, broadcast over the tensor.
    Scalar(ExprId),
    /// `-u`.
    Neg(Box<Form>),
    /// `a + b - c` or `a * b @ c`: the first operand and the rest with their operators.
    Chain(Box<Form>, Vec<(FormOp, Form)>),
    /// `a ^ b`, elementwise.
    Pow(Box<Form>, Box<Form>),
    /// A builtin function applied elementwise, by its name: `exp(z)`, `sqrt(v)`.
    Func(&'static str, Box<Form>),
    /// A definition applied to whole tensors, row by row over leading axes:
    /// `softmax(Q @ K.T)`.
    Apply(DefId, Vec<Form>),
    /// `u.T`.
    Transpose(Box<Form>),
    /// `u[n, :]`: an index expression for each selected axis, `None` for each `:`.
    Select(Box<Form>, Vec<Option<ExprId>>),
    /// `onehot(y, C)`: labels and the number of classes (a length expression).
    OneHot(Box<Form>, ExprId),
    /// The vector whose element at the definition's one result index is this
    /// expression: the `j, z[j] - c` of `max(j, z[j] - c)`, written after a reduction's
    /// bound index.
    Indexed(ExprId),
}

impl Form {
    /// Every pool expression the form refers to, in order.
    pub fn leaves(&self) -> Vec<ExprId> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect(&self, out: &mut Vec<ExprId>) {
        match self {
            Form::Whole(e) | Form::Scalar(e) | Form::Indexed(e) => out.push(*e),
            Form::Neg(u) | Form::Func(_, u) | Form::Transpose(u) => u.collect(out),
            Form::Chain(first, rest) => {
                first.collect(out);
                for (_, f) in rest {
                    f.collect(out);
                }
            }
            Form::Pow(a, b) => {
                a.collect(out);
                b.collect(out);
            }
            Form::Apply(_, args) => {
                for a in args {
                    a.collect(out);
                }
            }
            Form::Select(u, idx) => {
                u.collect(out);
                out.extend(idx.iter().flatten());
            }
            Form::OneHot(u, classes) => {
                u.collect(out);
                out.push(*classes);
            }
        }
    }

    /// The form with every leaf replaced by `f(leaf)`.
    pub fn map_leaves(&self, f: &mut impl FnMut(ExprId) -> ExprId) -> Form {
        match self {
            Form::Whole(e) => Form::Whole(f(*e)),
            Form::Scalar(e) => Form::Scalar(f(*e)),
            Form::Indexed(e) => Form::Indexed(f(*e)),
            Form::Neg(u) => Form::Neg(Box::new(u.map_leaves(f))),
            Form::Func(g, u) => Form::Func(g, Box::new(u.map_leaves(f))),
            Form::Transpose(u) => Form::Transpose(Box::new(u.map_leaves(f))),
            Form::Chain(first, rest) => Form::Chain(
                Box::new(first.map_leaves(f)),
                rest.iter().map(|(op, x)| (*op, x.map_leaves(f))).collect(),
            ),
            Form::Pow(a, b) => Form::Pow(Box::new(a.map_leaves(f)), Box::new(b.map_leaves(f))),
            Form::Apply(d, args) => Form::Apply(*d, args.iter().map(|a| a.map_leaves(f)).collect()),
            Form::Select(u, idx) => Form::Select(
                Box::new(u.map_leaves(f)),
                idx.iter().map(|i| i.map(&mut *f)).collect(),
            ),
            Form::OneHot(u, classes) => {
                let u = u.map_leaves(f);
                Form::OneHot(Box::new(u), f(*classes))
            }
        }
    }

    /// Whether the form is a selection or transpose of a whole tensor, so that an
    /// element of it is an element of that tensor, with no arithmetic.
    pub fn is_direct(&self) -> bool {
        match self {
            Form::Whole(_) => true,
            Form::Transpose(u) | Form::Select(u, _) => u.is_direct(),
            _ => false,
        }
    }
}
