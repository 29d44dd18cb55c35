//! Replay: whether a step is made of its rule instances.
//!
//! Rebuilding the expression before a step, with every subexpression that an instance
//! matched replaced by that instance's result, must give the expression after it. The
//! instances themselves are checked elsewhere ([`super::rules`]); this file only
//! confirms that the step uses them and nothing else.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::expr::node::{ExprId, Node};
use crate::expr::pool::Pool;
use crate::trace::{Rewrite, Step};

/// Whether some replay of the step's instances turns `before` into `after`; an error
/// when the instances contradict each other.
pub(super) fn replays(pool: &mut Pool, step: &Step) -> Result<bool, String> {
    // Some passes take a rule's result as it is (a derivation's round); others
    // rewrite inside it again (the simplifier). Either replay justifies the step,
    // since it uses only the instances checked before. A derivation's round matches
    // the expression as it stood, outermost first, so it is replayed that way too:
    // rebuilding first could make a product cancel into a node that another
    // instance matched elsewhere.
    if replay_top_down(pool, step.before, &step.rewrites) == step.after {
        return Ok(true);
    }
    for mode in [Mode::AsGiven, Mode::Shallow, Mode::IntoResults] {
        if replay(pool, step.before, &step.rewrites, mode)? == step.after {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Rebuilds `id` from the top down: a subexpression that an instance matched becomes
/// that instance's result, and the rest is rebuilt from its children.
fn replay_top_down(pool: &mut Pool, id: ExprId, rewrites: &[Rewrite]) -> ExprId {
    let map: FxHashMap<ExprId, ExprId> = rewrites.iter().map(|r| (r.before, r.after)).collect();
    let mut memo = FxHashMap::default();
    top_down_rec(pool, id, &map, &mut memo)
}

/// [`replay_top_down`] below `id`, with the results so far in `memo`.
fn top_down_rec(
    pool: &mut Pool,
    id: ExprId,
    map: &FxHashMap<ExprId, ExprId>,
    memo: &mut FxHashMap<ExprId, ExprId>,
) -> ExprId {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || top_down_rec(pool, id, map, memo));
    }
    if let Some(&r) = map.get(&id).or_else(|| memo.get(&id)) {
        return r;
    }
    // `diff(u, x, n)` is `diff(diff(u, x), x, n - 1)`: an instance that matched the inner
    // first derivative applies under the outer ones (a higher derivative's steps).
    if let Node::Diff { expr, var, order } = pool.node(id).clone()
        && order > 1
    {
        let first = pool.diff(expr, var, 1);
        if let Some(&inner) = map.get(&first) {
            let r = pool.diff(inner, var, order - 1);
            memo.insert(id, r);
            return r;
        }
    }
    let kids: Vec<ExprId> = crate::expr::node::children(pool.node(id))
        .into_iter()
        .map(|c| top_down_rec(pool, c, map, memo))
        .collect();
    let out = pool.rebuild(id, &kids);
    memo.insert(id, out);
    out
}

/// How far a replay rewrites inside the results of rule instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// A result is taken as the rule gave it.
    AsGiven,
    /// A result is rewritten again as a whole (a chain of instances at one node, as a
    /// pass that normalizes a node in stages records it), and each of its terms by the
    /// `sum-exchange` instances, with the result rebuilt from them: the prover's
    /// expansion orders the sums of each term of what it multiplied out, and leaves
    /// every other subexpression of a term as it stands, even where an instance
    /// matched the same subexpression elsewhere (the pool may have merged a factor
    /// that `exp-out-of-sum` took out back into the sum).
    Shallow,
    /// A result is rewritten again wherever an instance matches inside it (the
    /// simplifier's passes, which rewrite their own results).
    IntoResults,
}

/// Rebuilds `id` from the bottom up, replacing each matched subexpression by its result
/// (and, as `mode` says, the result's own matches, in turn).
fn replay(pool: &mut Pool, id: ExprId, rewrites: &[Rewrite], mode: Mode) -> Result<ExprId, String> {
    let mut map: FxHashMap<ExprId, ExprId> = FxHashMap::default();
    for rw in rewrites {
        match map.get(&rw.before) {
            Some(&other) if other != rw.after => {
                return Err("two rule instances rewrite the same subexpression differently".into());
            }
            _ => {
                map.insert(rw.before, rw.after);
            }
        }
    }
    let terms = rewrites
        .iter()
        .filter(|rw| rw.rule == crate::trace::Rule::SumExchange)
        .map(|rw| (rw.before, rw.after))
        .collect();
    let mut memo = FxHashMap::default();
    let mut active = FxHashSet::default();
    let mut redexes = Redexes {
        map,
        terms,
        within: FxHashMap::default(),
        mode,
    };
    replay_rec(pool, id, &mut redexes, &mut memo, &mut active, true)
}

/// The rewrites of a step by the subexpression they match, and which subexpressions
/// hold a match somewhere inside.
struct Redexes {
    /// Each matched subexpression's result.
    map: FxHashMap<ExprId, ExprId>,
    /// The results of the instances that reorder one term's sums.
    terms: FxHashMap<ExprId, ExprId>,
    /// Whether an expression holds a matched subexpression.
    within: FxHashMap<ExprId, bool>,
    /// How far a rule's result is rewritten again.
    mode: Mode,
}

impl Redexes {
    /// Whether `id` is matched or holds a matched subexpression.
    fn within(&mut self, pool: &Pool, id: ExprId) -> bool {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.within(pool, id));
        }
        if let Some(&w) = self.within.get(&id) {
            return w;
        }
        let w = self.map.contains_key(&id)
            || crate::expr::node::children(pool.node(id))
                .into_iter()
                .any(|c| self.within(pool, c));
        self.within.insert(id, w);
        w
    }
}

/// [`replay`] below `id`; `active` holds the expressions being rebuilt (a cycle
/// among the rewrites revisits one, and stops there), and `original` says whether `id` is part of
/// the expression the step started from rather than of a rule's result.
fn replay_rec(
    pool: &mut Pool,
    id: ExprId,
    redexes: &mut Redexes,
    memo: &mut FxHashMap<ExprId, ExprId>,
    active: &mut FxHashSet<ExprId>,
    original: bool,
) -> Result<ExprId, String> {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || {
            replay_rec(pool, id, redexes, memo, active, original)
        });
    }
    if let Some(&r) = memo.get(&id) {
        return Ok(r);
    }
    // The expression a step starts from is rebuilt throughout, as the passes that make
    // steps rebuild it; a rule's result is taken as the rule gave it, except where a
    // further rule instance matches inside it.
    if !original && !redexes.within(pool, id) {
        return Ok(id);
    }
    // Instances may undo each other within one step (a sum exchanged in one place and
    // exchanged back where the same sum reappears in another rule's result). Each
    // instance is checked on its own, so any order of applying them is a sound
    // justification; a replay that comes back to an expression it is still rebuilding
    // takes that expression as it stands instead of going round again.
    if !active.insert(id) {
        return Ok(id);
    }
    let kids: Vec<ExprId> = crate::expr::node::children(pool.node(id))
        .into_iter()
        .map(|c| replay_rec(pool, c, redexes, memo, active, original))
        .collect::<Result<_, _>>()?;
    let mut out = pool.rebuild(id, &kids);
    if let Some(&next) = redexes.map.get(&out)
        && next != out
    {
        out = match redexes.mode {
            Mode::AsGiven => next,
            Mode::Shallow => shallow(pool, next, &redexes.map, &redexes.terms),
            Mode::IntoResults => replay_rec(pool, next, redexes, memo, active, false)?,
        };
    }
    active.remove(&id);
    memo.insert(id, out);
    Ok(out)
}

/// The [`Mode::Shallow`] replay of a rule's result: the chain of instances that begins at
/// it, then each term of what the chain ends at reordered by a `sum-exchange` instance,
/// and the sum rebuilt from them.
fn shallow(
    pool: &mut Pool,
    id: ExprId,
    map: &FxHashMap<ExprId, ExprId>,
    terms: &FxHashMap<ExprId, ExprId>,
) -> ExprId {
    let cur = chain(id, map);
    let Node::Add(ts) = pool.node(cur).clone() else {
        return cur;
    };
    let new: Vec<ExprId> = ts.iter().map(|&t| chain(t, terms)).collect();
    if new[..] == ts[..] {
        cur
    } else {
        pool.add(new)
    }
}

/// Follows the instances from `id`: each one's result, while another instance matches it.
fn chain(mut id: ExprId, map: &FxHashMap<ExprId, ExprId>) -> ExprId {
    for _ in 0..=map.len() {
        match map.get(&id) {
            Some(&next) if next != id => id = next,
            _ => break,
        }
    }
    id
}
