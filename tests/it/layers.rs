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

use crate::common::verdicts;

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

/// LayerNorm's forward pass in four lines and its backward claim in the fifth, after a
/// comment and the domain fact.
const LAYER_NORM: &str = include_str!("../../examples/layernorm.gauge");

#[test]
fn layernorm_in_five_lines_proves_and_its_derivation_reads_in_the_intermediates_names() {
    let statements: Vec<&str> = LAYER_NORM
        .lines()
        .filter(|l| l.starts_with("let ") || l.starts_with("claim "))
        .collect();
    assert_eq!(statements.len(), 5);
    assert_eq!(crate::common::verdicts(LAYER_NORM), ["proved"]);

    // The derivation of the backward pass, as the README's command prints it.
    let out = crate::common::gauge(&[
        "diff",
        "sum(i, gl[i]*xhat[i])",
        "--wrt",
        "xl[j]",
        "--defs",
        "examples/layernorm.gauge",
        "--steps",
    ]);
    let text = crate::common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 4, "{text}");
    // Every line is in the intermediates' names: none writes `xc` or `var` out.
    for line in &lines {
        assert!(!line.contains("- mean(l, xl[l])"), "written out: {line}");
        assert!(!line.contains("(xl[k] - "), "written out: {line}");
    }
    // The first step writes `xhat` out one level, in terms of `xc` and `var`.
    assert!(
        lines[1].starts_with("= diff(sum(k, gl[k]*xc[k])/sqrt(eps + var), xl[j])"),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l.contains("diff(xc[k], xl[j])")),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l.contains("diff(var, xl[j])")),
        "{text}"
    );
}
