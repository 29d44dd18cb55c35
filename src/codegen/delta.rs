//! Kronecker deltas added to arrays, written as updates: in `p[n, c] - delta(c, y[n])`
//! (the gradient of a cross-entropy, or any sum where a scaled delta meets an array
//! along all of the delta's axes), the delta selects one element per row, so the sum
//! is the array with those elements changed ([`Op::AddAt`]) instead of the array plus
//! a dense one-hot array as large as it.
//!
//! The rewrite is by shape, not by name: a term that is `delta(a, b)` times scalars,
//! where `a` runs along an axis and `b` is a position that does not vary along it.
//! Negated terms of a sum are subtracted, and a negated difference is turned around,
//! which saves the negations the canonical forms write out (`-(a - b)` as
//! `-1 * (a + -1 * b)`).

use crate::codegen::build::Builder;
use crate::codegen::ir::{Op, Tmp};
use crate::expr::node::Symbol;

/// A scaled delta: the axis it selects along, the position it selects, and the
/// scalar factors it is multiplied by.
struct Delta {
    axis: Symbol,
    pos: Tmp,
    scalars: Vec<Tmp>,
}

impl Builder<'_> {
    /// The sum of `terms`, with each scaled delta among them written as an update of
    /// the other terms' sum where that sum has every axis of the delta.
    pub(crate) fn add_terms(&mut self, terms: Vec<Tmp>) -> Tmp {
        let mut deltas = Vec::new();
        let mut rest = Vec::new();
        for &t in &terms {
            match self.delta(t) {
                Some(d) => deltas.push(d),
                None => rest.push(t),
            }
        }
        if deltas.is_empty() || rest.is_empty() {
            return self.difference(terms);
        }
        let rest_axes = self.union(&rest);
        let covered = deltas.iter().all(|d| {
            rest_axes.iter().any(|a| a.axis == d.axis)
                && self
                    .axes(d.pos)
                    .iter()
                    .all(|p| rest_axes.iter().any(|a| a.axis == p.axis))
        });
        // The update needs every element it changes to be stored, so the array must
        // vary along all of the delta's axes; otherwise the dense sum is the answer.
        if !covered {
            return self.difference(terms);
        }
        let mut base = self.difference(rest);
        for d in deltas {
            let coef = match d.scalars.as_slice() {
                [] => self.constant(1.0),
                [one] => *one,
                _ => self.map(Op::Mul(d.scalars.clone()), &d.scalars),
            };
            let axes = self.axes(base).to_vec();
            let op = Op::AddAt {
                base,
                axis: d.axis,
                pos: d.pos,
                coef,
            };
            base = self.push(op, axes, false);
        }
        base
    }

    /// The sum of `terms`, with the negated ones (`-1 * x`) subtracted, which saves
    /// the negation.
    fn difference(&mut self, terms: Vec<Tmp>) -> Tmp {
        let (mut plus, mut minus) = (Vec::new(), Vec::new());
        for &t in &terms {
            match self.negated(t) {
                Some(x) => minus.push(x),
                None => plus.push(t),
            }
        }
        let sum = |b: &mut Self, ts: Vec<Tmp>| match ts.as_slice() {
            [one] => *one,
            _ => b.map(Op::Add(ts.clone()), &ts),
        };
        if plus.is_empty() || minus.is_empty() {
            return sum(self, terms);
        }
        let (p, m) = (sum(self, plus), sum(self, minus));
        self.map(Op::Sub(p, m), &[p, m])
    }

    /// The product of `factors`, where `-1 * (a - b)` is `b - a`.
    pub(crate) fn product(&mut self, factors: Vec<Tmp>) -> Tmp {
        let t = match factors.as_slice() {
            [one] => return *one,
            _ => self.map(Op::Mul(factors.clone()), &factors),
        };
        match self.negated(t).map(|x| &self.instrs[x.0].op) {
            Some(&Op::Sub(a, b)) => self.map(Op::Sub(b, a), &[b, a]),
            _ => t,
        }
    }

    /// The `x` of a term `-1 * x`, or of a renamed one (renamed the same way).
    fn negated(&mut self, t: Tmp) -> Option<Tmp> {
        if let Op::Relabel(s) = self.instrs[t.0].op {
            let x = self.negated(s)?;
            // `-1 * x` has the axes of `x`, in their order, so the renaming carries over.
            let (axes, int) = (self.instrs[t.0].axes.clone(), self.instrs[t.0].int);
            return Some(self.push(Op::Relabel(x), axes, int));
        }
        let Op::Mul(fs) = &self.instrs[t.0].op else {
            return None;
        };
        match fs.as_slice() {
            [c, x] | [x, c] if self.instrs[c.0].op == Op::Const(-1.0) => Some(*x),
            _ => None,
        }
    }

    /// `t` as a scaled delta, if it is one.
    fn delta(&self, t: Tmp) -> Option<Delta> {
        let (eq, scalars) = match &self.instrs[t.0].op {
            Op::Eq(..) => (t, Vec::new()),
            Op::Mul(fs) => {
                let (arrays, scalars): (Vec<Tmp>, Vec<Tmp>) =
                    fs.iter().partition(|&&f| !self.axes(f).is_empty());
                match arrays.as_slice() {
                    [one] if scalars.iter().all(|s| !self.instrs[s.0].int) => (*one, scalars),
                    _ => return None,
                }
            }
            _ => return None,
        };
        let Op::Eq(x, y) = self.instrs[eq.0].op else {
            return None;
        };
        for (a, pos) in [(x, y), (y, x)] {
            let ins = &self.instrs[a.0];
            if let (Op::Arange, [d]) = (&ins.op, ins.axes.as_slice())
                && !self.axes(pos).iter().any(|p| p.axis == d.axis)
            {
                return Some(Delta {
                    axis: d.axis,
                    pos,
                    scalars,
                });
            }
        }
        None
    }
}
