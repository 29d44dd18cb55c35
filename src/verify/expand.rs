//! The checker's own writing out of definitions: every call replaced by its
//! definition's body, from the outside in.
//!
//! Only an element of a tensor-valued call has a body: a call passed whole as another
//! call's argument (`softmax(z - c)`, with `z - c` an anonymous definition's call with
//! no indices) is put in place of that call's tensor parameter before anything is
//! expanded, so that each use of the parameter becomes an element of it with its own
//! index, and is expanded from there. (The pool's `expand_definitions` works from the
//! inside out and would take the whole call's body with its result index unbound.)

use rustc_hash::FxHashMap;

use crate::expr::node::{DefId, ExprId, Func, Node};
use crate::expr::pool::Pool;

/// `id` in primitive terms: each call with all its result indices, and each builtin
/// of `builtins`, replaced by its body, recursively, inside derivatives too.
pub(super) fn expand_definitions(
    pool: &mut Pool,
    id: ExprId,
    builtins: &[(Func, DefId)],
) -> ExprId {
    let mut memo = FxHashMap::default();
    expand(pool, id, builtins, &mut memo)
}

fn expand(
    pool: &mut Pool,
    id: ExprId,
    builtins: &[(Func, DefId)],
    memo: &mut FxHashMap<ExprId, ExprId>,
) -> ExprId {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || expand(pool, id, builtins, memo));
    }
    if let Some(&r) = memo.get(&id) {
        return r;
    }
    // The call that stands for this node, if it has a body.
    let call = match pool.node(id).clone() {
        Node::Call { def, indices, .. } => {
            (indices.len() == pool.definition(def).indices.len()).then_some(id)
        }
        Node::Func(f, u) => builtins
            .iter()
            .find(|(g, _)| *g == f)
            .map(|&(_, def)| pool.call(def, vec![u], Vec::new())),
        _ => None,
    };
    let body = match call {
        Some(c) => pool.expand_call(c).filter(|&b| b != c),
        None => None,
    };
    let out = if let Some(body) = body {
        expand(pool, body, builtins, memo)
    } else {
        let kids: Vec<ExprId> = crate::expr::node::children(pool.node(id))
            .into_iter()
            .map(|c| expand(pool, c, builtins, memo))
            .collect();
        pool.rebuild(id, &kids)
    };
    memo.insert(id, out);
    out
}
