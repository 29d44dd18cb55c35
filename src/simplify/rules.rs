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
use num_traits::{One, Zero};

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
            Node::Mul(fs) => {
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
        Node::Pow(b, y) => match pool.node(b).clone() {
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
        _ => None,
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
