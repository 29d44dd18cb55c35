//! Derivations: a derivative as a sequence of steps a reader can follow.
//!
//! [`derive_with_steps`] takes a derivative the way a person writes it out: expand the
//! definitions that depend on the variable, then apply the rules of
//! [`crate::calculus::derivative::Rule`] one level at a time (each round is one step: the chain
//! rule through `ln`, the product rule, ...), leaving the inner derivatives as `diff(...)`
//! until their turn; then simplify in phases (contract the sums, fold the definitions
//! back, factor). Every step is data: the rules used, and the expression after it.

use rustc_hash::FxHashMap;

use crate::calculus::adjoint::Adjoint;
use crate::calculus::derivative::{Condition, Differentiator, Rule};
use crate::calculus::lemma::LemmaRule;
use crate::diag::error::Result;
use crate::expr::node::{DefId, ExprId, Node};
use crate::expr::pool::Pool;
use crate::simplify::simplifier::Simplifier;
use crate::trace::{Rewrite, Step};

/// The result of a derivative with its derivation.
#[derive(Clone, Debug)]
pub struct Derivation {
    /// The expression differentiated, as an unevaluated `diff` node.
    pub start: ExprId,
    /// The steps, in order; the last one's `after` is the result.
    pub steps: Vec<Step>,
    /// The simplified derivative.
    pub result: ExprId,
    /// Where the derivative does not exist (`abs` at 0).
    pub conditions: Vec<Condition>,
    /// Each step's result as it is shown: with the bodies of the named intermediates
    /// written back as their names (`xc[k]` for `xl[k] - mean(l, xl[l])`), so that a
    /// derivation through intermediates reads in their names. The same value as the step's
    /// `after`; `steps` keep the written-out form the step checker replays.
    pub shown: Vec<ExprId>,
    /// How the steps are shown at `--detail brief` or `normal` (see
    /// [`crate::calculus::readable`]); `None` shows every step.
    pub readable: Option<crate::calculus::readable::Readable>,
}

/// The most rounds a derivation takes before it finishes the remaining derivatives at
/// once (each round descends one level of the expression).
const MAX_ROUNDS: usize = 64;

/// Takes `diff(expr, var, order)` step by step, then simplifies with `defs` available
/// for folding. By a named intermediate (`h[j]`), the derivative is the adjoint (see
/// [`crate::calculus::adjoint`]): the first step writes out the definitions that depend
/// on the intermediate, and the steps after it treat the intermediate's calls as
/// inputs.
pub fn derive_with_steps(
    pool: &mut Pool,
    expr: ExprId,
    var: ExprId,
    order: u32,
    defs: &[DefId],
    facts: &[crate::lower::workspace::Fact],
) -> Result<Derivation> {
    derive_with_lemmas(pool, expr, var, order, defs, facts, &[])
}

/// [`derive_with_steps`] with lemmas: where a derivative lemma covers a call, the
/// call is not written out, and the lemma takes its derivative in one step (see
/// [`crate::calculus::lemma`]).
pub fn derive_with_lemmas(
    pool: &mut Pool,
    expr: ExprId,
    var: ExprId,
    order: u32,
    defs: &[DefId],
    facts: &[crate::lower::workspace::Fact],
    lemmas: &[LemmaRule],
) -> Result<Derivation> {
    let start = pool.diff(expr, var, order);
    let raw = match Adjoint::new(pool, expr, var)? {
        Some(adj) => adjoint_steps(pool, &adj, expr, var, order, lemmas)?,
        None => unsimplified_steps(pool, expr, var, order, lemmas)?,
    };
    let Unsimplified {
        mut steps,
        result,
        known,
        conditions,
    } = raw;
    let mut simp = Simplifier::new(pool, defs.to_vec())
        .with_facts(facts.to_vec())
        .with_known_ranges(known);
    let result = simp.simplify(result);
    steps.extend(simp.steps);
    let shown = shown(pool, &steps, defs);
    Ok(Derivation {
        start,
        steps,
        result,
        conditions,
        shown,
        readable: None,
    })
}

/// Each step's result with the bodies of the named intermediates among `defs` (the
/// definitions without parameters, `let xc[i] = ...`) folded back into their names, as
/// a derivation shows it (see [`Derivation::shown`]). Functions such as `softmax` stay
/// written out where a step expanded them: that expansion is what the step shows.
pub fn shown(pool: &mut Pool, steps: &[Step], defs: &[DefId]) -> Vec<ExprId> {
    let named: Vec<DefId> = defs
        .iter()
        .copied()
        .filter(|&d| pool.definition(d).params.is_empty())
        .collect();
    if named.is_empty() {
        return steps.iter().map(|st| st.after).collect();
    }
    let patterns = crate::simplify::fold::patterns(pool, &named);
    let mut folder = crate::simplify::fold::Folder::new(pool, patterns);
    let mut out = Vec::with_capacity(steps.len());
    for st in steps {
        if !st.rules.contains(&crate::trace::Rule::ExpandDefinition) {
            out.push(folder.fold(st.after));
            continue;
        }
        // A step that writes intermediates out shows them written out one level: the
        // intermediates it expanded stay expanded, the ones inside them keep their
        // names (`xhat[k]` becomes `xc[k]/sqrt(eps + var)`).
        let called = folder.pool_mut().called_definitions(st.before);
        let keep: Vec<DefId> = named
            .iter()
            .copied()
            .filter(|d| !called.contains(d))
            .collect();
        let patterns = crate::simplify::fold::patterns(folder.pool_mut(), &keep);
        let mut once = crate::simplify::fold::Folder::new(folder.pool_mut(), patterns);
        out.push(once.fold(st.after));
    }
    out
}

/// A derivative taken step by step, before it is simplified.
struct Unsimplified {
    steps: Vec<Step>,
    result: ExprId,
    /// The variable's indices with the lengths they range below.
    known: Vec<(ExprId, ExprId)>,
    conditions: Vec<Condition>,
}

/// The derivative by a named intermediate, step by step: by the stand-in, with every
/// expression mapped back to the intermediate's calls.
fn adjoint_steps(
    pool: &mut Pool,
    adj: &Adjoint,
    expr: ExprId,
    var: ExprId,
    order: u32,
    lemmas: &[LemmaRule],
) -> Result<Unsimplified> {
    let inner = unsimplified_steps(pool, adj.expr, adj.var, order, lemmas)?;
    let mut steps = Vec::with_capacity(inner.steps.len() + 1);
    let written = adj.back(pool, adj.expr);
    if written != expr {
        let before = pool.diff(expr, var, order);
        let after = pool.diff(written, var, order);
        // Writing the function with the stand-in expands the definitions that depend
        // on the intermediate, and takes the derivatives inside it first.
        let rule = if adj.derived {
            Rule::Differentiate
        } else {
            Rule::ExpandDefinition
        };
        steps.push(Step::whole(rule, before, after));
    }
    for st in inner.steps {
        let rewrites = st
            .rewrites
            .iter()
            .map(|r| Rewrite::new(r.rule, adj.back(pool, r.before), adj.back(pool, r.after)))
            .collect();
        steps.push(Step {
            rules: st.rules,
            before: adj.back(pool, st.before),
            after: adj.back(pool, st.after),
            rewrites,
        });
    }
    let known = inner
        .known
        .into_iter()
        .map(|(i, n)| (adj.back(pool, i), adj.back(pool, n)))
        .collect();
    let mut conditions = adj.conditions.clone();
    conditions.extend(inner.conditions);
    Ok(Unsimplified {
        steps,
        result: adj.back(pool, inner.result),
        known,
        conditions: adj.back_conditions(pool, conditions),
    })
}

/// The steps of `diff(expr, var, order)` by a scalar or an element, up to the
/// derivative taken.
fn unsimplified_steps(
    pool: &mut Pool,
    expr: ExprId,
    var: ExprId,
    order: u32,
    lemmas: &[LemmaRule],
) -> Result<Unsimplified> {
    let mut steps = Vec::new();
    let mut conditions = Vec::new();
    let mut cur = expr;
    let mut known = Vec::new();
    for k in 1..=order {
        let pass_start = steps.len();
        let mut d = Differentiator::new(pool, var)?.with_lemmas(lemmas);
        // Step: expand the definitions that depend on the variable.
        let expanded = d.expand_dependent_calls(cur);
        let before = d.pool().diff(cur, var, 1);
        let mut pending = d.pool().diff(expanded, var, 1);
        if expanded != cur {
            steps.push(Step::whole(Rule::ExpandDefinition, before, pending));
        }
        // Rounds: each outstanding derivative moves one level down.
        pending = rounds(&mut d, pending, var, k, &mut steps, |d, id, log, last| {
            let mut memo = FxHashMap::default();
            let mut round_log = RoundLog {
                used: log.0,
                rewrites: log.1,
                memo: &mut memo,
            };
            Ok(one_round(d, id, var, &mut round_log, last))
        })?;
        conditions.append(&mut d.conditions);
        known.extend(d.known_ranges());
        // The derivatives still to take surround this pass's steps: in the second
        // derivative, `d/dx (d/dx f)` is taken inside, so each of its steps is an
        // equality under the outer `d/dx`.
        let remaining = order - k;
        if remaining > 0 {
            for st in &mut steps[pass_start..] {
                st.before = d.pool().diff(st.before, var, remaining);
                st.after = d.pool().diff(st.after, var, remaining);
            }
        }
        cur = pending;
        crate::calculus::derivative::check_size(pool, cur, k)?;
    }
    Ok(Unsimplified {
        steps,
        result: cur,
        known,
        conditions,
    })
}

/// What a round records: the rules it used and their instances.
pub(crate) type Recorded<'a> = (&'a mut Vec<Rule>, &'a mut Vec<Rewrite>);

/// Takes `pending` down round by round, one step per round, until no derivative by
/// `var` is left (or the rounds run out: the last round is told so, and takes what is
/// left whole). `round` rewrites once and records what it did; `order` is the
/// derivative's order so far, for the size check. The steps are appended to `steps`.
/// Both the full derivation and the readable one ([`crate::calculus::readable`]) run
/// their rounds here; they differ only in what one round does.
pub(crate) fn rounds(
    d: &mut Differentiator<'_>,
    mut pending: ExprId,
    var: ExprId,
    order: u32,
    steps: &mut Vec<Step>,
    mut round: impl FnMut(&mut Differentiator<'_>, ExprId, Recorded<'_>, bool) -> Result<ExprId>,
) -> Result<ExprId> {
    for k in 0..MAX_ROUNDS {
        let mut used: Vec<Rule> = Vec::new();
        let mut rewrites = Vec::new();
        let next = round(d, pending, (&mut used, &mut rewrites), k + 1 == MAX_ROUNDS)?;
        if next == pending {
            break;
        }
        used.sort();
        used.dedup();
        // "Constants differentiate to 0" is worth saying only when nothing else is.
        if !used.iter().all(|r| *r == Rule::Constant) {
            used.retain(|r| *r != Rule::Constant);
        }
        steps.push(Step {
            rules: used,
            before: pending,
            after: next,
            rewrites,
        });
        pending = next;
        if d.pool().over_budget() {
            crate::calculus::derivative::check_size(d.pool(), pending, order)?;
        }
        if !contains_diff(d.pool(), pending, Some(var)) {
            break;
        }
    }
    Ok(pending)
}

/// Whether an expression still holds a derivative with respect to `var`, or with
/// respect to anything when `var` is `None`.
pub(crate) fn contains_diff(pool: &Pool, id: ExprId, var: Option<ExprId>) -> bool {
    let mut todo = vec![id];
    let mut seen = rustc_hash::FxHashSet::default();
    while let Some(x) = todo.pop() {
        if !seen.insert(x) {
            continue;
        }
        let n = pool.node(x);
        if matches!(n, Node::Diff { var: v, .. } if var.is_none_or(|var| *v == var)) {
            return true;
        }
        todo.extend(crate::expr::node::children(n));
    }
    false
}

/// What one round of a derivation records: the rules used, their instances, and the
/// round's memo of rewritten nodes.
struct RoundLog<'a> {
    used: &'a mut Vec<Rule>,
    rewrites: &'a mut Vec<Rewrite>,
    memo: &'a mut FxHashMap<ExprId, ExprId>,
}

/// Replaces each outstanding `diff(e, var)` by one rule at `e`; on the `last` round, by
/// the full derivative.
fn one_round(
    d: &mut Differentiator<'_>,
    id: ExprId,
    var: ExprId,
    log: &mut RoundLog<'_>,
    last: bool,
) -> ExprId {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || one_round(d, id, var, log, last));
    }
    if let Some(&r) = log.memo.get(&id) {
        return r;
    }
    let node = d.pool().node(id).clone();
    let out = match node {
        Node::Diff {
            expr,
            var: v,
            order: 1,
        } if v == var => {
            if last {
                let r = d.derive(expr);
                log.rewrites.push(Rewrite::new(Rule::Differentiate, id, r));
                r
            } else if let Some((rule, r, chained)) = d.lemma_rule(expr) {
                log.used.push(rule);
                if chained {
                    log.used.push(Rule::LemmaChain);
                }
                log.rewrites.push(Rewrite::new(rule, id, r));
                r
            } else {
                let (rule, r) = d.rule(expr, &mut |this, child| this.pool().diff(child, var, 1));
                log.used.push(rule);
                log.rewrites.push(Rewrite::new(rule, id, r));
                r
            }
        }
        other => {
            let kids: Vec<ExprId> = crate::expr::node::children(&other)
                .into_iter()
                .map(|c| one_round(d, c, var, log, last))
                .collect();
            d.pool().rebuild(id, &kids)
        }
    };
    log.memo.insert(id, out);
    out
}

/// Takes every `diff(...)` inside an expression (innermost first), leaving the rest as it
/// is: what `gauge simplify` does before it simplifies.
pub fn take_derivatives(pool: &mut Pool, id: ExprId) -> Result<(ExprId, Vec<Condition>)> {
    let (r, conditions, _) = differentiate_step(pool, id)?;
    Ok((r, conditions))
}

/// Like [`take_derivatives`], also giving the `differentiate` step (one rewrite per
/// derivative taken), or `None` when the expression holds no derivative.
pub fn differentiate_step(
    pool: &mut Pool,
    id: ExprId,
) -> Result<(ExprId, Vec<Condition>, Option<Step>)> {
    let mut memo = FxHashMap::default();
    let mut conditions = Vec::new();
    let mut rewrites = Vec::new();
    let r = take_rec(pool, id, &mut memo, &mut conditions, &mut rewrites)?;
    let step = (r != id).then(|| Step::from_rewrites(id, r, rewrites));
    Ok((r, conditions, step))
}

fn take_rec(
    pool: &mut Pool,
    id: ExprId,
    memo: &mut FxHashMap<ExprId, ExprId>,
    conditions: &mut Vec<Condition>,
    rewrites: &mut Vec<Rewrite>,
) -> Result<ExprId> {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || take_rec(pool, id, memo, conditions, rewrites));
    }
    if let Some(&r) = memo.get(&id) {
        return Ok(r);
    }
    let node = pool.node(id).clone();
    let kids: Vec<ExprId> = crate::expr::node::children(&node)
        .into_iter()
        .map(|c| take_rec(pool, c, memo, conditions, rewrites))
        .collect::<Result<_>>()?;
    let rebuilt = pool.rebuild(id, &kids);
    let out = match pool.node(rebuilt).clone() {
        Node::Diff { expr, var, order } => {
            let (d, mut c) = crate::calculus::derivative::derive_n(pool, expr, var, order)?;
            conditions.append(&mut c);
            rewrites.push(Rewrite::new(Rule::Differentiate, rebuilt, d));
            d
        }
        _ => rebuilt,
    };
    memo.insert(id, out);
    Ok(out)
}
