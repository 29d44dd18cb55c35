//! Folding results back into named definitions.
//!
//! A derivative is taken through the bodies of the definitions it meets, so its raw form
//! speaks in primitives: `exp(z[i])/sum(j, exp(z[j]))`. Folding finds instances of
//! definition bodies and writes them as calls, `softmax(z)[i]`, so the result reads in the
//! user's vocabulary. Matching is structural: a definition's parameters and indices are
//! the pattern's variables; a product may hold a definition's body among other factors
//! (and an exponential of a sum counts as a product of exponentials); a sum of terms may
//! hold a definition's body among other terms, scaled by a common factor. A fold only
//! renames a subexpression by a definition whose body it is, so it is always sound.

use num_rational::BigRational;
use num_traits::{One, Signed, Zero};
use rustc_hash::FxHashMap;

use crate::expr::kind::Kind;
use crate::expr::node::{DefId, ExprId, Func, Node, Symbol};
use crate::expr::pool::{Features, Pool};

/// A definition usable for folding.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// The definition.
    pub def: DefId,
    /// Its body.
    pub body: ExprId,
    /// Its pattern variables: parameters and result indices.
    pub vars: Vec<Symbol>,
    /// The builtin function it defines, if any (folding then gives the builtin).
    pub builtin: Option<Func>,
    /// What any expression it matches must contain: its body's functions, sums, deltas
    /// and elements, none of which a match can make up.
    pub needs: Features,
    /// The body's size as a DAG, by which patterns are tried, largest first.
    pub size: usize,
}

/// Which definitions fold: builtins' definitions (`sigmoid`), and definitions that carry
/// vocabulary worth keeping: indexed ones, ones whose body sums, and ones that call such
/// definitions. Small scalar helpers (`eml`, `relu`) are not folded, so that a plain
/// `exp(x) - ln(y)` stays as written.
///
/// A definition whose body a definition before it can fold gets a second pattern, with
/// its body so folded. Folding works bottom-up, so by the time it reaches a body's top,
/// the parts of the body are already calls: `var = sum(k, xc[k]^2)/len(x)` is met as
/// `norm2(xc)/len(x)` once the prelude's `norm2` has folded the sum, and only the
/// folded pattern still matches it. Without it, one quantity folds to `var` in one
/// expression and to `norm2(xc)/len(x)` in another, and the two never cancel.
pub fn patterns(pool: &mut Pool, defs: &[DefId]) -> Vec<Pattern> {
    let mut foldable: Vec<DefId> = Vec::new();
    // Definitions are listed in definition order, so callees come before callers.
    for &d in defs {
        let def = pool.definition(d);
        // An anonymous definition with a scalar or tensor parameter stands inside a
        // definition's body for a call not yet made; as a pattern, its tensor parameter
        // would match a call of itself, and folding would nest it without end.
        if def.form.is_some() && def.params.iter().any(|p| p.kind != Kind::Index) {
            continue;
        }
        // A body that is one name or element times a number (`(X / 2)[a, c]`) names
        // nothing: folding `X[0, 0]` into `2*(X / 2)[0, 0]` only makes it longer.
        let bare = match pool.node(def.body) {
            Node::Mul(fs) => match fs.as_ref() {
                [c, x] if pool.as_num(*c).is_some() => *x,
                _ => def.body,
            },
            _ => def.body,
        };
        if matches!(pool.node(bare), Node::Elem(..) | Node::Sym(_)) {
            continue;
        }
        let body_has = |pred: &dyn Fn(&Node) -> bool| {
            let mut todo = vec![def.body];
            let mut seen = rustc_hash::FxHashSet::default();
            while let Some(x) = todo.pop() {
                if !seen.insert(x) {
                    continue;
                }
                let n = pool.node(x);
                if pred(n) {
                    return true;
                }
                todo.extend(crate::expr::node::children(n));
            }
            false
        };
        let ok = def.builtin.is_some()
            || !def.indices.is_empty()
            || body_has(&|n| matches!(n, Node::Sum { .. }))
            || body_has(&|n| matches!(n, Node::Call { def, .. } if foldable.contains(def)));
        if ok {
            foldable.push(d);
        }
    }
    let plain: Vec<Pattern> = foldable
        .into_iter()
        .map(|d| {
            let def = pool.definition(d);
            let mut vars: Vec<Symbol> = def.params.iter().map(|p| p.name).collect();
            vars.extend(def.indices.iter().copied());
            Pattern {
                def: d,
                body: def.body,
                vars,
                builtin: def.builtin,
                needs: pool.features(def.body),
                size: crate::expr::size::dag_size(pool, def.body),
            }
        })
        .collect();
    // The patterns so far, kept in the order they are tried in.
    let mut out: Vec<Pattern> = Vec::with_capacity(plain.len());
    for p in plain {
        let folded = folded_body(pool, &out, &p);
        insert_by_size(&mut out, p.clone());
        if let Some(body) = folded {
            let folded = Pattern {
                body,
                needs: pool.features(body),
                size: crate::expr::size::dag_size(pool, body),
                ..p
            };
            insert_by_size(&mut out, folded);
        }
    }
    out
}

/// Inserts a pattern after every pattern at least as large: larger bodies are tried
/// first, so that a definition wins over one of its parts, and among equal sizes the
/// earlier definition first.
fn insert_by_size(patterns: &mut Vec<Pattern>, p: Pattern) {
    let at = patterns.partition_point(|q| q.size >= p.size);
    patterns.insert(at, p);
}

/// A definition's body folded by the patterns of the definitions before it, when that
/// changes it. Only the patterns whose needs the body meets can match in it, and most
/// bodies meet none, so the fold is skipped for them.
fn folded_body(pool: &mut Pool, earlier: &[Pattern], p: &Pattern) -> Option<ExprId> {
    let has = pool.features(p.body);
    let usable: Vec<Pattern> = earlier
        .iter()
        .filter(|q| q.needs.within(has))
        .cloned()
        .collect();
    if usable.is_empty() {
        return None;
    }
    let folded = Folder::new(pool, usable).fold(p.body);
    (folded != p.body).then_some(folded)
}

/// Variable bindings during a match, undone by truncation on backtracking.
#[derive(Clone, Debug, Default)]
struct Bindings {
    pairs: Vec<(Symbol, ExprId)>,
}

impl Bindings {
    fn get(&self, s: Symbol) -> Option<ExprId> {
        self.pairs.iter().rev().find(|p| p.0 == s).map(|p| p.1)
    }
}

/// Folds definitions into an expression, bottom-up.
pub struct Folder<'p> {
    pool: &'p mut Pool,
    patterns: Vec<Pattern>,
    memo: FxHashMap<ExprId, ExprId>,
    /// The definitions that were folded, in order, for the derivation.
    pub folded: Vec<DefId>,
    current_vars: Vec<Symbol>,
    /// The target's bound indices of the sums being matched.
    target_binders: Vec<Symbol>,
    /// The term pairings tried in the current match of a sum, against [`MATCH_BUDGET`].
    match_work: usize,
    /// The positions of the terms of the sum being matched, by term (without its
    /// coefficient).
    term_index: FxHashMap<ExprId, Vec<usize>>,
}

/// How many term pairings one match of a pattern against a sum may try. A pattern of
/// k terms against a sum of n tries about k*n when its terms bind their variables in
/// turn; the bound stops the rare pattern whose terms bind nothing from backtracking
/// through n^k pairings.
const MATCH_BUDGET: usize = 1 << 16;

impl<'p> Folder<'p> {
    /// A folder over the given patterns.
    pub fn new(pool: &'p mut Pool, patterns: Vec<Pattern>) -> Folder<'p> {
        Folder {
            pool,
            patterns,
            memo: FxHashMap::default(),
            folded: Vec::new(),
            current_vars: Vec::new(),
            target_binders: Vec::new(),
            match_work: 0,
            term_index: FxHashMap::default(),
        }
    }

    /// The pool the folder builds in.
    pub fn pool_mut(&mut self) -> &mut Pool {
        self.pool
    }

    /// A folder that starts from what earlier folds over the same patterns found.
    pub fn with_memo(mut self, memo: FxHashMap<ExprId, ExprId>) -> Folder<'p> {
        self.memo = memo;
        self
    }

    /// The patterns and what this folder found, for a later folder over the same
    /// patterns.
    pub fn into_parts(self) -> (Vec<Pattern>, FxHashMap<ExprId, ExprId>) {
        (self.patterns, self.memo)
    }

    /// Folds every instance it finds, innermost first.
    pub fn fold(&mut self, id: ExprId) -> ExprId {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.fold(id));
        }
        if let Some(&r) = self.memo.get(&id) {
            return r;
        }
        // Past the work budget nothing more is folded; folding only renames.
        if self.pool.over_budget() {
            return id;
        }
        let rebuilt = self.fold_children(id);
        let mut cur = rebuilt;
        // Each fold makes the expression smaller, so this ends; the bound is a guard.
        for _ in 0..64 {
            match self.fold_here(cur) {
                Some(next) if next != cur => cur = next,
                _ => break,
            }
        }
        let cur = self.fold_into_sums(cur);
        self.memo.insert(id, cur);
        cur
    }

    /// A product of a sum and other factors, `c * sum(j, b)`, is also `sum(j, c*b)`: a
    /// definition's body may straddle the two (`sum(k, V[k]*exp(S[k])) / sum(m,
    /// exp(S[m]))` holds `P[k]` inside the sum). The other factors are moved into the
    /// sum and the body folded; the sum's constructor moves out whatever stays free of
    /// the index. Kept only when the result is smaller.
    fn fold_into_sums(&mut self, id: ExprId) -> ExprId {
        let Node::Mul(fs) = self.pool.node(id).clone() else {
            return id;
        };
        let mut best = id;
        let mut best_size = crate::expr::size::tree_size(self.pool, id);
        for (k, &f) in fs.iter().enumerate() {
            let Node::Sum { index, range, body } = self.pool.node(f).clone() else {
                continue;
            };
            let outside: Vec<ExprId> = fs
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != k)
                .map(|(_, &x)| x)
                .collect();
            // Moving a factor that mentions the bound index's name would capture it.
            if outside
                .iter()
                .any(|&x| self.pool.free_symbols(x).contains(&index))
            {
                continue;
            }
            let mut inside = outside;
            inside.push(body);
            let product = self.pool.mul(inside);
            let folded = self.fold(product);
            if folded == product {
                continue;
            }
            let cand = self.pool.sum(index, range, folded);
            let size = crate::expr::size::tree_size(self.pool, cand);
            if size < best_size {
                best = cand;
                best_size = size;
            }
        }
        best
    }

    fn fold_children(&mut self, id: ExprId) -> ExprId {
        let kids: Vec<ExprId> = crate::expr::node::children(self.pool.node(id))
            .into_iter()
            .map(|c| self.fold(c))
            .collect();
        self.pool.rebuild(id, &kids)
    }

    /// One fold at the top of `id`, if some pattern matches.
    fn fold_here(&mut self, id: ExprId) -> Option<ExprId> {
        let has = self.pool.features(id);
        for k in 0..self.patterns.len() {
            if !self.patterns[k].needs.within(has) {
                continue;
            }
            let p = self.patterns[k].clone();
            self.current_vars = p.vars.clone();
            let r = match (self.pool.node(p.body).clone(), self.pool.node(id).clone()) {
                (Node::Add(pt), Node::Add(tt)) => self.fold_sum(&p, &pt, &tt),
                (Node::Add(_), _) => None,
                _ => self.fold_product(&p, id),
            };
            if let Some(r) = r {
                self.folded.push(p.def);
                return Some(r);
            }
        }
        None
    }

    fn call_for(&mut self, p: &Pattern, b: &Bindings) -> Option<ExprId> {
        if let Some(f) = p.builtin {
            let x = b.get(p.vars[0])?;
            return Some(self.pool.func(f, x));
        }
        let def = self.pool.definition(p.def).clone();
        let mut args = Vec::new();
        for param in &def.params {
            let v = b.get(param.name)?;
            // A tensor bound to an element-free tensor; scalars and indices as they are.
            args.push(v);
            let _ = param.kind;
        }
        let mut idx = Vec::new();
        for &i in &def.indices {
            idx.push(b.get(i)?);
        }
        Some(self.pool.call(p.def, args, idx))
    }

    /// A sum of terms containing the pattern's terms, all scaled by one factor.
    fn fold_sum(&mut self, p: &Pattern, pt: &[ExprId], tt: &[ExprId]) -> Option<ExprId> {
        if pt.len() > tt.len() {
            return None;
        }
        let mut pterms: Vec<(BigRational, ExprId)> =
            pt.iter().map(|&t| self.pool.split_coefficient(t)).collect();
        // A term that is a bare variable matches any target term, so trying it first
        // would pair it with each of the target's terms in turn and backtrack through all
        // of them: quadratic in a sum of a thousand terms. Matched last, the other terms
        // have bound it and it is only an equality test.
        pterms.sort_by_key(|&(_, r)| self.is_bare_var(r));

        self.match_work = 0;

        let tterms: Vec<(BigRational, ExprId)> =
            tt.iter().map(|&t| self.pool.split_coefficient(t)).collect();
        self.term_index.clear();
        for (k, &(_, r)) in tterms.iter().enumerate() {
            self.term_index.entry(r).or_default().push(k);
        }
        let mut b = Bindings::default();
        let mut used = vec![false; tterms.len()];
        let mut scale: Option<BigRational> = None;
        if self.match_terms(&pterms, 0, &tterms, &mut used, &mut scale, &mut b) {
            let call = self.call_for(p, &b)?;
            let scale = scale.unwrap_or_else(BigRational::one);
            let c = self.pool.num(scale);
            let mut rest: Vec<ExprId> = tt
                .iter()
                .zip(&used)
                .filter(|(_, u)| !**u)
                .map(|(&t, _)| t)
                .collect();
            rest.push(self.pool.mul(vec![c, call]));
            return Some(self.pool.add(rest));
        }
        None
    }

    #[allow(clippy::too_many_arguments)]
    fn match_terms(
        &mut self,
        pterms: &[(BigRational, ExprId)],
        k: usize,
        tterms: &[(BigRational, ExprId)],
        used: &mut Vec<bool>,
        scale: &mut Option<BigRational>,
        b: &mut Bindings,
    ) -> bool {
        if k == pterms.len() {
            return true;
        }
        let (pc, pr) = (&pterms[k].0, pterms[k].1);
        // A term whose variables earlier terms have bound is one expression: it is looked
        // up among the target's terms, not matched against each of them, which keeps a
        // pattern such as `exp(x)/2 + exp(-x)/2` linear in a sum of a thousand terms.
        let candidates: Vec<usize> = match self.instance(pr, b) {
            Some(inst) => self.term_index.get(&inst).cloned().unwrap_or_default(),
            None => (0..tterms.len()).collect(),
        };
        for t in candidates {
            if used[t] {
                continue;
            }
            // Folding only renames what is there, so a match that would take too long is
            // given up: the expression is then left unfolded, which is still right.
            self.match_work += 1;
            if self.match_work > MATCH_BUDGET {
                return false;
            }
            let (tc, tr) = (&tterms[t].0, tterms[t].1);
            if pc.is_zero() {
                continue;
            }
            let ratio = tc / pc;
            if let Some(s) = scale.as_ref()
                && *s != ratio
            {
                continue;
            }
            let mark = b.pairs.len();
            let had_scale = scale.is_some();
            if self.matches(pr, tr, b) {
                used[t] = true;
                if !had_scale {
                    *scale = Some(ratio.clone());
                }
                if self.match_terms(pterms, k + 1, tterms, used, scale, b) {
                    return true;
                }
                used[t] = false;
                if !had_scale {
                    *scale = None;
                }
            }
            b.pairs.truncate(mark);
        }
        false
    }

    /// Factors of a product as (base, exponent), with numeric exponents made explicit,
    /// and with `split_exp` exponentials of sums split into exponentials of their terms.
    fn factors(
        &mut self,
        id: ExprId,
        split_exp: bool,
    ) -> (BigRational, Vec<(ExprId, BigRational)>) {
        let (coeff, fs): (BigRational, Vec<ExprId>) = match self.pool.node(id).clone() {
            Node::Mul(fs) => match self.pool.node(fs[0]) {
                Node::Num(c) => (c.clone(), fs[1..].to_vec()),
                _ => (BigRational::one(), fs.to_vec()),
            },
            Node::Num(c) => (c, Vec::new()),
            _ => (BigRational::one(), vec![id]),
        };
        let mut out: Vec<(ExprId, BigRational)> = Vec::new();
        for f in fs {
            let (base, e) = match self.pool.node(f).clone() {
                Node::Pow(b, e) => match self.pool.as_num(e) {
                    Some(r) => (b, r.clone()),
                    None => (f, BigRational::one()),
                },
                _ => (f, BigRational::one()),
            };
            // Looked at in place: the base may be a sum of thousands of terms, shared by
            // thousands of products, and copying it for each would be quadratic.
            if let (true, &Node::Func(Func::Exp, arg)) = (split_exp, self.pool.node(base)) {
                let terms: Vec<ExprId> = match self.pool.node(arg) {
                    Node::Add(ts) => ts.to_vec(),
                    _ => vec![arg],
                };
                for t in terms {
                    let (c, r) = self.pool.split_coefficient(t);
                    let ex = self.pool.func(Func::Exp, r);
                    push_factor(&mut out, ex, c * &e);
                }
                continue;
            }
            push_factor(&mut out, base, e);
        }
        (coeff, out)
    }

    /// A product containing the pattern's factors.
    fn fold_product(&mut self, p: &Pattern, id: ExprId) -> Option<ExprId> {
        let (pc, pf) = self.factors(p.body, true);
        if pf.is_empty() {
            return None;
        }
        // Only a pattern with an exponential among its factors can use the target's
        // exponentials split apart (`exp(a - b)` as `exp(a)*exp(-b)`). Splitting costs
        // the length of each exponent, in every product that holds the exponential: a
        // network's logits are sums of hundreds of terms, each inside hundreds of
        // products.
        let split = pf
            .iter()
            .any(|&(b, _)| matches!(self.pool.node(b), Node::Func(Func::Exp, _)));
        let (tc, mut tf) = self.factors(id, split);
        let mut b = Bindings::default();
        if !self.match_factors(&pf, 0, &mut tf, &mut b) {
            return None;
        }
        let call = self.call_for(p, &b)?;
        // What is left of the target: its factors less the pattern's, times the call,
        // with the coefficients divided.
        let mut parts = vec![self.pool.num(tc / pc)];
        for (base, e) in tf {
            if e.is_zero() {
                continue;
            }
            let en = self.pool.num(e);
            parts.push(self.pool.pow(base, en));
        }
        parts.push(call);
        Some(self.pool.mul(parts))
    }

    fn match_factors(
        &mut self,
        pf: &[(ExprId, BigRational)],
        k: usize,
        tf: &mut Vec<(ExprId, BigRational)>,
        b: &mut Bindings,
    ) -> bool {
        if k == pf.len() {
            return true;
        }
        let (pb, pe) = (pf[k].0, pf[k].1.clone());
        for t in 0..tf.len() {
            let (tb, te) = (tf[t].0, tf[t].1.clone());
            // The target must hold at least the pattern's power, with the same sign.
            if te.is_zero() || te.is_negative() != pe.is_negative() || te.abs() < pe.abs() {
                continue;
            }
            if !(te.is_integer() && pe.is_integer()) && te != pe {
                continue;
            }
            let mark = b.pairs.len();
            if self.matches(pb, tb, b) {
                tf[t].1 = &te - &pe;
                if self.match_factors(pf, k + 1, tf, b) {
                    return true;
                }
                tf[t].1 = te;
            }
            b.pairs.truncate(mark);
        }
        false
    }

    fn bind(&mut self, s: Symbol, value: ExprId, b: &mut Bindings) -> bool {
        match b.get(s) {
            Some(v) => v == value,
            None => {
                // A variable of the definition must not take a value that mentions an
                // index bound by a sum of the target being matched: the call would carry
                // that index out of its sum.
                let free = self.pool.free_symbols(value);
                if self.target_binders.iter().any(|t| free.contains(t)) {
                    return false;
                }
                b.pairs.push((s, value));
                true
            }
        }
    }

    fn is_var(&self, s: Symbol, b: &Bindings, vars: &[Symbol]) -> bool {
        vars.contains(&s) || b.get(s).is_some()
    }

    /// Whether the pattern `p` matches the target `t` exactly, extending the bindings.
    fn matches(&mut self, p: ExprId, t: ExprId, b: &mut Bindings) -> bool {
        let vars = self.current_vars.clone();
        self.matches_in(p, t, b, &vars)
    }

    fn has_vars(&self, p: ExprId, vars: &[Symbol]) -> bool {
        self.pool.free_symbols(p).iter().any(|s| vars.contains(s))
    }

    fn matches_in(&mut self, p: ExprId, t: ExprId, b: &mut Bindings, vars: &[Symbol]) -> bool {
        let pn = self.pool.node(p).clone();
        let tn = self.pool.node(t).clone();
        match pn {
            Node::Sym(s) if self.is_var(s, b, vars) => self.bind(s, t, b),
            Node::Index(s) if self.is_var(s, b, vars) => {
                matches!(tn, Node::Index(_) | Node::Num(_)) && self.bind(s, t, b)
            }
            Node::Tensor(s) if self.is_var(s, b, vars) => {
                let ok = matches!(tn, Node::Tensor(_))
                    || matches!(&tn, Node::Call { indices, .. } if indices.is_empty());
                ok && self.bind(s, t, b)
            }
            Node::Elem(s, pidx) if self.is_var(s, b, vars) => {
                let (tensor, tidx) = match tn {
                    Node::Elem(ts, tidx) => (self.pool.tensor(ts), tidx.to_vec()),
                    Node::Call { def, args, indices } if !indices.is_empty() => (
                        self.pool.call(def, args.to_vec(), Vec::new()),
                        indices.to_vec(),
                    ),
                    _ => return false,
                };
                if pidx.len() != tidx.len() || !self.bind(s, tensor, b) {
                    return false;
                }
                pidx.iter()
                    .zip(tidx.iter())
                    .all(|(&x, &y)| self.matches_in(x, y, b, vars))
            }
            Node::Len(s, axis) if self.is_var(s, b, vars) => match b.get(s) {
                Some(tensor) => self.pool.tensor_len(tensor, axis) == Some(t),
                None => match tn {
                    Node::Len(ts, ta) if ta == axis => {
                        let tensor = self.pool.tensor(ts);
                        self.bind(s, tensor, b)
                    }
                    _ => false,
                },
            },
            _ if p == t && !self.has_vars(p, vars) => true,
            Node::Mul(pf) => {
                // A linear pattern `c*x` matches anything, binding x to t/c.
                if pf.len() == 2
                    && let (Some(c), Node::Sym(s)) = (
                        self.pool.as_num(pf[0]).cloned(),
                        self.pool.node(pf[1]).clone(),
                    )
                    && self.is_var(s, b, vars)
                {
                    let inv = self.pool.num(c.recip());
                    let x = self.pool.mul(vec![inv, t]);
                    return self.bind(s, x, b);
                }
                let Node::Mul(tf) = tn else { return false };
                self.match_unordered(&pf, &tf, b, vars)
            }
            Node::Add(pt) => {
                let Node::Add(tt) = tn else { return false };
                self.match_unordered(&pt, &tt, b, vars)
            }
            Node::Pow(pb, pe) => {
                let Node::Pow(tb, te) = tn else { return false };
                self.matches_in(pb, tb, b, vars) && self.matches_in(pe, te, b, vars)
            }
            Node::Func(f, pa) => {
                let Node::Func(g, ta) = tn else { return false };
                f == g && self.matches_in(pa, ta, b, vars)
            }
            Node::Delta(p1, p2) => {
                let Node::Delta(t1, t2) = tn else {
                    return false;
                };
                let mark = b.pairs.len();
                if self.matches_in(p1, t1, b, vars) && self.matches_in(p2, t2, b, vars) {
                    return true;
                }
                b.pairs.truncate(mark);
                self.matches_in(p1, t2, b, vars) && self.matches_in(p2, t1, b, vars)
            }
            Node::Sum {
                index: pi,
                range: pr,
                body: pbody,
            } => {
                let Node::Sum {
                    index: ti,
                    range: tr,
                    body: tbody,
                } = tn
                else {
                    return false;
                };
                // The bound index corresponds to the target's bound index inside the
                // body only: the binding is removed again afterwards, since the same name
                // may be a free variable of the pattern outside the sum.
                let tindex = self.pool.index(ti);
                let pos = b.pairs.len();
                b.pairs.push((pi, tindex));
                let mut inner_vars = vars.to_vec();
                inner_vars.push(pi);
                // The body first: it binds the tensors that the range's length names.
                self.target_binders.push(ti);
                let ok = self.matches_in(pbody, tbody, b, &inner_vars)
                    && self.matches_in(pr, tr, b, &inner_vars);
                self.target_binders.pop();
                if ok {
                    b.pairs.remove(pos);
                }
                ok
            }
            Node::Call {
                def: pd,
                args: pa,
                indices: pi,
            } => {
                let Node::Call {
                    def: td,
                    args: ta,
                    indices: ti,
                } = tn
                else {
                    return false;
                };
                pd == td
                    && pa.len() == ta.len()
                    && pi.len() == ti.len()
                    && pa
                        .iter()
                        .zip(ta.iter())
                        .all(|(&x, &y)| self.matches_in(x, y, b, vars))
                    && pi
                        .iter()
                        .zip(ti.iter())
                        .all(|(&x, &y)| self.matches_in(x, y, b, vars))
            }
            Node::Elem(s, pidx) => {
                let Node::Elem(ts, tidx) = tn else {
                    return false;
                };
                s == ts
                    && pidx.len() == tidx.len()
                    && pidx
                        .iter()
                        .zip(tidx.iter())
                        .all(|(&x, &y)| self.matches_in(x, y, b, vars))
            }
            Node::Num(_)
            | Node::Const(_)
            | Node::Sym(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Len(_, _)
            | Node::Diff { .. } => false,
        }
    }

    /// The pattern term `p` with its variables replaced by what they are bound to, when
    /// all are bound and `p` has no sum, element or delta (whose matching allows for
    /// renamed bound indices and tensors given as calls, which substitution does not).
    /// Equal to a target term, the term matches; `None` when `p` must be matched.
    fn instance(&mut self, p: ExprId, b: &Bindings) -> Option<ExprId> {
        if !self.pool.features(p).is_plain() {
            return None;
        }
        let mut subst = crate::expr::subst::Subst::default();
        for &s in self.pool.free_symbols(p).iter() {
            if self.current_vars.contains(&s) {
                subst.scalars.insert(s, b.get(s)?);
            }
        }
        Some(self.pool.substitute(p, &subst))
    }

    /// Whether `p` is one of the current pattern's variables, alone.
    fn is_bare_var(&self, p: ExprId) -> bool {
        matches!(self.pool.node(p), Node::Sym(s) if self.current_vars.contains(s))
    }

    /// Matches two equally long lists in some order (small lists: by backtracking).
    fn match_unordered(
        &mut self,
        ps: &[ExprId],
        ts: &[ExprId],
        b: &mut Bindings,
        vars: &[Symbol],
    ) -> bool {
        if ps.len() != ts.len() || ps.len() > 8 {
            return false;
        }
        let mut used = vec![false; ts.len()];
        self.match_unordered_rec(ps, 0, ts, &mut used, b, vars)
    }

    fn match_unordered_rec(
        &mut self,
        ps: &[ExprId],
        k: usize,
        ts: &[ExprId],
        used: &mut Vec<bool>,
        b: &mut Bindings,
        vars: &[Symbol],
    ) -> bool {
        if k == ps.len() {
            return true;
        }
        for t in 0..ts.len() {
            if used[t] {
                continue;
            }
            let mark = b.pairs.len();
            if self.matches_in(ps[k], ts[t], b, vars) {
                used[t] = true;
                if self.match_unordered_rec(ps, k + 1, ts, used, b, vars) {
                    return true;
                }
                used[t] = false;
            }
            b.pairs.truncate(mark);
        }
        false
    }
}

fn push_factor(out: &mut Vec<(ExprId, BigRational)>, base: ExprId, e: BigRational) {
    if let Some(slot) = out.iter_mut().find(|x| x.0 == base) {
        slot.1 += e;
    } else {
        out.push((base, e));
    }
}

/// Whether a parameter kind takes a tensor (used by callers choosing patterns).
pub fn is_tensor(kind: Kind) -> bool {
    matches!(kind, Kind::Tensor(_))
}
