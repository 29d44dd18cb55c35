//! Index constructors and queries: the Kronecker delta, the canonical sum over a bound
//! index, and the axis lengths that an index selects, read through calls into the
//! definitions they call.

use rustc_hash::FxHashSet;

use crate::expr::kind::Kind;
use crate::expr::node::{DefId, ExprId, Node, Symbol};
use crate::expr::pool::Pool;

/// Names tried, in order, for a sum's bound index; see [`Pool::sum`].
pub(crate) const BOUND_INDEX_NAMES: [&str; 12] =
    ["j", "k", "l", "m", "p", "q", "r", "s", "t", "u", "v", "w"];

impl Pool {
    /// The Kronecker delta of two index expressions.
    pub fn delta(&mut self, a: ExprId, b: ExprId) -> ExprId {
        if a == b {
            return self.int(1);
        }
        if self.as_num(a).is_some() && self.as_num(b).is_some() {
            // Distinct handles of two numbers are distinct integers.
            return self.int(0);
        }
        let (a, b) = if self.cmp(a, b).is_le() {
            (a, b)
        } else {
            (b, a)
        };
        self.intern(Node::Delta(a, b))
    }

    /// `sum(index, body)` with `index` running over `0..range`.
    ///
    /// The canonical form moves every factor free of the index out of the sum, turns a
    /// summand free of the index into `range * body`, and renames the bound index to the
    /// first of `j, k, l, m, p, ...` that is not otherwise free in the sum. The renaming
    /// makes alpha-equivalent sums one node: `sum(j, z[j])` and `sum(t, z[t])` are equal.
    pub fn sum(&mut self, index: Symbol, range: ExprId, body: ExprId) -> ExprId {
        if self.is_int(body, 0) {
            return body;
        }
        let free = self.free_symbols(body);
        if !free.contains(&index) {
            return self.mul(vec![range, body]);
        }
        if let Node::Mul(fs) = self.node(body).clone() {
            let mut outside = Vec::new();
            let mut inside = Vec::new();
            for f in fs.iter().copied() {
                if self.free_symbols(f).contains(&index) {
                    inside.push(f);
                } else {
                    outside.push(f);
                }
            }
            if !outside.is_empty() {
                let inner_body = self.mul(inside);
                let inner = self.sum(index, range, inner_body);
                outside.push(inner);
                return self.mul(outside);
            }
        }
        // The range is read off the body where the index selects an axis, so that the
        // same summand always gets the same range node, whichever of several equal-length
        // axes the caller named. The caller's range serves when no axis is indexed.
        let range = self.axis_of(index, body).unwrap_or(range);
        let range_free = self.free_symbols(range);
        let taken = |s: Symbol| (s != index && free.contains(&s)) || range_free.contains(&s);
        let canonical = self.bound_name(taken);
        let body = if canonical == index {
            body
        } else {
            let to = self.index(canonical);
            self.rename_index(body, index, to)
        };
        self.intern(Node::Sum {
            index: canonical,
            range,
            body,
        })
    }

    /// The least (in the structural order) axis length that `index` selects somewhere
    /// in `expr`: `len(z)` for `z[index]`, or a definition's result axis for a call.
    pub fn axis_of(&mut self, index: Symbol, expr: ExprId) -> Option<ExprId> {
        let mut found = Vec::new();
        let mut seen = FxHashSet::default();
        self.collect_axes(index, expr, &mut found, &mut seen);
        let mut best: Option<ExprId> = None;
        for a in found {
            if best.is_none_or(|b| self.cmp(a, b).is_lt()) {
                best = Some(a);
            }
        }
        best
    }

    /// The axis lengths that `index` selects in `id` (see [`Pool::axis_of`]).
    pub(crate) fn collect_axes_pub(
        &mut self,
        index: Symbol,
        id: ExprId,
        found: &mut Vec<ExprId>,
        seen: &mut FxHashSet<ExprId>,
    ) {
        self.collect_axes(index, id, found, seen)
    }

    fn collect_axes(
        &mut self,
        index: Symbol,
        id: ExprId,
        found: &mut Vec<ExprId>,
        seen: &mut FxHashSet<ExprId>,
    ) {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.collect_axes(index, id, found, seen));
        }
        if !seen.insert(id) || !self.free_symbols(id).contains(&index) {
            return;
        }
        match self.node(id).clone() {
            Node::Num(_)
            | Node::Const(_)
            | Node::Sym(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Len(_, _) => {}
            Node::Elem(t, idx) => {
                for (a, &x) in idx.iter().enumerate() {
                    if matches!(self.node(x), Node::Index(s) if *s == index) {
                        found.push(self.len_of(t, a as u32));
                    }
                }
            }
            Node::Add(xs) | Node::Mul(xs) => {
                for x in xs.iter() {
                    self.collect_axes(index, *x, found, seen);
                }
            }
            Node::Pow(a, b) | Node::Delta(a, b) => {
                self.collect_axes(index, a, found, seen);
                self.collect_axes(index, b, found, seen);
            }
            Node::Func(_, a) => self.collect_axes(index, a, found, seen),
            Node::Sum {
                index: inner, body, ..
            } => {
                if inner != index {
                    self.collect_axes(index, body, found, seen);
                }
            }
            Node::Call { def, args, indices } => {
                for (k, &x) in indices.iter().enumerate() {
                    if matches!(self.node(x), Node::Index(s) if *s == index) {
                        let r = self.definition(def).index_ranges.get(k).copied();
                        if let Some(r) = r {
                            let r = self.instantiate_len(def, &args, r);
                            found.push(r);
                        }
                    }
                }
                // An index passed as an index argument selects the parameter's axis.
                let params = self.definition(def).params.clone();
                for (p, &x) in params.iter().zip(args.iter()) {
                    if let (Kind::Index, Some(r)) = (p.kind, p.range) {
                        if matches!(self.node(x), Node::Index(s) if *s == index) {
                            let r = self.instantiate_len(def, &args, r);
                            found.push(r);
                        }
                    } else {
                        self.collect_axes(index, x, found, seen);
                    }
                }
            }
            Node::Diff { expr, var, .. } => {
                self.collect_axes(index, expr, found, seen);
                self.collect_axes(index, var, found, seen);
            }
        }
    }

    /// Rewrites a length written over a definition's parameters (`len(z)` inside
    /// softmax) in terms of a call's arguments (`len(w)` for `softmax(w)`).
    pub fn instantiate_len(&mut self, def: DefId, args: &[ExprId], len: ExprId) -> ExprId {
        let Node::Len(s, axis) = self.node(len).clone() else {
            return len;
        };
        let d = self.definition(def);
        let Some(k) = d.params.iter().position(|p| p.name == s) else {
            return len;
        };
        let Some(&arg) = args.get(k) else {
            return len;
        };
        match self.node(arg).clone() {
            Node::Tensor(t) => self.len_of(t, axis),
            Node::Call {
                def: inner,
                args: inner_args,
                ..
            } => match self
                .definition(inner)
                .index_ranges
                .get(axis as usize)
                .copied()
            {
                Some(r) => self.instantiate_len(inner, &inner_args, r),
                None => len,
            },
            _ => len,
        }
    }

    /// The first preferred bound-index name for which `taken` is false.
    fn bound_name(&mut self, taken: impl Fn(Symbol) -> bool) -> Symbol {
        for name in BOUND_INDEX_NAMES {
            let s = self.symbol(name);
            if !taken(s) {
                return s;
            }
        }
        let mut k = 2u32;
        loop {
            let s = self.symbol(&format!("j{k}"));
            if !taken(s) {
                return s;
            }
            k += 1;
        }
    }
}
