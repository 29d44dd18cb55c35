//! The check of an instance of a lemma by a tensor element, `diff(F, z[k]) = R`.
//!
//! The lemma holds for every tensor `z` that nothing fixes (of every length, unless
//! the workspace records its length equal to others': then of those) and for every
//! value of each free index, so the instance may rename `z` and map the free indices to indices, two
//! to one included: `diff(F[σ], w[y])` becomes `R[σ]`. Where `σ` makes `z` a
//! tensor-valued call `u`, the derivative by `v` is the chain rule through `z`,
//! `sum(m, R[σ, k := m] * diff(u[m], v))`, which needs the lemma to state every
//! partial derivative of `F` (no `k` in `F`). In both, `F` must not depend on the
//! derivative's variable but through `z`. May import what [`crate::verify`] may.

use crate::expr::node::{ExprId, Node, Symbol};
use crate::expr::subst::Subst;

use super::super::rules::Kernel;
use super::{Instance, Pattern, find};

impl Kernel<'_> {
    /// `diff(F[σ], w[y])` to `R[σ]`, or `diff(F[z := u], v)` to the chain rule
    /// through `z` (see the module docs).
    pub(super) fn check_element_lemma(
        &mut self,
        f: ExprId,
        z: Symbol,
        idx: &[ExprId],
        r: ExprId,
        b: ExprId,
        a: ExprId,
    ) -> Result<(), String> {
        let (g, v, n) = self.matched_derivative(f, z, b)?;
        if n != 1 {
            return Err("a lemma by an element rewrites a first derivative".into());
        }
        let mut ks: Vec<Symbol> = Vec::new();
        for &i in idx {
            match self.pool.node(i) {
                Node::Index(k) if !ks.contains(k) => ks.push(*k),
                _ => {
                    return Err(
                        "the lemma's variable is not an element at distinct index names".into(),
                    );
                }
            }
        }
        let renamable = !self.kept_names(&[f, r]).contains(&z);
        let tensors = [z];
        let pat = Pattern {
            vars: &[],
            tensors: if renamable { &tensors } else { &[] },
            collapse: true,
        };
        let mut found = Instance::default();
        if !find(self.pool, pat, f, g, &mut found, &mut Vec::new()) {
            return Err("the derivative's function is no instance of the lemma's".into());
        }
        let z_node = self.pool.tensor(z);
        let u = found.tensors.get(&z).copied().unwrap_or(z_node);
        let expected = match self.pool.node(v).clone() {
            Node::Elem(w, ys) if *self.pool.node(u) == Node::Tensor(w) => {
                if ys.len() != ks.len() {
                    return Err(
                        "the variable has another number of indices than the lemma's".into(),
                    );
                }
                if w != z && !self.same_lengths(z, Some(w), ks.len()) {
                    return Err(format!(
                        "the workspace records a length of `{}` equal to another, and not that of `{}`",
                        self.pool.name(z),
                        self.pool.name(w)
                    ));
                }
                for (&k, &y) in ks.iter().zip(ys.iter()) {
                    let Node::Index(y) = *self.pool.node(y) else {
                        return Err("the variable's index is not an index name".into());
                    };
                    if *found.indices.entry(k).or_insert(y) != y {
                        return Err(
                            "the lemma's index stands for two indices in the instance".into()
                        );
                    }
                }
                let s = found.subst(self.pool);
                self.confirm(f, &s, g)?;
                self.pool.substitute(r, &s)
            }
            _ => {
                if !matches!(self.pool.node(u), Node::Call { .. }) {
                    return Err(
                        "the lemma's tensor stands neither for the variable's tensor nor for a tensor-valued call".into(),
                    );
                }
                if !self.same_lengths(z, None, ks.len()) {
                    return Err(format!(
                        "the workspace records a length of `{}` equal to another, so it stands for no call",
                        self.pool.name(z)
                    ));
                }
                let free = self.pool.free_indices(f);
                if ks.iter().any(|k| free.contains(k)) {
                    return Err("the lemma's function has its variable's index, so the lemma states no whole Jacobian for the chain rule".into());
                }
                let mut s = found.subst(self.pool);
                self.confirm(f, &s, g)?;
                self.chain_rule(&ks, r, u, v, &mut s)?
            }
        };
        if expected == a {
            return Ok(());
        }
        self.expect_same(expected, a, "the lemma's right side under the substitution")
    }

    /// Whether the lemma's tensor `z` may stand for `w` (for a call when `None`) as
    /// far as lengths go: each length of `z` that the workspace records equal to
    /// another must be recorded equal to `w`'s, since the lemma may rest on it.
    fn same_lengths(&mut self, z: Symbol, w: Option<Symbol>, axes: usize) -> bool {
        (0..axes as u32).all(|a| {
            let lz = self.pool.len_of(z, a);
            let class = |x: ExprId| self.lengths.get(&x).copied().unwrap_or(x);
            let constrained =
                self.lengths.contains_key(&lz) || self.lengths.values().any(|&r| r == lz);
            if !constrained {
                return true;
            }
            let Some(w) = w else {
                return false;
            };
            let lw = self.pool.len_of(w, a);
            class(lw) == class(lz)
        })
    }

    /// That `f[s]` is the function differentiated, `g`.
    fn confirm(&mut self, f: ExprId, s: &Subst, g: ExprId) -> Result<(), String> {
        if self.pool.substitute(f, s) == g {
            Ok(())
        } else {
            Err("the lemma's function under the substitution is not the one differentiated".into())
        }
    }

    /// `sum(m, R[s, k := m] * diff(u[m], v))`, one sum per axis of `u`.
    fn chain_rule(
        &mut self,
        ks: &[Symbol],
        r: ExprId,
        u: ExprId,
        v: ExprId,
        s: &mut Subst,
    ) -> Result<ExprId, String> {
        let mut at = Vec::with_capacity(ks.len());
        for &k in ks {
            let m = self.pool.fresh_index_symbol();
            let node = self.pool.index(m);
            s.indices.insert(k, node);
            at.push((m, node));
        }
        let outer = self.pool.substitute(r, s);
        let element = self
            .pool
            .index_tensor(u, at.iter().map(|&(_, node)| node).collect());
        let inner = self.pool.diff(element, v, 1);
        let mut body = self.pool.mul(vec![outer, inner]);
        for (axis, &(m, _)) in at.iter().enumerate().rev() {
            let Some(range) = self.pool.tensor_len(u, axis as u32) else {
                return Err(
                    "the tensor-valued call has no length on an axis of the lemma's variable"
                        .into(),
                );
            };
            body = self.pool.sum(m, range, body);
        }
        Ok(body)
    }
}
