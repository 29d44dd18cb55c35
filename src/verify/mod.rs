//! The step checker: re-verifies a derivation without the simplifier's search.
//!
//! A derivation is a list of [`Step`]s, and each step keeps its rule instances
//! ([`Rewrite`](crate::trace::Rewrite)s): the subexpression a rule matched and what it became. The checker
//! trusts a small base in `expr` and nothing else: the pool's canonical constructors
//! (flattening, ordering, collecting like terms, exact arithmetic), substitution of a
//! definition's body for one call (`expand_call`), writing a whole expression out in
//! primitive terms (`expand_definitions`, which leaves a tensor passed whole to a
//! definition for that definition to write out element by element), writing equal
//! lengths as one (`replace_lengths`) and renaming of bound indices.
//! For every step it confirms:
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
//! - `equal-lengths` holds when the two sides are the same once every length the
//!   workspace records equal (a declaration's shared length name, the axes one free
//!   index runs over) is written as its class's representative
//!   (`Pool::replace_lengths`, part of the trusted base); those equalities are what
//!   makes the claim well formed, and the numeric checks sample them so;
//! - derivative rules (`product-rule`, `chain-rule-exp`, ..., and `differentiate` for a
//!   whole derivative) are recomputed from this module's own table of derivatives;
//! - the conditional rules (`ln-of-power`, `abs-of-negative`, ...) are matched by their
//!   own patterns here, and their conditions proved by this module's own sign prover;
//! - the prover's normal-form rules have their own checks: `numeric-power` exactly, by
//!   the prime factorization of both sides; `power-of-product` and `combine-logarithms`
//!   with their positivity conditions; `sum-exchange` by flattening both sides into
//!   bound indices and factors and finding a one-to-one matching of the indices;
//!   `exp-out-of-sum` and `clear-denominators` by the normal form;
//! - the rules of deltas are checked by their shapes: `delta-power` needs a whole
//!   power of at least 1, and `delta-product` needs both sides' deltas to link the same
//!   indices (or, for 0, two different numbers); `sum-distribute-delta` must have a
//!   delta of the summed index and agree by the normal form, and `expand-in-sum` must
//!   agree once the definitions on both sides are written out;
//! - `sigmoid-of-ln` is checked with its positivity condition, against `u/(1 + u)` or
//!   by `r*(1 + u) = u`, and `logit-of-sigmoid`, `ln-of-sigmoid` and
//!   `softplus-of-negative` by their patterns, and `negated-argument` by the checker's
//!   own table of odd, even and shifted functions;
//! - `lemma NAME` (a claim proved before, cited with `by`) by re-matching the instance
//!   against the lemma's two sides with this module's own matcher: a substitution of
//!   scalar names that no fact constrains, and of free indices one to one, or for a
//!   lemma `diff(F, x) = R` the chain rule `R[x := u] * diff(u, v)` through `F`; the
//!   lemma must be in the workspace's table, which holds only proved claims.
//!
//! Replay (point 2) tries the step's instances top down on the expression as it stood
//! (a derivation's round, including one under the outer derivatives of a higher
//! derivative), then bottom up: with results taken as given, with the chain of
//! instances at a node and the `sum-exchange` instances on each term of its result (the
//! prover's expansion), and with rewriting everywhere inside results (the simplifier's
//! passes). The numeric check samples indices in the ranges the derivation's variables
//! give and honours every `assume` fact; it skips points where a differentiated
//! function is undefined and differences that rounding explains.
//!
//! A free index ranges below the length of every axis it indexes anywhere in the claim
//! (a claim is stated where it is defined), so a delta of it contracts inside a sum
//! over such an axis; each side's own derivation is checked with the whole claim's
//! ranges ([`check_steps_within`]).
//!
//! A failure is a bug in gauge: the prover reports it loudly and falls back to numbers.
//!
//! # Independence
//!
//! A checker that shared code with what it checks would confirm that code's bugs
//! instead of catching them (de Bruijn's criterion). So this module may import only
//! the stages that hold expressions and numbers: `diag`, `syntax`, `expr`, `print`,
//! `lower`, `numeric` and `trace`. It never imports `simplify` or `calculus`: it has
//! its own sign prover (`sign.rs`), its own table of derivatives (`derivative.rs`)
//! and its own normal form (`normal.rs`), and it dispatches on the [`Rule`] enum with an
//! exhaustive `match`, so that a new rule without a check does not compile. A test in
//! the suite fails when a file of this folder names either module.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `numeric`, `trace`.
//!
//! The files, one job each:
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | the entry points, [`Verified`] and [`Failure`] |
//! | `replay.rs` | rebuilding a step's `before` from its rule instances |
//! | `rules.rs` | the check of one rule instance, one arm per rule |
//! | `conditional.rs` | the rules with a sign condition: logarithms, powers, `abs`, the sigmoid of a logarithm |
//! | `indices.rs` | powers and products of deltas, sums multiplied out or written out |
//! | `derivative.rs` | the checker's own derivatives |
//! | `lemma.rs` | instances of lemmas, claims proved before: matched afresh, with the allowed substitutions |
//! | `sign.rs` | the checker's own sign prover |
//! | `normal.rs` | the checker's algebraic normal form, and equality by it |
//! | `powers.rs` | exact arithmetic on powers of numbers |
//! | `numeric.rs` | the comparison of a step's two sides at random points |

mod conditional;
mod derivative;
mod indices;
mod lemma;
mod normal;
mod numeric;
mod powers;
mod replay;
mod rules;
mod sign;

use rustc_hash::FxHashSet;

use crate::expr::node::{ExprId, Node};
use crate::expr::pool::Pool;
use crate::lower::workspace::Workspace;
use crate::numeric::sample::Rng;
use crate::trace::{Rule, Step};

pub use numeric::POINTS_PER_STEP;

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
    pub rule: Option<Rule>,
    /// What went wrong.
    pub reason: String,
}

impl Failure {
    /// Whether the checker ran past one of its limits (its work budget, or the size of
    /// what it multiplies out) rather than finding the step wrong: the proof is not
    /// confirmed, and not shown to be wrong either.
    pub fn gave_up(&self) -> bool {
        self.reason.starts_with(normal::GAVE_UP)
    }
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
    check_steps_within(session, steps, start, seed)
}

/// Checks every step of a derivation (see the module docs).
pub fn check_steps(
    session: &mut Workspace,
    steps: &[Step],
    seed: u64,
) -> Result<Verified, Failure> {
    let Some(first) = steps.first().map(|s| s.before) else {
        return Ok(Verified::default());
    };
    check_steps_within(session, steps, first, seed)
}

/// [`check_steps`] for a derivation that is part of a larger expression `within` (one
/// side of a claim, within `lhs - rhs`): a free index ranges below every axis length it
/// indexes anywhere in `within`, since the claim is stated only where it is defined.
pub fn check_steps_within(
    session: &mut Workspace,
    steps: &[Step],
    within: ExprId,
    seed: u64,
) -> Result<Verified, Failure> {
    let known = known_ranges(&mut session.pool, steps, within);
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
    let equal_lengths: Vec<(ExprId, ExprId)> = session
        .equal_lengths
        .iter()
        .map(|&(a, b, _)| (a, b))
        .collect();
    let lemmas = session.lemmas.clone();
    let mut out = Verified::default();
    for (k, step) in steps.iter().enumerate() {
        let fail = |rule: Option<Rule>, reason: String| Failure {
            step: k + 1,
            rule,
            reason,
        };
        if k > 0 && steps[k - 1].after != step.before {
            return Err(fail(
                None,
                "it does not begin where the last step ended".into(),
            ));
        }
        let mut kernel = rules::Kernel::new(
            &mut session.pool,
            &facts,
            builtins.clone(),
            known,
            &equal_lengths,
            &lemmas,
        );
        for rw in &step.rewrites {
            kernel.check_rewrite(rw).map_err(|reason| {
                // Abridged while printing: a derivative of a deep DAG written out as
                // a tree would take exponential time before being cut short.
                let shown = |e: ExprId| {
                    shorten(&crate::print::text::to_text_abridged(kernel.pool(), e, 64))
                };
                let at = format!(" (at `{}` -> `{}`)", shown(rw.before), shown(rw.after));
                fail(Some(rw.rule), reason + &at)
            })?;
        }
        if !replay::replays(&mut session.pool, step).map_err(|reason| fail(None, reason))? {
            return Err(fail(
                None,
                "its rule instances do not turn the expression before it into the one after it"
                    .into(),
            ));
        }
        out.points += numeric::compare(session, step, rng).map_err(|reason| fail(None, reason))?;
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

/// The indices of the derivatives' variables, with the lengths they range below (in
/// `diff(f, z[i])`, `i` indexes `z` and so takes values below `len(z)`), and the free
/// indices of `within` with the axes they index there.
fn known_ranges(pool: &mut Pool, steps: &[Step], within: ExprId) -> Vec<(ExprId, ExprId)> {
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
    // A claim holds for every value of a free index at which it is defined, and an
    // expression that indexes an axis with `c` is defined only for `c` below that
    // axis's length: so `c` ranges below every length it indexes anywhere in the
    // claim. A delta `delta(c, k)` inside a sum over that axis then contracts in every
    // term of the sum, including one whose result no longer mentions `c`.
    for s in pool.free_indices(within) {
        let mut found = Vec::new();
        pool.collect_axes_pub(s, within, &mut found, &mut FxHashSet::default());
        let i = pool.index(s);
        for len in found {
            if !out.contains(&(i, len)) {
                out.push((i, len));
            }
        }
    }
    out
}
