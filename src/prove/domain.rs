//! A claim's two sides held to their domains as written: a proof or numeric agreement
//! says nothing where one side is defined and the other is not.

use crate::diag::error::{Error, Result};
use crate::expr::node::ExprId;
use crate::lower::workspace::{Claim, Workspace};
use crate::numeric::sample::{Rng, sample_spread};
use crate::numeric::tape::Tape;

use super::Outcome;
use super::numeric::{Decided, Precise};

/// How many points a proved claim's sides are tried at for being defined alike.
const DEFINED_POINTS: usize = 8;

/// Whether a proved or confirmed claim's sides are defined alike, as written: at
/// points where the left side (and what its canonical form dropped, see
/// [`Claim::guards`]) is defined, the right side and its dropped parts must be too;
/// the claim is refuted at a point where high precision certifies that they are not.
/// A left side defined at none of the points tried (`ln(-1 - x^2)`) proves nothing,
/// and is an error that says so.
pub(super) fn defined_alike(
    session: &mut Workspace,
    claim: &Claim,
    seed: u64,
) -> Result<Option<Outcome>> {
    let (lhs, _) = crate::calculus::derivation::take_derivatives(&mut session.pool, claim.lhs)?;
    let (rhs, _) = crate::calculus::derivation::take_derivatives(&mut session.pool, claim.rhs)?;
    let no_guards = claim.guards.iter().all(Vec::is_empty);
    // A side without names is a constant, whose definedness the proof itself met.
    if no_guards
        && session.pool.free_symbols(lhs).is_empty()
        && session.pool.free_symbols(rhs).is_empty()
    {
        return Ok(None);
    }
    let (Ok(left), Ok(right)) = (
        Tape::compile(&mut session.pool, lhs),
        Tape::compile(&mut session.pool, rhs),
    ) else {
        return Ok(None);
    };
    // Each side's dropped parts, as expressions of their own (one that cannot be
    // compiled, such as a summand with its summation index, is left out).
    let mut guards: [Vec<(ExprId, Tape)>; 2] = [Vec::new(), Vec::new()];
    for (side, list) in claim.guards.iter().enumerate() {
        for &g in list {
            if let Ok(t) = Tape::compile(&mut session.pool, g) {
                guards[side].push((g, t));
            }
        }
    }
    let mut rng = Rng(seed ^ 0x5eed_def1);
    let mut precise = Precise::default();
    let mut defined = 0;
    let mut names = vec![lhs, rhs];
    names.extend(claim.guards.iter().flatten().copied());
    for tries in 0..DEFINED_POINTS * 20 {
        if defined >= DEFINED_POINTS {
            break;
        }
        let spread = if tries % 3 == 2 { 10.0 } else { 1.0 };
        let Ok(at) = sample_spread(session, &names, &mut rng, spread) else {
            return Ok(None);
        };
        // `Some(false)`: the expression certainly fails in f64 here; `None`: it cannot
        // be evaluated at this point (a name it needs is not bound).
        let fails = |tape: &Tape| -> Option<bool> {
            let inputs = tape.inputs(&session.pool, &at).ok()?;
            Some(tape.eval(&inputs).is_err())
        };
        let left_defined =
            fails(&left) == Some(false) && guards[0].iter().all(|(_, t)| fails(t) != Some(true));
        if !left_defined {
            continue;
        }
        defined += 1;
        let mut undefined_right: Vec<ExprId> = Vec::new();
        if fails(&right) == Some(true) {
            undefined_right.push(rhs);
        }
        undefined_right.extend(
            guards[1]
                .iter()
                .filter(|(_, t)| fails(t) == Some(true))
                .map(|(g, _)| *g),
        );
        for g in undefined_right {
            if !precise.spared(false) {
                break;
            }
            // Refuted only where high precision certifies that the right side (or
            // the part of it that its canonical form dropped) is undefined.
            if let Decided::Refuted(outcome) = precise.decide(session, lhs, g, &at, false, false)?
                && matches!(outcome, Outcome::Refuted { rhs: None, .. })
            {
                return Ok(Some(outcome));
            }
        }
    }
    if defined == 0 {
        return Err(Error::new(
            crate::diag::error::ErrorKind::Domain,
            "the two sides agree as expressions, but the left side is defined at none of the points tried, so this proves nothing",
        )
        .with_hint("a logarithm or root of an expression that is never positive is defined nowhere; state the domain with `assume`"));
    }
    Ok(None)
}
