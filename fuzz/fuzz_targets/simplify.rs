//! A generated expression and its simplified form must have the same value wherever
//! both are defined, and the simplified form must be defined wherever the input is.
//!
//! `f64` decides first, with a tolerance scaled to the values and to the largest
//! magnitude on the way; where it cannot (the values differ, or the simplified form
//! fails where the input does not), gauge's high-precision interval arithmetic
//! decides, and only a certified difference (`Differ`, or `LhsOnly`: the input
//! certainly defined and its simplified form certainly not) is a failure.

#![no_main]

use arbitrary::Unstructured;
use gauge::numeric::precise::{Comparison, compare};
use gauge_fuzz::{Compiled, Gen, bindings, close, describe, points, simplified, workspace};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let g = Gen::from_bytes(&mut u);
    let points = points(&mut u);
    let text = g.text();
    let mut ws = workspace();
    let e = match ws.parse_expression(&text) {
        Ok(e) => e,
        // Lowering may reject an expression (a constant defined nowhere, say).
        Err(err) => {
            gauge_fuzz::trace(|| format!("{text}\tdoes not lower: {err:?}"));
            return;
        }
    };
    let s = simplified(&mut ws, e);
    gauge_fuzz::trace(|| format!("{text}\t=>\t{}", ws.print(s)));
    let (ce, cs) = (Compiled::new(&mut ws, e), Compiled::new(&mut ws, s));
    for (x, y) in points {
        let at = bindings(&mut ws, x, y);
        let Some(a) = ce.value(&ws, &at) else {
            continue;
        };
        if let Some(b) = cs.value(&ws, &at) {
            let largest = ce.largest(&ws, &at).max(cs.largest(&ws, &at));
            if close(a, b, largest) {
                continue;
            }
        }
        // f64 cannot vouch for the two: high precision decides.
        let c = compare(&mut ws.pool, e, s, &at);
        if matches!(c, Comparison::Differ { .. } | Comparison::LhsOnly { .. }) {
            let shown = ws.print(s);
            panic!(
                "simplify changed the value of `{text}` (lowered `{}`) into `{shown}` at x = {x:?}, y = {y:?}: \
                 f64 {a:e} against {:?}; certified: {}",
                ws.print(e),
                cs.value(&ws, &at),
                describe(&c)
            );
        }
    }
});
