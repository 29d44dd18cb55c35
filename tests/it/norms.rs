//! Normalization layers and the identities they rest on: the claims of
//! `examples/norms.gauge` (LayerNorm, RMSNorm and BatchNorm backward passes, centred
//! sums, Huber losses, label smoothing, deltas, the logistic function) are proved, with
//! every proof passing the step checker, and their realistic mistakes are refuted. The
//! same mechanisms prove variants the file does not hold, and the checker refuses a
//! wrong instance of each rule they use.

use gauge::Session;
use gauge::lower::workspace::Workspace;
use gauge::prove::prove_with;
use gauge::trace::Rule;

const FILE: &str = include_str!("../../examples/norms.gauge");

/// Each claim of `text` with its verdict; a proof that fails the step checker is a
/// test failure.
fn verdicts(text: &str) -> Vec<(String, String)> {
    let mut s = Workspace::with_prelude().expect("the prelude loads");
    s.load_file("claims", text).expect("the claims load");
    let claims = s.claims.clone();
    claims
        .iter()
        .map(|claim| {
            let name = claim.name.clone().unwrap_or_default();
            let r = prove_with(&mut s, claim, 11, true);
            assert!(
                r.checker_failure.is_none(),
                "{name}: the proof failed the step checker: {:?}",
                r.checker_failure
            );
            (name, r.verdict.name().to_string())
        })
        .collect()
}

/// Asserts that every `ok_` claim of `text` is proved and every `bad_` one refuted.
fn assert_ok_proved_bad_refuted(text: &str) {
    let wrong: Vec<String> = verdicts(text)
        .into_iter()
        .filter(|(name, verdict)| {
            let want = if name.starts_with("ok_") {
                "proved"
            } else {
                "refuted"
            };
            verdict != want
        })
        .map(|(name, verdict)| format!("{name}: {verdict}"))
        .collect();
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
}

#[test]
fn the_normalization_claims_are_proved_and_their_mistakes_refuted() {
    let all = verdicts(FILE);
    assert!(all.len() >= 50, "the file holds {} claims", all.len());
    assert!(all.iter().any(|(n, _)| n.starts_with("bad_")));
    assert_ok_proved_bad_refuted(FILE);
}

#[test]
fn layer_norm_proves_with_other_names_and_an_inline_mean() {
    // Nothing in the file: other tensors, indices and definition names, the mean
    // written inline, and the scale and shift folded into one claim.
    assert_ok_proved_bad_refuted(
        "assume tiny > 0\n\
         let act_c[p] = act[p] - sum(q, act[q])/len(act)\n\
         let act_v = sum(q, act_c[q]^2)/len(act)\n\
         let act_n[p] = act_c[p]/sqrt(act_v + tiny)\n\
         claim ok_sum: sum(p, act_c[p]) = 0\n\
         claim ok_std: diff(sqrt(act_v + tiny), act[r]) = act_c[r]/(len(act)*sqrt(act_v + tiny))\n\
         claim ok_back: diff(sum(p, dout[p]*(wt[p]*act_n[p] + bias[p])), act[r]) = \
           (wt[r]*dout[r] - sum(p, wt[p]*dout[p])/len(act) \
            - act_n[r]*sum(p, wt[p]*dout[p]*act_n[p])/len(act))/sqrt(act_v + tiny)\n\
         claim bad_back: diff(sum(p, dout[p]*(wt[p]*act_n[p] + bias[p])), act[r]) = \
           (wt[r]*dout[r] - act_n[r]*sum(p, wt[p]*dout[p]*act_n[p])/len(act))/sqrt(act_v + tiny)\n",
    );
}

#[test]
fn rms_norm_proves_with_a_scaled_epsilon_and_other_names() {
    assert_ok_proved_bad_refuted(
        "assume lam > 0\n\
         let msq = sum(q, hid[q]^2)/len(hid)\n\
         let hn[p] = hid[p]/sqrt(msq + lam/2)\n\
         claim ok_back: diff(sum(p, up[p]*hn[p]), hid[r]) = \
           (up[r] - hn[r]*sum(p, up[p]*hn[p])/len(hid))/sqrt(msq + lam/2)\n\
         claim bad_back: diff(sum(p, up[p]*hn[p]), hid[r]) = \
           (up[r] - hn[r]*sum(p, up[p]*hn[p]))/sqrt(msq + lam/2)\n",
    );
}

#[test]
fn simplified_results_read_in_the_definitions_of_the_file() {
    let mut s = Session::new();
    s.load(
        "let mu = sum(k, x[k]) / len(x)\n\
         let xc[i] = x[i] - mu\n\
         let var = sum(k, xc[k]^2) / len(x)\n\
         assume eps > 0",
    )
    .unwrap();
    // The variance folds to `var` wherever it appears, not to `norm2(xc)/len(x)`.
    assert_eq!(
        s.simplify("diff(var, x[j])").unwrap().to_string(),
        "2*xc[j]/len(x)"
    );
    assert_eq!(
        s.simplify("sum(k, xc[k]^2)/len(x) - var")
            .unwrap()
            .to_string(),
        "0"
    );
    assert_eq!(s.simplify("sum(k, xc[k])").unwrap().to_string(), "0");
    assert_eq!(
        s.simplify("sum(k, a[k]*(delta(j, k) - c))")
            .unwrap()
            .to_string(),
        "a[j] - c*sum(k, a[k])"
    );
    assert_eq!(
        s.simplify("delta(i, k)^3").unwrap().to_string(),
        "delta(i, k)"
    );
    assert_eq!(
        s.simplify("delta(i, k)*delta(k, l)*delta(l, i)")
            .unwrap()
            .to_string(),
        "delta(i, k)*delta(i, l)"
    );
    assert_eq!(s.simplify("logit(sigmoid(t))").unwrap().to_string(), "t");
}

use crate::common::check_one;

#[test]
fn the_checker_accepts_each_new_rule_and_refuses_a_wrong_instance() {
    let centred = "let mu = sum(k, x[k]) / len(x)\nlet xc[i] = x[i] - mu\n";
    for (facts, rule, before, after) in [
        ("", Rule::DeltaPower, "delta(i, k)^3", "delta(i, k)"),
        (
            "",
            Rule::DeltaProduct,
            "delta(i, k)*delta(k, l)*z[i]",
            "delta(i, k)*delta(i, l)*z[i]",
        ),
        ("", Rule::DeltaProduct, "delta(i, 0)*delta(i, 1)", "0"),
        (
            "",
            Rule::SumDistributeDelta,
            "sum(k, a[k]*(delta(j, k) - c))",
            "a[j] - c*sum(k, a[k])",
        ),
        (centred, Rule::ExpandInSum, "sum(k, xc[k])", "0"),
        (
            "assume u > 0",
            Rule::SigmoidOfLn,
            "sigmoid(ln(u))",
            "u/(1 + u)",
        ),
        (
            "assume 0 < p < 1",
            Rule::SigmoidOfLn,
            "sigmoid(logit(p))",
            "p",
        ),
        ("", Rule::LogitOfSigmoid, "logit(sigmoid(t))", "t"),
        ("", Rule::LnOfSigmoid, "ln(sigmoid(t))", "-softplus(-t)"),
        ("", Rule::LnOfSigmoid, "ln(1 - sigmoid(t))", "-softplus(t)"),
        (
            "",
            Rule::SoftplusOfNegative,
            "softplus(-t)",
            "softplus(t) - t",
        ),
        (
            "",
            Rule::SoftplusOfNegative,
            "softplus(-2*t)",
            "softplus(2*t) - 2*t",
        ),
    ] {
        let r = check_one(facts, rule, before, after);
        assert!(r.is_ok(), "{before} -> {after} by {rule}: {r:?}");
    }
    // Each wrong instance is refused by the rule's own check, before the numbers.
    for (facts, rule, before, after) in [
        ("", Rule::DeltaPower, "delta(i, k)^2", "1"),
        ("", Rule::DeltaPower, "delta(i, k)^(-1)", "delta(i, k)"),
        (
            "",
            Rule::DeltaProduct,
            "delta(i, k)*delta(k, l)",
            "delta(i, l)",
        ),
        ("", Rule::DeltaProduct, "delta(i, 0)*delta(k, 1)", "0"),
        (
            "",
            Rule::SumDistributeDelta,
            "sum(k, a[k]*(delta(j, k) - c))",
            "a[j] - c",
        ),
        (centred, Rule::ExpandInSum, "sum(k, xc[k]^2)", "0"),
        ("", Rule::SigmoidOfLn, "sigmoid(ln(u))", "u/(1 + u)"),
        (
            "assume u > 0",
            Rule::SigmoidOfLn,
            "sigmoid(ln(u))",
            "1/(1 + u)",
        ),
        ("", Rule::LogitOfSigmoid, "logit(sigmoid(t))", "-t"),
        ("", Rule::LogitOfSigmoid, "ln(sigmoid(t))", "t"),
        ("", Rule::LnOfSigmoid, "ln(sigmoid(t))", "-softplus(t)"),
        ("", Rule::LnOfSigmoid, "ln(2 - sigmoid(t))", "-softplus(t)"),
        ("", Rule::LnOfSigmoid, "ln(1 + sigmoid(t))", "-softplus(t)"),
        (
            "",
            Rule::SoftplusOfNegative,
            "softplus(-t)",
            "softplus(t) + t",
        ),
    ] {
        let r = check_one(facts, rule, before, after);
        assert_eq!(r, Err(Some(rule)), "{before} -> {after} by {rule}");
    }
}
