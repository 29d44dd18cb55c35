//! Points where claims true almost everywhere fail, found by search: the kinks of
//! `abs` (and so of `relu` and `max`, which the prelude writes with it), the boundaries
//! of `ln`, `sqrt`, fractional powers, `asin` and `acos`, the poles of a quotient, and
//! the arguments where `tanh`, `sigmoid`, `softplus`, `erf` and `exp` saturate.
//!
//! Each target is a sub-expression `u` of a claim and a value `c` it should take.
//! Aiming at one moves one scalar of a random point along a log-spaced grid out to
//! 1e15 in both directions, brackets a sign change of `u - c`, and bisects it to the
//! last bit, so the point lands on the kink (or on either side of it, one ulp away)
//! however far from 0 it lies: `relu(x - 5)` is looked at around `x = 5`, and
//! `abs(x - 40)` around 40.

use num_traits::Signed;

use crate::expr::kind::Kind;
use crate::expr::node::{ExprId, Func, Node, Symbol};
use crate::lower::workspace::Workspace;
use crate::numeric::sample::facts_hold_at;
use crate::numeric::tape::Tape;
use crate::numeric::value::{Bindings, Value};

/// The most targets kept for one claim, so that a huge claim costs a bounded time.
const MAX_TARGETS: usize = 64;

/// The sub-expressions to aim at, compiled, with the value each should take and the
/// scalars it depends on.
pub(super) struct Targets {
    items: Vec<Target>,
}

struct Target {
    tape: Tape,
    /// Whether the target is a zero (a kink, boundary or single point), not a
    /// saturation point.
    zero: bool,
    value: f64,
    scalars: Vec<Symbol>,
}

impl Targets {
    /// The targets of `exprs` (with their derivatives taken).
    pub(super) fn of(session: &mut Workspace, exprs: &[ExprId]) -> Targets {
        let mut found: Vec<(ExprId, f64)> = Vec::new();
        let mut seen = rustc_hash::FxHashSet::default();
        for &e in exprs {
            let expanded = session.pool.expand_all_calls(e);
            collect(session, expanded, &mut found, &mut seen);
        }
        // Kinks, boundaries and single points first: the saturation points of smooth
        // functions matter less, and a claim with many may not reach them all.
        found.sort_by_key(|&(_, v)| v != 0.0);
        let mut items = Vec::new();
        for (u, value) in found.into_iter().take(MAX_TARGETS) {
            // A target inside a sum depends on the sum's index, which no point binds.
            if !session.pool.free_indices(u).is_empty() {
                continue;
            }
            let scalars: Vec<Symbol> = session
                .names_used(u)
                .into_iter()
                .filter(|&s| session.kind_of(s) == Some(Kind::Scalar))
                .collect();
            if scalars.is_empty() {
                continue;
            }
            if let Ok(tape) = Tape::compile(&mut session.pool, u) {
                items.push(Target {
                    zero: value == 0.0,
                    tape,
                    value,
                    scalars,
                });
            }
        }
        Targets { items }
    }

    /// The first points' aims, as (target, side): every zero at it and twice on
    /// either side, where a change at one point or past a kink shows; then every
    /// saturation point once.
    pub(super) fn schedule(&self) -> Vec<(usize, usize)> {
        let zeros = self.items.iter().enumerate().filter(|(_, t)| t.zero);
        let mut out: Vec<(usize, usize)> = Vec::new();
        for side in [0, 1, 2, 1, 2] {
            out.extend(zeros.clone().map(|(k, _)| (k, side)));
        }
        out.extend(
            self.items
                .iter()
                .enumerate()
                .filter(|(_, t)| !t.zero)
                .map(|(k, _)| (k, 0)),
        );
        out
    }

    /// Moves one scalar of `at` so that target `k` takes its value, or sits beside it
    /// on the `side` that [`beside`] takes, where the facts still hold; false when it
    /// could not.
    pub(super) fn aim_at(
        &self,
        k: usize,
        side: usize,
        session: &mut Workspace,
        at: &mut Bindings,
        rng: &mut crate::numeric::sample::Rng,
    ) -> bool {
        let Some(t) = self.items.get(k) else {
            return false;
        };
        let s = t.scalars[rng.below(t.scalars.len())];
        let Some(x) = root(session, t, at, s, side, rng) else {
            return false;
        };
        let old = at.get(s).cloned();
        at.insert(s, Value::Scalar(x));
        if facts_hold_at(session, at) {
            return true;
        }
        if let Some(v) = old {
            at.insert(s, v);
        }
        false
    }

    /// Moves one scalar of `at` so that a random target takes its value (or sits
    /// beside it), where the facts still hold; false when none could.
    pub(super) fn aim(
        &self,
        session: &mut Workspace,
        at: &mut Bindings,
        rng: &mut crate::numeric::sample::Rng,
    ) -> bool {
        if self.items.is_empty() {
            return false;
        }
        // A few targets in turn, from a random one, until one is reached.
        let start = rng.below(self.items.len());
        (0..self.items.len().min(4)).any(|k| {
            let side = rng.below(3);
            self.aim_at((start + k) % self.items.len(), side, session, at, rng)
        })
    }
}

/// The targets in `id`: each `abs`, boundary, pole and saturating function's argument,
/// with the values it should take.
fn collect(
    session: &Workspace,
    id: ExprId,
    out: &mut Vec<(ExprId, f64)>,
    seen: &mut rustc_hash::FxHashSet<ExprId>,
) {
    if !seen.insert(id) || out.len() >= MAX_TARGETS * 2 {
        return;
    }
    let pool = &session.pool;
    let node = pool.node(id).clone();
    match &node {
        Node::Func(f, u) => {
            let values: &[f64] = match f {
                Func::Abs | Func::Ln => &[0.0],
                Func::Asin | Func::Acos => &[1.0, -1.0],
                Func::Tanh | Func::Sigmoid | Func::Softplus => &[20.0, -20.0, 40.0, -40.0],
                Func::Erf => &[6.0, -6.0],
                Func::Exp => &[-40.0, 40.0, 709.0, -745.0],
                _ => &[],
            };
            for &v in values {
                if v == 0.0 {
                    zeros_of(pool, *u, out);
                } else {
                    out.push((*u, v));
                }
            }
        }
        // A fractional power's base meets its boundary at 0, and a negative power's
        // its pole; a power of a number changes at its exponent's zero (`0^(x^2)` is 1
        // at 0 alone).
        Node::Pow(b, e) => {
            let whole_positive = pool.as_num(*e).is_some_and(|r| {
                r.is_integer() && r > &num_rational::BigRational::from_integer(0.into())
            });
            let numeric_base = matches!(pool.node(*b), Node::Num(_) | Node::Const(_));
            if !whole_positive && !numeric_base {
                zeros_of(pool, *b, out);
            }
            if numeric_base {
                zeros_of(pool, *e, out);
            }
        }
        _ => {}
    }
    for c in crate::expr::node::children(&node) {
        collect(session, c, out, seen);
    }
}

/// A value of scalar `s` where the target crosses its value, the rest of `at` held:
/// the grid's first bracket from a random end, bisected to adjacent `f64`s, and then
/// the exact crossing or a point beside it (see [`beside`]).
fn root(
    session: &Workspace,
    t: &Target,
    at: &Bindings,
    s: Symbol,
    side: usize,
    rng: &mut crate::numeric::sample::Rng,
) -> Option<f64> {
    let mut here = at.clone();
    let mut g = |x: f64| -> Option<f64> {
        here.insert(s, Value::Scalar(x));
        let inputs = t.tape.inputs(&session.pool, &here).ok()?;
        let v = t.tape.eval(&inputs).ok()? - t.value;
        v.is_finite().then_some(v)
    };
    // The grid: 0, and ±10^k for k from -6 to 6 in quarter decades, then on to 10^15
    // in half decades, where a change far away (`relu(x - 1e9)`) hides.
    let mut grid = vec![0.0];
    let exponents = (0..=48)
        .map(|k| -6.0 + k as f64 * 0.25)
        .chain((1..=18).map(|k| 6.0 + k as f64 * 0.5));
    for k in exponents {
        let m = 10f64.powf(k);
        grid.push(m);
        grid.insert(0, -m);
    }
    if rng.below(2) == 0 {
        grid.reverse();
    }
    let values: Vec<Option<f64>> = grid.iter().map(|&x| g(x)).collect();
    for k in 0..grid.len() - 1 {
        let (Some(a), Some(b)) = (values[k], values[k + 1]) else {
            continue;
        };
        if a == 0.0 {
            return Some(beside(grid[k], grid[k], side, rng));
        }
        if a.signum() == b.signum() {
            continue;
        }
        let (mut lo, mut hi, mut glo) = (grid[k], grid[k + 1], a);
        for _ in 0..200 {
            let mid = lo + (hi - lo) / 2.0;
            if mid == lo || mid == hi {
                break;
            }
            let Some(gm) = g(mid) else {
                break;
            };
            if gm == 0.0 {
                return Some(beside(mid, mid, side, rng));
            }
            if gm.signum() == glo.signum() {
                lo = mid;
                glo = gm;
            } else {
                hi = mid;
            }
        }
        return Some(beside(lo, hi, side, rng));
    }
    None
}

/// A point at or beside a crossing bracketed by adjacent `lo` and `hi` (equal when the
/// crossing is exact): by `side`, at it (0), a little above it (1) or a little below
/// it (2), so that both sides of a kink are looked at.
fn beside(lo: f64, hi: f64, side: usize, rng: &mut crate::numeric::sample::Rng) -> f64 {
    let d = lo.abs().max(1.0) * 10f64.powf(-rng.range(1.0, 9.0));
    match side % 3 {
        0 => lo,
        1 => lo.max(hi) + d,
        _ => lo.min(hi) - d,
    }
}

/// The zeros of `u` as targets: `u` itself, and each factor of a product and the base
/// of a positive power, whose zeros are `u`'s too but which a sign change brackets
/// where `u` only touches 0 (`(x + 2)^2` at -2).
fn zeros_of(pool: &crate::expr::pool::Pool, u: ExprId, out: &mut Vec<(ExprId, f64)>) {
    if pool.as_num(u).is_some() || out.len() >= MAX_TARGETS * 2 {
        return;
    }
    out.push((u, 0.0));
    match pool.node(u) {
        Node::Mul(fs) => {
            for &f in fs.iter() {
                zeros_of(pool, f, out);
            }
        }
        Node::Pow(b, e) if pool.as_num(*e).is_some_and(|r| r.is_positive()) => {
            zeros_of(pool, *b, out);
        }
        _ => {}
    }
}
