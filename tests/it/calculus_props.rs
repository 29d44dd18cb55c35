//! Properties of derivatives and of the simplifier, on generated expressions:
//! the derivative agrees with finite differences wherever both are defined, simplifying
//! twice changes nothing, simplifying keeps the value, and the sum and product rules
//! hold after simplification.
//!
//! Run with `PROPTEST_CASES=10000 cargo test --release --test calculus_props` for the
//! full count.

use crate::common::scalar_expr_text as expr_text;
use gauge::expr::node::ExprId;
use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;
use proptest::prelude::*;

const Z: &str = "z=[0.5, -1.25, 2]";

fn value_at(s: &mut Workspace, e: ExprId, x: f64, y: f64) -> Option<f64> {
    let b = s.parse_bindings(&format!("x={x:?}, y={y:?}, {Z}")).ok()?;
    s.eval(e, &b).ok()
}

/// The largest magnitude on the way to `e`'s value at the point: rounding of it bounds
/// how well two forms of one value can agree.
fn largest(s: &mut Workspace, e: ExprId, x: f64, y: f64) -> f64 {
    let Ok(tape) = gauge::numeric::tape::Tape::compile(&mut s.pool, e) else {
        return 0.0;
    };
    s.parse_bindings(&format!("x={x:?}, y={y:?}, {Z}"))
        .ok()
        .and_then(|at| tape.inputs(&s.pool, &at).ok())
        .map_or(0.0, |i| tape.largest_intermediate(&i))
}

/// Richardson-extrapolated central difference in x, if two step sizes agree.
fn numeric_derivative(s: &mut Workspace, e: ExprId, x: f64, y: f64) -> Option<f64> {
    let d = |s: &mut Workspace, h: f64| -> Option<f64> {
        let fp = value_at(s, e, x + h, y)?;
        let fm = value_at(s, e, x - h, y)?;
        Some((fp - fm) / (2.0 * h))
    };
    let richardson = |s: &mut Workspace, h: f64| -> Option<f64> {
        let a = d(s, h)?;
        let b = d(s, h / 2.0)?;
        Some((4.0 * b - a) / 3.0)
    };
    let h = 1e-3 * (1.0 + x.abs());
    let r1 = richardson(s, h)?;
    let r2 = richardson(s, h / 4.0)?;
    // Rounding in f, magnified by the smallest step, must stay below the tolerance;
    // otherwise (a huge f with a small slope) the differences carry no digits.
    let f = value_at(s, e, x, y)?;
    if f64::EPSILON * f.abs() / (h / 8.0) > 1e-8 * (1.0 + r2.abs()) {
        return None;
    }
    // The same for any value on the way: in sin(exp(57) - ln(x)), the argument's
    // rounding (about 1e9) swamps every step, and the differences read 0.
    let tape = gauge::numeric::tape::Tape::compile(&mut s.pool, e).ok()?;
    let at = s.parse_bindings(&format!("x={x:?}, y={y:?}, {Z}")).ok()?;
    let inputs = tape.inputs(&s.pool, &at).ok()?;
    if f64::EPSILON * tape.largest_intermediate(&inputs) / (h / 8.0) > 1e-3 {
        return None;
    }
    // Where the two disagree, finite differences are not to be trusted at this point
    // (a kink, a pole nearby, or cancellation); such points are skipped.
    if (r1 - r2).abs() > 1e-7 * (1.0 + r2.abs()) {
        return None;
    }
    Some(r2)
}

fn simplified(s: &mut Workspace, e: ExprId) -> ExprId {
    let defs = s.definitions_in_order();
    let mut simp = gauge::simplify::simplifier::Simplifier::new(&mut s.pool, defs);
    simp.simplify(e)
}

proptest! {
    #[test]
    fn derivatives_agree_with_finite_differences(
        text in expr_text(),
        x in -2.0f64..2.0,
        y in 0.1f64..2.0,
    ) {
        let mut s = Workspace::with_prelude().unwrap();
        let e = s.parse_expression(&text).unwrap();
        let var = s.parse_variable("x").unwrap();
        let (d, _) = gauge::calculus::derivative::derive_n(&mut s.pool, e, var, 1).unwrap();
        let d = simplified(&mut s, d);
        if let (Some(symbolic), Some(numeric)) = (value_at(&mut s, d, x, y), numeric_derivative(&mut s, e, x, y)) {
            let tol = 1e-6 * (1.0 + numeric.abs());
            prop_assert!(
                (symbolic - numeric).abs() <= tol,
                "d/dx {} = {} is {} at x = {}, y = {}, but finite differences give {}",
                text, s.print(d), symbolic, x, y, numeric
            );
        }
    }

    #[test]
    fn simplify_is_idempotent_and_keeps_the_value(
        text in expr_text(),
        x in -2.0f64..2.0,
        y in 0.1f64..2.0,
    ) {
        let mut s = Workspace::with_prelude().unwrap();
        let e = s.parse_expression(&text).unwrap();
        let once = simplified(&mut s, e);
        let twice = simplified(&mut s, once);
        prop_assert_eq!(s.print(once), s.print(twice), "simplifying `{}` twice", text);
        if let (Some(a), Some(b)) = (value_at(&mut s, e, x, y), value_at(&mut s, once, x, y)) {
            // Rounding of the largest value on the way bounds how well two forms can
            // agree: sin((pi^3)^(pi^x)) takes the sine of about 3e10 at x = 1.7.
            let rounding = 1e-13 * largest(&mut s, e, x, y).max(largest(&mut s, once, x, y));
            prop_assert!(
                (a - b).abs() <= 1e-9 * (1.0 + a.abs()) + rounding,
                "`{}` is {} but its simplified form `{}` is {}", text, a, s.print(once), b
            );
        }
    }

    #[test]
    fn sum_and_product_rules_hold_after_simplification(
        f in expr_text(),
        g in expr_text(),
        x in -2.0f64..2.0,
        y in 0.1f64..2.0,
    ) {
        let mut s = Workspace::with_prelude().unwrap();
        let fe = s.parse_expression(&f).unwrap();
        let ge = s.parse_expression(&g).unwrap();
        let var = s.parse_variable("x").unwrap();
        let sum = s.pool.add(vec![fe, ge]);
        let prod = s.pool.mul(vec![fe, ge]);
        let d = |s: &mut Workspace, e: ExprId| {
            let (r, _) = gauge::calculus::derivative::derive_n(&mut s.pool, e, var, 1).unwrap();
            simplified(s, r)
        };
        let (df, dg, dsum, dprod) = (d(&mut s, fe), d(&mut s, ge), d(&mut s, sum), d(&mut s, prod));
        // f and g as the simplifier writes them, as in the derivatives: a constant like
        // sin((pi^6)^pi) is ill-conditioned, and sin(pi^(6*pi)) rounds differently.
        // (That both forms agree is simplify_is_idempotent_and_keeps_the_value's job.)
        let (fs, gs) = (simplified(&mut s, fe), simplified(&mut s, ge));
        let vals: Vec<Option<f64>> = [fs, gs, df, dg, dsum, dprod]
            .iter()
            .map(|&e| value_at(&mut s, e, x, y))
            .collect();
        if let [Some(fv), Some(gv), Some(dfv), Some(dgv), Some(dsv), Some(dpv)] = vals[..] {
            // Rounding of the largest magnitude on the way bounds how well two forms of
            // one value agree (as in the idempotence property): the product rule of
            // `y^(1 + y)*(exp(e^pi - ln(x)) - ln(2))` and the like cancel terms of 1e10
            // down to 0.2, which f64 holds to about 1e-6.
            let rounding = 1e-13
                * [fs, gs, df, dg, sum, prod, dsum, dprod]
                    .iter()
                    .map(|&e| largest(&mut s, e, x, y))
                    .fold(0.0, f64::max);
            let tol = |v: f64| {
                1e-8 * (1.0 + v.abs() + (dfv * gv).abs() + (fv * dgv).abs()) + rounding
            };
            prop_assert!((dsv - (dfv + dgv)).abs() <= tol(dsv), "sum rule for {} and {}", f, g);
            prop_assert!((dpv - (dfv * gv + fv * dgv)).abs() <= tol(dpv), "product rule for {} and {}", f, g);
        }
    }
}

proptest! {
    #[test]
    fn the_reverse_sweep_agrees_with_forward_derivatives(
        text in expr_text(),
        x in -2.0f64..2.0,
        y in 0.1f64..2.0,
    ) {
        let mut s = Workspace::with_prelude().unwrap();
        let e = s.parse_expression(&text).unwrap();
        let vx = s.parse_variable("x").unwrap();
        let vy = s.parse_variable("y").unwrap();
        let grad = gauge::calculus::gradient::gradient(&mut s.pool, e, &[vx, vy]).unwrap();
        for (k, &v) in [vx, vy].iter().enumerate() {
            let (forward, _) = gauge::calculus::derivative::derive_n(&mut s.pool, e, v, 1).unwrap();
            if let (Some(a), Some(b)) = (value_at(&mut s, grad[k], x, y), value_at(&mut s, forward, x, y)) {
                // Both are exact formulas; evaluated, each carries the rounding of its
                // largest intermediate: (2^x)^(y/(x*c)) is 1e13 at x = 1.1 while its
                // derivative is exactly 0.
                let rounding = 1e-13
                    * largest(&mut s, grad[k], x, y).max(largest(&mut s, forward, x, y));
                if (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs())) + rounding {
                    continue;
                }
                // Past what f64 can vouch for (the cosine of an argument near 1e7,
                // multiplied by 1e8), the two formulas must agree in high-precision
                // interval arithmetic: a real difference would be certified there.
                let at = s.parse_bindings(&format!("x={x:?}, y={y:?}, {Z}")).unwrap();
                let c = gauge::numeric::precise::compare(&mut s.pool, grad[k], forward, &at);
                prop_assert!(
                    matches!(c, gauge::numeric::precise::Comparison::Agree { .. }),
                    "component {} of the gradient of {}: reverse {} forward {}, in high precision {:?}",
                    k, text, a, b, c
                );
            }
        }
    }
}
