//! The simplifier: named, sound rewrites in phases, keeping the smallest form found.
//!
//! Each phase rewrites bottom-up and is recorded as one step of the derivation when it
//! changes the expression:
//!
//! 1. `sum-delta-contract` and `sum-linearity` (index calculus) and `distribute` (a
//!    product over a sum, kept only when the result is smaller), in primitive terms, so
//!    that a derivative cancels against the expression around it; with them the named
//!    rules of [`crate::simplify::rules`], and two rules of sums:
//!    `sum-distribute-delta` (a sum multiplied out so that a delta contracts) and
//!    `expand-in-sum` (a sum over calls written out, when it then cancels);
//! 2. `fold-definition`: bodies of definitions become calls (`softmax(z)[i]`);
//! 3. `factor-common`: a factor common to every term of a sum moves out, when smaller.
//!
//! Every rewrite here holds for all values where both sides are defined; rewrites that
//! need a side condition are in [`crate::simplify::rules`] and fire only when it is proved.

use rustc_hash::FxHashMap;

use crate::expr::node::{DefId, ExprId, Node};
use crate::expr::pool::Pool;
pub use crate::expr::size::{dag_size, tree_size};
use crate::simplify::fold::{Folder, patterns};
use crate::trace::{Rewrite, Rule, Step};

/// The most nodes a sum's body may have, with its definitions written out, for
/// `expand-in-sum` to simplify it.
const MAX_WRITTEN: usize = 200;

/// The most terms a product may multiply out to in `expand-in-sum`.
const EXPAND_IN_SUM_TERMS: usize = 16;

/// Whether `e` holds a call of a definition.
fn has_call(pool: &Pool, e: ExprId) -> bool {
    let mut todo = vec![e];
    let mut seen = rustc_hash::FxHashSet::default();
    while let Some(x) = todo.pop() {
        if !seen.insert(x) {
            continue;
        }
        let n = pool.node(x);
        if matches!(n, Node::Call { .. }) {
            return true;
        }
        todo.extend(crate::expr::node::children(n));
    }
    false
}

/// Simplifies with the definitions `defs` available for folding.
pub struct Simplifier<'p> {
    pool: &'p mut Pool,
    defs: Vec<DefId>,
    facts: Vec<crate::lower::workspace::Fact>,
    known: Vec<(ExprId, ExprId)>,
    /// The rewrites of the phase under way, moved into its step when it ends.
    pending: Vec<Rewrite>,
    /// What folding made of each expression, kept across calls: the gradient of a
    /// function of 1,000 variables folds its shared subterms (`sum(j, exp(z[j]))`)
    /// once, not once per partial derivative. Folding depends only on the definitions,
    /// which a simplifier never changes, and nodes never change once built.
    fold_memo: FxHashMap<ExprId, ExprId>,
    /// Whether the primitive and factoring phases keep what they found across calls to
    /// [`Simplifier::simplify`] (see [`Simplifier::remembering`]).
    remember: bool,
    /// What the primitive phase made of each expression: kept across calls while
    /// `remember` holds, else cleared at each call.
    primitive_memo: FxHashMap<ExprId, ExprId>,
    /// What the factoring phase made of each expression, kept or cleared likewise.
    factor_memo: FxHashMap<ExprId, ExprId>,
    /// The definitions' patterns, made on first use.
    fold_patterns: Option<Vec<crate::simplify::fold::Pattern>>,
    /// The equality facts among `facts`, oriented as rewrites.
    equalities: Vec<crate::expr::equality::Oriented>,
    /// The steps taken, in order.
    pub steps: Vec<Step>,
}

impl<'p> Simplifier<'p> {
    /// A simplifier that may fold the given definitions (in definition order).
    pub fn new(pool: &'p mut Pool, defs: Vec<DefId>) -> Simplifier<'p> {
        Simplifier {
            pool,
            defs,
            facts: Vec::new(),
            known: Vec::new(),
            pending: Vec::new(),
            fold_memo: FxHashMap::default(),
            remember: false,
            primitive_memo: FxHashMap::default(),
            factor_memo: FxHashMap::default(),
            fold_patterns: None,
            equalities: Vec::new(),
            steps: Vec::new(),
        }
    }

    /// The pool it simplifies in, for building the nodes it is given.
    pub fn pool(&mut self) -> &mut Pool {
        self.pool
    }

    /// Index expressions known to range below the paired lengths (a derivative's
    /// variable's indices), for contracting deltas (see [`Pool::contract_with`]).
    pub fn with_known_ranges(mut self, known: Vec<(ExprId, ExprId)>) -> Simplifier<'p> {
        self.known = known;
        self
    }

    /// Uses these `assume` facts to prove the conditions of conditional rules.
    pub fn with_facts(mut self, facts: Vec<crate::lower::workspace::Fact>) -> Simplifier<'p> {
        self.equalities = facts
            .iter()
            .filter(|f| f.relation == crate::syntax::tree::Relation::Equal)
            .map(|f| crate::expr::equality::orient(self.pool, f.subject, f.bound))
            .collect();
        self.facts = facts;
        self
    }

    /// A simplifier whose phases remember each result across calls, for a caller that
    /// simplifies many expressions sharing subterms and takes no steps: the 1,000
    /// partial derivatives of a gradient all hold the same sum, which is then simplified
    /// once. Each phase is a function of the node alone (nodes never change, and the
    /// facts and definitions are fixed), so a remembered result is the one a new walk
    /// would find; but its rewrites are noted only the first time, which is why a
    /// caller that records derivation steps must not use this.
    pub fn remembering(mut self) -> Simplifier<'p> {
        self.remember = true;
        self
    }

    /// Notes one rule instance of the phase under way.
    fn note(&mut self, rule: Rule, before: ExprId, after: ExprId) {
        if before != after {
            self.pending.push(Rewrite::new(rule, before, after));
        }
    }

    /// Ends a phase: its rewrites become one step, if it changed anything.
    fn record(&mut self, before: ExprId, after: ExprId) {
        let rewrites = std::mem::take(&mut self.pending);
        if before != after {
            self.steps
                .push(Step::from_rewrites(before, after, rewrites));
        }
    }

    /// Takes the rewrites noted since the last step (for callers that make their own
    /// step of a phase, such as the prover's expansion).
    pub fn take_rewrites(&mut self) -> Vec<Rewrite> {
        std::mem::take(&mut self.pending)
    }

    /// Runs every phase to a fixed point (a few rounds at most).
    pub fn simplify(&mut self, id: ExprId) -> ExprId {
        let mut cur = id;
        for _ in 0..4 {
            let start = cur;
            let a = self.primitive(cur);
            self.record(cur, a);
            let b = self.fold(a);
            self.note(Rule::FoldDefinition, a, b);
            self.record(a, b);
            let c = self.factor(b);
            self.record(b, c);
            cur = c;
            if cur == start || self.pool.over_budget() {
                break;
            }
        }
        cur
    }

    /// Phase 1: contraction and distribution, bottom-up.
    pub fn primitive(&mut self, id: ExprId) -> ExprId {
        let mut memo = std::mem::take(&mut self.primitive_memo);
        if !self.remember {
            memo.clear();
        }
        let out = self.primitive_rec(id, &mut memo);
        self.primitive_memo = memo;
        out
    }

    fn primitive_rec(&mut self, id: ExprId, memo: &mut FxHashMap<ExprId, ExprId>) -> ExprId {
        if let Some(&r) = memo.get(&id) {
            return r;
        }
        // Past the work budget, the rest is left as it is: less simplified, still equal.
        if self.pool.over_budget() {
            return id;
        }
        let rebuilt = self.map_children(id, &mut |this, c| this.primitive_rec(c, memo));
        let mut out = self.contract_and_distribute(rebuilt);
        // Named rules, each firing only on a proved condition, to a fixed point. A rule
        // result is simplified again from its children up, since it is a new node.
        for _ in 0..8 {
            let found = match crate::simplify::rules::apply(self.pool, &self.facts, out) {
                Some(found) => Some(found),
                None => self.sum_rules(out).or_else(|| self.assumed(out)),
            };
            let Some((name, next)) = found else {
                break;
            };
            let size = tree_size(self.pool, out);
            if tree_size(self.pool, next) > crate::simplify::rules::size_allowed(name, size) {
                break;
            }
            self.note(name, out, next);
            let kids: Vec<ExprId> = crate::expr::node::children(self.pool.node(next))
                .into_iter()
                .map(|c| self.primitive_rec(c, memo))
                .collect();
            let rebuilt = self.pool.rebuild(next, &kids);
            out = self.contract_and_distribute(rebuilt);
        }
        memo.insert(id, out);
        out
    }

    /// A rewrite by an equality fact (`assumed-equality`): the node is an instance of
    /// the side the fact rewrites.
    fn assumed(&mut self, id: ExprId) -> Option<(Rule, ExprId)> {
        let facts = std::mem::take(&mut self.equalities);
        let found = facts
            .iter()
            .find_map(|f| crate::expr::equality::rewrite(self.pool, f, id));
        self.equalities = facts;
        found.map(|next| (Rule::AssumedEquality, next))
    }

    /// The rules of sums that need what the simplifier knows beyond the facts (the
    /// index ranges) or that simplify a part on their own: `sum-distribute-delta`, then
    /// `expand-in-sum`.
    fn sum_rules(&mut self, id: ExprId) -> Option<(Rule, ExprId)> {
        if !matches!(self.pool.node(id), Node::Sum { .. }) {
            return None;
        }
        if let Some(out) = self.distribute_delta(id) {
            return Some((Rule::SumDistributeDelta, out));
        }
        self.expand_in_sum(id).map(|out| (Rule::ExpandInSum, out))
    }

    /// `sum(k, a*(delta(j, k) + b))` as `a[k := j] + sum(k, a*b)`: a sum whose body is
    /// a product with a sum factor, one of whose terms holds a delta of the summed
    /// index, is multiplied out over that factor and each part contracted. Kept only
    /// when every part with such a delta contracts (`j` is known to range over the
    /// sum's axis), since then a sum over an axis has become one element:
    /// `sum(k, xc[k]*(delta(j, k) - 1/len(x)))` is `xc[j] - sum(k, xc[k])/len(x)`.
    fn distribute_delta(&mut self, id: ExprId) -> Option<ExprId> {
        let Node::Sum { index, range, body } = self.pool.node(id).clone() else {
            return None;
        };
        let Node::Mul(fs) = self.pool.node(body).clone() else {
            return None;
        };
        let known = self.known.clone();
        for (k, &f) in fs.iter().enumerate() {
            let Node::Add(ts) = self.pool.node(f).clone() else {
                continue;
            };
            if !ts.iter().any(|&t| self.has_delta_of(t, index)) {
                continue;
            }
            let mut others: Vec<ExprId> = fs.to_vec();
            others.remove(k);
            let mut parts = Vec::with_capacity(ts.len());
            let mut contracted = true;
            for &t in ts.iter() {
                let mut v = others.clone();
                v.push(t);
                let m = self.pool.mul(v);
                let summed = self.pool.sum(index, range, m);
                let c = self.pool.contract_with(summed, &known);
                if c == summed && self.has_delta_of(t, index) {
                    contracted = false;
                    break;
                }
                parts.push(c);
            }
            if contracted {
                return Some(self.pool.add(parts));
            }
        }
        None
    }

    /// Whether a term has a delta of `index` among its factors.
    fn has_delta_of(&self, t: ExprId, index: crate::expr::node::Symbol) -> bool {
        let is_delta = |f: ExprId| match self.pool.node(f) {
            Node::Delta(a, b) => [*a, *b]
                .iter()
                .any(|&x| matches!(self.pool.node(x), Node::Index(s) if *s == index)),
            _ => false,
        };
        match self.pool.node(t) {
            Node::Mul(fs) => fs.iter().any(|&f| is_delta(f)),
            _ => is_delta(t),
        }
    }

    /// A sum over calls of definitions, with every definition in its body written out
    /// and the result simplified, when that is smaller than the sum: the definitions'
    /// terms may cancel once the sum is split over them. A centred vector sums to 0
    /// (`sum(k, xc[k])` with `xc[i] = x[i] - mu` and `mu = sum(k, x[k])/len(x)`), and
    /// `sum(k, softmax(z)[k])` is 1. Written out, the body is not simplified past
    /// [`MAX_WRITTEN`] nodes, which keeps this a local look at a small definition.
    fn expand_in_sum(&mut self, id: ExprId) -> Option<ExprId> {
        let Node::Sum { index, range, body } = self.pool.node(id).clone() else {
            return None;
        };
        if crate::expr::size::dag_size(self.pool, body) > MAX_WRITTEN || !has_call(self.pool, body)
        {
            return None;
        }
        let written = self.pool.expand_definitions(body, &[]);
        if crate::expr::size::dag_size(self.pool, written) > MAX_WRITTEN {
            return None;
        }
        let summed = self.pool.sum(index, range, written);
        // Multiplied out a little and split over its terms, so that a weighted mean's
        // terms meet its weights: `sum(k, w[k]*(x[k] - sum(m, w[m]*x[m])/sum(m, w[m])))`
        // is 0. Only algebra is used, no rule with a condition, so that the checker's
        // normal form re-derives the result on its own. The rewrites of this look are
        // not the step's: the rule's one instance stands for them.
        let mark = self.pending.len();
        let out = self.expand(summed, EXPAND_IN_SUM_TERMS);
        self.pending.truncate(mark);
        (tree_size(self.pool, out) < tree_size(self.pool, id)).then_some(out)
    }

    /// Contracts the sums at the top of a node, then multiplies out a product when that
    /// is smaller, noting each as a rewrite.
    fn contract_and_distribute(&mut self, id: ExprId) -> ExprId {
        let contracted = self.pool.contract_with(id, &self.known.clone());
        self.note(Rule::SumDeltaContract, id, contracted);
        let out = self.distribute_if_smaller(contracted);
        self.note(Rule::Distribute, contracted, out);
        out
    }

    /// Rebuilds a node with each child mapped through `f`.
    fn map_children(
        &mut self,
        id: ExprId,
        f: &mut dyn FnMut(&mut Self, ExprId) -> ExprId,
    ) -> ExprId {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.map_children(id, f));
        }
        let old: Vec<ExprId> = crate::expr::node::children(self.pool.node(id));
        let kids: Vec<ExprId> = old.iter().map(|&c| f(self, c)).collect();
        let rebuilt = self.pool.rebuild(id, &kids);
        // Rebuilding can restate a node on its own (a product whose powers merge only
        // on a second pass); that is a step of its own for the checker to see.
        if kids == old {
            self.note(Rule::CanonicalForm, id, rebuilt);
        }
        rebuilt
    }

    /// A product with one sum among its factors, multiplied out, when that is smaller.
    fn distribute_if_smaller(&mut self, id: ExprId) -> ExprId {
        let Node::Mul(fs) = self.pool.node(id).clone() else {
            return id;
        };
        let sums: Vec<usize> = (0..fs.len())
            .filter(|&k| matches!(self.pool.node(fs[k]), Node::Add(_)))
            .collect();
        let mut best = id;
        let mut best_size = tree_size(self.pool, id);
        for k in sums {
            let Node::Add(ts) = self.pool.node(fs[k]).clone() else {
                continue;
            };
            let others: Vec<ExprId> = fs
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != k)
                .map(|(_, &f)| f)
                .collect();
            let terms: Vec<ExprId> = ts
                .iter()
                .map(|&t| {
                    let mut v = others.clone();
                    v.push(t);
                    let m = self.pool.mul(v);
                    self.pool.contract_with(m, &self.known.clone())
                })
                .collect();
            let cand = self.pool.add(terms);
            let size = tree_size(self.pool, cand);
            if size < best_size {
                best = cand;
                best_size = size;
            }
        }
        best
    }

    /// Multiplies out every product of sums and splits every sum over an index whose
    /// body is a sum (`sum-linearity`), bottom-up, as long as a product expands to at
    /// most `budget` terms. The result is usually larger, but it is a normal form in
    /// which equal expressions written differently (`sum(j, a*(b - c))` against
    /// `sum(j, a*b) - sum(j, a*c)`) cancel: the prover's second attempt.
    pub fn expand(&mut self, id: ExprId, budget: usize) -> ExprId {
        let mut memo = FxHashMap::default();
        self.expand_rec(id, budget, &mut memo)
    }

    fn expand_rec(
        &mut self,
        id: ExprId,
        budget: usize,
        memo: &mut FxHashMap<ExprId, ExprId>,
    ) -> ExprId {
        if let Some(&r) = memo.get(&id) {
            return r;
        }
        if self.pool.over_budget() {
            return id;
        }
        let rebuilt = self.map_children(id, &mut |this, c| this.expand_rec(c, budget, memo));
        let contracted = self.pool.contract_with(rebuilt, &self.known.clone());
        // Powers in their normal form first, so that `sqrt(2/pi)` and
        // `sqrt(2)/sqrt(pi)` multiply out alike.
        let mut powers = contracted;
        if let Some(split) =
            crate::simplify::rules::power_of_product(self.pool, &self.facts, powers)
        {
            self.note(Rule::PowerOfProduct, powers, split);
            powers = split;
        }
        if let Some(reduced) = crate::simplify::rules::numeric_power(self.pool, powers) {
            self.note(Rule::NumericPower, powers, reduced);
            powers = reduced;
        }
        let mut out = powers;
        let listed: Option<Vec<ExprId>> = match self.pool.node(out) {
            Node::Mul(fs) => Some(fs.to_vec()),
            Node::Pow(..) => Some(vec![out]),
            _ => None,
        };
        if let Some(listed) = listed {
            // A small whole power of a sum is that many copies of the sum.
            let mut fs = Vec::with_capacity(listed.len());
            for f in listed {
                match self.pool.node(f).clone() {
                    Node::Pow(b, e) if matches!(self.pool.node(b), Node::Add(_)) => {
                        match self
                            .pool
                            .as_num(e)
                            .and_then(crate::syntax::number::to_small_int)
                        {
                            Some(n) if (2..=6).contains(&n) => {
                                fs.extend(std::iter::repeat_n(b, n as usize));
                            }
                            _ => fs.push(f),
                        }
                    }
                    _ => fs.push(f),
                }
            }
            // The product of the sums' terms, one factor list per term of the result.
            let mut terms: Vec<Vec<ExprId>> = vec![Vec::new()];
            let mut ok = true;
            for &f in fs.iter() {
                match self.pool.node(f).clone() {
                    Node::Add(ts) if terms.len() * ts.len() <= budget => {
                        let mut next = Vec::with_capacity(terms.len() * ts.len());
                        for t in &terms {
                            for &x in ts.iter() {
                                let mut v = t.clone();
                                v.push(x);
                                next.push(v);
                            }
                        }
                        terms = next;
                    }
                    Node::Add(_) => {
                        ok = false;
                        break;
                    }
                    _ => terms.iter_mut().for_each(|t| t.push(f)),
                }
            }
            if ok && terms.len() > 1 {
                let parts: Vec<ExprId> = terms
                    .into_iter()
                    .map(|t| {
                        let m = self.pool.mul(t);
                        self.pool.contract_with(m, &self.known.clone())
                    })
                    .collect();
                out = self.pool.add(parts);
            }
        }
        self.note(Rule::Distribute, rebuilt, contracted);
        self.note(Rule::Distribute, powers, out);
        let out = match self.exp_out_of_sum(out) {
            Some(factored) => {
                self.note(Rule::ExpOutOfSum, out, factored);
                factored
            }
            None => out,
        };
        let out = self.sums_in_order(out);
        memo.insert(id, out);
        out
    }

    /// Each term's sums in canonical order ([`crate::expr::sums`]), so that one contraction
    /// written with its sums nested differently cancels against itself.
    fn sums_in_order(&mut self, id: ExprId) -> ExprId {
        let terms: Vec<ExprId> = match self.pool.node(id) {
            Node::Add(ts) => ts.to_vec(),
            _ => vec![id],
        };
        let mut changed = false;
        let mut parts = Vec::with_capacity(terms.len());
        for t in terms {
            match crate::expr::sums::canonical_order(self.pool, t) {
                Some(c) => {
                    self.note(Rule::SumExchange, t, c);
                    changed = true;
                    parts.push(c);
                }
                None => parts.push(t),
            }
        }
        if changed { self.pool.add(parts) } else { id }
    }

    /// `sum(j, f[j]*exp(a[j] + b))` as `exp(b) * sum(j, f[j]*exp(a[j]))` when `b` is
    /// free of the index, so that a shift inside a log-sum-exp, or inside a weighted sum
    /// of exponentials, meets the same sum unshifted. Every exponential factor of the
    /// body gives up the terms of its argument that are free of the index.
    fn exp_out_of_sum(&mut self, id: ExprId) -> Option<ExprId> {
        use crate::expr::node::Func;
        let Node::Sum { index, range, body } = self.pool.node(id).clone() else {
            return None;
        };
        let factors: Vec<ExprId> = match self.pool.node(body) {
            Node::Mul(fs) => fs.to_vec(),
            _ => vec![body],
        };
        let mut outside = Vec::new();
        let mut kept = Vec::with_capacity(factors.len());
        for f in factors {
            let Node::Func(Func::Exp, arg) = self.pool.node(f).clone() else {
                kept.push(f);
                continue;
            };
            let terms: Vec<ExprId> = match self.pool.node(arg) {
                Node::Add(ts) => ts.to_vec(),
                _ => vec![arg],
            };
            let (inside, free): (Vec<ExprId>, Vec<ExprId>) = terms
                .iter()
                .partition(|&&t| self.pool.free_symbols(t).contains(&index));
            // An exponential free of the index altogether is already outside: the
            // pool takes such factors out of a sum.
            if inside.is_empty() || free.is_empty() {
                kept.push(f);
                continue;
            }
            outside.extend(free);
            let a = self.pool.add(inside);
            kept.push(self.pool.func(Func::Exp, a));
        }
        if outside.is_empty() {
            return None;
        }
        let inner = self.pool.mul(kept);
        let sum = self.pool.sum(index, range, inner);
        let b = self.pool.add(outside);
        let factor = self.pool.func(Func::Exp, b);
        Some(self.pool.mul(vec![factor, sum]))
    }

    /// Phase 2: folding definitions back in.
    pub fn fold(&mut self, id: ExprId) -> ExprId {
        // The patterns and the memo move into the folder and back, so that neither is
        // rebuilt or copied for each of a gradient's outputs.
        let pats = match self.fold_patterns.take() {
            Some(p) => p,
            None => patterns(self.pool, &self.defs),
        };
        let memo = std::mem::take(&mut self.fold_memo);
        let mut folder = Folder::new(self.pool, pats).with_memo(memo);
        let out = folder.fold(id);
        let (pats, memo) = folder.into_parts();
        self.fold_patterns = Some(pats);
        self.fold_memo = memo;
        out
    }

    /// Phase 3: common factors out of sums, bottom-up, when smaller.
    pub fn factor(&mut self, id: ExprId) -> ExprId {
        let mut memo = std::mem::take(&mut self.factor_memo);
        if !self.remember {
            memo.clear();
        }
        let out = self.factor_rec(id, &mut memo);
        self.factor_memo = memo;
        out
    }

    fn factor_rec(&mut self, id: ExprId, memo: &mut FxHashMap<ExprId, ExprId>) -> ExprId {
        if let Some(&r) = memo.get(&id) {
            return r;
        }
        if self.pool.over_budget() {
            return id;
        }
        let rebuilt = self.map_children(id, &mut |this, c| this.factor_rec(c, memo));
        let out = self.factor_common(rebuilt);
        self.note(Rule::FactorCommon, rebuilt, out);
        memo.insert(id, out);
        out
    }

    /// `a*x + a*y` as `a*(x + y)`: the factors (with their least power) that every term
    /// of a sum shares move out of it, if that is smaller.
    fn factor_common(&mut self, id: ExprId) -> ExprId {
        let Node::Add(ts) = self.pool.node(id).clone() else {
            return id;
        };
        // Bases with a positive integer power in every term, and the least such power.
        let mut common: Option<Vec<(ExprId, i64)>> = None;
        for &t in ts.iter() {
            let fs = self.power_factors(t);
            common = Some(match common {
                None => fs,
                Some(c) => c
                    .into_iter()
                    .filter_map(|(b, e)| {
                        fs.iter()
                            .find(|(b2, _)| *b2 == b)
                            .map(|(_, e2)| (b, e.min(*e2)))
                    })
                    .collect(),
            });
        }
        let common = common.unwrap_or_default();
        if common.is_empty() {
            return id;
        }
        let mut outside = Vec::new();
        let mut inverse = Vec::new();
        for (b, e) in &common {
            let en = self.pool.int(*e);
            outside.push(self.pool.pow(*b, en));
            let ne = self.pool.int(-*e);
            inverse.push(self.pool.pow(*b, ne));
        }
        let inner_terms: Vec<ExprId> = ts
            .iter()
            .map(|&t| {
                let mut v = inverse.clone();
                v.push(t);
                self.pool.mul(v)
            })
            .collect();
        let inner = self.pool.add(inner_terms);
        outside.push(inner);
        let cand = self.pool.mul(outside);
        if tree_size(self.pool, cand) < tree_size(self.pool, id) {
            cand
        } else {
            id
        }
    }

    /// The non-numeric factors of a term with positive integer powers.
    fn power_factors(&mut self, t: ExprId) -> Vec<(ExprId, i64)> {
        let fs: Vec<ExprId> = match self.pool.node(t) {
            Node::Mul(fs) => fs.to_vec(),
            _ => vec![t],
        };
        let mut out = Vec::new();
        for f in fs {
            match self.pool.node(f) {
                Node::Num(_) => {}
                Node::Pow(b, e) => {
                    if let Some(k) = self
                        .pool
                        .as_num(*e)
                        .and_then(crate::syntax::number::to_small_int)
                        && k > 0
                    {
                        out.push((*b, k));
                    }
                }
                _ => out.push((f, 1)),
            }
        }
        out
    }
}
