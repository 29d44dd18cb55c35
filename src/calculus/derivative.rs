//! Symbolic derivatives, one exhaustive rule per node kind.
//!
//! [`Differentiator::derive`] takes the derivative of an expression with respect to one
//! variable: a scalar `x` or a tensor element `z[i]`, `W[a, b]`. Each node kind has one
//! rule ([`Differentiator::rule`]) that states the derivative in terms of the
//! derivatives of its children; the fast path fills those in recursively with a memo
//! keyed by node, so shared subexpressions are differentiated once and the gradient
//! shares structure as a reverse sweep would. The same rules, applied one level at a
//! time with the children's derivatives left as `diff(...)` nodes, give the derivation
//! that `--steps` prints (see [`crate::calculus::derivation`]).
//!
//! Terms that do not depend on the variable are never built: a rule asks
//! [`Differentiator::mentions`] before it differentiates a child. A call of a definition
//! is differentiated through its body; the simplifier folds the result back into the
//! definition's name. Where a function is not differentiable (`abs` at 0) the point is
//! recorded in [`Differentiator::conditions`].

use std::rc::Rc;

use rustc_hash::FxHashMap;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::node::{Constant, DefId, ExprId, Func, Node, Symbol};
use crate::expr::pool::Pool;
pub use crate::trace::Rule;

/// A point where the derivative does not exist: where `expr` is 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// The derivative holds where this expression is not 0.
    pub nonzero: ExprId,
    /// Why: the function that is not differentiable there.
    pub reason: Func,
}

/// The variable of a derivative.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    /// The variable's node: a scalar or an element.
    pub node: ExprId,
    /// The scalar's or the tensor's name.
    pub symbol: Symbol,
    /// The element's indices (empty for a scalar).
    pub indices: Vec<ExprId>,
}

impl Variable {
    /// Reads a variable from its node; an error for anything but a scalar or an element.
    pub fn from_node(pool: &Pool, node: ExprId) -> Result<Variable> {
        match pool.node(node) {
            Node::Sym(s) => Ok(Variable {
                node,
                symbol: *s,
                indices: Vec::new(),
            }),
            Node::Elem(t, idx) => Ok(Variable {
                node,
                symbol: *t,
                indices: idx.to_vec(),
            }),
            _ => Err(Error::new(
                ErrorKind::Shape,
                format!(
                    "cannot differentiate with respect to `{}`: expected a scalar, an element or a named intermediate",
                    crate::print::text::to_text(pool, node)
                ),
            )),
        }
    }
}

/// One link of a chain's derivative, unmultiplied: the link's own factors, times the
/// derivative of the next link in (see [`Differentiator::derive`]).
struct Link {
    factors: Vec<ExprId>,
    inner: Next,
}

/// What a chain link's factors multiply: the next link, or a derivative taken whole.
enum Next {
    Link(Rc<Link>),
    Done(ExprId),
}

/// Takes derivatives with respect to one variable, with a memo.
pub struct Differentiator<'p> {
    pool: &'p mut Pool,
    var: Variable,
    memo: FxHashMap<ExprId, ExprId>,
    /// Each node's derivative as an unmultiplied chain, when it is a chain link.
    links: FxHashMap<ExprId, Option<Rc<Link>>>,
    mentions: FxHashMap<ExprId, bool>,
    def_mentions: FxHashMap<DefId, bool>,
    /// Points where a derivative taken so far does not exist.
    pub conditions: Vec<Condition>,
    /// Derivative lemmas, tried before a node's own rule in a derivation step by step
    /// (see [`crate::calculus::lemma`]).
    lemmas: Vec<crate::calculus::lemma::LemmaRule>,
}

impl<'p> Differentiator<'p> {
    /// A differentiator for the variable `var` (a scalar or element node).
    pub fn new(pool: &'p mut Pool, var: ExprId) -> Result<Differentiator<'p>> {
        let var = Variable::from_node(pool, var)?;
        Ok(Differentiator {
            pool,
            var,
            memo: FxHashMap::default(),
            links: FxHashMap::default(),
            mentions: FxHashMap::default(),
            def_mentions: FxHashMap::default(),
            conditions: Vec::new(),
            lemmas: Vec::new(),
        })
    }

    /// The same differentiator with the derivative lemmas among `rules`: a call that
    /// one covers is no longer written out ([`Differentiator::expand_dependent_calls`]),
    /// and [`Differentiator::lemma_rule`] applies them.
    pub fn with_lemmas(mut self, rules: &[crate::calculus::lemma::LemmaRule]) -> Self {
        self.lemmas = rules
            .iter()
            .filter(|r| r.is_derivative())
            .cloned()
            .collect();
        self
    }

    /// The derivative lemmas it applies.
    pub fn lemmas(&self) -> &[crate::calculus::lemma::LemmaRule] {
        &self.lemmas
    }

    /// The variable's name: the scalar's, or the tensor's for an element.
    pub fn variable_symbol(&self) -> Symbol {
        self.var.symbol
    }

    /// The pool.
    pub fn pool(&mut self) -> &mut Pool {
        self.pool
    }

    /// The variable's node.
    pub fn variable(&self) -> ExprId {
        self.var.node
    }

    /// The variable's indices with the lengths they range below: `i` in `z[i]` takes
    /// values below `len(z)`. Contraction of deltas relies on it.
    pub fn known_ranges(&mut self) -> Vec<(ExprId, ExprId)> {
        let idx = self.var.indices.clone();
        idx.iter()
            .enumerate()
            .map(|(a, &i)| (i, self.pool.len_of(self.var.symbol, a as u32)))
            .collect()
    }

    /// Whether an expression depends on the variable: it names the variable's symbol, or
    /// calls a definition whose body uses it as a global.
    pub fn mentions(&mut self, e: ExprId) -> bool {
        if let Some(&m) = self.mentions.get(&e) {
            return m;
        }
        // Free symbols are sorted by handle, so membership is a binary search.
        let m = if self
            .pool
            .free_symbols(e)
            .binary_search(&self.var.symbol)
            .is_ok()
        {
            true
        } else {
            match self.pool.node(e).clone() {
                Node::Call { def, args, .. } => {
                    self.def_mentions(def) || args.iter().any(|&a| self.mentions(a))
                }
                other => crate::expr::node::children(&other)
                    .into_iter()
                    .any(|c| self.mentions(c)),
            }
        };
        self.mentions.insert(e, m);
        m
    }

    fn def_mentions(&mut self, def: DefId) -> bool {
        if let Some(&m) = self.def_mentions.get(&def) {
            return m;
        }
        // Guard against cycles (there are none: definitions cannot recurse).
        self.def_mentions.insert(def, false);
        let d = self.pool.definition(def).clone();
        let local = d.params.iter().any(|p| p.name == self.var.symbol)
            || d.indices.contains(&self.var.symbol);
        let direct = !local && self.pool.free_symbols(d.body).contains(&self.var.symbol);
        let m = direct || self.calls_mention(d.body);
        self.def_mentions.insert(def, m);
        m
    }

    fn calls_mention(&mut self, e: ExprId) -> bool {
        let mut todo = vec![e];
        let mut seen = rustc_hash::FxHashSet::default();
        while let Some(x) = todo.pop() {
            if !seen.insert(x) {
                continue;
            }
            let node = self.pool.node(x).clone();
            if let Node::Call { def, .. } = &node
                && self.def_mentions(*def)
            {
                return true;
            }
            todo.extend(crate::expr::node::children(&node));
        }
        false
    }

    /// Replaces every call that depends on the variable by its definition's body,
    /// recursively, so that a derivative and the expression around it are in the same
    /// primitive terms and cancel (`-ln(softmax(z)[y])` against `1/softmax(z)[y]`).
    /// The simplifier folds bodies back into names afterwards.
    pub fn expand_dependent_calls(&mut self, e: ExprId) -> ExprId {
        let mut memo = FxHashMap::default();
        self.expand_rec(e, &mut memo)
    }

    fn expand_rec(&mut self, e: ExprId, memo: &mut FxHashMap<ExprId, ExprId>) -> ExprId {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.expand_rec(e, memo));
        }
        if let Some(&r) = memo.get(&e) {
            return r;
        }
        if !self.mentions(e) {
            return e;
        }
        // What a derivative lemma covers stays as it is: the lemma differentiates it.
        if !self.lemmas.is_empty() && self.lemma_rule(e).is_some() {
            memo.insert(e, e);
            return e;
        }
        let node = self.pool.node(e).clone();
        // A call with no body to write out (a reduction) keeps its name, and its
        // arguments are expanded as any node's children are.
        let body = match node {
            Node::Call { .. } => self.pool.expand_call(e).filter(|&b| b != e),
            _ => None,
        };
        let out = match (body, node) {
            (Some(body), _) => self.expand_rec(body, memo),
            // An unevaluated derivative is taken as it is, by its own rule.
            (None, Node::Diff { .. }) => e,
            (None, other) => {
                let kids: Vec<ExprId> = crate::expr::node::children(&other)
                    .into_iter()
                    .map(|c| self.expand_rec(c, memo))
                    .collect();
                self.pool.rebuild(e, &kids)
            }
        };
        memo.insert(e, out);
        out
    }

    /// The derivative of `e`, fully taken (no `diff` nodes remain for this variable).
    pub fn derive(&mut self, e: ExprId) -> ExprId {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.derive(e));
        }
        if let Some(&d) = self.memo.get(&e) {
            return d;
        }
        let d = match self.chain_link(e) {
            Some(link) => self.materialize(&link),
            None => self.rule(e, &mut |this, child| this.derive(child)).1,
        };
        self.memo.insert(e, d);
        d
    }

    /// The derivative of `e` as an unmultiplied chain, when `e` is one link of a chain
    /// (a function, a power by a constant, or a product with one varying factor, of
    /// one varying child): its own factors, and the child's derivative, itself a chain
    /// or taken whole.
    ///
    /// Multiplying each link out as the chain is climbed would build a product of k
    /// factors at depth k, which is quadratic in the depth of `exp(sin(ln(...)))`; the
    /// factors are kept in a shared list instead, and multiplied once, where the
    /// derivative is needed as an expression.
    fn chain_link(&mut self, e: ExprId) -> Option<Rc<Link>> {
        if let Some(link) = self.links.get(&e) {
            return link.clone();
        }
        let link = self.chain_link_uncached(e);
        self.links.insert(e, link.clone());
        link
    }

    fn chain_link_uncached(&mut self, e: ExprId) -> Option<Rc<Link>> {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.chain_link_uncached(e));
        }
        if !self.mentions(e) {
            return None;
        }
        let (factors, inner) = match self.pool.node(e).clone() {
            Node::Func(f, u) if self.mentions(u) => (vec![self.outer_derivative(f, u)], u),
            Node::Pow(u, v) if self.mentions(u) && !self.mentions(v) => {
                let m1 = self.pool.int(-1);
                let e1 = self.pool.add(vec![v, m1]);
                let pw = self.pool.pow(u, e1);
                (vec![v, pw], u)
            }
            Node::Mul(fs) => {
                let mut varying = fs.iter().copied().filter(|&f| self.mentions(f));
                let (Some(u), None) = (varying.next(), varying.next()) else {
                    return None;
                };
                let others = fs.iter().copied().filter(|&f| f != u).collect();
                (others, u)
            }
            _ => return None,
        };
        let inner = match self.chain_link(inner) {
            Some(link) => Next::Link(link),
            None => Next::Done(self.derive(inner)),
        };
        Some(Rc::new(Link { factors, inner }))
    }

    /// A chain's factors multiplied, once each chain: the links are walked without
    /// recursion, however deep the chain.
    fn materialize(&mut self, link: &Rc<Link>) -> ExprId {
        let mut factors = Vec::new();
        let mut cur = link.clone();
        loop {
            factors.extend_from_slice(&cur.factors);
            match &cur.inner {
                Next::Done(d) => {
                    factors.push(*d);
                    break;
                }
                Next::Link(next) => {
                    let next = next.clone();
                    cur = next;
                }
            }
        }
        self.pool.mul(factors)
    }

    /// One rule at `e`: the rule used and the derivative, with the children's derivatives
    /// supplied by `dsub` (recursively in [`Differentiator::derive`], or as unevaluated
    /// `diff` nodes for a step-by-step derivation).
    pub fn rule(
        &mut self,
        e: ExprId,
        dsub: &mut dyn FnMut(&mut Self, ExprId) -> ExprId,
    ) -> (Rule, ExprId) {
        if !self.mentions(e) {
            return (Rule::Constant, self.pool.int(0));
        }
        match self.pool.node(e).clone() {
            Node::Num(_)
            | Node::Const(_)
            | Node::Index(_)
            | Node::Len(_, _)
            | Node::Delta(_, _) => (Rule::Constant, self.pool.int(0)),
            // A whole tensor appears only as a call's argument, where the call's rule
            // handles it.
            Node::Tensor(_) => (Rule::Constant, self.pool.int(0)),
            Node::Sym(_) => (Rule::Variable, self.pool.int(1)),
            // An element of another tensor depends on the variable only through its
            // indices (`w[argmax(z)]`), which are piecewise constant.
            Node::Elem(t, _) if t != self.var.symbol => (Rule::Constant, self.pool.int(0)),
            Node::Elem(_, idx) => {
                let mut deltas = Vec::with_capacity(idx.len());
                for (a, &i) in idx.iter().enumerate() {
                    let v = self.var.indices.get(a).copied().unwrap_or(i);
                    deltas.push(self.pool.delta(i, v));
                }
                (Rule::Element, self.pool.mul(deltas))
            }
            Node::Add(ts) => {
                let mut parts = Vec::new();
                for &t in ts.iter() {
                    if self.mentions(t) {
                        parts.push(dsub(self, t));
                    }
                }
                (Rule::Linearity, self.pool.add(parts))
            }
            Node::Mul(fs) => {
                let varying: Vec<usize> = (0..fs.len()).filter(|&k| self.mentions(fs[k])).collect();
                let rule = if varying.len() == 1 {
                    Rule::ConstantMultiple
                } else {
                    Rule::ProductRule
                };
                let mut terms = Vec::with_capacity(varying.len());
                for &k in &varying {
                    let dk = dsub(self, fs[k]);
                    let mut factors: Vec<ExprId> = Vec::with_capacity(fs.len());
                    factors.extend(
                        fs.iter()
                            .enumerate()
                            .filter(|&(j, _)| j != k)
                            .map(|(_, &f)| f),
                    );
                    factors.push(dk);
                    terms.push(self.pool.mul(factors));
                }
                (rule, self.pool.add(terms))
            }
            Node::Pow(u, v) => self.power(u, v, dsub),
            Node::Func(f, u) => {
                let outer = self.outer_derivative(f, u);
                let du = dsub(self, u);
                (Rule::Chain(f), self.pool.mul(vec![outer, du]))
            }
            Node::Sum { index, range, body } => {
                // The variable's indices are free; a bound index of the same name is
                // renamed first, so that `diff(sum(j, z[j]), z[j])` is 1, not n.
                let (index, body) = if self
                    .var
                    .indices
                    .iter()
                    .any(|&i| self.pool.free_symbols(i).contains(&index))
                {
                    let fresh = self.pool.fresh_index_symbol();
                    let to = self.pool.index(fresh);
                    (fresh, self.pool.rename_index(body, index, to))
                } else {
                    (index, body)
                };
                let db = dsub(self, body);
                let s = self.pool.sum(index, range, db);
                let known = self.known_ranges();
                (Rule::SumRule, self.pool.contract_with(s, &known))
            }
            Node::Call { .. } if self.pool.as_reduction(e).is_some() => {
                let element = reduced_element(self.pool, e);
                (Rule::ReductionElement, dsub(self, element))
            }
            Node::Call { .. } => {
                let body = self.pool.expand_call(e).unwrap_or_else(|| self.pool.int(0));
                (Rule::ExpandDefinition, dsub(self, body))
            }
            Node::Diff { expr, var, order } => {
                let inner = derive_n(self.pool, expr, var, order)
                    .map(|(d, _)| d)
                    .unwrap_or(e);
                if inner == e {
                    return (Rule::InnerDerivative, self.pool.diff(e, self.var.node, 1));
                }
                (Rule::InnerDerivative, dsub(self, inner))
            }
        }
    }

    fn power(
        &mut self,
        u: ExprId,
        v: ExprId,
        dsub: &mut dyn FnMut(&mut Self, ExprId) -> ExprId,
    ) -> (Rule, ExprId) {
        let (mu, mv) = (self.mentions(u), self.mentions(v));
        let p = self.pool.pow(u, v);
        if !mv {
            // n u^(n-1) u'
            let m1 = self.pool.int(-1);
            let e1 = self.pool.add(vec![v, m1]);
            let pw = self.pool.pow(u, e1);
            let du = dsub(self, u);
            return (Rule::PowerRule, self.pool.mul(vec![v, pw, du]));
        }
        let ln_u = self.pool.func(Func::Ln, u);
        let dv = dsub(self, v);
        if !mu {
            return (Rule::ExponentialRule, self.pool.mul(vec![p, ln_u, dv]));
        }
        let du = dsub(self, u);
        let t1 = self.pool.mul(vec![dv, ln_u]);
        let inv_u = self.pool.recip(u);
        let t2 = self.pool.mul(vec![v, du, inv_u]);
        let s = self.pool.add(vec![t1, t2]);
        (Rule::GeneralPowerRule, self.pool.mul(vec![p, s]))
    }

    /// f'(u) for a builtin f, noting where it does not exist.
    fn outer_derivative(&mut self, f: Func, u: ExprId) -> ExprId {
        if f == Func::Abs {
            self.conditions.push(Condition {
                nonzero: u,
                reason: Func::Abs,
            });
        }
        outer_derivative(self.pool, f, u)
    }
}

/// f'(u) for a builtin f: the outer factor of the chain rule.
pub fn outer_derivative(pool: &mut Pool, f: Func, u: ExprId) -> ExprId {
    match f {
        Func::Exp => pool.func(Func::Exp, u),
        Func::Ln => pool.recip(u),
        Func::Sin => pool.func(Func::Cos, u),
        Func::Cos => {
            let s = pool.func(Func::Sin, u);
            pool.neg(s)
        }
        Func::Tan => {
            let t = pool.func(Func::Tan, u);
            let two = pool.int(2);
            let t2 = pool.pow(t, two);
            let one = pool.int(1);
            pool.add(vec![one, t2])
        }
        Func::Sinh => pool.func(Func::Cosh, u),
        Func::Cosh => pool.func(Func::Sinh, u),
        Func::Tanh => {
            let t = pool.func(Func::Tanh, u);
            let two = pool.int(2);
            let t2 = pool.pow(t, two);
            let one = pool.int(1);
            let nt2 = pool.neg(t2);
            pool.add(vec![one, nt2])
        }
        Func::Asin | Func::Acos => {
            let two = pool.int(2);
            let u2 = pool.pow(u, two);
            let one = pool.int(1);
            let nu2 = pool.neg(u2);
            let d = pool.add(vec![one, nu2]);
            let mh = pool.rational(-1, 2);
            let r = pool.pow(d, mh);
            if f == Func::Asin { r } else { pool.neg(r) }
        }
        Func::Atan => {
            let two = pool.int(2);
            let u2 = pool.pow(u, two);
            let one = pool.int(1);
            let d = pool.add(vec![one, u2]);
            pool.recip(d)
        }
        Func::Erf => {
            let two = pool.int(2);
            let u2 = pool.pow(u, two);
            let nu2 = pool.neg(u2);
            let g = pool.func(Func::Exp, nu2);
            let pi = pool.constant(Constant::Pi);
            let mh = pool.rational(-1, 2);
            let rpi = pool.pow(pi, mh);
            pool.mul(vec![two, rpi, g])
        }
        Func::Abs => {
            let a = pool.func(Func::Abs, u);
            let ra = pool.recip(a);
            pool.mul(vec![u, ra])
        }
        Func::Sigmoid => {
            let s = pool.func(Func::Sigmoid, u);
            let one = pool.int(1);
            let ns = pool.neg(s);
            let c = pool.add(vec![one, ns]);
            pool.mul(vec![s, c])
        }
        Func::Softplus => pool.func(Func::Sigmoid, u),
    }
}

/// The `order`-th derivative of `expr` with respect to `var`, with the conditions under
/// which it holds.
pub fn derive_n(
    pool: &mut Pool,
    expr: ExprId,
    var: ExprId,
    order: u32,
) -> Result<(ExprId, Vec<Condition>)> {
    // By a named intermediate: by its stand-in, then back in the intermediate's name.
    if let Some(adj) = crate::calculus::adjoint::Adjoint::new(pool, expr, var)? {
        let (d, conditions) = derive_n(pool, adj.expr, adj.var, order)?;
        let mut all = adj.conditions.clone();
        all.extend(conditions);
        let conditions = adj.back_conditions(pool, all);
        return Ok((adj.back(pool, d), conditions));
    }
    let mut d = expr;
    let mut conditions = Vec::new();
    for k in 1..=order {
        let mut differ = Differentiator::new(pool, var)?;
        let expanded = differ.expand_dependent_calls(d);
        d = differ.derive(expanded);
        conditions.append(&mut differ.conditions);
        check_size(pool, d, k)?;
    }
    Ok((d, conditions))
}

/// The largest derivative, counted in distinct nodes (its DAG), that differentiation
/// will produce. Repeated differentiation of a product grows exponentially, so without
/// a budget a request like `diff --order 40` would exhaust memory instead of answering.
/// The DAG is the measure because it is what memory holds and what every later stage
/// walks: the derivative of a 30-layer convolution stack is a tree of billions of
/// nodes but a DAG of a few thousand, and is printed with shared `let` bindings.
pub const MAX_DERIVATIVE_SIZE: u64 = 200_000;

/// Stops a repeated differentiation whose `k`-th derivative has outgrown
/// [`MAX_DERIVATIVE_SIZE`] or the work budget, with an error that says which order did
/// it.
pub fn check_size(pool: &Pool, d: ExprId, k: u32) -> Result<()> {
    if pool.over_budget() {
        return Err(Error::new(
            ErrorKind::Limit,
            format!("gave up at the derivative of order {k}: the work budget ran out"),
        )
        .with_hint("ask for a lower order, or raise the budget with --budget"));
    }
    let size = crate::expr::size::dag_size(pool, d) as u64;
    if size > MAX_DERIVATIVE_SIZE {
        return Err(Error::new(
            ErrorKind::Limit,
            format!(
                "derivative of order {k} has {size} distinct nodes, more than the limit of {MAX_DERIVATIVE_SIZE}"
            ),
        )
        .with_hint("ask for a lower order, or simplify the expression before differentiating"));
    }
    Ok(())
}

/// The element a maximum or minimum over a vector takes, `v[argmax(v)]`: its
/// derivative is the reduction's, the position held fixed (a valid subgradient at
/// ties, where the first largest element is taken, as NumPy's `argmax` takes it). A
/// position reduction (`argmax`) has none: it is an index, never differentiated.
pub fn reduced_element(pool: &mut crate::expr::pool::Pool, e: ExprId) -> ExprId {
    let Node::Call { def, args, .. } = pool.node(e).clone() else {
        return e;
    };
    let (Some(r), Some(&vector)) = (pool.reduction_of(def), args.first()) else {
        return e;
    };
    if r.is_position() {
        return e;
    }
    let span = pool.definition(def).span;
    let position = pool.reduction(r.position(), span);
    let at = pool.call(position, vec![vector], Vec::new());
    pool.index_tensor(vector, vec![at])
}
