//! The numerically stable forms, found by their shape rather than their names, so that
//! a softmax written out by hand is as stable as the prelude's:
//!
//! - a quotient `exp(a) / sum(j, exp(b))` is computed as `exp(a - m) / sum(j, exp(b - m))`
//!   with `m = max(j, b)` (softmax, and a softmax a derivative wrote out);
//! - a quotient whose exponentials sit inside sums in the numerator (the derivative of
//!   attention writes `sum(l, V[l, j]*exp(S[i, l])) / sum(m, exp(S[i, m]))`, and its
//!   square over the sum squared) has the division moved inside, onto each
//!   exponential, as `exp(S[i, l] - logsumexp)`;
//! - `ln(sum(j, exp(b)))` as `m + ln(sum(j, exp(b - m)))` (logsumexp);
//! - the logarithm of a product of exponentials, sums of exponentials, positive numbers
//!   and their powers as the sum of their logarithms, so that `ln(softmax(z)[y])` is
//!   `z[y] - logsumexp(z)` (log_softmax and cross-entropy never take the logarithm of
//!   a probability that underflowed to 0);
//! - `ln(sigmoid(x))` as `-softplus(-x)`;
//! - `1 - tanh(u)^2` as `1/cosh(u)^2`, which does not cancel near saturation.
//!
//! Each rewrite is an identity for every real input; the shift cancels exactly. The
//! builtins `sigmoid` and `softplus` are computed stably by every target (see the
//! printers).

use num_traits::Signed;

use crate::codegen::build::Builder;
use crate::codegen::ir::{Dim, Fold, Op, Tmp};
use crate::diag::error::Result;
use crate::expr::node::{ExprId, Func, Node, Symbol};
use crate::syntax::number::rational_to_f64;

/// A sum of exponentials: the sum's node, its index, its range and the exponent.
type ExpSum = (ExprId, Symbol, ExprId, ExprId);

impl Builder<'_> {
    /// The factors of a product, each `exp(a) / sum(j, exp(b))` pair shifted by the
    /// largest `b`.
    pub(crate) fn factors(&mut self, fs: &[ExprId]) -> Result<Vec<Tmp>> {
        let divided = self.divide_inside(fs);
        let fs = divided.as_deref().unwrap_or(fs);
        let mut used = vec![false; fs.len()];
        let mut out = Vec::with_capacity(fs.len());
        for k in 0..fs.len() {
            let Some((sum, j, range, b)) = self.recip_exp_sum(fs[k]) else {
                continue;
            };
            let partner = (0..fs.len()).find(|&q| {
                !used[q] && q != k && matches!(self.pool.node(fs[q]), Node::Func(Func::Exp, _))
            });
            let Some(q) = partner else {
                continue;
            };
            let Node::Func(_, a) = *self.pool.node(fs[q]) else {
                continue;
            };
            used[k] = true;
            used[q] = true;
            let (m, s) = self.shifted_sum(sum, j, range, b)?;
            let av = self.value(a)?;
            let d = self.map(Op::Sub(av, m), &[av, m]);
            let e = self.map(Op::Func(Func::Exp, d), &[d]);
            let r = self.map(Op::Recip(s), &[s]);
            out.push(e);
            out.push(r);
        }
        for (k, &f) in fs.iter().enumerate() {
            if !used[k] {
                out.push(self.value(f)?);
            }
        }
        Ok(out)
    }

    /// A product whose reciprocal sum of exponentials has no exponential beside it,
    /// because the numerator's sit inside a sum (a derivative through attention writes
    /// `sum(j, G[i, j]*sum(l, V[l, j]*exp(S[i, l]))) / sum(m, exp(S[i, m]))`), rewritten
    /// with the division moved onto those exponentials: each `exp(b')` of the same
    /// family (`b` with its index renamed) becomes `exp(b' - ln(sum(m, exp(b))))`, whose
    /// logarithm is the shifted logsumexp, so nothing overflows. This is an identity
    /// only where the other factors are, together, of degree 1 in the family's
    /// exponentials, and the division goes down only through positions of degree 1
    /// (a sum's terms, a product's one factor of degree 1, a sum's body).
    fn divide_inside(&mut self, fs: &[ExprId]) -> Option<Vec<ExprId>> {
        if fs
            .iter()
            .any(|&f| matches!(self.pool.node(f), Node::Func(Func::Exp, _)))
        {
            return None;
        }
        for (k, &f) in fs.iter().enumerate() {
            // `1/sum(m, exp(b))^n`: n factors of degree 1 share the n divisions.
            let Node::Pow(base, e) = *self.pool.node(f) else {
                continue;
            };
            let n = match self.pool.node(e) {
                Node::Num(r) if r.is_integer() && r.is_negative() => {
                    num_traits::ToPrimitive::to_i64(&-r.to_integer()).unwrap_or(0)
                }
                _ => continue,
            };
            let Some((sum, j, _, b)) = self.exp_sum(base) else {
                continue;
            };
            let mut degrees = Vec::with_capacity(fs.len());
            for (q, &g) in fs.iter().enumerate() {
                degrees.push(if q == k {
                    Some(0)
                } else {
                    self.family_degree(g, j, b, 0)
                });
            }
            let ones = degrees.iter().filter(|&&d| d == Some(1)).count() as i64;
            if degrees.iter().any(Option::is_none)
                || degrees.iter().flatten().any(|&d| d != 0 && d != 1)
                || ones != n
            {
                continue;
            }
            let lse = self.pool.func(Func::Ln, sum);
            let mut out = Vec::with_capacity(fs.len() - 1);
            for (q, &g) in fs.iter().enumerate() {
                if q == k {
                    continue;
                }
                if degrees[q] == Some(1) {
                    out.push(self.divide_family(g, j, b, lse, 0)?);
                } else {
                    out.push(g);
                }
            }
            return Some(out);
        }
        None
    }

    /// Whether `e` is `exp(b)` with the index `j` of `b` renamed.
    fn of_family(&mut self, e: ExprId, j: Symbol, b: ExprId) -> bool {
        let Node::Func(Func::Exp, x) = *self.pool.node(e) else {
            return false;
        };
        if x == b {
            return true;
        }
        for t in self.pool.free_indices_ref(x) {
            let to = self.pool.index(t);
            if self.pool.rename_index(b, j, to) == x {
                return true;
            }
        }
        false
    }

    /// The degree of `e` in the exponentials of the family of `exp(b)` (index `j`),
    /// counting a whole power's exponent (`1/sum(m, exp(b))` has degree -1); `None`
    /// where it has none (terms of different degrees, a family member inside another
    /// function).
    fn family_degree(&mut self, e: ExprId, j: Symbol, b: ExprId, depth: usize) -> Option<i64> {
        if depth > 64 {
            return None;
        }
        if self.of_family(e, j, b) {
            return Some(1);
        }
        let node = self.pool.node(e).clone();
        match node {
            Node::Mul(fs) => fs.iter().try_fold(0i64, |acc, &f| {
                Some(acc + self.family_degree(f, j, b, depth + 1)?)
            }),
            Node::Add(ts) => {
                let mut degree = None;
                for &t in ts.iter() {
                    let d = self.family_degree(t, j, b, depth + 1)?;
                    if degree.is_some_and(|x| x != d) {
                        return None;
                    }
                    degree = Some(d);
                }
                degree
            }
            Node::Sum { body, .. } => self.family_degree(body, j, b, depth + 1),
            Node::Pow(base, ex) => {
                let d = self.family_degree(base, j, b, depth + 1)?;
                if d == 0 {
                    return (self.family_degree(ex, j, b, depth + 1)? == 0).then_some(0);
                }
                match self.pool.node(ex) {
                    Node::Num(r) if r.is_integer() => {
                        num_traits::ToPrimitive::to_i64(&r.to_integer()).map(|n| n * d)
                    }
                    _ => None,
                }
            }
            Node::Call { .. } => {
                let body = self.looked_through(e);
                if body != e {
                    return self.family_degree(body, j, b, depth + 1);
                }
                // A reduction: free of the family when its arguments are.
                for c in crate::expr::node::children(&node) {
                    if self.family_degree(c, j, b, depth + 1)? != 0 {
                        return None;
                    }
                }
                Some(0)
            }
            _ => {
                for c in crate::expr::node::children(&node) {
                    if self.family_degree(c, j, b, depth + 1)? != 0 {
                        return None;
                    }
                }
                Some(0)
            }
        }
    }

    /// `e`, of degree 1 in the family, divided by `exp(lse)`: the division goes down
    /// to the one family member of each term and makes it `exp(b' - lse)`; `None`
    /// where a term is not that simple.
    fn divide_family(
        &mut self,
        e: ExprId,
        j: Symbol,
        b: ExprId,
        lse: ExprId,
        depth: usize,
    ) -> Option<ExprId> {
        if depth > 64 {
            return None;
        }
        if self.of_family(e, j, b) {
            let Node::Func(_, x) = *self.pool.node(e) else {
                return None;
            };
            let shifted = self.pool.sub(x, lse);
            return Some(self.pool.func(Func::Exp, shifted));
        }
        match self.pool.node(e).clone() {
            Node::Add(ts) => {
                let mut out = Vec::with_capacity(ts.len());
                for &t in ts.iter() {
                    out.push(self.divide_family(t, j, b, lse, depth + 1)?);
                }
                Some(self.pool.add(out))
            }
            Node::Mul(fs) => {
                let mut degrees = Vec::with_capacity(fs.len());
                for &f in fs.iter() {
                    degrees.push(self.family_degree(f, j, b, depth + 1)?);
                }
                if degrees.iter().filter(|&&d| d != 0).count() != 1 {
                    return None;
                }
                let mut out = Vec::with_capacity(fs.len());
                for (&f, &d) in fs.iter().zip(&degrees) {
                    out.push(if d == 1 {
                        self.divide_family(f, j, b, lse, depth + 1)?
                    } else {
                        f
                    });
                }
                Some(self.pool.mul(out))
            }
            Node::Sum { index, range, body } => {
                let body = self.divide_family(body, j, b, lse, depth + 1)?;
                Some(self.pool.sum(index, range, body))
            }
            _ => None,
        }
    }

    /// The `u` of `1 - tanh(u)^2` (the derivative of tanh), which is computed as
    /// `1/cosh(u)^2`: near saturation the difference cancels to a few digits.
    pub(crate) fn sech_squared(&mut self, ts: &[ExprId]) -> Option<ExprId> {
        let [one, minus] = ts else {
            return None;
        };
        if self.as_written {
            return None;
        }
        if !self.pool.is_int(*one, 1) {
            return None;
        }
        let Node::Mul(fs) = self.pool.node(*minus) else {
            return None;
        };
        let [m, sq] = &fs[..] else {
            return None;
        };
        let (m, sq) = (*m, *sq);
        let Node::Pow(t, two) = *self.pool.node(sq) else {
            return None;
        };
        let t = self.looked_through(t);
        match *self.pool.node(t) {
            Node::Func(Func::Tanh, u) if self.pool.is_int(m, -1) && self.pool.is_int(two, 2) => {
                Some(u)
            }
            _ => None,
        }
    }

    /// `1 / sum(j, exp(b))` as its parts.
    fn recip_exp_sum(&self, id: ExprId) -> Option<ExpSum> {
        let Node::Pow(base, e) = *self.pool.node(id) else {
            return None;
        };
        if !self.pool.is_int(e, -1) {
            return None;
        }
        self.exp_sum(base)
    }

    /// `sum(j, exp(b))` as its parts.
    fn exp_sum(&self, id: ExprId) -> Option<ExpSum> {
        let Node::Sum { index, range, body } = *self.pool.node(id) else {
            return None;
        };
        match *self.pool.node(body) {
            Node::Func(Func::Exp, b) => Some((id, index, range, b)),
            _ => None,
        }
    }

    /// The shift `m = max(j, b)` and the shifted sum `sum(j, exp(b - m))`, made once
    /// for each sum.
    fn shifted_sum(
        &mut self,
        sum: ExprId,
        j: Symbol,
        range: ExprId,
        b: ExprId,
    ) -> Result<(Tmp, Tmp)> {
        let key = self.shifted_key(sum);
        if let Some(&found) = self.shifted.get(&key) {
            return Ok(found);
        }
        let dim = self.sum_dim(j, range)?;
        let bv = self.with_axes(&[dim], |s| s.value(b))?;
        let m = self.fold(Fold::Max { shift: true }, bv, dim);
        let d = self.map(Op::Sub(bv, m), &[bv, m]);
        let e = self.map(Op::Func(Func::Exp, d), &[d]);
        let s = self.sum_over(e, dim);
        self.shifted.insert(key, (m, s));
        Ok((m, s))
    }

    /// The sum of `x` over the axis `dim`.
    fn sum_over(&mut self, x: Tmp, dim: Dim) -> Tmp {
        if self.axes(x).iter().any(|a| a.axis == dim.axis) {
            let kept: Vec<Dim> = self
                .axes(x)
                .iter()
                .copied()
                .filter(|a| a.axis != dim.axis)
                .collect();
            return self.push(Op::Contract(vec![x]), kept, false);
        }
        let n = self.push(Op::Length(dim.len), Vec::new(), false);
        self.map(Op::Mul(vec![x, n]), &[x, n])
    }

    /// The natural logarithm, split into a sum where its argument is a product of
    /// positive parts (see the module docs).
    pub(crate) fn ln(&mut self, arg: ExprId) -> Result<Tmp> {
        if self.log_splits(arg) {
            return self.log_parts(arg);
        }
        let v = self.value(arg)?;
        Ok(self.map(Op::Func(Func::Ln, v), &[v]))
    }

    /// A call's body in place of the call (for a call of a definition with one), so
    /// that the logarithm sees what the call computes.
    fn looked_through(&mut self, id: ExprId) -> ExprId {
        let mut id = id;
        for _ in 0..64 {
            let Node::Call { def, .. } = *self.pool.node(id) else {
                break;
            };
            if self.pool.reduction_of(def).is_some() {
                break;
            }
            match self.pool.expand_call(id) {
                Some(body) if body != id => id = body,
                _ => break,
            }
        }
        id
    }

    /// Whether the logarithm of `id` splits into a sum of logarithms of positive parts.
    fn log_splits(&mut self, id: ExprId) -> bool {
        let id = self.looked_through(id);
        match self.pool.node(id).clone() {
            Node::Func(Func::Exp | Func::Sigmoid, _) => true,
            Node::Sum { .. } => self.exp_sum(id).is_some(),
            Node::Mul(fs) => fs.iter().all(|&f| {
                matches!(self.pool.node(f), Node::Num(r) if r.is_positive()) || self.log_splits(f)
            }),
            Node::Pow(b, e) => matches!(self.pool.node(e), Node::Num(_)) && self.log_splits(b),
            _ => false,
        }
    }

    /// The logarithm of `id` as the sum of its parts' (where [`Self::log_splits`]).
    fn log_parts(&mut self, id: ExprId) -> Result<Tmp> {
        let id = self.looked_through(id);
        match self.pool.node(id).clone() {
            Node::Num(r) => Ok(self.constant(rational_to_f64(&r).ln())),
            Node::Func(Func::Exp, x) => self.value(x),
            Node::Func(Func::Sigmoid, x) => {
                let xv = self.value(x)?;
                let minus = self.constant(-1.0);
                let nx = self.map(Op::Mul(vec![minus, xv]), &[minus, xv]);
                let sp = self.map(Op::Func(Func::Softplus, nx), &[nx]);
                Ok(self.map(Op::Mul(vec![minus, sp]), &[minus, sp]))
            }
            Node::Mul(fs) => {
                let mut parts = Vec::with_capacity(fs.len());
                for &f in fs.iter() {
                    parts.push(self.log_parts(f)?);
                }
                Ok(self.add_terms(parts))
            }
            Node::Pow(b, e) => {
                let lb = self.log_parts(b)?;
                let r = match self.pool.node(e) {
                    Node::Num(r) => rational_to_f64(r),
                    _ => f64::NAN,
                };
                let c = self.constant(r);
                Ok(self.map(Op::Mul(vec![c, lb]), &[c, lb]))
            }
            _ => match self.exp_sum(id) {
                Some((sum, j, range, b)) => {
                    let (m, s) = self.shifted_sum(sum, j, range, b)?;
                    let l = self.map(Op::Func(Func::Ln, s), &[s]);
                    Ok(self.map(Op::Add(vec![m, l]), &[m, l]))
                }
                None => {
                    let v = self.value(id)?;
                    Ok(self.map(Op::Func(Func::Ln, v), &[v]))
                }
            },
        }
    }
}
