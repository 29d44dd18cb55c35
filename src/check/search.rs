//! Points where wrong gradients show, found rather than hoped for: the kinks of `abs`
//! (and so of `relu`, `max`, `min` and every definition through them) located by
//! search, with points on both sides of each and on it, and the random point moved to
//! other magnitudes.
//!
//! A gradient wrong only past a kink (`relu(x - 5)` claimed 0) passes at every random
//! point if the sampler never draws past it. Along each input (each scalar, and a few
//! elements of each tensor) the function is run at the random point moved by steps
//! from 1e-3 to 1e6 either way, log-spaced, over [`Branches`], which records the side
//! of 0 each `abs` argument fell on; between two runs whose records differ an argument
//! changed sign, and bisection finds where to the last bit. The check then adds a point
//! a little to either side (a thousandth of the kink's size, within the bracket, so
//! that no other kink is crossed) and one on it, where the one-sided derivatives are
//! compared with the claim. Max and min over an index choose an element by comparing
//! values, which [`Branches`] does not record: their ties are not searched.
//!
//! Magnitudes: the random point with every value scaled by 1e-6, ±1e3 and ±1e6 (or one
//! name at a time, where scaling all breaks a fact), kept where the `assume` facts hold
//! and the function is defined.

use crate::expr::kind::Kind;
use crate::expr::node::Symbol;
use crate::lower::workspace::Workspace;
use crate::numeric::Compiled;
use crate::numeric::scalar::{Branches, Scalar};
use crate::numeric::tape::{InputRef, Tape, TapeInputs};
use crate::numeric::value::{Bindings, Tensor, Value};
use crate::syntax::tree::Relation;

/// How many inputs are searched along, at most.
const MAX_AXES: usize = 12;
/// How many elements of one tensor are searched along, at most.
const MAX_ELEMENTS: usize = 4;
/// How many kinks get points, at most, over all inputs.
const MAX_KINKS: usize = 6;
/// The factors of the magnitude points.
const MAGNITUDES: [f64; 5] = [1e-6, 1e3, -1e3, 1e6, -1e6];

/// A searched point and why it was chosen, for the report's notes.
pub struct Searched {
    /// The point.
    pub at: Bindings,
    /// Why: `the kink of abs along x at 5 (left)`, `x scaled by 1e6`.
    pub why: String,
}

/// The points around the kinks along the inputs of `tape` from `base`, and `base` at
/// other magnitudes, each meeting the facts and with the function defined there.
pub fn searched_points(session: &mut Workspace, tape: &Tape, base: &Bindings) -> Vec<Searched> {
    let facts = Facts::compile(session);
    let mut out = Vec::new();
    // Each group gives at most its first candidate that meets the facts and where the
    // function is defined.
    let kinks = kink_points(session, tape, base)
        .into_iter()
        .map(|c| vec![c]);
    let groups: Vec<Vec<(Bindings, String)>> =
        kinks.chain(magnitude_points(session, base)).collect();
    for group in groups {
        for (at, why) in group {
            if facts.hold(session, &at) && defined(session, tape, &at) {
                out.push(Searched { at, why });
                break;
            }
        }
    }
    out
}

/// Whether the function is defined at `at`.
fn defined(session: &Workspace, tape: &Tape, at: &Bindings) -> bool {
    tape.inputs(&session.pool, at)
        .and_then(|i| tape.eval(&i))
        .is_ok()
}

/// The inputs to search along: each scalar, and up to [`MAX_ELEMENTS`] elements of
/// each tensor spread over it (labels and indices are not moved).
fn axes(session: &Workspace, base: &Bindings) -> Vec<(InputRef, String, f64)> {
    let mut out = Vec::new();
    for s in base.names() {
        if session.pool.is_label(s) {
            continue;
        }
        let name = session.pool.name(s);
        match (session.kind_of(s), base.get(s)) {
            (Some(Kind::Scalar), Some(Value::Scalar(x))) => {
                out.push((InputRef::Scalar(s), name.to_string(), *x));
            }
            (Some(Kind::Tensor(_)), Some(Value::Tensor(t))) => {
                let n = t.data.len();
                let mut offsets: Vec<usize> = (0..MAX_ELEMENTS.min(n))
                    .map(|k| k * n / MAX_ELEMENTS.min(n))
                    .collect();
                offsets.dedup();
                for off in offsets {
                    out.push((
                        InputRef::Element(s, off),
                        format!("{name} (element {off})"),
                        t.data[off],
                    ));
                }
            }
            _ => {}
        }
    }
    out.truncate(MAX_AXES);
    out
}

/// The function's branch record with one input moved by `delta`, if it is defined.
fn record(tape: &Tape, inputs: &TapeInputs, input: InputRef, delta: f64) -> Option<u64> {
    tape.run::<Branches>(inputs, Some((input, Branches::from_f64(delta))))
        .ok()
        .filter(|b| b.value.is_finite())
        .map(|b| b.record)
}

/// The steps tried along an input, in increasing order: 0 and ±10^k for k from -3 to 6
/// in half decades.
fn steps() -> Vec<f64> {
    let mut up: Vec<f64> = (0..=18)
        .map(|k| 10f64.powf(-3.0 + 0.5 * f64::from(k)))
        .collect();
    let mut all: Vec<f64> = up.iter().rev().map(|t| -t).collect();
    all.push(0.0);
    all.append(&mut up);
    all
}

/// Where the record changes between `lo` and `hi` (whose records differ): the
/// bisection's last two steps, one on each side.
fn bisect(
    tape: &Tape,
    inputs: &TapeInputs,
    input: InputRef,
    x: f64,
    (mut lo, low_record): (f64, u64),
    mut hi: f64,
) -> (f64, f64) {
    for _ in 0..200 {
        let mid = lo + (hi - lo) / 2.0;
        // Stop where the moved input can no longer tell the steps apart.
        if x + mid == x + lo || x + mid == x + hi {
            break;
        }
        match record(tape, inputs, input, mid) {
            Some(r) if r == low_record => lo = mid,
            Some(_) => hi = mid,
            None => break,
        }
    }
    (lo, hi)
}

/// The points on either side of each kink found along each input, and on it.
fn kink_points(session: &mut Workspace, tape: &Tape, base: &Bindings) -> Vec<(Bindings, String)> {
    let Ok(inputs) = tape.inputs(&session.pool, base) else {
        return Vec::new();
    };
    // A function whose value no `abs` reaches has no kink to find.
    match tape.run::<Branches>(&inputs, None) {
        Ok(b) if b.record != 0 => {}
        _ => return Vec::new(),
    }
    let steps = steps();
    let mut out = Vec::new();
    let mut kinks = 0;
    for (input, name, x) in axes(session, base) {
        let runs: Vec<(f64, Option<u64>)> = steps
            .iter()
            .map(|&t| (t, record(tape, &inputs, input, t)))
            .collect();
        for w in runs.windows(2) {
            let ((t0, Some(r0)), (t1, Some(r1))) = (w[0], w[1]) else {
                continue;
            };
            if r0 == r1 || kinks >= MAX_KINKS {
                continue;
            }
            kinks += 1;
            let (lo, hi) = bisect(tape, &inputs, input, x, (t0, r0), t1);
            let at_kink = x + hi;
            // A thousandth of the kink's size away, but within the bracket on each
            // side, so that the point crosses no other kink the steps could miss.
            let away = 1e-3 * at_kink.abs().max(1.0);
            let left = lo - away.min((lo - t0) / 2.0).max(0.0);
            let right = hi + away.min((t1 - hi) / 2.0).max(0.0);
            for (delta, side) in [(left, "left of"), (right, "right of"), (hi, "at")] {
                if let Some(at) = moved(base, input, x + delta) {
                    out.push((at, format!("{side} a kink along {name} at {at_kink}")));
                }
            }
        }
    }
    out
}

/// `base` with one input set to `value`.
fn moved(base: &Bindings, input: InputRef, value: f64) -> Option<Bindings> {
    let mut at = base.clone();
    match input {
        InputRef::Scalar(s) => at.insert(s, Value::Scalar(value)),
        InputRef::Element(s, off) => {
            let Some(Value::Tensor(t)) = base.get(s) else {
                return None;
            };
            let mut data = t.data.clone();
            *data.get_mut(off)? = value;
            at.insert(
                s,
                Value::Tensor(std::rc::Rc::new(Tensor {
                    shape: t.shape.clone(),
                    data,
                })),
            );
        }
    }
    Some(at)
}

/// `base` with every value scaled by each of [`MAGNITUDES`], and then one name at a
/// time: a group of candidates per factor, of which the first that meets the facts is
/// taken.
fn magnitude_points(session: &Workspace, base: &Bindings) -> Vec<Vec<(Bindings, String)>> {
    let names: Vec<Symbol> = base
        .names()
        .filter(|&s| {
            !session.pool.is_label(s)
                && matches!(session.kind_of(s), Some(Kind::Scalar | Kind::Tensor(_)))
        })
        .collect();
    let mut out = Vec::new();
    for factor in MAGNITUDES {
        let mut group = Vec::new();
        let mut all = base.clone();
        for &s in &names {
            scale(&mut all, s, factor);
        }
        group.push((all, format!("the point scaled by {factor:e}")));
        if names.len() > 1 {
            for &s in &names {
                let mut one = base.clone();
                scale(&mut one, s, factor);
                let name = session.pool.name(s);
                group.push((one, format!("{name} scaled by {factor:e}")));
            }
        }
        out.push(group);
    }
    out
}

fn scale(at: &mut Bindings, s: Symbol, factor: f64) {
    let v = match at.get(s) {
        Some(Value::Scalar(x)) => Value::Scalar(x * factor),
        Some(Value::Tensor(t)) => Value::Tensor(std::rc::Rc::new(Tensor {
            shape: t.shape.clone(),
            data: t.data.iter().map(|x| x * factor).collect(),
        })),
        _ => return,
    };
    at.insert(s, v);
}

/// The session's `assume` facts, compiled, with the names each reads, to keep searched
/// points inside the domain.
struct Facts(Vec<(Compiled, Relation, Compiled, Vec<Symbol>)>);

impl Facts {
    fn compile(session: &mut Workspace) -> Facts {
        let facts = session.facts.clone();
        Facts(
            facts
                .iter()
                .map(|f| {
                    let mut names = session.names_used(f.subject);
                    names.extend(session.names_used(f.bound));
                    (
                        Compiled::new(session, f.subject),
                        f.relation,
                        Compiled::new(session, f.bound),
                        names,
                    )
                })
                .collect(),
        )
    }

    /// Whether every fact about the point's names holds at `at`. Unlike random
    /// sampling, which draws inside the facts, a searched point is moved out of its
    /// draw, so a fact about its names that cannot be evaluated there (one over free
    /// indices, `x[i] > 0`) counts as broken: the point is dropped rather than trusted.
    /// A fact about names the point does not bind says nothing.
    fn hold(&self, session: &mut Workspace, at: &Bindings) -> bool {
        self.0.iter().all(|(subject, relation, bound, names)| {
            let (Ok(s), Ok(b)) = (subject.eval(session, at), bound.eval(session, at)) else {
                return !names.iter().any(|&n| at.get(n).is_some());
            };
            crate::numeric::sample::relation_holds(*relation, s, b)
        })
    }
}
