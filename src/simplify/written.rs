//! Definitions written out: every call replaced by its definition's body, from the
//! outside in.
//!
//! A call of a tensor-valued definition passed whole as another call's argument
//! (`softmax(z - c)`, where `z - c` is an anonymous definition's call with no indices)
//! has no body of its own: only an element of it does. Expanding from the outside in
//! puts the whole call in place of the outer definition's tensor parameter first, so
//! that each of its uses there (`z[i]`, `z[j]`) becomes an element of it, with its own
//! index, which is then expanded in turn. Expanding from the inside out would take
//! the whole call's body with its result index left unbound, which is not the tensor.
//!
//! May import: `diag`, `expr`.

use rustc_hash::FxHashMap;

use crate::expr::node::{DefId, ExprId, Func, Node};
use crate::expr::pool::Pool;

/// `id` with every call that has all its result indices replaced by its definition's
/// body, and every builtin listed in `builtins` by the body the prelude states for it
/// (`sigmoid(u)` by `1/(1 + exp(-u))`), recursively, inside unevaluated derivatives
/// too: an expression in primitive terms, equal to `id` everywhere. A tensor-valued
/// call passed whole stays a call until the call it is passed to is written out.
pub fn write_out(pool: &mut Pool, id: ExprId, builtins: &[(Func, DefId)]) -> ExprId {
    let mut memo = FxHashMap::default();
    write_out_rec(pool, id, builtins, &mut memo)
}

fn write_out_rec(
    pool: &mut Pool,
    id: ExprId,
    builtins: &[(Func, DefId)],
    memo: &mut FxHashMap<ExprId, ExprId>,
) -> ExprId {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || write_out_rec(pool, id, builtins, memo));
    }
    if let Some(&r) = memo.get(&id) {
        return r;
    }
    let call = match pool.node(id).clone() {
        Node::Call { def, indices, .. } if indices.len() == pool.definition(def).indices.len() => {
            Some(id)
        }
        Node::Func(f, u) => builtins
            .iter()
            .find(|(g, _)| *g == f)
            .map(|&(_, def)| pool.call(def, vec![u], Vec::new())),
        _ => None,
    };
    let body = call.and_then(|c| pool.expand_call(c).filter(|&b| b != c));
    let out = match body {
        Some(body) => write_out_rec(pool, body, builtins, memo),
        None => {
            let kids: Vec<ExprId> = crate::expr::node::children(pool.node(id))
                .into_iter()
                .map(|c| write_out_rec(pool, c, builtins, memo))
                .collect();
            pool.rebuild(id, &kids)
        }
    };
    memo.insert(id, out);
    out
}
