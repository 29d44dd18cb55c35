//! Lemmas: proved claims that a claim cites with `by`, used as rewrites in its
//! derivations.
//!
//! A lemma is one of four forms ([`Form`]):
//!
//! - a **derivative rule** `diff(F, x) = R`, with `x` a scalar name: where a
//!   derivation meets `diff(F[x := u], v)`, one step makes it `R[x := u] * diff(u, v)`
//!   (`R[x := u]` when `u` is `v`), by the chain rule through `F`. It applies only
//!   when `F` depends on `v` through `x` alone, and it takes precedence over writing
//!   out the definitions inside `F`: a derivation that has `sigmoid_prime` never
//!   writes `sigmoid` out;
//! - a **derivative of higher order** `diff(F, x, m) = R` (`m` at least 2), or a
//!   derivative rule met in a derivative of higher order: `diff(F[x := v], v, n)` with
//!   `n >= m` becomes `diff(R[x := v], v, n - m)` (`R[x := v]` when `n = m`), where
//!   `v` is the derivative's own variable, a scalar or an element. The n-th derivative
//!   is the (n - m)-th derivative of the m-th, and `R` equals the m-th derivative as a
//!   function of `x`, so their derivatives agree. Only `x` is renamed: the chain rule
//!   of higher order (Faà di Bruno's formula) is not used, so `diff(F[x := 2*v], v, 2)`
//!   is derived as usual;
//! - a **derivative by an element** `diff(F, z[k]) = R`, with `z` a tensor and `k`
//!   index names (see [`ElementForm`]): where a derivation meets `diff(F[σ], w[y])`, one
//!   step makes it `R[σ]`, with `σ` renaming `z` to `w` and the lemma's free indices
//!   to the target's. The lemma holds for every value of each free index, so two of
//!   them may become the same index (`diff(softmax(z)[i], z[i])`). Where `z` stands
//!   for a tensor-valued call `u` that depends on the variable `v`, the step is the
//!   chain rule through `z`, a sum over the axes of `u`:
//!   `sum(m, R[σ, k := m] * diff(u[m], v))`;
//! - an **equality** `lhs = rhs`: an instance `lhs[σ]` becomes `rhs[σ]`, where `σ`
//!   maps the lemma's free scalar names that no `assume` fact mentions to expressions,
//!   and renames free indices one to one; tensors, definitions and the other names
//!   stay themselves. An instance may also be part of a sum or a product: the terms
//!   or factors of `lhs` among more.
//!
//! A name that an `assume` fact constrains is never substituted: the lemma was proved
//! only under the fact, for that name. Nor is a name that a called definition uses as
//! a global (`c` in `let g(t) = t + c`), since substituting it in the lemma's text
//! would not substitute it in the definition's body. A tensor whose length the
//! workspace records equal to others' stands only for a tensor whose length is
//! recorded equal to the same, since the lemma may rest on that equality.
//! Each instance found by matching is confirmed by substitution (`lhs[σ]` built by
//! the pool's constructors is the matched expression itself), so a match can only
//! miss, never mislead; and the step checker (`verify`) re-derives every instance on
//! its own.

mod element;
mod higher;
mod matcher;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::calculus::derivative::Differentiator;
use crate::diag::error::Result;
use crate::expr::node::{ExprId, Node, Symbol};
use crate::expr::pool::Pool;
use crate::expr::subst::Subst;
use crate::lower::workspace::{Fact, Lemma, Workspace};
use crate::trace::{Rewrite, Rule, Step};

pub use element::ElementForm;
pub use higher::rewrite_higher_orders;
use matcher::{Binding, Matcher};

/// A lemma ready to rewrite with.
#[derive(Clone, Debug)]
pub struct LemmaRule {
    /// The rule its instances cite: [`Rule::Lemma`] with its name.
    pub rule: Rule,
    /// What it rewrites.
    pub form: Form,
}

/// The forms of a lemma (see the module docs).
#[derive(Clone, Debug)]
pub enum Form {
    /// `diff(function, var, order) = derivative`, by a scalar.
    Derivative {
        /// `F`, the function differentiated.
        function: ExprId,
        /// `x`, the scalar it is differentiated by.
        var: Symbol,
        /// How many times: 1 for a derivative rule, more for a lemma of higher order.
        order: u32,
        /// `R`, the derivative.
        derivative: ExprId,
        /// Whether `x` may be replaced by an expression: no fact mentions it and no
        /// called definition uses it as a global.
        substitutable: bool,
        /// The names `F` depends on besides `x` (directly or through the globals of
        /// the definitions it calls): the lemma applies to `diff(F[x := u], v)` only
        /// when `v` is none of them.
        others: Vec<Symbol>,
    },
    /// `diff(function, z[k]) = derivative`, by an element (see [`ElementForm`]).
    Element(ElementForm),
    /// `lhs = rhs`, with the scalar names that an instance may replace.
    Equality {
        /// The left side, the pattern.
        lhs: ExprId,
        /// The right side, what an instance becomes.
        rhs: ExprId,
        /// The names of `lhs` that are pattern variables.
        vars: Vec<Symbol>,
    },
}

/// What a workspace fixes for the instances of a lemma: the names that the facts
/// mention (directly or through the definitions they call), which no instance may
/// replace, and the lengths it records equal, each with its class's representative.
#[derive(Clone, Debug, Default)]
pub struct Fixed {
    names: FxHashSet<Symbol>,
    lengths: FxHashMap<ExprId, ExprId>,
}

impl Fixed {
    /// What a workspace fixes.
    pub fn of(ws: &Workspace) -> Fixed {
        let pairs: Vec<(ExprId, ExprId)> =
            ws.equal_lengths.iter().map(|&(a, b, _)| (a, b)).collect();
        Fixed {
            names: fact_names(&ws.pool, &ws.facts),
            lengths: ws.pool.length_representatives(&pairs),
        }
    }

    /// The lengths recorded equal to `len`, itself among them; empty when none is.
    pub fn class_of(&self, len: ExprId) -> Vec<ExprId> {
        let root = self.lengths.get(&len).copied().unwrap_or(len);
        let mut out: Vec<ExprId> = self
            .lengths
            .iter()
            .filter(|&(_, &r)| r == root)
            .map(|(&m, _)| m)
            .collect();
        if out.is_empty() {
            return out;
        }
        out.push(root);
        out.sort();
        out
    }
}

impl LemmaRule {
    /// The rule of a proved claim, or why it cannot rewrite: a derivative inside an
    /// equality or on a right side, a derivative by an element of higher order or
    /// with an index that is not a name, or a right side with a free index that its
    /// left side lacks.
    pub fn new(
        pool: &mut Pool,
        fixed: &Fixed,
        lemma: &Lemma,
    ) -> std::result::Result<LemmaRule, String> {
        let rule = crate::trace::lemma(&lemma.name);
        let lengths = fixed;
        let mut fixed = fixed.names.clone();
        fixed.extend(call_globals(pool, lemma.lhs));
        fixed.extend(call_globals(pool, lemma.rhs));
        if has_diff(pool, lemma.rhs) {
            return Err("its right side holds a derivative".into());
        }
        let left = pool.free_indices(lemma.lhs);
        if let Some(&i) = pool
            .free_indices(lemma.rhs)
            .iter()
            .find(|i| !left.contains(i))
        {
            return Err(format!(
                "its right side has the free index `{}`, which its left side lacks",
                pool.name(i)
            ));
        }
        if let Node::Diff { expr, var, order } = pool.node(lemma.lhs).clone() {
            if has_diff(pool, expr) {
                return Err("it differentiates an expression that holds a derivative".into());
            }
            let form = match pool.node(var).clone() {
                Node::Sym(x) => Form::Derivative {
                    function: expr,
                    var: x,
                    order,
                    derivative: lemma.rhs,
                    substitutable: !fixed.contains(&x),
                    others: others(pool, expr, x),
                },
                Node::Elem(z, idx) => {
                    let mut form = ElementForm::new(pool, &fixed, expr, z, &idx, order, lemma.rhs)?;
                    form.same_length = (0..idx.len() as u32)
                        .map(|a| {
                            let len = pool.len_of(z, a);
                            lengths.class_of(len)
                        })
                        .collect();
                    Form::Element(form)
                }
                _ => return Err("it is a derivative by neither a scalar nor an element".into()),
            };
            return Ok(LemmaRule { rule, form });
        }
        if has_diff(pool, lemma.lhs) {
            return Err("its left side holds a derivative inside an expression: a lemma is a derivative `diff(f, x) = ...` as a whole side, or an equality free of derivatives".into());
        }
        let mut vars = Vec::new();
        scalar_names(pool, lemma.lhs, &mut vars);
        vars.retain(|s| !fixed.contains(s));
        Ok(LemmaRule {
            rule,
            form: Form::Equality {
                lhs: lemma.lhs,
                rhs: lemma.rhs,
                vars,
            },
        })
    }

    /// Whether it is a first derivative rule, by a scalar or an element, which a
    /// derivation taken one rule at a time applies ([`Differentiator::lemma_rule`]).
    pub fn is_derivative(&self) -> bool {
        match &self.form {
            Form::Derivative { order, .. } => *order == 1,
            Form::Element(_) => true,
            Form::Equality { .. } => false,
        }
    }

    /// Whether it is an equality.
    pub fn is_equality(&self) -> bool {
        matches!(self.form, Form::Equality { .. })
    }
}

/// The rules of the lemmas that can rewrite, of those given.
pub fn rules(ws: &mut Workspace, lemmas: &[Lemma]) -> Vec<LemmaRule> {
    let fixed = Fixed::of(ws);
    lemmas
        .iter()
        .filter_map(|l| LemmaRule::new(&mut ws.pool, &fixed, l).ok())
        .collect()
}

/// Why the lemma cannot rewrite, or `None` when it can.
pub fn unusable(ws: &mut Workspace, lemma: &Lemma) -> Option<String> {
    let fixed = Fixed::of(ws);
    LemmaRule::new(&mut ws.pool, &fixed, lemma).err()
}

/// Every name the facts mention, directly or through the definitions they call.
fn fact_names(pool: &Pool, facts: &[Fact]) -> FxHashSet<Symbol> {
    let mut out = FxHashSet::default();
    for f in facts {
        for e in [f.subject, f.bound] {
            out.extend(pool.free_symbols(e).iter().copied());
            out.extend(call_globals(pool, e));
        }
    }
    out
}

/// The names that the definitions called in `e` use as globals, through the
/// definitions their bodies call too.
pub fn call_globals(pool: &Pool, e: ExprId) -> Vec<Symbol> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    let mut todo = pool.called_definitions(e);
    while let Some(def) = todo.pop() {
        if seen.contains(&def) {
            continue;
        }
        seen.push(def);
        let d = pool.definition(def);
        let local: Vec<Symbol> = d
            .params
            .iter()
            .map(|p| p.name)
            .chain(d.indices.iter().copied())
            .collect();
        for &s in pool.free_symbols(d.body).iter() {
            if !local.contains(&s) && !out.contains(&s) {
                out.push(s);
            }
        }
        todo.extend(pool.called_definitions(d.body));
    }
    out
}

/// The names `f` depends on besides `x`, directly or through the globals of the
/// definitions it calls: a derivative lemma's instance has none of them for its
/// variable, since the lemma differentiates `f` through `x` alone.
fn others(pool: &Pool, f: ExprId, x: Symbol) -> Vec<Symbol> {
    let mut out: Vec<Symbol> = pool
        .free_symbols(f)
        .iter()
        .copied()
        .filter(|&s| s != x)
        .collect();
    out.extend(call_globals(pool, f));
    out
}

/// The distinct nodes of `e`, each once, depth first.
fn nodes(pool: &Pool, e: ExprId) -> Vec<ExprId> {
    let mut out = Vec::new();
    let mut todo = vec![e];
    let mut seen = FxHashSet::default();
    while let Some(x) = todo.pop() {
        if seen.insert(x) {
            out.push(x);
            todo.extend(crate::expr::node::children(pool.node(x)));
        }
    }
    out
}

/// Whether `e` holds a derivative.
fn has_diff(pool: &Pool, e: ExprId) -> bool {
    nodes(pool, e)
        .into_iter()
        .any(|x| matches!(pool.node(x), Node::Diff { .. }))
}

/// The scalar names (`Node::Sym`) in `e`, in the order first met.
fn scalar_names(pool: &Pool, e: ExprId, out: &mut Vec<Symbol>) {
    for x in nodes(pool, e) {
        if let Node::Sym(s) = pool.node(x)
            && !out.contains(s)
        {
            out.push(*s);
        }
    }
}

/// An instance of an equality lemma at `t`: what `t` becomes, or `None`.
fn equality_instance(pool: &mut Pool, rule: &LemmaRule, t: ExprId) -> Option<ExprId> {
    let Form::Equality { lhs, rhs, vars } = &rule.form else {
        return None;
    };
    let (lhs, rhs) = (*lhs, *rhs);
    let mut m = Matcher::new(vars);
    let mut b = Binding::default();
    // The whole of `t`, or some of the terms of a sum or the factors of a product.
    let rest: Vec<ExprId> = if m.matches(pool, lhs, t, &mut b) {
        Vec::new()
    } else {
        let (ps, ts) = match (pool.node(lhs).clone(), pool.node(t).clone()) {
            (Node::Add(ps), Node::Add(ts)) | (Node::Mul(ps), Node::Mul(ts))
                if ps.len() < ts.len() =>
            {
                (ps, ts)
            }
            _ => return None,
        };
        let left = m.permuted(pool, &ps, &ts, &mut b)?;
        left.into_iter().map(|k| ts[k]).collect()
    };
    let s = b.subst(pool);
    let l = pool.substitute(lhs, &s);
    let r = pool.substitute(rhs, &s);
    let is_sum = matches!(pool.node(t), Node::Add(_));
    let join = |pool: &mut Pool, e: ExprId| {
        if rest.is_empty() {
            return e;
        }
        let mut all = rest.clone();
        all.push(e);
        if is_sum { pool.add(all) } else { pool.mul(all) }
    };
    // The instance is confirmed by substitution: matching only proposes it.
    (join(pool, l) == t).then(|| join(pool, r))
}

/// `e` with every instance of the equality lemmas rewritten, outermost first, and the
/// step that does it; `None` when no lemma has an instance.
pub fn rewrite_equalities(pool: &mut Pool, e: ExprId, rules: &[LemmaRule]) -> Option<Step> {
    if !rules.iter().any(LemmaRule::is_equality) {
        return None;
    }
    // Derivatives are taken before lemmas rewrite, and a derivative's variable is no
    // place for an instance.
    rewrite_outermost(pool, e, false, &mut |pool, x| {
        rules.iter().find_map(|rule| {
            equality_instance(pool, rule, x)
                .filter(|&r| r != x)
                .map(|r| (rule.rule, r))
        })
    })
}

/// `e` with each node where `at` finds an instance rewritten to what `at` gives,
/// outermost first (the result is not entered again), and the step that does it;
/// `None` when nothing is rewritten. Derivatives are entered (their expressions, never
/// their variables) only when `into_derivatives` is set.
fn rewrite_outermost(
    pool: &mut Pool,
    e: ExprId,
    into_derivatives: bool,
    at: &mut Instances<'_>,
) -> Option<Step> {
    let mut rewrites = Vec::new();
    let mut memo = FxHashMap::default();
    let mut walk = Walk {
        into_derivatives,
        at,
        rewrites: &mut rewrites,
        memo: &mut memo,
    };
    let out = walk.rewrite(pool, e);
    (out != e).then(|| Step::from_rewrites(e, out, rewrites))
}

/// What finds an instance at a node: the rule it cites and what the node becomes.
type Instances<'a> = dyn FnMut(&mut Pool, ExprId) -> Option<(Rule, ExprId)> + 'a;

/// The state of [`rewrite_outermost`].
struct Walk<'a> {
    into_derivatives: bool,
    at: &'a mut Instances<'a>,
    rewrites: &'a mut Vec<Rewrite>,
    memo: &'a mut FxHashMap<ExprId, ExprId>,
}

impl Walk<'_> {
    fn rewrite(&mut self, pool: &mut Pool, e: ExprId) -> ExprId {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.rewrite(pool, e));
        }
        if let Some(&r) = self.memo.get(&e) {
            return r;
        }
        let node = pool.node(e).clone();
        let is_diff = matches!(node, Node::Diff { .. });
        if is_diff && !self.into_derivatives {
            return e;
        }
        if let Some((rule, r)) = (self.at)(pool, e)
            && r != e
        {
            self.rewrites.push(Rewrite::new(rule, e, r));
            self.memo.insert(e, r);
            return r;
        }
        let kids: Vec<ExprId> = match node {
            Node::Diff { expr, var, .. } => vec![self.rewrite(pool, expr), var],
            other => crate::expr::node::children(&other)
                .into_iter()
                .map(|c| self.rewrite(pool, c))
                .collect(),
        };
        let out = pool.rebuild(e, &kids);
        self.memo.insert(e, out);
        out
    }
}

impl Differentiator<'_> {
    /// The derivative of `e` by a first derivative lemma: the lemma's rule, the
    /// result, and whether the chain rule took part (the lemma's variable stood for an
    /// inner expression). `None` when no lemma applies.
    pub fn lemma_rule(&mut self, e: ExprId) -> Option<(Rule, ExprId, bool)> {
        if !self.mentions(e) {
            return None;
        }
        for rule in self.lemmas().to_vec() {
            let found = match &rule.form {
                Form::Derivative {
                    function,
                    var,
                    order: 1,
                    derivative,
                    substitutable,
                    others,
                } => self.scalar_instance(*function, *var, *derivative, *substitutable, others, e),
                Form::Element(form) => self.element_instance(form, e),
                Form::Derivative { .. } | Form::Equality { .. } => None,
            };
            if let Some((r, chained)) = found {
                return Some((rule.rule, r, chained));
            }
        }
        None
    }

    /// `diff(e, v)` by the lemma `diff(function, x) = derivative`, when `e` is
    /// `function[x := u]`: the result, and whether the chain rule took part.
    fn scalar_instance(
        &mut self,
        function: ExprId,
        x: Symbol,
        derivative: ExprId,
        substitutable: bool,
        others: &[Symbol],
        e: ExprId,
    ) -> Option<(ExprId, bool)> {
        let var = self.variable();
        if others.contains(&self.variable_symbol()) {
            return None;
        }
        let vars = [x];
        let mut m = Matcher::new(&vars);
        let mut b = Binding::default();
        if !m.matches(self.pool(), function, e, &mut b) {
            return None;
        }
        let x_node = self.pool().sym(x);
        let u = b
            .scalars
            .iter()
            .find(|(s, _)| *s == x)
            .map_or(x_node, |&(_, u)| u);
        if (u != x_node && !substitutable) || !b.indices.iter().all(|(i, j)| i == j) {
            return None;
        }
        let mut s = Subst::default();
        s.scalars.insert(x, u);
        if self.pool().substitute(function, &s) != e || !self.mentions(u) {
            return None;
        }
        let outer = self.pool().substitute(derivative, &s);
        if u == var {
            return Some((outer, false));
        }
        let inner = self.pool().diff(u, var, 1);
        Some((self.pool().mul(vec![outer, inner]), true))
    }
}

/// A whole expression with its derivatives taken one rule at a time, lemmas first.
pub struct Taken {
    /// The expression with no derivative left.
    pub result: ExprId,
    /// The steps, from the expression to the result.
    pub steps: Vec<Step>,
    /// The derivatives' variables' indices with the lengths they range below.
    pub known: Vec<(ExprId, ExprId)>,
}

/// The most rounds [`differentiate_with_lemmas`] takes.
const MAX_ROUNDS: usize = 64;

/// The derivatives in `e` taken step by step, where a derivative lemma applies by the
/// lemma (see the module docs); `None` when no lemma applies, or when `e` holds a
/// derivative this does not take (of higher order, by an intermediate, or of a
/// derivative), so that the caller takes them as it would without lemmas.
pub fn differentiate_with_lemmas(
    pool: &mut Pool,
    e: ExprId,
    rules: &[LemmaRule],
) -> Result<Option<Taken>> {
    if !rules.iter().any(LemmaRule::is_derivative) {
        return Ok(None);
    }
    let mut diffs = Vec::new();
    outer_diffs(pool, e, &mut diffs, &mut FxHashSet::default());
    let plain = |pool: &Pool, &(_, expr, var, order): &(ExprId, ExprId, ExprId, u32)| {
        order == 1
            && matches!(pool.node(var), Node::Sym(_) | Node::Elem(..))
            && !has_diff(pool, expr)
    };
    if diffs.is_empty() || !diffs.iter().all(|d| plain(pool, d)) {
        return Ok(None);
    }
    let mut steps = Vec::new();
    // First, the definitions that depend on each variable are written out, except
    // where a lemma covers them.
    let mut rewrites = Vec::new();
    for &(node, expr, var, _) in &diffs {
        let mut d = Differentiator::new(pool, var)?.with_lemmas(rules);
        let expanded = d.expand_dependent_calls(expr);
        if expanded != expr {
            let after = pool.diff(expanded, var, 1);
            rewrites.push(Rewrite::new(Rule::ExpandDefinition, node, after));
        }
    }
    let mut cur = e;
    if !rewrites.is_empty() {
        let map: FxHashMap<ExprId, ExprId> = rewrites.iter().map(|r| (r.before, r.after)).collect();
        let next = replaced(pool, e, &map, &mut FxHashMap::default());
        steps.push(Step::from_rewrites(e, next, rewrites));
        cur = next;
    }
    let mut known = Vec::new();
    let mut fired = false;
    for _ in 0..MAX_ROUNDS {
        let mut log = Round::default();
        let next = round(pool, cur, rules, &mut log, &mut known)?;
        if next == cur {
            break;
        }
        fired |= log.used.iter().any(|r| matches!(r, Rule::Lemma(_)));
        log.used.sort();
        log.used.dedup();
        if log.used.len() > 1 {
            log.used.retain(|r| *r != Rule::Constant);
        }
        steps.push(Step {
            rules: log.used,
            before: cur,
            after: next,
            rewrites: log.rewrites,
        });
        cur = next;
        if pool.over_budget() {
            return Ok(None);
        }
        let mut left = Vec::new();
        outer_diffs(pool, cur, &mut left, &mut FxHashSet::default());
        if left.is_empty() {
            return Ok(fired.then_some(Taken {
                result: cur,
                steps,
                known,
            }));
        }
    }
    Ok(None)
}

/// The rules and instances of one round.
#[derive(Default)]
struct Round {
    used: Vec<Rule>,
    rewrites: Vec<Rewrite>,
    memo: FxHashMap<ExprId, ExprId>,
}

/// Each outstanding derivative moved one level down: by a lemma where one applies,
/// else by its node's rule.
fn round(
    pool: &mut Pool,
    id: ExprId,
    rules: &[LemmaRule],
    log: &mut Round,
    known: &mut Vec<(ExprId, ExprId)>,
) -> Result<ExprId> {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || round(pool, id, rules, log, known));
    }
    if let Some(&r) = log.memo.get(&id) {
        return Ok(r);
    }
    let out = match pool.node(id).clone() {
        Node::Diff {
            expr,
            var,
            order: 1,
        } => {
            let mut d = Differentiator::new(pool, var)?.with_lemmas(rules);
            for k in d.known_ranges() {
                if !known.contains(&k) {
                    known.push(k);
                }
            }
            let (rules_used, r) = match d.lemma_rule(expr) {
                Some((rule, r, true)) => (vec![rule, Rule::LemmaChain], r),
                Some((rule, r, false)) => (vec![rule], r),
                None => {
                    let (rule, r) =
                        d.rule(expr, &mut |this, child| this.pool().diff(child, var, 1));
                    (vec![rule], r)
                }
            };
            log.rewrites.push(Rewrite::new(rules_used[0], id, r));
            log.used.extend(rules_used);
            r
        }
        other => {
            let mut kids = Vec::new();
            for c in crate::expr::node::children(&other) {
                kids.push(round(pool, c, rules, log, known)?);
            }
            pool.rebuild(id, &kids)
        }
    };
    log.memo.insert(id, out);
    Ok(out)
}

/// The outermost derivatives in `e`: each node with its expression, variable and order.
fn outer_diffs(
    pool: &Pool,
    e: ExprId,
    out: &mut Vec<(ExprId, ExprId, ExprId, u32)>,
    seen: &mut FxHashSet<ExprId>,
) {
    let mut todo = vec![e];
    while let Some(x) = todo.pop() {
        if !seen.insert(x) {
            continue;
        }
        match pool.node(x) {
            Node::Diff { expr, var, order } => out.push((x, *expr, *var, *order)),
            n => todo.extend(crate::expr::node::children(n)),
        }
    }
}

/// `e` with the nodes of `map` replaced, rebuilt by the canonical constructors.
fn replaced(
    pool: &mut Pool,
    e: ExprId,
    map: &FxHashMap<ExprId, ExprId>,
    memo: &mut FxHashMap<ExprId, ExprId>,
) -> ExprId {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || replaced(pool, e, map, memo));
    }
    if let Some(&r) = map.get(&e).or_else(|| memo.get(&e)) {
        return r;
    }
    let kids: Vec<ExprId> = crate::expr::node::children(pool.node(e))
        .into_iter()
        .map(|c| replaced(pool, c, map, memo))
        .collect();
    let out = pool.rebuild(e, &kids);
    memo.insert(e, out);
    out
}
