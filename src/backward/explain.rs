//! What a wrong gradient misses, in the program's own words.
//!
//! - A **ratio**: when every element of an input's gradient is the correct one times
//!   the same number, that number is reported; across instances of the named
//!   dimensions it is matched with their sizes (`N`, `1/D`, `-1`, `2*N`), which tells
//!   a missing `1/N` from a factor that equals `N` at one size.
//! - A **residual**: what the program's element lacks, `want - got`, simplified, with
//!   every node that the program named (a local variable of `forward` or `backward`,
//!   element by element) written as that name, and sums over a whole axis rolled back
//!   into `sum(j, ...)`: `-xhat[1, 2]*rstd[1]*sum(j, dxhat[1, j]*xhat[1, j])/3`.
//!
//! The residual is exact: a name stands for a node equal to it, and the simplifier's
//! rules are sound, so the text shown is `want - got` itself, only written shorter.

use rustc_hash::FxHashMap;

use crate::expr::node::{ExprId, Node, Symbol, children};
use crate::expr::pool::Pool;
use crate::simplify::simplifier::Simplifier;

use super::Trace;
use super::prove::InputResult;

/// The program's names for its values: each named array's elements, by node.
#[derive(Debug, Default)]
pub struct Names {
    /// Node -> the element of a named array that holds it (a tensor element node).
    map: FxHashMap<ExprId, ExprId>,
    /// The element -> the node it names.
    back: FxHashMap<ExprId, ExprId>,
    /// For a named power `B^q`: the base `B` -> (`q`, the name), so that `B^p` is
    /// shown as the name to the power `p/q` when that is whole (`rstd^3` for
    /// `(var + eps)^(-3/2)`).
    powers: FxHashMap<ExprId, Vec<(num_rational::BigRational, ExprId)>>,
    /// Named products and sums, matched in part, by the nodes they name.
    direct: Table,
    /// The same, by the named nodes written with the other names (`dxhat` as
    /// `dout*g`), for expressions that are already written with names.
    forms: Table,
    /// Nodes never named.
    skip: rustc_hash::FxHashSet<ExprId>,
    /// Each named array's shape, by its tensor symbol.
    shapes: FxHashMap<Symbol, Vec<usize>>,
}

impl Names {
    /// Names for the trace's inputs (their elements become `X[0, 1]` tensor elements,
    /// so that sums over them roll up too), then for the named arrays in the order
    /// given: an earlier name wins a node two names hold.
    pub fn new(
        trace: &mut Trace,
        arrays: &[(String, Vec<usize>, Vec<ExprId>)],
        results: &[ExprId],
    ) -> Names {
        // The gradients' own elements are never names: a residual written with the
        // value it is the residual of says nothing.
        let mut names = Names {
            skip: results.iter().copied().collect(),
            ..Names::default()
        };
        let inputs = trace.inputs().to_vec();
        for input in &inputs {
            names.name_array(trace, &input.name, &input.shape, &input.elements, true);
        }
        for (name, shape, elements) in arrays {
            if inputs.iter().any(|i| &i.name == name) {
                continue;
            }
            names.name_array(trace, name, shape, elements, false);
        }
        names.finish(&mut trace.ws.pool);
        names
    }

    fn name_array(
        &mut self,
        trace: &mut Trace,
        name: &str,
        shape: &[usize],
        elements: &[ExprId],
        input: bool,
    ) {
        if elements.len() != shape.iter().product::<usize>() || !valid_name(name) {
            return;
        }
        let tensor = trace.ws.pool.symbol(name);
        if self.shapes.contains_key(&tensor) {
            return;
        }
        self.shapes.insert(tensor, shape.to_vec());
        for (k, &e) in elements.iter().enumerate() {
            // Numbers and the inputs' own elements are shown as they are; a name for
            // them would hide what they are (`onehot[0, 1]` for 1).
            let plain = matches!(trace.ws.pool.node(e), Node::Num(_) | Node::Const(_))
                || (!input && matches!(trace.ws.pool.node(e), Node::Sym(_)));
            if plain || self.map.contains_key(&e) || self.skip.contains(&e) {
                continue;
            }
            let index = super::prove::unravel(k, shape)
                .into_iter()
                .map(|i| trace.ws.pool.int(i as i64))
                .collect();
            let elem = trace.ws.pool.elem(tensor, index);
            self.map.insert(e, elem);
            self.back.insert(elem, e);
            if let Node::Pow(base, q) = trace.ws.pool.node(e).clone()
                && let Some(q) = trace.ws.pool.as_num(q).cloned()
            {
                self.powers.entry(base).or_default().push((q, elem));
            }
            match trace.ws.pool.node(e) {
                Node::Add(ts) => self.direct.sums.push((elem, ts.to_vec())),
                Node::Mul(_) | Node::Pow(..) => {
                    let f = factors(&trace.ws.pool, e);
                    if f.1.len() >= 2 || f.1.iter().any(|(_, p)| !p.is_integer()) {
                        self.direct.products.push((elem, f, e));
                    }
                }
                _ => {}
            }
        }
    }

    /// Sorts the partial matches, largest first, once every array is named, and
    /// writes each named node with the other names for the second table.
    fn finish(&mut self, pool: &mut Pool) {
        self.direct.sort();
        let named: Vec<(ExprId, ExprId)> = self.map.iter().map(|(&e, &n)| (e, n)).collect();
        let mut forms = Table::default();
        for (e, elem) in named {
            let kids = children(pool.node(e));
            if kids.is_empty() {
                continue;
            }
            let mut memo = FxHashMap::default();
            let new: Vec<ExprId> = kids
                .iter()
                .map(|&k| self.rec(pool, k, &mut memo, &self.direct))
                .collect();
            let form = pool.rebuild(e, &new);
            match pool.node(form) {
                Node::Add(ts) => forms.sums.push((elem, ts.to_vec())),
                Node::Mul(_) | Node::Pow(..) => {
                    let f = factors(pool, form);
                    if f.1.len() >= 2 {
                        forms.products.push((elem, f, form));
                    }
                    // A product of a sum, multiplied out, is also a sum to find in
                    // a residual that is multiplied out (`g*y - g*t` for
                    // `dxr = (y - t)*g`).
                    let expanded = Simplifier::new(pool, Vec::new()).expand(form, 16);
                    if let Node::Add(ts) = pool.node(expanded) {
                        forms.sums.push((elem, ts.to_vec()));
                    }
                }
                _ => {}
            }
        }
        forms.sort();
        self.forms = forms;
    }

    /// `e`, already written with names, with products and sums of names that make a
    /// named value written as that name (`dout[0, 1]*g[1]` as `dxhat[0, 1]`).
    pub fn rename(&self, pool: &mut Pool, e: ExprId) -> ExprId {
        let mut memo = FxHashMap::default();
        self.rec(pool, e, &mut memo, &self.forms)
    }

    /// `e` with every name written out as the node it names.
    pub fn unname(&self, pool: &mut Pool, e: ExprId) -> ExprId {
        let mut memo: FxHashMap<ExprId, ExprId> = self.back.clone();
        replace_all(pool, e, &mut memo)
    }

    /// `e` with every named node written as its name, outermost first.
    pub fn apply(&self, pool: &mut Pool, e: ExprId) -> ExprId {
        let mut memo = FxHashMap::default();
        self.rec(pool, e, &mut memo, &self.direct)
    }

    fn rec(
        &self,
        pool: &mut Pool,
        e: ExprId,
        memo: &mut FxHashMap<ExprId, ExprId>,
        table: &Table,
    ) -> ExprId {
        if let Some(&n) = self.map.get(&e) {
            return n;
        }
        if let Some(&m) = memo.get(&e) {
            return m;
        }
        // A power of a named power's base: the name to a whole power.
        if let Node::Pow(base, p) = pool.node(e).clone()
            && let Some(named) = self.powers.get(&base)
            && let Some(p) = pool.as_num(p).cloned()
        {
            for (q, elem) in named {
                let k = &p / q;
                if k.is_integer() {
                    let k = pool.num(k);
                    let out = pool.pow(*elem, k);
                    memo.insert(e, out);
                    return out;
                }
            }
        }
        if let Some(out) = self.partial(pool, e, memo, table) {
            memo.insert(e, out);
            return out;
        }
        let kids = children(pool.node(e));
        let out = if kids.is_empty() {
            e
        } else {
            let new: Vec<ExprId> = kids
                .iter()
                .map(|&k| crate::diag::stack::guard(|| self.rec(pool, k, memo, table)))
                .collect();
            if new == kids {
                e
            } else {
                pool.rebuild(e, &new)
            }
        };
        memo.insert(e, out);
        out
    }

    /// A product that holds a named product's factors (to a whole power), or a sum
    /// that holds a named sum's terms, written with the name and the rest named in
    /// turn: `g*xc*rstd^2` as `g*xhat*rstd` when `xhat = xc*rstd`.
    fn partial(
        &self,
        pool: &mut Pool,
        e: ExprId,
        memo: &mut FxHashMap<ExprId, ExprId>,
        table: &Table,
    ) -> Option<ExprId> {
        match pool.node(e).clone() {
            Node::Mul(_) | Node::Pow(..) => {
                let (_, mine) = factors(pool, e);
                for (elem, (_, theirs), original) in &table.products {
                    let Some(k) = whole_power(&mine, theirs) else {
                        continue;
                    };
                    // The rest, `e / named^k`, as the pool writes it (numbers and
                    // their roots merged).
                    let original = *original;
                    let inverse = pool.int(-(k as i64));
                    let divisor = pool.pow(original, inverse);
                    let rest = pool.mul(vec![e, divisor]);
                    // The division must have taken the name's factors out, each base's
                    // exponent down by k times the name's; when the pool wrote the
                    // quotient otherwise (a base inside a sum), naming it again could
                    // go on without end.
                    let (_, left) = factors(pool, rest);
                    let taken_out = theirs.iter().all(|(b, q)| {
                        let before = mine.iter().find(|(m, _)| m == b).map(|(_, p)| p.clone());
                        let after = left.iter().find(|(m, _)| m == b).map(|(_, p)| p.clone());
                        let k = num_rational::BigRational::from_integer(k.into());
                        before.map(|p| p - q * &k) == Some(after.unwrap_or_default())
                    });
                    if rest == e || !taken_out {
                        continue;
                    }
                    let rest = self.rec(pool, rest, memo, table);
                    let kn = pool.int(k as i64);
                    let named = pool.pow(*elem, kn);
                    return Some(pool.mul(vec![named, rest]));
                }
                None
            }
            Node::Add(terms) => {
                // Each term split into its coefficient and the rest, so that a sum
                // holding a named sum times a number (`6*xc` written out) is found.
                let split: Vec<(num_rational::BigRational, ExprId)> =
                    terms.iter().map(|&t| pool.split_coefficient(t)).collect();
                for (elem, theirs) in &table.sums {
                    if theirs.len() < 2 || theirs.len() > terms.len() {
                        continue;
                    }
                    let mut scale: Option<num_rational::BigRational> = None;
                    let mut used = Vec::with_capacity(theirs.len());
                    for &t in theirs {
                        let (c, rest) = pool.split_coefficient(t);
                        let Some(k) = split.iter().position(|(_, r)| *r == rest) else {
                            break;
                        };
                        let ratio = split[k].0.clone() / c;
                        if scale.as_ref().is_some_and(|s| *s != ratio) {
                            break;
                        }
                        scale = Some(ratio);
                        used.push(k);
                    }
                    let Some(scale) = scale.filter(|_| used.len() == theirs.len()) else {
                        continue;
                    };
                    let mut out = Vec::new();
                    let s = pool.num(scale);
                    out.push(pool.mul(vec![s, *elem]));
                    for (k, &t) in terms.iter().enumerate() {
                        if !used.contains(&k) {
                            out.push(self.rec(pool, t, memo, table));
                        }
                    }
                    return Some(pool.add(out));
                }
                None
            }
            _ => None,
        }
    }
}

/// Named values matched in part: products by their factors (with the node to divide
/// by), sums by their terms, most factors and terms first.
#[derive(Debug, Default)]
struct Table {
    products: Vec<(ExprId, Factors, ExprId)>,
    sums: Vec<(ExprId, Vec<ExprId>)>,
}

impl Table {
    fn sort(&mut self) {
        self.products
            .sort_by_key(|p| std::cmp::Reverse(p.1.1.len()));
        self.sums.sort_by_key(|s| std::cmp::Reverse(s.1.len()));
    }
}

/// A product as its numeric coefficient and its other factors, each a base and an
/// exponent.
type Factors = (
    num_rational::BigRational,
    Vec<(ExprId, num_rational::BigRational)>,
);

fn factors(pool: &Pool, e: ExprId) -> Factors {
    let one = num_rational::BigRational::from_integer(1.into());
    let mut coef = one.clone();
    let mut out = Vec::new();
    let list: Vec<ExprId> = match pool.node(e) {
        Node::Mul(fs) => fs.to_vec(),
        _ => vec![e],
    };
    for f in list {
        match pool.node(f) {
            Node::Num(r) => coef *= r.clone(),
            // A number's root is part of the coefficient, not a factor to match.
            Node::Pow(b, _) if pool.as_num(*b).is_some() => {}
            Node::Pow(b, p) => match pool.as_num(*p) {
                Some(p) => out.push((*b, p.clone())),
                None => out.push((f, one.clone())),
            },
            _ => out.push((f, one.clone())),
        }
    }
    (coef, out)
}

/// The largest whole `k >= 1` such that `mine` holds `theirs` to the power `k`: every
/// base of theirs is in mine with an exponent of the same sign, at least `k` times as
/// large.
fn whole_power(
    mine: &[(ExprId, num_rational::BigRational)],
    theirs: &[(ExprId, num_rational::BigRational)],
) -> Option<u32> {
    use num_traits::{Signed, ToPrimitive};
    let mut k: Option<u32> = None;
    for (b, q) in theirs {
        let (_, p) = mine.iter().find(|(mb, _)| mb == b)?;
        if p.is_negative() != q.is_negative() || num_traits::Zero::is_zero(q) {
            return None;
        }
        let times = (p / q).floor().to_u32()?;
        k = Some(k.map_or(times, |k: u32| k.min(times)));
    }
    k.filter(|&k| k >= 1)
}

/// Whether a program's name can be shown as a tensor's name (`xhat`, `d_W1`): not a
/// dunder or a private helper's.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with("__")
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// The number every element of the gradient is the correct one times, when there is
/// one: the elements whose correct value is not 0 all have it, to 1e-9, and those whose
/// correct value is 0 are 0 too.
pub fn constant_ratio(result: &InputResult) -> Option<f64> {
    let mut ratio: Option<f64> = None;
    for e in &result.elements {
        let (g, w) = (e.got_value, e.want_value);
        if !g.is_finite() || !w.is_finite() {
            return None;
        }
        if w.abs() < 1e-300 {
            if g.abs() > 1e-300 {
                return None;
            }
            continue;
        }
        let r = g / w;
        match ratio {
            None => ratio = Some(r),
            Some(r0) if (r - r0).abs() <= 1e-9 * r0.abs().max(1e-300) => {}
            Some(_) => return None,
        }
    }
    ratio.filter(|r| (r - 1.0).abs() > 1e-9)
}

/// `e` with the nodes of `memo` replaced (each shared node once).
fn replace_all(pool: &mut Pool, e: ExprId, memo: &mut FxHashMap<ExprId, ExprId>) -> ExprId {
    if let Some(&m) = memo.get(&e) {
        return m;
    }
    let kids = children(pool.node(e));
    let out = if kids.is_empty() {
        e
    } else {
        let new: Vec<ExprId> = kids
            .iter()
            .map(|&k| crate::diag::stack::guard(|| replace_all(pool, k, memo)))
            .collect();
        if new == kids {
            e
        } else {
            pool.rebuild(e, &new)
        }
    };
    memo.insert(e, out);
    out
}

/// How many terms a residual is multiplied out to at most, before its terms are
/// matched.
const EXPAND_BUDGET: usize = 512;

/// `want - got` for one element, in the program's names, with sums over a whole axis
/// rolled up: the shortest of three readings, each exact.
///
/// - Named, multiplied out and matched term by term: the terms the two sides share
///   cancel, terms that are 0 only in the inputs' terms (`sum(j, xc[0, j])`, which
///   the names hide) are found so and dropped, and common factors are taken out.
/// - Named, then simplified.
/// - Simplified, then named.
///
/// A residual that is a number is [`constant_residual`]'s job, which the caller asks
/// first.
pub fn residual(trace: &mut Trace, names: &Names, got: ExprId, want: ExprId) -> String {
    let defs = trace.ws.definitions_in_order();
    let budget = trace.ws.pool.budget_left();
    trace.ws.pool.set_budget(Some(400_000));
    let mut candidates = Vec::new();
    let (g, w) = {
        let pool = &mut trace.ws.pool;
        (names.apply(pool, got), names.apply(pool, want))
    };
    // Multiplied out and matched.
    {
        let pool = &mut trace.ws.pool;
        let mut simp = Simplifier::new(pool, Vec::new());
        let eg = simp.expand(g, EXPAND_BUDGET);
        let ew = simp.expand(w, EXPAND_BUDGET);
        let pool = &mut trace.ws.pool;
        let (eg, ew) = (names.rename(pool, eg), names.rename(pool, ew));
        let d = pool.sub(ew, eg);
        let terms: Vec<ExprId> = match pool.node(d) {
            Node::Add(ts) => ts.to_vec(),
            _ => vec![d],
        };
        if terms.len() <= 64 {
            let mut kept = Vec::new();
            for t in terms {
                if !vanishes(trace, names, t) {
                    kept.push(t);
                }
            }
            let kept = reduce_by_zero_sums(trace, names, kept);
            let pool = &mut trace.ws.pool;
            let sum = pool.add(kept);
            let factored = Simplifier::new(pool, Vec::new()).factor(sum);
            // Once common factors are out, sums of names inside may make a name
            // (`r*(g*y - g*t)` holds `dxr = (y - t)*g`), and cancel.
            let renamed = names.rename(pool, factored);
            candidates.push(factored);
            if renamed != factored {
                candidates.push(renamed);
            }
        }
    }
    let pool = &mut trace.ws.pool;
    let d = pool.sub(w, g);
    candidates.push(Simplifier::new(pool, defs.clone()).simplify(d));
    let raw = pool.sub(want, got);
    let simplified = Simplifier::new(pool, defs).simplify(raw);
    candidates.push(names.apply(pool, simplified));
    let mut best: Option<(usize, String)> = None;
    for c in candidates {
        let rolled = super::names::roll(pool, &names.shapes, c);
        let text = crate::print::text::to_text_abridged(pool, rolled, 400);
        if best.as_ref().is_none_or(|(n, _)| text.len() < *n) {
            best = Some((text.len(), text));
        }
    }
    pool.set_budget(budget);
    best.map(|b| b.1).unwrap_or_default()
}

/// Whether a term of a named residual is 0 once its names are written out: its value
/// at the drawn point is (near) 0 and its expansion in the inputs' terms cancels.
fn vanishes(trace: &mut Trace, names: &Names, t: ExprId) -> bool {
    let pool = &mut trace.ws.pool;
    let plain = names.unname(pool, t);
    if trace.holds(plain) && trace.value(plain).abs() > 1e-9 {
        return false;
    }
    let pool = &mut trace.ws.pool;
    let mut simp = Simplifier::new(pool, Vec::new());
    let s = simp.simplify(plain);
    if pool.is_int(s, 0) {
        return true;
    }
    let mut simp = Simplifier::new(pool, Vec::new());
    let e = simp.expand(s, EXPAND_BUDGET);
    pool.is_int(e, 0)
}

/// `want - got` as a number, when it is one: the difference at the drawn point read
/// as a fraction with a small denominator, then proved equal to it.
pub fn constant_residual(
    trace: &mut Trace,
    got: ExprId,
    want: ExprId,
) -> Option<num_rational::BigRational> {
    let point = trace.point().clone();
    let pool = &mut trace.ws.pool;
    let d = pool.sub(want, got);
    let v = crate::numeric::precise::eval::enclose(pool, d, &point, 128)
        .ok()?
        .midpoint_f64();
    let c = small_fraction(v)?;
    let cn = pool.num(c.clone());
    match crate::prove::decide_equal(&mut trace.ws, d, cn, 0) {
        crate::prove::Outcome::Proved { .. } => Some(c),
        _ => None,
    }
}

/// The fraction with a denominator up to 1,000 nearest to `v`, when it is within
/// 1e-12 of it.
fn small_fraction(v: f64) -> Option<num_rational::BigRational> {
    if !v.is_finite() || v.abs() > 1e9 {
        return None;
    }
    for den in 1..=1000i64 {
        let num = (v * den as f64).round();
        if (num / den as f64 - v).abs() <= 1e-12 * v.abs().max(1.0) {
            return Some(num_rational::BigRational::new(
                (num as i64).into(),
                den.into(),
            ));
        }
    }
    None
}

/// The terms of a sum with the program's zero sums taken out: where a named array's
/// elements along its last axis sum to 0 (`xhat` of a normalization, `xc` after the
/// mean is taken off), `sum(j, a_j * c * A[n, j])` is `sum(j, (a_j - m) * c * A[n, j])`
/// for any `m`; with `m` the most common coefficient, most of the terms go.
fn reduce_by_zero_sums(trace: &mut Trace, names: &Names, terms: Vec<ExprId>) -> Vec<ExprId> {
    use num_rational::BigRational;
    // The rows (array, leading indices) whose elements appear in the terms.
    let mut rows: Vec<(Symbol, Vec<ExprId>)> = Vec::new();
    for &t in &terms {
        for (f, _) in factors(&trace.ws.pool, t).1 {
            if let Node::Elem(a, idx) = trace.ws.pool.node(f).clone()
                && let Some(shape) = names.shapes.get(&a)
                && shape.len() == idx.len()
                && let Some((_, lead)) = idx.split_last()
                && !rows.iter().any(|r| r.0 == a && r.1 == lead)
            {
                rows.push((a, lead.to_vec()));
            }
        }
    }
    let mut terms = terms;
    for (a, lead) in rows {
        let Some(len) = names.shapes.get(&a).and_then(|s| s.last().copied()) else {
            continue;
        };
        if len < 2 {
            continue;
        }
        let row: Vec<ExprId> = (0..len)
            .map(|j| {
                let mut idx = lead.clone();
                idx.push(trace.ws.pool.int(j as i64));
                trace.ws.pool.elem(a, idx)
            })
            .collect();
        // The row must sum to 0, as its names written out show.
        let total = trace.ws.pool.add(row.clone());
        if !vanishes(trace, names, total) {
            continue;
        }
        let pool = &mut trace.ws.pool;
        // Each term, by each row element it holds once: the cofactor and which.
        let mut groups: FxHashMap<ExprId, Vec<(usize, usize)>> = FxHashMap::default();
        for (ti, &t) in terms.iter().enumerate() {
            for (j, &el) in row.iter().enumerate() {
                let (_, fs) = factors(pool, t);
                if fs.iter().any(|(b, p)| {
                    *b == el && p.is_integer() && *p >= BigRational::from_integer(1.into())
                }) {
                    let minus = pool.int(-1);
                    let inv = pool.pow(el, minus);
                    let cof = pool.mul(vec![t, inv]);
                    let (_, cof) = pool.split_coefficient(cof);
                    groups.entry(cof).or_default().push((ti, j));
                }
            }
        }
        let mut order: Vec<(ExprId, Vec<(usize, usize)>)> = groups.into_iter().collect();
        order.sort_by_key(|g| std::cmp::Reverse(g.1.len()));
        let mut used = vec![false; terms.len()];
        let mut replaced: Vec<ExprId> = Vec::new();
        for (cof, members) in order {
            if members.len() < 2 || members.iter().any(|m| used[m.0]) {
                continue;
            }
            // Coefficients by position, 0 where the row element is missing.
            let mut coef = vec![BigRational::from_integer(0.into()); len];
            for &(ti, j) in &members {
                let (c, _) = pool.split_coefficient(terms[ti]);
                coef[j] = c;
            }
            let mut counts: Vec<(BigRational, usize)> = Vec::new();
            for c in &coef {
                match counts.iter_mut().find(|x| x.0 == *c) {
                    Some(x) => x.1 += 1,
                    None => counts.push((c.clone(), 1)),
                }
            }
            counts.sort_by_key(|x| std::cmp::Reverse(x.1));
            let mode = counts[0].0.clone();
            let before = coef
                .iter()
                .filter(|c| !num_traits::Zero::is_zero(*c))
                .count();
            let after = coef.iter().filter(|c| **c != mode).count();
            if after >= before {
                continue;
            }
            for &(ti, _) in &members {
                used[ti] = true;
            }
            for (j, c) in coef.into_iter().enumerate() {
                let d = c - &mode;
                if !num_traits::Zero::is_zero(&d) {
                    let d = pool.num(d);
                    replaced.push(pool.mul(vec![d, cof, row[j]]));
                }
            }
        }
        let mut next: Vec<ExprId> = terms
            .iter()
            .enumerate()
            .filter(|(k, _)| !used[*k])
            .map(|(_, &t)| t)
            .collect();
        next.extend(replaced);
        terms = next;
    }
    terms
}
