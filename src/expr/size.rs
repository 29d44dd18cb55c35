//! Sizes of expressions: as a DAG (what memory holds) and as a tree (what a reader
//! sees).

use rustc_hash::FxHashMap;

use crate::expr::node::ExprId;
use crate::expr::pool::Pool;

/// The number of distinct nodes in an expression's DAG.
pub fn dag_size(pool: &Pool, id: ExprId) -> usize {
    let mut todo = vec![id];
    let mut seen = rustc_hash::FxHashSet::default();
    while let Some(x) = todo.pop() {
        if seen.insert(x) {
            todo.extend(crate::expr::node::children(pool.node(x)));
        }
    }
    seen.len()
}

/// The size of an expression written out as a tree (a repeated subexpression counts
/// each time, as it does for a reader): the measure of "smaller". Saturates instead of
/// overflowing on huge DAGs.
pub fn tree_size(pool: &Pool, id: ExprId) -> u64 {
    fn rec(pool: &Pool, id: ExprId, memo: &mut FxHashMap<ExprId, u64>) -> u64 {
        if let Some(&n) = memo.get(&id) {
            return n;
        }
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || rec(pool, id, memo));
        }
        let n = crate::expr::node::children(pool.node(id))
            .into_iter()
            .fold(1u64, |acc, c| acc.saturating_add(rec(pool, c, memo)));
        memo.insert(id, n);
        n
    }
    rec(pool, id, &mut FxHashMap::default())
}

/// Whether the expression written out as a tree has at most `limit` nodes. It stops
/// counting past the limit, so the cost is at most `limit` steps however large the
/// expression: a printer may ask it at every node.
pub fn tree_size_at_most(pool: &Pool, id: ExprId, limit: u64) -> bool {
    let mut todo = vec![id];
    let mut count = 0u64;
    while let Some(x) = todo.pop() {
        count += 1;
        if count > limit {
            return false;
        }
        todo.extend(crate::expr::node::children(pool.node(x)));
    }
    true
}
