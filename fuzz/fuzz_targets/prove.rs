//! Claims built from a generated expression `e`, decided by `gauge::prove::prove`:
//!
//! - true by construction: `e = S` and `diff(e, x) = D`, where `S` is gauge's
//!   simplified `e` and `D` its simplified derivative, printed and read back;
//! - false by perturbation: `e = e + 1/7`, `e = 2*e`, `diff(e, x) = D + 1/7` and
//!   `e = e*(1 + 1/10^9)`.
//!
//! Asserted: a claim shown false independently (gauge's high-precision comparison of
//! the two sides, certified different at one of a few fixed points) is never `proved`
//! nor `confirmed`; every `refuted` carries a counterexample whose two sides,
//! re-evaluated from the printed point with `precise::compare`, are certified
//! different (`Differ`, or `LhsOnly`: the right side, or a part of it its canonical
//! form dropped, certainly undefined), at which the left side's dropped parts are not
//! certainly undefined; and a claim true by construction is never refuted (a
//! certified counterexample to one shows the simplifier or the derivative wrong).

#![no_main]

use arbitrary::Unstructured;
use gauge::lower::workspace::{Claim, Workspace};
use gauge::numeric::Evaluate;
use gauge::numeric::precise::{Comparison, Fail, compare, enclose};
use gauge::prove::{Outcome, Verdict};
use gauge_fuzz::{Gen, bindings, derivative, describe, points, simplified, workspace};

use libfuzzer_sys::fuzz_target;

/// The kinds of claim, and whether each is true by construction.
const KINDS: [(&str, bool); 6] = [
    ("e = S", true),
    ("diff(e, x) = D", true),
    ("e = e + 1/7", false),
    ("e = 2*e", false),
    ("diff(e, x) = D + 1/7", false),
    ("e = e*(1 + 1/10^9)", false),
];

/// The claim's two sides with their derivatives taken.
fn sides(
    ws: &mut Workspace,
    claim: &Claim,
) -> Option<(gauge::expr::node::ExprId, gauge::expr::node::ExprId)> {
    let take = gauge::calculus::derivation::take_derivatives;
    let (l, _) = take(&mut ws.pool, claim.lhs).ok()?;
    let (r, _) = take(&mut ws.pool, claim.rhs).ok()?;
    Some((l, r))
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let kind = u.choose_index(KINDS.len()).unwrap_or(0);
    let seed = u.arbitrary::<u64>().unwrap_or(1);
    let g = Gen::from_bytes(&mut u);
    let pts = points(&mut u);
    let text = g.text();
    let (name, true_claim) = KINDS[kind];

    // The right sides that need gauge's own results, printed as a user would paste them.
    let mut ws = workspace();
    let Ok(e) = ws.parse_expression(&text) else {
        return;
    };
    let claim_text = match kind {
        0 => {
            let s = simplified(&mut ws, e);
            format!("{text} = {}", ws.print(s))
        }
        1 | 4 => {
            let Some(d) = derivative(&mut ws, e) else {
                return;
            };
            let extra = if kind == 4 { " + 1/7" } else { "" };
            format!("diff({text}, x) = ({}){extra}", ws.print(d))
        }
        2 => format!("{text} = {text} + 1/7"),
        3 => format!("{text} = 2*{text}"),
        _ => format!("{text} = {text}*(1 + 1/10^9)"),
    };

    let mut ws = workspace();
    if ws
        .load_file("fuzz.gauge", &format!("claim {claim_text}"))
        .is_err()
    {
        return;
    }
    let Some(claim) = ws.claims.first().cloned() else {
        return;
    };
    let report = gauge::prove::prove(&mut ws, &claim, seed);
    let verdict = report.verdict.verdict();
    gauge_fuzz::trace(|| format!("{name}\t{verdict}\t{:.3}s\t{claim_text}", report.seconds));
    let Some((lhs, rhs)) = sides(&mut ws, &claim) else {
        return;
    };

    // Falsity shown independently of the verdict: certified different at a fixed point.
    if !true_claim && matches!(verdict, Verdict::Proved | Verdict::Confirmed) {
        for &(x, y) in &pts {
            let at = bindings(&mut ws, x, y);
            let c = compare(&mut ws.pool, lhs, rhs, &at);
            if matches!(c, Comparison::Differ { .. }) {
                panic!(
                    "UNSOUND: the false claim `{claim_text}` ({name}) is {verdict}, but at x = {x:?}, y = {y:?} \
                     its sides {}",
                    describe(&c)
                );
            }
        }
    }

    if let Outcome::Refuted {
        point,
        lhs: lv,
        rhs: rv,
        ..
    } = &report.verdict
    {
        // The counterexample, read back from the report's text.
        let shown: Vec<String> = point.iter().map(|(n, v)| format!("{n} = {v}")).collect();
        let shown = shown.join(", ");
        let at = if shown.is_empty() {
            gauge::numeric::value::Bindings::new()
        } else {
            match ws.parse_bindings(&shown) {
                Ok(at) => at,
                Err(err) => panic!(
                    "the counterexample `{shown}` of `{claim_text}` ({name}) does not read back: {err:?}"
                ),
            }
        };
        let c = compare(&mut ws.pool, lhs, rhs, &at);
        let mut certified = matches!(c, Comparison::Differ { .. } | Comparison::LhsOnly { .. });
        // The right side's dropped parts, certainly undefined where the left side is
        // defined, refute it too.
        if !certified && rv.is_none() {
            for &gd in &claim.guards[1] {
                if matches!(
                    compare(&mut ws.pool, lhs, gd, &at),
                    Comparison::LhsOnly { .. }
                ) {
                    certified = true;
                }
            }
        }
        assert!(
            certified,
            "UNSOUND: `{claim_text}` ({name}) is refuted at {shown} (lhs {lv:e}, rhs {rv:?}), \
             but re-evaluated there the sides {}",
            describe(&c)
        );
        // The left side as written must be defined at the counterexample.
        for &gd in &claim.guards[0] {
            if let Err(Fail::Undefined(why)) = enclose(&mut ws.pool, gd, &at, 512) {
                panic!(
                    "UNSOUND: `{claim_text}` ({name}) is refuted at {shown}, where a part of its left side \
                     as written, `{}`, is undefined ({why})",
                    ws.print(gd)
                );
            }
        }
        if true_claim {
            panic!(
                "a claim true by construction, `{claim_text}` ({name}), is refuted at {shown}: lhs {lv:e}, \
                 rhs {rv:?}; re-evaluated, the sides {} (gauge's simplified form or derivative is wrong there)",
                describe(&c)
            );
        }
    }
});
