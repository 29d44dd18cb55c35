//! Claims: proved, confirmed by numbers, or refuted with a counterexample.
//!
//! A claim `lhs = rhs` is **proved** when `lhs - rhs`, with its derivatives taken,
//! simplifies to 0 by the sound rules of [`crate::simplify`] (first as the simplifier
//! leaves it, then after multiplying out products and splitting sums, a normal form in
//! which differently written equal expressions cancel). The steps are kept. Otherwise both
//! sides are evaluated at random points (random axis lengths and index values too): a
//! point where they differ **refutes** the claim and is shown with every name's value and
//! both sides' values; agreement everywhere **confirms** it, which is numeric evidence,
//! not proof. A false claim is never proved: only sound rewrites reach 0.

use std::time::Instant;

use crate::checker::{Rng, eval_sides, sample_for};
use crate::error::{Error, Result};
use crate::node::ExprId;
use crate::session::{Claim, Session};
use crate::simplify::{Simplifier, Step};
use crate::tape::Tape;
use crate::value::{Bindings, format_value};
use crate::verify::{Failure, Verified};

/// How a claim ended.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// `lhs - rhs` simplifies to 0; the steps show how.
    Proved {
        /// The steps from `lhs - rhs` to 0.
        steps: Vec<Step>,
    },
    /// No proof was found, but the two sides agree at every point tried.
    Confirmed {
        /// How many points agreed.
        points: usize,
        /// What `lhs - rhs` simplified to.
        residue: ExprId,
    },
    /// The sides differ at a point, or the right side is undefined where the left one
    /// is defined (a claim must hold wherever its left side does).
    Refuted {
        /// The point: `name = value` for every name.
        point: Vec<(String, String)>,
        /// The left side's value there.
        lhs: f64,
        /// The right side's value there, if it is defined.
        rhs: Option<f64>,
    },
    /// The claim could not be checked.
    Failed(Error),
}

impl Verdict {
    /// The verdict's name in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Proved { .. } => "proved",
            Verdict::Confirmed { .. } => "confirmed",
            Verdict::Refuted { .. } => "refuted",
            Verdict::Failed(_) => "error",
        }
    }
}

/// A claim's outcome.
#[derive(Clone, Debug)]
pub struct ClaimReport {
    /// The claim.
    pub claim: Claim,
    /// The verdict.
    pub verdict: Verdict,
    /// How long it took, in seconds.
    pub seconds: f64,
    /// What the step checker re-verified, when it ran and the proof passed.
    pub verified: Option<Verified>,
    /// Why a proof failed the step checker: a bug in gauge, after which the verdict
    /// fell back to numbers.
    pub checker_failure: Option<Failure>,
}

/// How many random points a claim without a proof is evaluated at.
pub const POINTS: usize = 50;

/// Decides one claim.
pub fn prove(session: &mut Session, claim: &Claim, seed: u64) -> ClaimReport {
    prove_with(session, claim, seed, false)
}

/// Decides one claim; with `verify`, a proof is re-checked step by step by
/// [`crate::verify`], and a proof that fails the checker is reported in
/// [`ClaimReport::checker_failure`] and replaced by the numeric verdict.
pub fn prove_with(session: &mut Session, claim: &Claim, seed: u64, verify: bool) -> ClaimReport {
    let start = Instant::now();
    let mut verified = None;
    let mut checker_failure = None;
    let mut verdict = match decide(session, claim, seed) {
        Ok(v) => v,
        Err(e) => Verdict::Failed(e),
    };
    if verify && let Verdict::Proved { steps } = &verdict {
        match crate::verify::check_proof(session, claim.lhs, claim.rhs, steps, seed) {
            Ok(v) => verified = Some(v),
            Err(f) => {
                checker_failure = Some(f);
                verdict = fallback(session, claim, seed);
            }
        }
    }
    ClaimReport {
        claim: claim.clone(),
        verdict,
        seconds: start.elapsed().as_secs_f64(),
        verified,
        checker_failure,
    }
}

/// The numeric verdict, for a claim whose proof failed the checker.
fn fallback(session: &mut Session, claim: &Claim, seed: u64) -> Verdict {
    let difference = session.pool.sub(claim.lhs, claim.rhs);
    let result = crate::derivation::take_derivatives(&mut session.pool, difference)
        .and_then(|(taken, _)| numeric(session, claim, taken, taken, seed));
    match result {
        Ok(v) => v,
        Err(e) => Verdict::Failed(e),
    }
}

fn decide(session: &mut Session, claim: &Claim, seed: u64) -> Result<Verdict> {
    let difference = session.pool.sub(claim.lhs, claim.rhs);
    let (taken, _, step) = crate::derivation::differentiate_step(&mut session.pool, difference)?;
    let defs = session.definitions_in_order();
    let facts = session.facts.clone();
    let mut simp = Simplifier::new(&mut session.pool, defs).with_facts(facts);
    let mut steps: Vec<Step> = step.into_iter().collect();
    let simplified = simp.simplify(taken);
    steps.append(&mut simp.steps);
    if session.pool.is_int(simplified, 0) {
        return Ok(Verdict::Proved { steps });
    }
    // Second attempt: multiply out and split sums, then simplify again.
    let defs = session.definitions_in_order();
    let facts = session.facts.clone();
    let mut simp = Simplifier::new(&mut session.pool, defs).with_facts(facts);
    let expanded = simp.expand(simplified, 256);
    let rewrites = simp.take_rewrites();
    if expanded != simplified {
        steps.push(Step::from_rewrites(simplified, expanded, rewrites));
    }
    let again = simp.simplify(expanded);
    steps.append(&mut simp.steps);
    if session.pool.is_int(again, 0) {
        return Ok(Verdict::Proved { steps });
    }
    // Third attempt: a sum of fractions is 0 when its numerator over a common
    // denominator is; multiply by the denominators, multiply out, and simplify.
    let defs = session.definitions_in_order();
    let facts = session.facts.clone();
    let mut simp = Simplifier::new(&mut session.pool, defs.clone()).with_facts(facts.clone());
    let terms = simp.expand(again, 4096);
    let multiplier = denominators(&mut session.pool, terms);
    if !session.pool.is_int(multiplier, 1) {
        let product = session.pool.mul(vec![multiplier, terms]);
        let mut simp = Simplifier::new(&mut session.pool, defs).with_facts(facts);
        let expanded = simp.expand(product, 4096);
        let numerator = simp.simplify(expanded);
        if session.pool.is_int(numerator, 0) {
            steps.push(Step::whole("clear-denominators", again, numerator));
            return Ok(Verdict::Proved { steps });
        }
    }
    numeric(session, claim, taken, simplified, seed)
}

/// The product that clears the denominators of a sum of terms: for each base that
/// appears with exponents differing by numbers (`(y - x)^-2` and `(y - x)^-1`, or
/// `x^(a - 1)` and `x^a`), the base to minus the least of them. Bases with plain
/// positive powers need nothing.
fn denominators(pool: &mut crate::pool::Pool, e: ExprId) -> ExprId {
    use crate::node::Node;
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
            let is_sum = matches!(pool.node(base), Node::Add(_));
            if plain_power && !(is_sum && number < num_traits::Zero::zero()) {
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

/// Evaluates both sides at random points.
fn numeric(
    session: &mut Session,
    claim: &Claim,
    taken: ExprId,
    residue: ExprId,
    seed: u64,
) -> Result<Verdict> {
    // The sides with their derivatives taken, so that both can be evaluated.
    let (lhs, _) = crate::derivation::take_derivatives(&mut session.pool, claim.lhs)?;
    let (rhs, _) = crate::derivation::take_derivatives(&mut session.pool, claim.rhs)?;
    let _ = taken;
    let left = Tape::compile(&mut session.pool, lhs)?;
    let right = Tape::compile(&mut session.pool, rhs)?;
    let mut rng = Rng(seed);
    let mut agreed = 0;
    let mut tries = 0;
    while agreed < POINTS && tries < POINTS * 20 {
        tries += 1;
        let at = sample_for(session, &[lhs, rhs], &mut rng)?;
        // Points outside the left side's domain say nothing about the claim.
        let Some((l, r)) = eval_sides(&session.pool, &left, &right, &at) else {
            continue;
        };
        let agrees = r.is_some_and(|r| (l - r).abs() <= 1e-9 * (1.0 + l.abs().max(r.abs())));
        if agrees {
            agreed += 1;
        } else {
            return Ok(Verdict::Refuted {
                point: describe(session, &at, &[lhs, rhs]),
                lhs: l,
                rhs: r,
            });
        }
    }
    if agreed == 0 {
        return Err(Error::new(
            crate::error::ErrorKind::Domain,
            "no point where both sides are defined was found",
        )
        .with_hint("state the domain with `assume`"));
    }
    Ok(Verdict::Confirmed {
        points: agreed,
        residue,
    })
}

fn describe(session: &Session, at: &Bindings, exprs: &[ExprId]) -> Vec<(String, String)> {
    let mut names = Vec::new();
    for &e in exprs {
        for s in session.names_used(e) {
            if !names.contains(&s) {
                names.push(s);
            }
        }
    }
    names
        .into_iter()
        .filter_map(|s| {
            at.get(s)
                .map(|v| (session.pool.name(s).to_string(), format_value(v)))
        })
        .collect()
}
