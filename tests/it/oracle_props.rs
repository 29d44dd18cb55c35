//! Property: on random expressions, gauge's symbolic derivative agrees with all three
//! oracles (finite differences, the complex step, dual numbers) wherever all are
//! defined and the finite differences are trustworthy.
//!
//! Run with `PROPTEST_CASES=10000 cargo test --release --test oracle_props` for the
//! full count.

use crate::common::scalar_expr_text;
use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;
use gauge::numeric::oracle::{Agreement, Dtype, Probe, Tolerances, check_component, claim_bounded};
use gauge::numeric::tape::{InputRef, Tape};
use proptest::prelude::*;

proptest! {
    #[test]
    fn the_symbolic_derivative_agrees_with_every_oracle(
        text in scalar_expr_text(),
        x in -2.0f64..2.0,
        y in 0.1f64..2.0,
    ) {
        let mut s = Workspace::with_prelude().unwrap();
        let e = s.parse_expression(&text).unwrap();
        let var = s.parse_variable("x").unwrap();
        let defs = s.definitions_in_order();
        let d = gauge::calculus::derivation::derive_with_steps(&mut s.pool, e, var, 1, &defs, &[]).unwrap().result;
        let at = s.parse_bindings(&format!("x={x:?}, y={y:?}, z=[0.5, -1.25, 2]")).unwrap();
        let (Ok(f_tape), Ok(d_tape)) = (Tape::compile(&mut s.pool, e), Tape::compile(&mut s.pool, d)) else {
            return Ok(());
        };
        let (Ok(fi), Ok(di)) = (f_tape.inputs(&s.pool, &at), d_tape.inputs(&s.pool, &at)) else {
            return Ok(());
        };
        // Only points where the function and the claim are defined.
        if f_tape.eval(&fi).is_err() {
            return Ok(());
        }
        // The claim with the bound on its rounding, as `check` computes it.
        let Ok(claim) = claim_bounded(&d_tape, &di, Dtype::F64) else {
            return Ok(());
        };
        let xs = s.pool.lookup_symbol("x").unwrap();
        let probe = Probe { tape: &f_tape, inputs: &fi, input: InputRef::Scalar(xs), x, reuse: None, value: None };
        let c = check_component("x".into(), Some(claim), &probe, Dtype::F64, &Tolerances::for_dtype(Dtype::F64));
        if c.readings.iter().any(|r| r.value.is_none()) {
            return Ok(());
        }
        prop_assert!(
            !matches!(c.verdict, Agreement::Disagrees),
            "d/dx {} = {} at x = {}, y = {}: {:?}", text, s.print(d), x, y, c
        );
    }
}
