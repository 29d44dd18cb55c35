//! The collection of textbook identities in `examples/identities.gauge`: true ones
//! (named `ok_...`) from calculus tables and machine-learning references, and
//! realistic false variants (named `bad_...`). Every true claim must be proved or at
//! worst confirmed, at least 95% of them proved; every false one must be refuted; and
//! every proof must pass the independent step checker.

use gauge::lower::workspace::Workspace;
use gauge::prove::{Outcome, prove_with};

const FILE: &str = include_str!("../../examples/identities.gauge");

#[test]
fn every_identity_gets_the_right_verdict_and_most_true_ones_are_proved() {
    let mut s = Workspace::with_prelude().expect("the prelude loads");
    s.load_file("examples/identities.gauge", FILE)
        .expect("the identities file loads");
    let claims = s.claims.clone();
    assert!(
        claims.len() >= 200,
        "the collection should hold at least 200 claims, holds {}",
        claims.len()
    );
    let mut wrong = Vec::new();
    let (mut true_claims, mut proved) = (0usize, 0usize);
    for claim in &claims {
        let name = claim.name.clone().unwrap_or_default();
        let report = prove_with(&mut s, claim, 17, true);
        if let Some(failure) = &report.checker_failure {
            wrong.push(format!(
                "{name}: a proof failed the step checker: {failure:?}"
            ));
        }
        let verdict = report.verdict.name();
        if name.starts_with("ok_") {
            true_claims += 1;
            match report.verdict {
                Outcome::Proved { .. } => proved += 1,
                Outcome::Confirmed { .. } => {}
                _ => wrong.push(format!("{name}: true, but {verdict}")),
            }
        } else if name.starts_with("bad_") {
            if !matches!(report.verdict, Outcome::Refuted { .. }) {
                wrong.push(format!("{name}: false, but {verdict}"));
            }
        } else {
            wrong.push(format!("claim on line {} has no ok_/bad_ name", claim.line));
        }
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
    assert!(
        proved * 100 >= true_claims * 95,
        "only {proved} of {true_claims} true claims proved"
    );
    assert!(
        claims.len() - true_claims >= 50,
        "the collection should hold realistic false variants too"
    );
}
