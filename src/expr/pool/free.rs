//! Free names and indices of an expression, and renaming a free index without capturing
//! it under an inner binder.

use std::rc::Rc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::expr::node::{ExprId, Node, Symbol};
use crate::expr::pool::Pool;

impl Pool {
    /// The definitions called anywhere in an expression (not inside their bodies), in
    /// the order a depth-first walk meets them.
    pub fn called_definitions(&self, id: ExprId) -> Vec<crate::expr::node::DefId> {
        let mut out = Vec::new();
        let mut todo = vec![id];
        let mut visited = rustc_hash::FxHashSet::default();
        while let Some(e) = todo.pop() {
            if !visited.insert(e) {
                continue;
            }
            let node = self.node(e);
            if let Node::Call { def, .. } = node
                && !out.contains(def)
            {
                out.push(*def);
            }
            todo.extend(crate::expr::node::children(node));
        }
        out
    }

    /// Every name free in an expression (scalars, indices, tensors, lengths and the
    /// definitions it calls), sorted by symbol handle. Memoized per node.
    pub fn free_symbols(&self, id: ExprId) -> Rc<[Symbol]> {
        if let Some(Some(f)) = self.free.borrow().get(id.index()) {
            return f.clone();
        }
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.free_symbols(id));
        }
        let mut set: Vec<Symbol> = match self.node(id).clone() {
            Node::Num(_) | Node::Const(_) => Vec::new(),
            Node::Sym(s) | Node::Index(s) | Node::Tensor(s) | Node::Len(s, _) => vec![s],
            Node::Elem(s, idx) => {
                let mut v = vec![s];
                for i in idx.iter() {
                    v.extend(self.free_symbols(*i).iter().copied());
                }
                v
            }
            Node::Add(xs) | Node::Mul(xs) => {
                let mut v = Vec::new();
                for x in xs.iter() {
                    v.extend(self.free_symbols(*x).iter().copied());
                }
                v
            }
            Node::Pow(a, b) | Node::Delta(a, b) => {
                let mut v = self.free_symbols(a).to_vec();
                v.extend(self.free_symbols(b).iter().copied());
                v
            }
            Node::Func(_, a) => self.free_symbols(a).to_vec(),
            Node::Sum { index, range, body } => {
                let mut v: Vec<Symbol> = self
                    .free_symbols(body)
                    .iter()
                    .copied()
                    .filter(|&s| s != index)
                    .collect();
                v.extend(self.free_symbols(range).iter().copied());
                v
            }
            Node::Call { def, args, indices } => {
                let mut v = vec![self.definition(def).name];
                for x in args.iter().chain(indices.iter()) {
                    v.extend(self.free_symbols(*x).iter().copied());
                }
                v
            }
            Node::Diff { expr, var, .. } => {
                let mut v = self.free_symbols(expr).to_vec();
                v.extend(self.free_symbols(var).iter().copied());
                v
            }
        };
        set.sort_unstable();
        set.dedup();
        let rc: Rc<[Symbol]> = set.into();
        let mut cache = self.free.borrow_mut();
        if cache.len() <= id.index() {
            cache.resize(self.nodes.len(), None);
        }
        cache[id.index()] = Some(rc.clone());
        rc
    }

    /// The variables an expression depends on, in the order it first mentions them
    /// once every call is expanded in place: its scalars and tensors (a tensor by its
    /// elements, not by its lengths), never an index, a name a sum binds, or a
    /// definition (whose body's variables stand in its place).
    pub fn free_variables(&mut self, id: ExprId) -> Vec<Symbol> {
        fn walk(pool: &mut Pool, id: ExprId, seen: &mut FxHashSet<ExprId>, out: &mut Vec<Symbol>) {
            if !seen.insert(id) {
                return;
            }
            let mut add = |s: Symbol| {
                if !out.contains(&s) {
                    out.push(s);
                }
            };
            match pool.node(id).clone() {
                Node::Sym(s) | Node::Tensor(s) => add(s),
                Node::Elem(t, _) => add(t),
                Node::Call { args, .. } => {
                    match pool.expand_call(id).filter(|&b| b != id) {
                        Some(body) => walk(pool, body, seen, out),
                        // A reduction has no body: its variables are its vector's.
                        None if pool.as_reduction(id).is_some() => {
                            for a in args.iter() {
                                walk(pool, *a, seen, out);
                            }
                        }
                        None => {}
                    }
                }
                other => {
                    for c in crate::expr::node::children(&other) {
                        walk(pool, c, seen, out);
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(self, id, &mut FxHashSet::default(), &mut out);
        out
    }

    /// Whether an expression has free index names, without changing the pool.
    pub fn free_indices_ref(&self, id: ExprId) -> Vec<Symbol> {
        let mut out = Vec::new();
        let mut todo = vec![(id, Vec::<Symbol>::new())];
        let mut seen = FxHashSet::default();
        while let Some((x, bound)) = todo.pop() {
            if !seen.insert((x, bound.clone())) {
                continue;
            }
            match self.node(x) {
                Node::Index(s) if !bound.contains(s) => out.push(*s),
                Node::Sum { index, range, body } => {
                    todo.push((*range, bound.clone()));
                    let mut b = bound.clone();
                    b.push(*index);
                    todo.push((*body, b));
                }
                n => todo.extend(
                    crate::expr::node::children(n)
                        .into_iter()
                        .map(|c| (c, bound.clone())),
                ),
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The free index names of an expression, sorted by name.
    pub fn free_indices(&mut self, id: ExprId) -> Vec<Symbol> {
        let mut out = Vec::new();
        let mut seen = FxHashMap::default();
        self.collect_free_indices(id, &mut Vec::new(), &mut out, &mut seen);
        out.sort_by(|a, b| crate::expr::order::cmp_names(self.name(*a), self.name(*b)));
        out.dedup();
        out
    }

    fn collect_free_indices(
        &mut self,
        id: ExprId,
        bound: &mut Vec<Symbol>,
        out: &mut Vec<Symbol>,
        seen: &mut FxHashMap<(ExprId, usize), ()>,
    ) {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || {
                self.collect_free_indices(id, bound, out, seen)
            });
        }
        // A node's free indices depend only on which binders enclose it, and the binder
        // stack only grows inside sums, so (node, depth) visits are enough to skip repeats.
        if seen.insert((id, bound.len()), ()).is_some() {
            return;
        }
        match self.node(id).clone() {
            Node::Index(s) => {
                if !bound.contains(&s) {
                    out.push(s);
                }
            }
            Node::Num(_) | Node::Const(_) | Node::Sym(_) | Node::Tensor(_) | Node::Len(_, _) => {}
            Node::Elem(_, xs) | Node::Add(xs) | Node::Mul(xs) => {
                for x in xs.iter() {
                    self.collect_free_indices(*x, bound, out, seen);
                }
            }
            Node::Pow(a, b) | Node::Delta(a, b) => {
                self.collect_free_indices(a, bound, out, seen);
                self.collect_free_indices(b, bound, out, seen);
            }
            Node::Func(_, a) => self.collect_free_indices(a, bound, out, seen),
            Node::Sum { index, range, body } => {
                self.collect_free_indices(range, bound, out, seen);
                bound.push(index);
                // Depth alone does not identify the binder stack, so nested visits under a
                // different binder must not be skipped: clear the cache for the body.
                let mut inner_seen = FxHashMap::default();
                self.collect_free_indices(body, bound, out, &mut inner_seen);
                bound.pop();
            }
            Node::Call { args, indices, .. } => {
                for x in args.iter().chain(indices.iter()) {
                    self.collect_free_indices(*x, bound, out, seen);
                }
            }
            Node::Diff { expr, var, .. } => {
                self.collect_free_indices(expr, bound, out, seen);
                self.collect_free_indices(var, bound, out, seen);
            }
        }
    }

    /// A symbol that no expression uses, for a binder renamed temporarily.
    pub(crate) fn fresh_index_symbol(&mut self) -> Symbol {
        self.fresh_counter += 1;
        // The apostrophe keeps it out of the language's names, so it cannot clash.
        let name = format!("'t{}", self.fresh_counter);
        self.symbol(&name)
    }

    /// Replaces the free index `from` by the index expression `to`, renaming inner
    /// binders where `to` would otherwise be captured.
    pub fn rename_index(&mut self, id: ExprId, from: Symbol, to: ExprId) -> ExprId {
        let mut memo = FxHashMap::default();
        self.rename_rec(id, from, to, &mut memo)
    }

    fn rename_rec(
        &mut self,
        id: ExprId,
        from: Symbol,
        to: ExprId,
        memo: &mut FxHashMap<ExprId, ExprId>,
    ) -> ExprId {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.rename_rec(id, from, to, memo));
        }
        if let Some(&r) = memo.get(&id) {
            return r;
        }
        if !self.free_symbols(id).contains(&from) {
            return id;
        }
        let result = match self.node(id).clone() {
            Node::Index(s) if s == from => to,
            Node::Num(_)
            | Node::Const(_)
            | Node::Sym(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Len(_, _) => id,
            Node::Elem(s, xs) => {
                let xs = xs
                    .iter()
                    .map(|&x| self.rename_rec(x, from, to, memo))
                    .collect();
                self.elem(s, xs)
            }
            Node::Add(xs) => {
                let xs = xs
                    .iter()
                    .map(|&x| self.rename_rec(x, from, to, memo))
                    .collect();
                self.add(xs)
            }
            Node::Mul(xs) => {
                let xs = xs
                    .iter()
                    .map(|&x| self.rename_rec(x, from, to, memo))
                    .collect();
                self.mul(xs)
            }
            Node::Pow(a, b) => {
                let a = self.rename_rec(a, from, to, memo);
                let b = self.rename_rec(b, from, to, memo);
                self.pow(a, b)
            }
            Node::Delta(a, b) => {
                let a = self.rename_rec(a, from, to, memo);
                let b = self.rename_rec(b, from, to, memo);
                self.delta(a, b)
            }
            Node::Func(f, a) => {
                let a = self.rename_rec(a, from, to, memo);
                self.func(f, a)
            }
            Node::Sum { index, range, body } => {
                let range = self.rename_rec(range, from, to, memo);
                if index == from {
                    self.sum(index, range, body)
                } else if self.free_symbols(to).contains(&index) {
                    // `to` mentions this binder's name: rename the binder out of the way.
                    let fresh = self.fresh_index_symbol();
                    let fresh_id = self.index(fresh);
                    let body = self.rename_index(body, index, fresh_id);
                    let body = self.rename_index(body, from, to);
                    self.sum(fresh, range, body)
                } else {
                    // Neither shadowed nor captured, the renaming of the body's subterms
                    // is the same as outside, so the memo carries over: a subterm that
                    // nested sums share is renamed once, not once per sum.
                    let body = self.rename_rec(body, from, to, memo);
                    self.sum(index, range, body)
                }
            }
            Node::Call { def, args, indices } => {
                let args = args
                    .iter()
                    .map(|&x| self.rename_rec(x, from, to, memo))
                    .collect();
                let indices = indices
                    .iter()
                    .map(|&x| self.rename_rec(x, from, to, memo))
                    .collect();
                self.call(def, args, indices)
            }
            Node::Diff { expr, var, order } => {
                let expr = self.rename_rec(expr, from, to, memo);
                let var = self.rename_rec(var, from, to, memo);
                self.diff(expr, var, order)
            }
        };
        memo.insert(id, result);
        result
    }
}
