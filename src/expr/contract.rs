//! Index calculus on sums: linearity and contraction of Kronecker deltas.
//!
//! `sum(j, a + b)` is `sum(j, a) + sum(j, b)` (rule `sum-linearity`), and
//! `sum(j, delta(j, e)*f(j))` is `f(e)` (rule `sum-delta-contract`). The sum's own
//! constructor already moves factors free of `j` out of the sum and turns a summand free
//! of `j` into `len * summand`; together these turn the derivative of cross-entropy into
//! `softmax(z)[i] - delta(i, y)` and attention gradients into index form.

use crate::expr::node::{ExprId, Node};
use crate::expr::pool::Pool;

impl Pool {
    /// Contracts the sums at the top of an expression: a sum itself, the sum factors of
    /// a product, or the sum terms of a sum of terms. Returns the expression unchanged
    /// when nothing contracts.
    pub fn contract(&mut self, id: ExprId) -> ExprId {
        self.contract_with(id, &[])
    }

    /// Like [`Pool::contract`], knowing that each index expression in `known` takes
    /// values below the paired length (the indices of a derivative's variable range over
    /// the variable's axes).
    ///
    /// `sum(j, delta(j, e)*f(j)) = f(e)` holds only when `e` is one of the values `j`
    /// takes. That is so when `e` is known to range over the sum's axis, when `e` is 0
    /// (axes are never empty), or when `f(e)` itself uses `e` on an axis of that length
    /// (an index ranges over the axes it indexes). Otherwise the sum stays.
    pub fn contract_with(&mut self, id: ExprId, known: &[(ExprId, ExprId)]) -> ExprId {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.contract_with(id, known));
        }
        match self.node(id).clone() {
            Node::Sum { index, range, body } => self.contract_sum(index, range, body, id, known),
            Node::Mul(fs) => {
                if !fs.iter().any(|&f| matches!(self.node(f), Node::Sum { .. })) {
                    return id;
                }
                let fs = fs.iter().map(|&f| self.contract_with(f, known)).collect();
                self.mul(fs)
            }
            Node::Add(ts) => {
                if !ts
                    .iter()
                    .any(|&t| matches!(self.node(t), Node::Sum { .. } | Node::Mul(_)))
                {
                    return id;
                }
                let ts = ts.iter().map(|&t| self.contract_with(t, known)).collect();
                self.add(ts)
            }
            _ => id,
        }
    }

    fn contract_sum(
        &mut self,
        index: crate::expr::node::Symbol,
        range: ExprId,
        body: ExprId,
        id: ExprId,
        known: &[(ExprId, ExprId)],
    ) -> ExprId {
        match self.node(body).clone() {
            Node::Add(ts) => {
                // sum-linearity, then contract each part.
                let parts = ts
                    .iter()
                    .map(|&t| {
                        let s = self.sum(index, range, t);
                        self.contract_with(s, known)
                    })
                    .collect();
                self.add(parts)
            }
            Node::Delta(a, b) => match self.delta_partner(index, a, b) {
                Some(e) if self.in_range(e, range, None, known) => self.int(1),
                _ => id,
            },
            Node::Mul(fs) => {
                for (k, &f) in fs.iter().enumerate() {
                    if let Node::Delta(a, b) = self.node(f).clone()
                        && let Some(e) = self.delta_partner(index, a, b)
                    {
                        let rest: Vec<ExprId> = fs
                            .iter()
                            .enumerate()
                            .filter(|&(j, _)| j != k)
                            .map(|(_, &x)| x)
                            .collect();
                        let rest = self.mul(rest);
                        let renamed = self.rename_index(rest, index, e);
                        if !self.in_range(e, range, Some(renamed), known) {
                            return id;
                        }
                        // The renamed body may hold more contractible sums.
                        return self.contract_with(renamed, known);
                    }
                }
                id
            }
            _ => id,
        }
    }

    /// Whether the index expression `e` is proved to take a value below `range` (see
    /// [`Pool::contract_with`]).
    fn in_range(
        &mut self,
        e: ExprId,
        range: ExprId,
        result: Option<ExprId>,
        known: &[(ExprId, ExprId)],
    ) -> bool {
        if self.is_int(e, 0) || known.iter().any(|&(k, r)| k == e && r == range) {
            return true;
        }
        // A label's values stay below the axis it indexes wherever it is used.
        if let Node::Elem(t, _) = self.node(e)
            && self.label_range(*t) == Some(range)
        {
            return true;
        }
        let (Node::Index(s), Some(result)) = (self.node(e).clone(), result) else {
            return false;
        };
        let mut found = Vec::new();
        let mut seen = rustc_hash::FxHashSet::default();
        self.collect_axes_pub(s, result, &mut found, &mut seen);
        found.contains(&range)
    }

    /// For `delta(a, b)` with the summed index on one side, the other side, provided it
    /// does not mention the summed index.
    fn delta_partner(
        &mut self,
        index: crate::expr::node::Symbol,
        a: ExprId,
        b: ExprId,
    ) -> Option<ExprId> {
        let is_j = |p: &Pool, x: ExprId| matches!(p.node(x), Node::Index(s) if *s == index);
        let other = if is_j(self, a) {
            b
        } else if is_j(self, b) {
            a
        } else {
            return None;
        };
        if self.free_symbols(other).contains(&index) {
            None
        } else {
            Some(other)
        }
    }
}
