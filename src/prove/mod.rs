//! Claims: proved, confirmed by numbers, or refuted with a counterexample.
//!
//! A claim `lhs = rhs` is **proved** when `lhs - rhs`, with its derivatives taken,
//! simplifies to 0 by the sound rules of [`crate::simplify::simplifier`]: first as the simplifier
//! leaves it; then after multiplying out products and splitting sums, a normal form in
//! which differently written equal expressions cancel; then over a common denominator;
//! then all of that in primitive terms, every definition and prelude-stated builtin
//! replaced by its body; and last, with logarithms of positive expressions combined
//! into one. The steps are kept, and the proof is kept read forwards too ([`Chain`]), as
//! an author writes it: `lhs = ... = rhs`, the two sides each simplified on its own and,
//! when they are still apart, taken on until they meet (module `meet`). Without a proof both
//! sides are evaluated at random points (random axis lengths and index values too): a
//! point where they differ **refutes** the claim and is shown with every name's value and
//! both sides' values; agreement everywhere **confirms** it, which is numeric evidence,
//! not proof. A false claim is never proved: only sound rewrites reach 0.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `numeric`, `trace`, `simplify`, `calculus`, `verify`, `check`.

mod domain;
pub mod lemmas;
mod meet;
mod numeric;
mod targets;

use numeric::numeric;
pub use numeric::{Evidence, Region};

use std::time::Instant;

use crate::diag::error::{Error, Result};
use crate::expr::node::ExprId;
use crate::lower::workspace::{Claim, Workspace};
use crate::simplify::simplifier::Simplifier;
use crate::trace::{Rule, Step};
use crate::verify::{Failure, Verified};

/// A claim's verdict: the one verdict type of the crate, re-exported as `gauge::Verdict`.
///
/// It names how a claim ended; the evidence for it (the proof's steps, the
/// counterexample) is kept with the claim's report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// `lhs - rhs` simplifies to 0 by sound rules.
    Proved,
    /// No proof was found, but both sides agree at every point tried: numeric evidence,
    /// not a proof.
    Confirmed,
    /// The sides differ at a point.
    Refuted,
    /// The claim could not be decided (it is malformed, or no point of its domain was found).
    Error,
}

impl Verdict {
    /// The verdict's name in reports: `proved`, `confirmed`, `refuted` or `error`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Proved => "proved",
            Verdict::Confirmed => "confirmed",
            Verdict::Refuted => "refuted",
            Verdict::Error => "error",
        }
    }
}

impl serde::Serialize for Verdict {
    /// A verdict serializes as its name.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a claim ended, with the evidence.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// `lhs - rhs` simplifies to 0; the steps show how.
    Proved {
        /// The steps from `lhs - rhs` to 0.
        steps: Vec<Step>,
    },
    /// No proof was found, but the two sides agree in certified arithmetic at every
    /// point tested.
    Confirmed {
        /// The points, where they came from, and the precision.
        evidence: Evidence,
        /// What `lhs - rhs` simplified to.
        residue: ExprId,
    },
    /// The sides differ at a point, or the right side is undefined where the left one
    /// is defined (a claim must hold wherever its left side does), as certified in
    /// high-precision interval arithmetic.
    Refuted {
        /// The point: `name = value` for every name.
        point: Vec<(String, String)>,
        /// The left side's value there: the midpoint of its certified enclosure,
        /// rounded to the nearest `f64`.
        lhs: f64,
        /// The right side's value there, likewise, if it is defined.
        rhs: Option<f64>,
        /// How the difference was certified.
        certificate: Certificate,
    },
    /// The claim could not be checked.
    Failed(Error),
}

impl Outcome {
    /// The verdict, without its evidence.
    pub fn verdict(&self) -> Verdict {
        match self {
            Outcome::Proved { .. } => Verdict::Proved,
            Outcome::Confirmed { .. } => Verdict::Confirmed,
            Outcome::Refuted { .. } => Verdict::Refuted,
            Outcome::Failed(_) => Verdict::Error,
        }
    }

    /// The verdict's name in reports.
    pub fn name(&self) -> &'static str {
        self.verdict().name()
    }
}

/// How a counterexample was certified: `f64` alone never refutes a claim, since its
/// rounding can hide a real difference or make one up.
#[derive(Clone, Debug, PartialEq)]
pub struct Certificate {
    /// The precision of the interval arithmetic whose enclosures of the two sides
    /// are disjoint (or that found the right side certainly undefined), in bits.
    pub bits: usize,
    /// `lhs - rhs` (the midpoint of its enclosure, rounded to an `f64`), when both
    /// sides are defined: it shows the difference even where both sides round to one
    /// `f64`.
    pub difference: Option<f64>,
    /// `lhs - rhs` exactly, as a rational, when the difference simplified to a number:
    /// then it is that number at every point where both sides are defined.
    pub exact: Option<String>,
}

/// A claim's outcome.
#[derive(Clone, Debug)]
pub struct ClaimReport {
    /// The claim.
    pub claim: Claim,
    /// The outcome with its evidence (named `verdict` for the tests that match on it;
    /// [`Outcome::verdict`] gives the bare verdict).
    pub verdict: Outcome,
    /// How long it took, in seconds.
    pub seconds: f64,
    /// What the step checker re-verified, when it ran and the proof passed.
    pub verified: Option<Verified>,
    /// Why a proof failed the step checker: a bug in gauge, after which the verdict
    /// fell back to numbers.
    pub checker_failure: Option<Failure>,
    /// For a proved claim whose two sides simplify to the same expression, the proof
    /// read forwards, as an author would write it: `lhs = ... = rhs`.
    pub chain: Option<Chain>,
    /// The equality facts a proof rewrote by (rule `assumed-equality`), as indices
    /// into the workspace's facts, in order of first use: a proof that holds only
    /// under them says so.
    pub facts_used: Vec<usize>,
}

/// A proof read forwards: both sides simplified, separately, to one expression. The
/// derivation `lhs = ... = meet = ... = rhs` is `left` followed by `right` backwards.
#[derive(Clone, Debug)]
pub struct Chain {
    /// The steps from the left side to the meeting point.
    pub left: Vec<Step>,
    /// The steps from the right side to the meeting point.
    pub right: Vec<Step>,
    /// At `--detail brief` or `normal`, the left side's derivation as it reads: each
    /// step's expression as shown, and the rows and names (see
    /// [`crate::calculus::readable`]).
    pub readable: Option<Shown>,
}

/// One row of a derivation as a reader follows it: the expression reached, and the
/// rules of the step that reached it.
pub type Row<'a> = (ExprId, &'a [Rule]);

impl ClaimReport {
    /// The report of a claim that cannot be decided, for the error `e`.
    pub fn failed(claim: &Claim, e: Error) -> ClaimReport {
        ClaimReport {
            claim: claim.clone(),
            verdict: Outcome::Failed(e),
            seconds: 0.0,
            verified: None,
            checker_failure: None,
            chain: None,
            facts_used: Vec::new(),
        }
    }

    /// The proof read forwards, `lhs = ... = rhs`, when the two sides meet: the
    /// expressions the left side's steps reach, then the right side's steps backwards.
    pub fn forward(&self) -> Option<Vec<Row<'_>>> {
        self.chain.as_ref().map(|c| {
            let left = c.left.iter().map(|st| (st.after, st.rules.as_slice()));
            let right = c
                .right
                .iter()
                .rev()
                .map(|st| (st.before, st.rules.as_slice()));
            left.chain(right).collect()
        })
    }

    /// The derivation of a proved claim as a reader follows it: the first expression,
    /// then one row per step. It is read forwards when the sides meet; otherwise it is
    /// the difference `lhs - rhs` taken down to 0.
    pub fn proof(&self) -> Option<(ExprId, Vec<Row<'_>>)> {
        let Outcome::Proved { steps } = &self.verdict else {
            return None;
        };
        if let Some(mut rows) = self.forward() {
            // Sides equal as written meet with no step: the derivation is `lhs = rhs`.
            if rows.is_empty() {
                rows.push((self.claim.rhs, &[]));
            }
            return Some((self.claim.lhs, rows));
        }
        let first = steps.first().map_or(self.claim.lhs, |s| s.before);
        let rows = steps
            .iter()
            .map(|st| (st.after, st.rules.as_slice()))
            .collect();
        Some((first, rows))
    }
}

/// How many random points a claim without a proof is evaluated at.
pub const POINTS: usize = 50;

/// Decides one claim.
pub fn prove(session: &mut Workspace, claim: &Claim, seed: u64) -> ClaimReport {
    prove_with(session, claim, seed, false)
}

/// Decides one claim; with `verify`, a proof is re-checked step by step by
/// [`crate::verify`], and a proof that fails the checker is reported in
/// [`ClaimReport::checker_failure`] and replaced by the numeric verdict.
///
/// With the environment variable `GAUGE_AUDIT_PROOFS` set, every proof is re-checked
/// even without `verify`, and one that the checker finds wrong panics: the test suite
/// runs once so in CI, which holds every proof any test makes to the checker. The
/// report is the one a run without `verify` gives.
pub fn prove_with(session: &mut Workspace, claim: &Claim, seed: u64, verify: bool) -> ClaimReport {
    if verify || std::env::var_os("GAUGE_AUDIT_PROOFS").is_none() {
        return decide_and_check(session, claim, seed, verify);
    }
    let audited = decide_and_check(session, claim, seed, true);
    match &audited.checker_failure {
        Some(f) if !f.gave_up() => panic!(
            "BUG (GAUGE_AUDIT_PROOFS): the proof of claim `{}` (line {}) failed the step checker: {f}",
            claim.name.as_deref().unwrap_or("(unnamed)"),
            claim.line
        ),
        // The checker ran past its limits and the verdict fell back to numbers: the
        // report is made again as a run without `verify` makes it.
        Some(_) => decide_and_check(session, claim, seed, false),
        None => ClaimReport {
            verified: None,
            ..audited
        },
    }
}

/// Decides `lhs = rhs` where the caller knows a point at which both sides are defined
/// (a traced program's drawn point): the attempts of [`prove`] and, without a proof,
/// the numeric search, but not the check that the two sides are defined alike, which
/// such a caller has made. With `GAUGE_AUDIT_PROOFS` set, a proof is re-checked by the
/// step checker, and one it finds wrong panics.
pub fn decide_equal(session: &mut Workspace, lhs: ExprId, rhs: ExprId, seed: u64) -> Outcome {
    let claim = Claim {
        name: None,
        lhs,
        rhs,
        span: crate::diag::source::Span {
            source: crate::diag::source::SourceId(0),
            start: 0,
            end: 0,
        },
        line: 0,
        unreadable: None,
        guards: [Vec::new(), Vec::new()],
        by: Vec::new(),
    };
    let outcome = decide(session, &claim, seed).unwrap_or_else(Outcome::Failed);
    if std::env::var_os("GAUGE_AUDIT_PROOFS").is_some()
        && let Outcome::Proved { steps } = &outcome
        && let Err(f) = crate::verify::check_proof(session, lhs, rhs, steps, seed)
        && !f.gave_up()
    {
        panic!(
            "BUG (GAUGE_AUDIT_PROOFS): the proof of a traced element failed the step checker: {f}"
        );
    }
    outcome
}

/// [`prove_with`] without the audit.
fn decide_and_check(
    session: &mut Workspace,
    claim: &Claim,
    seed: u64,
    verify: bool,
) -> ClaimReport {
    let start = Instant::now();
    let mut verified = None;
    let mut checker_failure = None;
    let decided = match &claim.unreadable {
        Some(e) => Err(e.clone()),
        None => decide(session, claim, seed),
    };
    // A proof shows that the sides agree wherever both are defined; they must also be
    // defined alike, or the claim is false where one is and the other is not (and a
    // side defined nowhere proves nothing).
    let decided = match decided {
        Ok(v @ (Outcome::Proved { .. } | Outcome::Confirmed { .. })) => {
            match domain::defined_alike(session, claim, seed) {
                Ok(None) => Ok(v),
                Ok(Some(refuted)) => Ok(refuted),
                Err(e) => Err(e),
            }
        }
        other => other,
    };
    let mut verdict = match decided {
        Ok(v) => v,
        Err(e) => Outcome::Failed(e),
    };
    if verify && let Outcome::Proved { steps } = &verdict {
        match crate::verify::check_proof(session, claim.lhs, claim.rhs, steps, seed) {
            Ok(v) => verified = Some(v),
            Err(f) => {
                checker_failure = Some(f);
                verdict = fallback(session, claim, seed);
            }
        }
    }
    let mut chain = None;
    if let Outcome::Proved { .. } = &verdict {
        chain = forward(session, claim, seed).map(meet::shortest);
    }
    // The forward reading is a second derivation: with `verify` it is held to the same
    // checker, and one that fails is a bug reported like a failed proof.
    if verify && let Some(c) = &chain {
        let whole = session.pool.sub(claim.lhs, claim.rhs);
        let checked =
            crate::verify::check_steps_within(session, &c.left, whole, seed).and_then(|l| {
                crate::verify::check_steps_within(session, &c.right, whole, seed).map(|r| (l, r))
            });
        match checked {
            // The counts cover every step shown, of both readings.
            Ok((l, r)) => {
                if let Some(v) = verified.as_mut() {
                    v.steps += l.steps + r.steps;
                    v.rewrites += l.rewrites + r.rewrites;
                    v.points += l.points + r.points;
                }
            }
            // Like a failed proof: the claim falls back to numbers.
            Err(f) => {
                checker_failure = Some(f);
                chain = None;
                verified = None;
                verdict = fallback(session, claim, seed);
            }
        }
    }
    let facts_used = match &verdict {
        Outcome::Proved { steps } => {
            let chained = chain.iter().flat_map(|c| c.left.iter().chain(&c.right));
            facts_used(session, steps.iter().chain(chained))
        }
        _ => Vec::new(),
    };
    ClaimReport {
        claim: claim.clone(),
        verdict,
        seconds: start.elapsed().as_secs_f64(),
        verified,
        checker_failure,
        chain,
        facts_used,
    }
}

/// The equality facts whose rewrites the steps hold, by index, in order of first use:
/// each `assumed-equality` instance is matched to the fact that gives it.
fn facts_used<'s>(session: &mut Workspace, steps: impl Iterator<Item = &'s Step>) -> Vec<usize> {
    let mut used = Vec::new();
    let equalities: Vec<(usize, ExprId, ExprId)> = session
        .facts
        .iter()
        .enumerate()
        .filter(|(_, f)| f.relation == crate::syntax::tree::Relation::Equal)
        .map(|(k, f)| (k, f.subject, f.bound))
        .collect();
    let oriented: Vec<(usize, crate::expr::equality::Oriented)> = equalities
        .iter()
        .map(|&(k, l, r)| (k, crate::expr::equality::orient(&mut session.pool, l, r)))
        .collect();
    for step in steps {
        for rw in step
            .rewrites
            .iter()
            .filter(|rw| rw.rule == Rule::AssumedEquality)
        {
            let by = oriented.iter().find(|(_, o)| {
                crate::expr::equality::rewrite(&mut session.pool, o, rw.before) == Some(rw.after)
            });
            if let Some(&(k, _)) = by
                && !used.contains(&k)
            {
                used.push(k);
            }
        }
    }
    used
}

/// The proof read forwards, when the two sides, each simplified on its own, meet. A
/// side that is one derivative is taken rule by rule, as a textbook derives it; when
/// that does not meet the other side, the derivative is taken in one step.
fn forward(session: &mut Workspace, claim: &Claim, seed: u64) -> Option<Chain> {
    let (r, right) = simplified_side(session, claim.rhs).ok()?;
    if session.detail != crate::print::Detail::Full
        && lemmas::active(session, claim).is_empty()
        && let Some((l, left, readable)) = readable_side(session, claim.lhs)
    {
        // The readable derivation, cut short or carried on to where it meets the
        // right side.
        let met = if l == r {
            Some(Chain {
                left,
                right: right.clone(),
                readable: None,
            })
        } else {
            let whole = session.pool.sub(claim.lhs, claim.rhs);
            meet::meet(session, vec![(l, left)], (r, right.clone()), whole, seed)
        };
        if let Some(c) = met {
            let mut c = meet::shortest(c);
            let (mut shown, mut rows) = readable;
            crate::calculus::readable::carried_on(
                &session.pool,
                &mut shown,
                &mut rows,
                &c.left,
                session.detail,
            );
            c.readable = Some((shown, rows));
            return Some(c);
        }
    }
    // The left side's readings, in order of preference: with lemmas, as the lemmas
    // take it (the derivation cites them instead of deriving again what they state);
    // derived rule by rule; simplified. The first that meets the right side is the
    // chain.
    let met = |left: Vec<Step>| Chain {
        left,
        right: right.clone(),
        readable: None,
    };
    let mut starts: Vec<(ExprId, Vec<Step>)> = Vec::new();
    let rules = lemmas::active(session, claim);
    if !rules.is_empty() {
        if let Some((l, left)) = derived_side(session, claim.lhs, &rules) {
            if l == r {
                return Some(met(left));
            }
            starts.push((l, left));
        }
        if let Ok((l, left, true)) = lemmas::lemma_side(session, claim.lhs, &rules) {
            if l == r {
                return Some(met(left));
            }
            starts.push((l, left));
        }
    }
    if let Some((l, left)) = derived_side(session, claim.lhs, &[]) {
        if l == r {
            return Some(met(left));
        }
        starts.push((l, left));
    }
    let (l, left) = simplified_side(session, claim.lhs).ok()?;
    if l == r {
        return Some(met(left));
    }
    starts.push((l, left));
    // Otherwise both sides are taken on until they meet; a reading that cites a lemma
    // the claim names is tried first.
    starts.sort_by_key(|(_, steps)| !cites_lemma(steps));
    let whole = session.pool.sub(claim.lhs, claim.rhs);
    meet::meet(session, starts, (r, right), whole, seed)
}

/// Whether any of `steps` rewrites by a lemma.
fn cites_lemma(steps: &[Step]) -> bool {
    steps
        .iter()
        .any(|st| st.rules.iter().any(|r| matches!(r, Rule::Lemma(_))))
}

/// Whether a derivation's steps run without a gap from `e` to its result, so that
/// they read as one chain `e = ... = result`.
fn joined(e: ExprId, d: &crate::calculus::derivation::Derivation) -> bool {
    d.steps.first().is_none_or(|s| s.before == e)
        && d.steps.windows(2).all(|w| w[0].after == w[1].before)
        && d.steps.last().map_or(e, |s| s.after) == d.result
}

/// How a derivation reads: each step's expression as shown, and its rows and names.
type Shown = (Vec<ExprId>, crate::calculus::readable::Readable);

/// A side that is a first derivative, derived at the workspace's detail (see
/// [`crate::calculus::readable`]), with the steps and how they read.
fn readable_side(session: &mut Workspace, e: ExprId) -> Option<(ExprId, Vec<Step>, Shown)> {
    let (expr, var) = first_derivative(session, e)?;
    let defs = session.definitions_in_order();
    let facts = session.facts.clone();
    let detail = session.detail;
    let d = crate::calculus::readable::derive_readable(
        &mut session.pool,
        expr,
        var,
        1,
        &defs,
        &facts,
        detail,
    )
    .ok()?;
    let joined = joined(e, &d);
    let readable = d.readable?;
    joined.then_some((d.result, d.steps, (d.shown, readable)))
}

/// `diff(expr, var)`'s expression and variable, when `e` is a first derivative.
fn first_derivative(session: &Workspace, e: ExprId) -> Option<(ExprId, ExprId)> {
    match session.pool.node(e) {
        crate::expr::node::Node::Diff {
            expr,
            var,
            order: 1,
        } => Some((*expr, *var)),
        _ => None,
    }
}

/// A side that is a first derivative, derived one rule at a time, with the steps; the
/// steps run from the side itself.
fn derived_side(
    session: &mut Workspace,
    e: ExprId,
    rules: &[crate::calculus::lemma::LemmaRule],
) -> Option<(ExprId, Vec<Step>)> {
    let (expr, var) = first_derivative(session, e)?;
    let defs = session.definitions_in_order();
    let facts = session.facts.clone();
    let d = crate::calculus::derivation::derive_with_lemmas(
        &mut session.pool,
        expr,
        var,
        1,
        &defs,
        &facts,
        rules,
    )
    .ok()?;
    let joined = joined(e, &d);
    joined.then_some((d.result, d.steps))
}

/// One side of a claim with its derivatives taken and simplified, and the steps.
fn simplified_side(session: &mut Workspace, e: ExprId) -> Result<(ExprId, Vec<Step>)> {
    let (taken, _, step) = crate::calculus::derivation::differentiate_step(&mut session.pool, e)?;
    let defs = session.definitions_in_order();
    let facts = session.facts.clone();
    let mut simp = Simplifier::new(&mut session.pool, defs).with_facts(facts);
    let mut steps: Vec<Step> = step.into_iter().collect();
    let simplified = simp.simplify(taken);
    steps.append(&mut simp.steps);
    Ok((simplified, steps))
}

/// `e` with the lengths the workspace records equal written as one representative
/// each, or `None` when that changes nothing.
fn one_length(session: &mut Workspace, e: ExprId) -> Option<ExprId> {
    if session.equal_lengths.is_empty() {
        return None;
    }
    let equal: Vec<(ExprId, ExprId)> = session
        .equal_lengths
        .iter()
        .map(|&(a, b, _)| (a, b))
        .collect();
    let lengths = session.pool.length_representatives(&equal);
    let one = session.pool.replace_lengths(e, &lengths);
    (one != e).then_some(one)
}

/// The numeric verdict, for a claim whose proof failed the checker.
fn fallback(session: &mut Workspace, claim: &Claim, seed: u64) -> Outcome {
    let difference = session.pool.sub(claim.lhs, claim.rhs);
    let result = crate::calculus::derivation::take_derivatives(&mut session.pool, difference)
        .and_then(|(taken, _)| numeric(session, claim, taken, seed));
    match result {
        Ok(v) => v,
        Err(e) => Outcome::Failed(e),
    }
}

fn decide(session: &mut Workspace, claim: &Claim, seed: u64) -> Result<Outcome> {
    // First, by the lemmas the claim cites, when it cites usable ones.
    let rules = lemmas::active(session, claim);
    if !rules.is_empty()
        && let Some(steps) = lemmas::proof(session, claim, &rules)?
    {
        return Ok(Outcome::Proved { steps });
    }
    let difference = session.pool.sub(claim.lhs, claim.rhs);
    let (simplified, mut steps) = simplified_side(session, difference)?;
    if session.pool.is_int(simplified, 0) {
        return Ok(Outcome::Proved { steps });
    }
    // Lengths the claim makes equal (`len(g)` and `len(x)` when `g[j]` and `x[j]` share
    // the free index `j`, or a declaration's shared length) are written as one, as the
    // points the claim is sampled at have them, and every later attempt starts there.
    let simplified = match one_length(session, simplified) {
        Some(one) => {
            steps.push(Step::whole(Rule::EqualLengths, simplified, one));
            let defs = session.definitions_in_order();
            let facts = session.facts.clone();
            let mut simp = Simplifier::new(&mut session.pool, defs).with_facts(facts);
            let out = simp.simplify(one);
            steps.append(&mut simp.steps);
            if session.pool.is_int(out, 0) {
                return Ok(Outcome::Proved { steps });
            }
            out
        }
        None => simplified,
    };
    // Then with the user's definitions written out (not the builtins): a side that
    // states `h30(t)` and a side whose derivative took `h30` apart meet only in the
    // same terms. Expanding a call is a substitution into a shared DAG, once per
    // distinct call, so a 30-layer stack stays a few thousand nodes; and nothing is
    // multiplied out, so this costs about what the first attempt did.
    let written = session.pool.expand_definitions(simplified, &[]);
    if written != simplified {
        let mut simp =
            Simplifier::new(&mut session.pool, Vec::new()).with_facts(session.facts.clone());
        let out = simp.simplify(written);
        let mut taken = std::mem::take(&mut simp.steps);
        if session.pool.is_int(out, 0) {
            steps.push(Step::whole(Rule::ExpandDefinition, simplified, written));
            steps.append(&mut taken);
            return Ok(Outcome::Proved { steps });
        }
    }
    // Past the work budget, the symbolic attempts stop and numbers decide, as when no
    // proof is found.
    if session.pool.over_budget() {
        return numeric(session, claim, simplified, seed);
    }
    // The steps that end at `simplified`: the last attempt starts again from there.
    let at_simplified = steps.len();
    // Second attempt: multiply out and split sums, then simplify again.
    let defs = session.definitions_in_order();
    let again = expanded_and_simplified(session, simplified, defs, 256, &mut steps);
    if session.pool.is_int(again, 0) {
        return Ok(Outcome::Proved { steps });
    }
    if session.pool.over_budget() {
        return numeric(session, claim, simplified, seed);
    }
    // Third attempt: a sum of fractions is 0 when its numerator over a common
    // denominator is.
    if let Some(mut cleared) = clear_denominators(session, again) {
        steps.append(&mut cleared);
        return Ok(Outcome::Proved { steps });
    }
    // Fourth attempt: in primitive terms, with every definition and every builtin that
    // the prelude states (`sigmoid`, `tanh`, `tan`, ...) replaced by its body; then
    // multiplied out, simplified, and over a common denominator.
    let builtins = session.builtin_definitions();
    let primitive = session.pool.expand_definitions(again, &builtins);
    if primitive != again && !session.pool.over_budget() {
        steps.push(Step::whole(Rule::ExpandDefinition, again, primitive));
        // Folding would only undo the expansion, so this pass folds nothing.
        let last = expanded_and_simplified(session, primitive, Vec::new(), 4096, &mut steps);
        if session.pool.is_int(last, 0) {
            return Ok(Outcome::Proved { steps });
        }
        if let Some(mut cleared) = clear_denominators(session, last) {
            steps.append(&mut cleared);
            return Ok(Outcome::Proved { steps });
        }
        // Fifth attempt: logarithms combined into one, `ln(1 + e^x) - ln(1 + e^-x) - x`
        // is `ln(e^-x (1 + e^x)/(1 + e^-x))`, which is `ln(1)`.
        if let Some(step) = combine_logarithms(session, last) {
            steps.push(step);
            return Ok(Outcome::Proved { steps });
        }
    }
    // Then, the other attempts having failed, four rewriting passes, each tried on its
    // own from `simplified`: negated arguments in one form (`sigmoid(-y)` as
    // `1 - sigmoid(y)`, `softplus(y - 2x)` as `y - 2x + softplus(2x - y)`, however deep
    // they sit); the sines and cosines of sums and multiples expanded (`sin(2u)` as
    // `2 sin u cos u`); the content of a logarithm's sum taken out (`ln(17 + 6x^2)` as
    // `ln(6) + ln(17/6 + x^2)`); and powers of one whole exponent merged
    // (`(x - 1)^k (x + 1)^k` as `(x^2 - 1)^k`).
    for pass in [
        crate::simplify::negated::negated_arguments,
        crate::simplify::angles::angle_sums,
        crate::simplify::content::logarithm_contents,
        crate::simplify::merge_powers::merged_powers,
    ] {
        if let Some(mut rewritten) = rewritten_and_simplified(session, simplified, pass) {
            steps.truncate(at_simplified);
            steps.append(&mut rewritten);
            return Ok(Outcome::Proved { steps });
        }
    }
    if let Some(mut written) = written_and_expanded(session, simplified) {
        steps.truncate(at_simplified);
        steps.append(&mut written);
        return Ok(Outcome::Proved { steps });
    }
    numeric(session, claim, simplified, seed)
}

/// A rewriting pass of the prover's: the result and the rule instances that made it.
type Pass = fn(&mut crate::expr::pool::Pool, ExprId) -> (ExprId, Vec<crate::trace::Rewrite>);

/// `e` rewritten by `pass` ([`crate::simplify::negated`], [`crate::simplify::angles`]),
/// then simplified, with calls written out, and multiplied out; the steps to 0, if
/// that reaches it.
fn rewritten_and_simplified(session: &mut Workspace, e: ExprId, pass: Pass) -> Option<Vec<Step>> {
    let (one, rewrites) = pass(&mut session.pool, e);
    // With nothing for the pass at the top, it may still find work in the calls.
    let calls = session.pool.expand_definitions(e, &[]) != e;
    if (one == e && !calls) || session.pool.over_budget() {
        return None;
    }
    let defs = session.definitions_in_order();
    let mut steps = Vec::new();
    let out = if one == e {
        e
    } else {
        steps.push(Step::from_rewrites(e, one, rewrites));
        let facts = session.facts.clone();
        let mut simp = Simplifier::new(&mut session.pool, defs.clone()).with_facts(facts);
        let out = simp.simplify(one);
        steps.append(&mut simp.steps);
        out
    };
    if session.pool.is_int(out, 0) {
        return Some(steps);
    }
    // A call such as `bce(z, t)` or `relu(u)` meets the stable forms only once written
    // out, and its body may hold more for the pass to rewrite (`abs(-u)`).
    let written = session.pool.expand_definitions(out, &[]);
    let out = if written == out {
        out
    } else {
        steps.push(Step::whole(Rule::ExpandDefinition, out, written));
        let (again, rewrites) = pass(&mut session.pool, written);
        if again != written {
            steps.push(Step::from_rewrites(written, again, rewrites));
        }
        let facts = session.facts.clone();
        let mut simp = Simplifier::new(&mut session.pool, Vec::new()).with_facts(facts);
        let out = simp.simplify(again);
        steps.append(&mut simp.steps);
        out
    };
    if session.pool.is_int(out, 0) {
        return Some(steps);
    }
    let again = expanded_and_simplified(session, out, defs, 256, &mut steps);
    session.pool.is_int(again, 0).then_some(steps)
}

/// The last attempt: the user's definitions written out, their lengths made one, then
/// multiplied out (twice at most) and simplified; the steps to 0, if that reaches it.
/// A side stated through a definition whose body names a length by another member of
/// its class (`sum(n, dlogits[n, a])` with `dlogits = (P - onehot)/N`, against a
/// derivative whose mean divides by `len(Z)`) meets the other side only so; and the
/// bodies can leave one sum twice with opposite signs, `-(s - d)/n` and `(s - d)/n`,
/// which only multiplying out brings together.
fn written_and_expanded(session: &mut Workspace, e: ExprId) -> Option<Vec<Step>> {
    let written = session.pool.expand_definitions(e, &[]);
    if written == e || session.pool.over_budget() {
        return None;
    }
    let mut steps = vec![Step::whole(Rule::ExpandDefinition, e, written)];
    let mut out = written;
    if let Some(one) = one_length(session, written) {
        steps.push(Step::whole(Rule::EqualLengths, written, one));
        out = one;
    }
    for _ in 0..2 {
        if session.pool.is_int(out, 0) || session.pool.over_budget() {
            break;
        }
        let next = expanded_and_simplified(session, out, Vec::new(), 256, &mut steps);
        if next == out {
            break;
        }
        out = next;
    }
    session.pool.is_int(out, 0).then_some(steps)
}

/// The step `e = 0` for a sum `e` of whole multiples of logarithms of positive
/// expressions and a rest `r`, when `P = prod u^c * exp(r)` is 1: then `e = ln(P) = 0`.
/// `P = 1` is shown as `P - 1` simplifying to 0, multiplied out or over a common
/// denominator; the checker re-derives `P` and compares it with 1 on its own.
fn combine_logarithms(session: &mut Workspace, e: ExprId) -> Option<Step> {
    use crate::expr::node::{Func, Node};
    let Node::Add(terms) = session.pool.node(e).clone() else {
        return None;
    };
    let facts = session.facts.clone();
    let mut factors = Vec::new();
    let mut rest = Vec::new();
    for &t in terms.iter() {
        let (c, r) = session.pool.split_coefficient(t);
        if let Node::Func(Func::Ln, u) = session.pool.node(r).clone()
            && c.is_integer()
            && crate::simplify::sign::Signs::new(&mut session.pool, &facts).positive(u)
        {
            let c = session.pool.num(c);
            factors.push(session.pool.pow(u, c));
        } else {
            rest.push(t);
        }
    }
    if factors.is_empty() || (factors.len() == 1 && rest.is_empty()) {
        return None;
    }
    let r = session.pool.add(rest);
    factors.push(session.pool.func(Func::Exp, r));
    let product = session.pool.mul(factors);
    let one = session.pool.int(1);
    let difference = session.pool.sub(product, one);
    let mut scratch = Vec::new();
    let simplified = expanded_and_simplified(session, difference, Vec::new(), 4096, &mut scratch);
    let zero = session.pool.int(0);
    let is_one =
        session.pool.is_int(simplified, 0) || clear_denominators(session, simplified).is_some();
    is_one.then(|| Step::whole(Rule::CombineLogarithms, e, zero))
}

/// `e` multiplied out (products of at most `budget` terms) and simplified with `defs`
/// available for folding; the steps are appended to `steps`.
fn expanded_and_simplified(
    session: &mut Workspace,
    e: ExprId,
    defs: Vec<crate::expr::node::DefId>,
    budget: usize,
    steps: &mut Vec<Step>,
) -> ExprId {
    let facts = session.facts.clone();
    let mut simp = Simplifier::new(&mut session.pool, defs).with_facts(facts);
    let expanded = simp.expand(e, budget);
    let rewrites = simp.take_rewrites();
    if expanded != e {
        steps.push(Step::from_rewrites(e, expanded, rewrites));
    }
    let out = simp.simplify(expanded);
    steps.append(&mut simp.steps);
    out
}

/// The steps `e = N / m = 0`, when `e` times its denominators `m` multiplies out to a
/// numerator `N` that simplifies to 0. The numerator's simplification is its own
/// steps, so that the rules it needs (Pythagoras, say) are checked one by one.
fn clear_denominators(session: &mut Workspace, e: ExprId) -> Option<Vec<Step>> {
    let facts = session.facts.clone();
    let mut simp = Simplifier::new(&mut session.pool, Vec::new()).with_facts(facts);
    let terms = simp.expand(e, 4096);
    let multiplier = denominators(&mut session.pool, terms);
    if session.pool.is_int(multiplier, 1) {
        return None;
    }
    let (numerator, steps) = over_denominator(session, e, terms, multiplier);
    session.pool.is_int(numerator, 0).then_some(steps)
}

/// `e`, multiplied out as `terms`, over the denominator `m`: the numerator `e * m`
/// multiplied out and simplified, and the steps `e = N0 / m` (clearing denominators),
/// then `N0`'s simplification inside the quotient.
fn over_denominator(
    session: &mut Workspace,
    e: ExprId,
    terms: ExprId,
    m: ExprId,
) -> (ExprId, Vec<Step>) {
    // Each term meets the multiplier before anything is multiplied out, so that the
    // powers of a denominator cancel first.
    let parts: Vec<ExprId> = match session.pool.node(terms) {
        crate::expr::node::Node::Add(ts) => ts.to_vec(),
        _ => vec![terms],
    };
    let parts = parts
        .into_iter()
        .map(|t| session.pool.mul(vec![m, t]))
        .collect();
    let product = session.pool.add(parts);
    let facts = session.facts.clone();
    let mut simp = Simplifier::new(&mut session.pool, Vec::new()).with_facts(facts);
    let numerator = simp.expand(product, 4096);
    let simplified = simp.simplify(numerator);
    let mut steps = simp.steps;
    let minus_one = session.pool.int(-1);
    let inverse = session.pool.pow(m, minus_one);
    let quotient = session.pool.mul(vec![numerator, inverse]);
    let mut first = vec![Step::whole(Rule::ClearDenominators, e, quotient)];
    // The numerator's steps happen inside the quotient.
    for step in &mut steps {
        step.before = session.pool.mul(vec![step.before, inverse]);
        step.after = session.pool.mul(vec![step.after, inverse]);
    }
    first.append(&mut steps);
    (simplified, first)
}

/// The product that clears the denominators of a sum of terms: for each base that
/// appears with exponents differing by numbers (`(y - x)^-2` and `(y - x)^-1`, or
/// `x^(a - 1)` and `x^a`), the base to minus the least of them. Bases with plain
/// positive powers need nothing.
fn denominators(pool: &mut crate::expr::pool::Pool, e: ExprId) -> ExprId {
    use crate::expr::node::Node;
    let ts: Vec<ExprId> = match pool.node(e) {
        Node::Add(ts) => ts.to_vec(),
        _ => vec![e],
    };
    // (base, exponent without its number, least number)
    let mut found: Vec<(ExprId, ExprId, num_rational::BigRational)> = Vec::new();
    for t in ts {
        let fs: Vec<ExprId> = match pool.node(t) {
            Node::Mul(fs) => fs.to_vec(),
            _ => vec![t],
        };
        for f in fs {
            let Node::Pow(base, x) = pool.node(f).clone() else {
                continue;
            };
            let xs: Vec<ExprId> = match pool.node(x) {
                Node::Add(xs) => xs.to_vec(),
                _ => vec![x],
            };
            let mut number: num_rational::BigRational = num_traits::Zero::zero();
            let mut others = Vec::new();
            for t in xs {
                match pool.as_num(t) {
                    Some(n) => number += n,
                    None => others.push(t),
                }
            }
            let rest = pool.add(others);
            let plain_power = pool.is_int(rest, 0);
            if plain_power && number >= num_traits::Zero::zero() {
                continue;
            }
            match found.iter_mut().find(|(b, r, _)| *b == base && *r == rest) {
                Some(entry) if number < entry.2 => entry.2 = number,
                Some(_) => {}
                None => found.push((base, rest, number)),
            }
        }
    }
    let factors = found
        .into_iter()
        .map(|(base, rest, number)| {
            let n = pool.num(-number);
            let r = pool.neg(rest);
            let x = pool.add(vec![r, n]);
            pool.pow(base, x)
        })
        .collect();
    pool.mul(factors)
}
