//! Derivations at `--detail brief` and `normal`: calls of functions differentiated as a
//! known derivative, steps grouped as a textbook groups them, recurring calls named,
//! and every step still re-checked by the independent checker.

use gauge::calculus::readable::{Detail, derive_readable};
use gauge::lower::workspace::Workspace;

use crate::common::{gauge, stdout};

/// The rows of the first `align*` in a LaTeX text.
fn align_rows(tex: &str) -> Vec<String> {
    let body = tex
        .split("\\begin{align*}")
        .nth(1)
        .and_then(|t| t.split("\\end{align*}").next())
        .expect("an align* environment");
    body.split(" \\\\\n")
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect()
}

#[test]
fn the_cross_entropy_gradient_reads_as_in_a_textbook_at_brief() {
    let out = gauge(&[
        "diff",
        "cross_entropy(z, y)",
        "--wrt",
        "z[i]",
        "--detail",
        "brief",
        "--format",
        "latex",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let tex = stdout(&out);
    let rows = align_rows(&tex);
    assert!(rows.len() <= 6, "{} rows:\n{tex}", rows.len());
    let last = rows.last().unwrap();
    let formula = last.split(" && ").next().unwrap();
    assert!(
        formula.ends_with("\\operatorname{softmax}(z)_i - \\delta_{iy}"),
        "{last}"
    );
    // The chain rule through the logarithm reads with the probability's name.
    assert!(tex.contains("\\frac{1}{p_y}"), "{tex}");
    assert!(tex.contains("p = \\operatorname{softmax}(z)"), "{tex}");
    for label in [
        "definition of cross\\_entropy",
        "chain rule",
        "derivative of softmax",
    ] {
        assert!(tex.contains(label), "{label}:\n{tex}");
    }
    // Never a line with the softmax written out as exponentials.
    assert!(!tex.contains("e^{z"), "{tex}");
}

#[test]
fn normal_shows_each_round_and_full_writes_every_definition_out() {
    let lines = |detail: &str| {
        let out = gauge(&[
            "diff",
            "cross_entropy(z, y)",
            "--wrt",
            "z[i]",
            "--detail",
            detail,
        ]);
        assert_eq!(out.status.code(), Some(0));
        stdout(&out)
    };
    let (brief, normal, full) = (lines("brief"), lines("normal"), lines("full"));
    assert!(
        brief.lines().count() < normal.lines().count(),
        "{brief}\n{normal}"
    );
    assert!(
        normal.lines().count() < full.lines().count(),
        "{normal}\n{full}"
    );
    assert!(normal.contains("[constant factor]"), "{normal}");
    assert!(full.contains("exp(z[y])"), "{full}");
    for text in [&brief, &normal, &full] {
        assert!(
            text.trim_end().ends_with("softmax(z)[i] - delta(i, y)")
                || text
                    .lines()
                    .last()
                    .unwrap()
                    .starts_with("= softmax(z)[i] - delta(i, y)"),
            "{text}"
        );
    }
    // `--steps` alone is the full derivation.
    let steps = stdout(&gauge(&[
        "diff",
        "cross_entropy(z, y)",
        "--wrt",
        "z[i]",
        "--steps",
    ]));
    assert_eq!(steps, full);
}

#[test]
fn the_json_keeps_every_rule_of_every_row() {
    let out = gauge(&[
        "diff",
        "cross_entropy(z, y)",
        "--wrt",
        "z[i]",
        "--detail",
        "brief",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rows = v["rows"].as_array().expect("rows");
    let labels: Vec<&str> = rows.iter().map(|r| r["label"].as_str().unwrap()).collect();
    assert_eq!(
        labels,
        [
            "definition of cross_entropy",
            "chain rule",
            "derivative of softmax"
        ]
    );
    // The chain-rule row groups two rounds: both rules are kept.
    let rules: Vec<&str> = rows[1]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(rules.contains(&"constant-multiple"), "{rules:?}");
    assert!(rules.contains(&"chain-rule-ln"), "{rules:?}");
    assert_eq!(v["steps"].as_array().unwrap().len(), 4, "{v}");
}

/// Readable derivations of functions no test names elsewhere: each ends at the full
/// derivative, and every step passes the independent checker.
#[test]
fn readable_derivations_are_checked_step_by_step() {
    let cases = [
        ("tensor z[n]", "logsumexp(z/T)", "z[i]"),
        ("", "log_softmax(z)[k]", "z[i]"),
        ("", "-ln(softmax(u)[k])*t", "u[j]"),
        ("let f(s) = s^3 + sin(s)", "f(x^2) + f(x)", "x"),
        ("", "bce(w*x + b, t)", "w"),
        ("", "sigmoid(w*x)*softplus(x - w)", "w"),
        ("tensor a[n], z[n]", "dot(a, softmax(z))", "z[i]"),
        (
            "let g(v)[i] = v[i]^2/sum(j, v[j]^2)",
            "ln(g(v)[0]) + g(v)[1]",
            "v[i]",
        ),
    ];
    for (defs, expr, var) in cases {
        for detail in [Detail::Brief, Detail::Normal] {
            let mut ws = Workspace::with_prelude().unwrap();
            if !defs.is_empty() {
                ws.load_file("<defs>", defs).unwrap();
            }
            let e = ws.parse_expression(expr).unwrap();
            let v = ws.parse_variable(var).unwrap();
            let defs = ws.definitions_in_order();
            let facts = ws.facts.clone();
            let d = derive_readable(&mut ws.pool, e, v, 1, &defs, &facts, detail).unwrap();
            // The same derivative as the full derivation reaches.
            let full = derive_readable(&mut ws.pool, e, v, 1, &defs, &facts, Detail::Full).unwrap();
            let same = gauge::prove::decide_equal(&mut ws, d.result, full.result, 5);
            assert_eq!(
                same.verdict(),
                gauge::Verdict::Proved,
                "{expr} by {var}: {} vs {}",
                ws.print(d.result),
                ws.print(full.result)
            );
            let r = d.readable.as_ref().expect("rows at brief and normal");
            assert!(!r.groups.is_empty(), "{expr}");
            assert_eq!(r.groups.last().unwrap().end, d.steps.len(), "{expr}");
            if let Err(f) = gauge::verify::check_steps(&mut ws, &d.steps, 7) {
                panic!("{expr} by {var} at {detail:?}: {f:?}");
            }
        }
    }
}

#[test]
fn proved_claims_read_at_the_detail_asked_for() {
    let out = gauge(&[
        "prove",
        "examples/seed.gauge",
        "--detail",
        "brief",
        "--verify",
        "--format",
        "latex",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let tex = stdout(&out);
    let ce = tex.split("% ce_grad").nth(1).expect("the claim is printed");
    let rows = align_rows(ce);
    assert!(rows.len() <= 6, "{ce}");
    let last = rows
        .last()
        .unwrap()
        .split(" && ")
        .next()
        .unwrap()
        .to_string();
    assert!(
        last.ends_with("\\operatorname{softmax}(z)_i - \\delta_{ci}"),
        "{last}"
    );
    assert!(ce.contains("\\frac{1}{p_c}"), "{ce}");
    // The default is the full derivation, as before.
    let full = stdout(&gauge(&[
        "prove",
        "examples/seed.gauge",
        "--format",
        "latex",
    ]));
    assert!(!full.contains("p_c"), "{full}");
    assert!(full.contains("e^{z_c}"), "{full}");
}
