//! Equality facts (`assume sum(k, Y[n, k]) = 1`, `assume t*(1 - t) = 0`,
//! `assume x[i] = x[k]`) as rewrites: which side becomes which, and one rewrite step at
//! a node. The simplifier applies them (rule `assumed-equality`); the step checker
//! checks that each instance is a rewrite by a fact the workspace states, orienting
//! the fact afresh from its two sides with this same code (so it checks which fact and
//! where, not the matcher itself); random points are drawn to meet the facts.
//!
//! A fact is oriented once:
//! - a polynomial in one scalar (`t*(1 - t) = 0`, `x = 2`) rewrites the highest power
//!   by the rest: `t^2` becomes `t`, and `t^5` becomes `t^4` and so on down;
//! - a side that is a constant is what the other side becomes (`sum(k, Y[n, k])`
//!   becomes 1);
//! - otherwise the larger side becomes the smaller (`a*b = c` rewrites `a*b`), and a
//!   free index of the smaller side that the larger does not have is taken as 0:
//!   `x[i] = x[k]` holds for every `i` and `k`, so every `x[e]` becomes `x[0]`.
//!
//! The free indices of the rewritten side match any index, so the fact holds at every
//! value of them, as a free index in a claim does.

use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::expr::node::{ExprId, Node, Symbol};
use crate::expr::pool::Pool;
use crate::expr::subst::Subst;

/// An equality fact, oriented.
#[derive(Clone, Debug, PartialEq)]
pub enum Oriented {
    /// A polynomial equation in the scalar `symbol` with rational coefficients
    /// (`coefficients[k]` multiplies `symbol^k`): `symbol^degree` is rewritten as
    /// `lower`, the rest of the polynomial solved for it.
    Power {
        /// The scalar.
        symbol: Symbol,
        /// The highest power, at least 1.
        degree: u32,
        /// What that power equals: a polynomial of lower degree.
        lower: ExprId,
        /// The coefficients of `lhs - rhs`, lowest power first.
        coefficients: Vec<BigRational>,
    },
    /// `pattern` becomes `replacement`; the pattern's free indices match any index.
    Rewrite {
        /// The side that is rewritten.
        pattern: ExprId,
        /// What it becomes.
        replacement: ExprId,
    },
}

/// The orientation of the fact `lhs = rhs` (see the module docs).
pub fn orient(pool: &mut Pool, lhs: ExprId, rhs: ExprId) -> Oriented {
    let difference = pool.sub(lhs, rhs);
    if let Some((symbol, coefficients)) = univariate(pool, difference) {
        let degree = coefficients.len() - 1;
        if degree >= 1 {
            let lead = coefficients[degree].clone();
            let t = pool.sym(symbol);
            let mut terms = Vec::new();
            for (k, c) in coefficients.iter().enumerate().take(degree) {
                if c.is_zero() {
                    continue;
                }
                let coefficient = pool.num(-c / &lead);
                let power = pool.int(k as i64);
                let tk = pool.pow(t, power);
                terms.push(pool.mul(vec![coefficient, tk]));
            }
            let lower = pool.add(terms);
            return Oriented::Power {
                symbol,
                degree: degree as u32,
                lower,
                coefficients,
            };
        }
    }
    let constant = |pool: &Pool, e: ExprId| pool.free_symbols(e).is_empty();
    let larger_right =
        crate::expr::size::tree_size(pool, rhs) > crate::expr::size::tree_size(pool, lhs);
    let (pattern, replacement) = if !constant(pool, rhs) && (constant(pool, lhs) || larger_right) {
        (rhs, lhs)
    } else {
        (lhs, rhs)
    };
    // The replacement's own free indices hold at every value, 0 among them.
    let bound = pool.free_indices(pattern);
    let mut subst = Subst::default();
    for s in pool.free_indices(replacement) {
        if !bound.contains(&s) {
            let zero = pool.int(0);
            subst.indices.insert(s, zero);
        }
    }
    let replacement = pool.substitute(replacement, &subst);
    Oriented::Rewrite {
        pattern,
        replacement,
    }
}

/// One rewrite of the node `e` itself by the fact, if it matches and changes: a power
/// of the fact's scalar at or above its degree, or an instance of its pattern (a sum or
/// product that holds the pattern's terms or factors among others is rewritten in
/// those).
pub fn rewrite(pool: &mut Pool, fact: &Oriented, e: ExprId) -> Option<ExprId> {
    let out = match fact {
        Oriented::Power {
            symbol,
            degree,
            lower,
            ..
        } => {
            let (base, exponent) = match pool.node(e).clone() {
                Node::Pow(b, x) => (b, pool.as_num(x)?.to_integer().to_u32()?),
                Node::Sym(_) => (e, 1),
                _ => return None,
            };
            if !matches!(pool.node(base), Node::Sym(s) if s == symbol) || exponent < *degree {
                return None;
            }
            let rest = pool.int(i64::from(exponent - degree));
            let t = pool.pow(base, rest);
            pool.mul(vec![*lower, t])
        }
        Oriented::Rewrite {
            pattern,
            replacement,
        } => {
            let vars = pool.free_indices(*pattern);
            let mut binds = Vec::new();
            if matches(pool, *pattern, e, &vars, &mut binds) {
                instantiate(pool, *replacement, &binds)
            } else {
                within(pool, *pattern, *replacement, e, &vars)?
            }
        }
    };
    (out != e).then_some(out)
}

/// The pattern's terms among a sum's, or its factors among a product's: the sum or
/// product with them replaced.
fn within(
    pool: &mut Pool,
    pattern: ExprId,
    replacement: ExprId,
    e: ExprId,
    vars: &[Symbol],
) -> Option<ExprId> {
    let (parts, whole) = match (pool.node(pattern).clone(), pool.node(e).clone()) {
        (Node::Add(ps), Node::Add(es)) => (ps, es),
        (Node::Mul(ps), Node::Mul(es)) => (ps, es),
        _ => return None,
    };
    if parts.len() >= whole.len() {
        return None;
    }
    let mut left: Vec<ExprId> = whole.to_vec();
    let mut binds = Vec::new();
    for &p in parts.iter() {
        let k = (0..left.len()).find(|&k| {
            let mut trial = binds.clone();
            matches(pool, p, left[k], vars, &mut trial)
        })?;
        matches(pool, p, left[k], vars, &mut binds);
        left.remove(k);
    }
    let new = instantiate(pool, replacement, &binds);
    left.push(new);
    Some(match pool.node(e) {
        Node::Add(_) => pool.add(left),
        _ => pool.mul(left),
    })
}

/// The replacement with the pattern's indices as matched.
fn instantiate(pool: &mut Pool, replacement: ExprId, binds: &[(Symbol, ExprId)]) -> ExprId {
    let mut subst = Subst::default();
    for &(s, v) in binds {
        subst.indices.insert(s, v);
    }
    pool.substitute(replacement, &subst)
}

/// Whether `e` is an instance of `pattern`, its indices in `vars` standing for any
/// index (recorded in `binds`), bound indices matched up to renaming.
fn matches(
    pool: &mut Pool,
    pattern: ExprId,
    e: ExprId,
    vars: &[Symbol],
    binds: &mut Vec<(Symbol, ExprId)>,
) -> bool {
    if pattern == e && binds.is_empty() && vars.is_empty() {
        return true;
    }
    // The innermost binding of a name: a sum's bound index shadows what is outside.
    let bound =
        |binds: &[(Symbol, ExprId)], s: Symbol| binds.iter().rev().find(|b| b.0 == s).map(|b| b.1);
    match (pool.node(pattern).clone(), pool.node(e).clone()) {
        (Node::Index(s), _) if bound(binds, s).is_some() => bound(binds, s) == Some(e),
        (Node::Index(s), _) if vars.contains(&s) => {
            // A free index of the fact stands for one value, fixed outside the matched
            // sums: it never takes an index those sums bind (`sum(k, Y[n, k]) = 1`
            // says nothing of the diagonal `sum(k, Y[k, k])`).
            let inner: Vec<Symbol> = binds
                .iter()
                .filter(|b| !vars.contains(&b.0))
                .filter_map(|b| match pool.node(b.1) {
                    Node::Index(t) => Some(*t),
                    _ => None,
                })
                .collect();
            if pool.free_indices(e).iter().any(|t| inner.contains(t)) {
                return false;
            }
            binds.push((s, e));
            true
        }
        (
            Node::Sum { index, range, body },
            Node::Sum {
                index: i2,
                range: r2,
                body: b2,
            },
        ) => {
            if !matches(pool, range, r2, vars, binds) {
                return false;
            }
            // The bound index stands for the other's, inside the body only.
            let to = pool.index(i2);
            binds.push((index, to));
            let ok = matches(pool, body, b2, vars, binds);
            if let Some(k) = binds.iter().rposition(|b| b.0 == index) {
                binds.remove(k);
            }
            ok
        }
        (a, b) if std::mem::discriminant(&a) == std::mem::discriminant(&b) && same_head(&a, &b) => {
            let (pa, pb) = (
                crate::expr::node::children(&a),
                crate::expr::node::children(&b),
            );
            pa.len() == pb.len()
                && pa
                    .iter()
                    .zip(&pb)
                    .all(|(&x, &y)| matches(pool, x, y, vars, binds))
        }
        _ => false,
    }
}

/// Whether two nodes of one kind agree in everything but their children.
fn same_head(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (Node::Num(x), Node::Num(y)) => x == y,
        (Node::Const(x), Node::Const(y)) => x == y,
        (Node::Sym(x), Node::Sym(y))
        | (Node::Index(x), Node::Index(y))
        | (Node::Tensor(x), Node::Tensor(y)) => x == y,
        (Node::Elem(x, _), Node::Elem(y, _)) => x == y,
        (Node::Len(x, a), Node::Len(y, b)) => x == y && a == b,
        (Node::Func(f, _), Node::Func(g, _)) => f == g,
        (Node::Call { def: d, .. }, Node::Call { def: e, .. }) => d == e,
        (Node::Diff { order: a, .. }, Node::Diff { order: b, .. }) => a == b,
        (Node::Add(_), Node::Add(_))
        | (Node::Mul(_), Node::Mul(_))
        | (Node::Pow(..), Node::Pow(..))
        | (Node::Delta(..), Node::Delta(..)) => true,
        _ => false,
    }
}

/// `e` as a polynomial with rational coefficients in its one free name, a scalar: the
/// name and the coefficients, lowest power first, without trailing zeros.
pub fn univariate(pool: &Pool, e: ExprId) -> Option<(Symbol, Vec<BigRational>)> {
    let free = pool.free_symbols(e);
    let [t] = free.as_ref() else { return None };
    let t = *t;
    let mut c = coefficients(pool, e, t, 0)?;
    while c.len() > 1 && c.last().is_some_and(Zero::is_zero) {
        c.pop();
    }
    Some((t, c))
}

/// The coefficients of `e` in the scalar `t`, if it is a polynomial in it of modest
/// degree.
fn coefficients(pool: &Pool, e: ExprId, t: Symbol, depth: usize) -> Option<Vec<BigRational>> {
    const MAX_DEGREE: usize = 16;
    if depth > 64 {
        return None;
    }
    match pool.node(e) {
        Node::Num(r) => Some(vec![r.clone()]),
        Node::Sym(s) if *s == t => Some(vec![BigRational::zero(), BigRational::one()]),
        Node::Add(ts) => {
            let mut out: Vec<BigRational> = Vec::new();
            for &x in ts.iter() {
                let c = coefficients(pool, x, t, depth + 1)?;
                if c.len() > out.len() {
                    out.resize(c.len(), BigRational::zero());
                }
                for (k, v) in c.into_iter().enumerate() {
                    out[k] += v;
                }
            }
            Some(out)
        }
        Node::Mul(fs) => {
            let mut out = vec![BigRational::one()];
            for &f in fs.iter() {
                out = times(&out, &coefficients(pool, f, t, depth + 1)?);
                if out.len() > MAX_DEGREE + 1 {
                    return None;
                }
            }
            Some(out)
        }
        Node::Pow(b, x) => {
            let n = pool.as_num(*x)?;
            if !n.is_integer()
                || n.is_negative()
                || n > &BigRational::from_integer(MAX_DEGREE.into())
            {
                return None;
            }
            let base = coefficients(pool, *b, t, depth + 1)?;
            let mut out = vec![BigRational::one()];
            for _ in 0..n.to_integer().to_u32()? {
                out = times(&out, &base);
            }
            (out.len() <= MAX_DEGREE + 1).then_some(out)
        }
        _ => None,
    }
}

fn times(a: &[BigRational], b: &[BigRational]) -> Vec<BigRational> {
    let mut out = vec![BigRational::zero(); a.len() + b.len() - 1];
    for (i, x) in a.iter().enumerate() {
        for (k, y) in b.iter().enumerate() {
            out[i + k] += x * y;
        }
    }
    out
}
