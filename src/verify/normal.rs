//! The checker's algebraic normal form, and equality by it.
//!
//! Two expressions are equal to the checker when they have the same normal form:
//! products multiplied out, sums split over their terms, powers split into powers of
//! their factors, exponentials merged, and deltas inside sums contracted only where
//! the index provably ranges over the sum's axis. Every rewrite here is an identity, so
//! equal normal forms mean equal expressions; unequal ones mean nothing, and an
//! instance that needs more than this fails its check.
//!
//! The form is built from the pool's canonical constructors and this file's own
//! rewrites; nothing of the simplifier is used.

use num_rational::BigRational;
use num_traits::Signed;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::expr::node::{Constant, DefId, ExprId, Func, Node, Symbol};
use crate::expr::pool::Pool;

use super::powers::number_powers;

/// The most terms the normalizer multiplies out before it gives up on an instance.
const MAX_TERMS: usize = 20_000;

/// How a failure that is the checker's own limit begins: the step may be right, but
/// the checker could not decide it within its budget (see [`Failure::gave_up`]).
///
/// [`Failure::gave_up`]: crate::verify::Failure::gave_up
pub(crate) const GAVE_UP: &str = "the checker gave up";

/// Equality by normal form, with the normalizers' memos kept across questions.
pub(super) struct Equality {
    /// Builtins that the prelude defines (`sigmoid`), expanded like calls.
    builtins: Vec<(Func, DefId)>,
    /// Products multiplied out.
    normal: Normalizer,
    /// The same without multiplying out: contraction and the power splits only.
    light: Normalizer,
}

impl Equality {
    /// Equality for a derivation whose variables' indices range as `known` says.
    pub(super) fn new(builtins: Vec<(Func, DefId)>, known: &[(ExprId, ExprId)]) -> Equality {
        Equality {
            builtins,
            normal: Normalizer::new(known.to_vec(), true),
            light: Normalizer::new(known.to_vec(), false),
        }
    }

    /// The builtins that the prelude defines, for expanding definitions.
    pub(super) fn builtins(&self) -> &[(Func, DefId)] {
        &self.builtins
    }

    /// Whether two expressions have the same normal form, as they stand or with every
    /// call replaced by its definition's body.
    pub(super) fn same(&mut self, pool: &mut Pool, a: ExprId, b: ExprId) -> Result<bool, String> {
        if a == b {
            return Ok(true);
        }
        let la = self.light.normalize(pool, a)?;
        let lb = self.light.normalize(pool, b)?;
        if la == lb || self.same_expanded(pool, a, b)? {
            return Ok(true);
        }
        let ea = pool.expand_definitions(a, &self.builtins);
        let eb = pool.expand_definitions(b, &self.builtins);
        self.same_expanded(pool, ea, eb)
    }

    /// Whether two expressions multiply out to the same form, either as they are or
    /// once their difference is multiplied by its denominators (`(a + b)/(a + b)^2`
    /// against `1/(a + b)`).
    fn same_expanded(&mut self, pool: &mut Pool, a: ExprId, b: ExprId) -> Result<bool, String> {
        let na = self.normal.normalize(pool, a)?;
        let nb = self.normal.normalize(pool, b)?;
        if na == nb {
            return Ok(true);
        }
        let d = pool.sub(na, nb);
        let d = self.normal.normalize(pool, d)?;
        // Two forms may differ only in how a power was split (`(1/343)^(u - 1)` and
        // `343*(1/343)^u`), which the difference merges.
        if pool.is_int(d, 0) {
            return Ok(true);
        }
        // Powers of one base whose exponents differ by numbers (`(1 - x)^(-x)` and
        // `(1 - x)^(1 - x)`, or `(a + b)^-2` and `(a + b)^-1`) are brought to the least
        // of them: multiplying by base^-(least exponent) leaves whole powers, which
        // multiply out. The difference is 0 where that multiplier is defined and not 0.
        let mut least: Vec<(ExprId, ExprId, BigRational, bool)> = Vec::new();
        for t in terms(pool, d) {
            let factors = match pool.node(t) {
                Node::Mul(fs) => fs.to_vec(),
                _ => vec![t],
            };
            for f in factors {
                let Node::Pow(base, e) = pool.node(f).clone() else {
                    continue;
                };
                let (symbolic, n) = split_exponent(pool, e);
                let is_sum = matches!(pool.node(base), Node::Add(_));
                let symbolic_zero = pool.is_int(symbolic, 0);
                // A whole positive power of a sum joins too, after the others, so that
                // `S^9 (e - ln x) - S^10` meets `S^10` when `S = e - ln x`.
                let optional = symbolic_zero
                    && is_sum
                    && n.is_integer()
                    && n > BigRational::from_integer(0.into());
                // A numeric power of anything but a sum multiplies out by itself; so
                // does a whole positive power of a sum. Negative and fractional powers
                // of a sum are what the multiplier is for: `sqrt(A)^-1` and `sqrt(A)`
                // meet as `1` and `A` once the difference is multiplied by `sqrt(A)`.
                if symbolic_zero && !optional && (!is_sum || n.is_integer() && !n.is_negative()) {
                    continue;
                }
                match least
                    .iter_mut()
                    .find(|(b, r, _, _)| *b == base && *r == symbolic)
                {
                    Some((_, _, m, o)) => {
                        if n < *m {
                            *m = n;
                        }
                        *o &= optional;
                    }
                    None => least.push((base, symbolic, n, optional)),
                }
            }
        }
        // The optional bases fill what room the others leave.
        least.sort_by_key(|l| l.3);
        let required = least.iter().filter(|l| !l.3).count();
        if required > 8 {
            return Ok(false);
        }
        least.truncate(8);
        if least.is_empty() {
            return Ok(false);
        }
        let factors: Vec<ExprId> = least
            .into_iter()
            .map(|(b, r, n, _)| {
                let n = pool.num(n);
                let e = pool.add(vec![r, n]);
                let e = pool.neg(e);
                pool.pow(b, e)
            })
            .collect();
        // Each term meets the multiplier before anything is multiplied out, so that
        // its powers merge with the multiplier's first.
        let parts: Vec<ExprId> = terms(pool, d)
            .into_iter()
            .map(|t| {
                let mut p = factors.clone();
                p.push(t);
                let m = pool.mul(p);
                settle(pool, m)
            })
            .collect();
        let cleared = pool.add(parts);
        let cleared = self.normal.normalize(pool, cleared)?;
        Ok(pool.is_int(cleared, 0))
    }
}

/// The checker's normal form: products multiplied out, sums split over their terms, and
/// deltas contracted inside sums where the index provably ranges over the sum's axis.
/// Equal normal forms mean equal expressions (every rewrite here is an identity); unequal
/// ones mean nothing, and an instance that needs more than this fails the check.
struct Normalizer {
    /// The derivation's variables' indices, with the lengths they range below.
    known: Vec<(ExprId, ExprId)>,
    /// Whether products are multiplied out. Without it the form keeps a sum's factors
    /// together, so that a sum and its reciprocal still cancel.
    expand: bool,
    /// The normal forms found so far.
    memo: FxHashMap<ExprId, ExprId>,
}

impl Normalizer {
    /// A normalizer that contracts deltas on the `known` index ranges, and multiplies
    /// products out when `expand` is set.
    fn new(known: Vec<(ExprId, ExprId)>, expand: bool) -> Normalizer {
        Normalizer {
            known,
            expand,
            memo: FxHashMap::default(),
        }
    }

    /// The normal form of `id`; an error when it would be too large to build.
    fn normalize(&mut self, pool: &mut Pool, id: ExprId) -> Result<ExprId, String> {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.normalize(pool, id));
        }
        if let Some(&r) = self.memo.get(&id) {
            return Ok(r);
        }
        let node = pool.node(id).clone();
        // e is exp(1), and (e^a)^b is e^(a*b): the pool may write either form.
        if matches!(node, Node::Const(Constant::E)) {
            let one = pool.int(1);
            let r = pool.func(Func::Exp, one);
            self.memo.insert(id, r);
            return Ok(r);
        }
        if let Node::Pow(b, y) = node {
            let base = self.normalize(pool, b)?;
            if let Node::Func(Func::Exp, x) = pool.node(base).clone() {
                let p = pool.mul(vec![x, y]);
                let e = pool.func(Func::Exp, p);
                let r = self.normalize(pool, e)?;
                self.memo.insert(id, r);
                return Ok(r);
            }
        }
        // A power splits before its base is normalized, so that `(a*(b - c))^(x - 1)`
        // splits into powers of `a` and `b - c` whichever form it came in.
        if matches!(node, Node::Pow(..)) {
            let split = split_power(pool, id);
            if split != id {
                let r = self.normalize(pool, split)?;
                self.memo.insert(id, r);
                return Ok(r);
            }
        }
        let out = match node {
            Node::Mul(_) | Node::Add(_) | Node::Pow(..) => {
                let kids: Vec<ExprId> = crate::expr::node::children(&node)
                    .into_iter()
                    .map(|c| self.normalize(pool, c))
                    .collect::<Result<_, _>>()?;
                let rebuilt = pool.rebuild(id, &kids);
                let rebuilt = settle(pool, rebuilt);
                let rebuilt = number_powers(pool, rebuilt);
                let split = split_power(pool, rebuilt);
                if split != rebuilt {
                    return self.normalize(pool, split).inspect(|&r| {
                        self.memo.insert(id, r);
                    });
                }
                self.multiply_out(pool, rebuilt)?
            }
            Node::Sum { index, range, body } => {
                let body = self.normalize(pool, body)?;
                let mut parts = Vec::new();
                for t in terms(pool, body) {
                    parts.push(self.sum_term(pool, index, range, t)?);
                }
                pool.add(parts)
            }
            other => {
                let kids: Vec<ExprId> = crate::expr::node::children(&other)
                    .into_iter()
                    .map(|c| self.normalize(pool, c))
                    .collect::<Result<_, _>>()?;
                let rebuilt = pool.rebuild(id, &kids);
                // ln(exp(u)) = u for every real u.
                match pool.node(rebuilt).clone() {
                    Node::Func(Func::Ln, a) => match pool.node(a).clone() {
                        Node::Func(Func::Exp, u) => u,
                        _ => match ln_of_number_times(pool, a) {
                            Some(split) => self.normalize(pool, split)?,
                            None => rebuilt,
                        },
                    },
                    _ => rebuilt,
                }
            }
        };
        self.memo.insert(id, out);
        Ok(out)
    }

    /// A product of normal forms (or a small power of a sum), multiplied out.
    fn multiply_out(&mut self, pool: &mut Pool, id: ExprId) -> Result<ExprId, String> {
        if !self.expand {
            return Ok(id);
        }
        // Multiplying out is the checker's one search that can grow without end; past
        // the work budget it stops, and the step is not confirmed.
        if pool.over_budget() {
            return Err(format!(
                "{GAVE_UP}: the work budget ran out while multiplying out"
            ));
        }
        let listed: Vec<ExprId> = match pool.node(id) {
            Node::Mul(fs) => fs.to_vec(),
            Node::Pow(..) => vec![id],
            _ => return Ok(id),
        };
        // A whole power of a sum is that many copies of the sum, while the copies
        // multiply out to at most 4,096 products (a binomial to the 12th power).
        let mut factors = Vec::with_capacity(listed.len());
        for f in listed {
            let small = |pool: &Pool, b: ExprId, e: ExprId| -> bool {
                let Node::Add(ts) = pool.node(b) else {
                    return false;
                };
                pool.as_num(e)
                    .and_then(crate::syntax::number::to_small_int)
                    .is_some_and(|n| n >= 2 && (ts.len() as f64).powi(n as i32) <= 4096.0)
            };
            match pool.node(f).clone() {
                Node::Pow(b, e) if small(pool, b, e) => {
                    let n = pool
                        .as_num(e)
                        .and_then(crate::syntax::number::to_small_int)
                        .unwrap_or(1);
                    factors.extend(std::iter::repeat_n(b, n as usize));
                }
                _ => factors.push(f),
            }
        }
        if !factors
            .iter()
            .any(|&f| matches!(pool.node(f), Node::Add(_)))
        {
            return Ok(id);
        }
        let mut products: Vec<Vec<ExprId>> = vec![Vec::new()];
        for f in factors {
            let ts = terms(pool, f);
            if products.len() * ts.len() > MAX_TERMS {
                return Err(format!(
                    "{GAVE_UP}: the instance is too large to multiply out (over {MAX_TERMS} terms)"
                ));
            }
            products = products
                .iter()
                .flat_map(|p| {
                    ts.iter().map(move |&t| {
                        let mut q = p.clone();
                        q.push(t);
                        q
                    })
                })
                .collect();
        }
        let mut out = Vec::with_capacity(products.len());
        for p in products {
            let m = pool.mul(p);
            let m = settle(pool, m);
            // A product of terms may make a new power of a sum, or meet a sum in a
            // factor; those are multiplied out in turn.
            let m = if m_has_sum_factor(pool, m) {
                self.multiply_out(pool, m)?
            } else {
                m
            };
            out.push(m);
        }
        Ok(pool.add(out))
    }

    /// One term of a sum's body, summed: a delta on the summed index contracts when its
    /// partner provably takes one of the index's values.
    fn sum_term(
        &mut self,
        pool: &mut Pool,
        index: Symbol,
        range: ExprId,
        t: ExprId,
    ) -> Result<ExprId, String> {
        let factors: Vec<ExprId> = match pool.node(t) {
            Node::Mul(fs) => fs.to_vec(),
            _ => vec![t],
        };
        for (k, &f) in factors.iter().enumerate() {
            let Node::Delta(a, b) = pool.node(f).clone() else {
                continue;
            };
            let is_index = |p: &Pool, x: ExprId| matches!(p.node(x), Node::Index(s) if *s == index);
            let partner = if is_index(pool, a) {
                b
            } else if is_index(pool, b) {
                a
            } else {
                continue;
            };
            if pool.free_symbols(partner).contains(&index) {
                continue;
            }
            let mut rest = factors.clone();
            rest.remove(k);
            let rest = pool.mul(rest);
            let result = pool.rename_index(rest, index, partner);
            if self.ranges_over(pool, partner, range, result) {
                return self.normalize(pool, result);
            }
        }
        // exp(a + b(j)) = exp(a) * exp(b(j)): the part of an exponent free of the index
        // moves out of the sum, as the sum's constructor moves free factors out. (The
        // pool merges exponentials in products, so this is not a factor it can see.)
        let mut outside = Vec::new();
        let mut inside = Vec::with_capacity(factors.len());
        for &f in &factors {
            if let Node::Func(Func::Exp, x) = pool.node(f).clone() {
                let (free, bound): (Vec<ExprId>, Vec<ExprId>) = terms(pool, x)
                    .into_iter()
                    .partition(|&u| !pool.free_symbols(u).contains(&index));
                if !free.is_empty() && !bound.is_empty() {
                    let a = pool.add(free);
                    outside.push(pool.func(Func::Exp, a));
                    let b = pool.add(bound);
                    inside.push(pool.func(Func::Exp, b));
                    continue;
                }
            }
            inside.push(f);
        }
        let body = pool.mul(inside);
        let s = pool.sum(index, range, body);
        outside.push(s);
        Ok(pool.mul(outside))
    }

    /// Whether the index expression `e` provably takes a value below `range`: it is 0,
    /// it is a derivative variable's index on that axis, it is a label whose tensor
    /// indexes that axis (`y[n]` in `Z[n, y[n]]`), or the result indexes an axis of that
    /// length with it.
    fn ranges_over(&self, pool: &mut Pool, e: ExprId, range: ExprId, result: ExprId) -> bool {
        if pool.is_int(e, 0) || self.known.contains(&(e, range)) {
            return true;
        }
        if let Node::Elem(t, _) = pool.node(e)
            && pool.label_range(*t) == Some(range)
        {
            return true;
        }
        let Node::Index(s) = pool.node(e).clone() else {
            return false;
        };
        let mut found = Vec::new();
        let mut seen = FxHashSet::default();
        pool.collect_axes_pub(s, result, &mut found, &mut seen);
        found.contains(&range)
    }
}

/// `ln(c*u)` as `ln(c) + ln(u)` for a positive number `c`: both sides are defined
/// exactly where `u > 0`, so this holds wherever either side does.
fn ln_of_number_times(pool: &mut Pool, a: ExprId) -> Option<ExprId> {
    use num_traits::{One, Signed, Zero};
    // A sum's number is the size of its first term's coefficient (the pool orders
    // terms canonically), so that `e/2 - ln(x)/2` and `(e - ln(x))/2` meet.
    let (c, u) = match pool.node(a).clone() {
        Node::Add(ts) => {
            let c = pool.split_coefficient(ts[0]).0.abs();
            if c.is_zero() {
                return None;
            }
            let inverse = pool.num(c.recip());
            let scaled = ts.iter().map(|&t| pool.mul(vec![inverse, t])).collect();
            (c, pool.add(scaled))
        }
        _ => pool.split_coefficient(a),
    };
    // The logarithm of a number alone stays one factor (`ln(2/7)`), so that it cancels
    // as a whole against itself.
    if !c.is_positive() || c.is_one() || pool.is_int(u, 1) {
        return None;
    }
    let n = pool.num(c);
    let ln_c = pool.func(Func::Ln, n);
    let ln_u = pool.func(Func::Ln, u);
    Some(pool.add(vec![ln_c, ln_u]))
}

/// A product rebuilt until it stops changing: merging two powers of one base may make
/// a factor (`(x^2)^1` is `x^2`) that merges with another (`x^-1`) only on a second pass.
/// A whole power of a delta is the delta itself, so that it contracts in a sum.
fn settle(pool: &mut Pool, mut id: ExprId) -> ExprId {
    id = whole_delta_powers(pool, id);
    if matches!(pool.node(id), Node::Pow(..)) {
        id = one_exponential(pool, vec![id]);
    }
    for _ in 0..4 {
        let Node::Mul(fs) = pool.node(id).clone() else {
            return id;
        };
        let m = one_exponential(pool, fs.to_vec());
        if m == id {
            return id;
        }
        id = m;
    }
    id
}

/// `e` with every whole power `delta(a, b)^n` (`n >= 1`) among its factors written as
/// `delta(a, b)`: a delta is 0 or 1, and so is each of its whole positive powers. The
/// pool collects the two equal deltas of a second derivative by an element
/// (`delta(j, k)*delta(j, k)`) as a square, which a sum contracts only once it is a
/// delta again. A power of 0 or below is left alone, since `delta(a, b)^-1` is
/// undefined where the delta is 0.
fn whole_delta_powers(pool: &mut Pool, e: ExprId) -> ExprId {
    let reduced = |pool: &mut Pool, f: ExprId| -> ExprId {
        let Node::Pow(base, n) = pool.node(f).clone() else {
            return f;
        };
        let whole = pool
            .as_num(n)
            .is_some_and(|r| r.is_integer() && r.is_positive());
        if whole && matches!(pool.node(base), Node::Delta(..)) {
            base
        } else {
            f
        }
    };
    match pool.node(e).clone() {
        Node::Mul(fs) => {
            let factors: Vec<ExprId> = fs.iter().map(|&f| reduced(pool, f)).collect();
            if factors.as_slice() == &fs[..] {
                e
            } else {
                pool.mul(factors)
            }
        }
        _ => reduced(pool, e),
    }
}

/// The product of `factors` with every exponential among them (`exp(a)`, `e`, `e^k`,
/// `exp(a)^k`) made one: the pool collects `e*e*e` as `e^3` and writes `exp(1)` as `e`,
/// where another term of the same value has `exp(3)`.
fn one_exponential(pool: &mut Pool, factors: Vec<ExprId>) -> ExprId {
    let exponent = |pool: &mut Pool, f: ExprId| -> Option<ExprId> {
        match pool.node(f).clone() {
            Node::Func(Func::Exp, a) => Some(a),
            Node::Const(Constant::E) => Some(pool.int(1)),
            Node::Pow(b, k) => match pool.node(b).clone() {
                Node::Func(Func::Exp, a) => Some(pool.mul(vec![a, k])),
                Node::Const(Constant::E) => Some(k),
                _ => None,
            },
            _ => None,
        }
    };
    let mut exponents = Vec::new();
    let mut rest = Vec::new();
    for f in factors {
        match exponent(pool, f) {
            Some(x) => exponents.push(x),
            None => rest.push(f),
        }
    }
    if !exponents.is_empty() {
        let x = pool.add(exponents);
        rest.push(pool.func(Func::Exp, x));
    }
    pool.mul(rest)
}

/// An exponent as its non-numeric part and its numeric term: `1 - x` as `(-x, 1)`.
fn split_exponent(pool: &mut Pool, e: ExprId) -> (ExprId, BigRational) {
    let mut n = BigRational::from_integer(0.into());
    let mut rest = Vec::new();
    for t in terms(pool, e) {
        match pool.as_num(t) {
            Some(r) => n += r,
            None => rest.push(t),
        }
    }
    (pool.add(rest), n)
}

/// `u^(v + n)` as `u^v * u^n` for a number `n` (where the pool keeps them apart), and
/// `(a*b)^v` as `a^v * b^v`, so that powers of a product meet the product's factors
/// (`2*x * (2*x)^(x - 1)` is `(2*x)^x`). Returns the power itself when neither applies.
///
/// Like the pool's own merging of powers, these hold wherever both sides are defined
/// (for `(a*b)^v` with a non-integer `v`, where `a, b > 0`); the numeric check of every
/// step catches a step that would lose part of its domain.
fn split_power(pool: &mut Pool, id: ExprId) -> ExprId {
    let Node::Pow(b, e) = pool.node(id).clone() else {
        return id;
    };
    if let Node::Add(ts) = pool.node(e).clone() {
        let (ints, rest): (Vec<ExprId>, Vec<ExprId>) =
            ts.iter().partition(|&&t| pool.as_num(t).is_some());
        if !ints.is_empty() && !rest.is_empty() {
            let r = pool.add(rest);
            let n = pool.add(ints);
            let p = pool.pow(b, r);
            let q = pool.pow(b, n);
            let m = pool.mul(vec![p, q]);
            if m != id {
                return m;
            }
        }
    }
    if let Node::Mul(fs) = pool.node(b).clone() {
        let parts = fs.iter().map(|&f| odd_power_of(pool, f, e)).collect();
        return pool.mul(parts);
    }
    let out = odd_power_of(pool, b, e);
    if out != id { out } else { id }
}

/// `f^e`, with `(u^k)^e` as `u^(k*e)` for an odd whole `k` (`(1/(1 + x))^e` is
/// `(1 + x)^-e`): an odd power keeps the sign of `u`, so both sides are defined at the
/// same points and equal there.
///
/// A numeric outer power with an odd denominator goes inside too, whatever the inner
/// exponent: `(u^a)^r` is `u^(a*r)` for such an `r` wherever both sides are defined
/// (an odd root keeps the sign, as an odd power does), so that `(x^x)^-1` meets `x^x`
/// as `x^-x`, and `(x^x)^(4/7)` meets it as `x^(4*x/7)`. An even denominator would not
/// do: `(u^2)^(1/2)` is `|u|`, not `u`.
fn odd_power_of(pool: &mut Pool, f: ExprId, e: ExprId) -> ExprId {
    let odd_whole = |pool: &Pool, n: ExprId| {
        pool.as_num(n)
            .and_then(crate::syntax::number::to_small_int)
            .is_some_and(|k| k % 2 != 0)
    };
    let odd_denominator = |pool: &Pool, n: ExprId| {
        pool.as_num(n)
            .is_some_and(|r| (r.denom() % 2u32) == 1u32.into())
    };
    if let Node::Pow(u, k) = pool.node(f).clone()
        && (odd_whole(pool, k) || odd_denominator(pool, e))
    {
        let x = pool.mul(vec![k, e]);
        return pool.pow(u, x);
    }
    pool.pow(f, e)
}

/// Whether a product has a factor that multiplies out: a sum, or a small whole power
/// of one.
fn m_has_sum_factor(pool: &Pool, m: ExprId) -> bool {
    match pool.node(m) {
        Node::Mul(fs) => fs.iter().any(|&f| match pool.node(f) {
            Node::Add(_) => true,
            Node::Pow(b, e) => {
                matches!(pool.node(*b), Node::Add(_))
                    && pool
                        .as_num(*e)
                        .and_then(crate::syntax::number::to_small_int)
                        .is_some_and(|n| (2..=8).contains(&n))
            }
            _ => false,
        }),
        Node::Pow(..) => true,
        _ => false,
    }
}

/// The terms of a sum, or the expression itself.
pub(super) fn terms(pool: &Pool, id: ExprId) -> Vec<ExprId> {
    match pool.node(id) {
        Node::Add(ts) => ts.to_vec(),
        _ => vec![id],
    }
}
