//! Lemmas by a tensor element: `diff(F, z[k]) = R`, with `z` a tensor and `k` one
//! index name per axis, such as the softmax's Jacobian
//! `diff(softmax(z)[i], z[k]) = softmax(z)[i]*(delta(i, k) - softmax(z)[k])`.
//!
//! The lemma holds for every tensor `z` (of every length, unless the workspace records
//! its length equal to another's: then for those lengths) and for every value of each free index, equal values included. So an
//! instance may rename `z` to another tensor `w`, and map the free indices to the
//! target's indices, two of them to the same one: `diff(F[σ], w[y]) = R[σ]`. The
//! rename must keep `F`'s other names apart from `w`, or `F[σ]` would depend on `w`
//! in more places than the lemma differentiated.
//!
//! Where `z` stands for a tensor-valued call `u` that depends on the derivative's
//! variable `v`, the multivariate chain rule through `z` gives
//! `diff(F[z := u], v) = sum(m, R[z := u, k := m] * diff(u[m], v))`, one sum per axis
//! over `u`'s lengths. It needs the lemma to state every partial derivative of `F`:
//! its variable's indices must not occur in `F`, or the lemma would speak only of
//! `diff(F(k), z[k])`, the diagonal. May import what [`crate::calculus`] may.

use rustc_hash::FxHashSet;

use crate::calculus::derivative::Differentiator;
use crate::expr::node::{ExprId, Node, Symbol};
use crate::expr::pool::Pool;
use crate::expr::subst::Subst;

use super::matcher::{Binding, Matcher};

/// A lemma `diff(function, tensor[indices]) = derivative` (see the module docs).
#[derive(Clone, Debug)]
pub struct ElementForm {
    /// `F`, the function differentiated.
    pub function: ExprId,
    /// `z`, the tensor whose element it is differentiated by.
    pub tensor: Symbol,
    /// `k`, the element's indices: distinct index names, one per axis.
    pub indices: Vec<Symbol>,
    /// `R`, the derivative.
    pub derivative: ExprId,
    /// Whether `z` may stand for another tensor: no fact mentions it and no called
    /// definition uses it as a global.
    pub renamable: bool,
    /// For each axis of `z`, the lengths the workspace records equal to its length
    /// (empty when none): the lemma may rest on those equalities, so `z` stands only
    /// for a tensor whose lengths are recorded equal to the same, and for no call.
    pub same_length: Vec<Vec<ExprId>>,
    /// The names `F` depends on besides `z` (directly or through the globals of the
    /// definitions it calls): an instance's variable is none of them.
    pub others: Vec<Symbol>,
    /// Whether the lemma states every partial derivative of `F`: its indices `k` occur
    /// nowhere in `F`. The chain rule through `z` needs it.
    pub jacobian: bool,
}

impl ElementForm {
    /// The form of `diff(function, z[idx], order) = derivative`, or why it has none;
    /// `fixed` holds the names no instance may replace.
    pub(super) fn new(
        pool: &mut Pool,
        fixed: &FxHashSet<Symbol>,
        function: ExprId,
        z: Symbol,
        idx: &[ExprId],
        order: u32,
        derivative: ExprId,
    ) -> Result<ElementForm, String> {
        if order != 1 {
            return Err(format!(
                "it is a derivative of order {order} by an element: a lemma by an element is a first derivative"
            ));
        }
        let mut indices = Vec::with_capacity(idx.len());
        for &i in idx {
            match pool.node(i) {
                Node::Index(k) if !indices.contains(k) => indices.push(*k),
                _ => {
                    let var = pool.elem(z, idx.to_vec());
                    return Err(format!(
                        "its variable `{}` is not an element at distinct index names, such as `z[k]`",
                        crate::print::text::to_text(pool, var)
                    ));
                }
            }
        }
        let free = pool.free_indices(function);
        let jacobian = !indices.iter().any(|k| free.contains(k));
        let others = super::others(pool, function, z);
        Ok(ElementForm {
            function,
            tensor: z,
            indices,
            derivative,
            renamable: !fixed.contains(&z),
            same_length: Vec::new(),
            others,
            jacobian,
        })
    }
}

impl Differentiator<'_> {
    /// `diff(e, v)` by an element lemma, when `e` is an instance of its function: the
    /// result, and whether the chain rule through the lemma's tensor took part.
    pub(super) fn element_instance(
        &mut self,
        form: &ElementForm,
        e: ExprId,
    ) -> Option<(ExprId, bool)> {
        if form.others.contains(&self.variable_symbol()) {
            return None;
        }
        let renamed = [form.tensor];
        let tensors: &[Symbol] = if form.renamable { &renamed } else { &[] };
        let mut m = Matcher::new(&[]).with_tensors(tensors);
        let mut b = Binding::default();
        if !m.matches(self.pool(), form.function, e, &mut b) {
            return None;
        }
        let z = self.pool().tensor(form.tensor);
        let u = b.tensor_of(form.tensor).unwrap_or(z);
        let var = self.variable();
        if let Node::Elem(w, ys) = self.pool().node(var).clone()
            && *self.pool().node(u) == Node::Tensor(w)
        {
            // The variable is an element of the tensor `z` stands for: the lemma's
            // indices become the variable's.
            if ys.len() != form.indices.len() || !self.lengths_kept(form, w) {
                return None;
            }
            for (&k, &y) in form.indices.iter().zip(ys.iter()) {
                let Node::Index(y) = *self.pool().node(y) else {
                    return None;
                };
                match b.index_of(k) {
                    Some(j) if j != y => return None,
                    Some(_) => {}
                    None => b.indices.push((k, y)),
                }
            }
            let s = b.subst(self.pool());
            if self.pool().substitute(form.function, &s) != e {
                return None;
            }
            return Some((self.pool().substitute(form.derivative, &s), false));
        }
        let is_call = matches!(self.pool().node(u), Node::Call { .. });
        let free_lengths = form.same_length.iter().all(Vec::is_empty);
        if !form.jacobian || !is_call || !free_lengths || !self.mentions(u) {
            return None;
        }
        let s = b.subst(self.pool());
        if self.pool().substitute(form.function, &s) != e {
            return None;
        }
        let r = chain_through_tensor(self.pool(), form, u, s, var)?;
        Some((r, true))
    }
}

impl Differentiator<'_> {
    /// Whether each length of `w` is recorded equal to what the lemma's tensor's is.
    fn lengths_kept(&mut self, form: &ElementForm, w: Symbol) -> bool {
        if w == form.tensor {
            return true;
        }
        form.same_length.iter().enumerate().all(|(a, class)| {
            let len = self.pool().len_of(w, a as u32);
            class.is_empty() || class.contains(&len)
        })
    }
}

/// `sum(m, R[σ, k := m] * diff(u[m], v))`, one sum per axis of `u`: the chain rule
/// through the lemma's tensor, which stands for `u` in `σ`.
fn chain_through_tensor(
    pool: &mut Pool,
    form: &ElementForm,
    u: ExprId,
    mut s: Subst,
    var: ExprId,
) -> Option<ExprId> {
    let mut fresh = Vec::with_capacity(form.indices.len());
    for &k in &form.indices {
        let m = pool.fresh_index_symbol();
        let at = pool.index(m);
        s.indices.insert(k, at);
        fresh.push((m, at));
    }
    let outer = pool.substitute(form.derivative, &s);
    let element = pool.index_tensor(u, fresh.iter().map(|&(_, at)| at).collect());
    let inner = pool.diff(element, var, 1);
    let mut body = pool.mul(vec![outer, inner]);
    for (axis, &(m, _)) in fresh.iter().enumerate().rev() {
        let range = pool.tensor_len(u, axis as u32)?;
        body = pool.sum(m, range, body);
    }
    Some(body)
}
