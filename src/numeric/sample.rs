//! Random points: a seeded generator, points drawn from each name's domain (bounds from
//! `assume` facts, axis lengths shared by linked axes), and the comparison of two sides
//! at a point with the rounding their evaluation may carry.

use std::rc::Rc;

use rustc_hash::FxHashMap;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::kind::Kind;
use crate::expr::node::{ExprId, Node, Symbol};
use crate::lower::workspace::Workspace;
use crate::numeric::Compiled;
use crate::numeric::tape::Tape;
use crate::numeric::value::{Bindings, Tensor, Value};
use crate::print::text::to_text;
use crate::syntax::tree::Relation;

/// A small deterministic generator (SplitMix64), so a seed reproduces a run.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn bits(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.bits() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform number in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// A uniform integer below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.bits() % n.max(1) as u64) as usize
    }
}

/// Two compiled expressions at one point: `None` when the point is outside the left
/// one's domain (or lacks a name), else the left value and the right one where it is
/// defined. Claims and steps are judged this way: a point where the left side is
/// undefined says nothing about them.
pub fn eval_sides(
    pool: &crate::expr::pool::Pool,
    left: &Tape,
    right: &Tape,
    at: &Bindings,
) -> Option<(f64, Option<f64>)> {
    let (Ok(li), Ok(ri)) = (left.inputs(pool, at), right.inputs(pool, at)) else {
        return None;
    };
    let l = left.eval(&li).ok()?;
    Some((l, right.eval(&ri).ok()))
}

/// How much absolute rounding two evaluations of equal values may differ by beyond
/// their own size: a hundred-odd ulps of the largest intermediate either side computes.
/// This assumes the result moves with that intermediate one for one, which is the worst
/// case; callers cap it at a small share of the values themselves.
pub fn intermediate_rounding(
    pool: &crate::expr::pool::Pool,
    tapes: &[&Tape],
    at: &Bindings,
) -> f64 {
    tapes
        .iter()
        .filter_map(|t| t.inputs(pool, at).ok().map(|i| t.largest_intermediate(&i)))
        .fold(0.0, f64::max)
        * 1e-13
}

/// Whether two values that ought to be equal differ by no more than rounding, amplified
/// by how ill-conditioned `tape` is at `at`, can explain. The inputs (scalars and tensor
/// elements, not indices) are moved by about a billionth; a function whose value then
/// moves by `d` turns rounding errors of the inputs' size into differences near
/// `d / 10^4`, so a difference below `d / 1000` is no evidence of inequality
/// (`sin(5^(pi*x))` against `sin((5^pi)^x)` at `x = 2`). Where `d` is itself a
/// thousandth of the values, the point is hopeless and says nothing either.
pub fn within_conditioning(
    session: &Workspace,
    tape: &Tape,
    at: &Bindings,
    value: f64,
    difference: f64,
) -> bool {
    let mut moved = at.clone();
    let names: Vec<Symbol> = at.names().collect();
    for (k, s) in names.into_iter().enumerate() {
        // Each input moves by its own amount, so that no ratio of them stays fixed.
        let factor = 1.0 + 1e-9 * (1.0 + k as f64 * 0.37);
        let v = match (session.kind_of(s), at.get(s)) {
            (Some(Kind::Scalar), Some(Value::Scalar(v))) => Value::Scalar(v * factor),
            (Some(Kind::Tensor(_)), Some(Value::Tensor(t))) => Value::Tensor(Rc::new(Tensor {
                shape: t.shape.clone(),
                data: t.data.iter().map(|x| x * factor).collect(),
            })),
            _ => continue,
        };
        moved.insert(s, v);
    }
    let Ok(moved_value) = tape
        .inputs(&session.pool, &moved)
        .and_then(|i| tape.eval(&i))
    else {
        return false;
    };
    let d = (moved_value - value).abs();
    // Either the difference is rounding amplified by the conditioning, or the function
    // is so ill-conditioned here (a billionth's move changes it by a thousandth of its
    // size, as `sin` of 10^23 does) that no evaluation of it means anything.
    d.is_finite() && (difference <= 1e-3 * d || d >= 1e-3 * value.abs().max(difference))
}

/// Draws a random point for every name the expressions use (see the module docs).
pub fn sample_for(session: &mut Workspace, exprs: &[ExprId], rng: &mut Rng) -> Result<Bindings> {
    sample_spread(session, exprs, rng, 1.0)
}

/// Axis lengths that random points must respect beyond the links lowering records.
#[derive(Clone, Debug, Default)]
pub struct Lengths {
    /// Axes (`len` nodes) whose length is fixed, and the length.
    pub fixed: Vec<(ExprId, usize)>,
    /// Pairs of axes that an index links once every definition is expanded in place:
    /// `sum(j, W2[i, j]*h1[j])` links `W2`'s second axis to the axis of `h1`'s index,
    /// the first of `W1`.
    pub links: Vec<(ExprId, ExprId)>,
}

impl Lengths {
    /// The links of the expressions with their definitions expanded, and no length
    /// fixed yet.
    pub fn linked(pool: &mut crate::expr::pool::Pool, exprs: &[ExprId]) -> Lengths {
        let mut uses: Vec<(usize, ExprId)> = Vec::new();
        let mut free = FxHashMap::default();
        let mut next = 0usize;
        let mut seen = rustc_hash::FxHashSet::default();
        for &e in exprs {
            let expanded = pool.expand_all_calls(e);
            let mut env = Vec::new();
            axis_uses(
                pool, expanded, &mut env, &mut free, &mut next, &mut uses, &mut seen,
            );
        }
        uses.sort_unstable_by_key(|u| u.0);
        let links = uses
            .windows(2)
            .filter(|w| w[0].0 == w[1].0 && w[0].1 != w[1].1)
            .map(|w| (w[0].1, w[1].1))
            .collect();
        Lengths {
            fixed: Vec::new(),
            links,
        }
    }
}

/// The axes each index runs over in `id` (once calls are expanded): for each binder (a
/// sum, or a free index by name), the `len` nodes of the axes it selects.
fn axis_uses(
    pool: &mut crate::expr::pool::Pool,
    id: ExprId,
    env: &mut Vec<(Symbol, usize)>,
    free: &mut FxHashMap<Symbol, usize>,
    next: &mut usize,
    uses: &mut Vec<(usize, ExprId)>,
    seen: &mut rustc_hash::FxHashSet<(ExprId, Vec<usize>)>,
) {
    if !seen.insert((id, env.iter().map(|e| e.1).collect())) {
        return;
    }
    match pool.node(id).clone() {
        Node::Sum { index, range, body } => {
            let b = *next;
            *next += 1;
            if let Node::Len(..) = pool.node(range) {
                uses.push((b, range));
            }
            env.push((index, b));
            axis_uses(pool, body, env, free, next, uses, seen);
            env.pop();
        }
        Node::Elem(t, idx) => {
            for (k, &i) in idx.iter().enumerate() {
                let Node::Index(s) = *pool.node(i) else {
                    continue;
                };
                let binder = match env.iter().rev().find(|e| e.0 == s) {
                    Some(e) => e.1,
                    None => *free.entry(s).or_insert_with(|| {
                        *next += 1;
                        *next - 1
                    }),
                };
                let len = pool.len_of(t, k as u32);
                uses.push((binder, len));
            }
        }
        other => {
            for c in crate::expr::node::children(&other) {
                axis_uses(pool, c, env, free, next, uses, seen);
            }
        }
    }
}

/// The length of [`Draw::long`]'s axis.
pub const LONG_AXIS: usize = 64;

/// How a random point is drawn: the scale of its values, whether some are set to
/// special values, and the length of every axis that nothing else fixes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Draw {
    /// The scale of unbounded values. At 1, scalars are drawn from -3 to 3, positives
    /// log-uniformly from 0.01 to 100, and tensor elements from -2 to 2; a larger
    /// spread stretches the ranges (positives over the decades above), and a spread
    /// below 1 shrinks them to tiny magnitudes (positives just above their bound).
    pub spread: f64,
    /// Whether each value (a scalar, or a tensor's element) is set to 0, 1 or -1 with
    /// probability one half where the facts allow, and tensor elements tie: the special
    /// values where claims true almost everywhere fail (`0^x = 0` at `x = 0`, a max of
    /// two equal elements).
    pub special: bool,
    /// With `special`, one value for every scalar (0: the origin of `(x, y)`, where a
    /// claim true everywhere else may fail), instead of values drawn one by one.
    pub all: Option<f64>,
    /// The length of every axis that neither `--len` nor a link fixes, instead of a
    /// random length from 1 to 8.
    pub axis: Option<usize>,
    /// One axis (the `k`-th class of linked axes to be given a length) 64 long, the
    /// others as usual: a long axis at a time, so that nested sums over several axes
    /// stay cheap enough to certify.
    pub long: Option<usize>,
}

impl Default for Draw {
    fn default() -> Draw {
        Draw {
            spread: 1.0,
            special: false,
            all: None,
            long: None,
            axis: None,
        }
    }
}

/// [`sample_for`], with the axis lengths `lengths` fixes and links.
pub fn sample_with(
    session: &mut Workspace,
    exprs: &[ExprId],
    rng: &mut Rng,
    lengths: &Lengths,
) -> Result<Bindings> {
    sample(session, exprs, rng, &Draw::default(), lengths)
}

/// [`sample_for`], with the ranges of unbounded scalars stretched by `spread`: for
/// expressions defined only far from 0 (`ln(x - 5)`), after the usual ranges found no
/// point.
pub fn sample_spread(
    session: &mut Workspace,
    exprs: &[ExprId],
    rng: &mut Rng,
    spread: f64,
) -> Result<Bindings> {
    let draw = Draw {
        spread,
        ..Draw::default()
    };
    sample(session, exprs, rng, &draw, &Lengths::default())
}

/// A random point drawn as `draw` says (see [`Draw`]), meeting the facts.
pub fn sample_draw(
    session: &mut Workspace,
    exprs: &[ExprId],
    rng: &mut Rng,
    draw: &Draw,
) -> Result<Bindings> {
    sample(session, exprs, rng, draw, &Lengths::default())
}

/// Sets scalars and tensor elements of `at` to special values (see [`Draw::special`]),
/// each change kept only where the facts still hold.
fn make_special(
    session: &mut Workspace,
    facts: &[CompiledFact],
    at: &mut Bindings,
    all: Option<f64>,
    rng: &mut Rng,
) {
    let names: Vec<Symbol> = at.names().collect();
    // One point in four puts every scalar at one value, half of them at 0, when the
    // caller did not choose one.
    let all = all.or_else(|| (rng.below(4) == 0).then(|| [0.0, 0.0, 1.0, -1.0][rng.below(4)]));
    for s in names {
        let Some(old) = at.get(s).cloned() else {
            continue;
        };
        let new = match (session.kind_of(s), &old) {
            (Some(Kind::Scalar), _) => match all {
                Some(v) => Value::Scalar(v),
                None if rng.below(2) == 0 => continue,
                None => Value::Scalar([0.0, 1.0, -1.0][rng.below(3)]),
            },
            (Some(Kind::Tensor(_)), Value::Tensor(t)) if !session.pool.is_label(s) => {
                let mut data = t.data.clone();
                for k in 0..data.len() {
                    if rng.below(2) == 0 {
                        continue;
                    }
                    // A tie with the element before it, or 0, 1 or -1.
                    data[k] = match rng.below(4) {
                        3 if k > 0 => data[k - 1],
                        3 => 0.0,
                        c => [0.0, 1.0, -1.0][c],
                    };
                }
                Value::Tensor(Rc::new(Tensor {
                    shape: t.shape.clone(),
                    data,
                }))
            }
            _ => continue,
        };
        at.insert(s, new);
        if !facts_hold(session, facts, at) {
            at.insert(s, old);
        }
    }
}

/// A random point whose scalars meet the facts, drawn again until they do.
fn sample(
    session: &mut Workspace,
    exprs: &[ExprId],
    rng: &mut Rng,
    how: &Draw,
    lengths: &Lengths,
) -> Result<Bindings> {
    // Scalars, and tensors' elements bounded alike (`assume x[i] > 0`), are drawn
    // inside their own bounds; any other fact (`z[0] > 0`, `x - y > 0`,
    // `x[i] > y[i]`) is met by drawing again. The facts are compiled once for all draws.
    let facts = compile_facts(session);
    let equalities = crate::numeric::meet::plan(session);
    for _ in 0..64 {
        let mut at = draw(session, exprs, rng, how, lengths)?;
        crate::numeric::meet::meet_equalities(session, &equalities, &mut at, rng);
        if facts_hold(session, &facts, &at) {
            if how.special {
                make_special(session, &facts, &mut at, how.all, rng);
            }
            return Ok(at);
        }
    }
    Err(Error::new(
        ErrorKind::Domain,
        "no random point satisfies the `assume` facts",
    )
    .with_hint(
        "check that the facts can hold together; a fact about every element of a tensor \
         is drawn directly only when it bounds the element by a constant (`x[i] > 0`)",
    ))
}

/// A fact, each side compiled, with the free indices it holds for every value of.
struct CompiledFact {
    subject: Compiled,
    relation: Relation,
    bound: Compiled,
    /// The free indices of an inequality (`x[i] > y[i]`) with the axis each runs over:
    /// the fact holds at a point when it holds at every value of them.
    free: Vec<(Symbol, ExprId)>,
}

/// The session's facts, compiled.
fn compile_facts(session: &mut Workspace) -> Vec<CompiledFact> {
    let facts = session.facts.clone();
    facts
        .iter()
        .map(|f| {
            // An equality over free indices (`sum(k, Y[n, k]) = 1`) holds at every
            // value of them: it is checked as the sum over them of its squared
            // difference, which is 0 exactly when every instance holds.
            let free = session.pool.free_indices(f.subject);
            if f.relation == Relation::Equal && !free.is_empty() {
                let pool = &mut session.pool;
                let d = pool.sub(f.subject, f.bound);
                let two = pool.int(2);
                let mut squared = pool.pow(d, two);
                for s in free {
                    let Some(range) = pool.axis_of(s, f.subject) else {
                        continue;
                    };
                    squared = pool.sum(s, range, squared);
                }
                let zero = pool.int(0);
                return CompiledFact {
                    subject: Compiled::new(session, squared),
                    relation: f.relation,
                    bound: Compiled::new(session, zero),
                    free: Vec::new(),
                };
            }
            let free = free
                .into_iter()
                .filter_map(|s| session.pool.axis_of(s, f.subject).map(|r| (s, r)))
                .collect();
            CompiledFact {
                subject: Compiled::new(session, f.subject),
                relation: f.relation,
                bound: Compiled::new(session, f.bound),
                free,
            }
        })
        .collect()
}

/// The most instances of one fact over its free indices that a point is checked at;
/// past it, the point is drawn again (a fact that cannot be checked is not assumed).
const MAX_INSTANCES: usize = 1 << 20;

/// Whether every fact that can be evaluated at `at` holds there, at every value of its
/// free indices; a fact about names the point does not bind says nothing.
fn facts_hold(session: &mut Workspace, facts: &[CompiledFact], at: &Bindings) -> bool {
    facts.iter().all(|f| {
        if f.free.is_empty() {
            return fact_holds_once(session, f, at);
        }
        // The length of each free index's axis at this point.
        let mut lengths = Vec::with_capacity(f.free.len());
        for &(_, range) in &f.free {
            let n = match session.pool.node(range).clone() {
                Node::Len(t, a) => match at.get(t) {
                    Some(Value::Tensor(tv)) => tv.shape.get(a as usize).copied(),
                    _ => None,
                },
                _ => crate::expr::constant::constant_value(&session.pool, range)
                    .filter(|v| *v >= 0.0 && v.fract() == 0.0)
                    .map(|v| v as usize),
            };
            match n {
                Some(n) => lengths.push(n),
                // The tensor the fact is about is not part of this point.
                None => return true,
            }
        }
        if lengths.iter().product::<usize>() > MAX_INSTANCES {
            return false;
        }
        let mut here = at.clone();
        let mut value = vec![0usize; lengths.len()];
        if lengths.contains(&0) {
            return true;
        }
        loop {
            for (k, &(s, _)) in f.free.iter().enumerate() {
                here.insert(s, Value::Scalar(value[k] as f64));
            }
            if !fact_holds_once(session, f, &here) {
                return false;
            }
            // The next combination of index values, the last index fastest.
            let mut k = value.len();
            loop {
                if k == 0 {
                    return true;
                }
                k -= 1;
                value[k] += 1;
                if value[k] < lengths[k] {
                    break;
                }
                value[k] = 0;
            }
        }
    })
}

/// Whether the session's facts hold at `at`, at every value of their free indices, for a caller that
/// moved a value of a drawn point.
pub fn facts_hold_at(session: &mut Workspace, at: &Bindings) -> bool {
    let facts = compile_facts(session);
    facts_hold(session, &facts, at)
}

/// Whether one instance of a fact holds at `at`, or cannot be evaluated there.
fn fact_holds_once(session: &mut Workspace, f: &CompiledFact, at: &Bindings) -> bool {
    let (Ok(s), Ok(b)) = (f.subject.eval(session, at), f.bound.eval(session, at)) else {
        return true;
    };
    relation_holds(f.relation, s, b)
}

/// Whether `s relation b` holds between two values in `f64`; an equality holds to
/// rounding, since a draw was made to meet it in `f64`.
pub fn relation_holds(relation: Relation, s: f64, b: f64) -> bool {
    match relation {
        Relation::Greater => s > b,
        Relation::GreaterEq => s >= b,
        Relation::Less => s < b,
        Relation::LessEq => s <= b,
        Relation::NotEq => s != b,
        Relation::Equal => (s - b).abs() <= 1e-9 * (1.0 + s.abs().max(b.abs())),
    }
}

/// One random point, each scalar inside the bounds its own facts give, each axis as
/// long as those linked to it, and as `lengths` fixes it.
fn draw(
    session: &mut Workspace,
    exprs: &[ExprId],
    rng: &mut Rng,
    how: &Draw,
    lengths: &Lengths,
) -> Result<Bindings> {
    let spread = how.spread;
    let mut names: Vec<Symbol> = Vec::new();
    for &e in exprs {
        for s in session.names_used(e) {
            if !names.contains(&s) {
                names.push(s);
            }
        }
    }
    // Axis lengths: one per class of equal axes, fixed or drawn from 1 to 8.
    let mut eqs: Vec<(ExprId, ExprId)> = session
        .equal_lengths
        .iter()
        .map(|&(a, b, _)| (a, b))
        .collect();
    eqs.extend(lengths.links.iter().copied());
    let class_of = |len: ExprId| -> Vec<ExprId> {
        // Every axis linked to this one has the same length.
        let mut class = vec![len];
        let mut k = 0;
        while k < class.len() {
            for &(a, b) in &eqs {
                if a == class[k] && !class.contains(&b) {
                    class.push(b);
                }
                if b == class[k] && !class.contains(&a) {
                    class.push(a);
                }
            }
            k += 1;
        }
        class
    };
    let mut known: FxHashMap<ExprId, usize> = FxHashMap::default();
    // Which fixed axis gave each axis its length, to name both when two disagree.
    let mut given_by: FxHashMap<ExprId, ExprId> = FxHashMap::default();
    for &(len, n) in &lengths.fixed {
        for c in class_of(len) {
            if let Some(&m) = known.get(&c)
                && m != n
            {
                let other = given_by.get(&c).copied().unwrap_or(c);
                let pool = &session.pool;
                let (a, b) = (to_text(pool, other), to_text(pool, len));
                return Err(Error::new(
                    ErrorKind::Binding,
                    format!("--len makes {a} {m} and {b} {n}, but an index links the two axes"),
                )
                .with_hint("give linked axes one length, or fix only one of them"));
            }
            known.insert(c, n);
            given_by.insert(c, len);
        }
    }
    let mut classes = 0usize;
    let mut length_of = |session: &mut Workspace, len: ExprId, rng: &mut Rng| -> usize {
        if let Some(&n) = known.get(&len) {
            return n;
        }
        let n = if how.long == Some(classes) {
            LONG_AXIS
        } else {
            how.axis.unwrap_or_else(|| 1 + rng.below(8))
        };
        classes += 1;
        for c in class_of(len) {
            known.insert(c, n);
        }
        let _ = session;
        n
    };
    let mut b = Bindings::new();
    // Tensors first, so that indices know their ranges; labels (`y` in `Z[n, y[n]]`)
    // last, so that the axis they index has its length: their values are whole
    // numbers below it.
    let (labels, others): (Vec<Symbol>, Vec<Symbol>) =
        names.iter().partition(|&&s| session.pool.is_label(s));
    for &s in others.iter().chain(&labels) {
        if let Some(Kind::Tensor(r)) = session.kind_of(s) {
            let mut shape = Vec::new();
            for a in 0..r {
                let len = session.pool.len_of(s, a);
                shape.push(length_of(session, len, rng));
            }
            let total: usize = shape.iter().product();
            let data = if session.pool.is_label(s) {
                let below = match session.pool.label_range(s) {
                    Some(len) => length_of(session, len, rng),
                    None => 3,
                };
                (0..total).map(|_| rng.below(below) as f64).collect()
            } else {
                // Elements bounded by facts about every element (`x[i] > 0`) are drawn
                // inside the bounds, as scalars are; others from -2 to 2, stretched
                // by the spread.
                let bounds = Bounds::of(session, |n| element_of(&session.pool, n, s));
                if bounds.is_open() {
                    let w = 2.0 * spread;
                    (0..total).map(|_| rng.range(-w, w)).collect()
                } else {
                    (0..total).map(|_| bounds.draw(rng, spread)).collect()
                }
            };
            b.insert(s, Value::Tensor(Rc::new(Tensor { shape, data })));
        }
    }
    for &s in &names {
        match session.kind_of(s) {
            Some(Kind::Scalar) => {
                let v = sample_scalar(session, s, rng, spread);
                b.insert(s, Value::Scalar(v));
            }
            Some(Kind::Index) => {
                // The axis the index selects in these expressions, before any range
                // recorded by another statement of the file.
                let own = exprs.iter().find_map(|&e| session.pool.axis_of(s, e));
                let n = match own.or_else(|| session.index_ranges.get(&s).copied()) {
                    Some(len) => match session.pool.node(len).clone() {
                        Node::Len(t, a) => match b.get(t) {
                            Some(Value::Tensor(tv)) => {
                                tv.shape.get(a as usize).copied().unwrap_or(1)
                            }
                            _ => length_of(session, len, rng),
                        },
                        _ => 3,
                    },
                    None => 3,
                };
                b.insert(s, Value::Scalar(rng.below(n) as f64));
            }
            _ => {}
        }
    }
    Ok(b)
}

/// A scalar drawn from its domain: bounds from `assume` facts; a positive name without
/// an upper bound log-uniformly from 0.01 to 100; otherwise uniformly from -3 to 3.
fn sample_scalar(session: &Workspace, s: Symbol, rng: &mut Rng, spread: f64) -> f64 {
    Bounds::of(session, |n| matches!(n, Node::Sym(x) if *x == s)).draw(rng, spread)
}

/// Whether `n` is an element of tensor `t` at free indices only (`x[i]`, `W[i, j]`),
/// so that a fact about it bounds every element.
fn element_of(pool: &crate::expr::pool::Pool, n: &Node, t: Symbol) -> bool {
    let Node::Elem(x, idx) = n else {
        return false;
    };
    *x == t && !idx.is_empty() && idx.iter().all(|&i| matches!(pool.node(i), Node::Index(_)))
}

/// The bounds the `assume` facts give one value: a scalar, or every element of a
/// tensor.
struct Bounds {
    lo: f64,
    hi: f64,
    /// Values it must not take (`x != 0`).
    avoid: Vec<f64>,
}

impl Bounds {
    /// The bounds of the facts whose subject `is_subject` accepts, with constant bounds.
    fn of(session: &Workspace, is_subject: impl Fn(&Node) -> bool) -> Bounds {
        let mut b = Bounds {
            lo: f64::NEG_INFINITY,
            hi: f64::INFINITY,
            avoid: Vec::new(),
        };
        for f in &session.facts {
            if !is_subject(session.pool.node(f.subject)) {
                continue;
            }
            let Some(v) = crate::expr::constant::constant_value(&session.pool, f.bound) else {
                continue;
            };
            match f.relation {
                Relation::Greater | Relation::GreaterEq => b.lo = b.lo.max(v),
                Relation::Less | Relation::LessEq => b.hi = b.hi.min(v),
                Relation::NotEq => b.avoid.push(v),
                Relation::Equal => {
                    b.lo = b.lo.max(v);
                    b.hi = b.hi.min(v);
                }
            }
        }
        b
    }

    /// Whether no fact bounds the value.
    fn is_open(&self) -> bool {
        self.lo == f64::NEG_INFINITY && self.hi == f64::INFINITY && self.avoid.is_empty()
    }

    /// A value inside the bounds, at the scale `spread` (see [`Draw::spread`]).
    fn draw(&self, rng: &mut Rng, spread: f64) -> f64 {
        let (lo, hi) = (self.lo, self.hi);
        for _ in 0..100 {
            let v = match (lo.is_finite(), hi.is_finite()) {
                (true, true) => {
                    let m = (hi - lo) * if spread < 1.0 { 1e-9 } else { 1e-3 };
                    if spread < 1.0 {
                        // Tiny: just inside one end or the other.
                        let d = (hi - lo) * 10f64.powf(rng.range(-9.0, -3.0));
                        if rng.below(2) == 0 { lo + d } else { hi - d }
                    } else {
                        rng.range(lo + m, hi - m)
                    }
                }
                (true, false) if lo >= 0.0 => {
                    // Log-uniform over six decades; when the caller spreads far, over
                    // the decades above them, up to `spread` times the usual top; when
                    // it asks for tiny values, over the decades just above the bound.
                    let a = lo.max(1e-2);
                    let (bottom, top) = if spread > 10.0 {
                        (a * 1e4, a * 1e4 * spread)
                    } else if spread < 1.0 {
                        let base = if lo > 0.0 { lo } else { 1.0 };
                        return lo + base * 10f64.powf(rng.range(-12.0, -4.0));
                    } else {
                        (a, a * 1e4)
                    };
                    (rng.range(bottom.ln(), top.ln())).exp()
                }
                (true, false) => rng.range(lo + 1e-3 * spread.min(1.0), lo + 6.0 * spread),
                (false, true) => rng.range(hi - 6.0 * spread, hi - 1e-3 * spread.min(1.0)),
                (false, false) => rng.range(-3.0 * spread, 3.0 * spread),
            };
            if !self.avoid.iter().any(|&a| (v - a).abs() < 1e-6) {
                return v;
            }
        }
        lo.max(-3.0).min(hi) + 0.5
    }
}
