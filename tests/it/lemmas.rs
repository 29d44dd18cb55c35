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
    assert_eq!(p.claims().len(), 15);
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
        ("ce_grad", "lemma softmax_jacobian"),
        ("layer_grad", "lemma softmax_jacobian, chain-rule"),
        ("sigmoid_third", "lemma sigmoid_second"),
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
    for lemma in ["softmax_jacobian", "sigmoid_second"] {
        assert!(
            latex.contains(&format!("\\label{{lem:{lemma}}}")),
            "{lemma}"
        );
        assert!(
            latex.contains(&format!("Lemma~\\ref{{lem:{lemma}}}")),
            "{lemma}"
        );
    }
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

/// Whether a step of the derivation of the claim `name` cites `lemma`.
fn cites(p: &Proofs, name: &str, lemma: &str) -> bool {
    margins(p, name)
        .iter()
        .any(|m| m.split(", ").any(|r| r == format!("lemma {lemma}")))
}

/// Each cited lemma's note, for the claim named `name`.
fn notes(p: &Proofs, name: &str) -> String {
    let json = p.render(&Output::new(Format::Json));
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let claim = v["claims"]
        .as_array()
        .expect("claims")
        .iter()
        .find(|c| c["name"] == name)
        .expect("the claim is there");
    claim["notes"].to_string()
}

#[test]
fn an_element_lemma_renames_its_tensor_and_indices_and_may_make_two_indices_one() {
    // A user's function of a whole vector, and the log-softmax: other functions, other
    // tensor and index names than the example's.
    let text = "\
let sq(v) = sum(j, v[j]^2)
claim sq_grad: diff(sq(v), v[k]) = 2*v[k]
claim norm_grad: diff(sqrt(sq(w)), w[r]) = w[r]/sqrt(sq(w)) by sq_grad
claim ls_jac: diff(log_softmax(a)[p], a[q]) = delta(p, q) - softmax(a)[q]
claim ls_diag: diff(2*log_softmax(a)[t], a[t]) = 2*(1 - softmax(a)[t]) by ls_jac
claim ls_other: diff(log_softmax(o)[t]^2, o[n]) = 2*log_softmax(o)[t]*(delta(n, t) - softmax(o)[n]) by ls_jac";
    let p = prove(text);
    for c in p.claims() {
        assert_eq!(c.verdict(), Verdict::Proved, "{:?}", c.name());
        assert_eq!(c.checker_failure(), None, "{:?}", c.name());
    }
    assert!(cites(&p, "norm_grad", "sq_grad"));
    // p and q both become t: delta(t, t) is 1.
    assert_eq!(
        margins(&p, "ls_diag").len(),
        2,
        "{:?}",
        margins(&p, "ls_diag")
    );
    assert!(cites(&p, "ls_diag", "ls_jac"));
    assert!(cites(&p, "ls_other", "ls_jac"));
    // The lemma's function is never written out.
    assert!(
        !margins(&p, "norm_grad")
            .iter()
            .any(|m| m.contains("expand-definition"))
    );
}

#[test]
fn an_element_lemma_applies_under_the_chain_rule_through_a_tensor_valued_call() {
    // The temperature of a softmax, a scalar, reaches it through a call of a tensor.
    let text = "\
claim sj: diff(softmax(z)[i], z[k]) = softmax(z)[i]*(delta(i, k) - softmax(z)[k])
let scaled(x, T)[i] = x[i]/T
claim temperature: diff(ln(softmax(scaled(a, T))[t]), T) = (sum(j, softmax(scaled(a, T))[j]*a[j]) - a[t])/T^2 by sj
claim temperature_wrong: diff(ln(softmax(scaled(a, T))[t]), T) = (a[t] - sum(j, softmax(scaled(a, T))[j]*a[j]))/T^2 by sj";
    let p = prove(text);
    assert_eq!(
        verdicts(&p),
        [
            ("sj".to_string(), Verdict::Proved),
            ("temperature".to_string(), Verdict::Proved),
            ("temperature_wrong".to_string(), Verdict::Refuted),
        ]
    );
    assert!(
        margins(&p, "temperature")
            .iter()
            .any(|m| m == "lemma sj, chain-rule"),
        "{:?}",
        margins(&p, "temperature")
    );
    assert_eq!(p.claims()[1].checker_failure(), None);
}

#[test]
fn an_element_lemma_is_not_applied_where_its_function_depends_on_the_variable_otherwise() {
    // Renaming f to w would make the lemma's w the variable's tensor too: the
    // derivative of softmax(w)[i]*w[i] by w[k] has a term the lemma does not.
    let text = "\
claim sw: diff(softmax(f)[i]*w[i], f[k]) = softmax(f)[i]*(delta(i, k) - softmax(f)[k])*w[i]
claim sw_wrong: diff(softmax(w)[i]*w[i], w[k]) = softmax(w)[i]*(delta(i, k) - softmax(w)[k])*w[i] by sw
claim sw_right: diff(softmax(w)[i]*w[i], w[k]) = softmax(w)[i]*(delta(i, k) - softmax(w)[k])*w[i] + softmax(w)[i]*delta(i, k) by sw";
    let p = prove(text);
    assert_eq!(
        verdicts(&p),
        [
            ("sw".to_string(), Verdict::Proved),
            ("sw_wrong".to_string(), Verdict::Refuted),
            ("sw_right".to_string(), Verdict::Proved),
        ]
    );
    assert!(!cites(&p, "sw_right", "sw"));
}

#[test]
fn a_tensor_a_fact_constrains_is_not_renamed() {
    // The lemma is proved for the p of the fact alone; r is any vector.
    let text = "\
assume sum(j, p[j]) = 1
claim ent: diff(sum(j, p[j]*ln(p[j])), p[k]) = ln(p[k]) + 1
claim ent_p: diff(-sum(j, p[j]*ln(p[j])), p[k]) = -ln(p[k]) - 1 by ent
claim ent_r: diff(-sum(j, r[j]*ln(r[j])), r[k]) = -ln(r[k]) - 1 by ent";
    let p = prove(text);
    assert!(p.claims().iter().all(|c| c.verdict() == Verdict::Proved));
    assert!(cites(&p, "ent_p", "ent"));
    assert!(!cites(&p, "ent_r", "ent"));
}

#[test]
fn a_tensor_whose_length_is_recorded_equal_stands_only_for_one_of_the_same_length() {
    // `L` holds because f and w have one length n; for a vector a of another length it
    // is false, and renaming f to a would "prove" it.
    let text = "\
tensor f[n], w[n]
claim L: diff(len(w)*sum(j, f[j]), f[k]) = len(f)
claim L_use: diff(len(w)*sum(j, a[j]), a[k]) = len(a) by L
claim dot_grad: diff(sum(j, f[j]*w[j]), f[k]) = w[k]
claim dot_use: diff(sum(j, b[j]*w[j]), b[k]) = w[k] by dot_grad";
    let p = prove(text);
    assert_eq!(
        verdicts(&p),
        [
            ("L".to_string(), Verdict::Proved),
            ("L_use".to_string(), Verdict::Refuted),
            ("dot_grad".to_string(), Verdict::Proved),
            ("dot_use".to_string(), Verdict::Proved),
        ]
    );
    // b shares an index with w, so its length is recorded equal to w's, and f's.
    assert!(cites(&p, "dot_use", "dot_grad"));
}

/// A false lemma by an element, and the false claim that one lemma step would take
/// from it: `-(1/s_y) * s_y*(delta(y, i) + s_i)`.
const FALSE_JACOBIAN: &str = "\
claim bad_jac: diff(softmax(g)[i], g[k]) = softmax(g)[i]*(delta(i, k) + softmax(g)[k])
claim uses_bad_jac: diff(-ln(softmax(g)[l]), g[i]) = -delta(i, l) - softmax(g)[i] by bad_jac";

/// A false lemma of higher order (the first derivative), and the false claim it
/// would give by renaming.
const FALSE_SECOND: &str = "\
claim bad_second: diff(sigmoid(u), u, 2) = sigmoid(u)*(1 - sigmoid(u))
claim uses_bad_second: diff(sigmoid(b), b, 2) = sigmoid(b)*(1 - sigmoid(b)) by bad_second";

#[test]
fn a_false_element_or_higher_order_lemma_proves_nothing() {
    for (text, lemma, claim) in [
        (FALSE_JACOBIAN, "bad_jac", "uses_bad_jac"),
        (FALSE_SECOND, "bad_second", "uses_bad_second"),
    ] {
        let p = prove(text);
        assert_eq!(
            verdicts(&p),
            [
                (lemma.to_string(), Verdict::Refuted),
                (claim.to_string(), Verdict::Refuted),
            ]
        );
        assert!(notes(&p, claim).contains(&format!(
            "lemma {lemma} was not used: it is refuted, not proved"
        )));
    }
}

#[test]
fn a_false_element_or_higher_order_lemma_forced_into_the_table_is_refused_by_the_checker() {
    use gauge::lower::workspace::{Lemma, Workspace};
    for text in [FALSE_JACOBIAN, FALSE_SECOND] {
        let mut ws = Workspace::with_prelude().unwrap();
        ws.load_file_keeping_claims("t.gauge", text).unwrap();
        let (bad, uses) = (ws.claims[0].clone(), ws.claims[1].clone());
        let name = bad.name.clone().unwrap();
        ws.add_lemma(Lemma {
            name: name.clone(),
            lhs: bad.lhs,
            rhs: bad.rhs,
            line: bad.line,
        });
        let rules = gauge::prove::lemmas::active(&mut ws, &uses);
        assert_eq!(rules.len(), 1, "{name}");
        let steps = gauge::prove::lemmas::proof(&mut ws, &uses, &rules)
            .unwrap()
            .expect("with the false lemma, the attempt reaches 0");
        let checked = gauge::verify::check_proof(&mut ws, uses.lhs, uses.rhs, &steps, 1);
        assert!(
            checked.is_err(),
            "the checker accepts a false step of {name}"
        );
    }
}

#[test]
fn a_lemma_of_higher_order_rewrites_its_instances_and_derivatives_of_them() {
    let text = "\
let g(s) = s^4 + exp(s)
claim g2: diff(g(s), s, 2) = 12*s^2 + exp(s)
claim g2_renamed: diff(g(b), b, 2) = 12*b^2 + exp(b) by g2
claim g3: diff(g(b), b, 3) = 24*b + exp(b) by g2
claim g2_inner_wrong: diff(g(2*b), b, 2) = 12*(2*b)^2 + exp(2*b) by g2
claim tanh_prime: diff(tanh(u), u) = 1 - tanh(u)^2
claim tanh_second: diff(tanh(u), u, 2) = -2*tanh(u)*(1 - tanh(u)^2) by tanh_prime
claim sig2: diff(sigmoid(u), u, 2) = sigmoid(u)*(1 - sigmoid(u))*(1 - 2*sigmoid(u))
claim sig2_elem: diff(sigmoid(o[i]), o[i], 2) = sigmoid(o[i])*(1 - sigmoid(o[i]))*(1 - 2*sigmoid(o[i])) by sig2";
    let p = prove(text);
    assert_eq!(
        verdicts(&p),
        [
            ("g2".to_string(), Verdict::Proved),
            ("g2_renamed".to_string(), Verdict::Proved),
            ("g3".to_string(), Verdict::Proved),
            // With an inner expression, the lemma is not applied: the chain rule of
            // higher order would be needed.
            ("g2_inner_wrong".to_string(), Verdict::Refuted),
            ("tanh_prime".to_string(), Verdict::Proved),
            ("tanh_second".to_string(), Verdict::Proved),
            ("sig2".to_string(), Verdict::Proved),
            ("sig2_elem".to_string(), Verdict::Proved),
        ]
    );
    assert_eq!(margins(&p, "g2_renamed"), ["lemma g2"]);
    // The third derivative is the first derivative of the lemma's right side.
    assert_eq!(margins(&p, "g3")[0], "lemma g2");
    assert!(
        !margins(&p, "g3")
            .iter()
            .any(|m| m.contains("expand-definition"))
    );
    // A first derivative's lemma in a second derivative: the second derivative is the
    // first derivative of the lemma's right side, where the lemma applies again.
    let m = margins(&p, "tanh_second");
    assert_eq!(m[0], "lemma tanh_prime", "{m:?}");
    assert!(
        m[1..].iter().any(|r| r.contains("lemma tanh_prime")),
        "{m:?}"
    );
    assert_eq!(margins(&p, "sig2_elem"), ["lemma sig2"]);
    for c in p.claims() {
        assert_eq!(c.checker_failure(), None, "{:?}", c.name());
    }
}

#[test]
fn a_lemma_of_a_shape_that_cannot_rewrite_is_refused_with_its_reason() {
    let text = "\
claim j0: diff(softmax(g)[i], g[0]) = softmax(g)[i]*(delta(i, 0) - softmax(g)[0])
claim j0_use: diff(softmax(g)[l], g[0]) = softmax(g)[l]*(delta(l, 0) - softmax(g)[0]) by j0
claim inside: diff(softmax(g)[i], g[k]) + 1 = softmax(g)[i]*(delta(i, k) - softmax(g)[k]) + 1
claim inside_use: diff(softmax(g)[l], g[k]) = softmax(g)[l]*(delta(l, k) - softmax(g)[k]) by inside
claim cube2: diff(g[k]^3, g[k], 2) = 6*g[k]
claim cube2_use: diff(o[n]^3, o[n], 2) = 6*o[n] by cube2";
    let p = prove(text);
    assert!(p.claims().iter().all(|c| c.verdict() == Verdict::Proved));
    for (claim, why) in [
        (
            "j0_use",
            "lemma j0 was not used: its variable `g[0]` is not an element at distinct index names, such as `z[k]`",
        ),
        (
            "inside_use",
            "lemma inside was not used: its left side holds a derivative inside an expression",
        ),
        (
            "cube2_use",
            "lemma cube2 was not used: it is a derivative of order 2 by an element: a lemma by an element is a first derivative",
        ),
    ] {
        assert!(
            notes(&p, claim).contains(why),
            "{claim}: {}",
            notes(&p, claim)
        );
    }
    let text = p.render(&Output::new(Format::Text));
    assert!(text.contains("  note: lemma j0 was not used: its variable `g[0]`"));
}

#[test]
fn the_checker_refuses_instances_the_new_forms_do_not_allow() {
    use gauge::lower::workspace::{Lemma, Workspace};
    use gauge::trace::{Rewrite, Step};
    let mut ws = Workspace::with_prelude().unwrap();
    ws.load_file_keeping_claims(
        "t.gauge",
        "\
let g(s) = s^4 + exp(s)
claim g2: diff(g(s), s, 2) = 12*s^2 + exp(s)
claim sw: diff(softmax(f)[i]*w[i], f[k]) = softmax(f)[i]*(delta(i, k) - softmax(f)[k])*w[i]",
    )
    .unwrap();
    for c in ws.claims.clone() {
        ws.add_lemma(Lemma {
            name: c.name.clone().unwrap(),
            lhs: c.lhs,
            rhs: c.rhs,
            line: c.line,
        });
    }
    let refused = |ws: &mut Workspace, lemma: &str, before: &str, after: &str| {
        let before = ws.parse_expression(before).unwrap();
        let after = ws.parse_expression(after).unwrap();
        let rule = gauge::trace::lemma(lemma);
        let step = Step::from_rewrites(before, after, vec![Rewrite::new(rule, before, after)]);
        gauge::verify::check_steps(ws, &[step], 1)
            .expect_err("a wrong instance")
            .reason
    };
    // The chain rule of higher order is not the lemma's.
    let e = refused(&mut ws, "g2", "diff(g(2*b), b, 2)", "12*(2*b)^2 + exp(2*b)");
    assert!(e.contains("renamed to the derivative's"), "{e}");
    // A derivative of lower order than the lemma's.
    let e = refused(&mut ws, "g2", "diff(g(b), b)", "12*b^2 + exp(b)");
    assert!(e.contains("order at least 2"), "{e}");
    // Renaming f to w would differentiate the lemma's w too.
    let e = refused(
        &mut ws,
        "sw",
        "diff(softmax(w)[i]*w[i], w[k])",
        "softmax(w)[i]*(delta(i, k) - softmax(w)[k])*w[i]",
    );
    assert!(e.contains("depends on `w` other than through `f`"), "{e}");
    // A length recorded equal to another's is not renamed to a free one.
    ws.load_file_keeping_claims(
        "u.gauge",
        "tensor f[n], w[n]\nclaim L: diff(len(w)*sum(j, f[j]), f[k]) = len(f)",
    )
    .unwrap();
    let l = ws.claims.last().unwrap().clone();
    ws.add_lemma(Lemma {
        name: "L".into(),
        lhs: l.lhs,
        rhs: l.rhs,
        line: l.line,
    });
    let e = refused(&mut ws, "L", "diff(len(w)*sum(j, a[j]), a[k])", "len(a)");
    assert!(
        e.contains("records a length of `f` equal to another"),
        "{e}"
    );
    // The right instance passes.
    let before = ws
        .parse_expression("diff(softmax(a)[t]*w[t], a[t])")
        .unwrap();
    let after = ws
        .parse_expression("softmax(a)[t]*(1 - softmax(a)[t])*w[t]")
        .unwrap();
    let step = Step::from_rewrites(
        before,
        after,
        vec![Rewrite::new(gauge::trace::lemma("sw"), before, after)],
    );
    assert!(gauge::verify::check_steps(&mut ws, &[step], 1).is_ok());
}
