//! `gauge prove`: the seed's and attention's claims are proved, realistic mistakes are
//! refuted with counterexamples, and a false claim is never proved.

mod common;

use common::{gauge, scalar_expr_text, stderr, stdout};
use gauge::session::Session;
use proptest::prelude::*;

#[test]
fn the_seed_and_attention_claims_are_proved() {
    for file in ["examples/seed.gauge", "examples/attention.gauge"] {
        let out = gauge(&["--format", "json", "prove", file]);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        for c in v["claims"].as_array().unwrap() {
            assert_eq!(c["verdict"], "proved", "{file}: {c}");
            assert!(!c["steps"].as_array().unwrap().is_empty());
        }
    }
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

fn verdict(file_text: &str) -> String {
    let mut s = Session::with_prelude().unwrap();
    s.load_file("claims", file_text).unwrap();
    let claims = s.claims.clone();
    let r = gauge::prove::prove(&mut s, &claims[0], 7);
    r.verdict.name().to_string()
}

#[test]
fn a_claim_without_a_proof_is_confirmed_or_refuted_by_numbers() {
    // True, but beyond the rules: sin(2x) = 2 sin(x) cos(x).
    assert_eq!(verdict("claim sin(2*x) = 2*sin(x)*cos(x)"), "confirmed");
    assert_eq!(verdict("claim sin(2*x) = 2*sin(x)"), "refuted");
    // ln(x^2) = 2 ln(x) holds only for x > 0: refuted without the fact, proved with it.
    assert_eq!(verdict("claim ln(x^2) = 2*ln(x)"), "refuted");
    assert_eq!(verdict("assume x > 0\nclaim ln(x^2) = 2*ln(x)"), "proved");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn derivatives_are_proved_and_perturbed_ones_are_not(text in scalar_expr_text()) {
        let mut s = Session::with_prelude().unwrap();
        let e = s.parse_expression(&text).unwrap();
        let x = s.parse_variable("x").unwrap();
        let defs = s.definitions_in_order();
        let d = gauge::derivation::derive_with_steps(&mut s.pool, e, x, 1, &defs, &[]).unwrap().result;
        let printed = s.print(d);
        let claim = format!("claim diff({text}, x) = {printed}");
        prop_assert_eq!(verdict(&claim), "proved", "{}", claim);
        let wrong = format!("claim diff({text}, x) = {printed} + x/7");
        prop_assert_ne!(verdict(&wrong), "proved", "{}", wrong);
    }
}
