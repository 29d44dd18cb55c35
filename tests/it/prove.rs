//! `gauge prove`: the seed's and attention's claims are proved, realistic mistakes are
//! refuted with counterexamples, and a false claim is never proved.

use crate::common::{gauge, gauge_files, root, scalar_expr_text, stderr, stdout};
use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;
use proptest::prelude::*;

#[test]
fn the_seed_and_attention_claims_are_proved() {
    for file in ["examples/seed.gauge", "examples/attention.gauge"] {
        let out = gauge(&["--format", "json", "prove", file, "--verify"]);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", stderr(&out));
        assert!(!stderr(&out).contains("BUG"), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        for c in v["claims"].as_array().unwrap() {
            assert_eq!(c["verdict"], "proved", "{file}: {c}");
            let steps = c["steps"].as_array().unwrap().len();
            assert!(steps > 0);
            // The checker re-verified every step of both readings of the proof, each
            // at random points too.
            let forward = c["forward"].as_array().map_or(0, Vec::len);
            assert_eq!(c["verified"]["steps"], steps + forward, "{file}: {c}");
            assert!(c["verified"]["points"].as_u64().unwrap() >= steps as u64);
            assert!(c["checker_failure"].is_null());
        }
    }
}

#[test]
fn a_proof_too_large_for_the_step_checker_is_a_warning_not_a_bug_and_stays_fast() {
    // A 30-layer convolution stack: the proof's derivative is a DAG of thousands of
    // nodes and a tree of billions. The checker cannot multiply its instance out; it
    // says so as a limit (no "BUG"), its message quotes the expression abridged (the
    // tree written out would never finish), and the claim falls back to numbers.
    let mut text = String::from("let h1(t) = tanh(t + ln(1 + t^2))\n");
    for k in 2..=30 {
        text.push_str(&format!(
            "let h{k}(t) = tanh(h{}(t) + h{}(t + 1))\n",
            k - 1,
            k - 1
        ));
    }
    text.push_str(
        "claim chain: diff(h30(t), t) = (1 - h30(t)^2)*(diff(h29(t), t) + diff(h29(t + 1), t))\n",
    );
    let out = prove_verified("conv", &text);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("BUG"), "{err}");
    assert!(
        err.contains("could not re-check the proof of claim `chain`"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let c = &v["claims"][0];
    assert_eq!(c["verdict"], "confirmed", "{c}");
    assert_eq!(c["checker_gave_up"], true, "{c}");
    assert!(c["checker_failure"].as_str().unwrap().len() < 1000, "{c}");
}

#[test]
fn realistic_mistakes_are_refuted_with_counterexamples() {
    let out = gauge(&["--format", "json", "prove", "examples/mistakes.gauge"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let claims = v["claims"].as_array().unwrap();
    assert!(claims.len() >= 8);
    for c in claims {
        assert_eq!(c["verdict"], "refuted", "{c}");
        let ce = &c["counterexample"];
        assert!(ce["rhs"].is_null() || ce["lhs"].as_f64().unwrap() != ce["rhs"].as_f64().unwrap());
        assert!(!ce["point"].as_object().unwrap().is_empty());
    }
    assert_eq!(v["summary"]["refuted"], claims.len());
}

/// The verdict on the first claim of a file; every proof is re-checked by the step
/// checker, and a proof that fails it fails the test.
fn verdict(file_text: &str) -> String {
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file("claims", file_text).unwrap();
    let claims = s.claims.clone();
    let r = gauge::prove::prove_with(&mut s, &claims[0], 7, true);
    assert!(
        r.checker_failure.is_none(),
        "{file_text}: the proof failed the step checker: {}",
        r.checker_failure.unwrap()
    );
    if r.verdict.name() == "proved" {
        assert!(
            r.verified.is_some(),
            "{file_text}: a proof was not re-checked"
        );
    }
    r.verdict.name().to_string()
}

#[test]
fn a_claim_without_a_proof_is_confirmed_or_refuted_by_numbers() {
    // True, but beyond the rules: the Pythagorean identity under a function.
    assert_eq!(
        verdict("claim exp(cos(2*x)) = exp(1 - 2*sin(x)^2)"),
        "confirmed"
    );
    assert_eq!(
        verdict("claim exp(cos(2*x)) = exp(1 - sin(x)^2)"),
        "refuted"
    );
    // sin(2x) = 2 sin(x) cos(x) was such a claim, until the angle-sum rule.
    assert_eq!(verdict("claim sin(2*x) = 2*sin(x)*cos(x)"), "proved");
    assert_eq!(verdict("claim sin(2*x) = 2*sin(x)"), "refuted");
    // ln(x^2) = 2 ln(x) holds only for x > 0: refuted without the fact, proved with it.
    assert_eq!(verdict("claim ln(x^2) = 2*ln(x)"), "refuted");
    assert_eq!(verdict("assume x > 0\nclaim ln(x^2) = 2*ln(x)"), "proved");
}

#[test]
fn claims_defined_only_far_from_zero_are_still_decided() {
    // ln(x - 5) is undefined on the usual sampling range; wider ranges find points.
    assert_eq!(verdict("claim diff(ln(x - 5), x) = 1/(x - 4)"), "refuted");
    assert_eq!(verdict("claim ln(x - 5) - ln(x - 5) = 0"), "proved");
}

#[test]
fn rounding_in_an_ill_conditioned_spot_is_no_counterexample() {
    // sin(3t) = 3 sin(t) - 4 sin(t)^3 is beyond the rules. With t = 10^7 x, the two
    // sides compute 3*10^7*x and 10^7*x apart, and rounding of those arguments moves
    // sin by far more than 1e-9: that is no counterexample.
    let triple = "sin(30000000*x) = 3*sin(10000000*x) - 4*sin(10000000*x)^3";
    assert_eq!(verdict(&format!("claim {triple}")), "confirmed");
    // A real difference is still found.
    assert_eq!(verdict(&format!("claim {triple} + 1e-3")), "refuted");
}

#[test]
fn facts_about_elements_and_expressions_hold_at_every_sampled_point() {
    // The prover uses `z[0] > 0`; the sampler and the step checker must too.
    assert_eq!(
        verdict("assume z[0] > 0\nclaim sqrt(z[0]^2) = z[0]"),
        "proved"
    );
    assert_eq!(
        verdict("assume z[0] > 0\nclaim ln(z[0]^2) = 2*ln(z[0])"),
        "proved"
    );
    assert_eq!(
        verdict("assume z[0] > 0\nclaim abs(z[0])*exp(cos(2*x)) = z[0]*exp(1 - 2*sin(x)^2)"),
        "confirmed"
    );
    assert_eq!(
        verdict(
            "assume z[0] > 0\nclaim abs(z[0])*sin(x + 10) = z[0]*(sin(x)*cos(10) + cos(x)*sin(10))"
        ),
        "proved"
    );
    assert_eq!(
        verdict("assume x - y > 0\nclaim abs(x - y) = x - y"),
        "proved"
    );
    // Without the fact, the same claims are false somewhere.
    assert_eq!(verdict("claim sqrt(z[0]^2) = z[0]"), "refuted");
}

#[test]
fn rounding_of_large_intermediates_is_no_counterexample() {
    // Beyond the rules (the tangent's addition formula), with arguments near 1e8.
    assert_eq!(verdict("claim tan(x + 10000000*pi) = tan(x)"), "confirmed");
    assert_eq!(
        verdict("claim tan(x + 1e8) = (tan(x) + tan(1e8))/(1 - tan(x)*tan(1e8))"),
        "confirmed"
    );
    assert_eq!(
        verdict("claim tan(x + 1e8) = (tan(x) + tan(1e8))/(1 - tan(x)*tan(1e8)) + 1e-3"),
        "refuted"
    );
    // The sine's is proved by the angle-sum rule.
    assert_eq!(
        verdict("claim sin(x + 1e8) = sin(x)*cos(1e8) + cos(x)*sin(1e8)"),
        "proved"
    );
}

#[test]
fn whole_exponents_known_only_at_run_time_allow_negative_bases() {
    assert_eq!(verdict("claim (-1)^len(z) = 1"), "refuted");
    assert_eq!(
        verdict("claim ln(x^(2*len(z))) = 2*len(z)*ln(x)"),
        "refuted"
    );
    let v = verdict("claim (x*y)^len(z) = x^len(z)*y^len(z)");
    assert!(v == "proved" || v == "confirmed", "{v}");
}

/// Whether an expression is defined at one of a few points (with `x` and `y` spread
/// over both signs), so that a claim about it can be refuted at all. Defined means in
/// f64 and not certainly undefined in exact arithmetic: `x/sin(pi)` has a value in
/// f64, where `sin(pi)` is 1.2e-16, but is undefined everywhere, since `sin(pi)` is
/// 0, so no counterexample to a claim about it can be certified.
fn defined_somewhere(s: &mut Workspace, es: &[gauge::expr::node::ExprId]) -> bool {
    let at = ["-1.7", "-0.6", "-0.2", "0.3", "0.45", "0.9", "1.3", "2.2"];
    at.iter().any(|x| {
        at.iter().any(|y| {
            let b = s
                .parse_bindings(&format!("x={x}, y={y}, z=[0.3, -1.2, 0.8]"))
                .unwrap();
            es.iter().all(|&e| {
                s.eval(e, &b).is_ok_and(f64::is_finite)
                    && !matches!(
                        gauge::numeric::precise::enclose(&mut s.pool, e, &b, 128),
                        Err(gauge::numeric::precise::Fail::Undefined(_))
                    )
            })
        })
    })
}

proptest! {
    // PROPTEST_CASES (10,000 in CI) overrides this; derivatives whose domain is empty
    // are skipped, since no claim about them can be refuted.
    #![proptest_config(ProptestConfig {
        cases: 64,
        max_global_rejects: 1_000_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn derivatives_are_proved_and_perturbed_ones_are_refuted(
        text in scalar_expr_text(),
        k in 1u32..12,
        c in 1u32..12,
    ) {
        let mut s = Workspace::with_prelude().unwrap();
        // What the canonical form drops of the expression as written is part of its
        // domain (`asin(pi)` in `(2*asin(pi))^(x - x)`, which reads as 1).
        s.pool.record_guards();
        let e = s.parse_expression(&text).unwrap();
        let mut written = s.pool.take_guards();
        written.push(e);
        // An expression defined nowhere (`(2^x)^(1/(x - x))`) has no derivative to
        // claim anything about; its claims are errors, not proofs.
        prop_assume!(defined_somewhere(&mut s, &written));
        let x = s.parse_variable("x").unwrap();
        let defs = s.definitions_in_order();
        let d = gauge::calculus::derivation::derive_with_steps(&mut s.pool, e, x, 1, &defs, &[]).unwrap().result;
        let printed = s.print(d);
        // A derivative defined nowhere (`0^(y/x)`'s, whose rule for a power gives
        // `ln(0)`) proves nothing either: a side defined nowhere is an error.
        let taken = gauge::calculus::derivation::take_derivatives(&mut s.pool, d).unwrap().0;
        prop_assume!(defined_somewhere(&mut s, &[taken]));
        let claim = format!("claim diff({text}, x) = {printed}");
        prop_assert_eq!(verdict(&claim), "proved", "{}", claim);

        // The derivative is scaled by 1 + k/7 and moved by c/5, which changes it
        // everywhere except where it equals -7c/(5k). A constant one is moved away from
        // 0, so that it changes by at least a k/7 share of itself.
        let constant = s.pool.free_symbols(d).is_empty();
        let negative = constant
            && s.eval(taken, &gauge::numeric::value::Bindings::default()).is_ok_and(|v| v < 0.0);
        let sign = if negative { "-" } else { "+" };
        let wrong_rhs = format!("(1 + {k}/7)*({printed}) {sign} {c}/5");
        let wrong = format!("claim diff({text}, x) = {wrong_rhs}");
        prop_assert_eq!(verdict(&wrong), "refuted", "{}", wrong);
    }
}

#[test]
fn a_constant_whole_exponent_allows_a_negative_base_as_the_interpreter_does() {
    // CI found this: (1/7 - x^x)^cos(pi) is 1/(1/7 - x^x), defined for x > 0.
    assert_eq!(
        verdict("claim (1/7 - x^x)^cos(pi) = 1/(1/7 - x^x) + 1"),
        "refuted"
    );
    let v = verdict("claim (-2)^cos(pi) = -1/2");
    assert!(v == "proved" || v == "confirmed", "{v}");
}

#[test]
fn the_checker_clears_fractional_powers_of_a_sum() {
    // CI found this: the checker's own derivative and gauge's differ by terms in
    // sqrt(A)^-1 and sqrt(A) with A = exp(3/7) - ln(x), which meet only once the
    // difference is multiplied by sqrt(A).
    assert_eq!(
        verdict(
            "claim diff((sqrt(eml(3/7, x)))^((ln(x)) + (3)), x) = sqrt(exp(3/7) - ln(x))^(3 + ln(x))*(ln(sqrt(exp(3/7) - ln(x)))/x - (3 + ln(x))/(2*x*(exp(3/7) - ln(x))))"
        ),
        "proved"
    );
}

#[test]
fn a_free_index_on_one_side_ranges_over_its_axis() {
    // Each holds for every i (and k): the index is quantified, as on both sides.
    for claim in [
        "claim diff(sum(j, z[j]), z[i]) = 1",
        "claim hessian(cross_entropy(z, y), z)[i, k] = softmax(z)[i]*delta(i, k) - softmax(z)[i]*softmax(z)[k]",
        "claim diff(sum(j, w[j]^2), w[i]) = 2*w[i]",
    ] {
        assert_eq!(verdict(claim), "proved", "{claim}");
    }
    // A forgotten `- delta(i, y)` is refuted where i is the label.
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file(
        "claims",
        "claim diff(cross_entropy(z, y), z[i]) = softmax(z)[i]",
    )
    .unwrap();
    let claims = s.claims.clone();
    let r = gauge::prove::prove(&mut s, &claims[0], 7);
    let gauge::prove::Outcome::Refuted { point, .. } = &r.verdict else {
        panic!("not refuted: {}", r.verdict.name());
    };
    let at = |n: &str| point.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(at("i"), at("y"), "{point:?}");
    // And a claim that one element stands for all is refuted at another.
    assert_eq!(
        verdict("claim diff(sum(j, z[j]^2), z[i]) = 2*z[0]"),
        "refuted"
    );
}

#[test]
fn a_file_with_unreadable_claims_still_decides_the_rest() {
    let dir = crate::common::temp_dir("prove", "unreadable");
    let file = dir.join("claims.gauge");
    std::fs::write(
        &file,
        "claim a: x + x = 2*x\nclaim b: x + = 1\nclaim c: f(x = 1\nclaim d: sin(x)^2 + cos(x)^2 = 1\nclaim e: z + 1 = z[0]\nclaim g: x = x + 1\n",
    )
    .unwrap();
    let out = gauge(&["prove", file.to_str().unwrap()]);
    let text = stdout(&out);
    // An unreadable claim is an error (exit 2), reported at its place; the others,
    // after it too (an open bracket does not swallow the next line), are decided.
    assert_eq!(out.status.code(), Some(2), "{text}{}", stderr(&out));
    let rows: Vec<(String, String)> = text
        .lines()
        .take(6)
        .map(|l| {
            let mut w = l.split_whitespace();
            (w.next().unwrap().to_string(), w.next().unwrap().to_string())
        })
        .collect();
    let want = [
        ("a", "proved"),
        ("b", "error"),
        ("c", "error"),
        ("d", "proved"),
        ("e", "error"),
        ("g", "refuted"),
    ];
    for ((n, v), (wn, wv)) in rows.iter().zip(want) {
        assert_eq!((n.as_str(), v.as_str()), (wn, wv), "{text}");
    }
    assert!(
        text.contains("b (line 2): error: expected an expression"),
        "{text}"
    );
    assert!(text.contains("at line 2, column 14"), "{text}");
    assert!(text.contains("c (line 3): error:"), "{text}");
    assert!(
        text.contains("e (line 5): error: the sides of the claim have different shapes"),
        "{text}"
    );
    assert!(
        text.contains("2 proved, 0 confirmed, 1 refuted, 3 error"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_stable_forms_of_sigmoid_logarithms_and_bce_with_logits_are_proved() {
    for claim in [
        "claim ln(1 - sigmoid(x)) = -softplus(x)",
        "claim ln(sigmoid(x)) = -softplus(-x)",
        "claim softplus(-x) = softplus(x) - x",
        "claim -(t*ln(sigmoid(z)) + (1 - t)*ln(1 - sigmoid(z))) = softplus(z) - t*z",
        "claim -(t*ln(1/(1 + exp(-z))) + (1 - t)*ln(1 - 1/(1 + exp(-z)))) = softplus(z) - t*z",
        "claim diff(-(t*ln(sigmoid(z)) + (1 - t)*ln(1 - sigmoid(z))), z) = sigmoid(z) - t",
        "claim 1 - 1/(1 + exp(-z)) = sigmoid(-z)",
    ] {
        assert_eq!(verdict(claim), "proved", "{claim}");
    }
    for claim in [
        "claim ln(sigmoid(x)) = -softplus(x)",
        "claim ln(1 - sigmoid(x)) = -softplus(-x)",
        "claim -(t*ln(sigmoid(z)) + (1 - t)*ln(1 - sigmoid(z))) = softplus(z) + t*z",
    ] {
        assert_eq!(verdict(claim), "refuted", "{claim}");
    }
}

#[test]
fn points_span_magnitudes_beyond_the_usual_box() {
    // True only for x < 40, which the usual ranges (|x| up to 30) never leave.
    assert_eq!(verdict("claim abs(x - 40) = 40 - x"), "refuted");
    // True only below 1e5 for a positive p, which log-uniform draws up to 1e6 pass.
    assert_eq!(
        verdict("assume p > 0\nclaim abs(p - 100000) + p = 100000"),
        "refuted"
    );
    // Where the facts keep x below 40 it holds, and is not refuted.
    assert_ne!(
        verdict("assume x < 40\nclaim abs(x - 40) = 40 - x"),
        "refuted"
    );
}

#[test]
fn special_values_are_sampled() {
    // True everywhere but at x = 0, which a random draw never hits.
    assert_eq!(verdict("claim 0^x = 0"), "refuted");
    assert_eq!(verdict("claim abs(x)^0 = 1 + 0*x"), "proved");
    // Where the facts exclude the special value, it is not drawn.
    assert_ne!(verdict("assume x > 0\nclaim 0^x = 0"), "refuted");
}

#[test]
fn every_proof_of_the_examples_passes_the_step_checker() {
    // `--verify` on every example file, the training backward pass with its
    // definitions among them: no false alarm, and no verdict changes under the checker.
    let mut runs: Vec<Vec<String>> = gauge_files(&root().join("examples"))
        .into_iter()
        .map(|p| vec![p.to_string_lossy().into_owned()])
        .collect();
    runs.push(vec![
        "examples/training/backward.gauge".into(),
        "--defs".into(),
        "examples/training/mlp.gauge".into(),
    ]);
    assert!(runs.len() >= 8, "{runs:?}");
    let mut proved = 0;
    for run in runs {
        let verdicts = |verify: bool| {
            let mut args = vec!["--format", "json", "prove"];
            args.extend(run.iter().map(String::as_str));
            if verify {
                args.push("--verify");
            }
            let out = gauge(&args);
            let err = stderr(&out);
            assert!(!err.contains("BUG"), "{run:?}: {err}");
            let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
            v["claims"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    if verify && c["verdict"] == "proved" {
                        // Every step shown was re-checked (a claim already equal has none).
                        let shown = c["steps"].as_array().unwrap().len() as u64;
                        assert!(c["verified"]["steps"].as_u64().unwrap() >= shown, "{c}");
                        assert!(c["checker_failure"].is_null(), "{c}");
                    }
                    c["verdict"].as_str().unwrap().to_string()
                })
                .collect::<Vec<_>>()
        };
        let checked = verdicts(true);
        assert_eq!(checked, verdicts(false), "{run:?}");
        proved += checked.iter().filter(|v| *v == "proved").count();
    }
    assert!(proved >= 250, "{proved}");
}

/// `gauge --format json prove FILE --verify` on a file of `text`.
fn prove_verified(name: &str, text: &str) -> std::process::Output {
    let path = std::env::temp_dir().join(format!("gauge-{name}-{}.gauge", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let out = gauge(&[
        "--format",
        "json",
        "prove",
        path.to_str().unwrap(),
        "--verify",
    ]);
    let _ = std::fs::remove_file(&path);
    out
}

/// The verdicts of a file's claims under `--verify`, with no checker failure.
fn verified_verdicts(name: &str, text: &str) -> Vec<String> {
    let out = prove_verified(name, text);
    let err = stderr(&out);
    assert!(!err.contains("BUG"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    v["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_delta_of_a_free_index_contracts_in_every_term_of_a_sum() {
    // `c` ranges over the axis it indexes on the right side, so `delta(c, k)` contracts
    // in the sum on the left even in the term `delta(c, k)*mean(l, A[j, l])`, whose
    // result no longer names `c`: the checker agrees with the prover's contraction.
    let text = "tensor A[N, H], W1[H, D]\n\
        claim centred: sum(k, (delta(a, j)*delta(c, k) - delta(a, j)/len(W1))*(A[j, k] - mean(l, A[j, l]))) = delta(a, j)*(A[j, c] - mean(k, A[j, k]))\n\
        claim wrong: sum(k, (delta(a, j)*delta(c, k) - delta(a, j)/len(W1))*(A[j, k] - mean(l, A[j, l]))) = delta(a, j)*A[j, c]\n";
    assert_eq!(verified_verdicts("centred", text), ["proved", "refuted"]);
}

#[test]
fn a_gradient_stated_through_a_definition_with_another_length_name_is_proved() {
    // `dlogits` divides by `N`, the length of `y` in its body, while the derivative's
    // mean divides by the rows of `Z`: one length once the definitions are written out.
    let text = "tensor y[N], W2[C, H], b2[C], Z[N, H]\n\
        let logits = Z @ W2.T + b2\n\
        let loss = mean(n, cross_entropy(logits[n, :], y[n]))\n\
        let P[n, c] = softmax(logits[n, :])[c]\n\
        let dlogits[n, c] = (P[n, c] - delta(c, y[n])) / N\n\
        claim db2: diff(loss, b2[a]) = sum(n, dlogits[n, a])\n\
        claim dW2: diff(loss, W2[a, c]) = sum(n, dlogits[n, a]*Z[n, c])\n\
        claim off_by_n: diff(loss, b2[a]) = sum(n, dlogits[n, a])*N\n";
    assert_eq!(
        verified_verdicts("dlogits", text),
        ["proved", "proved", "refuted"]
    );
}

#[test]
fn stable_sigmoid_and_softplus_forms_are_proved_however_deep_they_sit() {
    // Negated arguments in one form, bounded builtins in sums (`2 + sin(x) > 0`), and a
    // call written out once the stable forms are in: each of these came back
    // `confirmed` (or undecided, for BCE-with-logits past f64's range) before.
    let text = "claim sp_in_sin: sin(softplus(sigmoid(x)/softplus(y))) = sin(sigmoid(x)/softplus(y) + softplus(-(sigmoid(x)/softplus(y))))\n\
        claim sp_difference: sigmoid(softplus(x + 2*y + 2) - softplus(-(x + 2*y + 2))) = sigmoid(x + 2*y + 2)\n\
        claim sigmoid_of_negative: sigmoid(sigmoid(-y)) = sigmoid(1 - sigmoid(y))\n\
        claim sp_in_tanh: tanh(exp(y)*softplus(y - 2*x)) = tanh(exp(y)*(y - 2*x + softplus(2*x - y)))\n\
        claim odd_inside: exp(sin(y - x)) = exp(-sin(x - y))\n\
        claim shifted_acos: acos(-x/2) + y = pi - acos(x/2) + y\n\
        claim bce_far: bce(exp(sqrt(1 + y^2)), t) = -(t*ln(sigmoid(exp(sqrt(1 + y^2))))) - (1 - t)*ln(1 - sigmoid(exp(sqrt(1 + y^2))))\n\
        claim ln_bounded_product: ln(exp(y)*cosh(x)*(2 + sin(x))) = ln(exp(y)*cosh(x)) + ln(2 + sin(x))\n\
        claim ln_bounded_power: ln((2 + sin(x))^ln(3*(1 + x^2))) = ln(3*(1 + x^2))*ln(2 + sin(x))\n";
    let got = verified_verdicts("stable", text);
    assert_eq!(got, vec!["proved"; 9], "{got:?}");
    // The same shapes with one symmetry wrong are refuted.
    let text = "claim wrong_shift: sigmoid(sigmoid(-y)) = sigmoid(sigmoid(y) - 1)\n\
        claim wrong_sign: tanh(exp(y)*softplus(y - 2*x)) = tanh(exp(y)*(2*x - y + softplus(2*x - y)))\n\
        claim wrong_parity: exp(cos(y - x)) = exp(-cos(x - y))\n\
        claim wrong_bound: ln((1/2 + sin(x))^2) = 2*ln(1/2 + sin(x))\n";
    let got = verified_verdicts("stable-wrong", text);
    assert_eq!(got, vec!["refuted"; 4], "{got:?}");
}

#[test]
fn angle_sums_logarithm_contents_and_powers_of_one_exponent_are_proved() {
    // Each is checked under --verify; each came back `confirmed` before its rule.
    let text = "claim double_angle: sin(2*atan(erf(x))) + x = 2*sin(atan(erf(x)))*cos(atan(erf(x))) + x\n\
        claim angle_sum: cosh(x)*cos(y + x/cosh(y)) = cosh(x)*(cos(y)*cos(x/cosh(y)) - sin(y)*sin(x/cosh(y)))\n\
        claim triple_angle: sin(3*x) = 3*sin(x) - 4*sin(x)^3\n\
        claim cos_double: cos(2*x) = 1 - 2*sin(x)^2\n\
        claim ln_quotient: exp(y)*ln((x^2 + 1/3)/(5/2 + x^2 + 1/3)) = exp(y)*(ln(x^2 + 1/3) - ln(5/2 + x^2 + 1/3))\n\
        claim ln_scaled: ln((1 + y^2)/(x^2 + 1/3)) + cos(x) = ln(1 + y^2) - ln(x^2 + 1/3) + cos(x)\n\
        claim binomial_200: (x - 1)^200*(x + 1)^200 = (x^2 - 1)^200\n\
        claim binomial_nested: sigmoid((y - 2)^7*(y + 2)^7) = sigmoid((y^2 - 4)^7)\n";
    let got = verified_verdicts("angles", text);
    assert_eq!(got, vec!["proved"; 8], "{got:?}");
    // And the same shapes made false are refuted.
    let text = "claim wrong_double: sin(2*x) = 2*sin(x)\n\
        claim wrong_sum: cos(x + y) = cos(x)*cos(y) + sin(x)*sin(y)\n\
        claim wrong_content: ln(6 + 3*x^2) = ln(3) + ln(3 + x^2)\n\
        claim wrong_binomial: (x - 1)^200*(x + 1)^200 = (x^2 + 1)^200\n";
    let got = verified_verdicts("angles-wrong", text);
    assert_eq!(got, vec!["refuted"; 4], "{got:?}");
}

#[test]
fn a_difference_that_simplifies_to_a_number_is_refuted_with_its_exact_value() {
    let text = "claim big: 10^20 + 1 = 10^20\n\
        claim tiny: x^2 + 1e-30 = x^2\n\
        claim varies: sin(2*x) = 2*sin(x)\n";
    let path = std::env::temp_dir().join(format!("gauge-exact-{}.gauge", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let out = gauge(&["--format", "json", "prove", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let exact: Vec<serde_json::Value> = v["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["verdict"], "refuted", "{c}");
            c["counterexample"]["exact_difference"].clone()
        })
        .collect();
    assert_eq!(exact[0], "1");
    // Written `1e-30`, the difference prints as written.
    assert_eq!(exact[1], "1e-30");
    assert!(exact[2].is_null(), "{exact:?}");
}

#[test]
fn higher_and_mixed_derivatives_by_elements_are_proved_and_pass_the_checker() {
    // Second and third derivatives by one element square its delta inside the sum
    // (`delta(j, k)^2`); the step checker contracts it as the prover does.
    let text = "tensor g[n]\ntensor W[r, c]\n\
        claim second: diff(sum(j, g[j]^2), g[k], 2) = 2\n\
        claim third: diff(sum(j, g[j]^3), g[k], 2) = 6*g[k]\n\
        claim cubed: diff(sum(j, g[j]^3), g[k], 3) = 6\n\
        claim exps: diff(sum(j, exp(g[j])), g[k], 2) = exp(g[k])\n\
        claim mixed: diff(diff(sum(j, g[j]^2), g[k]), g[m]) = 2*delta(k, m)\n\
        claim matrix: diff(sum(i, j, W[i, j]^2), W[a, b], 2) = 2\n\
        claim matrix_mixed: diff(diff(sum(i, j, W[i, j]^3), W[a, b]), W[p, q]) = \
            6*W[a, b]*delta(a, p)*delta(b, q)\n";
    assert_eq!(crate::common::verdicts(text), ["proved"; 7]);
    // A wrong second derivative is refuted, not proved.
    let wrong = "tensor g[n]\n\
        claim a: diff(sum(j, g[j]^2), g[k], 2) = 3\n\
        claim b: diff(sum(j, g[j]^3), g[k], 2) = 3*g[k]\n\
        claim c: diff(diff(sum(j, g[j]^2), g[k]), g[m]) = 2\n";
    assert_eq!(crate::common::verdicts(wrong), ["refuted"; 3]);
}

#[test]
fn a_claim_whose_derivative_is_a_number_is_still_sampled_over_its_names() {
    // The left side's derivative is the number 2, and the right side has no names, but
    // the claim is about every `g` and `k`: its evidence is the usual number of points,
    // over axes of every length, not the one point of a claim without names.
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file(
        "claims",
        "tensor g[n]\n\
         claim c: diff(sum(j, g[j]^2), g[k], 2) = 2 + sin(1)^4 - (1 - cos(1)^2)^2\n\
         claim d: erf(1)^2 + 1 = 1 + erf(1)*erf(1) + sin(1)^4 - (1 - cos(1)^2)^2",
    )
    .unwrap();
    let claims = s.claims.clone();
    let evidence = |s: &mut Workspace, k: usize| {
        let r = gauge::prove::prove(s, &claims[k], 1);
        match r.verdict {
            gauge::prove::Outcome::Confirmed { evidence, .. } => evidence,
            other => panic!("claim {k}: {}", other.name()),
        }
    };
    let e = evidence(&mut s, 0);
    assert_eq!(e.points, gauge::prove::POINTS, "{e:?}");
    assert!(!e.constant, "{e:?}");
    for n in [1, 2, 64] {
        assert!(e.lengths.contains(&n), "length {n} missing: {e:?}");
    }
    // A claim without names has its one point, and the report says why.
    let e = evidence(&mut s, 1);
    assert_eq!(e.points, 1, "{e:?}");
    assert!(e.constant, "{e:?}");
    assert!(e.describe().contains("no variables"), "{}", e.describe());
}
