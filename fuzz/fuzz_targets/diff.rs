//! gauge's symbolic derivative by `x` of a generated expression, simplified, against
//! the dual numbers on gauge's tape, at a few points where both are defined.
//!
//! Where they disagree in `f64` beyond rounding, a third, independent judge decides:
//! one-sided differences with a step of 10^-40, each side of the expression evaluated
//! with `x` an exact shifted constant in 1024-bit interval arithmetic. Their
//! truncation error is about 10^-40 relative, far below the tolerance, wherever the
//! differences with a step of 10^-60 agree with them (else the point is skipped). A derivative
//! (symbolic, or dual) that matches neither the left, the right nor the central
//! difference is a bug; at a kink either one-sided slope, or their mean, is accepted.
//! The symbolic derivative passes when its `f64` value or its high-precision
//! enclosure matches; the dual numbers, which exist only in `f64`, are judged only at
//! points where the symbolic derivative's `f64` value matches too (elsewhere `f64`
//! itself is too ill-conditioned to judge them by).

#![no_main]

use arbitrary::Unstructured;
use gauge::expr::node::ExprId;
use gauge::lower::workspace::Workspace;
use gauge::numeric::value::Bindings;
use gauge_fuzz::{
    Compiled, Gen, bindings, close, derivative, exact_text, points, tight, workspace,
};
use libfuzzer_sys::fuzz_target;

/// Whether every subexpression of `e`, not only `e`, is right in `f64` at `at`. The
/// dual numbers run through the same nodes, so an ill-conditioned one inside (the
/// cosine of 10^24) spoils them even where an outer function hides it from the value:
/// `relu` of a negative number is exactly 0 whatever the number.
fn well_conditioned(ws: &mut Workspace, e: ExprId, at: &Bindings) -> bool {
    let mut todo = vec![e];
    let mut seen = std::collections::HashSet::new();
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        let value = Compiled::new(ws, id).value(ws, at);
        let right = match (value, tight(ws, id, at, BITS).ok()) {
            (Some(v), Some(t)) => (v - t).abs() <= 1e-9 * (1.0 + t.abs()),
            _ => false,
        };
        if !right {
            return false;
        }
        todo.extend(gauge::expr::node::children(ws.pool.node(id)));
    }
    true
}

/// The precision of the differences, in bits.
const BITS: usize = 1024;

/// The left, right and central differences at `x` with step `10^-k`, when each is
/// enclosed tightly.
fn differences(ws: &mut Workspace, g: &Gen, x: f64, at: &Bindings, k: u32) -> Option<[f64; 3]> {
    let x0 = exact_text(x);
    let minus = g.text_with(&format!("{x0} - 1/10^{k}"));
    let zero = g.text_with(&x0);
    let plus = g.text_with(&format!("{x0} + 1/10^{k}"));
    let mut slope = |a: &str, b: &str, scale: &str| -> Option<f64> {
        let e: ExprId = ws
            .parse_expression(&format!("(({a}) - ({b}))*{scale}"))
            .ok()?;
        tight(ws, e, at, BITS).ok()
    };
    let left = slope(&zero, &minus, &format!("10^{k}"))?;
    let right = slope(&plus, &zero, &format!("10^{k}"))?;
    let central = slope(&plus, &minus, &format!("10^{k}/2"))?;
    Some([left, right, central])
}

/// Whether `v` matches one of the differences, to a relative 1e-7.
fn matches_one(v: f64, fd: &[f64; 3]) -> bool {
    fd.iter()
        .any(|&f| (v - f).abs() <= 1e-7 * (1.0 + f.abs().max(v.abs())))
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let g = Gen::from_bytes(&mut u);
    let points = points(&mut u);
    let text = g.text();
    let mut ws = workspace();
    let Ok(e) = ws.parse_expression(&text) else {
        return;
    };
    let Some(d) = derivative(&mut ws, e) else {
        return;
    };
    let (ce, cd) = (Compiled::new(&mut ws, e), Compiled::new(&mut ws, d));
    for (x, y) in points {
        let at = bindings(&mut ws, x, y);
        let (Some(symbolic), Some(dual)) = (cd.value(&ws, &at), ce.dual(&mut ws, &at)) else {
            continue;
        };
        let largest = ce.largest(&ws, &at).max(cd.largest(&ws, &at));
        if close(symbolic, dual, largest) {
            continue;
        }
        // They disagree: the high-precision differences say which is wrong, where
        // they can be computed.
        let Some(fd) = differences(&mut ws, &g, x, &at, 40) else {
            continue;
        };
        // The differences are a judge only where the step is small enough: those with
        // a step of 10^-60 must say the same. (Where `cos` has an argument of 10^133
        // and a slope to match, 10^-40 spans many periods.)
        let Some(finer) = differences(&mut ws, &g, x, &at, 60) else {
            continue;
        };
        let same = fd
            .iter()
            .zip(&finer)
            .all(|(a, b)| (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs())));
        if !same {
            continue;
        }
        // The symbolic derivative in high precision too, so that a value rounded
        // away in f64 (a difference of two large terms) is not taken for an error.
        let exact = tight(&mut ws, d, &at, BITS).ok();
        let sym_f64_ok = matches_one(symbolic, &fd);
        let sym_ok = sym_f64_ok || exact.is_some_and(|v| matches_one(v, &fd));
        // The dual numbers run in f64: allow them the rounding of the largest
        // magnitude on the way, as for the f64 comparison above.
        let dual_ok = matches_one(dual, &fd)
            || fd
                .iter()
                .any(|&f| (dual - f).abs() <= 1e-6 * (1.0 + f.abs()) + 1e-12 * largest);
        if !sym_ok && exact.is_some() {
            panic!(
                "d/dx `{text}` = `{}` is {symbolic:e} (high precision {exact:?}) at x = {x:?}, y = {y:?}, \
                 but the 1e-40 differences (left, right, central) are {fd:?}; dual numbers give {dual:e}",
                ws.print(d)
            );
        }
        // The dual numbers are judged only where f64 is good enough to judge them by:
        // where gauge's derivative, in f64 too, matches the differences, and the
        // expression's own value is right in f64. At an
        // ill-conditioned point (the cosine of an argument near 10^10 or 10^17) both
        // f64 values carry the argument's rounding, and only high precision is right.
        // Nor where the expression itself is ill-conditioned in f64: the dual numbers
        // carry its rounding (`ln(1 - sigmoid(30))` computes `1 - sigmoid(30)` with a
        // relative error near 1e-3, and its derivative `u'/u` inherits it), while
        // gauge's derivative may be written in a better-conditioned form.
        let value_ok = well_conditioned(&mut ws, e, &at);
        if !dual_ok && sym_f64_ok && value_ok {
            panic!(
                "the dual numbers give {dual:e} for d/dx `{text}` at x = {x:?}, y = {y:?}, \
                 but the 1e-40 differences (left, right, central) are {fd:?}; gauge's derivative `{}` gives {symbolic:e}",
                ws.print(d)
            );
        }
    }
});
