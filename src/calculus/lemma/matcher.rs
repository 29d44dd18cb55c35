//! Structural matching of a lemma's pattern against an expression: what the lemma's
//! names stand for in an instance.
//!
//! A match only proposes a substitution; the callers confirm every instance by
//! substituting into the pattern and comparing with the matched expression, so a
//! match can miss an instance but never make a wrong one. May import what
//! [`crate::calculus`] may.

use crate::expr::node::{ExprId, Node, Symbol};
use crate::expr::pool::Pool;
use crate::expr::subst::Subst;

/// A substitution found by matching: pattern variables to expressions, pattern
/// tensors to tensors, and the pattern's indices (free and bound) to the target's.
#[derive(Clone, Debug, Default)]
pub struct Binding {
    /// Each pattern variable and its expression.
    pub scalars: Vec<(Symbol, ExprId)>,
    /// Each pattern index and the target index it stands for.
    pub indices: Vec<(Symbol, Symbol)>,
    /// Each pattern tensor and the tensor it stands for: a [`Node::Tensor`] or a
    /// tensor-valued [`Node::Call`].
    pub tensors: Vec<(Symbol, ExprId)>,
}

impl Binding {
    /// The substitution of the pattern's variables, tensors and free indices.
    pub fn subst(&self, pool: &mut Pool) -> Subst {
        let mut s = Subst::default();
        for &(v, e) in &self.scalars {
            s.scalars.insert(v, e);
        }
        for &(i, j) in &self.indices {
            if i != j {
                let to = pool.index(j);
                s.indices.insert(i, to);
            }
        }
        for &(z, u) in &self.tensors {
            if *pool.node(u) != Node::Tensor(z) {
                s.tensors.insert(z, u);
            }
        }
        s
    }

    /// The target index that the pattern index `i` stands for, if it is bound.
    pub fn index_of(&self, i: Symbol) -> Option<Symbol> {
        // The latest pair first: a sum's bound index may reuse the name of a free one,
        // and inside the sum the name is the bound one.
        self.indices
            .iter()
            .rev()
            .find(|&&(x, _)| x == i)
            .map(|&(_, y)| y)
    }

    /// The tensor that the pattern tensor `z` stands for, if it is bound.
    pub fn tensor_of(&self, z: Symbol) -> Option<ExprId> {
        self.tensors.iter().find(|&&(x, _)| x == z).map(|&(_, u)| u)
    }

    fn mark(&self) -> (usize, usize, usize) {
        (self.scalars.len(), self.indices.len(), self.tensors.len())
    }

    fn reset(&mut self, m: (usize, usize, usize)) {
        self.scalars.truncate(m.0);
        self.indices.truncate(m.1);
        self.tensors.truncate(m.2);
    }
}

/// The most children of a sum or product whose orders the matcher tries.
const MAX_PERMUTED: usize = 8;

/// Structural matching of a pattern against a target, with pattern variables.
pub struct Matcher<'v> {
    /// The scalar names of the pattern that may stand for expressions.
    vars: &'v [Symbol],
    /// The tensor names of the pattern that may stand for other tensors.
    tensors: &'v [Symbol],
    /// Whether two free indices of the pattern may stand for the same target index.
    /// A lemma holds for every value of each of its free indices, equal ones included,
    /// so an instance may make them equal; the equality lemmas keep them distinct
    /// only because their instances have never needed it.
    collapse: bool,
    /// The target's indices bound by the sums being matched: a variable may not take
    /// an expression that mentions one, since the instance's right side may move the
    /// expression out of the sum.
    bound: Vec<Symbol>,
}

impl<'v> Matcher<'v> {
    /// A matcher whose pattern variables are `vars`, and whose free indices stand for
    /// target indices one to one.
    pub fn new(vars: &'v [Symbol]) -> Matcher<'v> {
        Matcher {
            vars,
            tensors: &[],
            collapse: false,
            bound: Vec::new(),
        }
    }

    /// The same matcher with the tensor names `tensors` standing for any tensor, and
    /// free indices that may stand for the same target index.
    pub fn with_tensors(mut self, tensors: &'v [Symbol]) -> Matcher<'v> {
        self.tensors = tensors;
        self.collapse = true;
        self
    }

    /// Whether `p` matches `t`, extending `b`; `b` is left as it was when not.
    pub fn matches(&mut self, pool: &mut Pool, p: ExprId, t: ExprId, b: &mut Binding) -> bool {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.matches(pool, p, t, b));
        }
        let mark = b.mark();
        let ok = self.matches_here(pool, p, t, b);
        if !ok {
            b.reset(mark);
        }
        ok
    }

    fn matches_here(&mut self, pool: &mut Pool, p: ExprId, t: ExprId, b: &mut Binding) -> bool {
        match (pool.node(p).clone(), pool.node(t).clone()) {
            (Node::Sym(v), target) if self.vars.contains(&v) => {
                if matches!(target, Node::Index(_) | Node::Tensor(_)) {
                    return false;
                }
                if let Some(&(_, e)) = b.scalars.iter().find(|(s, _)| *s == v) {
                    return e == t;
                }
                if self.escapes(pool, t) {
                    return false;
                }
                b.scalars.push((v, t));
                true
            }
            (Node::Tensor(z), target) if self.tensors.contains(&z) => {
                let is_tensor = match target {
                    Node::Tensor(_) => true,
                    Node::Call { def, indices, .. } => {
                        indices.len() < pool.definition(def).indices.len()
                    }
                    _ => false,
                };
                is_tensor && !self.escapes(pool, t) && self.tensor_pair(b, z, t)
            }
            (Node::Elem(z, pi), Node::Elem(w, ti)) if self.tensors.contains(&z) => {
                let u = pool.tensor(w);
                pi.len() == ti.len() && self.tensor_pair(b, z, u) && self.all(pool, &pi, &ti, b)
            }
            (Node::Len(z, a), Node::Len(w, c)) if self.tensors.contains(&z) => {
                let u = pool.tensor(w);
                a == c && self.tensor_pair(b, z, u)
            }
            (Node::Index(i), Node::Index(j)) => self.index_pair(b, i, j),
            (Node::Elem(s, pi), Node::Elem(r, ti)) => {
                s == r && pi.len() == ti.len() && self.all(pool, &pi, &ti, b)
            }
            (Node::Add(ps), Node::Add(ts)) | (Node::Mul(ps), Node::Mul(ts)) => {
                ps.len() == ts.len() && self.permuted(pool, &ps, &ts, b).is_some()
            }
            (Node::Pow(a, c), Node::Pow(x, y)) | (Node::Delta(a, c), Node::Delta(x, y)) => {
                self.matches(pool, a, x, b) && self.matches(pool, c, y, b)
            }
            (Node::Func(f, a), Node::Func(g, x)) => f == g && self.matches(pool, a, x, b),
            (
                Node::Sum {
                    index: i,
                    range: pr,
                    body: pb,
                },
                Node::Sum {
                    index: j,
                    range: tr,
                    body: tb,
                },
            ) => {
                if !self.matches(pool, pr, tr, b) || b.indices.iter().any(|&(_, y)| y == j) {
                    return false;
                }
                let at = b.indices.len();
                b.indices.push((i, j));
                self.bound.push(j);
                let ok = self.matches(pool, pb, tb, b);
                self.bound.pop();
                if ok {
                    // The bound pair holds only inside the sum.
                    b.indices.remove(at);
                }
                ok
            }
            (
                Node::Call {
                    def: d,
                    args: pa,
                    indices: pi,
                },
                Node::Call {
                    def: e,
                    args: ta,
                    indices: ti,
                },
            ) => {
                d == e
                    && pa.len() == ta.len()
                    && pi.len() == ti.len()
                    && self.all(pool, &pa, &ta, b)
                    && self.all(pool, &pi, &ti, b)
            }
            // Numbers, constants, names, lengths and derivatives match themselves.
            _ => p == t,
        }
    }

    /// Whether `t` mentions an index bound by a sum being matched.
    fn escapes(&self, pool: &Pool, t: ExprId) -> bool {
        let free = pool.free_symbols(t);
        self.bound.iter().any(|s| free.contains(s))
    }

    /// Pattern tensor `z` standing for the tensor `u`.
    fn tensor_pair(&self, b: &mut Binding, z: Symbol, u: ExprId) -> bool {
        match b.tensor_of(z) {
            Some(v) => v == u,
            None => {
                b.tensors.push((z, u));
                true
            }
        }
    }

    /// Pattern index `i` standing for target index `j`: one to one, except that free
    /// indices may share a target index when the matcher collapses them. A target
    /// index bound by a sum being matched is taken only by the pattern's own bound
    /// index, which was paired with it on entering the sum.
    fn index_pair(&self, b: &mut Binding, i: Symbol, j: Symbol) -> bool {
        if let Some(y) = b.index_of(i) {
            return y == j;
        }
        let taken = b.indices.iter().any(|&(_, y)| y == j);
        if taken && (!self.collapse || self.bound.contains(&j)) {
            return false;
        }
        b.indices.push((i, j));
        true
    }

    /// Pairwise matching of two lists.
    fn all(&mut self, pool: &mut Pool, ps: &[ExprId], ts: &[ExprId], b: &mut Binding) -> bool {
        ps.iter()
            .zip(ts)
            .all(|(&p, &t)| self.matches(pool, p, t, b))
    }

    /// Each of `ps` matched to a different one of `ts` (in the order given first, then
    /// the others); the positions of `ts` left over, or `None`.
    pub fn permuted(
        &mut self,
        pool: &mut Pool,
        ps: &[ExprId],
        ts: &[ExprId],
        b: &mut Binding,
    ) -> Option<Vec<usize>> {
        if ps.len() > MAX_PERMUTED || ts.len() > 4 * MAX_PERMUTED {
            return None;
        }
        let mut used = vec![false; ts.len()];
        if self.assign(pool, ps, ts, 0, &mut used, b) {
            Some((0..ts.len()).filter(|&k| !used[k]).collect())
        } else {
            None
        }
    }

    fn assign(
        &mut self,
        pool: &mut Pool,
        ps: &[ExprId],
        ts: &[ExprId],
        k: usize,
        used: &mut [bool],
        b: &mut Binding,
    ) -> bool {
        let Some(&p) = ps.get(k) else {
            return true;
        };
        for j in 0..ts.len() {
            if used[j] {
                continue;
            }
            let mark = b.mark();
            if self.matches(pool, p, ts[j], b) {
                used[j] = true;
                if self.assign(pool, ps, ts, k + 1, used, b) {
                    return true;
                }
                used[j] = false;
            }
            b.reset(mark);
        }
        false
    }
}
