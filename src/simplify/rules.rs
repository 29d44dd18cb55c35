//! Named rewrite rules with side conditions.
//!
//! Each rule is a kebab-case name, a pattern, and where it needs one, a condition that
//! [`crate::simplify::sign::Signs`] must prove. A rule that holds only on part of the domain never
//! fires on an unproved condition:
//!
//! | rule | rewrite | condition |
//! |---|---|---|
//! | `ln-of-exp` | `ln(exp(u)) = u` | none |
//! | `exp-of-ln` | `exp(c*ln(u) + v) = u^c * exp(v)` | `u > 0` |
//! | `ln-of-power` | `ln(u^a) = a*ln(u)` | `u > 0` |
//! | `ln-of-product` | `ln(a*b) = ln(a) + ln(b)` | every factor `> 0` |
//! | `power-of-power` | `(u^a)^b = u^(a*b)` | `u > 0` |
//! | `sqrt-of-square` | `(u^2)^(1/2) = abs(u)` (and `2k`-th roots of `2k`-th powers) | none |
//! | `abs-of-nonnegative` | `abs(u) = u` | `u >= 0` |
//! | `abs-of-negative` | `abs(u) = -u` | `u < 0` |
//! | `pythagorean` | `sin(u)^2 + cos(u)^2 = 1` | none |
//! | `hyperbolic-pythagorean` | `cosh(u)^2 - sinh(u)^2 = 1` | none |
//! | `delta-power` | `delta(i, k)^n = delta(i, k)` | `n` whole, `n >= 1` |
//! | `delta-product` | `delta(i, k)*delta(k, l) = delta(i, k)*delta(i, l)`: each class of indices the deltas link is written as deltas of its least index; 0 when a class holds two different numbers | none |
//! | `sigmoid-of-ln` | `sigmoid(ln(u)) = u/(1 + u)`, written `N/(N + D)` for `u = N/D`; the argument may be a sum `sum c*ln(u_c)`, which is `ln(prod u_c^c)`, and a logarithm may be a call's body (`logit(p)`) | every `u_c > 0` |
//! | `logit-of-sigmoid` | `ln(sigmoid(v)^p * (1 - sigmoid(v))^-p) = p*v`; the logarithm may be a call's body (`logit(sigmoid(v))`) | none |
//! | `ln-of-sigmoid` | `ln(sigmoid(v)) = -softplus(-v)` and `ln(1 - sigmoid(v)) = -softplus(v)`: the stable forms of the log-likelihoods of BCE with logits | none |
//! | `softplus-of-negative` | `softplus(c*u) = softplus(-c*u) + c*u` for a negative number `c` | none |
//!
//! Two rules of sums live in the simplifier itself, because they need what it knows
//! beyond the facts (the ranges of a derivative's indices) or simplify a part on their
//! own:
//!
//! | rule | rewrite | condition |
//! |---|---|---|
//! | `sum-distribute-delta` | `sum(k, a*(delta(j, k) + b)) = a[k := j] + sum(k, a*b)` | `j` ranges over the sum's axis (as for `sum-delta-contract`) |
//! | `expand-in-sum` | `sum(k, f[k])` with the definitions in its body written out, multiplied out and simplified: `sum(k, x[k] - mean(x)) = 0` | the result is smaller |
//!
//! Two more, [`power_of_product`] and [`numeric_power`], bring powers to the normal form
//! the prover multiplies out into; the simplifier does not use them, because
//! `sqrt(2*pi)` reads better than `sqrt(2)*sqrt(pi)`:
//!
//! | rule | rewrite | condition |
//! |---|---|---|
//! | `power-of-product` | `(a*b)^c = a^c * b^c`, and `(u^p)^c = u^(p*c)` inside | every factor `> 0`; `u > 0` |
//! | `numeric-power` | `n^(k + f) = n^k * n^f` for a whole `n > 1`, whole `k`, `0 < f < 1` | none |

use num_rational::BigRational;
use num_traits::{One, Signed, Zero};

use crate::expr::node::{ExprId, Func, Node};
use crate::expr::pool::Pool;
use crate::lower::workspace::Fact;
use crate::simplify::sign::Signs;
use crate::trace::Rule;

/// The first rule that fires at the top of `e`, with its name and result.
pub fn apply(pool: &mut Pool, facts: &[Fact], e: ExprId) -> Option<(Rule, ExprId)> {
    match pool.node(e).clone() {
        Node::Func(Func::Ln, a) => match pool.node(a).clone() {
            Node::Func(Func::Exp, u) => Some((Rule::LnOfExp, u)),

            Node::Pow(u, x) if Signs::new(pool, facts).positive(u) => {
                let l = pool.func(Func::Ln, u);
                Some((Rule::LnOfPower, pool.mul(vec![x, l])))
            }
            Node::Func(Func::Sigmoid, v) => {
                let m = pool.neg(v);
                let sp = pool.func(Func::Softplus, m);
                Some((Rule::LnOfSigmoid, pool.neg(sp)))
            }
            Node::Add(_) => {
                let v = one_minus_sigmoid(pool, a)?;
                let sp = pool.func(Func::Softplus, v);
                Some((Rule::LnOfSigmoid, pool.neg(sp)))
            }
            Node::Mul(fs) => {
                // The log-odds of a sigmoid, before `ln-of-product` splits them apart.
                if let Some(v) = logit_of_sigmoid(pool, a) {
                    return Some((Rule::LogitOfSigmoid, v));
                }
                let all_positive = fs.iter().all(|&f| Signs::new(pool, facts).positive(f));
                if !all_positive {
                    return None;
                }
                let logs = fs.iter().map(|&f| pool.func(Func::Ln, f)).collect();
                Some((Rule::LnOfProduct, pool.add(logs)))
            }
            _ => None,
        },
        Node::Func(Func::Exp, a) => exp_of_ln(pool, facts, a),
        Node::Func(Func::Sigmoid, a) => {
            sigmoid_of_ln(pool, facts, a).map(|r| (Rule::SigmoidOfLn, r))
        }
        Node::Func(Func::Softplus, a) => {
            // A negative multiple: softplus(-u) = softplus(u) - u, so that the two
            // meet in one form.
            let (c, _) = pool.split_coefficient(a);
            if !c.is_negative() {
                return None;
            }
            let m = pool.neg(a);
            let sp = pool.func(Func::Softplus, m);
            Some((Rule::SoftplusOfNegative, pool.add(vec![sp, a])))
        }
        // A call whose definition is a logarithm (`logit(sigmoid(x))`) is looked into.
        Node::Call { .. } => {
            let x = logarithm_inside(pool, e)?;
            logit_of_sigmoid(pool, x).map(|r| (Rule::LogitOfSigmoid, r))
        }
        Node::Pow(b, y) => match pool.node(b).clone() {
            // A delta is 0 or 1, so each of its whole positive powers is itself.
            Node::Delta(..) if is_positive_whole(pool, y) => Some((Rule::DeltaPower, b)),
            Node::Pow(u, x) => {
                // (u^(2k))^(1/(2k)) = abs(u), for every real u.
                if let (Some(xr), Some(yr)) = (pool.as_num(x).cloned(), pool.as_num(y).cloned())
                    && crate::expr::pool::is_even_integer(&xr)
                    && !xr.is_zero()
                    && (&xr * &yr).is_one()
                {
                    return Some((Rule::SqrtOfSquare, pool.func(Func::Abs, u)));
                }
                if Signs::new(pool, facts).positive(u) {
                    let p = pool.mul(vec![x, y]);
                    return Some((Rule::PowerOfPower, pool.pow(u, p)));
                }
                None
            }
            _ => None,
        },
        Node::Func(Func::Abs, u) => {
            if Signs::new(pool, facts).nonnegative(u) {
                Some((Rule::AbsOfNonnegative, u))
            } else if Signs::new(pool, facts).negative(u) {
                Some((Rule::AbsOfNegative, pool.neg(u)))
            } else {
                None
            }
        }
        Node::Add(ts) => pythagorean(pool, &ts),
        Node::Mul(fs) => delta_product(pool, e, &fs).map(|r| (Rule::DeltaProduct, r)),
        _ => None,
    }
}

/// The argument `x` of a logarithm `ln(x)`, written as it is or as the body of a call
/// (`logit(p)` is `ln(p/(1 - p))`). The definition's body is looked at before it is
/// instantiated, so that calls of other definitions cost nothing.
fn logarithm_inside(pool: &mut Pool, e: ExprId) -> Option<ExprId> {
    match pool.node(e).clone() {
        Node::Func(Func::Ln, x) => Some(x),
        Node::Call { def, .. } => {
            let body = pool.definition(def).body;
            if !matches!(pool.node(body), Node::Func(Func::Ln, _)) {
                return None;
            }
            let expanded = pool.expand_call(e)?;
            match pool.node(expanded).clone() {
                Node::Func(Func::Ln, x) => Some(x),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `sigmoid(ln(u))` as `u/(1 + u)` when `u > 0` (`sigmoid-of-ln`), since
/// `exp(-ln(u)) = 1/u`. The argument may be any sum of multiples of logarithms of
/// positive expressions, `sum c*ln(u)`, which is `ln(u)` for the product `u` of the
/// `u^c` (the simplifier splits `ln(p/(1 - p))` into `ln(p) - ln(1 - p)` before it
/// reaches the sigmoid). With `u = N/D` split into the factors of its numerator and its
/// denominator, the result is written `N/(N + D)`, so that `sigmoid(logit(p))`, whose
/// `u` is `p/(1 - p)`, is `p/(p + 1 - p)`, which is `p`.
fn sigmoid_of_ln(pool: &mut Pool, facts: &[Fact], a: ExprId) -> Option<ExprId> {
    let terms: Vec<ExprId> = match pool.node(a) {
        Node::Add(ts) => ts.to_vec(),
        _ => vec![a],
    };
    let mut powers = Vec::with_capacity(terms.len());
    for t in terms {
        let (k, l) = pool.split_coefficient(t);
        let u = logarithm_inside(pool, l)?;
        if !Signs::new(pool, facts).positive(u) {
            return None;
        }
        let k = pool.num(k);
        powers.push(pool.pow(u, k));
    }
    let u = pool.mul(powers);
    let (c, rest) = pool.split_coefficient(u);
    let factors: Vec<ExprId> = match pool.node(rest) {
        Node::Mul(fs) => fs.to_vec(),
        _ => vec![rest],
    };
    let mut numerator = vec![pool.num(BigRational::from_integer(c.numer().clone()))];
    let mut denominator = vec![pool.num(BigRational::from_integer(c.denom().clone()))];
    for f in factors {
        match pool.node(f).clone() {
            Node::Pow(b, x) if pool.as_num(x).is_some_and(|r| r.is_negative()) => {
                let nx = pool.neg(x);
                denominator.push(pool.pow(b, nx));
            }
            _ => numerator.push(f),
        }
    }
    let n = pool.mul(numerator);
    let d = pool.mul(denominator);
    let total = pool.add(vec![n, d]);
    Some(pool.div(n, total))
}

/// `ln(sigmoid(v)^p * (1 - sigmoid(v))^-p)` as `p*v` (`logit-of-sigmoid`): the odds of
/// a sigmoid are `sigmoid(v)/(1 - sigmoid(v)) = exp(v)`, for every real `v`, and they
/// are positive, so the power comes out of the logarithm.
fn logit_of_sigmoid(pool: &mut Pool, a: ExprId) -> Option<ExprId> {
    let Node::Mul(fs) = pool.node(a).clone() else {
        return None;
    };
    if fs.len() != 2 {
        return None;
    }
    let split = |pool: &Pool, f: ExprId| -> (ExprId, BigRational) {
        match pool.node(f) {
            Node::Pow(b, x) => match pool.as_num(*x) {
                Some(r) => (*b, r.clone()),
                None => (f, BigRational::one()),
            },
            _ => (f, BigRational::one()),
        }
    };
    for (s, t) in [(fs[0], fs[1]), (fs[1], fs[0])] {
        let (sb, p) = split(pool, s);
        let (tb, q) = split(pool, t);
        let Node::Func(Func::Sigmoid, v) = pool.node(sb).clone() else {
            continue;
        };
        // The other base must be `1 - sigmoid(v)`, with the opposite power.
        let one = pool.add(vec![tb, sb]);
        if pool.is_int(one, 1) && p == -q {
            let pn = pool.num(p);
            return Some(pool.mul(vec![pn, v]));
        }
    }
    None
}

/// The `v` of `1 - sigmoid(v)`, if `e` is that.
pub fn one_minus_sigmoid(pool: &mut Pool, e: ExprId) -> Option<ExprId> {
    let Node::Add(ts) = pool.node(e).clone() else {
        return None;
    };
    for &t in &ts {
        let (c, f) = pool.split_coefficient(t);
        if c != -BigRational::one() {
            continue;
        }
        let Node::Func(Func::Sigmoid, v) = pool.node(f).clone() else {
            continue;
        };
        // The rest is 1 when adding the sigmoid back gives 1.
        let back = pool.add(vec![e, f]);
        if pool.is_int(back, 1) {
            return Some(v);
        }
    }
    None
}

/// The largest result a rule may give for a matched expression of `size` nodes before
/// the simplifier prefers the expression as it was: a little more than `size`, so that
/// no rule grows an expression round after round. `sigmoid-of-ln` is not held to it:
/// its result names the numerator of its logarithm's argument twice (`N/(N + D)`),
/// which a call such as `logit(p)` hides from the size, but it has a sigmoid and a
/// logarithm fewer, so it cannot grow an expression round after round; nor can
/// `ln-of-sigmoid` (a logarithm fewer) or `softplus-of-negative` (whose result's
/// argument no longer has a negative coefficient).
pub fn size_allowed(rule: Rule, size: u64) -> u64 {
    match rule {
        Rule::SigmoidOfLn => u64::MAX,
        // A logarithm fewer each time, so it cannot fire round after round.
        Rule::LnOfSigmoid => u64::MAX,
        // The argument's sign flips to positive, so it fires once per softplus.
        Rule::SoftplusOfNegative => size + 6,
        _ => size + 2,
    }
}

/// Whether `x` is a whole number of at least 1.
fn is_positive_whole(pool: &Pool, x: ExprId) -> bool {
    pool.as_num(x)
        .is_some_and(|r| r.is_integer() && *r >= BigRational::one())
}

/// A product's deltas in one normal form (`delta-product`).
///
/// A product of deltas is 1 exactly when the indices its deltas link are all equal, so
/// it depends only on which indices the deltas join into one class. Each class is
/// written as the deltas of its least index (in the structural order) with each of the
/// others: `delta(i, k)*delta(k, l)` is `delta(i, k)*delta(i, l)`, and
/// `delta(i, k)*delta(i, l)*delta(k, l)` loses its redundant third delta. A class that
/// holds two different numbers makes the product 0 (`delta(i, 0)*delta(i, 1)`), which
/// the pool's delta of two numbers gives. `None` when the product is already in this
/// form.
fn delta_product(pool: &mut Pool, e: ExprId, fs: &[ExprId]) -> Option<ExprId> {
    // Every product of the simplifier's walk comes here; most hold no delta at all.
    let deltas = fs
        .iter()
        .filter(|&&f| matches!(pool.node(f), Node::Delta(..)))
        .count();
    if deltas < 2 {
        return None;
    }
    let mut classes = DeltaClasses::default();
    let mut others = Vec::with_capacity(fs.len());
    for &f in fs {
        match pool.node(f) {
            Node::Delta(a, b) => classes.join(*a, *b),
            _ => others.push(f),
        }
    }
    for mut class in classes.into_classes() {
        class.sort_by(|&a, &b| pool.cmp(a, b));
        let least = class[0];
        for &m in &class[1..] {
            others.push(pool.delta(least, m));
        }
    }
    let out = pool.mul(others);
    (out != e).then_some(out)
}

/// Index expressions joined into classes by the deltas of a product: a small
/// union-find over the few indices one product holds, kept in first-seen order so that
/// the result does not depend on ids.
#[derive(Default)]
struct DeltaClasses {
    /// Each index expression seen, with the position of its class's representative.
    members: Vec<(ExprId, usize)>,
}

impl DeltaClasses {
    /// The position of `x`, added as a class of its own when new.
    fn position(&mut self, x: ExprId) -> usize {
        match self.members.iter().position(|m| m.0 == x) {
            Some(k) => k,
            None => {
                self.members.push((x, self.members.len()));
                self.members.len() - 1
            }
        }
    }

    /// The representative of the class at position `k`.
    fn root(&self, mut k: usize) -> usize {
        while self.members[k].1 != k {
            k = self.members[k].1;
        }
        k
    }

    /// Records that `a` and `b` are equal where the product is not 0.
    fn join(&mut self, a: ExprId, b: ExprId) {
        let (pa, pb) = (self.position(a), self.position(b));
        let (ra, rb) = (self.root(pa), self.root(pb));
        if ra != rb {
            self.members[ra.max(rb)].1 = ra.min(rb);
        }
    }

    /// The classes, each a list of its index expressions.
    fn into_classes(self) -> Vec<Vec<ExprId>> {
        let mut out: Vec<(usize, Vec<ExprId>)> = Vec::new();
        for k in 0..self.members.len() {
            let r = self.root(k);
            match out.iter_mut().find(|c| c.0 == r) {
                Some(c) => c.1.push(self.members[k].0),
                None => out.push((r, vec![self.members[k].0])),
            }
        }
        out.into_iter().map(|c| c.1).collect()
    }
}

/// `(a*b)^c` as `a^c * b^c`, when every factor is proved positive and `c` is not whole
/// (a whole power of a product is already split by the pool).
pub fn power_of_product(pool: &mut Pool, facts: &[Fact], e: ExprId) -> Option<ExprId> {
    let Node::Pow(b, c) = pool.node(e).clone() else {
        return None;
    };
    let Node::Mul(fs) = pool.node(b).clone() else {
        return None;
    };
    if !fs.iter().all(|&f| Signs::new(pool, facts).positive(f)) {
        return None;
    }
    let parts = fs
        .iter()
        .map(|&f| factor_power(pool, facts, f, c))
        .collect();
    let out = pool.mul(parts);
    (out != e).then_some(out)
}

/// `f^c`, with a power of a positive base `(u^p)^c` as `u^(p*c)`.
fn factor_power(pool: &mut Pool, facts: &[Fact], f: ExprId, c: ExprId) -> ExprId {
    if let Node::Pow(u, p) = pool.node(f).clone()
        && Signs::new(pool, facts).positive(u)
    {
        let x = pool.mul(vec![p, c]);
        return pool.pow(u, x);
    }
    pool.pow(f, c)
}

/// A product's powers of whole numbers with fractional exponents, `n^(k + f)`, as
/// `n^k * n^f` with `0 < f < 1`, the whole power joining the product's coefficient:
/// `2/sqrt(2)` is `2 * 2^(-1/2)`, which is `2^(1/2)`.
pub fn numeric_power(pool: &mut Pool, e: ExprId) -> Option<ExprId> {
    let factors: Vec<ExprId> = match pool.node(e) {
        Node::Mul(fs) => fs.to_vec(),
        Node::Pow(..) => vec![e],
        _ => return None,
    };
    let mut changed = false;
    let mut out = Vec::with_capacity(factors.len() + 1);
    for f in factors {
        if let Node::Pow(n, x) = pool.node(f).clone()
            && let (Some(n), Some(x)) = (pool.as_num(n).cloned(), pool.as_num(x).cloned())
            && n.is_integer()
            && n > BigRational::one()
            && !x.is_integer()
        {
            let whole = x.floor();
            if !whole.is_zero() {
                let k = pool.num(whole.clone());
                let base = pool.num(n.clone());
                out.push(pool.pow(base, k));
                let frac = pool.num(x - whole);
                out.push(pool.pow(base, frac));
                changed = true;
                continue;
            }
        }
        out.push(f);
    }
    if !changed {
        return None;
    }
    let out = pool.mul(out);
    (out != e).then_some(out)
}

/// `exp(c*ln(u) + v)` as `u^c * exp(v)` for each logarithm of a positive `u` in the sum.
fn exp_of_ln(pool: &mut Pool, facts: &[Fact], a: ExprId) -> Option<(Rule, ExprId)> {
    let terms: Vec<ExprId> = match pool.node(a) {
        Node::Add(ts) => ts.to_vec(),
        _ => vec![a],
    };
    let mut powers = Vec::new();
    let mut rest = Vec::new();
    for t in terms {
        let (c, r) = pool.split_coefficient(t);
        match pool.node(r).clone() {
            Node::Func(Func::Ln, u) if Signs::new(pool, facts).positive(u) => {
                let cn = pool.num(c);
                powers.push(pool.pow(u, cn));
            }
            _ => rest.push(t),
        }
    }
    if powers.is_empty() {
        return None;
    }
    let r = pool.add(rest);
    powers.push(pool.func(Func::Exp, r));
    Some((Rule::ExpOfLn, pool.mul(powers)))
}

/// `c*R*sin(u)^2 + c*R*cos(u)^2 = c*R`, and `c*R*cosh(u)^2 - c*R*sinh(u)^2 = c*R`.
fn pythagorean(pool: &mut Pool, ts: &[ExprId]) -> Option<(Rule, ExprId)> {
    let pairs = [
        (Func::Sin, Func::Cos, BigRational::one(), Rule::Pythagorean),
        (
            Func::Cosh,
            Func::Sinh,
            -BigRational::one(),
            Rule::HyperbolicPythagorean,
        ),
    ];
    for (f, g, sign, name) in pairs {
        for (k, &t) in ts.iter().enumerate() {
            let Some((c, rest, u)) = split_square(pool, t, f) else {
                continue;
            };
            // The partner: the same coefficient (times sign) and rest, with g in place of f.
            for (m, &t2) in ts.iter().enumerate() {
                if m == k {
                    continue;
                }
                if let Some((c2, rest2, u2)) = split_square(pool, t2, g)
                    && u2 == u
                    && rest2 == rest
                    && c2 == &c * &sign
                {
                    let mut out: Vec<ExprId> = ts
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != k && j != m)
                        .map(|(_, &x)| x)
                        .collect();
                    let cn = pool.num(c);
                    out.push(pool.mul(vec![cn, rest]));
                    return Some((name, pool.add(out)));
                }
            }
        }
    }
    None
}

/// A term `c * rest * f(u)^2` as `(c, rest, u)`.
fn split_square(pool: &mut Pool, t: ExprId, f: Func) -> Option<(BigRational, ExprId, ExprId)> {
    let (c, r) = pool.split_coefficient(t);
    let factors: Vec<ExprId> = match pool.node(r) {
        Node::Mul(fs) => fs.to_vec(),
        _ => vec![r],
    };
    for (k, &x) in factors.iter().enumerate() {
        if let Node::Pow(b, e) = pool.node(x).clone()
            && pool.is_int(e, 2)
            && let Node::Func(g, u) = pool.node(b).clone()
            && g == f
        {
            let rest: Vec<ExprId> = factors
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != k)
                .map(|(_, &y)| y)
                .collect();
            let rest = pool.mul(rest);
            return Some((c, rest, u));
        }
    }
    None
}
