//! Shift invariance: softmax, log-softmax and cross-entropy do not change, and
//! logsumexp moves by the shift, when every score moves by one amount that is free of
//! the summed index (a name, a scalar expression, an element, or a sum over another
//! index). The proofs write the definitions out (from the outside in, so that a whole
//! tensor passed to a definition, `softmax(z - c)`, becomes its elements), take the
//! shift out of the sum (`exp-out-of-sum`) and split the logarithm of the product
//! (`ln-of-product`, its factors positive). Every proof passes the step checker, and
//! the false variants are refuted, with or without it.

use gauge::lower::workspace::Workspace;
use gauge::prove::{prove, prove_with};
use gauge::trace::Rule;

/// Each claim of `text` with its verdict; with `verify`, a proof that fails the step
/// checker is a test failure.
fn verdicts(text: &str, verify: bool) -> Vec<(String, String)> {
    let mut s = Workspace::with_prelude().expect("the prelude loads");
    s.load_file("claims", text).expect("the claims load");
    let claims = s.claims.clone();
    claims
        .iter()
        .map(|claim| {
            let name = claim.name.clone().unwrap_or_default();
            let r = if verify {
                prove_with(&mut s, claim, 7, true)
            } else {
                prove(&mut s, claim, 7)
            };
            assert!(
                r.checker_failure.is_none(),
                "{name}: the proof failed the step checker: {:?}",
                r.checker_failure
            );
            (name, r.verdict.name().to_string())
        })
        .collect()
}

/// Asserts that every claim of `text` has the verdict `want`.
fn assert_all(text: &str, want: &str, verify: bool) {
    let wrong: Vec<String> = verdicts(text, verify)
        .into_iter()
        .filter(|(_, verdict)| verdict != want)
        .map(|(name, verdict)| format!("{name}: {verdict}"))
        .collect();
    assert!(wrong.is_empty(), "not {want}:\n{}", wrong.join("\n"));
}

#[test]
fn a_scalar_shift_leaves_softmax_and_its_relatives_unchanged() {
    assert_all(
        "claim shift: softmax(z - c) = softmax(z)\n\
         claim lse: logsumexp(z - c) = logsumexp(z) - c\n\
         claim shift_max_like: softmax(z + 3*c) = softmax(z)\n\
         claim log_softmax_shift: log_softmax(z - c) = log_softmax(z)\n\
         claim ce_shift: cross_entropy(z - c, y) = cross_entropy(z, y)\n\
         claim temp: softmax(z / T) = softmax(z / T - c)\n",
        "proved",
        true,
    );
}

#[test]
fn a_shift_written_in_index_form_is_proved() {
    assert_all(
        "claim idx: exp(z[i] - c)/sum(j, exp(z[j] - c)) = softmax(z)[i]\n\
         claim idx_lse: ln(sum(j, exp(z[j] - c))) = logsumexp(z) - c\n\
         claim idx_ce: -ln(exp(z[y] - c)/sum(j, exp(z[j] - c))) = cross_entropy(z, y)\n",
        "proved",
        true,
    );
}

#[test]
fn any_shift_free_of_the_summed_index_is_proved() {
    assert_all(
        "claim expr: softmax(z - (a*b + 1)) = softmax(z)\n\
         claim expr_idx: exp(z[i] - a*b - 1)/sum(j, exp(z[j] - a*b - 1)) = softmax(z)[i]\n\
         claim summed: softmax(z - sum(k, w[k])) = softmax(z)\n\
         claim summed_idx: exp(z[i] - sum(k, w[k]))/sum(j, exp(z[j] - sum(k, w[k]))) \
           = softmax(z)[i]\n\
         claim summed_lse: logsumexp(z - sum(k, w[k])) = logsumexp(z) - sum(k, w[k])\n\
         claim element: softmax(z - z[0]) = softmax(z)\n\
         claim mean: softmax(z - mean(j, z[j])) = softmax(z)\n\
         claim scaled: softmax((z - c)/T) = softmax(z/T) + 0*z[0]\n\
         claim two: softmax(z - c) = softmax(z - d) + 0*z[0]\n",
        "proved",
        true,
    );
}

#[test]
fn false_shifts_are_refuted() {
    let text = "claim minus_c: softmax(z - c) = softmax(z) - c\n\
                claim lse_unshifted: logsumexp(z - c) = logsumexp(z)\n\
                claim lse_wrong_sign: logsumexp(z - c) = logsumexp(z) + c\n\
                claim scaled: softmax(z*c) = softmax(z)\n\
                claim doubled: softmax(2*(z - c)) = softmax(z)\n\
                claim ce_minus_c: cross_entropy(z - c, y) = cross_entropy(z, y) - c\n\
                claim by_vector: softmax(z - w) = softmax(z) + 0*w[0]\n\
                claim by_element: exp(z[i] - w[i])/sum(j, exp(z[j] - w[j])) = softmax(z)[i]\n";
    // Refuted by the prover alone, and with every proof checked.
    assert_all(text, "refuted", false);
    assert_all(text, "refuted", true);
}

#[test]
fn a_tensor_passed_whole_is_written_out_element_by_element() {
    // Written out from the inside, the argument's body would lose its index, and each
    // softmax below would be 1/len(z): these false claims were once proved.
    assert_all(
        "claim tempered: softmax(z / T) = softmax(2*z / T) + 0*z[0]\n\
         claim other: softmax(z - c) = softmax(2*z) + 0*z[0]\n\
         claim nested: nll(softmax(z), y) = nll(softmax(2*z), y)\n",
        "refuted",
        false,
    );
    assert_all(
        "claim nested: nll(softmax(z), y) = cross_entropy(z, y)\n",
        "proved",
        true,
    );
    let mut s = Workspace::with_prelude().unwrap();
    let call = s.parse_expression("softmax(z - c)[i] + 0*z[0]").unwrap();
    let body = s
        .parse_expression("exp(z[i] - c)/sum(j, exp(z[j] - c)) + 0*z[0]")
        .unwrap();
    let written = s.pool.expand_definitions(call, &[]);
    assert_eq!(s.print(written), s.print(body));
}

/// The result of checking one rewrite of `before` into `after` by `rule`.
fn check_one(rule: Rule, before: &str, after: &str) -> Result<(), Option<Rule>> {
    crate::common::check_one("", rule, before, after)
}

#[test]
fn the_checker_writes_out_a_tensor_passed_whole() {
    let call = "softmax(z - c)[i] + 0*z[0]";
    let r = check_one(
        Rule::ExpandDefinition,
        call,
        "exp(z[i] - c)/sum(j, exp(z[j] - c)) + 0*z[0]",
    );
    assert!(r.is_ok(), "{r:?}");
    // The body with its index lost is refused by the rule's own check, before the
    // numbers.
    let r = check_one(Rule::ExpandDefinition, call, "1/len(z)");
    assert_eq!(r, Err(Some(Rule::ExpandDefinition)));
}

#[test]
fn exp_out_of_sum_takes_the_shift_out_of_a_weighted_sum() {
    assert_all(
        "claim expectation: sum(j, z[j]*softmax(z - c)[j]) = sum(j, z[j]*softmax(z)[j])\n\
         claim weighted: sum(j, w[j]*exp(z[j] - c)) = exp(-c)*sum(j, w[j]*exp(z[j]))\n",
        "proved",
        true,
    );
    for (before, after) in [
        ("sum(j, exp(z[j] - c))", "exp(-c)*sum(j, exp(z[j]))"),
        (
            "sum(j, w[j]*exp(z[j] - c))",
            "exp(-c)*sum(j, w[j]*exp(z[j]))",
        ),
    ] {
        let r = check_one(Rule::ExpOutOfSum, before, after);
        assert!(r.is_ok(), "{before} -> {after}: {r:?}");
    }
    // A wrong sign, a term that depends on the index, or a shift in a factor that is
    // not an exponential, each refused by the rule's own check.
    for (before, after) in [
        (
            "sum(j, w[j]*exp(z[j] - c))",
            "exp(c)*sum(j, w[j]*exp(z[j]))",
        ),
        ("sum(j, exp(z[j] + w[j]))", "exp(w[0])*sum(j, exp(z[j]))"),
        ("sum(j, sin(z[j] - c))", "exp(-c)*sum(j, sin(z[j]))"),
    ] {
        let r = check_one(Rule::ExpOutOfSum, before, after);
        assert_eq!(r, Err(Some(Rule::ExpOutOfSum)), "{before} -> {after}");
    }
}
