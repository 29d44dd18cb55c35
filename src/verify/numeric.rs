//! The numeric check of a step: its two sides agree at random points.
//!
//! Both sides have their derivatives taken by the checker's own table
//! ([`super::derivative`]), are compiled to tapes, and are compared at points drawn
//! where every `assume` fact holds. Points where a differentiated function is
//! undefined say nothing about the step and are skipped, and so are differences that
//! rounding in the terms explains.

use num_rational::BigRational;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::diag::error::{Error, ErrorKind};
use crate::expr::node::{ExprId, Func, Node};
use crate::expr::pool::Pool;
use crate::lower::workspace::Workspace;
use crate::numeric::sample::{
    Rng, eval_sides, intermediate_rounding, sample_for, within_conditioning,
};
use crate::numeric::tape::Tape;
use crate::trace::Step;

use super::derivative::take_derivatives;

/// How many random points each step is evaluated at.
pub const POINTS_PER_STEP: usize = 8;

/// Evaluates both sides of a step at random points; returns how many points agreed.
pub(super) fn compare(
    session: &mut Workspace,
    step: &Step,
    rng: &mut Rng,
) -> Result<usize, String> {
    let take = |session: &mut Workspace, e: ExprId| {
        take_derivatives(&mut session.pool, e)
            .map_err(|reason| format!("its derivatives cannot be taken: {reason}"))
    };
    let before = take(session, step.before)?;
    let after = take(session, step.after)?;
    // A step whose exact numbers overflow f64 (`4^512`) cannot be evaluated in double
    // precision; its rule instances were checked exactly, and no point is compared.
    let overflows = |e: &Error| e.kind == ErrorKind::Domain;
    let (left, right) = match (
        Tape::compile(&mut session.pool, before),
        Tape::compile(&mut session.pool, after),
    ) {
        (Ok(l), Ok(r)) => (l, r),
        (Err(e), _) | (_, Err(e)) if overflows(&e) => return Ok(0),
        (Err(e), _) | (_, Err(e)) => {
            return Err(format!("it cannot be evaluated: {}", e.message));
        }
    };
    // A derivative means something only where the function it differentiates is
    // defined: `diff(sum(j, p[j]*ln(p[j])), p[i])` is `ln(p[i]) + 1`, which is defined
    // at more points than the sum. Such points say nothing about the step.
    let mut guards = Vec::new();
    for f in differentiated(&session.pool, step.before) {
        let f = take(session, f)?;
        match Tape::compile(&mut session.pool, f) {
            Ok(g) => guards.push(g),
            Err(e) if overflows(&e) => return Ok(0),
            Err(e) => return Err(format!("it cannot be evaluated: {}", e.message)),
        }
    }
    // The sizes of the terms both sides are summed from set the rounding tolerance: a
    // difference of large terms that cancel is exact only up to the terms' rounding.
    let sizes = [
        magnitude(&mut session.pool, before),
        magnitude(&mut session.pool, after),
    ];
    let scale_tape = Tape::compile_many(&mut session.pool, &sizes).ok();
    let mut slots = Vec::new();
    let mut part_values = vec![0.0; sizes.len()];
    let mut agreed = 0;
    for _ in 0..POINTS_PER_STEP * 8 {
        if agreed == POINTS_PER_STEP {
            break;
        }
        // The step as written comes first: its derivatives' variables (`diff(f, v[i])`)
        // tell which axis an index ranges over once the derivatives are taken.
        let Ok(at) = sample_for(session, &[step.before, step.after, before, after], rng) else {
            continue;
        };
        let outside = guards.iter().any(|g| {
            g.inputs(&session.pool, &at)
                .and_then(|i| g.eval(&i))
                .is_err()
        });
        if outside {
            continue;
        }
        // A step may only widen the domain: where `before` is undefined it says nothing.
        let Some((l, r)) = eval_sides(&session.pool, &left, &right, &at) else {
            continue;
        };
        // An overflow before the step is no value to compare against.
        if !l.is_finite() {
            continue;
        }
        let mut scale = 0.0f64;
        if let Some(t) = &scale_tape
            && let Ok(ti) = t.inputs(&session.pool, &at)
            && t.run_many_into(&ti, &mut slots, &mut part_values).is_ok()
        {
            scale = part_values.iter().fold(0.0, |m, v| m.max(v.abs()));
        }
        let rounding = intermediate_rounding(&session.pool, &[&left, &right], &at);
        match r {
            Some(r)
                if close(l, r, scale)
                    || (l - r).abs() <= rounding.min(1e-6 * (1.0 + l.abs().max(r.abs()))) =>
            {
                agreed += 1
            }
            // Rounding in an ill-conditioned spot says nothing either way.
            Some(r) if within_conditioning(session, &left, &at, l, (l - r).abs()) => {}
            Some(r) => {
                // f64 can overflow or underflow on one side only (a power of 1727 of
                // a number near 1, written out on one side): only a difference that
                // high precision certifies is a failure; where it cannot decide, the
                // point says nothing.
                match crate::numeric::precise::compare(&mut session.pool, before, after, &at) {
                    crate::numeric::precise::Comparison::Differ { .. }
                    | crate::numeric::precise::Comparison::LhsOnly { .. } => {
                        return Err(format!(
                            "its two sides differ at a random point: {l} before, {r} after"
                        ));
                    }
                    crate::numeric::precise::Comparison::Agree { .. } => agreed += 1,
                    _ => {}
                }
            }
            None => {
                return Err(format!(
                    "the expression after it is undefined at a point where the one before it is {l}"
                ));
            }
        }
    }
    Ok(agreed)
}

/// The functions that the derivatives in `id` differentiate.
fn differentiated(pool: &Pool, id: ExprId) -> Vec<ExprId> {
    let mut out = Vec::new();
    let mut seen = FxHashSet::default();
    let mut todo = vec![id];
    while let Some(x) = todo.pop() {
        if !seen.insert(x) {
            continue;
        }
        let n = pool.node(x);
        if let Node::Diff { expr, .. } = n {
            out.push(*expr);
        }
        todo.extend(crate::expr::node::children(n));
    }
    out
}

/// An expression with every sum's terms replaced by their absolute values: its value
/// bounds the size of what is added up, so that rounding can be judged against it.
fn magnitude(pool: &mut Pool, id: ExprId) -> ExprId {
    fn rec(pool: &mut Pool, id: ExprId, memo: &mut FxHashMap<ExprId, ExprId>) -> ExprId {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || rec(pool, id, memo));
        }
        if let Some(&r) = memo.get(&id) {
            return r;
        }
        let out = match pool.node(id).clone() {
            Node::Add(ts) => {
                let parts = ts
                    .iter()
                    .map(|&t| {
                        let m = rec(pool, t, memo);
                        pool.func(Func::Abs, m)
                    })
                    .collect();
                pool.add(parts)
            }
            Node::Mul(fs) => {
                let parts = fs.iter().map(|&f| rec(pool, f, memo)).collect();
                pool.mul(parts)
            }
            // Only a positive power grows with its base; a reciprocal of a sum that
            // cancels is large, and stays as it is.
            Node::Pow(b, e)
                if pool
                    .as_num(e)
                    .is_some_and(|n| n > &BigRational::from_integer(0.into())) =>
            {
                let m = rec(pool, b, memo);
                pool.pow(m, e)
            }
            Node::Sum { index, range, body } => {
                let m = rec(pool, body, memo);
                let a = pool.func(Func::Abs, m);
                pool.sum(index, range, a)
            }
            _ => id,
        };
        memo.insert(id, out);
        out
    }
    rec(pool, id, &mut FxHashMap::default())
}

/// Agreement up to rounding, relative to the size of the values and of the terms they
/// were summed from.
fn close(a: f64, b: f64, scale: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return false;
    }
    let scale = if scale.is_finite() { scale } else { 0.0 };
    (a - b).abs() <= 1e-8 * (1.0 + a.abs().max(b.abs()).max(scale))
}
