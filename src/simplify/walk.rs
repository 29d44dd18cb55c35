//! The walk the prover's rewriting passes share ([`super::negated`], [`super::angles`],
//! [`super::content`], [`super::merge_powers`]): one rule applied bottom-up wherever it
//! matches, each application recorded as an instance of that rule.
//!
//! May import: `diag`, `expr`, `trace`.

use rustc_hash::FxHashMap;

use crate::expr::node::ExprId;
use crate::expr::pool::Pool;
use crate::trace::{Rewrite, Rule};

/// `e` with `rewrite` applied bottom-up at every node where it gives a result, and the
/// instances of `rule` that did it. With `again`, a result is walked in turn (a rule
/// whose result holds new matches, such as the parts of an angle sum).
pub fn bottom_up(
    pool: &mut Pool,
    e: ExprId,
    rule: Rule,
    again: bool,
    rewrite: fn(&mut Pool, ExprId) -> Option<ExprId>,
) -> (ExprId, Vec<Rewrite>) {
    let mut walk = Walk {
        rule,
        again,
        rewrite,
        memo: FxHashMap::default(),
        rewrites: Vec::new(),
    };
    let out = walk.rec(pool, e);
    (out, walk.rewrites)
}

/// One walk's rule, its results so far and its instances.
struct Walk {
    rule: Rule,
    again: bool,
    rewrite: fn(&mut Pool, ExprId) -> Option<ExprId>,
    memo: FxHashMap<ExprId, ExprId>,
    rewrites: Vec<Rewrite>,
}

impl Walk {
    /// The walk below `id`.
    fn rec(&mut self, pool: &mut Pool, id: ExprId) -> ExprId {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.rec(pool, id));
        }
        if let Some(&r) = self.memo.get(&id) {
            return r;
        }
        if pool.over_budget() {
            return id;
        }
        let old = crate::expr::node::children(pool.node(id));
        let kids: Vec<ExprId> = old.iter().map(|&c| self.rec(pool, c)).collect();
        let rebuilt = if kids == old {
            id
        } else {
            pool.rebuild(id, &kids)
        };
        let out = match (self.rewrite)(pool, rebuilt) {
            Some(r) => {
                self.rewrites.push(Rewrite::new(self.rule, rebuilt, r));
                if self.again { self.rec(pool, r) } else { r }
            }
            None => rebuilt,
        };
        self.memo.insert(id, out);
        out
    }
}
