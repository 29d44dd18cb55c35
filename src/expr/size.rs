//! Sizes of expressions: as a DAG (what memory holds) and as a tree (what a reader
//! sees).

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
/// overflowing on huge DAGs. The pool keeps it for every node, so this costs nothing.
pub fn tree_size(pool: &Pool, id: ExprId) -> u64 {
    pool.tree_size(id)
}

/// Whether the expression written out as a tree has at most `limit` nodes.
pub fn tree_size_at_most(pool: &Pool, id: ExprId, limit: u64) -> bool {
    pool.tree_size(id) <= limit
}
