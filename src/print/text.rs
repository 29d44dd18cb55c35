//! The plain-text printer.
//!
//! It prints the language that the parser reads, with the fewest parentheses that keep
//! the meaning, so that parsing the printed text gives back the same [`ExprId`]. Products
//! print as fractions (`-1/y`, `x/(2*y)`), square roots as `sqrt`, nested sums as one
//! `sum(j, k, ...)`, and a sum whose first canonical term is negative starts with a
//! positive term when it has one (`1 - tanh(x)^2`). Output depends only on structure and
//! names, so it is the same on every run.

use std::cell::{Cell, RefCell};

use num_rational::BigRational;
use num_traits::{One, Signed};
use rustc_hash::FxHashMap;

use crate::expr::form::Form;
use crate::expr::kind::Kind;
use crate::expr::node::{DefId, ExprId, Node, Symbol};
use crate::expr::pool::{BOUND_INDEX_NAMES, Pool};
use crate::syntax::number::format_rational;

/// Binding strength of the printed form, from loosest to tightest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    Add,
    Mul,
    Neg,
    Pow,
    Atom,
}

/// Prints an expression as text in the input language.
pub fn to_text(pool: &Pool, id: ExprId) -> String {
    to_text_in(pool, id, &[])
}

/// Prints an expression that appears next to other names (the other side of a claim):
/// no bound index is printed with the name of one of `context` or of a free name of
/// the expression, so a reader never confuses a bound index with a free one.
pub fn to_text_in(pool: &Pool, id: ExprId, context: &[Symbol]) -> String {
    to_text_named(pool, id, context, &FxHashMap::default())
}

/// Prints an expression with some subexpressions written as names (`s1`), as common
/// subexpression elimination does; `named` maps each such node to its name.
pub fn to_text_named(
    pool: &Pool,
    id: ExprId,
    context: &[Symbol],
    named: &FxHashMap<ExprId, String>,
) -> String {
    print_with_budget(pool, id, context, named, usize::MAX)
}

/// Prints at most about `nodes` nodes of an expression, for a message to quote: past
/// that, each subexpression not yet printed is `…`, and a sum, product or list stops at
/// its first one. The text is for reading, not for parsing back. It costs what printing
/// `nodes` nodes costs, however large the expression, so that quoting every node of a
/// deep expression (as the tape does for its messages) is not quadratic in its depth.
pub fn to_text_abridged(pool: &Pool, id: ExprId, nodes: usize) -> String {
    if crate::expr::size::tree_size_at_most(pool, id, nodes as u64) {
        return to_text(pool, id);
    }
    print_with_budget(pool, id, &[], &FxHashMap::default(), nodes)
}

fn print_with_budget(
    pool: &Pool,
    id: ExprId,
    context: &[Symbol],
    named: &FxHashMap<ExprId, String>,
    budget: usize,
) -> String {
    let printer = Printer {
        pool,
        root: id,
        context,
        scope: RefCell::new(None),
        renames: RefCell::new(Vec::new()),
        named,
        params: RefCell::new(Vec::new()),
        param_lens: RefCell::new(Vec::new()),
        budget: Cell::new(budget),
    };
    let mut out = String::new();
    printer.expr_bare(id, &mut out);
    out
}

struct Printer<'p> {
    pool: &'p Pool,
    /// The expression printed, and the names printed next to it.
    root: ExprId,
    context: &'p [Symbol],
    /// Names visible at the current point: the expression's free names and the
    /// printed names of the enclosing sums' indices. Made at the first sum, since only
    /// a sum's index needs them: a gradient's thousand partials share one sum of a
    /// thousand names, and gathering those for each partial would be quadratic.
    scope: RefCell<Option<Vec<Symbol>>>,
    /// Bound indices printed under another name, innermost last.
    renames: RefCell<Vec<(Symbol, String)>>,
    /// Subexpressions printed as names.
    named: &'p FxHashMap<ExprId, String>,
    /// While an anonymous definition's form prints, the text of the call's argument
    /// for each of its parameters, innermost call last.
    params: RefCell<Vec<(Symbol, String)>>,
    /// Alongside `params`, the text of each axis length of a tensor parameter's
    /// argument: `len(%p0, 1)` in a form prints as `len(X, 1)`, or as the length the
    /// argument's own definition gives.
    param_lens: RefCell<Vec<(Symbol, u32, String)>>,
    /// How many more nodes to print before writing `…` (see [`to_text_abridged`]).
    budget: Cell<usize>,
}

impl Printer<'_> {
    fn node(&self, id: ExprId) -> &Node {
        self.pool.node(id)
    }

    /// How tightly the printed form of `id` binds.
    fn prec(&self, id: ExprId) -> Prec {
        match self.node(id) {
            Node::Num(r) => {
                let decimal = matches!(
                    crate::print::number::form(self.pool, r),
                    crate::print::number::NumberForm::Decimal(_)
                );
                if r.is_negative() && (r.is_integer() || decimal) {
                    Prec::Neg
                } else if decimal {
                    Prec::Atom
                } else if !r.is_integer() {
                    Prec::Mul
                } else if r.is_negative() {
                    Prec::Neg
                } else {
                    Prec::Atom
                }
            }
            Node::Const(_)
            | Node::Sym(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Elem(_, _)
            | Node::Len(_, _)
            | Node::Func(_, _)
            | Node::Delta(_, _)
            | Node::Sum { .. }
            | Node::Call { .. }
            | Node::Diff { .. } => Prec::Atom,
            Node::Pow(_, e) => match self.pool.as_num(*e) {
                Some(r) if is_half(r) => Prec::Atom,
                Some(r) if r.is_negative() => Prec::Mul,
                _ => Prec::Pow,
            },
            Node::Mul(_) => Prec::Mul,
            Node::Add(_) => Prec::Add,
        }
    }

    fn expr(&self, id: ExprId, min: Prec, out: &mut String) {
        if let Some(name) = self.named.get(&id) {
            out.push_str(name);
            return;
        }
        if self.prec(id) < min {
            out.push('(');
            self.expr_bare(id, out);
            out.push(')');
        } else {
            self.expr_bare(id, out);
        }
    }

    /// Whether the node budget is spent: the rest of the text is `…`.
    fn spent(&self) -> bool {
        self.budget.get() == 0
    }

    fn list(&self, ids: &[ExprId], out: &mut String) {
        for (k, &x) in ids.iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
                if self.spent() {
                    out.push('…');
                    break;
                }
            }
            self.expr(x, Prec::Add, out);
        }
    }

    fn expr_bare(&self, id: ExprId, out: &mut String) {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.expr_bare(id, out));
        }
        match self.budget.get() {
            0 => return out.push('…'),
            usize::MAX => {}
            n => self.budget.set(n - 1),
        }
        match self.node(id) {
            Node::Num(r) => out.push_str(&self.number(r)),
            Node::Const(c) => out.push_str(c.name()),
            Node::Index(s) | Node::Sym(s) | Node::Tensor(s) if self.param_text(*s).is_some() => {
                out.push_str(&self.param_text(*s).unwrap_or_default());
            }
            Node::Elem(s, idx) if self.param_text(*s).is_some() => {
                out.push_str(&self.param_text(*s).unwrap_or_default());
                out.push('[');
                self.list(idx, out);
                out.push(']');
            }
            Node::Call { def, args, indices } if self.pool.definition(*def).form.is_some() => {
                self.anonymous_call(*def, args, indices, out);
            }
            Node::Index(s) => {
                let renamed = self
                    .renames
                    .borrow()
                    .iter()
                    .rev()
                    .find(|r| r.0 == *s)
                    .map(|r| r.1.clone());
                match renamed {
                    Some(name) => out.push_str(&name),
                    None => out.push_str(self.pool.name(*s)),
                }
            }
            Node::Sym(s) | Node::Tensor(s) => out.push_str(self.pool.name(*s)),
            Node::Elem(s, idx) => {
                out.push_str(self.pool.name(*s));
                out.push('[');
                self.list(idx, out);
                out.push(']');
            }
            Node::Len(s, axis) if self.param_len(*s, *axis).is_some() => {
                out.push_str(&self.param_len(*s, *axis).unwrap_or_default());
            }
            Node::Len(s, axis) => {
                out.push_str("len(");
                out.push_str(self.pool.name(*s));
                if *axis != 0 {
                    out.push_str(&format!(", {axis}"));
                }
                out.push(')');
            }
            Node::Add(terms) => self.add(terms, out),
            Node::Mul(_) => self.mul(id, false, out),
            Node::Pow(b, e) => match self.pool.as_num(*e) {
                Some(r) if r.is_negative() => self.mul(id, false, out),
                Some(r) if is_half(r) => {
                    out.push_str("sqrt(");
                    self.expr(*b, Prec::Add, out);
                    out.push(')');
                }
                _ => {
                    self.expr(*b, Prec::Atom, out);
                    out.push('^');
                    self.expr(*e, Prec::Pow, out);
                }
            },
            Node::Func(f, a) => {
                out.push_str(f.name());
                out.push('(');
                self.expr(*a, Prec::Add, out);
                out.push(')');
            }
            Node::Delta(a, b) => {
                out.push_str("delta(");
                self.list(&[*a, *b], out);
                out.push(')');
            }
            Node::Sum { .. } => self.sum_node(id, "sum", out),
            Node::Call { def, args, indices } => {
                let d = self.pool.definition(*def);
                out.push_str(self.pool.name(d.name));
                if !d.params.is_empty() {
                    out.push('(');
                    self.list(args, out);
                    out.push(')');
                }
                if !indices.is_empty() {
                    out.push('[');
                    self.list(indices, out);
                    out.push(']');
                }
            }
            Node::Diff { expr, var, order } => {
                out.push_str("diff(");
                self.list(&[*expr, *var], out);
                if *order != 1 {
                    out.push_str(&format!(", {order}"));
                }
                out.push(')');
            }
        }
    }

    /// The text standing for an anonymous definition's parameter, while its form
    /// prints.
    fn param_text(&self, s: Symbol) -> Option<String> {
        let params = self.params.borrow();
        if params.is_empty() {
            return None;
        }
        params.iter().rev().find(|p| p.0 == s).map(|p| p.1.clone())
    }

    /// A call of an anonymous definition, printed in its written form with the call's
    /// arguments in place of its parameters: `softmax(z / T)`, `(W @ x + b)[i]`.
    fn anonymous_call(&self, def: DefId, args: &[ExprId], indices: &[ExprId], out: &mut String) {
        let d = self.pool.definition(def);
        let Some(form) = &d.form else { return };
        // The arguments and indices print in the caller's names, before the
        // parameters' texts are in place.
        let texts: Vec<(Symbol, String)> = d
            .params
            .iter()
            .zip(args)
            .map(|(p, &a)| (p.name, self.atomic_text(a)))
            .collect();
        let idx = (!indices.is_empty()).then(|| {
            let mut t = String::new();
            self.list(indices, &mut t);
            t
        });
        let mut lens = Vec::new();
        for (p, &a) in d.params.iter().zip(args) {
            if let Kind::Tensor(rank) = p.kind {
                lens.extend((0..rank).map(|axis| (p.name, axis, self.len_text(a, axis))));
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
        let min = if idx.is_some() { Prec::Atom } else { Prec::Add };
        self.form(form, min, out);
        self.params.borrow_mut().truncate(depth);
        self.param_lens.borrow_mut().truncate(len_depth);
        if let Some(t) = idx {
            out.push('[');
            out.push_str(&t);
            out.push(']');
        }
    }

    /// A vector written by its element (`Form::Indexed`): at an index, the element
    /// with the index in place (`(z[k] - c)`); whole, as a reduction writes it, a fresh
    /// bound index and the element over it (`j, z[j] - c`).
    fn indexed(&self, axis: Option<Symbol>, leaf: ExprId, idx: Option<String>, out: &mut String) {
        let Some(axis) = axis else { return };
        let (scope_len, renames_len) = (self.scope_len(), self.renames.borrow().len());
        match idx {
            Some(at) => {
                self.renames.borrow_mut().push((axis, at));
                out.push('(');
                self.expr(leaf, Prec::Add, out);
                out.push(')');
            }
            None => {
                let taken = self.scope.borrow_mut().take().unwrap_or_default();
                let scope = RefCell::new(taken);
                let name = BinderNames {
                    scope: &scope,
                    renames: &self.renames,
                }
                .fresh(self.pool, axis, leaf);
                *self.scope.borrow_mut() = Some(scope.into_inner());
                out.push_str(&name);
                out.push_str(", ");
                self.expr(leaf, Prec::Add, out);
            }
        }
        if let Some(scope) = self.scope.borrow_mut().as_mut() {
            scope.truncate(scope_len);
        }
        self.renames.borrow_mut().truncate(renames_len);
    }

    /// The text of a parameter's axis length while an anonymous form prints.
    fn param_len(&self, s: Symbol, axis: u32) -> Option<String> {
        let lens = self.param_lens.borrow();
        lens.iter()
            .rev()
            .find(|l| l.0 == s && l.1 == axis)
            .map(|l| l.2.clone())
    }

    /// The text of the length of axis `axis` of a tensor argument, in the caller's
    /// names (see [`length_of`]).
    fn len_text(&self, arg: ExprId, axis: u32) -> String {
        match length_of(self.pool, arg, axis) {
            Length::Axis(t, axis) => {
                if let Some(l) = self.param_len(t, axis) {
                    return l;
                }
                let name = self
                    .param_text(t)
                    .unwrap_or_else(|| self.pool.name(t).to_string());
                if axis == 0 {
                    format!("len({name})")
                } else {
                    format!("len({name}, {axis})")
                }
            }
            Length::Range(range) => {
                let mut t = String::new();
                self.expr(range, Prec::Add, &mut t);
                t
            }
            Length::Unknown(arg, axis) => format!("len({}, {axis})", self.atomic_text(arg)),
        }
    }

    /// An expression's text, in parentheses unless it is atomic: an argument that
    /// stands for a parameter inside a form.
    fn atomic_text(&self, a: ExprId) -> String {
        let mut t = String::new();
        let compound_form = match self.node(a) {
            Node::Call { def, indices, .. } if indices.is_empty() => self
                .pool
                .definition(*def)
                .form
                .as_ref()
                .is_some_and(|f| self.form_prec(f) < Prec::Atom),
            _ => false,
        };
        if compound_form {
            t.push('(');
            self.expr(a, Prec::Add, &mut t);
            t.push(')');
        } else {
            self.expr(a, Prec::Atom, &mut t);
        }
        t
    }

    fn form_prec(&self, f: &Form) -> Prec {
        match f {
            Form::Scalar(e) => self.prec(*e),
            Form::Neg(_) => Prec::Neg,
            Form::Chain(_, rest) if rest.first().is_some_and(|r| r.0.is_additive()) => Prec::Add,
            Form::Chain(_, _) => Prec::Mul,
            Form::Pow(_, _) => Prec::Pow,
            Form::Whole(_)
            | Form::Func(_, _)
            | Form::Apply(_, _)
            | Form::Transpose(_)
            | Form::Select(_, _)
            | Form::OneHot(_, _)
            | Form::Indexed(_) => Prec::Atom,
        }
    }

    /// A written form, in parentheses if it binds looser than `min`.
    fn form(&self, f: &Form, min: Prec, out: &mut String) {
        if self.form_prec(f) < min {
            out.push('(');
            self.form(f, Prec::Add, out);
            out.push(')');
            return;
        }
        match f {
            Form::Whole(e) | Form::Scalar(e) | Form::Indexed(e) => self.expr(*e, Prec::Add, out),
            Form::Neg(u) => {
                out.push('-');
                self.form(u, Prec::Neg, out);
            }
            Form::Chain(first, rest) => {
                let additive = rest.first().is_some_and(|r| r.0.is_additive());
                self.form(first, if additive { Prec::Add } else { Prec::Neg }, out);
                for (op, x) in rest {
                    out.push(' ');
                    out.push_str(op.text());
                    out.push(' ');
                    self.form(x, if additive { Prec::Mul } else { Prec::Pow }, out);
                }
            }
            Form::Pow(a, b) => {
                self.form(a, Prec::Atom, out);
                out.push('^');
                self.form(b, Prec::Neg, out);
            }
            Form::Func(name, u) => {
                out.push_str(name);
                out.push('(');
                self.form(u, Prec::Add, out);
                out.push(')');
            }
            Form::Apply(def, args) => {
                out.push_str(self.pool.name(self.pool.definition(*def).name));
                out.push('(');
                for (k, a) in args.iter().enumerate() {
                    if k > 0 {
                        out.push_str(", ");
                    }
                    self.form(a, Prec::Add, out);
                }
                out.push(')');
            }
            Form::Transpose(u) => {
                self.form(u, Prec::Atom, out);
                out.push_str(".T");
            }
            Form::OneHot(u, classes) => {
                out.push_str("onehot(");
                self.form(u, Prec::Add, out);
                out.push_str(", ");
                self.expr(*classes, Prec::Add, out);
                out.push(')');
            }
            Form::Select(u, idx) => {
                self.form(u, Prec::Atom, out);
                out.push('[');
                for (k, i) in idx.iter().enumerate() {
                    if k > 0 {
                        out.push_str(", ");
                    }
                    match i {
                        Some(i) => self.expr(*i, Prec::Add, out),
                        None => out.push(':'),
                    }
                }
                out.push(']');
            }
        }
    }

    /// A sum, or with `word` "mean" a mean: `sum(j, k, body)` with its bound indices
    /// named as the scope allows.
    fn sum_node(&self, id: ExprId, word: &str, out: &mut String) {
        out.push_str(word);
        out.push('(');
        let mut cur = id;
        let (scope_len, renames_len) = (self.scope_len(), self.renames.borrow().len());
        while let Node::Sum { index, body, .. } = self.node(cur) {
            let name = self.binder_name(*index, *body);
            out.push_str(&name);
            out.push_str(", ");
            cur = *body;
        }
        self.expr(cur, Prec::Add, out);
        out.push(')');
        if let Some(scope) = self.scope.borrow_mut().as_mut() {
            scope.truncate(scope_len);
        }
        self.renames.borrow_mut().truncate(renames_len);
    }

    /// The scope's length, gathering the free names on first use.
    fn scope_len(&self) -> usize {
        let mut scope = self.scope.borrow_mut();
        scope
            .get_or_insert_with(|| {
                let mut names = self.pool.free_symbols(self.root).to_vec();
                names.extend_from_slice(self.context);
                names
            })
            .len()
    }

    /// The name to print for a sum's bound index (see [`BinderNames::name`]).
    fn binder_name(&self, index: Symbol, body: ExprId) -> String {
        self.scope_len();
        // The shared naming rules take the scope as a cell of its own; it moves there and
        // back.
        let taken = self.scope.borrow_mut().take().unwrap_or_default();
        let scope = RefCell::new(taken);
        let name = BinderNames {
            scope: &scope,
            renames: &self.renames,
        }
        .name(self.pool, index, body);
        *self.scope.borrow_mut() = Some(scope.into_inner());
        name
    }

    /// Prints a sum: a positive term first where there is one, then `+` or `-` and the
    /// magnitude of each other term.
    fn add(&self, terms: &[ExprId], out: &mut String) {
        // A term printed as a name is written as it is, so it counts as positive.
        let negative =
            |t: ExprId| !self.named.contains_key(&t) && self.pool.coefficient(t).is_negative();
        let first = terms.iter().position(|&t| !negative(t)).unwrap_or(0);
        self.term(terms[first], false, out);
        for (k, &t) in terms.iter().enumerate() {
            if k == first {
                continue;
            }
            if self.spent() {
                out.push_str(" + …");
                break;
            }
            let negative = negative(t);
            out.push_str(if negative { " - " } else { " + " });
            self.term(t, negative, out);
        }
    }

    /// Prints a term of a sum, negated when `negate` is set.
    fn term(&self, id: ExprId, negate: bool, out: &mut String) {
        if let Some(name) = self.named.get(&id) {
            out.push_str(name);
            return;
        }
        match self.node(id) {
            Node::Num(r) => {
                let r = if negate { -r.clone() } else { r.clone() };
                out.push_str(&self.number(&r));
            }
            Node::Mul(_) => self.mul(id, negate, out),
            _ => self.expr(id, Prec::Mul, out),
        }
    }

    /// Prints a product (or a power with a negative exponent) as a fraction, each
    /// factor straight into `out`: copying each factor's text into a list first would
    /// copy a deep expression once for every product around it.
    fn mul(&self, id: ExprId, negate: bool, out: &mut String) {
        let factors: &[ExprId] = match self.node(id) {
            Node::Mul(fs) => fs,
            _ => std::slice::from_ref(&id),
        };
        let mut coeff = BigRational::one();
        let mut numer: Vec<ExprId> = Vec::new();
        let mut denom: Vec<(ExprId, BigRational)> = Vec::new();
        for &f in factors {
            match self.node(f) {
                Node::Num(r) => coeff = r.clone(),
                Node::Pow(b, e) if self.pool.as_num(*e).is_some_and(|r| r.is_negative()) => {
                    denom.push((
                        *b,
                        self.pool.as_num(*e).map(|r| -r.clone()).unwrap_or_default(),
                    ));
                }
                _ => numer.push(f),
            }
        }
        // A sum over one index divided by that index's range reads as a mean, as the
        // user wrote it: `mean(k, x[k])` is `sum(k, x[k])/len(x)`.
        let mut means: Vec<ExprId> = Vec::new();
        if self.named.is_empty() {
            for &f in &numer {
                if let Node::Sum { range, body, .. } = self.node(f)
                    && !matches!(self.node(*body), Node::Sum { .. })
                    && let Some(k) = denom.iter().position(|(b, e)| b == range && e.is_one())
                {
                    denom.remove(k);
                    means.push(f);
                }
            }
        }
        if negate {
            coeff = -coeff;
        }
        if coeff.is_negative() {
            out.push('-');
            coeff = -coeff;
        }
        let mut first = true;
        // A coefficient written as a decimal leads the product as written.
        if let crate::print::number::NumberForm::Decimal(text) =
            crate::print::number::form(self.pool, &coeff)
        {
            out.push_str(&text);
            first = false;
            coeff = BigRational::one();
        }
        if !coeff.numer().is_one() || (numer.is_empty() && first) {
            out.push_str(&coeff.numer().to_string());
            first = false;
        }
        for &f in &numer {
            if !first {
                out.push('*');
                if self.spent() {
                    // An abridged text ends here.
                    out.push('…');
                    return;
                }
            }
            first = false;
            if means.contains(&f) {
                self.sum_node(f, "mean", out);
            } else {
                self.expr(f, Prec::Pow, out);
            }
        }
        let count = denom.len() + usize::from(!coeff.denom().is_one());
        if count == 0 {
            return;
        }
        out.push_str(if count == 1 { "/" } else { "/(" });
        let mut first = true;
        if !coeff.denom().is_one() {
            out.push_str(&coeff.denom().to_string());
            first = false;
        }
        for (b, r) in &denom {
            if !first {
                out.push('*');
            }
            first = false;
            self.power_text(*b, r, out);
        }
        if count > 1 {
            out.push(')');
        }
    }

    /// A number as the language reads it back: as the user wrote it when it is a
    /// decimal (`0.044715`), else `3`, `-3`, `21/10` (see [`crate::print::number`]).
    fn number(&self, r: &BigRational) -> String {
        match crate::print::number::form(self.pool, r) {
            crate::print::number::NumberForm::Decimal(text) if r.is_negative() => {
                format!("-{text}")
            }
            crate::print::number::NumberForm::Decimal(text) => text,
            _ => format_rational(r),
        }
    }

    /// `base^r` for a positive rational `r`, bound tightly enough to follow a `/` or `*`.
    fn power_text(&self, base: ExprId, r: &BigRational, out: &mut String) {
        if r.is_one() {
            self.expr(base, Prec::Pow, out);
        } else if is_half(r) {
            out.push_str("sqrt(");
            self.expr(base, Prec::Add, out);
            out.push(')');
        } else {
            self.expr(base, Prec::Atom, out);
            out.push('^');
            if r.is_integer() {
                out.push_str(&format_rational(r));
            } else {
                out.push('(');
                out.push_str(&format_rational(r));
                out.push(')');
            }
        }
    }
}

fn is_half(r: &BigRational) -> bool {
    r.numer() == &1.into() && r.denom() == &2.into()
}

/// The names visible while printing, and the bound indices printed under other names:
/// shared by the text and LaTeX printers so both keep bound and free indices apart.
pub(crate) struct BinderNames<'a> {
    /// Names visible at the current point.
    pub scope: &'a RefCell<Vec<Symbol>>,
    /// Bound indices printed under another name, innermost last.
    pub renames: &'a RefCell<Vec<(Symbol, String)>>,
}

impl BinderNames<'_> {
    /// The name to print for a sum's bound index: its own, unless that name is visible
    /// outside the sum, in which case the first preferred name free of clashes.
    pub fn name(&self, pool: &Pool, index: Symbol, body: ExprId) -> String {
        let clash = self.scope.borrow().contains(&index)
            || self
                .renames
                .borrow()
                .iter()
                .any(|r| r.1 == pool.name(index));
        if !clash {
            self.scope.borrow_mut().push(index);
            return pool.name(index).to_string();
        }
        self.fresh(pool, index, body)
    }

    /// A name for a bound index that is neither visible nor used in `body`, with the
    /// index renamed to it: for a sum's index that clashes, and for the internal axis
    /// of a vector that a reduction writes by its element.
    pub fn fresh(&self, pool: &Pool, index: Symbol, body: ExprId) -> String {
        let body_free = pool.free_symbols(body);
        let taken = |name: &str| {
            self.scope.borrow().iter().any(|s| pool.name(*s) == name)
                || body_free.iter().any(|s| pool.name(*s) == name)
                || self.renames.borrow().iter().any(|r| r.1 == name)
        };
        let name = BOUND_INDEX_NAMES
            .iter()
            .map(|n| n.to_string())
            .chain((2..).map(|k| format!("j{k}")))
            .find(|n| !taken(n))
            .unwrap_or_else(|| "j".to_string());
        self.renames.borrow_mut().push((index, name.clone()));
        name
    }

    /// The printed name of an index: its rename if it has one.
    pub fn index_name<'p>(&self, pool: &'p Pool, s: Symbol) -> std::borrow::Cow<'p, str> {
        match self.renames.borrow().iter().rev().find(|r| r.0 == s) {
            Some(r) => std::borrow::Cow::Owned(r.1.clone()),
            None => std::borrow::Cow::Borrowed(pool.name(s)),
        }
    }
}

/// Where the length of an axis of a tensor argument comes from.
pub(crate) enum Length {
    /// An axis of a tensor name.
    Axis(Symbol, u32),
    /// A length its definition gives, over no parameter.
    Range(ExprId),
    /// An axis of an expression whose definition gives no length for it.
    Unknown(ExprId, u32),
}

/// The length of axis `axis` of a tensor argument: a tensor name's axis, or for a
/// tensor-valued call the length its definition gives, followed through the call's
/// own arguments when it is a parameter's (`softmax(w)` has the length of `w`).
pub(crate) fn length_of(pool: &Pool, arg: ExprId, axis: u32) -> Length {
    match pool.node(arg) {
        Node::Tensor(t) => Length::Axis(*t, axis),
        Node::Call { def, args, .. } => {
            let d = pool.definition(*def);
            let Some(&range) = d.index_ranges.get(axis as usize) else {
                return Length::Unknown(arg, axis);
            };
            if let Node::Len(q, inner) = pool.node(range)
                && let Some(k) = d.params.iter().position(|p| p.name == *q)
                && let Some(&a) = args.get(k)
            {
                return length_of(pool, a, *inner);
            }
            Length::Range(range)
        }
        _ => Length::Unknown(arg, axis),
    }
}
