//! Equality facts: `assume sum(k, Y[n, k]) = 1`, `assume t*(1 - t) = 0`,
//! `assume x[i] = x[k]` and the like are rewrites the simplifier uses (rule
//! `assumed-equality`, checked by the step checker), and random points are drawn to
//! meet them, so a claim true only under the fact is proved and a false one is refuted
//! at a point where the fact holds.

use gauge::lower::workspace::Workspace;

use crate::common::{gauge, stdout, verdicts};

const FACTS: &str = "assume sum(k, Y[n, k]) = 1\n\
                     assume t*(1 - t) = 0\n\
                     assume x[i] = x[k]\n\
                     assume a*b = 1\n";

#[test]
fn claims_that_need_the_facts_are_proved() {
    let v = verdicts(&format!(
        "{FACTS}\
         claim t^2 = t\n\
         claim t^3 - t = 0\n\
         claim 3*t^2 - 2*t = t\n\
         claim diff(-sum(k, Y[n, k]*log_softmax(Z[n, :])[k]), Z[n, c]) = softmax(Z[n, :])[c] - Y[n, c]\n\
         claim sum(j, x[j]) = len(x)*x[0]\n\
         claim mean(j, x[j]) = x[0]\n\
         claim a*b*q = q\n"
    ));
    assert!(v.iter().all(|v| v == "proved"), "{v:?}");
    // The sides must be defined alike: `x[2]` is not, where `x` has two elements and
    // the mean has a value.
    let v = verdicts(&format!("{FACTS}claim mean(j, x[j]) = x[2]\n"));
    assert_eq!(v, ["refuted"]);
}

#[test]
fn false_claims_are_refuted_at_points_that_meet_the_facts() {
    let v = verdicts(&format!(
        "{FACTS}\
         claim t^2 = 1\n\
         claim diff(-sum(k, Y[n, k]*log_softmax(Z[n, :])[k]), Z[n, c]) = softmax(Z[n, :])[c] - 2*Y[n, c]\n\
         claim x[1] = 2*x[0]\n"
    ));
    assert!(v.iter().all(|v| v == "refuted"), "{v:?}");
}

#[test]
fn without_the_facts_the_same_claims_are_refuted() {
    let v = verdicts(
        "claim t^2 = t\n\
         claim sum(j, x[j]) = len(x)*x[0]\n\
         claim diff(-sum(k, Y[n, k]*log_softmax(Z[n, :])[k]), Z[n, c]) = softmax(Z[n, :])[c] - Y[n, c]\n",
    );
    assert!(v.iter().all(|v| v == "refuted"), "{v:?}");
}

#[test]
fn the_fact_is_named_in_the_derivation() {
    let dir = std::env::temp_dir().join(format!("gauge-equalities-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("facts.gauge");
    std::fs::write(&file, format!("{FACTS}claim t^3 = t\n")).unwrap();
    let o = gauge(&["prove", "--format", "json", file.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(out.contains("assumed-equality"), "{out}");
    // The fact the proof used is listed with it, and only that one.
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let used = &json["claims"][0]["facts_used"];
    assert_eq!(used.as_array().map(Vec::len), Some(1), "{used}");
    assert!(
        used[0]
            .as_str()
            .is_some_and(|f| f.starts_with("assume") && f.contains('t')),
        "{used}"
    );
    let o = gauge(&["prove", file.to_str().unwrap()]);
    assert!(
        stdout(&o).contains("proved, using assume"),
        "{}",
        stdout(&o)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn points_meet_the_facts() {
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file("facts", FACTS).unwrap();
    let e = s
        .parse_expression("t + sum(k, Y[0, k]) + mean(j, x[j]) - x[0] + a*b")
        .unwrap();
    let mut rng = gauge::numeric::sample::Rng(11);
    for _ in 0..20 {
        let at = gauge::numeric::sample::sample_spread(&mut s, &[e], &mut rng, 1.0).unwrap();
        let v = gauge::numeric::Evaluate::eval(&mut s, e, &at).unwrap();
        // t is 0 or 1, the row sums to 1, the elements are equal, and a*b is 1.
        let rest = v - 2.0;
        assert!(
            rest.abs() < 1e-9 || (rest - 1.0).abs() < 1e-9,
            "value {v} at {at:?}"
        );
    }
}

#[test]
fn an_equation_between_constants_is_an_error() {
    let mut s = Workspace::with_prelude().unwrap();
    let e = s.load_file("facts", "assume 1 = 2\n").unwrap_err();
    assert!(e.message.contains("two constants"), "{}", e.message);
}

#[test]
fn a_free_index_of_a_fact_never_takes_an_index_a_sum_binds() {
    // Rows of Y sum to 1; its diagonal does not, and a proof that matched the fact's
    // `n` to the sum's own index would prove the false claim.
    let v = verdicts(
        "assume sum(k, Y[n, k]) = 1\n\
         claim sum(k, Y[k, k]) = 1\n\
         claim sum(k, Y[2, k]) + sum(j, Y[1, j]) = 2\n",
    );
    assert_eq!(v, vec!["refuted", "proved"]);
}
