//! The step checker: re-verifies a derivation without the simplifier's search.
//!
//! A derivation is a list of [`Step`]s, and each step keeps its rule instances
//! ([`Rewrite`]s): the subexpression a rule matched and what it became. The checker
//! trusts the pool's canonical constructors (flattening, ordering, collecting like terms,
//! exact arithmetic) and nothing else. For every step it confirms:
//!
//! 1. **each rule instance** is correct: the matched subexpression has the rule's shape,
//!    the result is what the rule gives, and the rule's side condition is proved from the
//!    `assume` facts;
//! 2. **the step is made of its instances**: rebuilding `before` from the bottom up,
//!    with every matched subexpression replaced by its result, gives `after`;
//! 3. **the step holds numerically**: `before` and `after` agree at random points.
//!
//! The steps must also chain (each begins where the last ended), and a proof must begin
//! with `lhs - rhs` and end at 0.
//!
//! "The result is what the rule gives" is decided by the checker's own code, not by the
//! modules that produced the step:
//!
//! - algebraic rules (`distribute`, `factor-common`, `sum-linearity`,
//!   `sum-delta-contract`) hold when both sides have the same normal form: every
//!   product multiplied out, every sum split over its terms, and a delta inside a sum
//!   contracted only where its index is proved to range over the sum's axis;
//! - definition rules (`fold-definition`, `expand-definition`) hold when the two sides
//!   agree once every call is replaced by its definition's body;
//! - derivative rules (`product-rule`, `chain-rule-exp`, ..., and `differentiate` for a
//!   whole derivative) are recomputed from this module's own table of derivatives;
//! - the conditional rules of [`crate::simplify::rules`] are matched by their own patterns here,
//!   and their conditions proved by [`crate::simplify::sign`];
//! - the prover's normal-form rules have their own checks: `numeric-power` exactly, by
//!   the prime factorization of both sides; `power-of-product` and `combine-logarithms`
//!   with their positivity conditions; `sum-exchange` by flattening both sides into
//!   bound indices and factors and finding a one-to-one matching of the indices;
//!   `exp-out-of-sum` and `clear-denominators` by the normal form.
//!
//! Replay (point 2) tries the step's instances top down on the expression as it stood
//! (a derivation's round, including one under the outer derivatives of a higher
//! derivative), then bottom up, with and without rewriting inside results (the
//! simplifier's passes). The numeric check samples indices in the ranges the
//! derivation's variables give and honours every `assume` fact; it skips points where
//! a differentiated function is undefined and differences that rounding explains.
//!
//! A failure is a bug in gauge: the prover reports it loudly and falls back to numbers.

use num_rational::BigRational;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::diag::error::{Error, ErrorKind};
use crate::expr::node::{Constant, ExprId, Func, Node, Symbol};
use crate::expr::pool::Pool;
use crate::lower::workspace::{Fact, Workspace};
use crate::numeric::sample::{
    Rng, eval_sides, intermediate_rounding, sample_for, within_conditioning,
};
use crate::numeric::tape::Tape;
use crate::simplify::sign::Signs;
use crate::trace::{Rewrite, Step};

/// How many random points each step is evaluated at.
pub const POINTS_PER_STEP: usize = 8;

/// The most terms the normalizer multiplies out before it gives up on an instance.
const MAX_TERMS: usize = 20_000;

/// What a successful check covered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verified {
    /// Steps checked.
    pub steps: usize,
    /// Rule instances checked.
    pub rewrites: usize,
    /// Random points at which a step's two sides were compared.
    pub points: usize,
}

/// Why a derivation failed the checker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The step, counted from 1 (0 for the derivation as a whole).
    pub step: usize,
    /// The rule whose instance failed, if one did.
    pub rule: Option<String>,
    /// What went wrong.
    pub reason: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.rule, self.step) {
            (Some(r), s) => write!(f, "step {s}, rule `{r}`: {}", self.reason),
            (None, 0) => write!(f, "{}", self.reason),
            (None, s) => write!(f, "step {s}: {}", self.reason),
        }
    }
}

/// Checks a proof of `lhs = rhs`: the steps chain from `lhs - rhs` to 0, and every step
/// passes [`check_steps`].
pub fn check_proof(
    session: &mut Workspace,
    lhs: ExprId,
    rhs: ExprId,
    steps: &[Step],
    seed: u64,
) -> Result<Verified, Failure> {
    let start = session.pool.sub(lhs, rhs);
    let whole = |reason: String| Failure {
        step: 0,
        rule: None,
        reason,
    };
    let end = steps.last().map_or(start, |s| s.after);
    if steps.first().is_some_and(|s| s.before != start) {
        return Err(whole("the proof does not begin with lhs - rhs".into()));
    }
    if !session.pool.is_int(end, 0) {
        return Err(whole("the proof does not end at 0".into()));
    }
    check_steps(session, steps, seed)
}

/// Checks every step of a derivation (see the module docs).
pub fn check_steps(
    session: &mut Workspace,
    steps: &[Step],
    seed: u64,
) -> Result<Verified, Failure> {
    let known = known_ranges(&mut session.pool, steps);
    let mut rng = Rng(seed);
    // A step after the derivatives are gone (`sum(j, delta(i, j))` to 1) still needs
    // `i` below `len(v)`, as the derivation's variable `v[i]` says: the numeric checks
    // sample each such index in its range.
    let saved = session.index_ranges.clone();
    for &(index, len) in &known {
        if let Node::Index(s) = session.pool.node(index).clone() {
            session.index_ranges.insert(s, len);
        }
    }
    let result = check_each(session, steps, &known, &mut rng);
    session.index_ranges = saved;
    result
}

/// [`check_steps`] once the index ranges are known.
fn check_each(
    session: &mut Workspace,
    steps: &[Step],
    known: &[(ExprId, ExprId)],
    rng: &mut Rng,
) -> Result<Verified, Failure> {
    let facts = session.facts.clone();
    let builtins = session.builtin_definitions();
    let mut out = Verified::default();
    for (k, step) in steps.iter().enumerate() {
        let fail = |rule: Option<&str>, reason: String| Failure {
            step: k + 1,
            rule: rule.map(str::to_string),
            reason,
        };
        if k > 0 && steps[k - 1].after != step.before {
            return Err(fail(
                None,
                "it does not begin where the last step ended".into(),
            ));
        }
        let mut kernel = Kernel::new(&mut session.pool, &facts, builtins.clone(), known);
        for rw in &step.rewrites {
            kernel.check_rewrite(rw).map_err(|reason| {
                let shown = |e: ExprId| shorten(&crate::print::text::to_text(kernel.pool, e));
                let at = format!(" (at `{}` -> `{}`)", shown(rw.before), shown(rw.after));
                fail(Some(&rw.rule.name()), reason + &at)
            })?;
        }
        // Some passes take a rule's result as it is (a derivation's round); others
        // rewrite inside it again (the simplifier). Either replay justifies the step,
        // since it uses only the instances checked above. A derivation's round matches
        // the expression as it stood, outermost first, so it is replayed that way too:
        // rebuilding first could make a product cancel into a node that another
        // instance matched elsewhere.
        let mut replayed = None;
        if replay_top_down(&mut session.pool, step.before, &step.rewrites) == step.after {
            replayed = Some(step.after);
        }
        for into_results in [false, true] {
            if replayed.is_some() {
                break;
            }
            let r = replay(&mut session.pool, step.before, &step.rewrites, into_results)
                .map_err(|reason| fail(None, reason))?;
            if r == step.after {
                replayed = Some(r);
            }
        }
        if replayed.is_none() {
            return Err(fail(
                None,
                "its rule instances do not turn the expression before it into the one after it"
                    .into(),
            ));
        }
        out.points += numeric(session, step, rng).map_err(|reason| fail(None, reason))?;
        out.steps += 1;
        out.rewrites += step.rewrites.len();
    }
    Ok(out)
}

/// A long expression's text cut to a readable length.
fn shorten(text: &str) -> String {
    const MAX: usize = 160;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}...")
    }
}

/// The indices of the derivatives' variables, with the lengths they range below: in
/// `diff(f, z[i])`, `i` indexes `z` and so takes values below `len(z)`.
fn known_ranges(pool: &mut Pool, steps: &[Step]) -> Vec<(ExprId, ExprId)> {
    let mut vars = Vec::new();
    let mut seen = FxHashSet::default();
    let mut todo: Vec<ExprId> = steps.iter().map(|s| s.before).collect();
    while let Some(x) = todo.pop() {
        if !seen.insert(x) {
            continue;
        }
        let n = pool.node(x);
        if let Node::Diff { var, .. } = n
            && let Node::Elem(t, idx) = pool.node(*var)
        {
            vars.push((*t, idx.clone()));
        }
        todo.extend(crate::expr::node::children(n));
    }
    let mut out = Vec::new();
    for (t, idx) in vars {
        for (a, &i) in idx.iter().enumerate() {
            out.push((i, pool.len_of(t, a as u32)));
        }
    }
    out
}

/// Rebuilds `id` from the top down: a subexpression that an instance matched becomes
/// that instance's result, and the rest is rebuilt from its children.
fn replay_top_down(pool: &mut Pool, id: ExprId, rewrites: &[Rewrite]) -> ExprId {
    let map: FxHashMap<ExprId, ExprId> = rewrites.iter().map(|r| (r.before, r.after)).collect();
    let mut memo = FxHashMap::default();
    top_down_rec(pool, id, &map, &mut memo)
}

fn top_down_rec(
    pool: &mut Pool,
    id: ExprId,
    map: &FxHashMap<ExprId, ExprId>,
    memo: &mut FxHashMap<ExprId, ExprId>,
) -> ExprId {
    if let Some(&r) = map.get(&id).or_else(|| memo.get(&id)) {
        return r;
    }
    // `diff(u, x, n)` is `diff(diff(u, x), x, n - 1)`: an instance that matched the inner
    // first derivative applies under the outer ones (a higher derivative's steps).
    if let Node::Diff { expr, var, order } = pool.node(id).clone()
        && order > 1
    {
        let first = pool.diff(expr, var, 1);
        if let Some(&inner) = map.get(&first) {
            let r = pool.diff(inner, var, order - 1);
            memo.insert(id, r);
            return r;
        }
    }
    let kids: Vec<ExprId> = crate::expr::node::children(pool.node(id))
        .into_iter()
        .map(|c| top_down_rec(pool, c, map, memo))
        .collect();
    let out = pool.rebuild(id, &kids);
    memo.insert(id, out);
    out
}

/// Rebuilds `id` from the bottom up, replacing each matched subexpression by its result
/// (and the result's own matches, in turn).
fn replay(
    pool: &mut Pool,
    id: ExprId,
    rewrites: &[Rewrite],
    into_results: bool,
) -> Result<ExprId, String> {
    let mut map: FxHashMap<ExprId, ExprId> = FxHashMap::default();
    for rw in rewrites {
        match map.get(&rw.before) {
            Some(&other) if other != rw.after => {
                return Err("two rule instances rewrite the same subexpression differently".into());
            }
            _ => {
                map.insert(rw.before, rw.after);
            }
        }
    }
    let mut memo = FxHashMap::default();
    let mut active = FxHashSet::default();
    let mut redexes = Redexes {
        map,
        within: FxHashMap::default(),
        into_results,
    };
    replay_rec(pool, id, &mut redexes, &mut memo, &mut active, true)
}

/// The rewrites of a step by the subexpression they match, and which subexpressions
/// hold a match somewhere inside.
struct Redexes {
    map: FxHashMap<ExprId, ExprId>,
    within: FxHashMap<ExprId, bool>,
    /// Whether a rule's result is rewritten again where an instance matches inside it.
    into_results: bool,
}

impl Redexes {
    fn within(&mut self, pool: &Pool, id: ExprId) -> bool {
        if let Some(&w) = self.within.get(&id) {
            return w;
        }
        let w = self.map.contains_key(&id)
            || crate::expr::node::children(pool.node(id))
                .into_iter()
                .any(|c| self.within(pool, c));
        self.within.insert(id, w);
        w
    }
}

fn replay_rec(
    pool: &mut Pool,
    id: ExprId,
    redexes: &mut Redexes,
    memo: &mut FxHashMap<ExprId, ExprId>,
    active: &mut FxHashSet<ExprId>,
    original: bool,
) -> Result<ExprId, String> {
    if let Some(&r) = memo.get(&id) {
        return Ok(r);
    }
    // The expression a step starts from is rebuilt throughout, as the passes that make
    // steps rebuild it; a rule's result is taken as the rule gave it, except where a
    // further rule instance matches inside it.
    if !original && !redexes.within(pool, id) {
        return Ok(id);
    }
    if !active.insert(id) {
        return Err("the rule instances rewrite in a cycle".into());
    }
    let kids: Vec<ExprId> = crate::expr::node::children(pool.node(id))
        .into_iter()
        .map(|c| replay_rec(pool, c, redexes, memo, active, original))
        .collect::<Result<_, _>>()?;
    let mut out = pool.rebuild(id, &kids);
    if let Some(&next) = redexes.map.get(&out)
        && next != out
    {
        out = if redexes.into_results {
            replay_rec(pool, next, redexes, memo, active, false)?
        } else {
            next
        };
    }
    active.remove(&id);
    memo.insert(id, out);
    Ok(out)
}

/// Evaluates both sides of a step at random points; returns how many points agreed.
fn numeric(session: &mut Workspace, step: &Step, rng: &mut Rng) -> Result<usize, String> {
    let take = |session: &mut Workspace, e: ExprId| {
        crate::calculus::derivation::take_derivatives(&mut session.pool, e)
            .map(|(d, _)| d)
            .map_err(|e| format!("its derivatives cannot be taken: {}", e.message))
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
                return Err(format!(
                    "its two sides differ at a random point: {l} before, {r} after"
                ));
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

/// The checks of single rule instances.
struct Kernel<'a> {
    pool: &'a mut Pool,
    facts: &'a [Fact],
    builtins: Vec<(Func, crate::expr::node::DefId)>,
    normal: Normalizer,
    /// The same without multiplying out: contraction and the power splits only.
    light: Normalizer,
}

impl<'a> Kernel<'a> {
    fn new(
        pool: &'a mut Pool,
        facts: &'a [Fact],
        builtins: Vec<(Func, crate::expr::node::DefId)>,
        known: &[(ExprId, ExprId)],
    ) -> Kernel<'a> {
        Kernel {
            pool,
            facts,
            builtins,
            normal: Normalizer::new(known.to_vec(), true),
            light: Normalizer::new(known.to_vec(), false),
        }
    }

    /// Whether two expressions have the same normal form, as they stand or with every
    /// call replaced by its definition's body.
    fn same(&mut self, a: ExprId, b: ExprId) -> Result<bool, String> {
        if a == b {
            return Ok(true);
        }
        let la = self.light.normalize(self.pool, a)?;
        let lb = self.light.normalize(self.pool, b)?;
        if la == lb || self.same_expanded(a, b)? {
            return Ok(true);
        }
        let ea = self.pool.expand_definitions(a, &self.builtins);
        let eb = self.pool.expand_definitions(b, &self.builtins);
        self.same_expanded(ea, eb)
    }

    /// Whether two expressions multiply out to the same form, either as they are or
    /// once their difference is multiplied by its denominators (`(a + b)/(a + b)^2`
    /// against `1/(a + b)`).
    fn same_expanded(&mut self, a: ExprId, b: ExprId) -> Result<bool, String> {
        let na = self.normal.normalize(self.pool, a)?;
        let nb = self.normal.normalize(self.pool, b)?;
        if na == nb {
            return Ok(true);
        }
        let d = self.pool.sub(na, nb);
        let d = self.normal.normalize(self.pool, d)?;
        // Powers of one base whose exponents differ by numbers (`(1 - x)^(-x)` and
        // `(1 - x)^(1 - x)`, or `(a + b)^-2` and `(a + b)^-1`) are brought to the least
        // of them: multiplying by base^-(least exponent) leaves whole powers, which
        // multiply out. The difference is 0 where that multiplier is defined and not 0.
        let mut least: Vec<(ExprId, ExprId, BigRational, bool)> = Vec::new();
        for t in terms(self.pool, d) {
            let factors = match self.pool.node(t) {
                Node::Mul(fs) => fs.to_vec(),
                _ => vec![t],
            };
            for f in factors {
                let Node::Pow(base, e) = self.pool.node(f).clone() else {
                    continue;
                };
                let (symbolic, n) = split_exponent(self.pool, e);
                let is_sum = matches!(self.pool.node(base), Node::Add(_));
                let symbolic_zero = self.pool.is_int(symbolic, 0);
                // A whole positive power of a sum joins too, after the others, so that
                // `S^9 (e - ln x) - S^10` meets `S^10` when `S = e - ln x`.
                let optional = symbolic_zero
                    && is_sum
                    && n.is_integer()
                    && n > BigRational::from_integer(0.into());
                if symbolic_zero
                    && !optional
                    && (!is_sum || !n.is_integer() || n >= BigRational::from_integer(0.into()))
                {
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
                let n = self.pool.num(n);
                let e = self.pool.add(vec![r, n]);
                let e = self.pool.neg(e);
                self.pool.pow(b, e)
            })
            .collect();
        // Each term meets the multiplier before anything is multiplied out, so that
        // its powers merge with the multiplier's first.
        let parts: Vec<ExprId> = terms(self.pool, d)
            .into_iter()
            .map(|t| {
                let mut p = factors.clone();
                p.push(t);
                let m = self.pool.mul(p);
                settle(self.pool, m)
            })
            .collect();
        let cleared = self.pool.add(parts);
        let cleared = self.normal.normalize(self.pool, cleared)?;
        Ok(self.pool.is_int(cleared, 0))
    }

    fn expect_same(&mut self, a: ExprId, b: ExprId, what: &str) -> Result<(), String> {
        if self.same(a, b)? {
            Ok(())
        } else {
            Err(format!("the result is not {what}"))
        }
    }

    fn positive(&mut self, e: ExprId) -> bool {
        Signs::new(self.pool, self.facts).positive(e)
    }

    fn condition(&mut self, holds: bool, what: &str) -> Result<(), String> {
        if holds {
            Ok(())
        } else {
            Err(format!("its side condition `{what}` is not proved"))
        }
    }

    fn check_rewrite(&mut self, rw: &Rewrite) -> Result<(), String> {
        let (b, a) = (rw.before, rw.after);
        match rw.rule.name().as_str() {
            "distribute" => {
                // One product multiplied out over one of its sums (and the sums in the
                // result contracted), or failing that, any algebraic rearrangement.
                if let Node::Mul(fs) = self.pool.node(b).clone() {
                    for (k, &f) in fs.iter().enumerate() {
                        let Node::Add(ts) = self.pool.node(f).clone() else {
                            continue;
                        };
                        let mut others = fs.to_vec();
                        others.remove(k);
                        let parts = ts
                            .iter()
                            .map(|&t| {
                                let mut p = others.clone();
                                p.push(t);
                                self.pool.mul(p)
                            })
                            .collect();
                        let cand = self.pool.add(parts);
                        if self.same(cand, a)? {
                            return Ok(());
                        }
                    }
                }
                self.expect_same(b, a, "the product multiplied out")
            }
            "factor-common" | "sum-linearity" | "sum-delta-contract" | "clear-denominators"
            | "canonical-form" | "exp-out-of-sum" => {
                self.expect_same(b, a, "an algebraic rearrangement of the matched expression")
            }
            "fold-definition" | "expand-definition" => {
                let eb = self.pool.expand_definitions(b, &self.builtins);
                let ea = self.pool.expand_definitions(a, &self.builtins);
                self.expect_same(
                    eb,
                    ea,
                    "the matched expression with its definitions applied",
                )
            }
            "differentiate" => {
                let Node::Diff { expr, var, order } = self.pool.node(b).clone() else {
                    return Err("it does not match a derivative".into());
                };
                let mut d = expr;
                for _ in 0..order {
                    d = Derivative::new(self.pool, var)?.full(self.pool, d);
                }
                self.expect_same(d, a, "the derivative")
            }
            name if derivative_rule(name) => self.check_derivative_rule(name, b, a),
            _ => self.check_conditional_rule(&rw.rule.name(), b, a),
        }
    }

    /// One level of a derivative: `diff(e, x)` to the rule's formula, with the
    /// children's derivatives left as `diff(...)`.
    fn check_derivative_rule(&mut self, name: &str, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Diff {
            expr,
            var,
            order: 1,
        } = self.pool.node(b).clone()
        else {
            return Err("it does not match a first derivative".into());
        };
        let mut d = Derivative::new(self.pool, var)?;
        let applies = d.rule_name(self.pool, expr);
        // A derivative that is 0 may be named `constant` by either side.
        if applies != name && !(name == "constant" || applies == "constant") {
            return Err(format!(
                "the derivative of this expression is given by `{applies}`"
            ));
        }
        let expected = d.one_level(self.pool, expr);
        self.expect_same(expected, a, "what the rule gives")
    }

    /// The rules of [`crate::simplify::rules`], by their own patterns and conditions.
    fn check_conditional_rule(&mut self, name: &str, b: ExprId, a: ExprId) -> Result<(), String> {
        let no_match = || Err(format!("the expression does not match `{name}`"));
        let node = self.pool.node(b).clone();
        match (name, node) {
            ("ln-of-exp", Node::Func(Func::Ln, x)) => match self.pool.node(x).clone() {
                Node::Func(Func::Exp, u) => self.expect_same(u, a, "the exponent"),
                _ => no_match(),
            },
            ("ln-of-power", Node::Func(Func::Ln, x)) => match self.pool.node(x).clone() {
                Node::Pow(u, p) => {
                    let holds = self.positive(u);
                    self.condition(holds, "base > 0")?;
                    let l = self.pool.func(Func::Ln, u);
                    let want = self.pool.mul(vec![p, l]);
                    self.expect_same(want, a, "the exponent times the logarithm")
                }
                _ => no_match(),
            },
            ("ln-of-product", Node::Func(Func::Ln, x)) => match self.pool.node(x).clone() {
                Node::Mul(fs) => {
                    let mut logs = Vec::new();
                    for &f in fs.iter() {
                        let holds = self.positive(f);
                        self.condition(holds, "every factor > 0")?;
                        logs.push(self.pool.func(Func::Ln, f));
                    }
                    let want = self.pool.add(logs);
                    self.expect_same(want, a, "the sum of the logarithms")
                }
                _ => no_match(),
            },
            ("exp-of-ln", Node::Func(Func::Exp, x)) => self.check_exp_of_ln(x, a),
            ("power-of-power", Node::Pow(x, q)) => match self.pool.node(x).clone() {
                Node::Pow(u, p) => {
                    let holds = self.positive(u);
                    self.condition(holds, "base > 0")?;
                    let e = self.pool.mul(vec![p, q]);
                    let want = self.pool.pow(u, e);
                    self.expect_same(want, a, "the base to the product of the exponents")
                }
                _ => no_match(),
            },
            ("sqrt-of-square", Node::Pow(x, q)) => match self.pool.node(x).clone() {
                Node::Pow(u, p) => {
                    let (Some(p), Some(q)) =
                        (self.pool.as_num(p).cloned(), self.pool.as_num(q).cloned())
                    else {
                        return no_match();
                    };
                    // (u^(2k))^(1/(2k)) = |u| for every real u.
                    let one = num_rational::BigRational::from_integer(1.into());
                    if !crate::expr::pool::is_even_integer(&p)
                        || p.numer() == &0.into()
                        || p * q != one
                    {
                        return no_match();
                    }
                    let want = self.pool.func(Func::Abs, u);
                    self.expect_same(want, a, "the absolute value")
                }
                _ => no_match(),
            },
            ("abs-of-nonnegative", Node::Func(Func::Abs, u)) => {
                let holds = Signs::new(self.pool, self.facts).nonnegative(u);
                self.condition(holds, "argument >= 0")?;
                self.expect_same(u, a, "the argument")
            }
            ("abs-of-negative", Node::Func(Func::Abs, u)) => {
                let holds = Signs::new(self.pool, self.facts).negative(u);
                self.condition(holds, "argument < 0")?;
                let want = self.pool.neg(u);
                self.expect_same(want, a, "the negated argument")
            }
            ("combine-logarithms", Node::Add(ts)) => {
                // b = a exactly when exp(b) = exp(a): the logarithms of positive
                // expressions, with whole coefficients, become powers.
                let mut factors = Vec::new();
                let mut rest = Vec::new();
                for &t in ts.iter() {
                    let (c, r) = self.pool.split_coefficient(t);
                    if let Node::Func(Func::Ln, u) = self.pool.node(r).clone()
                        && c.is_integer()
                    {
                        let holds = self.positive(u);
                        self.condition(holds, "every logarithm's argument > 0")?;
                        let c = self.pool.num(c);
                        factors.push(self.pool.pow(u, c));
                    } else {
                        rest.push(t);
                    }
                }
                if factors.is_empty() {
                    return no_match();
                }
                let r = self.pool.add(rest);
                factors.push(self.pool.func(Func::Exp, r));
                let product = self.pool.mul(factors);
                let want = self.pool.func(Func::Exp, a);
                self.expect_same(product, want, "the exponential of the matched expression")
            }
            ("sum-exchange", Node::Mul(_) | Node::Sum { .. }) => {
                if same_contraction(self.pool, b, a) {
                    Ok(())
                } else {
                    Err("the result is not the same sum with its indices reordered".into())
                }
            }
            ("power-of-product", Node::Pow(x, c)) => match self.pool.node(x).clone() {
                Node::Mul(fs) => {
                    let mut parts = Vec::new();
                    for &f in fs.iter() {
                        let holds = self.positive(f);
                        self.condition(holds, "every factor > 0")?;
                        // A factor that is a power of a positive base takes the power
                        // into its exponent, as `power-of-power` does.
                        let part = match self.pool.node(f).clone() {
                            Node::Pow(u, p) if self.positive(u) => {
                                let x = self.pool.mul(vec![p, c]);
                                self.pool.pow(u, x)
                            }
                            _ => self.pool.pow(f, c),
                        };
                        parts.push(part);
                    }
                    let want = self.pool.mul(parts);
                    self.expect_same(want, a, "the product of the factors' powers")
                }
                _ => no_match(),
            },
            ("numeric-power", Node::Mul(_) | Node::Pow(..)) => {
                let (rest_b, number_b) = numeric_factors(self.pool, b);
                let (rest_a, number_a) = numeric_factors(self.pool, a);
                if rest_b != rest_a {
                    return Err("it changes more than the powers of numbers".into());
                }
                let (Some(x), Some(y)) = (prime_powers(&number_b), prime_powers(&number_a)) else {
                    return Err("its numbers are too large to compare exactly".into());
                };
                if x != y {
                    return Err("the powers of numbers do not have the same value".into());
                }
                Ok(())
            }
            ("pythagorean" | "hyperbolic-pythagorean", Node::Add(_)) => {
                // Both sides agree once every cos(u)^2 is written 1 - sin(u)^2 and every
                // cosh(u)^2 is written 1 + sinh(u)^2.
                let tb = squares_eliminated(self.pool, b);
                let ta = squares_eliminated(self.pool, a);
                self.expect_same(tb, ta, "the sum with the squares combined")
            }
            (
                "ln-of-exp"
                | "ln-of-power"
                | "ln-of-product"
                | "exp-of-ln"
                | "power-of-power"
                | "sqrt-of-square"
                | "abs-of-nonnegative"
                | "abs-of-negative"
                | "pythagorean"
                | "hyperbolic-pythagorean"
                | "power-of-product"
                | "numeric-power"
                | "combine-logarithms"
                | "sum-exchange",
                _,
            ) => no_match(),
            _ => Err("the checker does not know this rule".into()),
        }
    }

    /// `exp(sum c*ln(u) + rest)` is `prod u^c * exp(rest)` when every such `u > 0`: the
    /// checker rebuilds the product from the exponent's terms and compares.
    fn check_exp_of_ln(&mut self, x: ExprId, a: ExprId) -> Result<(), String> {
        let mut factors = Vec::new();
        let mut rest = Vec::new();
        for t in terms(self.pool, x) {
            let (c, r) = self.pool.split_coefficient(t);
            if let Node::Func(Func::Ln, u) = self.pool.node(r).clone()
                && self.positive(u)
            {
                let c = self.pool.num(c);
                factors.push(self.pool.pow(u, c));
            } else {
                rest.push(t);
            }
        }
        if factors.is_empty() {
            return Err("the exponent holds no logarithm of a positive expression".into());
        }
        let r = self.pool.add(rest);
        factors.push(self.pool.func(Func::Exp, r));
        let want = self.pool.mul(factors);
        self.expect_same(want, a, "the powers of the logarithms' arguments")
    }
}

/// Whether a rule name is one of the derivative rules of [`crate::calculus::derivative::Rule`].
fn derivative_rule(name: &str) -> bool {
    matches!(
        name,
        "constant"
            | "variable"
            | "element-delta"
            | "linearity"
            | "constant-multiple"
            | "product-rule"
            | "power-rule"
            | "exponential-rule"
            | "general-power-rule"
            | "sum-rule"
            | "inner-derivative"
    ) || name.starts_with("chain-rule-")
}

/// Whether two terms are one contraction: the same factors summed over the same bound
/// indices and ranges, up to the names and the nesting order of the sums. Each side is
/// flattened into its bound indices (renamed apart) and its factors, and some matching
/// of the indices must make the products of the factors one node.
fn same_contraction(pool: &mut Pool, b: ExprId, a: ExprId) -> bool {
    fn flat(
        pool: &mut Pool,
        id: ExprId,
        tag: &str,
        bound: &mut Vec<(ExprId, ExprId)>,
        out: &mut Vec<ExprId>,
    ) {
        match pool.node(id).clone() {
            Node::Mul(fs) => fs.iter().for_each(|&f| flat(pool, f, tag, bound, out)),
            Node::Sum { index, range, body } => {
                let name = pool.symbol(&format!("·{tag}{}", bound.len()));
                let fresh = pool.index(name);
                let body = pool.rename_index(body, index, fresh);
                bound.push((fresh, range));
                flat(pool, body, tag, bound, out);
            }
            _ => out.push(id),
        }
    }
    let (mut bb, mut fb, mut ba, mut fa) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    flat(pool, b, "b", &mut bb, &mut fb);
    flat(pool, a, "a", &mut ba, &mut fa);
    if bb.len() != ba.len() || bb.len() > 6 {
        return false;
    }
    let want = pool.mul(fb);
    let n = bb.len();
    // Every matching of a's indices to b's, by a plain counter over n^n choices that
    // keeps only the one-to-one ones.
    let total = n.pow(n as u32);
    for code in 0..total {
        let mut pick = Vec::with_capacity(n);
        let mut c = code;
        for _ in 0..n {
            pick.push(c % n);
            c /= n;
        }
        let mut seen = vec![false; n];
        if pick.iter().any(|&p| std::mem::replace(&mut seen[p], true)) {
            continue;
        }
        if (0..n).any(|i| ba[i].1 != bb[pick[i]].1) {
            continue;
        }
        let mut renamed = fa.clone();
        for (i, &p) in pick.iter().enumerate() {
            let Node::Index(from) = *pool.node(ba[i].0) else {
                return false;
            };
            for f in renamed.iter_mut() {
                *f = pool.rename_index(*f, from, bb[p].0);
            }
        }
        if pool.mul(renamed) == want {
            return true;
        }
    }
    false
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

/// Powers of positive rationals with fractional exponents in one form: `(p/d)^s` as
/// `p^s * d^-s`, and each whole base `m^s` as the number `m^floor(s)` times
/// `m^(s - floor(s))`; so `(1/2)^(1/7)` and `2^(6/7)/2` meet.
fn number_powers(pool: &mut Pool, id: ExprId) -> ExprId {
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
fn numeric_factors(pool: &mut Pool, e: ExprId) -> (ExprId, Vec<(BigRational, BigRational)>) {
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
fn prime_powers(
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

/// `cos(u)^2` as `1 - sin(u)^2` and `cosh(u)^2` as `1 + sinh(u)^2`, everywhere.
fn squares_eliminated(pool: &mut Pool, id: ExprId) -> ExprId {
    let kids: Vec<ExprId> = crate::expr::node::children(pool.node(id))
        .into_iter()
        .map(|c| squares_eliminated(pool, c))
        .collect();
    let rebuilt = pool.rebuild(id, &kids);
    if let Node::Pow(b, e) = pool.node(rebuilt).clone()
        && let Some(n) = pool.as_num(e).and_then(crate::syntax::number::to_small_int)
        && n >= 2
        && let Node::Func(f @ (Func::Cos | Func::Cosh), u) = pool.node(b).clone()
    {
        let (g, sign) = if f == Func::Cos {
            (Func::Sin, -1)
        } else {
            (Func::Sinh, 1)
        };
        let two = pool.int(2);
        let s = pool.func(g, u);
        let s2 = pool.pow(s, two);
        let sign = pool.int(sign);
        let t = pool.mul(vec![sign, s2]);
        let one = pool.int(1);
        let square = pool.add(vec![one, t]);
        let rest = pool.int(n - 2);
        let rest = pool.pow(b, rest);
        return pool.mul(vec![square, rest]);
    }
    rebuilt
}

/// The checker's own derivatives, from its own table.
struct Derivative {
    /// The variable's symbol (a scalar's, or an element's tensor's).
    symbol: Symbol,
    /// The variable's node.
    var: ExprId,
    /// The element's indices; empty for a scalar.
    indices: Vec<ExprId>,
    depends: FxHashMap<ExprId, bool>,
    memo: FxHashMap<ExprId, ExprId>,
}

impl Derivative {
    fn new(pool: &Pool, var: ExprId) -> Result<Derivative, String> {
        let (symbol, indices) = match pool.node(var) {
            Node::Sym(s) => (*s, Vec::new()),
            Node::Elem(t, idx) => (*t, idx.to_vec()),
            _ => return Err("the derivative's variable is not a name or an element".into()),
        };
        Ok(Derivative {
            symbol,
            var,
            indices,
            depends: FxHashMap::default(),
            memo: FxHashMap::default(),
        })
    }

    /// Whether `e` depends on the variable, through the bodies of the calls it makes.
    fn depends(&mut self, pool: &mut Pool, e: ExprId) -> bool {
        if let Some(&d) = self.depends.get(&e) {
            return d;
        }
        let expanded = pool.expand_definitions(e, &[]);
        let d = pool.free_symbols(expanded).contains(&self.symbol);
        self.depends.insert(e, d);
        d
    }

    /// The name of the rule that differentiates `e`.
    fn rule_name(&mut self, pool: &mut Pool, e: ExprId) -> String {
        if !self.depends(pool, e) {
            return "constant".into();
        }
        match pool.node(e).clone() {
            Node::Sym(_) => "variable".into(),
            Node::Elem(..) => "element-delta".into(),
            Node::Add(_) => "linearity".into(),
            Node::Mul(fs) => {
                let varying = fs.iter().filter(|&&f| self.depends(pool, f)).count();
                if varying == 1 {
                    "constant-multiple".into()
                } else {
                    "product-rule".into()
                }
            }
            Node::Pow(u, v) => match (self.depends(pool, u), self.depends(pool, v)) {
                (_, false) => "power-rule".into(),
                (false, true) => "exponential-rule".into(),
                (true, true) => "general-power-rule".into(),
            },
            Node::Func(f, _) => format!("chain-rule-{}", f.name()),
            Node::Sum { .. } => "sum-rule".into(),
            Node::Call { .. } => "expand-definition".into(),
            Node::Diff { .. } => "inner-derivative".into(),
            _ => "constant".into(),
        }
    }

    /// The derivative of `e`, one level: the children's derivatives stay `diff(...)`.
    fn one_level(&mut self, pool: &mut Pool, e: ExprId) -> ExprId {
        let var = self.var;
        self.rule(pool, e, &mut |_, pool, c| pool.diff(c, var, 1))
    }

    /// The derivative of `e`, all the way down.
    fn full(&mut self, pool: &mut Pool, e: ExprId) -> ExprId {
        if let Some(&d) = self.memo.get(&e) {
            return d;
        }
        let d = self.rule(pool, e, &mut |this, pool, c| this.full(pool, c));
        self.memo.insert(e, d);
        d
    }

    fn rule(
        &mut self,
        pool: &mut Pool,
        e: ExprId,
        sub: &mut dyn FnMut(&mut Self, &mut Pool, ExprId) -> ExprId,
    ) -> ExprId {
        if !self.depends(pool, e) {
            return pool.int(0);
        }
        // A part that does not depend on the variable has derivative 0, written as 0
        // rather than left as `diff(...)`.
        let mut sub = |this: &mut Self, pool: &mut Pool, c: ExprId| {
            if this.depends(pool, c) {
                sub(this, pool, c)
            } else {
                pool.int(0)
            }
        };
        match pool.node(e).clone() {
            Node::Sym(_) => pool.int(1),
            Node::Elem(_, idx) => {
                let deltas = idx
                    .iter()
                    .zip(self.indices.clone())
                    .map(|(&i, v)| pool.delta(i, v))
                    .collect();
                pool.mul(deltas)
            }
            Node::Add(ts) => {
                let parts = ts.iter().map(|&t| sub(self, pool, t)).collect();
                pool.add(parts)
            }
            Node::Mul(fs) => {
                let mut terms = Vec::new();
                for k in 0..fs.len() {
                    let mut factors: Vec<ExprId> = fs.to_vec();
                    factors[k] = sub(self, pool, fs[k]);
                    terms.push(pool.mul(factors));
                }
                pool.add(terms)
            }
            Node::Pow(u, v) => {
                let (du, dv) = (sub(self, pool, u), sub(self, pool, v));
                // d(u^v) = u^v * (v' ln u + v u'/u), written so that a constant exponent
                // or base needs no logarithm.
                let p = pool.pow(u, v);
                let mut terms = Vec::new();
                if !pool.is_int(dv, 0) {
                    let l = pool.func(Func::Ln, u);
                    terms.push(pool.mul(vec![p, l, dv]));
                }
                if !pool.is_int(du, 0) {
                    let m1 = pool.int(-1);
                    let v1 = pool.add(vec![v, m1]);
                    let q = pool.pow(u, v1);
                    terms.push(pool.mul(vec![v, q, du]));
                }
                pool.add(terms)
            }
            Node::Func(f, u) => {
                let outer = table(pool, f, u);
                let du = sub(self, pool, u);
                pool.mul(vec![outer, du])
            }
            Node::Sum { index, range, body } => {
                // A bound index that a variable's index names is renamed first.
                let clash = self
                    .indices
                    .iter()
                    .any(|&i| pool.free_symbols(i).contains(&index));
                let (index, body) = if clash {
                    let fresh = pool.fresh_index_symbol();
                    let to = pool.index(fresh);
                    (fresh, pool.rename_index(body, index, to))
                } else {
                    (index, body)
                };
                let db = sub(self, pool, body);
                pool.sum(index, range, db)
            }
            Node::Call { .. } => {
                let body = pool.expand_call(e).unwrap_or(e);
                if body == e {
                    return pool.diff(e, self.var, 1);
                }
                sub(self, pool, body)
            }
            Node::Diff { expr, var, order } => {
                let inner = match Derivative::new(pool, var) {
                    Ok(mut d) => (0..order).fold(expr, |x, _| d.full(pool, x)),
                    Err(_) => return pool.diff(e, self.var, 1),
                };
                sub(self, pool, inner)
            }
            _ => pool.int(0),
        }
    }
}

/// f'(u) for each builtin, as a calculus table states it.
fn table(pool: &mut Pool, f: Func, u: ExprId) -> ExprId {
    let two = pool.int(2);
    let one = pool.int(1);
    let minus_one = pool.int(-1);
    let square = |pool: &mut Pool, x: ExprId| pool.pow(x, two);
    match f {
        Func::Exp => pool.func(Func::Exp, u),
        Func::Ln => pool.pow(u, minus_one),
        Func::Sin => pool.func(Func::Cos, u),
        Func::Cos => {
            let s = pool.func(Func::Sin, u);
            pool.mul(vec![minus_one, s])
        }
        // sec^2 u = 1 + tan^2 u
        Func::Tan => {
            let t = pool.func(Func::Tan, u);
            let t2 = square(pool, t);
            pool.add(vec![one, t2])
        }
        Func::Sinh => pool.func(Func::Cosh, u),
        Func::Cosh => pool.func(Func::Sinh, u),
        // sech^2 u = 1 - tanh^2 u
        Func::Tanh => {
            let t = pool.func(Func::Tanh, u);
            let t2 = square(pool, t);
            let n = pool.mul(vec![minus_one, t2]);
            pool.add(vec![one, n])
        }
        Func::Asin | Func::Acos => {
            let u2 = square(pool, u);
            let n = pool.mul(vec![minus_one, u2]);
            let d = pool.add(vec![one, n]);
            let h = pool.rational(-1, 2);
            let r = pool.pow(d, h);
            if f == Func::Asin {
                r
            } else {
                pool.mul(vec![minus_one, r])
            }
        }
        Func::Atan => {
            let u2 = square(pool, u);
            let d = pool.add(vec![one, u2]);
            pool.pow(d, minus_one)
        }
        // 2/sqrt(pi) * exp(-u^2)
        Func::Erf => {
            let u2 = square(pool, u);
            let n = pool.mul(vec![minus_one, u2]);
            let g = pool.func(Func::Exp, n);
            let pi = pool.constant(Constant::Pi);
            let h = pool.rational(-1, 2);
            let r = pool.pow(pi, h);
            pool.mul(vec![two, r, g])
        }
        // sign(u) = u / |u|, away from 0
        Func::Abs => {
            let a = pool.func(Func::Abs, u);
            let r = pool.pow(a, minus_one);
            pool.mul(vec![u, r])
        }
        // sigma(u) (1 - sigma(u))
        Func::Sigmoid => {
            let s = pool.func(Func::Sigmoid, u);
            let n = pool.mul(vec![minus_one, s]);
            let c = pool.add(vec![one, n]);
            pool.mul(vec![s, c])
        }
        Func::Softplus => pool.func(Func::Sigmoid, u),
    }
}

/// The checker's normal form: products multiplied out, sums split over their terms, and
/// deltas contracted inside sums where the index provably ranges over the sum's axis.
/// Equal normal forms mean equal expressions (every rewrite here is an identity); unequal
/// ones mean nothing, and an instance that needs more than this fails the check.
struct Normalizer {
    known: Vec<(ExprId, ExprId)>,
    /// Whether products are multiplied out. Without it the form keeps a sum's factors
    /// together, so that a sum and its reciprocal still cancel.
    expand: bool,
    memo: FxHashMap<ExprId, ExprId>,
}

impl Normalizer {
    fn new(known: Vec<(ExprId, ExprId)>, expand: bool) -> Normalizer {
        Normalizer {
            known,
            expand,
            memo: FxHashMap::default(),
        }
    }

    fn normalize(&mut self, pool: &mut Pool, id: ExprId) -> Result<ExprId, String> {
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
                return Err("the instance is too large for the checker to multiply out".into());
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
    /// it is a derivative variable's index on that axis, or the result indexes an axis
    /// of that length with it.
    fn ranges_over(&self, pool: &mut Pool, e: ExprId, range: ExprId, result: ExprId) -> bool {
        if pool.is_int(e, 0) || self.known.contains(&(e, range)) {
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

/// `u^(v + n)` as `u^v * u^n` for a number `n` (where the pool keeps them apart), and
/// `(a*b)^v` as `a^v * b^v`, so that powers of a product meet the product's factors
/// (`2*x * (2*x)^(x - 1)` is `(2*x)^x`). Returns the power itself when neither applies.
///
/// Like the pool's own merging of powers, these hold wherever both sides are defined
/// (for `(a*b)^v` with a non-integer `v`, where `a, b > 0`); the numeric check of every
/// step catches a step that would lose part of its domain.
/// A product rebuilt until it stops changing: merging two powers of one base may make
/// a factor (`(x^2)^1` is `x^2`) that merges with another (`x^-1`) only on a second pass.
fn settle(pool: &mut Pool, mut id: ExprId) -> ExprId {
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
fn odd_power_of(pool: &mut Pool, f: ExprId, e: ExprId) -> ExprId {
    if let Node::Pow(u, k) = pool.node(f).clone()
        && pool
            .as_num(k)
            .and_then(crate::syntax::number::to_small_int)
            .is_some_and(|k| k % 2 != 0)
    {
        let x = pool.mul(vec![k, e]);
        return pool.pow(u, x);
    }
    pool.pow(f, e)
}

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
fn terms(pool: &Pool, id: ExprId) -> Vec<ExprId> {
    match pool.node(id) {
        Node::Add(ts) => ts.to_vec(),
        _ => vec![id],
    }
}
