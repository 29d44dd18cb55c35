//! Proofs read forwards: a proved claim is shown `lhs = ... = rhs`, from its left side
//! to its right side, meeting in the middle when the two sides need work of their
//! own (multiplied out, over a common denominator, a definition written out), and
//! never as the difference `lhs - rhs` taken to 0.

use crate::common::{gauge, gauge_files, root, stderr, stdout};

/// The claims of `file`'s JSON report.
fn claims(args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["--format", "json", "prove"];
    all.extend(args);
    let out = gauge(&all);
    assert!(!stderr(&out).contains("BUG"), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    v["claims"].as_array().expect("claims").clone()
}

/// Writes `text` to a fresh file under the target directory and returns its path.
fn file(name: &str, text: &str) -> String {
    let dir = root().join("target").join("meet-tests");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("written");
    path.to_string_lossy().into_owned()
}

/// Claims no example states, each needing the sides taken on separately before they
/// meet: multiplied out, over a common denominator (the quotient rule, a sigmoid's
/// symmetry), a definition written out, a rewriting pass (negated arguments, angle
/// sums), or a sum of indexed terms.
const CLAIMS: &str = "\
let g(t) = t^2 + 3*t
tensor v[n]
claim quotient: diff(x/(x^2 + 1), x) = (1 - x^2)/(x^2 + 1)^2
claim expanded: diff(x^2*(x + 1), x) = x*(3*x + 2)
claim symmetric: 1 - sigmoid(-y) = sigmoid(y)
claim tanh_logistic: tanh(y) = 2*sigmoid(2*y) - 1
claim cosh_log: diff(ln(cosh(x)), x) = sinh(x)/cosh(x)
claim written: diff(g(x)*x, x) = 3*x^2 + 6*x
claim double_angle: sin(2*y) = 2*sin(y)*cos(y)
claim fractions: 1/(x + 1) - 1/(x + 2) = 1/((x + 1)*(x + 2))
claim centred: diff(sum(j, (v[j] - w)^2), w) = 2*n*w - 2*sum(j, v[j])
";

#[test]
fn claims_that_need_both_sides_worked_read_from_left_to_right() {
    let path = file("claims.gauge", CLAIMS);
    let cs = claims(&[&path, "--verify"]);
    assert_eq!(cs.len(), 9);
    for c in &cs {
        assert_eq!(c["verdict"], "proved", "{c}");
        assert!(c["checker_failure"].is_null(), "{c}");
        let rows = c["forward"].as_array().unwrap_or_else(|| panic!("{c}"));
        assert!(!rows.is_empty(), "{c}");
        // The last row is the right side as written, and no row is the difference.
        let last = rows.last().unwrap()["expression"].as_str().unwrap();
        assert_eq!(last, c["rhs"].as_str().unwrap(), "{c}");
        // The right side is reached once, at the end: no row wanders to it and away.
        for r in &rows[..rows.len() - 1] {
            assert_ne!(r["expression"], c["rhs"], "{c}");
        }
        for r in rows {
            assert_ne!(r["expression"], "0", "{c}");
        }
        // The checker re-verified both readings: the proof's steps and the rows.
        let steps = c["steps"].as_array().unwrap().len();
        assert_eq!(c["verified"]["steps"], steps + rows.len(), "{c}");
    }
}

#[test]
fn the_latex_starts_at_the_left_side_and_ends_at_the_right() {
    let path = file("latex.gauge", CLAIMS);
    let out = gauge(&["--format", "latex", "prove", &path]);
    let tex = stdout(&out);
    // The first row of the quotient rule's derivation is its left side alone.
    let block = tex
        .split("% expanded")
        .next()
        .and_then(|t| t.split("\\begin{align*}").nth(1))
        .expect("the first derivation");
    let first = block.lines().nth(1).expect("a first row");
    assert!(
        first
            .trim_start()
            .starts_with("\\frac{\\partial}{\\partial x}"),
        "{first}"
    );
    assert!(!first.contains("- \\frac{1 - x^2}"), "{first}");
    let last = last_row(block);
    assert!(last.contains("&= \\frac{1 - x^2}{(1 + x^2)^2}"), "{last}");
    // The right side is reached once, at the end.
    assert_eq!(
        block.matches("\\frac{1 - x^2}{(1 + x^2)^2}").count(),
        1,
        "{block}"
    );
}

/// The last row of the derivation that `tex` begins with.
fn last_row(tex: &str) -> &str {
    tex.lines()
        .take_while(|l| !l.starts_with("\\end{align*}"))
        .filter(|l| l.contains("&="))
        .last()
        .expect("a last row")
}

#[test]
fn every_proof_of_the_examples_reads_forwards() {
    for path in gauge_files(&root().join("examples")) {
        let p = path.to_string_lossy().into_owned();
        for c in claims(&[&p]) {
            if c["verdict"] != "proved" {
                continue;
            }
            let rows = c["forward"]
                .as_array()
                .unwrap_or_else(|| panic!("{p}: {}", c["name"]));
            // From the left side to the right side, with no expression shown twice:
            // a reading that goes somewhere and comes back is cut short.
            let mut shown = vec![c["lhs"].clone()];
            shown.extend(rows.iter().map(|r| r["expression"].clone()));
            if !rows.is_empty() {
                assert_eq!(shown.last(), Some(&c["rhs"]), "{p}: {c}");
            }
            for (k, e) in shown.iter().enumerate() {
                assert!(
                    !shown[..k].contains(e),
                    "{p}: {} shows {e} twice",
                    c["name"]
                );
            }
        }
    }
}

#[test]
fn at_brief_a_met_proof_keeps_its_textbook_rows_and_reads_the_right_half_back() {
    let path = file(
        "brief.gauge",
        "claim silu_grad: diff(silu(x), x) = sigmoid(x)*(1 + x*(1 - sigmoid(x)))\n\
         claim quotient: diff(sin(x)/x, x) = (x*cos(x) - sin(x))/x^2\n",
    );
    let out = gauge(&["--format", "latex", "prove", &path, "--detail", "brief"]);
    let tex = stdout(&out);
    assert!(tex.contains("\\text{definition of silu}"), "{tex}");
    assert!(tex.contains("\\text{product rule}"), "{tex}");
    // The right side, reached from where the halves met, is the last row, and
    // multiplying out read backwards is collecting.
    let quotient = tex.split("% quotient").nth(1).expect("the second claim");
    let last = last_row(quotient);
    assert!(
        last.contains("\\frac{x \\cos(x) - \\sin(x)}{x^2}") && last.contains("collect"),
        "{last}"
    );
    assert!(!tex.contains("&= 0"), "{tex}");
}
