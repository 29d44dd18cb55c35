//! The checker's own derivatives, from its own table.
//!
//! This is not the derivative engine that produced the steps (`calculus`): it is a
//! second, plainer statement of the same calculus, one rule per node kind and a table
//! of `f'(u)` for each builtin function, written so that a bug in either one shows as a
//! disagreement. It takes a derivative one level at a time (to check a derivation's
//! single rule instances), all the way down (to check a `differentiate` step), and
//! inside any expression (to evaluate a step's sides numerically).

use rustc_hash::FxHashMap;

use crate::expr::definition::Reduce;
use crate::expr::node::{Constant, ExprId, Func, Node, Symbol};
use crate::expr::pool::Pool;
use crate::trace::Rule;

/// Takes every `diff(...)` inside an expression, innermost first, and leaves the rest
/// as it is; an error when a derivative's variable is not a name or an element.
pub(super) fn take_derivatives(pool: &mut Pool, id: ExprId) -> Result<ExprId, String> {
    fn rec(
        pool: &mut Pool,
        id: ExprId,
        memo: &mut FxHashMap<ExprId, ExprId>,
    ) -> Result<ExprId, String> {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || rec(pool, id, memo));
        }
        if let Some(&r) = memo.get(&id) {
            return Ok(r);
        }
        let kids: Vec<ExprId> = crate::expr::node::children(pool.node(id))
            .into_iter()
            .map(|c| rec(pool, c, memo))
            .collect::<Result<_, _>>()?;
        let rebuilt = pool.rebuild(id, &kids);
        let out = match pool.node(rebuilt).clone() {
            Node::Diff { expr, var, order } => {
                let mut d = Derivative::new(pool, var)?;
                (0..order).fold(expr, |x, _| d.full(pool, x))
            }
            _ => rebuilt,
        };
        memo.insert(id, out);
        Ok(out)
    }
    rec(pool, id, &mut FxHashMap::default())
}

/// The checker's own derivatives, from its own table.
pub(super) struct Derivative {
    /// The variable's symbol (a scalar's, or an element's tensor's).
    symbol: Symbol,
    /// The variable's node.
    var: ExprId,
    /// The element's indices; empty for a scalar.
    indices: Vec<ExprId>,
    /// Whether each expression seen depends on the variable.
    depends: FxHashMap<ExprId, bool>,
    /// Each expression seen with its calls expanded.
    expanded: FxHashMap<ExprId, ExprId>,
    /// The full derivatives taken so far.
    memo: FxHashMap<ExprId, ExprId>,
}

impl Derivative {
    /// Derivatives with respect to `var`; an error unless it is a name or an element.
    pub(super) fn new(pool: &Pool, var: ExprId) -> Result<Derivative, String> {
        let (symbol, indices) = match pool.node(var) {
            Node::Sym(s) => (*s, Vec::new()),
            Node::Elem(t, idx) => (*t, idx.to_vec()),
            _ => return Err("the derivative's variable is not a name or an element".into()),
        };
        Ok(Derivative {
            symbol,
            var,
            indices,
            depends: FxHashMap::default(),
            expanded: FxHashMap::default(),
            memo: FxHashMap::default(),
        })
    }

    /// Whether `e` depends on the variable, through the bodies of the calls it makes:
    /// whether the variable's name is free in `e` once every call is expanded.
    fn depends(&mut self, pool: &mut Pool, e: ExprId) -> bool {
        if let Some(&d) = self.depends.get(&e) {
            return d;
        }
        let expanded = self.expand(pool, e);
        let d = pool.free_symbols(expanded).contains(&self.symbol);
        self.depends.insert(e, d);
        d
    }

    /// `e` with every call replaced by its definition's body, recursively (inside
    /// unevaluated derivatives too). The expansions are remembered across questions,
    /// so that asking about every subexpression of a large expression stays linear.
    fn expand(&mut self, pool: &mut Pool, e: ExprId) -> ExprId {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.expand(pool, e));
        }
        if let Some(&x) = self.expanded.get(&e) {
            return x;
        }
        let kids: Vec<ExprId> = crate::expr::node::children(pool.node(e))
            .into_iter()
            .map(|c| self.expand(pool, c))
            .collect();
        let rebuilt = pool.rebuild(e, &kids);
        let out = match pool.expand_call(rebuilt) {
            Some(body) if body != rebuilt => self.expand(pool, body),
            _ => rebuilt,
        };
        self.expanded.insert(e, out);
        out
    }

    /// The rule that differentiates `e`.
    pub(super) fn rule_for(&mut self, pool: &mut Pool, e: ExprId) -> Rule {
        if !self.depends(pool, e) {
            return Rule::Constant;
        }
        match pool.node(e).clone() {
            Node::Sym(_) => Rule::Variable,
            // Indices are piecewise constant: only the variable's own tensor varies.
            Node::Elem(t, _) if t != self.symbol => Rule::Constant,
            Node::Elem(..) => Rule::Element,
            Node::Add(_) => Rule::Linearity,
            Node::Mul(fs) => {
                let varying = fs.iter().filter(|&&f| self.depends(pool, f)).count();
                if varying == 1 {
                    Rule::ConstantMultiple
                } else {
                    Rule::ProductRule
                }
            }
            Node::Pow(u, v) => match (self.depends(pool, u), self.depends(pool, v)) {
                (_, false) => Rule::PowerRule,
                (false, true) => Rule::ExponentialRule,
                (true, true) => Rule::GeneralPowerRule,
            },
            Node::Func(f, _) => Rule::Chain(f),
            Node::Sum { .. } => Rule::SumRule,
            Node::Call { def, .. } if pool.reduction_of(def).is_some() => Rule::ReductionElement,
            Node::Call { .. } => Rule::ExpandDefinition,
            Node::Diff { .. } => Rule::InnerDerivative,
            Node::Num(_)
            | Node::Const(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Len(..)
            | Node::Delta(..) => Rule::Constant,
        }
    }

    /// The derivative of `e`, one level: the children's derivatives stay `diff(...)`.
    pub(super) fn one_level(&mut self, pool: &mut Pool, e: ExprId) -> ExprId {
        let var = self.var;
        self.rule(pool, e, &mut |_, pool, c| pool.diff(c, var, 1))
    }

    /// The derivative of `e`, all the way down.
    pub(super) fn full(&mut self, pool: &mut Pool, e: ExprId) -> ExprId {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.full(pool, e));
        }
        if let Some(&d) = self.memo.get(&e) {
            return d;
        }
        let d = self.rule(pool, e, &mut |this, pool, c| this.full(pool, c));
        self.memo.insert(e, d);
        d
    }

    /// The derivative of `e` by its node's rule, with `sub` giving the derivatives of
    /// the children that depend on the variable.
    fn rule(
        &mut self,
        pool: &mut Pool,
        e: ExprId,
        sub: &mut dyn FnMut(&mut Self, &mut Pool, ExprId) -> ExprId,
    ) -> ExprId {
        if !self.depends(pool, e) {
            return pool.int(0);
        }
        // A part that does not depend on the variable has derivative 0, written as 0
        // rather than left as `diff(...)`.
        let mut sub = |this: &mut Self, pool: &mut Pool, c: ExprId| {
            if this.depends(pool, c) {
                sub(this, pool, c)
            } else {
                pool.int(0)
            }
        };
        match pool.node(e).clone() {
            Node::Sym(_) => pool.int(1),
            Node::Elem(t, _) if t != self.symbol => pool.int(0),
            Node::Elem(_, idx) => {
                let deltas = idx
                    .iter()
                    .zip(self.indices.clone())
                    .map(|(&i, v)| pool.delta(i, v))
                    .collect();
                pool.mul(deltas)
            }
            Node::Add(ts) => {
                let parts = ts.iter().map(|&t| sub(self, pool, t)).collect();
                pool.add(parts)
            }
            Node::Mul(fs) => {
                let mut terms = Vec::new();
                for k in 0..fs.len() {
                    let mut factors: Vec<ExprId> = fs.to_vec();
                    factors[k] = sub(self, pool, fs[k]);
                    terms.push(pool.mul(factors));
                }
                pool.add(terms)
            }
            Node::Pow(u, v) => {
                let (du, dv) = (sub(self, pool, u), sub(self, pool, v));
                // d(u^v) = u^v * (v' ln u + v u'/u), written so that a constant exponent
                // or base needs no logarithm.
                let p = pool.pow(u, v);
                let mut terms = Vec::new();
                if !pool.is_int(dv, 0) {
                    let l = pool.func(Func::Ln, u);
                    terms.push(pool.mul(vec![p, l, dv]));
                }
                if !pool.is_int(du, 0) {
                    let m1 = pool.int(-1);
                    let v1 = pool.add(vec![v, m1]);
                    let q = pool.pow(u, v1);
                    terms.push(pool.mul(vec![v, q, du]));
                }
                pool.add(terms)
            }
            Node::Func(f, u) => {
                let outer = table(pool, f, u);
                let du = sub(self, pool, u);
                pool.mul(vec![outer, du])
            }
            Node::Sum { index, range, body } => {
                // A bound index that a variable's index names is renamed first.
                let clash = self
                    .indices
                    .iter()
                    .any(|&i| pool.free_symbols(i).contains(&index));
                let (index, body) = if clash {
                    let fresh = pool.fresh_index_symbol();
                    let to = pool.index(fresh);
                    (fresh, pool.rename_index(body, index, to))
                } else {
                    (index, body)
                };
                let db = sub(self, pool, body);
                pool.sum(index, range, db)
            }
            // The checker's own reading of a maximum's derivative: the reduction's
            // value is an element of its vector, the one at the position `argmax`
            // gives, and that position is piecewise constant.
            Node::Call { def, ref args, .. } if pool.reduction_of(def).is_some() => {
                let (Some(r), Some(&v)) = (pool.reduction_of(def), args.first()) else {
                    return pool.diff(e, self.var, 1);
                };
                if r.is_position() {
                    return pool.int(0);
                }
                let which = if r.largest() {
                    Reduce::ArgMax
                } else {
                    Reduce::ArgMin
                };
                let span = pool.definition(def).span;
                let position = pool.reduction(which, span);
                let at = pool.call(position, vec![v], Vec::new());
                let element = pool.index_tensor(v, vec![at]);
                sub(self, pool, element)
            }
            Node::Call { .. } => {
                let body = pool.expand_call(e).unwrap_or(e);
                if body == e {
                    return pool.diff(e, self.var, 1);
                }
                sub(self, pool, body)
            }
            Node::Diff { expr, var, order } => {
                let inner = match Derivative::new(pool, var) {
                    Ok(mut d) => (0..order).fold(expr, |x, _| d.full(pool, x)),
                    Err(_) => return pool.diff(e, self.var, 1),
                };
                sub(self, pool, inner)
            }
            // Numbers, constants, indices, whole tensors, lengths and deltas do not
            // change with any variable.
            Node::Num(_)
            | Node::Const(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Len(..)
            | Node::Delta(..) => pool.int(0),
        }
    }
}

/// f'(u) for each builtin, as a calculus table states it.
fn table(pool: &mut Pool, f: Func, u: ExprId) -> ExprId {
    let two = pool.int(2);
    let one = pool.int(1);
    let minus_one = pool.int(-1);
    let square = |pool: &mut Pool, x: ExprId| pool.pow(x, two);
    match f {
        Func::Exp => pool.func(Func::Exp, u),
        Func::Ln => pool.pow(u, minus_one),
        Func::Sin => pool.func(Func::Cos, u),
        Func::Cos => {
            let s = pool.func(Func::Sin, u);
            pool.mul(vec![minus_one, s])
        }
        // sec^2 u = 1 + tan^2 u
        Func::Tan => {
            let t = pool.func(Func::Tan, u);
            let t2 = square(pool, t);
            pool.add(vec![one, t2])
        }
        Func::Sinh => pool.func(Func::Cosh, u),
        Func::Cosh => pool.func(Func::Sinh, u),
        // sech^2 u = 1 - tanh^2 u
        Func::Tanh => {
            let t = pool.func(Func::Tanh, u);
            let t2 = square(pool, t);
            let n = pool.mul(vec![minus_one, t2]);
            pool.add(vec![one, n])
        }
        Func::Asin | Func::Acos => {
            let u2 = square(pool, u);
            let n = pool.mul(vec![minus_one, u2]);
            let d = pool.add(vec![one, n]);
            let h = pool.rational(-1, 2);
            let r = pool.pow(d, h);
            if f == Func::Asin {
                r
            } else {
                pool.mul(vec![minus_one, r])
            }
        }
        Func::Atan => {
            let u2 = square(pool, u);
            let d = pool.add(vec![one, u2]);
            pool.pow(d, minus_one)
        }
        // 2/sqrt(pi) * exp(-u^2)
        Func::Erf => {
            let u2 = square(pool, u);
            let n = pool.mul(vec![minus_one, u2]);
            let g = pool.func(Func::Exp, n);
            let pi = pool.constant(Constant::Pi);
            let h = pool.rational(-1, 2);
            let r = pool.pow(pi, h);
            pool.mul(vec![two, r, g])
        }
        // sign(u) = u / |u|, away from 0
        Func::Abs => {
            let a = pool.func(Func::Abs, u);
            let r = pool.pow(a, minus_one);
            pool.mul(vec![u, r])
        }
        // sigma(u) (1 - sigma(u))
        Func::Sigmoid => {
            let s = pool.func(Func::Sigmoid, u);
            let n = pool.mul(vec![minus_one, s]);
            let c = pool.add(vec![one, n]);
            pool.mul(vec![s, c])
        }
        Func::Softplus => pool.func(Func::Sigmoid, u),
    }
}
