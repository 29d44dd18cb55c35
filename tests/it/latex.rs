//! The LaTeX printer, on the formulas of the seed and of the README, as a reviewed
//! snapshot; and the unambiguity rules it promises.

use crate::common::{root, with_snapshots};
use gauge::lower::workspace::Workspace;

fn latex(text: &str) -> String {
    let mut s = Workspace::with_prelude().unwrap();
    let e = s.parse_expression(text).unwrap();
    gauge::print::latex::to_latex(&s.pool, e)
}

#[test]
fn formulas_print_as_a_paper_would() {
    let cases = [
        "eml(x, y)",
        "exp(x) - ln(y)",
        "exp(z[i]) / sum(j, exp(z[j]))",
        "softmax(z)[i] - delta(i, y)",
        "softmax(z)[k]*(delta(i, k) - softmax(z)[i])",
        "2*x[c]*(sum(k, W[a, k]*x[k]) + b[a] - t[a])",
        "sigmoid(x)*(1 - sigmoid(x))",
        "1 - tanh(x)^2",
        "-1/y",
        "x**2*exp(-x)/sqrt(1+x**2)",
        "diff(cross_entropy(z, y), z[i])",
        "diff(sin(x), x, 2)",
        "exp(x + exp(x))",
        "sum(i, k, W[i, k]*v[k])",
        "(x^a)^b + exp(x)^y + abs(x - 1) + erf(x)/2",
        "α*β + loss + w1 + x_t",
        // Names with subscripts of their own, indexed; Greek by name and in capitals.
        "x_out[i] + W_1[i, k]*x_10 + alpha_1*sigma^2 + Σ*Δ + ασ",
        // A derivative times another factor; a variable named σ next to a bracket; a
        // number after a root.
        "diff(x^2, x)*(a + b) + σ*(1 + x) + sigmoid(1 + x) + sqrt(2)*3^x",
    ];
    let text: Vec<String> = cases
        .iter()
        .map(|c| format!("{c}\n    {}", latex(c)))
        .collect();
    with_snapshots(|| insta::assert_snapshot!("latex__formulas", text.join("\n")));
}

#[test]
fn sums_with_several_terms_are_parenthesized() {
    assert_eq!(latex("sum(j, z[j] + w[j])"), "\\sum_j (w_j + z_j)");
    assert_eq!(latex("sum(j, z[j]*w[j])"), "\\sum_j w_j z_j");
    // A sum followed by another factor is closed off.
    assert_eq!(
        latex("sum(j, z[j])*(1 + y)"),
        "\\left(\\sum_j z_j\\right) (1 + y)"
    );
}

#[test]
fn multi_letter_names_are_upright() {
    assert_eq!(gauge::print::latex::name("loss"), "\\mathrm{loss}");
    assert_eq!(gauge::print::latex::name("x2"), "x_2");
    assert_eq!(gauge::print::latex::name("σ"), "\\sigma");
    assert_eq!(gauge::print::latex::name("w_out"), "w_{\\mathrm{out}}");
}

#[test]
fn a_bound_index_never_takes_a_free_index_s_name() {
    assert_eq!(latex("z[j]*sum(j, w[j])"), "z_j \\sum_k w_k");
}

#[test]
fn the_cross_entropy_derivation_as_an_align_environment() {
    let out = crate::common::gauge(&[
        "diff",
        "cross_entropy(z, y)",
        "--wrt",
        "z[i]",
        "--steps",
        "--format",
        "latex",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = crate::common::stdout(&out);
    assert!(text.starts_with("\\begin{align*}"));
    assert!(
        text.contains("&= \\operatorname{softmax}(z)_i - \\delta_{iy} && \\text{fold-definition}")
    );
    with_snapshots(|| insta::assert_snapshot!("latex_doc__cross_entropy_steps", text));
}

#[test]
fn the_seed_proofs_read_forwards_as_textbook_derivations() {
    let out = crate::common::gauge(&["prove", "examples/seed.gauge", "--format", "latex"]);
    assert_eq!(out.status.code(), Some(0));
    let text = crate::common::stdout(&out);
    // The cross-entropy claim starts at its left side and ends at its right side, each
    // line with the rules that reached it; no line is a difference of the two sides.
    let ce = text
        .split("% ce_grad")
        .nth(1)
        .and_then(|t| t.split("\\end{align*}").next())
        .expect("the cross-entropy claim is printed");
    let lines: Vec<&str> = ce.lines().skip(2).collect();
    assert_eq!(
        lines.first().map(|l| l.trim().trim_end_matches(" \\\\")),
        Some("&\\frac{\\partial}{\\partial z_i}(\\operatorname{cross\\_entropy}(z, c))")
    );
    assert_eq!(
        lines.last().map(|l| l.trim()),
        Some("&= \\operatorname{softmax}(z)_i - \\delta_{ci} && \\text{fold-definition}")
    );
    // Every later row is a step (`&= ...`), a long step's continuation (`&\\quad`), or
    // the rest of its list of rules (`&& \\text{...}`).
    assert!(lines[1..].iter().all(|l| l.trim_start().starts_with('&')));
    let steps = lines[1..]
        .iter()
        .filter(|l| l.trim_start().starts_with("&= "));
    assert!(steps.count() >= 5);
    assert!(
        !text.contains("&= 0"),
        "a proof reads lhs = ... = rhs, not down to 0"
    );
    with_snapshots(|| insta::assert_snapshot!("latex_doc__seed_proofs", text));
}

#[test]
fn standalone_wraps_every_latex_output_in_a_document() {
    for args in [
        &["latex", "softmax(z)[i] - delta(i, y)", "--standalone"][..],
        &[
            "diff",
            "sigmoid(x)",
            "--wrt",
            "x",
            "--format",
            "latex",
            "--standalone",
        ],
        &[
            "prove",
            "examples/seed.gauge",
            "--format",
            "latex",
            "--standalone",
        ],
    ] {
        let out = crate::common::gauge(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = crate::common::stdout(&out);
        assert!(
            text.starts_with("\\documentclass{article}"),
            "{args:?}: {text}"
        );
        assert!(
            text.trim_end().ends_with("\\end{document}"),
            "{args:?}: {text}"
        );
    }
    // Bare formulas become display math inside the document.
    let out = crate::common::gauge(&["latex", "x^2", "--standalone"]);
    assert!(crate::common::stdout(&out).contains("\\[\nx^2\n\\]"));
    // A command that prints no LaTeX says so instead of wrapping text.
    let out = crate::common::gauge(&["eval", "x", "--at", "x=1", "--standalone"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(crate::common::stderr(&out).contains("prints no LaTeX"));
}

#[test]
fn long_sums_break_over_rows_at_their_terms() {
    let mut s = Workspace::with_prelude().unwrap();
    let long = (1..=12)
        .map(|k| format!("exp(sin(x*{k}))/(1 + y^{k})"))
        .collect::<Vec<_>>()
        .join(" - ");
    let e = s.parse_expression(&long).unwrap();
    let rows = gauge::print::latex::to_latex_lines(&s.pool, e, 300.0);
    assert!(rows.len() >= 2, "{rows:?}");
    // Every row after the first starts with its term's sign, and no term is lost.
    assert!(
        rows[1..]
            .iter()
            .all(|r| r.starts_with("- ") || r.starts_with("+ "))
    );
    let joined = rows.join(" ");
    assert_eq!(joined, gauge::print::latex::to_latex(&s.pool, e));
    assert!(
        rows.iter()
            .all(|r| gauge::print::latex::display_width(r) <= 300.0)
    );
    // A short sum stays on one row.
    let short = s.parse_expression("x + y").unwrap();
    assert_eq!(
        gauge::print::latex::to_latex_lines(&s.pool, short, 300.0),
        ["x + y"]
    );
    // A lone denominator is not bracketed.
    assert!(!joined.contains("{(1 + y)}"), "{joined}");
    // A fraction is as wide as its wider part, not as its source.
    let width = gauge::print::latex::display_width;
    assert!(width("\\frac{a}{b}") < width("ab"));
    assert!(width("\\frac{a}{b}") > width("a"));
}

#[test]
fn a_derivative_never_seems_to_take_the_factors_after_it() {
    // The derivative goes last in a product; one that is not last is bracketed.
    assert_eq!(
        latex("diff(x^2, x)*(a + b)"),
        "(a + b) \\frac{\\partial}{\\partial x}(x^2)"
    );
    let two = latex("diff(x^2, x)*diff(y^2, y)");
    assert!(
        two.starts_with("\\left[\\frac{\\partial}{\\partial x}"),
        "{two}"
    );
}

#[test]
fn names_with_subscripts_and_greek_names_are_single_symbols() {
    assert_eq!(latex("x_out[i]"), "{x_{\\mathrm{out}}}_i");
    assert_eq!(gauge::print::latex::name("x_10"), "x_{10}");
    assert_eq!(gauge::print::latex::name("alpha_1"), "\\alpha_1");
    assert_eq!(gauge::print::latex::name("Sigma"), "\\Sigma");
    assert_eq!(gauge::print::latex::name("Σ"), "\\Sigma");
    assert_eq!(gauge::print::latex::name("lr"), "\\mathrm{lr}");
    // A scalar x2 beside the element x[2] is set upright, not as a second x_{2}.
    assert_eq!(latex("x2 - x[2]"), "\\mathrm{x2} - x_2");
    assert_eq!(latex("x2*y[1]"), "x_2 y_1");
    // A variable σ next to a bracket is a product, not the logistic function.
    assert_eq!(latex("σ*(1 + x)"), "\\sigma \\cdot (1 + x)");
}

#[test]
fn a_long_bracketed_sum_in_a_product_breaks_inside_the_bracket() {
    let mut s = Workspace::with_prelude().unwrap();
    let text = format!(
        "x*({})",
        (1..=8)
            .map(|k| format!("exp(sin(x*{k}))/(1 + y^{k})"))
            .collect::<Vec<_>>()
            .join(" - ")
    );
    let e = s.parse_expression(&text).unwrap();
    let rows = gauge::print::latex::to_latex_lines(&s.pool, e, 150.0);
    assert!(rows.len() >= 2, "{rows:?}");
    // Each row pairs its own \left and \right, so every row compiles on its own.
    assert!(rows[0].starts_with("x \\left(") && rows[0].ends_with("\\right."));
    assert!(rows[1..].iter().all(|r| r.starts_with("\\left.- ")));
    assert!(rows.last().is_some_and(|r| r.ends_with("\\right)")));
}

/// The LaTeX derivations of every example file, as `gauge prove FILE --format latex`
/// prints them, one snapshot per file: a change in any derivation shows in review.
#[test]
fn every_example_derivation_is_snapshotted() {
    let dirs = [root().join("examples"), root().join("examples/training")];
    let mut files = 0;
    for dir in dirs {
        for path in crate::common::gauge_files(&dir) {
            let text = std::fs::read_to_string(&path).unwrap();
            if !text.contains("claim ") {
                continue;
            }
            files += 1;
            let out =
                crate::common::gauge(&["prove", &path.to_string_lossy(), "--format", "latex"]);
            assert!(out.status.code().is_some_and(|c| c <= 1), "{path:?}");
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            // Timings in the JSON-free LaTeX are absent; the text is deterministic.
            let doc = crate::common::stdout(&out);
            with_snapshots(|| insta::assert_snapshot!(format!("examples__{stem}"), doc));
        }
    }
    assert!(files >= 9, "{files} example files with claims");
}

/// LaTeX of `text` in a workspace that loaded `file` first.
fn latex_after(file: &str, text: &str) -> String {
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file("t.gauge", file).unwrap();
    let e = s.parse_expression(text).unwrap();
    gauge::print::latex::to_latex(&s.pool, e)
}

/// LaTeX of `text` with elements in brackets.
fn bracketed(text: &str) -> String {
    latex_after("notation indices = brackets", text)
}

#[test]
fn brackets_write_elements_and_leave_symbols_subscripted() {
    // Vector and matrix elements; a delta and a sum's index are symbols, not elements.
    assert_eq!(bracketed("q[m]*A[m, r]"), "A[m, r] q[m]");
    assert_eq!(
        bracketed("sum(r, A[m, r]*q[r]) - delta(m, c)"),
        "\\sum_j A[m, j] q[j] - \\delta_{cm}"
    );
    // A call's element, and a gathered index that is itself an element.
    assert_eq!(
        bracketed("log_softmax(q)[m] + G[m, t[m]]"),
        "G[m, t[m]] + \\operatorname{log\\_softmax}(q)[m]"
    );
    // The derivative by an element.
    assert_eq!(
        bracketed("diff(logsumexp(q), q[m])"),
        "\\frac{\\partial}{\\partial q[m]}(\\operatorname{logsumexp}(q))"
    );
    // A name's own suffix stays a subscript, and needs no braces before brackets.
    assert_eq!(bracketed("u_1[m]*v2"), "v_2 u_1[m]");
}

#[test]
fn a_scalar_named_like_an_element_is_told_apart_only_where_it_must_be() {
    // As subscripts, the scalar `u2` next to the element `u[2]` would both be `u_2`, so
    // the scalar is set upright whole; with brackets they differ already.
    assert_eq!(latex("u[2] + u2"), "\\mathrm{u2} + u_2");
    assert_eq!(bracketed("u[2] + u2"), "u_2 + u[2]");
}

#[test]
fn the_file_statement_sets_the_style_and_a_caller_overrides_it() {
    use gauge::Format;
    use gauge::options::{IndexStyle, Output};
    let mut s = gauge::Session::new();
    s.load("notation indices = brackets").unwrap();
    let e = s.parse("softmax(q)[m] - delta(m, c)").unwrap();
    assert_eq!(e.latex(), "\\operatorname{softmax}(q)[m] - \\delta_{cm}");
    let sub = Output::new(Format::Latex).with_indices(IndexStyle::Subscript);
    assert_eq!(
        e.render(&sub),
        "\\operatorname{softmax}(q)_m - \\delta_{cm}\n"
    );
    // The caller's style held for that rendering only: the file's is back.
    assert_eq!(e.latex(), "\\operatorname{softmax}(q)[m] - \\delta_{cm}");
    // A later statement replaces an earlier one.
    s.load("notation indices = subscript").unwrap();
    assert_eq!(e.latex(), "\\operatorname{softmax}(q)_m - \\delta_{cm}");
}

#[test]
fn a_name_called_indices_takes_latex_as_any_name_does() {
    assert_eq!(
        latex_after("notation indices = \"\\mathcal{I}\"", "indices*q[m]"),
        "\\mathcal{I} q_m"
    );
}

#[test]
fn a_sum_over_a_fraction_too_wide_for_its_line_brings_out_the_numerator() {
    use gauge::print::latex::{break_lines, break_lines_plainly, display_width};
    let tex = latex("sum(j, a[j]*exp(b[j])*exp(c[j])*exp(d[j])/(1 + exp(g[j] + h[j])))");
    // The fraction is the sum's whole body, and its numerator is narrower than the
    // line: the plain breaks find no place, and the row stays too wide.
    assert!(display_width(&tex) > 100.0, "{tex}");
    let plain = break_lines_plainly(&tex, 100.0, 100.0);
    assert_eq!(plain, std::slice::from_ref(&tex));
    // As `\frac{1}{b} \left(a\right)`, it breaks between the two, and in `a`.
    let rows = break_lines(&tex, 100.0, 100.0);
    assert!(rows.len() > 1, "{rows:?}");
    assert!(rows[0].contains("\\frac{1}{1 + "), "{rows:?}");
    assert!(rows.iter().all(|r| display_width(r) <= 100.0), "{rows:?}");
}

#[test]
fn bracketed_elements_never_split_across_rows() {
    use gauge::print::latex::{break_lines, display_width};
    // `W[i, j]` measures as pdflatex sets it (about 27.5 pt in Computer Modern), within
    // the 15% the layouts leave.
    let w = display_width("W[i, j]");
    assert!((27.5 * 0.85..=27.5 * 1.15).contains(&w), "{w}");
    let tex = bracketed("A[m, t[m]]*B[t[m], r]*C[m, t[r]]*D[r, t[m]]*F[t[m], t[r]]");
    let rows = break_lines(&tex, 60.0, 60.0);
    assert!(rows.len() > 1, "{rows:?}");
    for row in &rows {
        assert_eq!(
            row.matches('[').count(),
            row.matches(']').count(),
            "{rows:?}"
        );
    }
}

#[test]
fn the_command_line_flag_overrides_the_file() {
    let dir = crate::common::temp_dir("indices", "gauge");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("paper.gauge");
    std::fs::write(
        &file,
        "notation indices = brackets\nclaim diff(sum(j, q[j]^2), q[m]) = 2*q[m]\n",
    )
    .unwrap();
    let file = file.to_string_lossy().into_owned();
    let prove = |extra: &[&str]| {
        let mut args = vec!["prove", file.as_str(), "--format", "latex"];
        args.extend(extra);
        crate::common::stdout(&crate::common::gauge(&args))
    };
    let file_style = prove(&[]);
    assert!(file_style.contains("2 q[m]"), "{file_style}");
    assert!(!file_style.contains("q_m"), "{file_style}");
    let flag = prove(&["--indices", "subscript"]);
    assert!(flag.contains("2 q_m"), "{flag}");
    assert!(!flag.contains("q[m]"), "{flag}");
    let out = crate::common::gauge(&["latex", "W[i, k]*x[k]", "--indices", "brackets"]);
    assert_eq!(crate::common::stdout(&out), "W[i, k] x[k]\n");
}
