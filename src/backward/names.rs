//! Sums rolled back up: `dxhat[1, 0]*xhat[1, 0] + dxhat[1, 1]*xhat[1, 1] + ...` over a
//! whole axis is shown as `sum(j, dxhat[1, j]*xhat[1, j])`.
//!
//! The terms of a sum are grouped by their skeleton (the term with every element's
//! indices blanked). In a group as long as an axis, the index positions whose values
//! differ between the terms must run over that axis together; the group is then one
//! `sum` over a fresh index, and it replaces the terms only when substituting each
//! value of the index gives back exactly the group's terms, so a rolled sum is always
//! equal to what it replaces.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::expr::node::{ExprId, Node, Symbol, children};
use crate::expr::pool::Pool;
use crate::expr::subst::Subst;

/// `e` with the sums over whole axes of the named arrays (`shapes`, by tensor symbol)
/// rolled up, innermost first.
pub fn roll(pool: &mut Pool, shapes: &FxHashMap<Symbol, Vec<usize>>, e: ExprId) -> ExprId {
    let mut memo = FxHashMap::default();
    rec(pool, shapes, e, &mut memo, 0)
}

fn rec(
    pool: &mut Pool,
    shapes: &FxHashMap<Symbol, Vec<usize>>,
    e: ExprId,
    memo: &mut FxHashMap<ExprId, ExprId>,
    depth: usize,
) -> ExprId {
    if let Some(&m) = memo.get(&e) {
        return m;
    }
    let kids = children(pool.node(e));
    if kids.is_empty() || depth > 200 {
        return e;
    }
    let new: Vec<ExprId> = kids
        .iter()
        .map(|&k| crate::diag::stack::guard(|| rec(pool, shapes, k, memo, depth + 1)))
        .collect();
    let mut out = if new == kids {
        e
    } else {
        pool.rebuild(e, &new)
    };
    if let Node::Add(terms) = pool.node(out).clone() {
        out = roll_terms(pool, shapes, &terms);
    }
    memo.insert(e, out);
    out
}

/// One element occurrence in a term: the element node, an axis, and its index there.
type Slot = (ExprId, usize, i64);

/// A term of a sum and its slots.
type Term = (ExprId, Vec<Slot>);

/// The term with its named elements' indices blanked, and its slots in the order met.
fn skeleton(
    pool: &mut Pool,
    shapes: &FxHashMap<Symbol, Vec<usize>>,
    e: ExprId,
    slots: &mut Vec<Slot>,
) -> ExprId {
    // A term with more nodes than this is not rolled (its walk would be long, and a
    // sum of such terms is not read anyway).
    if slots.len() > 4096 {
        return e;
    }
    if let Node::Elem(t, idx) = pool.node(e).clone()
        && shapes.contains_key(&t)
    {
        let mut values = Vec::with_capacity(idx.len());
        for &i in idx.iter() {
            match pool.as_num(i).and_then(crate::syntax::number::to_small_int) {
                Some(v) => values.push(v),
                None => return e,
            }
        }
        for (axis, v) in values.into_iter().enumerate() {
            slots.push((e, axis, v));
        }
        let blank = idx.iter().map(|_| pool.int(0)).collect();
        return pool.elem(t, blank);
    }
    let kids = children(pool.node(e));
    if kids.is_empty() {
        return e;
    }
    let new: Vec<ExprId> = kids
        .iter()
        .map(|&k| crate::diag::stack::guard(|| skeleton(pool, shapes, k, slots)))
        .collect();
    if new == kids {
        e
    } else {
        pool.rebuild(e, &new)
    }
}

/// The terms of a sum with each group that runs over a whole axis rolled into one
/// `sum`.
fn roll_terms(pool: &mut Pool, shapes: &FxHashMap<Symbol, Vec<usize>>, terms: &[ExprId]) -> ExprId {
    // Terms this large are not read term by term anyway; their walk is skipped.
    if terms.iter().any(|&t| pool.tree_size(t) > 2_000) {
        return pool.add(terms.to_vec());
    }
    let mut groups: Vec<(ExprId, Vec<Term>)> = Vec::new();
    for &t in terms {
        let mut slots = Vec::new();
        let skel = skeleton(pool, shapes, t, &mut slots);
        match groups.iter_mut().find(|g| g.0 == skel) {
            Some(g) => g.1.push((t, slots)),
            None => groups.push((skel, vec![(t, slots)])),
        }
    }
    let mut out = Vec::new();
    for (_, group) in groups {
        match roll_group(pool, shapes, &group) {
            Some(sum) => out.push(sum),
            None => out.extend(group.iter().map(|g| g.0)),
        }
    }
    pool.add(out)
}

/// The group as one sum over a fresh index, if its varying indices run over a whole
/// axis together and the sum gives back exactly its terms.
fn roll_group(
    pool: &mut Pool,
    shapes: &FxHashMap<Symbol, Vec<usize>>,
    group: &[Term],
) -> Option<ExprId> {
    let len = group.len();
    if len < 2 {
        return None;
    }
    let first = &group[0].1;
    if first.is_empty() || group.iter().any(|g| g.1.len() != first.len()) {
        return None;
    }
    // The slot positions whose index differs between terms.
    let varying: Vec<usize> = (0..first.len())
        .filter(|&p| group.iter().any(|g| g.1[p].2 != first[p].2))
        .collect();
    if varying.is_empty() {
        return None;
    }
    // Within a term every varying position holds one value; across the group they
    // are 0..len, each once; and each varying axis is `len` long.
    let mut seen = FxHashSet::default();
    for g in group {
        let v = g.1[varying[0]].2;
        if varying.iter().any(|&p| g.1[p].2 != v) || v < 0 || v as usize >= len {
            return None;
        }
        seen.insert(v);
    }
    if seen.len() != len {
        return None;
    }
    for &p in &varying {
        let (elem, axis, _) = first[p];
        let Node::Elem(t, _) = pool.node(elem).clone() else {
            return None;
        };
        if shapes.get(&t).and_then(|s| s.get(axis)) != Some(&len) {
            return None;
        }
    }
    // A name of its own; `Pool::sum` renames it to the first of `j, k, l, ...` free
    // in the body.
    let j = pool.symbol("__rolled");
    let jn = pool.index(j);
    // The first term with its varying positions written as `j`.
    let mut replaced: FxHashMap<ExprId, Vec<usize>> = FxHashMap::default();
    for &p in &varying {
        let (elem, axis, _) = first[p];
        replaced.entry(elem).or_default().push(axis);
    }
    let mut map = FxHashMap::default();
    for (elem, axes) in replaced {
        let Node::Elem(t, idx) = pool.node(elem).clone() else {
            return None;
        };
        let new_idx: Vec<ExprId> = idx
            .iter()
            .enumerate()
            .map(|(a, &i)| if axes.contains(&a) { jn } else { i })
            .collect();
        map.insert(elem, pool.elem(t, new_idx));
    }
    let body = replace(pool, group[0].0, &mut map);
    // Each value of `j` must give back one of the terms.
    let terms: FxHashSet<ExprId> = group.iter().map(|g| g.0).collect();
    let mut back = FxHashSet::default();
    for v in 0..len {
        let mut s = Subst::default();
        s.indices.insert(j, pool.int(v as i64));
        back.insert(pool.substitute(body, &s));
    }
    if back != terms {
        return None;
    }
    let range = pool.int(len as i64);
    Some(pool.sum(j, range, body))
}

/// `e` with the nodes of `map` replaced (each shared node once).
fn replace(pool: &mut Pool, e: ExprId, map: &mut FxHashMap<ExprId, ExprId>) -> ExprId {
    if let Some(&m) = map.get(&e) {
        return m;
    }
    let kids = children(pool.node(e));
    if kids.is_empty() {
        return e;
    }
    let new: Vec<ExprId> = kids
        .iter()
        .map(|&k| crate::diag::stack::guard(|| replace(pool, k, map)))
        .collect();
    let out = if new == kids {
        e
    } else {
        pool.rebuild(e, &new)
    };
    map.insert(e, out);
    out
}
