//! Named intermediates in the facade (see [`crate::calculus::adjoint`]): recognizing
//! one by name in a list of variables, and deciding a claim whose derivatives by
//! intermediates are taken before the prover sees it.

use crate::lower::workspace::Workspace;

/// The number of axes of the named intermediate `name` (a definition without
/// parameters: `let h[i] = ...` has 1, `let s = ...` 0), or `None` when `name` is not
/// one.
pub(crate) fn intermediate_rank(ws: &Workspace, name: &str) -> Option<usize> {
    let &def = ws.scope.defs.get(name.trim())?;
    let d = ws.pool.definition(def);
    (d.params.is_empty() && d.builtin.is_none()).then_some(d.indices.len())
}

/// Whether `name` is a tensor or a named intermediate with axes: what a gradient or a
/// Hessian by one name takes in index form.
pub(crate) fn is_indexed(ws: &Workspace, name: &str) -> bool {
    crate::api::session::is_tensor(ws, name) || intermediate_rank(ws, name).is_some_and(|r| r > 0)
}

/// Decides a claim. Its derivatives by named intermediates (`diff(L, h[j])`) are taken
/// first, so that the prover sees the derivative (see [`crate::calculus::adjoint`]);
/// with `verify`, the checker confirms each of them as the derivative by the
/// intermediate's stand-in, which is a derivative by an element that it knows how to
/// take. The report shows the claim as written, and its proof starts with the step
/// that takes those derivatives.
pub(crate) fn decide_claim(
    ws: &mut Workspace,
    claim: &crate::lower::workspace::Claim,
    seed: u64,
    verify: bool,
) -> crate::prove::ClaimReport {
    use crate::prove::{ClaimReport, Outcome, Verdict};
    use crate::trace::{Rule, Step};
    let taken = crate::calculus::adjoint::take_adjoints(&mut ws.pool, claim.lhs).and_then(
        |(lhs, mut by_lhs)| {
            let (rhs, mut by_rhs) =
                crate::calculus::adjoint::take_adjoints(&mut ws.pool, claim.rhs)?;
            by_lhs.append(&mut by_rhs);
            Ok((lhs, rhs, by_lhs))
        },
    );
    let (lhs, rhs, adjoints) = match taken {
        Ok(t) => t,
        Err(e) => {
            return ClaimReport {
                claim: claim.clone(),
                verdict: Outcome::Failed(e),
                seconds: 0.0,
                verified: None,
                checker_failure: None,
                chain: None,
                facts_used: Vec::new(),
            };
        }
    };
    if adjoints.is_empty() {
        return crate::prove::prove_with(ws, claim, seed, verify);
    }
    let derived = crate::lower::workspace::Claim {
        lhs,
        rhs,
        ..claim.clone()
    };
    let mut report = crate::prove::prove_with(ws, &derived, seed, verify);
    if verify && report.verdict.verdict() == Verdict::Proved {
        for t in &adjoints {
            match crate::verify::check_steps(ws, std::slice::from_ref(&t.by_stand_in), seed) {
                Ok(v) => {
                    if let Some(total) = report.verified.as_mut() {
                        total.steps += v.steps;
                        total.rewrites += v.rewrites;
                        total.points += v.points;
                    }
                }
                Err(f) => {
                    // As for a proof that fails the checker: the verdict falls back to
                    // numbers, which the claim as written gets from the prover.
                    let mut fallback = crate::prove::prove_with(ws, claim, seed, true);
                    fallback.checker_failure = Some(f);
                    fallback.verified = None;
                    fallback.chain = None;
                    return fallback;
                }
            }
        }
    }
    // The proof reads from the claim as written: its first step takes the derivatives
    // by intermediates.
    if let Outcome::Proved { steps } = &mut report.verdict {
        let before = ws.pool.sub(claim.lhs, claim.rhs);
        let after = ws.pool.sub(lhs, rhs);
        if steps.first().is_none_or(|st| st.before == after) && before != after {
            steps.insert(0, Step::whole(Rule::Differentiate, before, after));
        }
    }
    if let Some(chain) = report.chain.as_mut() {
        if claim.lhs != lhs && chain.left.first().is_none_or(|st| st.before == lhs) {
            chain
                .left
                .insert(0, Step::whole(Rule::Differentiate, claim.lhs, lhs));
        }
        if claim.rhs != rhs && chain.right.first().is_none_or(|st| st.before == rhs) {
            chain
                .right
                .insert(0, Step::whole(Rule::Differentiate, claim.rhs, rhs));
        }
    }
    report.claim = claim.clone();
    report
}
