//! Lemmas: a proved claim cited by name with `by`. Claims are decided in citation
//! order, cycles and unknown names are refused, a lemma is used only when proved, and
//! a derivation that uses one cites it in text, JSON and LaTeX, and passes the step
//! checker.

use gauge::Format;
use gauge::Session;
use gauge::Verdict;
use gauge::options::{Output, ProveOptions};
use gauge::results::Proofs;

use crate::common::{gauge, root, stdout, with_snapshots};

/// The claims of `text`, decided with the step checker.
fn prove(text: &str) -> Proofs {
    let mut s = Session::new();
    s.prove_text("t.gauge", text, &ProveOptions::new().with_verify(true))
        .expect("the text loads")
}

/// Each claim's name and verdict.
fn verdicts(p: &Proofs) -> Vec<(String, Verdict)> {
    p.claims()
        .iter()
        .map(|c| (c.name().unwrap_or_default().to_string(), c.verdict()))
        .collect()
}

/// The rules of each step of a claim's derivation, joined as the text margin shows them.
fn margins(p: &Proofs, name: &str) -> Vec<String> {
    let c = p
        .claims()
        .iter()
        .find(|c| c.name() == Some(name))
        .expect("the claim is there");
    let (_, steps) = c.proof().expect("the claim is proved");
    steps.iter().map(|st| st.rules().join(", ")).collect()
}

fn example() -> String {
    std::fs::read_to_string(root().join("examples/lemmas.gauge")).expect("the example exists")
}

#[test]
fn every_claim_of_the_example_is_proved_and_passes_the_checker() {
    let p = prove(&example());
    for c in p.claims() {
        assert_eq!(c.verdict(), Verdict::Proved, "{:?}", c.name());
        assert_eq!(c.checker_failure(), None, "{:?}", c.name());
    }
    assert_eq!(p.claims().len(), 10);
    // Reports keep file order though `lr_grad` is decided after `sigmoid_prime`.
    assert_eq!(p.claims()[0].name(), Some("lr_grad"));
}

#[test]
fn a_derivation_cites_its_lemma_as_one_step_with_the_chain_rule() {
    let p = prove(&example());
    let lr = margins(&p, "lr_grad");
    assert!(
        lr.iter()
            .any(|m| m.contains("lemma sigmoid_prime, chain-rule")),
        "{lr:?}"
    );
    for (claim, lemma) in [
        ("tanh_layer", "lemma tanh_prime"),
        ("bce_grad", "lemma softplus_prime"),
        ("f_chain", "lemma f_prime"),
        ("sigmoid_slope", "lemma sigmoid_tanh"),
    ] {
        let m = margins(&p, claim);
        assert!(m.iter().any(|r| r.contains(lemma)), "{claim}: {m:?}");
    }
}

#[test]
fn with_the_lemma_the_sigmoid_is_never_written_out() {
    let p = prove(&example());
    let c = &p.claims()[0];
    let (first, steps) = c.proof().expect("proved");
    assert!(!first.to_string().contains("exp"));
    for st in &steps {
        assert!(
            !st.expr().to_string().contains("exp"),
            "the sigmoid is written out: {}",
            st.expr()
        );
        assert!(!st.rules().iter().any(|r| r == "chain-rule-sigmoid"));
    }
}

#[test]
fn the_text_json_and_latex_reports_cite_the_lemma() {
    let out = gauge(&["prove", "examples/lemmas.gauge", "--verify"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("lr_grad (line 11): proved, using lemma sigmoid_prime"));
    assert!(text.contains("[linearity, lemma sigmoid_prime, chain-rule]"));
    // The derivations, below the table of verdicts and times.
    let derivations = text.split_once("\n\n").map(|(_, d)| d).unwrap_or("");
    with_snapshots(|| insta::assert_snapshot!("lemmas__text", derivations));

    let out = gauge(&["prove", "examples/lemmas.gauge", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let lr = &json["claims"][0];
    assert_eq!(lr["by"], serde_json::json!(["sigmoid_prime"]));
    assert_eq!(lr["lemmas_used"], serde_json::json!(["sigmoid_prime"]));
    let rules: Vec<&str> = lr["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["rules"].as_array().unwrap())
        .filter_map(|r| r.as_str())
        .collect();
    assert!(rules.contains(&"lemma sigmoid_prime"), "{rules:?}");
    assert!(rules.contains(&"chain-rule"), "{rules:?}");

    let out = gauge(&["prove", "examples/lemmas.gauge", "--format", "latex"]);
    let latex = stdout(&out);
    assert!(latex.contains("\\begin{lemma}[sigmoid\\_prime]\\label{lem:sigmoid_prime}"));
    assert!(latex.contains("\\text{Lemma~\\ref{lem:sigmoid_prime},}"));
    assert!(latex.contains("\\begin{proof}") && latex.contains("\\end{proof}"));
    // A claim no other cites is no lemma.
    assert!(!latex.contains("\\begin{lemma}[lr\\_grad]"));
    with_snapshots(|| insta::assert_snapshot!("lemmas__latex", latex));
}

#[test]
fn the_standalone_document_declares_lemmas_and_compiles() {
    let out = gauge(&[
        "prove",
        "examples/lemmas.gauge",
        "--format",
        "latex",
        "--standalone",
    ]);
    let doc = stdout(&out);
    assert!(doc.contains("\\usepackage{amsthm}\n\\newtheorem{lemma}{Lemma}\n\\begin{document}"));
    // Without a lemma, the preamble is as before.
    let plain = gauge(&[
        "prove",
        "examples/seed.gauge",
        "--format",
        "latex",
        "--standalone",
    ]);
    assert!(!stdout(&plain).contains("amsthm"));
    let present = std::process::Command::new("pdflatex")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !crate::common::engines_present("pdflatex", present) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("gauge-lemmas-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("lemmas.tex"), &doc).unwrap();
    // Twice, so that the references to the lemmas resolve.
    for _ in 0..2 {
        let run = std::process::Command::new("pdflatex")
            .args([
                "-interaction=nonstopmode",
                "-halt-on-error",
                "-no-shell-escape",
            ])
            .arg("lemmas.tex")
            .current_dir(&dir)
            .output()
            .expect("pdflatex runs");
        let log = String::from_utf8_lossy(&run.stdout).to_string();
        assert!(
            run.status.success(),
            "pdflatex rejects the document:\n{log}"
        );
        assert!(!log.lines().any(|l| l.starts_with('!')), "{log}");
    }
    let log = std::fs::read_to_string(dir.join("lemmas.log")).unwrap_or_default();
    assert!(
        !log.contains("undefined references"),
        "every \\ref resolves"
    );
}

#[test]
fn a_cycle_of_citations_is_an_error_at_each_claim_on_it() {
    let text = "claim a: x = x by b\nclaim b: y = y by a\nclaim c: z = z by c\nclaim d: 1 = 1";
    let p = prove(text);
    assert_eq!(
        verdicts(&p),
        [
            ("a".to_string(), Verdict::Error),
            ("b".to_string(), Verdict::Error),
            ("c".to_string(), Verdict::Error),
            ("d".to_string(), Verdict::Proved),
        ]
    );
    let errors: Vec<&str> = p.claims()[..3].iter().filter_map(|c| c.error()).collect();
    assert_eq!(
        errors,
        [
            "the citations form a cycle: a -> b -> a",
            "the citations form a cycle: b -> a -> b",
            "the citations form a cycle: c -> c",
        ]
    );
    let rendered = p.render(&Output::new(Format::Text));
    assert!(rendered.contains(
        "a (line 1): error: the citations form a cycle: a -> b -> a\n  at line 1, column 19\n  help: a lemma must be proved before a claim can use it: remove a citation of the cycle"
    ));
    assert!(rendered.contains("  at line 2, column 19\n"));
    assert!(rendered.contains("  at line 3, column 19\n"));
}

#[test]
fn an_unknown_name_is_an_error_listing_the_claims_that_can_be_cited() {
    let p = prove("claim a: x = x\nclaim b: 2*y = y + y by a, nope\nclaim c: 1 = 1");
    assert_eq!(p.claims()[1].verdict(), Verdict::Error);
    assert_eq!(p.claims()[1].error(), Some("`nope` names no claim"));
    let rendered = p.render(&Output::new(Format::Text));
    assert!(rendered.contains(
        "b (line 2): error: `nope` names no claim\n  at line 2, column 28\n  help: the claims that can be cited are: a, c"
    ));
    // The other claims are still decided.
    assert_eq!(p.claims()[0].verdict(), Verdict::Proved);
    assert_eq!(p.claims()[2].verdict(), Verdict::Proved);
}

#[test]
fn a_claim_citing_a_claim_in_error_is_decided_without_it() {
    let p = prove(
        "claim a: x = x by a\nclaim b: diff(sigmoid(2*y), y) = 2*sigmoid(2*y)*(1 - sigmoid(2*y)) by a",
    );
    assert_eq!(p.claims()[1].verdict(), Verdict::Proved);
    let json = p.render(&Output::new(Format::Json));
    assert!(
        json.contains("\"notes\":[\"lemma a was not used: it ended in an error, not proved\"]")
    );
}

/// A false lemma, if it were used, would "prove" a false claim: `diff(sigmoid(2*r), r)
/// = 2*sigmoid(2*r)` follows from `diff(sigmoid(q), q) = sigmoid(q)` by one lemma step.
const FALSE_LEMMA: &str = "\
claim bad_prime: diff(sigmoid(q), q) = sigmoid(q)
claim uses_bad: diff(sigmoid(2*r), r) = 2*sigmoid(2*r) by bad_prime";

#[test]
fn a_false_lemma_is_never_used_so_a_false_claim_is_not_proved() {
    let p = prove(FALSE_LEMMA);
    assert_eq!(
        verdicts(&p),
        [
            ("bad_prime".to_string(), Verdict::Refuted),
            ("uses_bad".to_string(), Verdict::Refuted),
        ]
    );
    let text = p.render(&Output::new(Format::Text));
    assert!(text.contains("  note: lemma bad_prime was not used: it is refuted, not proved"));
    let json = p.render(&Output::new(Format::Json));
    assert!(
        json.contains("\"notes\":[\"lemma bad_prime was not used: it is refuted, not proved\"]")
    );
}

#[test]
fn a_false_lemma_forced_into_the_table_would_prove_the_claim_and_the_checker_refuses_it() {
    use gauge::lower::workspace::{Lemma, Workspace};
    let mut ws = Workspace::with_prelude().unwrap();
    ws.load_file_keeping_claims("t.gauge", FALSE_LEMMA).unwrap();
    let (bad, uses) = (ws.claims[0].clone(), ws.claims[1].clone());
    // As if the false lemma had been proved: the prover's lemma attempt then reaches
    // 0, so the test above holds only because the lemma is never entered.
    ws.add_lemma(Lemma {
        name: "bad_prime".into(),
        lhs: bad.lhs,
        rhs: bad.rhs,
        line: bad.line,
    });
    let rules = gauge::prove::lemmas::active(&mut ws, &uses);
    assert_eq!(rules.len(), 1);
    let steps = gauge::prove::lemmas::proof(&mut ws, &uses, &rules)
        .unwrap()
        .expect("with the false lemma, the attempt reaches 0");
    // The checker's numeric comparison of the lemma's step still catches it.
    let checked = gauge::verify::check_proof(&mut ws, uses.lhs, uses.rhs, &steps, 1);
    assert!(checked.is_err(), "the checker accepts a false step");
}

#[test]
fn a_variable_an_assumption_constrains_is_not_substituted() {
    let text = "\
assume x > 0
claim sq: sqrt(x^2) = x
claim sq_bad: sqrt((y - 3)^2) = y - 3 by sq
claim sq_ok: sqrt(x^2) + 1 = x + 1 by sq";
    let p = prove(text);
    assert_eq!(
        verdicts(&p),
        [
            ("sq".to_string(), Verdict::Proved),
            ("sq_bad".to_string(), Verdict::Refuted),
            ("sq_ok".to_string(), Verdict::Proved),
        ]
    );
    // Where x stays x, the lemma is used as stated.
    assert!(margins(&p, "sq_ok").iter().any(|m| m == "lemma sq"));
}

#[test]
fn the_checker_refuses_an_instance_that_substitutes_a_constrained_variable() {
    use gauge::lower::workspace::{Lemma, Workspace};
    use gauge::trace::{Rewrite, Step};
    let mut ws = Workspace::with_prelude().unwrap();
    ws.load_file_keeping_claims("t.gauge", "assume x > 0\nclaim sq: sqrt(x^2) = x")
        .unwrap();
    let sq = ws.claims[0].clone();
    ws.add_lemma(Lemma {
        name: "sq".into(),
        lhs: sq.lhs,
        rhs: sq.rhs,
        line: 2,
    });
    let before = ws.parse_expression("sqrt((y - 3)^2)").unwrap();
    let after = ws.parse_expression("y - 3").unwrap();
    let rule = gauge::trace::lemma("sq");
    let step = Step::from_rewrites(before, after, vec![Rewrite::new(rule, before, after)]);
    let e = gauge::verify::check_steps(&mut ws, &[step], 1).expect_err("a wrong instance");
    // x is no pattern variable, so `sqrt((y - 3)^2)` is no instance of `sqrt(x^2)`.
    assert!(e.reason.contains("no instance of the lemma"), "{e}");
    // An unknown lemma is refused too.
    let other = gauge::trace::lemma("never_proved");
    let step = Step::from_rewrites(before, after, vec![Rewrite::new(other, before, after)]);
    let e = gauge::verify::check_steps(&mut ws, &[step], 1).expect_err("no such lemma");
    assert!(e.reason.contains("no claim proved before"), "{e}");
}

#[test]
fn a_users_function_lemma_applies_under_the_chain_rule_with_an_inner_expression() {
    let text = "\
let f(x) = x^3 + sin(x)
claim f_prime: diff(f(x), x) = 3*x^2 + cos(x)
claim inner: diff(f(2*t + 1), t) = 2*(3*(2*t + 1)^2 + cos(2*t + 1)) by f_prime
claim product: diff(t*f(t^2), t) = f(t^2) + 2*t^2*(3*t^4 + cos(t^2)) by f_prime
claim wrong: diff(f(2*t), t) = 3*(2*t)^2 + cos(2*t) by f_prime";
    let p = prove(text);
    assert_eq!(
        verdicts(&p),
        [
            ("f_prime".to_string(), Verdict::Proved),
            ("inner".to_string(), Verdict::Proved),
            ("product".to_string(), Verdict::Proved),
            ("wrong".to_string(), Verdict::Refuted),
        ]
    );
    // The lemma takes the derivative of the call: `f` is never written out.
    let m = margins(&p, "inner");
    assert_eq!(
        m.first().map(String::as_str),
        Some("lemma f_prime, chain-rule")
    );
    assert!(!m.iter().any(|r| r.contains("expand-definition")), "{m:?}");
    assert!(
        margins(&p, "product")
            .iter()
            .any(|r| r.contains("lemma f_prime"))
    );
}

#[test]
fn a_lemma_whose_function_depends_on_the_variable_otherwise_is_not_applied() {
    // `g(x) = x*c` depends on c besides x: by c, the lemma `diff(g(x), x) = c` says
    // nothing about `diff(g(c), c)`, which is 2*c.
    let text = "\
let g(x) = x*c
claim g_prime: diff(g(x), x) = c
claim by_c: diff(g(c), c) = 2*c by g_prime
claim by_c_wrong: diff(g(c), c) = c by g_prime";
    let p = prove(text);
    assert_eq!(
        verdicts(&p),
        [
            ("g_prime".to_string(), Verdict::Proved),
            ("by_c".to_string(), Verdict::Proved),
            ("by_c_wrong".to_string(), Verdict::Refuted),
        ]
    );
}

#[test]
fn an_equality_lemma_renames_free_indices() {
    let text = "\
claim el: softmax(z)[i]*sum(j, exp(z[j])) = exp(z[i])
claim el_use: 2*softmax(z)[k]*sum(j, exp(z[j])) = 2*exp(z[k]) by el";
    let p = prove(text);
    assert_eq!(p.claims()[1].verdict(), Verdict::Proved);
    assert!(margins(&p, "el_use").iter().any(|m| m == "lemma el"));
}

#[test]
fn a_claim_may_cite_a_lemma_proved_before_in_the_session() {
    let mut s = Session::new();
    s.prove_text(
        "a.gauge",
        "claim sp: diff(sigmoid(u), u) = sigmoid(u)*(1 - sigmoid(u))",
        &ProveOptions::new(),
    )
    .unwrap();
    let c = s
        .prove("diff(sigmoid(3*v), v) = 3*sigmoid(3*v)*(1 - sigmoid(3*v)) by sp")
        .unwrap();
    assert_eq!(c.verdict(), Verdict::Proved);
    let (_, steps) = c.proof().unwrap();
    assert!(
        steps
            .iter()
            .any(|st| st.rules().iter().any(|r| r == "lemma sp"))
    );
}
