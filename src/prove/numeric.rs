//! The numeric verdict of a claim without a proof: both sides evaluated at points chosen
//! to find bugs, each agreement certified in high-precision interval arithmetic, and a
//! difference reported only when it is certified.
//!
//! Points come from regions ([`Region`]): near 1, ten times as wide, large and huge
//! magnitudes, tiny ones and the values just inside a bound, the special values 0, ±1
//! and ties between tensor elements, and the kinks, domain boundaries and saturation
//! points of the claim's own sub-expressions, found by search ([`super::targets`]).
//! Axes take random lengths from 1 to 8, every axis 1 or 2 long at some points, and one
//! axis at a time 64 long at others.
//!
//! `f64` screens each point. Where the sides agree in `f64`, the point is certified in
//! interval arithmetic too (at [`CONFIRM_BITS`], and the first few at up to 2,048 bits),
//! and only certified points count: a claim is `confirmed` only when every point tested
//! agrees there. Where `f64` disagrees, or fails where high precision may not, high
//! precision decides, and only a certified difference refutes the claim.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::node::ExprId;
use crate::lower::workspace::{Claim, Workspace};
use crate::numeric::precise::{self, Comparison};
use crate::numeric::sample::{
    Draw, Rng, eval_sides, intermediate_rounding, sample_draw, within_conditioning,
};
use crate::numeric::tape::Tape;
use crate::numeric::value::{Bindings, Value, format_value};

use super::targets::Targets;
use super::{Certificate, Outcome, POINTS};

/// How many points of one claim may be handed to high precision where `f64` disagreed
/// or failed, so that a claim whose every point is hard costs a bounded time.
const PRECISE_POINTS: usize = 60;

/// How many points where the sides agree in f64 are certified at every precision up
/// to 2,048 bits, which sees a relative difference down to 2^-1024.
const SPOT_CHECKS: usize = 3;

/// The precision the other agreeing points are certified at, in bits: their sides
/// agree to 2^-128 of their size.
pub const CONFIRM_BITS: usize = 256;

/// Where a point was drawn, for the report of a confirmed claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    /// Unbounded scalars in [-3, 3], positives from 0.01 to 100, tensor elements in
    /// [-2, 2].
    Unit,
    /// Ten times as wide.
    Wide,
    /// A thousand times as wide.
    Large,
    /// A hundred thousand times as wide (positives up to 1e8).
    Huge,
    /// Magnitudes near 1e-6 and below, and values just inside their bounds.
    Tiny,
    /// Values set to 0, 1 or -1, and tensor elements tied.
    Special,
    /// A sub-expression at a kink (`abs`), a domain boundary (`ln`, `sqrt`, `asin`) or
    /// saturated (`tanh`, `sigmoid`), found by search along one scalar.
    Kink,
}

impl Region {
    /// The region as the report names it.
    pub fn describe(self) -> &'static str {
        match self {
            Region::Unit => "|x| <= 3",
            Region::Wide => "|x| <= 30",
            Region::Large => "|x| <= 3e3",
            Region::Huge => "|x| <= 3e5, positives to 1e8",
            Region::Tiny => "tiny (|x| <= 3e-6, or just inside a bound)",
            Region::Special => "special values (0, 1, -1, tied elements)",
            Region::Kink => "kinks, domain boundaries and saturation",
        }
    }
}

/// What a `confirmed` verdict rests on: every point tested, where it came from, and
/// the precision that certified it.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Evidence {
    /// Points where both sides agree in certified interval arithmetic.
    pub points: usize,
    /// The least precision any of them was certified at, in bits.
    pub bits: usize,
    /// How many of those were certified at 2,048 bits.
    pub deep: usize,
    /// The points per region.
    pub regions: BTreeMap<Region, usize>,
    /// The axis lengths the points' tensors had.
    pub lengths: BTreeSet<usize>,
    /// Points where `f64` agreed but high precision could not certify the agreement
    /// (over its budget, or beyond the range of `f64`): not counted, and said so.
    pub uncertified: usize,
    /// Whether the claim has no names, so that it has one point only and the evidence
    /// is that point, certified at every precision up to 2,048 bits.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub constant: bool,
}

impl Evidence {
    /// The evidence as a sentence of the report.
    pub fn describe(&self) -> String {
        let regions: Vec<String> = self
            .regions
            .iter()
            .map(|(r, n)| format!("{n} {}", r.describe()))
            .collect();
        let lengths = if self.lengths.is_empty() {
            String::new()
        } else {
            let ls: Vec<String> = self.lengths.iter().map(|n| n.to_string()).collect();
            format!("; axis lengths {}", ls.join(", "))
        };
        let skipped = if self.uncertified > 0 {
            format!(
                "; {} more points agreed in f64 only and were not counted",
                self.uncertified
            )
        } else {
            String::new()
        };
        // A claim without names has one point, and the report says that this is why
        // it rests on one point, rather than passing it off as a search.
        if self.constant {
            return format!(
                "the claim has no variables, so it has one point: both sides agree there, \
                 certified in {}-bit interval arithmetic{skipped}",
                self.bits
            );
        }
        let points = if self.points == 1 { "point" } else { "points" };
        format!(
            "both sides agree at {} {points}, each certified in {}-bit interval arithmetic \
             ({} of them at 2048 bits): {}{lengths}{skipped}",
            self.points,
            self.bits,
            self.deep,
            regions.join(", "),
        )
    }
}

/// The way one try draws its point.
fn plan(tries: usize, agreed: usize) -> (Draw, Region) {
    let (spread, region) = if tries % 4 == 1 {
        (1.0, Region::Special)
    } else if tries % 9 == 8 {
        (1.0, Region::Kink)
    } else if tries % 5 == 4 {
        (1e5, Region::Huge)
    } else if tries % 7 == 6 {
        (1e3, Region::Large)
    } else if tries % 11 == 10 {
        (1e-6, Region::Tiny)
    } else if tries % 3 == 0 || (agreed == 0 && tries > POINTS * 10) {
        (10.0, Region::Wide)
    } else {
        (1.0, Region::Unit)
    };
    // Every axis 1 or 2 long at some points, and one axis at a time 64 long: where a
    // sum has one term, two, or more than a small random length gives.
    let axis = match tries % 12 {
        2 => Some(1),
        5 => Some(2),
        _ => None,
    };
    let long = (tries % 12 == 11).then_some((tries / 12) % 4);
    // The first special points put every scalar at 0, then 1, then -1.
    let all = match tries / 4 {
        0 => Some(0.0),
        1 => Some(1.0),
        2 => Some(-1.0),
        _ => None,
    };
    let draw = Draw {
        spread,
        special: region == Region::Special,
        all,
        axis,
        long,
    };
    (draw, region)
}

/// Evaluates both sides at points chosen to find bugs (see the module docs): in `f64`
/// first, then in high-precision interval arithmetic ([`crate::numeric::precise`]),
/// which certifies each agreement and every difference.
pub(super) fn numeric(
    session: &mut Workspace,
    claim: &Claim,
    residue: ExprId,
    seed: u64,
) -> Result<Outcome> {
    // A part of the left side without names that is certainly undefined (`ln(erf(9))`
    // is negative, so its cube root is) leaves the left side defined nowhere: say so
    // at once, rather than after a search of every region for a point.
    let (lhs, _) = crate::calculus::derivation::take_derivatives(&mut session.pool, claim.lhs)?;
    if let Some((part, why)) = undefined_constant(&mut session.pool, lhs) {
        return Err(Error::new(
            ErrorKind::Domain,
            format!(
                "the left side is defined nowhere: its part `{}`, which has no variables, is undefined ({why})",
                crate::print::text::to_text_abridged(&session.pool, part, 64)
            ),
        )
        .with_hint("a claim is decided where its left side is defined"));
    }
    let mut outcome = search(session, claim, lhs, residue, seed)?;
    // A difference that simplified to a number is that number at every point where
    // both sides are defined: the refutation states it exactly, in rational arithmetic.
    if let Outcome::Refuted { certificate, .. } = &mut outcome
        && session
            .pool
            .as_num(residue)
            .is_some_and(|r| !num_traits::Zero::is_zero(r))
    {
        certificate.exact = Some(crate::print::text::to_text(&session.pool, residue));
    }
    Ok(outcome)
}

/// The first part of `e` without names (no variable, index or length) that is certainly
/// undefined in 256-bit interval arithmetic, with the reason; the parts are taken
/// whole, outermost first.
fn undefined_constant(pool: &mut crate::expr::pool::Pool, e: ExprId) -> Option<(ExprId, String)> {
    use crate::expr::node::Node;
    let mut todo = vec![e];
    let mut seen = rustc_hash::FxHashSet::default();
    let empty = crate::numeric::value::Bindings::new();
    while let Some(x) = todo.pop() {
        if !seen.insert(x) {
            continue;
        }
        let node = pool.node(x).clone();
        if matches!(node, Node::Num(_) | Node::Const(_)) {
            continue;
        }
        let closed = pool.free_symbols(x).is_empty()
            && pool.free_indices_ref(x).is_empty()
            && !has_length(pool, x);
        if closed {
            if let precise::Comparison::Undefined(why) =
                precise::compare_at_precisions(pool, x, x, &empty, &[256])
            {
                return Some((x, why));
            }
            continue;
        }
        todo.extend(crate::expr::node::children(&node));
    }
    None
}

/// Whether `e` names a length (`len(x)`), which takes its value from a point.
fn has_length(pool: &crate::expr::pool::Pool, e: ExprId) -> bool {
    use crate::expr::node::Node;
    // Each node once: a part can be a deep DAG.
    let mut todo = vec![e];
    let mut seen = rustc_hash::FxHashSet::default();
    while let Some(x) = todo.pop() {
        if !seen.insert(x) {
            continue;
        }
        if matches!(pool.node(x), Node::Len(..)) {
            return true;
        }
        todo.extend(crate::expr::node::children(pool.node(x)));
    }
    false
}

/// [`numeric`]'s search for points; `lhs` is the left side with its derivatives taken.
fn search(
    session: &mut Workspace,
    claim: &Claim,
    lhs: ExprId,
    residue: ExprId,
    seed: u64,
) -> Result<Outcome> {
    // The right side with its derivatives taken too, so that both can be evaluated.
    let (rhs, _) = crate::calculus::derivation::take_derivatives(&mut session.pool, claim.rhs)?;
    let left = Tape::compile(&mut session.pool, lhs)?;
    let right = Tape::compile(&mut session.pool, rhs)?;
    // The parts of the left side that its canonical form dropped (`1/x` of `x*x/x`):
    // a point where one of them fails is outside the left side's domain as written,
    // and says nothing about the claim.
    let mut dropped = Vec::new();
    for &g in claim.guards.first().map(Vec::as_slice).unwrap_or(&[]) {
        let (g, _) = crate::calculus::derivation::take_derivatives(&mut session.pool, g)?;
        if let Ok(t) = Tape::compile(&mut session.pool, g) {
            dropped.push(t);
        }
    }
    let targets = Targets::of(session, &[lhs, rhs]);
    let schedule = targets.schedule();
    let mut aims = 0;
    let mut rng = Rng(seed);
    let mut evidence = Evidence {
        bits: usize::MAX,
        ..Evidence::default()
    };
    let mut tries = 0;
    let mut precise = Precise::default();
    let mut last_error = None;
    // A claim without names has one point: it is decided there, at every precision up
    // to 2,048 bits, and drawing again only repeats the work. The names are those of
    // the claim as written, not only of its sides with the derivatives taken: the
    // second derivative of `sum(j, g[j]^2)` by `g[k]` is the number 2, but the claim
    // is about every `g` and `k`, so its points draw them (the axis lengths, the
    // index) as for any other claim. Where the derived sides keep names, the points
    // are drawn over those alone, as they always were.
    let derived_constant = session.names_used(lhs).is_empty() && session.names_used(rhs).is_empty();
    let constant = derived_constant
        && session.names_used(claim.lhs).is_empty()
        && session.names_used(claim.rhs).is_empty();
    let drawn: Vec<ExprId> = if derived_constant && !constant {
        vec![lhs, rhs, claim.lhs, claim.rhs]
    } else {
        vec![lhs, rhs]
    };
    evidence.constant = constant;
    let (needed, most) = if constant {
        (1, 2)
    } else {
        (POINTS, POINTS * 20)
    };
    while evidence.points < needed && tries < most {
        tries += 1;
        let (mut draw, mut region) = plan(tries, evidence.points);
        // The scheduled aims move one scalar of a point near 1, so that the others
        // stay where the sides are defined and finite.
        let scheduled = region != Region::Special && aims < schedule.len();
        if scheduled {
            draw = Draw::default();
        }
        // Each target is aimed at first (see [`Targets::schedule`]), then at random at
        // kink points. An aimed point where the left side fails in f64 (`exp(x*y)`
        // with `x` moved to 1e6 and `y > 0`) is aimed again from a new draw, a few
        // times, so that the kink is looked at where the claim can be evaluated.
        let aim = scheduled.then(|| schedule.get(aims).copied()).flatten();
        if aim.is_some() {
            aims += 1;
        }
        let mut attempts = 0;
        let at = loop {
            attempts += 1;
            let mut at = match sample_draw(session, &drawn, &mut rng, &draw) {
                Ok(at) => at,
                // A draw of its own kind (every axis 64 long) that cannot meet the
                // facts is skipped; the usual draw's failure is the claim's error.
                Err(e) if draw.axis.is_some() || draw.long.is_some() || draw.special => {
                    last_error = Some(e);
                    break None;
                }
                Err(e) => return Err(e),
            };
            let aimed = match aim {
                Some((k, side)) => {
                    region = Region::Kink;
                    targets.aim_at(k, side, session, &mut at, &mut rng)
                }
                None => region == Region::Kink && targets.aim(session, &mut at, &mut rng),
            };
            if region == Region::Kink && !aimed {
                region = Region::Unit;
            }
            let evaluated = || {
                left.inputs(&session.pool, &at)
                    .and_then(|i| left.eval(&i))
                    .is_ok()
            };
            if region != Region::Kink || attempts >= 4 || evaluated() {
                break Some(at);
            }
        };
        let Some(at) = at else {
            continue;
        };
        // A dropped part that cannot be evaluated here (one with a sum's index,
        // which no point binds) says nothing.
        let outside = dropped.iter().any(|t| {
            t.inputs(&session.pool, &at)
                .is_ok_and(|i| t.eval(&i).is_err())
        });
        if outside {
            continue;
        }
        let Some((l, r)) = eval_sides(&session.pool, &left, &right, &at) else {
            // The left side failed in f64: outside its domain, which says nothing
            // about the claim, unless rounding pushed it out (`ln` of a difference
            // that rounds to 0); high precision tells, for a bounded number of points.
            if precise.spared(false) {
                match precise.decide(session, lhs, rhs, &at, false, false)? {
                    Decided::Refuted(outcome) => return Ok(outcome),
                    Decided::Agreed(bits) => evidence.count(&at, region, bits),
                    Decided::Skipped | Decided::Unsure => {}
                }
            }
            continue;
        };
        // Rounding of large intermediates explains small differences only: at most a
        // millionth of the values' size, so that it never hides a real mistake.
        let large = intermediate_rounding(&session.pool, &[&left, &right], &at);
        let agrees = r.is_some_and(|r| {
            let size = 1.0 + l.abs().max(r.abs());
            (l - r).abs() <= 1e-9 * size + large.min(1e-6 * size)
        });
        if agrees {
            // f64 cannot see a difference below its rounding (`x^2 + 1e-30` against
            // `x^2`), so every agreeing point is certified; the first few at every
            // precision up to 2,048 bits.
            let deep = precise.spot_checks < SPOT_CHECKS;
            precise.spot_checks += 1;
            match precise.decide(session, lhs, rhs, &at, false, !deep)? {
                Decided::Refuted(outcome) => return Ok(outcome),
                Decided::Agreed(bits) => evidence.count(&at, region, bits),
                // An agreement high precision cannot certify is not counted.
                Decided::Unsure => evidence.uncertified += 1,
                Decided::Skipped => {}
            }
            continue;
        }
        // The sides disagree in f64, or the right side failed: the difference may be
        // real or rounding (in an ill-conditioned spot, `sin` of 10^9), and only
        // high precision can say which.
        if !precise.spared(true) {
            let ill = r.is_some_and(|r| within_conditioning(session, &left, &at, l, (l - r).abs()));
            precise.undecided(if ill {
                "the points were ill-conditioned in f64".into()
            } else {
                format!("more than {PRECISE_POINTS} points needed high precision")
            });
            continue;
        }
        match precise.decide(session, lhs, rhs, &at, true, false)? {
            Decided::Refuted(outcome) => return Ok(outcome),
            Decided::Agreed(bits) => evidence.count(&at, region, bits),
            Decided::Skipped | Decided::Unsure => {}
        }
    }
    // A point where the sides disagreed in f64 and high precision could not tell
    // whether they really differ is not evidence for the claim, and the claim is not
    // confirmed however many other points agree: only undecided.
    if let Some(why) = &precise.reason {
        let decided = if evidence.points == 0 {
            "high precision could not decide any of them".to_string()
        } else {
            format!(
                "they agree at {} others, but high precision could not decide these",
                evidence.points
            )
        };
        return Err(Error::new(
            ErrorKind::Domain,
            format!(
                "undecided: the sides disagree in f64 at {} of the points tried, and {decided} \
                 ({why})",
                precise.unsure
            ),
        )
        .with_hint("f64 alone never refutes a claim; try a narrower domain with `assume`"));
    }
    if evidence.points == 0 {
        if evidence.uncertified > 0 {
            return Err(Error::new(
                ErrorKind::Domain,
                format!(
                    "undecided: the sides agree in f64 at {} points, but high precision could \
                     certify none of them",
                    evidence.uncertified
                ),
            )
            .with_hint("the expressions may be too large or too far beyond f64's range"));
        }
        if let Some(e) = last_error {
            return Err(e);
        }
        if let Some(why) = &precise.failed_why {
            return Err(Error::new(
                ErrorKind::Domain,
                format!(
                    "undecided: the left side fails in f64 at every point tried, and high \
                     precision could not decide them ({why})"
                ),
            )
            .with_hint(
                "gauge holds a claim to values f64 can show; state the domain with `assume`",
            ));
        }
        return Err(Error::new(
            ErrorKind::Domain,
            "no point where the left side is defined was found",
        )
        .with_hint("state the domain with `assume`"));
    }
    Ok(Outcome::Confirmed { evidence, residue })
}

impl Evidence {
    /// Counts a certified point of `region`, with its axis lengths.
    fn count(&mut self, at: &Bindings, region: Region, bits: usize) {
        self.points += 1;
        self.bits = self.bits.min(bits);
        if bits >= *precise::PRECISIONS.last().unwrap_or(&bits) {
            self.deep += 1;
        }
        *self.regions.entry(region).or_insert(0) += 1;
        for s in at.names() {
            if let Some(Value::Tensor(t)) = at.get(s) {
                self.lengths.extend(t.shape.iter().copied());
            }
        }
    }
}

/// What high precision made of one point.
pub(super) enum Decided {
    /// A certified counterexample, as the claim's outcome.
    Refuted(Outcome),
    /// The sides agree at this precision, in bits.
    Agreed(usize),
    /// The left side is certainly undefined: the point is skipped.
    Skipped,
    /// Nothing could be decided: the point is skipped, or keeps its f64 verdict.
    Unsure,
}

/// The prover's use of high precision for one claim: how many points it was asked
/// about, and why the undecided ones were.
#[derive(Default)]
pub(super) struct Precise {
    /// Points handed over where the sides disagreed in f64.
    disagreed: usize,
    /// Points handed over where the left side failed in f64.
    failed: usize,
    /// Points where the sides disagreed in f64 that high precision left undecided.
    unsure: usize,
    /// Why the last of those was undecided; set exactly when `unsure` is not 0.
    reason: Option<String>,
    /// Points where the sides agreed in f64 that were certified.
    spot_checks: usize,
    /// Why high precision could not decide the last point where the left side failed
    /// in f64 (beyond its range, say), for the error when no point was decided.
    failed_why: Option<String>,
}

impl Precise {
    /// Whether one more point may go to high precision: where the sides disagreed in
    /// f64 (`disagreed`), or where the left side failed there, each kind counted
    /// against [`PRECISE_POINTS`], so that neither crowds the other out.
    pub(super) fn spared(&mut self, disagreed: bool) -> bool {
        let count = if disagreed {
            &mut self.disagreed
        } else {
            &mut self.failed
        };
        *count += 1;
        *count <= PRECISE_POINTS
    }

    /// Records a disagreeing point left undecided.
    fn undecided(&mut self, why: String) {
        self.unsure += 1;
        self.reason = Some(why);
    }

    /// Compares the two sides at `at` in high precision; `disagreed` says the sides
    /// disagreed in f64 (else they agreed, or the left side failed there), so that an
    /// undecided point counts as one the claim could not be decided at; `moderate`
    /// stops at [`CONFIRM_BITS`].
    pub(super) fn decide(
        &mut self,
        session: &mut Workspace,
        lhs: ExprId,
        rhs: ExprId,
        at: &Bindings,
        disagreed: bool,
        moderate: bool,
    ) -> Result<Decided> {
        let precisions: &[usize] = if moderate {
            &[CONFIRM_BITS]
        } else {
            &precise::PRECISIONS
        };
        let used = *precisions.last().unwrap_or(&CONFIRM_BITS);
        Ok(
            match precise::compare_at_precisions(&mut session.pool, lhs, rhs, at, precisions) {
                Comparison::Differ {
                    lhs: l,
                    rhs: r,
                    bits,
                } => {
                    let difference = {
                        let mut a = precise::Arith::new(bits, 16).ok();
                        a.as_mut()
                            .and_then(|a| a.sub(&l, &r).ok())
                            .map(|d| d.midpoint_f64())
                    };
                    Decided::Refuted(Outcome::Refuted {
                        point: describe(session, at, &[lhs, rhs]),
                        lhs: l.midpoint_f64(),
                        rhs: Some(r.midpoint_f64()),
                        certificate: Certificate {
                            bits,
                            difference,
                            exact: None,
                        },
                    })
                }
                Comparison::LhsOnly { lhs: l, bits, .. } => Decided::Refuted(Outcome::Refuted {
                    point: describe(session, at, &[lhs, rhs]),
                    lhs: l.midpoint_f64(),
                    rhs: None,
                    certificate: Certificate {
                        bits,
                        difference: None,
                        exact: None,
                    },
                }),
                Comparison::Agree { .. } => Decided::Agreed(used),
                Comparison::Undefined(_) => Decided::Skipped,
                Comparison::Unsure(why) => {
                    if disagreed {
                        self.undecided(why);
                    } else {
                        self.failed_why = Some(why);
                    }
                    Decided::Unsure
                }
            },
        )
    }
}

/// Every name of `exprs` with its value at `at`, as a counterexample shows it.
pub(super) fn describe(
    session: &Workspace,
    at: &Bindings,
    exprs: &[ExprId],
) -> Vec<(String, String)> {
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
