//! Index calculus on sums: linearity and contraction of Kronecker deltas.
//!
//! `sum(j, a + b)` is `sum(j, a) + sum(j, b)` (rule `sum-linearity`), and
//! `sum(j, delta(j, e)*f(j))` is `f(e)` (rule `sum-delta-contract`). The sum's own
//! constructor already moves factors free of `j` out of the sum and turns a summand free
//! of `j` into `len * summand`; together these turn the derivative of cross-entropy into
//! `softmax(z)[i] - delta(i, y)` and attention gradients into index form.

use crate::node::{ExprId, Node};
use crate::pool::Pool;

impl Pool {
    /// Contracts the sums at the top of an expression: a sum itself, the sum factors of
    /// a product, or the sum terms of a sum of terms. Returns the expression unchanged
    /// when nothing contracts.
    pub fn contract(&mut self, id: ExprId) -> ExprId {
        match self.node(id).clone() {
            Node::Sum { index, range, body } => self.contract_sum(index, range, body, id),
            Node::Mul(fs) => {
                if !fs.iter().any(|&f| matches!(self.node(f), Node::Sum { .. })) {
                    return id;
                }
                let fs = fs.iter().map(|&f| self.contract(f)).collect();
                self.mul(fs)
            }
            Node::Add(ts) => {
                if !ts
                    .iter()
                    .any(|&t| matches!(self.node(t), Node::Sum { .. } | Node::Mul(_)))
                {
                    return id;
                }
                let ts = ts.iter().map(|&t| self.contract(t)).collect();
                self.add(ts)
            }
            _ => id,
        }
    }

    fn contract_sum(
        &mut self,
        index: crate::node::Symbol,
        range: ExprId,
        body: ExprId,
        id: ExprId,
    ) -> ExprId {
        match self.node(body).clone() {
            Node::Add(ts) => {
                // sum-linearity, then contract each part.
                let parts = ts
                    .iter()
                    .map(|&t| {
                        let s = self.sum(index, range, t);
                        self.contract(s)
                    })
                    .collect();
                self.add(parts)
            }
            Node::Delta(a, b) => {
                if self.delta_partner(index, a, b).is_some() {
                    self.int(1)
                } else {
                    id
                }
            }
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
                        // The renamed body may hold more contractible sums.
                        return self.contract(renamed);
                    }
                }
                id
            }
            _ => id,
        }
    }

    /// For `delta(a, b)` with the summed index on one side, the other side, provided it
    /// does not mention the summed index.
    fn delta_partner(
        &mut self,
        index: crate::node::Symbol,
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
