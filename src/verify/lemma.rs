//! The check of a lemma's instance: a rewrite by a claim proved before.
//!
//! The instance must be exactly the lemma's two sides under a substitution of the
//! allowed kind, found here afresh by this module's own matching:
//!
//! - for a lemma `diff(F, x) = R` (`x` a scalar), the matched expression is
//!   `diff(F[x := u], v)` and the result `R[x := u] * diff(u, v)` (`R[x := u]` when
//!   `u` is `v`): the chain rule through `F`, which holds only when `F` depends on `v`
//!   through `x` alone;
//! - for a lemma `diff(F, x, m) = R`, in a derivative of order `n >= 2` (and `n >= m`),
//!   the matched expression is `diff(F[x := v], v, n)` and the result
//!   `diff(R[x := v], v, n - m)`: `x` renamed to the derivative's own variable only;
//! - for a lemma `diff(F, z[k]) = R` by an element, the matched expression is
//!   `diff(F[σ], w[y])` and the result `R[σ]`, where `σ` renames the tensor `z` to `w`
//!   and the free indices to indices (two may become one); or, where `σ` makes `z` a
//!   tensor-valued call `u`, the matched expression is `diff(F[σ], v)` and the result
//!   the chain rule `sum(m, R[σ, k := m] * diff(u[m], v))` (see [`element`]);
//! - for a lemma `lhs = rhs`, the matched expression is `lhs[σ]` (or a sum or product
//!   with its terms or factors among others) and the result `rhs[σ]` in its place,
//!   where `σ` replaces scalar names only, and renames free indices one to one.
//!
//! In all, a name that an `assume` fact mentions, or that a called definition uses as
//! a global, is never replaced by another expression; and a tensor whose length the
//! workspace records equal to others' stands only for a tensor whose length is
//! recorded equal to the same. The lemma itself must be in the workspace's
//! table of lemmas, which holds only claims that were proved (and passed this checker,
//! when it ran on them).

mod element;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::expr::node::{ExprId, Node, Symbol};
use crate::expr::pool::Pool;
use crate::expr::subst::Subst;

use super::rules::Kernel;

/// What a pattern's names stand for in an instance.
#[derive(Clone, Default)]
struct Instance {
    scalars: FxHashMap<Symbol, ExprId>,
    indices: FxHashMap<Symbol, Symbol>,
    /// Pattern tensors and the tensors they stand for (a tensor or a tensor-valued
    /// call).
    tensors: FxHashMap<Symbol, ExprId>,
}

impl Instance {
    fn subst(&self, pool: &mut Pool) -> Subst {
        let mut s = Subst {
            scalars: self.scalars.clone(),
            ..Subst::default()
        };
        for (&i, &j) in &self.indices {
            if i != j {
                let to = pool.index(j);
                s.indices.insert(i, to);
            }
        }
        for (&z, &u) in &self.tensors {
            if *pool.node(u) != Node::Tensor(z) {
                s.tensors.insert(z, u);
            }
        }
        s
    }
}

/// What a pattern's names may stand for.
#[derive(Clone, Copy)]
struct Pattern<'a> {
    /// The scalar names that may stand for expressions.
    vars: &'a [Symbol],
    /// The tensor names that may stand for other tensors.
    tensors: &'a [Symbol],
    /// Whether free indices may stand for the same index: a lemma holds for every
    /// value of each free index, equal ones included.
    collapse: bool,
}

impl<'a> Pattern<'a> {
    /// Scalar variables, and free indices one to one.
    fn scalars(vars: &'a [Symbol]) -> Pattern<'a> {
        Pattern {
            vars,
            tensors: &[],
            collapse: false,
        }
    }
}

impl Kernel<'_> {
    /// Checks an instance of the lemma `name` (see the module docs).
    pub(super) fn check_lemma(&mut self, name: &str, b: ExprId, a: ExprId) -> Result<(), String> {
        let Some(lemma) = self.lemmas.iter().find(|l| l.name == name).cloned() else {
            return Err(format!("`{name}` is no claim proved before this one"));
        };
        if contains_derivative(self.pool, lemma.rhs) {
            return Err("the lemma's right side holds a derivative".into());
        }
        let lhs_indices = self.pool.free_indices(lemma.lhs);
        if self
            .pool
            .free_indices(lemma.rhs)
            .iter()
            .any(|i| !lhs_indices.contains(i))
        {
            return Err("the lemma's right side has a free index its left side lacks".into());
        }
        if let Node::Diff { expr, var, order } = self.pool.node(lemma.lhs).clone() {
            let first = matches!(self.pool.node(b), Node::Diff { order: 1, .. });
            return match self.pool.node(var).clone() {
                Node::Sym(x) if order == 1 && first => {
                    self.check_derivative_lemma(expr, x, lemma.rhs, b, a)
                }
                Node::Sym(x) => self.check_higher_order_lemma(expr, x, order, lemma.rhs, b, a),
                Node::Elem(z, idx) if order == 1 => {
                    self.check_element_lemma(expr, z, &idx, lemma.rhs, b, a)
                }
                _ => Err(
                    "the lemma is a derivative by neither a scalar nor an element of first order"
                        .into(),
                ),
            };
        }
        if contains_derivative(self.pool, lemma.lhs) {
            return Err(
                "the lemma is neither a derivative as a whole side nor free of derivatives".into(),
            );
        }
        self.check_equality_lemma(lemma.lhs, lemma.rhs, b, a)
    }

    /// The names the step may not replace: those the facts mention, and the globals
    /// of the definitions `sides` call.
    fn kept_names(&self, sides: &[ExprId]) -> FxHashSet<Symbol> {
        let mut kept: FxHashSet<Symbol> = self.fact_names.iter().copied().collect();
        for &e in sides {
            kept.extend(globals(self.pool, e));
        }
        kept
    }

    /// The derivative `diff(g, v, n)` that a derivative lemma's step matched, once
    /// the lemma's function `f` is known to be free of derivatives and to depend on
    /// `v` through its variable `through` alone: the chain rule, and renaming the
    /// variable, are sound only then.
    fn matched_derivative(
        &mut self,
        f: ExprId,
        through: Symbol,
        b: ExprId,
    ) -> Result<(ExprId, ExprId, u32), String> {
        let Node::Diff {
            expr: g,
            var: v,
            order: n,
        } = self.pool.node(b).clone()
        else {
            return Err("a derivative lemma rewrites a derivative".into());
        };
        let v_name = match self.pool.node(v) {
            Node::Sym(s) | Node::Elem(s, _) => *s,
            _ => return Err("the derivative is not by a scalar or an element".into()),
        };
        if contains_derivative(self.pool, f) {
            return Err("the lemma's function holds a derivative".into());
        }
        let elsewhere = (v_name != through && self.pool.free_symbols(f).contains(&v_name))
            || globals(self.pool, f).contains(&v_name);
        if elsewhere {
            return Err(format!(
                "the lemma's function depends on `{}` other than through `{}`",
                self.pool.name(v_name),
                self.pool.name(through)
            ));
        }
        Ok((g, v, n))
    }

    /// That the instance may replace the lemma's name `x`: no fact mentions it and no
    /// definition called in `sides` uses it as a global.
    fn replaceable(&self, x: Symbol, sides: &[ExprId]) -> Result<(), String> {
        if self.kept_names(sides).contains(&x) {
            return Err(format!(
                "`{}` is constrained by an assumption or used by a definition, so the lemma holds for it alone",
                self.pool.name(x)
            ));
        }
        Ok(())
    }

    /// `diff(F[x := u], v)` to `R[x := u] * diff(u, v)`.
    fn check_derivative_lemma(
        &mut self,
        f: ExprId,
        x: Symbol,
        r: ExprId,
        b: ExprId,
        a: ExprId,
    ) -> Result<(), String> {
        let (g, v, n) = self.matched_derivative(f, x, b)?;
        if n != 1 {
            return Err("a derivative lemma rewrites a first derivative".into());
        }
        let mut found = Instance::default();
        if !find(
            self.pool,
            Pattern::scalars(&[x]),
            f,
            g,
            &mut found,
            &mut Vec::new(),
        ) {
            return Err("the derivative's function is no instance of the lemma's".into());
        }
        let x_node = self.pool.sym(x);
        let u = found.scalars.get(&x).copied().unwrap_or(x_node);
        if u != x_node {
            self.replaceable(x, &[f, r])?;
        }
        let mut s = Subst::default();
        s.scalars.insert(x, u);
        if self.pool.substitute(f, &s) != g {
            return Err(
                "the lemma's function with its variable replaced is not the one differentiated"
                    .into(),
            );
        }
        let outer = self.pool.substitute(r, &s);
        let expected = if u == v {
            outer
        } else {
            let inner = self.pool.diff(u, v, 1);
            self.pool.mul(vec![outer, inner])
        };
        if expected == a {
            return Ok(());
        }
        self.expect_same(
            expected,
            a,
            "the lemma's derivative times the inner derivative",
        )
    }

    /// `diff(F[x := v], v, n)` to `diff(R[x := v], v, n - m)`, for a lemma
    /// `diff(F, x, m) = R` and `n >= m`, `n >= 2`.
    fn check_higher_order_lemma(
        &mut self,
        f: ExprId,
        x: Symbol,
        m: u32,
        r: ExprId,
        b: ExprId,
        a: ExprId,
    ) -> Result<(), String> {
        let (g, v, n) = self.matched_derivative(f, x, b)?;
        if n < m.max(2) {
            return Err(format!(
                "a lemma of order {m} rewrites a derivative of order at least {}, not {n}",
                m.max(2)
            ));
        }
        if v != self.pool.sym(x) {
            self.replaceable(x, &[f, r])?;
        }
        let mut s = Subst::default();
        s.scalars.insert(x, v);
        if self.pool.substitute(f, &s) != g {
            return Err(
                "the derivative's function is not the lemma's with its variable renamed to the derivative's"
                    .into(),
            );
        }
        let rv = self.pool.substitute(r, &s);
        let expected = self.pool.diff(rv, v, n - m);
        if expected == a {
            return Ok(());
        }
        self.expect_same(
            expected,
            a,
            "the lemma's right side differentiated the remaining times",
        )
    }

    /// `lhs[σ]` to `rhs[σ]`, alone or among the terms of a sum or factors of a product.
    fn check_equality_lemma(
        &mut self,
        lhs: ExprId,
        rhs: ExprId,
        b: ExprId,
        a: ExprId,
    ) -> Result<(), String> {
        let kept = self.kept_names(&[lhs, rhs]);
        let mut vars = Vec::new();
        scalars_of(self.pool, lhs, &mut vars, &mut FxHashSet::default());
        vars.retain(|s| !kept.contains(s));
        let mut found = Instance::default();
        let mut others = Vec::new();
        if !find(
            self.pool,
            Pattern::scalars(&vars),
            lhs,
            b,
            &mut found,
            &mut Vec::new(),
        ) {
            let (ps, ts) = match (self.pool.node(lhs).clone(), self.pool.node(b).clone()) {
                (Node::Add(ps), Node::Add(ts)) | (Node::Mul(ps), Node::Mul(ts)) => (ps, ts),
                _ => return Err("the matched expression is no instance of the lemma".into()),
            };
            match find_among(self.pool, Pattern::scalars(&vars), &ps, &ts, &found) {
                Some((inst, rest)) => {
                    found = inst;
                    others = rest;
                }
                None => return Err("the matched expression is no instance of the lemma".into()),
            }
        }
        let s = found.subst(self.pool);
        let l = self.pool.substitute(lhs, &s);
        let r = self.pool.substitute(rhs, &s);
        let sum = matches!(self.pool.node(b), Node::Add(_));
        let with_others = |pool: &mut Pool, e: ExprId| {
            if others.is_empty() {
                return e;
            }
            let mut all = others.clone();
            all.push(e);
            if sum { pool.add(all) } else { pool.mul(all) }
        };
        if with_others(self.pool, l) != b {
            return Err(
                "the lemma's left side under the substitution is not the matched expression".into(),
            );
        }
        let expected = with_others(self.pool, r);
        if expected == a {
            return Ok(());
        }
        self.expect_same(expected, a, "the lemma's right side under the substitution")
    }
}

/// Whether `pattern`, with its names free to stand for what `pat` allows and its
/// indices for other indices (one to one unless `pat` collapses free ones), matches
/// `target`; `inst` grows with what it finds and is left as it was when the match
/// fails. `bound` holds the target's indices bound by the sums entered, which no
/// variable may take.
fn find(
    pool: &mut Pool,
    pat: Pattern<'_>,
    pattern: ExprId,
    target: ExprId,
    inst: &mut Instance,
    bound: &mut Vec<Symbol>,
) -> bool {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || find(pool, pat, pattern, target, inst, bound));
    }
    let saved = inst.clone();
    let escapes =
        |pool: &Pool, bound: &[Symbol]| pool.free_symbols(target).iter().any(|s| bound.contains(s));
    let ok = match (pool.node(pattern).clone(), pool.node(target).clone()) {
        (Node::Sym(v), t) if pat.vars.contains(&v) => match inst.scalars.get(&v) {
            Some(&e) => e == target,
            None if matches!(t, Node::Index(_) | Node::Tensor(_)) || escapes(pool, bound) => false,
            None => {
                inst.scalars.insert(v, target);
                true
            }
        },
        (Node::Tensor(z), t) if pat.tensors.contains(&z) => {
            let tensor = match t {
                Node::Tensor(_) => true,
                Node::Call { def, indices, .. } => {
                    indices.len() < pool.definition(def).indices.len()
                }
                _ => false,
            };
            tensor && !escapes(pool, bound) && same_tensor(inst, z, target)
        }
        (Node::Elem(z, ps), Node::Elem(w, ts)) if pat.tensors.contains(&z) => {
            let u = pool.tensor(w);
            ps.len() == ts.len()
                && same_tensor(inst, z, u)
                && pairwise(pool, pat, &ps, &ts, inst, bound)
        }
        (Node::Len(z, a), Node::Len(w, c)) if pat.tensors.contains(&z) => {
            let u = pool.tensor(w);
            a == c && same_tensor(inst, z, u)
        }
        (Node::Index(i), Node::Index(j)) => match inst.indices.get(&i) {
            Some(&k) => k == j,
            None if inst.indices.values().any(|&k| k == j)
                && (!pat.collapse || bound.contains(&j)) =>
            {
                false
            }
            None => {
                inst.indices.insert(i, j);
                true
            }
        },
        (Node::Elem(s, ps), Node::Elem(r, ts)) => {
            s == r && ps.len() == ts.len() && pairwise(pool, pat, &ps, &ts, inst, bound)
        }
        (Node::Add(ps), Node::Add(ts)) | (Node::Mul(ps), Node::Mul(ts)) => {
            match (ps.len() == ts.len())
                .then(|| find_among(pool, pat, &ps, &ts, inst))
                .flatten()
            {
                Some((found, _)) => {
                    *inst = found;
                    true
                }
                None => false,
            }
        }
        (Node::Pow(p1, p2), Node::Pow(t1, t2)) | (Node::Delta(p1, p2), Node::Delta(t1, t2)) => {
            pairwise(pool, pat, &[p1, p2], &[t1, t2], inst, bound)
        }
        (Node::Func(f, p), Node::Func(g, t)) => f == g && find(pool, pat, p, t, inst, bound),
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
            let before = inst.indices.get(&i).copied();
            let taken = inst.indices.values().any(|&k| k == j);
            if taken || !find(pool, pat, pr, tr, inst, bound) {
                false
            } else {
                inst.indices.insert(i, j);
                bound.push(j);
                let ok = find(pool, pat, pb, tb, inst, bound);
                bound.pop();
                // The bound index stands for the target's only inside the sum.
                match before {
                    Some(k) => inst.indices.insert(i, k),
                    None => inst.indices.remove(&i),
                };
                ok
            }
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
                && pairwise(pool, pat, &pa, &ta, inst, bound)
                && pairwise(pool, pat, &pi, &ti, inst, bound)
        }
        _ => pattern == target,
    };
    if !ok {
        *inst = saved;
    }
    ok
}

/// The pattern tensor `z` standing for `u`, as before or from now on.
fn same_tensor(inst: &mut Instance, z: Symbol, u: ExprId) -> bool {
    match inst.tensors.get(&z) {
        Some(&v) => v == u,
        None => {
            inst.tensors.insert(z, u);
            true
        }
    }
}

fn pairwise(
    pool: &mut Pool,
    pat: Pattern<'_>,
    ps: &[ExprId],
    ts: &[ExprId],
    inst: &mut Instance,
    bound: &mut Vec<Symbol>,
) -> bool {
    ps.iter()
        .zip(ts)
        .all(|(&p, &t)| find(pool, pat, p, t, inst, bound))
}

/// Each of `ps` matched to a different one of `ts`, extending `inst`: the instance and
/// the elements of `ts` no pattern took, or `None`.
fn find_among(
    pool: &mut Pool,
    pat: Pattern<'_>,
    ps: &[ExprId],
    ts: &[ExprId],
    inst: &Instance,
) -> Option<(Instance, Vec<ExprId>)> {
    if ps.len() > 8 || ts.len() > 32 || ps.len() > ts.len() {
        return None;
    }
    // Depth-first over the choices for each pattern element in turn; each frame keeps
    // the instance as it stood and the target elements taken.
    fn go(
        pool: &mut Pool,
        pat: Pattern<'_>,
        ps: &[ExprId],
        ts: &[ExprId],
        inst: &Instance,
        taken: &mut Vec<usize>,
    ) -> Option<Instance> {
        let Some(&p) = ps.get(taken.len()) else {
            return Some(inst.clone());
        };
        for (k, &t) in ts.iter().enumerate() {
            if taken.contains(&k) {
                continue;
            }
            let mut next = inst.clone();
            if find(pool, pat, p, t, &mut next, &mut Vec::new()) {
                taken.push(k);
                if let Some(done) = go(pool, pat, ps, ts, &next, taken) {
                    return Some(done);
                }
                taken.pop();
            }
        }
        None
    }
    let mut taken = Vec::new();
    let found = go(pool, pat, ps, ts, inst, &mut taken)?;
    let rest = (0..ts.len())
        .filter(|k| !taken.contains(k))
        .map(|k| ts[k])
        .collect();
    Some((found, rest))
}

/// The globals of the definitions `e` calls, through the definitions they call.
pub(super) fn globals(pool: &Pool, e: ExprId) -> FxHashSet<Symbol> {
    let mut out = FxHashSet::default();
    let mut done = FxHashSet::default();
    let mut todo = pool.called_definitions(e);
    while let Some(def) = todo.pop() {
        if !done.insert(def) {
            continue;
        }
        let d = pool.definition(def);
        let own: FxHashSet<Symbol> = d
            .params
            .iter()
            .map(|p| p.name)
            .chain(d.indices.iter().copied())
            .collect();
        out.extend(
            pool.free_symbols(d.body)
                .iter()
                .filter(|s| !own.contains(s))
                .copied(),
        );
        todo.extend(pool.called_definitions(d.body));
    }
    out
}

/// The scalar names in `e`.
fn scalars_of(pool: &Pool, e: ExprId, out: &mut Vec<Symbol>, seen: &mut FxHashSet<ExprId>) {
    let mut todo = vec![e];
    while let Some(x) = todo.pop() {
        if !seen.insert(x) {
            continue;
        }
        if let Node::Sym(s) = pool.node(x)
            && !out.contains(s)
        {
            out.push(*s);
        }
        todo.extend(crate::expr::node::children(pool.node(x)));
    }
}

/// Whether `e` holds a derivative anywhere.
fn contains_derivative(pool: &Pool, e: ExprId) -> bool {
    let mut todo = vec![e];
    let mut seen = FxHashSet::default();
    while let Some(x) = todo.pop() {
        if seen.insert(x) {
            if matches!(pool.node(x), Node::Diff { .. }) {
                return true;
            }
            todo.extend(crate::expr::node::children(pool.node(x)));
        }
    }
    false
}
