//! Substitution: replacing names by expressions without capturing bound indices, and
//! expanding a call of a definition into its body.
//!
//! A substitution maps scalar names to expressions, index names to index expressions,
//! and tensor names to tensors (another tensor's name, or a tensor-valued call). When a
//! sum's bound index occurs free in a replacement, the bound index is renamed first, so
//! `sum(j, z[i]*w[j])` with `i := j` becomes `sum(k, z[j]*w[k])`, never `sum(j, z[j]*w[j])`.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::expr::kind::Kind;
use crate::expr::node::{DefId, ExprId, Func, Node, Symbol};
use crate::expr::pool::Pool;

/// What to replace: each map goes from a name to its replacement.
#[derive(Clone, Debug, Default)]
pub struct Subst {
    /// Scalar names to expressions.
    pub scalars: FxHashMap<Symbol, ExprId>,
    /// Index names to index expressions (an index or an integer).
    pub indices: FxHashMap<Symbol, ExprId>,
    /// Tensor names to tensors: a [`Node::Tensor`] or a tensor-valued [`Node::Call`].
    pub tensors: FxHashMap<Symbol, ExprId>,
}

impl Subst {
    /// Whether the substitution replaces nothing.
    pub fn is_empty(&self) -> bool {
        self.scalars.is_empty() && self.indices.is_empty() && self.tensors.is_empty()
    }

    fn replaces(&self, s: Symbol) -> bool {
        self.scalars.contains_key(&s)
            || self.indices.contains_key(&s)
            || self.tensors.contains_key(&s)
    }

    fn without(&self, s: Symbol) -> Subst {
        let mut out = self.clone();
        out.scalars.remove(&s);
        out.indices.remove(&s);
        out.tensors.remove(&s);
        out
    }
}

impl Pool {
    /// Applies a substitution, renaming bound indices where a replacement would be
    /// captured, and rebuilding every node through the canonical constructors.
    pub fn substitute(&mut self, id: ExprId, subst: &Subst) -> ExprId {
        if subst.is_empty() {
            return id;
        }
        let mut avoid = FxHashSet::default();
        for &v in subst
            .scalars
            .values()
            .chain(subst.indices.values())
            .chain(subst.tensors.values())
        {
            avoid.extend(self.free_symbols(v).iter().copied());
        }
        let mut memo = FxHashMap::default();
        self.subst_rec(id, subst, &avoid, &mut memo)
    }

    fn subst_rec(
        &mut self,
        id: ExprId,
        s: &Subst,
        avoid: &FxHashSet<Symbol>,
        memo: &mut FxHashMap<ExprId, ExprId>,
    ) -> ExprId {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.subst_rec(id, s, avoid, memo));
        }
        if let Some(&r) = memo.get(&id) {
            return r;
        }
        let free = self.free_symbols(id);
        if !free.iter().any(|&x| s.replaces(x)) {
            return id;
        }
        let out = match self.node(id).clone() {
            Node::Num(_) | Node::Const(_) => id,
            Node::Sym(x) => s.scalars.get(&x).copied().unwrap_or(id),
            Node::Index(x) => s.indices.get(&x).copied().unwrap_or(id),
            Node::Tensor(x) => s.tensors.get(&x).copied().unwrap_or(id),
            Node::Len(x, axis) => match s.tensors.get(&x).copied() {
                Some(t) => self.tensor_len(t, axis).unwrap_or(id),
                None => id,
            },
            Node::Elem(x, idx) => {
                let idx: Vec<ExprId> = idx
                    .iter()
                    .map(|&i| self.subst_rec(i, s, avoid, memo))
                    .collect();
                match s.tensors.get(&x).copied() {
                    Some(t) => self.index_tensor(t, idx),
                    None => self.elem(x, idx),
                }
            }
            Node::Add(xs) => {
                let xs = xs
                    .iter()
                    .map(|&x| self.subst_rec(x, s, avoid, memo))
                    .collect();
                self.add(xs)
            }
            Node::Mul(xs) => {
                let xs = xs
                    .iter()
                    .map(|&x| self.subst_rec(x, s, avoid, memo))
                    .collect();
                self.mul(xs)
            }
            Node::Pow(a, b) => {
                let a = self.subst_rec(a, s, avoid, memo);
                let b = self.subst_rec(b, s, avoid, memo);
                self.pow(a, b)
            }
            Node::Func(f, a) => {
                let a = self.subst_rec(a, s, avoid, memo);
                self.func(f, a)
            }
            Node::Delta(a, b) => {
                let a = self.subst_rec(a, s, avoid, memo);
                let b = self.subst_rec(b, s, avoid, memo);
                self.delta(a, b)
            }
            Node::Sum { index, range, body } => {
                let range = self.subst_rec(range, s, avoid, memo);
                let (index, body) = if avoid.contains(&index) {
                    // A replacement mentions this binder's name: rename the binder.
                    let fresh = self.fresh_index_symbol();
                    let to = self.index(fresh);
                    (fresh, self.rename_index(body, index, to))
                } else {
                    (index, body)
                };
                let body = if s.replaces(index) {
                    let inner = s.without(index);
                    let mut inner_memo = FxHashMap::default();
                    self.subst_rec(body, &inner, avoid, &mut inner_memo)
                } else {
                    let mut inner_memo = FxHashMap::default();
                    self.subst_rec(body, s, avoid, &mut inner_memo)
                };
                self.sum(index, range, body)
            }
            Node::Call { def, args, indices } => {
                let args = args
                    .iter()
                    .map(|&x| self.subst_rec(x, s, avoid, memo))
                    .collect();
                let indices = indices
                    .iter()
                    .map(|&x| self.subst_rec(x, s, avoid, memo))
                    .collect();
                self.call(def, args, indices)
            }
            Node::Diff { expr, var, order } => {
                let expr = self.subst_rec(expr, s, avoid, memo);
                let var = self.subst_rec(var, s, avoid, memo);
                self.diff(expr, var, order)
            }
        };
        memo.insert(id, out);
        out
    }

    /// The element of a tensor argument: `w[idx]` for a tensor name, or the call
    /// indexed, `softmax(w)[idx]`, for a tensor-valued call.
    pub fn index_tensor(&mut self, tensor: ExprId, idx: Vec<ExprId>) -> ExprId {
        match self.node(tensor).clone() {
            Node::Tensor(t) => self.elem(t, idx),
            Node::Call { def, args, .. } => self.call(def, args.to_vec(), idx),
            _ => tensor,
        }
    }

    /// The length of an axis of a tensor argument.
    pub fn tensor_len(&mut self, tensor: ExprId, axis: u32) -> Option<ExprId> {
        match self.node(tensor).clone() {
            Node::Tensor(t) => Some(self.len_of(t, axis)),
            Node::Call { def, args, .. } => {
                let r = self
                    .definition(def)
                    .index_ranges
                    .get(axis as usize)
                    .copied()?;
                Some(self.instantiate_len(def, &args, r))
            }
            _ => None,
        }
    }

    /// A call's definition body, and the substitution of the call's arguments for its
    /// parameters and of its indices for the result indices; `None` for a node that is
    /// not a call. Expanding a call and evaluating one both start here.
    pub fn call_subst(&self, call: ExprId) -> Option<(ExprId, Subst)> {
        let Node::Call { def, args, indices } = self.node(call) else {
            return None;
        };
        let d = self.definition(*def);
        // A reduction has no body to write out.
        if d.reduce.is_some() {
            return None;
        }
        let mut s = Subst::default();
        for (p, &a) in d.params.iter().zip(args.iter()) {
            match p.kind {
                Kind::Scalar => s.scalars.insert(p.name, a),
                Kind::Index => s.indices.insert(p.name, a),
                Kind::Tensor(_) => s.tensors.insert(p.name, a),
            };
        }
        for (&i, &v) in d.indices.iter().zip(indices.iter()) {
            s.indices.insert(i, v);
        }
        Some((d.body, s))
    }

    /// The body of a call with its parameters and result indices replaced by the call's
    /// arguments and indices; `None` for a node that is not a call.
    ///
    /// A tensor-valued call used whole (`softmax(z)` passed to another definition) has
    /// no body of its own: its body is an element, whose indices only a use of the
    /// tensor gives. It is not expanded (`None`); the call that receives it expands it
    /// element by element, once the parameter is replaced and indexed.
    pub fn expand_call(&mut self, call: ExprId) -> Option<ExprId> {
        if let Node::Call { def, indices, .. } = self.node(call)
            && indices.len() < self.definition(*def).indices.len()
        {
            return None;
        }
        let (body, s) = self.call_subst(call)?;
        Some(self.substitute(body, &s))
    }

    /// Replaces every call by its definition's body, and every builtin listed in
    /// `builtins` by the body the prelude states for it (`sigmoid(u)` by
    /// `1/(1 + exp(-u))`), recursively, inside unevaluated derivatives too: an
    /// expression in primitive terms, equal to the original everywhere.
    pub fn expand_definitions(&mut self, id: ExprId, builtins: &[(Func, DefId)]) -> ExprId {
        let mut memo = FxHashMap::default();
        self.expand_definitions_rec(id, builtins, &mut memo)
    }

    fn expand_definitions_rec(
        &mut self,
        id: ExprId,
        builtins: &[(Func, DefId)],
        memo: &mut FxHashMap<ExprId, ExprId>,
    ) -> ExprId {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || {
                self.expand_definitions_rec(id, builtins, memo)
            });
        }
        if let Some(&r) = memo.get(&id) {
            return r;
        }
        // A tensor passed whole stays as it is: expanding the call that receives it
        // writes it out element by element (see `expand_call`).
        if let Node::Call { def, indices, .. } = self.node(id)
            && indices.len() < self.definition(*def).indices.len()
        {
            memo.insert(id, id);
            return id;
        }
        let kids: Vec<ExprId> = crate::expr::node::children(self.node(id))
            .into_iter()
            .map(|c| self.expand_definitions_rec(c, builtins, memo))
            .collect();
        let rebuilt = self.rebuild(id, &kids);
        let call = match self.node(rebuilt).clone() {
            Node::Func(f, u) => match builtins.iter().find(|(g, _)| *g == f) {
                Some(&(_, def)) => self.call(def, vec![u], Vec::new()),
                None => rebuilt,
            },
            _ => rebuilt,
        };
        let out = match self.expand_call(call) {
            Some(body) if body != call => self.expand_definitions_rec(body, builtins, memo),
            _ => rebuilt,
        };
        memo.insert(id, out);
        out
    }

    /// Replaces every call by its definition's body, recursively, leaving unevaluated
    /// derivatives as they are.
    pub fn expand_all_calls(&mut self, id: ExprId) -> ExprId {
        let mut memo = FxHashMap::default();
        self.expand_calls_rec(id, &mut memo)
    }

    fn expand_calls_rec(&mut self, id: ExprId, memo: &mut FxHashMap<ExprId, ExprId>) -> ExprId {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.expand_calls_rec(id, memo));
        }
        if let Some(&r) = memo.get(&id) {
            return r;
        }
        let node = self.node(id).clone();
        let out = match node {
            Node::Call { .. } => match self.expand_call(id) {
                Some(body) if body != id => self.expand_calls_rec(body, memo),
                _ => id,
            },
            Node::Diff { .. } => id,
            other => {
                let kids: Vec<ExprId> = crate::expr::node::children(&other)
                    .into_iter()
                    .map(|c| self.expand_calls_rec(c, memo))
                    .collect();
                self.rebuild(id, &kids)
            }
        };
        memo.insert(id, out);
        out
    }
}

impl Pool {
    /// The lengths that `pairs` record equal (a tensor declaration's shared length, or
    /// the axes one free index runs over), each mapped to one representative of its
    /// class. A length the user named (the body of a parameterless definition, as
    /// `tensor Q[n, d]` makes `d` the body `len(Q, 1)`) is preferred, so that results
    /// still read `d`; otherwise, and among named ones, the least in the structural
    /// order, so the choice does not depend on the order the pairs were recorded in.
    /// Lengths equal to no other are left out.
    pub fn length_representatives(&self, pairs: &[(ExprId, ExprId)]) -> FxHashMap<ExprId, ExprId> {
        // Union-find over the lengths named in `pairs`.
        fn find(parent: &mut FxHashMap<ExprId, ExprId>, x: ExprId) -> ExprId {
            let mut root = x;
            while let Some(&p) = parent.get(&root) {
                if p == root {
                    break;
                }
                root = p;
            }
            parent.insert(x, root);
            root
        }
        let named: FxHashSet<ExprId> = self
            .definitions()
            .filter(|d| d.params.is_empty() && d.indices.is_empty())
            .map(|d| d.body)
            .filter(|&b| matches!(self.node(b), Node::Len(..)))
            .collect();
        let before = |a: ExprId, b: ExprId| match (named.contains(&a), named.contains(&b)) {
            (true, false) => true,
            (false, true) => false,
            _ => self.cmp(a, b).is_le(),
        };
        let mut parent: FxHashMap<ExprId, ExprId> = FxHashMap::default();
        for &(a, b) in pairs {
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            if ra != rb {
                // The root of a class is always its preferred member.
                let (low, high) = if before(ra, rb) { (ra, rb) } else { (rb, ra) };
                parent.insert(high, low);
                parent.insert(low, low);
            }
        }
        let members: Vec<ExprId> = parent.keys().copied().collect();
        let mut out = FxHashMap::default();
        for m in members {
            let root = find(&mut parent, m);
            if root != m {
                out.insert(m, root);
            }
        }
        out
    }

    /// `id` with every length in `map` replaced by its representative (see
    /// [`Pool::length_representatives`]). A length holds no index, so no binder can
    /// capture anything and the replacement needs no renaming. Definitions' bodies are
    /// not entered: expand the calls first where that matters.
    pub fn replace_lengths(&mut self, id: ExprId, map: &FxHashMap<ExprId, ExprId>) -> ExprId {
        let mut memo = FxHashMap::default();
        self.replace_lengths_rec(id, map, &mut memo)
    }

    fn replace_lengths_rec(
        &mut self,
        id: ExprId,
        map: &FxHashMap<ExprId, ExprId>,
        memo: &mut FxHashMap<ExprId, ExprId>,
    ) -> ExprId {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.replace_lengths_rec(id, map, memo));
        }
        if let Some(&r) = map.get(&id).or_else(|| memo.get(&id)) {
            return r;
        }
        let node = self.node(id).clone();
        let kids = crate::expr::node::children(&node);
        let out = if kids.is_empty() {
            id
        } else {
            let new: Vec<ExprId> = kids
                .iter()
                .map(|&c| self.replace_lengths_rec(c, map, memo))
                .collect();
            if new == kids {
                id
            } else {
                self.rebuild(id, &new)
            }
        };
        memo.insert(id, out);
        out
    }
}
