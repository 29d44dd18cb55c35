//! Common subexpressions, printed once as named bindings.
//!
//! Results are DAGs: a gradient shares subterms as a reverse sweep does. Printed as a
//! tree, a shared subterm repeats; [`bindings`] picks the subexpressions that occur more
//! than once (and are more than a name or a number), names them `s1`, `s2`, ... in the
//! order they are needed, and the printer writes each once, as a person would:
//! `s1*(1 - s1) where s1 = sigmoid(w*x + b)`.

use rustc_hash::FxHashMap;

use crate::expr::node::{ExprId, Node};
use crate::expr::pool::Pool;
use crate::expr::size::tree_size_at_most;

/// The named subexpressions of `root`: each node with its name, innermost first (so each
/// binding's body only uses names bound before it).
pub fn bindings(pool: &Pool, root: ExprId) -> Vec<(ExprId, String)> {
    let order = postorder(pool, root);
    // How many times each node is printed: a node gets the printings of its parents,
    // except that a named parent is printed once (in its binding), whatever its count.
    // Parents come before children in reverse postorder, so counts are final in time.
    let mut count: FxHashMap<ExprId, u64> = FxHashMap::default();
    count.insert(root, 1);
    let mut named: rustc_hash::FxHashSet<ExprId> = rustc_hash::FxHashSet::default();
    for &id in order.iter().rev() {
        let c = count.get(&id).copied().unwrap_or(0);
        let is_named = id != root && c >= 2 && worth_naming(pool, id);
        if is_named {
            named.insert(id);
        }
        let printed = if is_named { 1 } else { c };
        for child in crate::expr::node::children(pool.node(id)) {
            let n = count.entry(child).or_insert(0);
            *n = n.saturating_add(printed);
        }
    }
    order
        .into_iter()
        .filter(|id| named.contains(id))
        .enumerate()
        .map(|(k, id)| (id, format!("s{}", k + 1)))
        .collect()
}

/// Whether a repeated subexpression is worth a name: not a leaf, an element, a number
/// or a delta, and big enough that naming it shortens the text.
fn worth_naming(pool: &Pool, id: ExprId) -> bool {
    let node = pool.node(id);
    !node.is_leaf()
        && !matches!(node, Node::Elem(_, _) | Node::Delta(_, _))
        && !tree_size_at_most(pool, id, 2)
}

/// The nodes of a DAG, each after its children.
fn postorder(pool: &Pool, root: ExprId) -> Vec<ExprId> {
    let mut out = Vec::new();
    let mut seen = rustc_hash::FxHashSet::default();
    let mut stack = vec![(root, false)];
    while let Some((id, expanded)) = stack.pop() {
        if expanded {
            out.push(id);
            continue;
        }
        if !seen.insert(id) {
            continue;
        }
        stack.push((id, true));
        for c in crate::expr::node::children(pool.node(id)) {
            if !seen.contains(&c) {
                stack.push((c, false));
            }
        }
    }
    out
}

/// The expression and its bindings as text: the expression with names, then
/// `where` and one `name = body` line per binding.
pub fn to_text(pool: &Pool, root: ExprId) -> String {
    let named: Vec<(ExprId, String)> = bindings(pool, root);
    let map: FxHashMap<ExprId, String> = named.iter().cloned().collect();
    let mut out = crate::print::text::to_text_named(pool, root, &[], &map);
    if !named.is_empty() {
        out.push_str("\nwhere");
        for (id, name) in &named {
            out.push_str(&format!(
                "\n  {name} = {}",
                crate::print::text::to_text_named(pool, *id, &[], &map)
            ));
        }
    }
    out
}
