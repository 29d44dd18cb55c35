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

use crate::checker::{Rng, sample_for};
use crate::error::{Error, Result};
use crate::node::ExprId;
use crate::session::{Claim, Session};
use crate::simplify::{Simplifier, Step};
use crate::tape::Tape;
use crate::value::{Bindings, format_value};

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
}

/// How many random points a claim without a proof is evaluated at.
pub const POINTS: usize = 50;

/// Decides one claim.
pub fn prove(session: &mut Session, claim: &Claim, seed: u64) -> ClaimReport {
    let start = Instant::now();
    let verdict = match decide(session, claim, seed) {
        Ok(v) => v,
        Err(e) => Verdict::Failed(e),
    };
    ClaimReport {
        claim: claim.clone(),
        verdict,
        seconds: start.elapsed().as_secs_f64(),
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
    numeric(session, claim, taken, simplified, seed)
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
        let (Ok(li), Ok(ri)) = (
            left.inputs(&session.pool, &at),
            right.inputs(&session.pool, &at),
        ) else {
            continue;
        };
        // Points outside the left side's domain say nothing about the claim.
        let Ok(l) = left.eval(&li) else {
            continue;
        };
        let r = right.eval(&ri).ok();
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
