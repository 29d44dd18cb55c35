//! Soundness of `check`'s numeric verdicts: wrong gradients fail and right ones pass,
//! class by class (tolerance tied to the dtype, kinks found by search, oracles that
//! share no derivative table).

use crate::common::{gauge, stdout};
use gauge::expr::node::Func;
use gauge::numeric::oracle::COMPLEX_STEP;
use gauge::numeric::scalar::{Complex, Dual, Scalar};

/// Runs `gauge check` and returns its exit code and standard output.
fn check(args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let out = gauge(&all);
    (out.status.code(), stdout(&out))
}

/// Asserts that a check fails (exit 1), naming the case.
fn fails(args: &[&str]) {
    let (code, text) = check(args);
    assert_eq!(code, Some(1), "expected a failure: {args:?}\n{text}");
}

/// Asserts that a check passes (exit 0), naming the case.
fn passes(args: &[&str]) {
    let (code, text) = check(args);
    assert_eq!(code, Some(0), "expected a pass: {args:?}\n{text}");
}

// ---------------------------------------------------------------------------------
// The oracles' derivative tables.

/// Points spanning magnitudes and signs, inside each function's domain.
fn points_for(f: Func) -> Vec<f64> {
    let mut xs = Vec::new();
    for k in -32..=12 {
        let m = 10f64.powf(f64::from(k) / 4.0);
        xs.push(m);
        xs.push(-m * 1.3);
    }
    xs.retain(|&x| match f {
        Func::Ln => x > 0.0,
        Func::Asin | Func::Acos => x.abs() < 0.99,
        // Where the function has overflowed, nothing is left to differentiate.
        Func::Exp | Func::Sinh | Func::Cosh => x.abs() < 600.0,
        _ => true,
    });
    xs
}

/// Richardson-extrapolated central differences of the library's real function, with
/// the bound on their error (truncation from the difference of two estimates, and
/// rounding of the function's value magnified by the step).
fn finite_difference(f: Func, x: f64) -> (f64, f64) {
    let h = 1e-3 * x.abs();
    let central = |h: f64| (f.apply(x + h) - f.apply(x - h)) / (2.0 * h);
    let r1 = (4.0 * central(h / 2.0) - central(h)) / 3.0;
    let r2 = (4.0 * central(h / 4.0) - central(h / 2.0)) / 3.0;
    let rounding = 8.0 * f64::EPSILON * f.apply(x).abs().max(f64::MIN_POSITIVE) / (h / 4.0);
    (r2, 10.0 * (r1 - r2).abs() + rounding)
}

/// The points where a derivative table disagrees with finite differences (beyond
/// their error and a relative 1e-7), over every builtin at every point.
fn disagreements(table: &dyn Fn(Func, f64) -> f64) -> Vec<String> {
    let mut out = Vec::new();
    for f in Func::ALL {
        for x in points_for(f) {
            let (fd, err) = finite_difference(f, x);
            let d = table(f, x);
            // NaN never agrees.
            let agrees = (d - fd).abs() <= err + 1e-7 * fd.abs();
            if !agrees {
                out.push(format!(
                    "{}'({x}) = {d}, finite differences {fd} ± {err}",
                    f.name()
                ));
            }
        }
    }
    out
}

fn complex_table(f: Func, x: f64) -> f64 {
    let h = COMPLEX_STEP;
    Complex::new(x, h).apply(f).im / h
}

fn dual_table(f: Func, x: f64) -> f64 {
    Dual::new(x, 1.0).apply(f).derivative
}

#[test]
fn oracle_tables_each_agree_with_finite_differences_everywhere() {
    // Each table on its own, against the library's real functions: a wrong entry in
    // either (they share none) fails here, whatever the other says.
    // The complex step carries a derivative as `h` times it, so one below about
    // 1e-150 underflows: that range is left to the dual numbers.
    let complex = disagreements(&|f, x| {
        let d = complex_table(f, x);
        if dual_table(f, x).abs() < 1e-140 {
            finite_difference(f, x).0
        } else {
            d
        }
    });
    assert!(complex.is_empty(), "complex step: {complex:#?}");
    let dual = disagreements(&dual_table);
    assert!(dual.is_empty(), "dual numbers: {dual:#?}");
}

#[test]
fn oracle_tables_agree_with_each_other_to_rounding() {
    // Written apart, the two tables agree to a few ulps of the derivative wherever it
    // is a normal number: a wrong entry off by as little as 1e-12 in one of them shows.
    for f in Func::ALL {
        for x in points_for(f) {
            let (c, d) = (complex_table(f, x), dual_table(f, x));
            if d.abs() < 1e-140 {
                // Below the complex step's range (see above).
                assert!(c.abs() < 1e-130, "{}'({x}): {c} against {d}", f.name());
                continue;
            }
            let rel = (c - d).abs() / d.abs();
            assert!(rel < 1e-12, "{}'({x}): complex {c}, dual {d}", f.name());
        }
    }
}

#[test]
fn oracle_tables_complex_values_keep_their_digits() {
    // The complex step's values feed every product after them: a value that lost
    // digits (tanh as (1 - w)/(1 + w) near 0 cancels) spoils the imaginary parts
    // downstream, so each value matches the real function to a few ulps.
    for f in Func::ALL {
        for x in points_for(f) {
            let (c, r) = (Complex::new(x, COMPLEX_STEP).apply(f).re, f.apply(x));
            let close = (c - r).abs() <= 1e-14 * r.abs();
            assert!(close, "{}({x}): complex {c}, real {r}", f.name());
        }
    }
}

#[test]
fn oracle_tables_a_planted_wrong_entry_is_caught() {
    // The comparison has the power to see a wrong entry: each function's dual entry
    // made wrong in turn, by a relative 1e-5, is caught at some point.
    for wrong in Func::ALL {
        let planted = |f: Func, x: f64| {
            let d = dual_table(f, x);
            if f == wrong {
                d * (1.0 + 1e-5) + 1e-5
            } else {
                d
            }
        };
        let found = disagreements(&planted);
        assert!(!found.is_empty(), "a wrong {} went unseen", wrong.name());
        assert!(
            found
                .iter()
                .all(|d| d.starts_with(&format!("{}'", wrong.name()))),
            "{found:#?}"
        );
    }
}

#[test]
fn oracle_tables_complex_functions_are_genuinely_complex() {
    // Away from the real axis the complex table is the analytic function, not a
    // first-order expansion: sin(i) = i sinh(1), e^(i pi) = -1, erf(i) = i erfi(1).
    let i = Complex::new(0.0, 1.0);
    let s = i.apply(Func::Sin);
    assert!(s.re.abs() < 1e-15 && (s.im - 1f64.sinh()).abs() < 1e-15);
    let e = Complex::new(0.0, std::f64::consts::PI).apply(Func::Exp);
    assert!((e.re + 1.0).abs() < 1e-15 && e.im.abs() < 1e-15);
    let erf = i.apply(Func::Erf);
    assert!(erf.re.abs() < 1e-15 && (erf.im - 1.650_425_758_797_542_8).abs() < 1e-13);
    // tanh(1 + i) and the inverse functions undo their forward ones.
    let z = Complex::new(0.3, 0.2);
    for (inv, fwd) in [
        (Func::Asin, Func::Sin),
        (Func::Acos, Func::Cos),
        (Func::Atan, Func::Tan),
    ] {
        let back = z.apply(inv).apply(fwd);
        assert!(
            (back.re - z.re).abs() < 1e-14 && (back.im - z.im).abs() < 1e-14,
            "{}: {back:?}",
            inv.name()
        );
    }
    let t = Complex::new(1.0, 1.0).apply(Func::Tanh);
    assert!((t.re - 1.083_923_327_338_694).abs() < 1e-14);
    assert!((t.im - 0.271_752_585_319_512).abs() < 1e-14);
}

// ---------------------------------------------------------------------------------
// Tolerance tied to the dtype and to a condition estimate.

#[test]
fn tolerance_a_gradient_off_by_1e_minus_9_relative_fails_in_f64() {
    let cases = [
        ("x^3", "x", "3*x^2"),
        ("sin(x)*exp(x)", "x", "exp(x)*(sin(x) + cos(x))"),
        (
            "sigmoid(w*x + b)",
            "w",
            "x*sigmoid(w*x + b)*(1 - sigmoid(w*x + b))",
        ),
        ("cross_entropy(z, y)", "z", "softmax(z)[i] - delta(i, y)"),
    ];
    for (f, wrt, right) in cases {
        passes(&[f, "--wrt", wrt, "--grad", right]);
        let wrong = format!("({right})*(1 + 1e-9)");
        fails(&[f, "--wrt", wrt, "--grad", &wrong]);
    }
}

#[test]
fn tolerance_right_gradients_computed_with_cancellation_pass() {
    // The derivative's own computation cancels (the dual numbers' 1/(1 + x) - 1 at
    // x = 1e-12 keeps four digits): the bound on its rounding carries that.
    passes(&[
        "ln(1 + x) - x",
        "--wrt",
        "x",
        "--at",
        "x=1e-12",
        "--grad",
        "-x/(1 + x)",
    ]);
    passes(&["ln(1 + x) - x", "--wrt", "x", "--at", "x=1e-12"]);
    // Terms of 1e8 cancel to a derivative near 1.
    passes(&[
        "(x + 1e8)^2 - x^2",
        "--wrt",
        "x",
        "--grad",
        "2*(x + 1e8) - 2*x",
    ]);
    // A derivative that is 0 computed as the difference of two equal products.
    passes(&["sin(x)^2 + cos(x)^2", "--wrt", "x", "--grad", "0"]);
    passes(&["(3^x)^(3/x)", "--wrt", "x", "--grad", "0"]);
    // A wrong claim there is still caught.
    fails(&[
        "ln(1 + x) - x",
        "--wrt",
        "x",
        "--at",
        "x=1e-12",
        "--grad",
        "-2*x",
    ]);
}

#[test]
fn tolerance_near_saturation_right_gradients_pass() {
    for (f, at) in [
        ("tanh(x)", "x=20"),
        ("tanh(x)", "x=-400"),
        ("sigmoid(x)", "x=40"),
        ("sigmoid(x)", "x=-700"),
        ("softplus(x)", "x=-700"),
        ("softplus(x)", "x=35"),
        ("erf(x)", "x=5"),
        ("erf(x)", "x=-2.5"),
        ("tanh(3*x)^2", "x=6"),
    ] {
        passes(&[f, "--wrt", "x", "--at", at]);
    }
    // A network's layers at every magnitude the check searches, 1e-6 included.
    passes(&["sum(i, tanh(sum(k, W[i, k]*x[k]))^2)", "--wrt", "W,x"]);
    // And at random points, over every magnitude the check searches.
    for f in ["tanh(x)", "sigmoid(x)", "softplus(x)", "erf(x)", "atan(x)"] {
        passes(&[f, "--wrt", "x"]);
    }
}

#[test]
fn tolerance_f32_is_sensible() {
    // Right gradients pass in single precision; a relative error of 1e-3 does not,
    // and one of 1e-9 is below single precision's resolution and passes there, as it
    // fails in double precision.
    passes(&["tanh(w*x + b)^2", "--wrt", "w,b", "--dtype", "f32"]);
    passes(&["cross_entropy(z, y)", "--wrt", "z", "--dtype", "f32"]);
    passes(&[
        "ln(1 + x) - x",
        "--wrt",
        "x",
        "--dtype",
        "f32",
        "--grad",
        "-x/(1 + x)",
    ]);
    fails(&["x^2", "--wrt", "x", "--grad", "2.002*x", "--dtype", "f32"]);
    fails(&[
        "x^3",
        "--wrt",
        "x",
        "--grad",
        "3*x^2*(1 + 1e-3)",
        "--dtype",
        "f32",
    ]);
    passes(&[
        "x^3",
        "--wrt",
        "x",
        "--grad",
        "3*x^2*(1 + 1e-9)",
        "--dtype",
        "f32",
    ]);
    fails(&[
        "x^3",
        "--wrt",
        "x",
        "--grad",
        "3*x^2*(1 + 1e-9)",
        "--dtype",
        "f64",
    ]);
}

// ---------------------------------------------------------------------------------
// Kinks located by search.

#[test]
fn kinks_a_gradient_wrong_only_past_a_kink_fails() {
    // Random points lie in [-3, 3]; each of these claims is right there and wrong only
    // past a kink outside it.
    fails(&["relu(x - 5)", "--wrt", "x", "--grad", "0"]);
    fails(&["abs(x - 40)", "--wrt", "x", "--grad", "-1"]);
    fails(&["max(x, 7)", "--wrt", "x", "--grad", "0"]);
    fails(&["relu(2*x + 30)", "--wrt", "x", "--grad", "2"]);
    fails(&["abs(x^2 - 90)", "--wrt", "x", "--grad", "-2*x"]);
    // Along a tensor's elements: z is drawn in [-2, 2], the kink is at 4.
    fails(&[
        "sum(j, relu(z[j] - 4))",
        "--wrt",
        "z",
        "--grad",
        "0",
        "--index",
        "i",
    ]);
    // The right ones pass, gauge's own and written out.
    passes(&["relu(x - 5)", "--wrt", "x"]);
    passes(&[
        "abs(x - 40)",
        "--wrt",
        "x",
        "--grad",
        "abs(x - 40)/(x - 40)",
    ]);
    passes(&["max(x, 7)", "--wrt", "x"]);
    passes(&["abs(x^2 - 90)", "--wrt", "x"]);
    passes(&["sum(j, relu(z[j] - 4))", "--wrt", "z"]);
}

#[test]
fn kinks_are_located_and_judged_one_sided_at_the_kink() {
    let out = gauge(&[
        "--format",
        "json",
        "check",
        "relu(x - 5)",
        "--wrt",
        "x",
        "--grad",
        "0.5",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let points = v["points"].as_array().unwrap();
    let xs: Vec<f64> = points
        .iter()
        .filter_map(|p| p["values"]["x"].as_f64())
        .collect();
    // A point on the kink, found by bisection to the last bits, and one each side.
    assert!(xs.iter().any(|x| (x - 5.0).abs() < 1e-12), "{xs:?}");
    assert!(xs.iter().any(|&x| x > 5.0 && x < 5.1), "{xs:?}");
    // At the kink, the claim 0.5 lies between the one-sided derivatives 0 and 1 and is
    // accepted as a subgradient; elsewhere it is wrong.
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("\"kink\""), "{text}");
    // A claim that is right on both sides and undefined on the kink passes.
    passes(&[
        "abs(x - 40)",
        "--wrt",
        "x",
        "--grad",
        "(x - 40)/abs(x - 40)",
    ]);
}

#[test]
fn magnitudes_a_gradient_wrong_only_at_large_magnitude_fails() {
    // Right formulas that overflow far out: exp(x) = inf gives inf/inf.
    fails(&["softplus(x)", "--wrt", "x", "--grad", "exp(x)/(1 + exp(x))"]);
    fails(&[
        "sigmoid(x)",
        "--wrt",
        "x",
        "--grad",
        "exp(-x)/(1 + exp(-x))^2",
    ]);
    // A term that is below the tolerance near 1 and dominant near 1e6.
    fails(&[
        "sqrt(x^2 + 1)",
        "--wrt",
        "x",
        "--grad",
        "x/sqrt(x^2 + 1) + 1e-14*x^2",
    ]);
    // The stable forms pass.
    passes(&["softplus(x)", "--wrt", "x", "--grad", "sigmoid(x)"]);
    passes(&[
        "sigmoid(x)",
        "--wrt",
        "x",
        "--grad",
        "sigmoid(x)*(1 - sigmoid(x))",
    ]);
    passes(&["sqrt(x^2 + 1)", "--wrt", "x"]);
}

#[test]
fn magnitudes_stay_inside_the_assumed_domain() {
    // `assume 0 < p < 1` keeps every searched point inside: the claim is wrong only
    // where p > 1, so it passes.
    passes(&[
        "p^2",
        "--wrt",
        "p",
        "--assume",
        "0 < p < 1",
        "--grad",
        "2*p + relu(p - 1)",
    ]);
}

// ---------------------------------------------------------------------------------
// Axes of length 1.

#[test]
fn len_one_axes_right_gradients_pass() {
    // With len(z) = 1, cross_entropy(z, 0) is 0 everywhere: abs of it sits on its
    // kink at every point, where gauge's derivative of abs is undefined, yet the
    // function is smooth (derivative 0). The undefined claim is accepted there.
    passes(&["abs(cross_entropy(z, 0))", "--wrt", "z", "--len", "z=1"]);
    passes(&["cross_entropy(z, y)", "--wrt", "z", "--len", "z=1"]);
    passes(&["logsumexp(z)", "--wrt", "z", "--len", "z=1"]);
    passes(&["mse(p, t)", "--wrt", "p", "--len", "p=1"]);
    // A defined wrong claim there still fails.
    fails(&[
        "abs(cross_entropy(z, 0))",
        "--wrt",
        "z",
        "--len",
        "z=1",
        "--grad",
        "1",
        "--index",
        "i",
    ]);
}
