//! Derivations: a derivative as a sequence of steps a reader can follow.
//!
//! [`derive_with_steps`] takes a derivative the way a person writes it out: expand the
//! definitions that depend on the variable, then apply the rules of
//! [`crate::derivative::Rule`] one level at a time (each round is one step: the chain
//! rule through `ln`, the product rule, ...), leaving the inner derivatives as `diff(...)`
//! until their turn; then simplify in phases (contract the sums, fold the definitions
//! back, factor). Every step is data: the rules used, and the expression after it.

use rustc_hash::FxHashMap;

use crate::derivative::{Condition, Differentiator, Rule};
use crate::error::Result;
use crate::node::{DefId, ExprId, Node};
use crate::pool::Pool;
use crate::simplify::{Simplifier, Step};

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
}

/// The most rounds a derivation takes before it finishes the remaining derivatives at
/// once (each round descends one level of the expression).
const MAX_ROUNDS: usize = 64;

/// Takes `diff(expr, var, order)` step by step, then simplifies with `defs` available
/// for folding.
pub fn derive_with_steps(
    pool: &mut Pool,
    expr: ExprId,
    var: ExprId,
    order: u32,
    defs: &[DefId],
    facts: &[crate::session::Fact],
) -> Result<Derivation> {
    let start = pool.diff(expr, var, order);
    let mut steps = Vec::new();
    let mut conditions = Vec::new();
    let mut cur = expr;
    let mut known = Vec::new();
    for k in 1..=order {
        let mut d = Differentiator::new(pool, var)?;
        // Step: expand the definitions that depend on the variable.
        let expanded = d.expand_dependent_calls(cur);
        let before = d.pool().diff(cur, var, 1);
        let mut pending = d.pool().diff(expanded, var, 1);
        if expanded != cur {
            steps.push(Step {
                rules: vec![Rule::ExpandDefinition.name()],
                before,
                after: pending,
            });
        }
        // Rounds: each outstanding derivative moves one level down.
        for round in 0..MAX_ROUNDS {
            let mut used: Vec<Rule> = Vec::new();
            let mut memo = FxHashMap::default();
            let last = round + 1 == MAX_ROUNDS;
            let next = one_round(&mut d, pending, var, &mut used, &mut memo, last);
            if next == pending {
                break;
            }
            used.sort();
            used.dedup();
            // "Constants differentiate to 0" is worth saying only when nothing else is.
            if !used_only_constant(&used) {
                used.retain(|r| *r != Rule::Constant);
            }
            steps.push(Step {
                rules: used.iter().map(|r| r.name()).collect(),
                before: pending,
                after: next,
            });
            pending = next;
            if !contains_diff(d.pool(), pending, var) {
                break;
            }
        }
        conditions.append(&mut d.conditions);
        known.extend(d.known_ranges());
        cur = pending;
        crate::derivative::check_size(pool, cur, k)?;
    }
    let mut simp = Simplifier::new(pool, defs.to_vec())
        .with_facts(facts.to_vec())
        .with_known_ranges(known);
    let result = simp.simplify(cur);
    steps.extend(simp.steps);
    Ok(Derivation {
        start,
        steps,
        result,
        conditions,
    })
}

fn used_only_constant(used: &[Rule]) -> bool {
    used.iter().all(|r| *r == Rule::Constant)
}

/// Whether an expression still holds a derivative with respect to `var`.
fn contains_diff(pool: &Pool, id: ExprId, var: ExprId) -> bool {
    let mut todo = vec![id];
    let mut seen = rustc_hash::FxHashSet::default();
    while let Some(x) = todo.pop() {
        if !seen.insert(x) {
            continue;
        }
        let n = pool.node(x);
        if matches!(n, Node::Diff { var: v, .. } if *v == var) {
            return true;
        }
        todo.extend(crate::node::children(n));
    }
    false
}

/// Replaces each outstanding `diff(e, var)` by one rule at `e`; on the `last` round, by
/// the full derivative.
fn one_round(
    d: &mut Differentiator<'_>,
    id: ExprId,
    var: ExprId,
    used: &mut Vec<Rule>,
    memo: &mut FxHashMap<ExprId, ExprId>,
    last: bool,
) -> ExprId {
    if let Some(&r) = memo.get(&id) {
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
                d.derive(expr)
            } else {
                let (rule, r) = d.rule(expr, &mut |this, child| this.pool().diff(child, var, 1));
                used.push(rule);
                r
            }
        }
        other => {
            let kids: Vec<ExprId> = crate::node::children(&other)
                .into_iter()
                .map(|c| one_round(d, c, var, used, memo, last))
                .collect();
            d.pool().rebuild(id, &kids)
        }
    };
    memo.insert(id, out);
    out
}

/// Takes every `diff(...)` inside an expression (innermost first), leaving the rest as it
/// is: what `gauge simplify` does before it simplifies.
pub fn take_derivatives(pool: &mut Pool, id: ExprId) -> Result<(ExprId, Vec<Condition>)> {
    let mut memo = FxHashMap::default();
    let mut conditions = Vec::new();
    let r = take_rec(pool, id, &mut memo, &mut conditions)?;
    Ok((r, conditions))
}

fn take_rec(
    pool: &mut Pool,
    id: ExprId,
    memo: &mut FxHashMap<ExprId, ExprId>,
    conditions: &mut Vec<Condition>,
) -> Result<ExprId> {
    if let Some(&r) = memo.get(&id) {
        return Ok(r);
    }
    let node = pool.node(id).clone();
    let kids: Vec<ExprId> = crate::node::children(&node)
        .into_iter()
        .map(|c| take_rec(pool, c, memo, conditions))
        .collect::<Result<_>>()?;
    let rebuilt = pool.rebuild(id, &kids);
    let out = match pool.node(rebuilt).clone() {
        Node::Diff { expr, var, order } => {
            let (d, mut c) = crate::derivative::derive_n(pool, expr, var, order)?;
            conditions.append(&mut c);
            d
        }
        _ => rebuilt,
    };
    memo.insert(id, out);
    Ok(out)
}
