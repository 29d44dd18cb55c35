//! Random points that meet the equality facts: a point drawn at random is adjusted
//! until each `assume lhs = rhs` holds, where the fact's form says how.
//!
//! - A polynomial in one scalar (`t*(1 - t) = 0`): the scalar becomes one of the
//!   polynomial's real roots, picked at random (roots found by sign changes on a grid
//!   and bisection, and exact at the grid's points).
//! - A sum over one axis of a tensor equal to a constant (`sum(k, Y[n, k]) = 1`): each
//!   slice along the axis is made positive and scaled to that sum, as probabilities are.
//! - Elements equal along an axis (`x[i] = x[k]`): every element along it is copied
//!   from the first.
//! - A scalar equal to an expression of other names: the scalar is set to its value;
//!   a product with a scalar factor (`a*b = 1`) is solved for that factor.
//!
//! Any other fact is left to the check that follows the draw, which rejects a point
//! where it does not hold; a fact no draw meets is then an error, never a point that
//! breaks it.

use std::rc::Rc;

use num_traits::ToPrimitive;

use crate::expr::equality::{Oriented, orient};
use crate::expr::node::{ExprId, Node, Symbol};
use crate::lower::workspace::Workspace;
use crate::numeric::eval::Compiled;
use crate::numeric::files::position;
use crate::numeric::sample::Rng;
use crate::numeric::value::{Bindings, Tensor, Value};
use crate::syntax::tree::Relation;

/// How to meet one equality fact: the real roots of a polynomial fact's scalar, or
/// the fact's rewrite. Made once for all the draws of a point, since it does not
/// depend on the point.
pub(crate) enum Meet {
    /// Set the scalar to one of these values.
    Roots(Symbol, Vec<f64>),
    /// Adjust the point so that `pattern` takes the value of `replacement`.
    Rewrite {
        pattern: ExprId,
        replacement: ExprId,
    },
}

/// How to meet each of the workspace's equality facts.
pub(crate) fn plan(session: &mut Workspace) -> Vec<Meet> {
    let facts: Vec<(ExprId, ExprId)> = session
        .facts
        .iter()
        .filter(|f| f.relation == Relation::Equal)
        .map(|f| (f.subject, f.bound))
        .collect();
    facts
        .into_iter()
        .map(|(lhs, rhs)| match orient(&mut session.pool, lhs, rhs) {
            Oriented::Power {
                symbol,
                coefficients,
                ..
            } => {
                let c: Vec<f64> = coefficients
                    .iter()
                    .map(|r| r.to_f64().unwrap_or(f64::NAN))
                    .collect();
                Meet::Roots(symbol, real_roots(&c))
            }
            Oriented::Rewrite {
                pattern,
                replacement,
            } => Meet::Rewrite {
                pattern,
                replacement,
            },
        })
        .collect()
}

/// Adjusts `at` so that the equality facts hold where each fact's form allows (see
/// the module docs).
pub(crate) fn meet_equalities(
    session: &mut Workspace,
    plan: &[Meet],
    at: &mut Bindings,
    rng: &mut Rng,
) {
    for m in plan {
        match m {
            Meet::Roots(symbol, roots) => {
                if roots.is_empty() || at.get(*symbol).is_none() {
                    continue;
                }
                let pick = roots[rng.below(roots.len())];
                at.insert(*symbol, Value::Scalar(pick));
            }
            Meet::Rewrite {
                pattern,
                replacement,
            } => rewrite_point(session, at, *pattern, *replacement),
        }
    }
}

fn rewrite_point(session: &mut Workspace, at: &mut Bindings, pattern: ExprId, replacement: ExprId) {
    let nodes = (
        session.pool.node(pattern).clone(),
        session.pool.node(replacement).clone(),
    );
    match nodes {
        // A scalar equal to the value of other names.
        (Node::Sym(s), _) => {
            if let Ok(v) = Compiled::new(session, replacement).eval(session, at) {
                at.insert(s, Value::Scalar(v));
            }
        }
        // A product with a scalar factor (`a*b = 1`): that scalar is solved for.
        (Node::Mul(fs), _) => {
            let Some(k) = fs
                .iter()
                .position(|&f| matches!(session.pool.node(f), Node::Sym(_)))
            else {
                return;
            };
            let Node::Sym(s) = session.pool.node(fs[k]).clone() else {
                return;
            };
            let mut others = fs.to_vec();
            others.remove(k);
            let rest = session.pool.mul(others);
            let value = Compiled::new(session, replacement).eval(session, at);
            let rest = Compiled::new(session, rest).eval(session, at);
            if let (Ok(v), Ok(r)) = (value, rest)
                && r != 0.0
            {
                at.insert(s, Value::Scalar(v / r));
            }
        }
        // `x[i] = x[0]`: elements equal along the axes where the pattern's index is
        // free and the replacement's is 0.
        (Node::Elem(t, idx), Node::Elem(t2, idx2)) if t == t2 && idx.len() == idx2.len() => {
            let pool = &session.pool;
            let axes: Vec<usize> = (0..idx.len())
                .filter(|&a| matches!(pool.node(idx[a]), Node::Index(_)) && pool.is_int(idx2[a], 0))
                .collect();
            let Some(Value::Tensor(x)) = at.get(t) else {
                return;
            };
            let mut x = (**x).clone();
            for off in 0..x.data.len() {
                let mut pos = position(&x.shape, off);
                for &a in &axes {
                    pos[a] = 0;
                }
                if let Some(src) = x.offset(&pos) {
                    x.data[off] = x.data[src];
                }
            }
            at.insert(t, Value::Tensor(Rc::new(x)));
        }
        // `sum(k, Y[n, k]) = c`: every slice along the summed axis sums to c.
        (Node::Sum { index, body, .. }, _) => {
            let pool = &session.pool;
            let Some(c) = crate::expr::constant::constant_value(pool, replacement) else {
                return;
            };
            let Node::Elem(t, idx) = pool.node(body).clone() else {
                return;
            };
            let Some(axis) = idx
                .iter()
                .position(|&i| matches!(pool.node(i), Node::Index(s) if *s == index))
            else {
                return;
            };
            let Some(Value::Tensor(x)) = at.get(t) else {
                return;
            };
            let mut x = (**x).clone();
            normalize(&mut x, axis, c);
            at.insert(t, Value::Tensor(Rc::new(x)));
        }
        _ => {}
    }
}

/// Makes every slice of `x` along `axis` positive and summing to `total`.
fn normalize(x: &mut Tensor, axis: usize, total: f64) {
    for v in &mut x.data {
        *v = v.abs() + 0.05;
    }
    let n = x.shape.get(axis).copied().unwrap_or(0);
    for off in 0..x.data.len() {
        let pos = position(&x.shape, off);
        if pos.get(axis) != Some(&0) {
            continue;
        }
        let slice: Vec<usize> = (0..n)
            .filter_map(|k| {
                let mut p = pos.clone();
                p[axis] = k;
                x.offset(&p)
            })
            .collect();
        let sum: f64 = slice.iter().map(|&o| x.data[o]).sum();
        for &o in &slice {
            x.data[o] *= total / sum;
        }
    }
}

/// The real roots in [-100, 100] of the polynomial with these coefficients (lowest
/// power first): exact zeros at the points of a grid, and sign changes between them
/// narrowed by bisection.
pub(crate) fn real_roots(c: &[f64]) -> Vec<f64> {
    let p = |x: f64| c.iter().rev().fold(0.0, |acc, &k| acc * x + k);
    let mut roots: Vec<f64> = Vec::new();
    let steps = 20_000;
    let (lo, hi) = (-100.0_f64, 100.0_f64);
    let at = |k: usize| lo + (hi - lo) * k as f64 / steps as f64;
    for k in 0..steps {
        let (a, b) = (at(k), at(k + 1));
        let (pa, pb) = (p(a), p(b));
        if pa == 0.0 {
            roots.push(a);
        } else if pa.signum() != pb.signum() && pb != 0.0 {
            let (mut l, mut r) = (a, b);
            for _ in 0..200 {
                let m = 0.5 * (l + r);
                if p(m).signum() == p(l).signum() {
                    l = m;
                } else {
                    r = m;
                }
            }
            roots.push(0.5 * (l + r));
        }
    }
    roots.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
    roots
}
