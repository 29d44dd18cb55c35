//! Exact arithmetic on powers of numbers.
//!
//! `2/sqrt(2)` and `sqrt(2)`, or `12^(3/2)` and `24*sqrt(3)`, are one value. The pool
//! keeps such powers as they were written, so the checker brings them to one form
//! itself: by splitting fractional powers into whole and fractional parts for the
//! normal form, and by comparing prime factorizations for `numeric-power`.

use num_rational::BigRational;

use crate::expr::node::{ExprId, Node};
use crate::expr::pool::Pool;

/// Powers of positive rationals with fractional exponents in one form: `(p/d)^s` as
/// `p^s * d^-s`, and each whole base `m^s` as the number `m^floor(s)` times
/// `m^(s - floor(s))`; so `(1/2)^(1/7)` and `2^(6/7)/2` meet.
pub(super) fn number_powers(pool: &mut Pool, id: ExprId) -> ExprId {
    use num_traits::{One, Signed, Zero};
    let mut cur = id;
    // Merging powers of one base can leave a whole part again (`2^(1/2) * 2^(2/3)`); a
    // few rounds settle it.
    for _ in 0..4 {
        let factors: Vec<ExprId> = match pool.node(cur) {
            Node::Mul(fs) => fs.to_vec(),
            Node::Pow(..) => vec![cur],
            _ => return cur,
        };
        let mut changed = false;
        let mut out = Vec::with_capacity(factors.len() + 2);
        for f in factors {
            if let Node::Pow(b, x) = pool.node(f).clone()
                && let (Some(q), Some(s)) = (pool.as_num(b).cloned(), pool.as_num(x).cloned())
                && q.is_positive()
                && !s.is_integer()
            {
                let parts = [
                    (BigRational::from_integer(q.numer().clone()), s.clone()),
                    (BigRational::from_integer(q.denom().clone()), -s.clone()),
                ];
                let mut pieces = Vec::new();
                for (m, e) in parts {
                    if m.is_one() {
                        continue;
                    }
                    let whole = e.floor();
                    let base = pool.num(m);
                    let w = pool.num(whole.clone());
                    pieces.push(pool.pow(base, w));
                    let frac = pool.num(e - whole);
                    pieces.push(pool.pow(base, frac));
                }
                let rebuilt = pool.mul(pieces);
                changed |= rebuilt != f;
                out.push(rebuilt);
                continue;
            }
            // A whole base to a sum with a number in it, `2^(1 + 2*x)`: the whole part
            // of the number joins the coefficient (the pool merges the rest back into
            // one power of the base).
            if let Node::Pow(b, x) = pool.node(f).clone()
                && let Some(n) = pool.as_num(b).cloned()
                && n.is_integer()
                && n > BigRational::one()
                && let Node::Add(ts) = pool.node(x).clone()
                && let Some(c) = ts.iter().find_map(|&t| pool.as_num(t).cloned())
                && !c.floor().is_zero()
            {
                let whole = c.floor();
                let w = pool.num(whole.clone());
                let minus = pool.num(-whole);
                let rest = pool.add(vec![x, minus]);
                let coefficient = pool.pow(b, w);
                let power = pool.pow(b, rest);
                out.push(pool.mul(vec![coefficient, power]));
                changed = true;
                continue;
            }
            out.push(f);
        }
        if !changed {
            return cur;
        }
        let next = pool.mul(out);
        if next == cur {
            return cur;
        }
        cur = next;
    }
    cur
}

/// A product split into its factors that are numbers or powers of numbers, as
/// `(base, exponent)` pairs (a plain number has exponent 1), and the product of the rest.
pub(super) fn numeric_factors(
    pool: &mut Pool,
    e: ExprId,
) -> (ExprId, Vec<(BigRational, BigRational)>) {
    let factors: Vec<ExprId> = match pool.node(e) {
        Node::Mul(fs) => fs.to_vec(),
        _ => vec![e],
    };
    let one = BigRational::from_integer(1.into());
    let mut numbers = Vec::new();
    let mut rest = Vec::new();
    for f in factors {
        if let Some(n) = pool.as_num(f) {
            numbers.push((n.clone(), one.clone()));
            continue;
        }
        if let Node::Pow(b, x) = pool.node(f)
            && let (Some(b), Some(x)) = (pool.as_num(*b), pool.as_num(*x))
        {
            numbers.push((b.clone(), x.clone()));
            continue;
        }
        rest.push(f);
    }
    (pool.mul(rest), numbers)
}

/// The value of a product of rational powers of rationals, exactly: its sign and the
/// exponent of each prime. `None` when a number is negative under a fractional power or
/// too large to factor here.
pub(super) fn prime_powers(
    numbers: &[(BigRational, BigRational)],
) -> Option<(bool, std::collections::BTreeMap<u64, BigRational>)> {
    use num_traits::{Signed, ToPrimitive, Zero};
    let mut negative = false;
    let mut primes: std::collections::BTreeMap<u64, BigRational> = Default::default();
    for (base, x) in numbers {
        if base.is_zero() {
            return None;
        }
        if base.is_negative() {
            // A negative base is a real number only under a whole power.
            if !x.is_integer() {
                return None;
            }
            if x.to_integer().to_i64()? % 2 != 0 {
                negative = !negative;
            }
        }
        let base = base.abs();
        for (part, sign) in [(base.numer(), 1), (base.denom(), -1)] {
            let mut n = part.to_u64().filter(|&n| n <= 1_000_000_000_000)?;
            let mut p = 2u64;
            while p * p <= n {
                while n % p == 0 {
                    n /= p;
                    let e = primes.entry(p).or_insert_with(BigRational::zero);
                    *e += x * BigRational::from_integer(sign.into());
                }
                p += 1;
            }
            if n > 1 {
                let e = primes.entry(n).or_insert_with(BigRational::zero);
                *e += x * BigRational::from_integer(sign.into());
            }
        }
    }
    primes.retain(|_, e| !e.is_zero());
    Some((negative, primes))
}
