//! `examples/layers.gauge`, the layers a practitioner checks: every claim is proved
//! with a proof the step checker accepts.

use gauge::lower::workspace::Workspace;
use gauge::prove::prove_with;

const FILE: &str = include_str!("../../examples/layers.gauge");

#[test]
fn every_layer_claim_is_proved_with_a_proof_the_step_checker_accepts() {
    let mut s = Workspace::with_prelude().expect("the prelude loads");
    s.load_file("examples/layers.gauge", FILE)
        .expect("the file loads");
    let claims = s.claims.clone();
    assert!(claims.len() >= 40, "{} claims", claims.len());
    for claim in &claims {
        let name = claim.name.clone().unwrap_or_default();
        let r = prove_with(&mut s, claim, 11, true);
        assert!(
            r.checker_failure.is_none(),
            "{name}: the proof failed the step checker: {:?}",
            r.checker_failure
        );
        assert_eq!(r.verdict.name(), "proved", "{name}");
    }
}

/// The verdict of each claim in `text`, proved with the step checker on.
fn verdicts(text: &str) -> Vec<String> {
    let mut s = Workspace::with_prelude().expect("the prelude loads");
    s.load_file("lengths.gauge", text).expect("the file loads");
    let claims = s.claims.clone();
    claims
        .iter()
        .map(|c| {
            let r = prove_with(&mut s, c, 5, true);
            assert!(r.checker_failure.is_none(), "{:?}", r.checker_failure);
            r.verdict.name().to_string()
        })
        .collect()
}

#[test]
fn lengths_are_one_only_where_a_declaration_or_a_shared_index_makes_them_equal() {
    // Declared with one length name, or linked by the free index j, len(g) is len(x).
    assert_eq!(
        verdicts("tensor g[n], x[n]\nclaim m: mean(k, g[k]) = sum(k, g[k])/len(x)\n"),
        ["proved"]
    );
    assert_eq!(
        verdicts("claim m: g[j]*x[j] + mean(k, g[k]) = g[j]*x[j] + sum(k, g[k])/len(x)\n"),
        ["proved"]
    );
    // Unlinked, the lengths are free to differ, and the claim is false.
    assert_eq!(
        verdicts("claim m: mean(k, g[k]) = sum(k, g[k])/len(x)\n"),
        ["refuted"]
    );
    assert_eq!(
        verdicts("tensor g[n], x[p]\nclaim m: mean(k, g[k]) = sum(k, g[k])/len(x)\n"),
        ["refuted"]
    );
}
