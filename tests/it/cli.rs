//! The command line, end to end: the outputs and exit codes the README promises.

use crate::common::{gauge, gauge_with_stdin, stderr, stdout, with_snapshots};

#[test]
fn eval_cross_entropy_of_the_seed_logits() {
    let out = gauge(&[
        "eval",
        "cross_entropy(z, y)",
        "--at",
        "z=[2.1, 1.8, 0.2, -1.5], y=0",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: f64 = stdout(&out).trim().parse().expect("a number");
    // The seed's value, to one ulp.
    let want = 0.6511320591048929f64;
    assert!((v - want).abs() <= want * f64::EPSILON, "got {v}");
}

#[test]
fn eval_prints_full_precision() {
    let out = gauge(&["eval", "-ln(0.001)"]);
    assert_eq!(stdout(&out).trim(), "6.907755278982137");
    let out = gauge(&["eval", "eml(1, 1)"]);
    assert_eq!(stdout(&out).trim(), "2.718281828459045");
}

#[test]
fn parse_prints_canonical_forms() {
    let cases = [
        ("x**2 + x*x - 2*x^2", "0"),
        ("(a+b)*(a+b)", "(a + b)^2"),
        ("x**2*exp(-x)/sqrt(1+x**2)", "x^2*exp(-x)/sqrt(1 + x^2)"),
        ("1 - tanh(x)^2", "1 - tanh(x)^2"),
        ("-tanh(x)^2 + 1", "1 - tanh(x)^2"),
        (
            "exp(z[i]) / sum(k, exp(z[k]))",
            "exp(z[i])/sum(j, exp(z[j]))",
        ),
    ];
    for (input, want) in cases {
        let out = gauge(&["parse", input]);
        assert_eq!(out.status.code(), Some(0), "{input}: {}", stderr(&out));
        assert_eq!(stdout(&out).trim(), want, "{input}");
    }
}

#[test]
fn a_syntax_error_names_line_and_column_with_a_caret() {
    let out = gauge(&["parse", "exp(x) - "]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("<input>:1:10"), "{err}");
    assert!(err.contains('┬'), "a caret marks the spot: {err}");
    with_snapshots(|| insta::assert_snapshot!("cli__dangling_operator", err));
}

#[test]
fn a_domain_error_names_the_subexpression_and_the_point() {
    let out = gauge(&["eval", "ln(x)", "--at", "x=-1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("`ln(x)`"), "{err}");
    assert!(err.contains("x = -1"), "{err}");
    assert!(!err.to_lowercase().contains("nan"), "{err}");
    with_snapshots(|| insta::assert_snapshot!("cli__ln_of_negative", err));
}

#[test]
fn domain_errors_inside_definitions_say_where() {
    let out = gauge(&["eval", "eml(x, y)", "--at", "x=1, y=0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("`ln(y)`") && err.contains("eml(x, y)"),
        "{err}"
    );
    let out = gauge(&["eval", "1/(x - 1)", "--at", "x=1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("divides by"), "{}", stderr(&out));
    let out = gauge(&["eval", "exp(x)", "--at", "x=1000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("overflows"), "{}", stderr(&out));
}

#[test]
fn missing_and_mismatched_values_are_clear_errors() {
    let out = gauge(&["eval", "x + y"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("no value for `x`, `y`"), "{err}");
    assert!(err.contains("--at"), "{err}");
    let out = gauge(&["eval", "softmax(z)[i]", "--at", "z=[1, 2], i=2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("shape"), "{}", stderr(&out));
    let out = gauge(&["eval", "z[i]*w[i]", "--at", "z=[1, 2], w=[1, 2, 3], i=0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("must be equal"), "{}", stderr(&out));
    let out = gauge(&["eval", "z[0]", "--at", "z=[[1, 2], [3]]"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("rectangular"), "{}", stderr(&out));
    let out = gauge(&["eval", "z[0]", "--at", "z=5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("vector"), "{}", stderr(&out));
}

#[test]
fn eval_handles_matrices_sums_and_indices() {
    let out = gauge(&[
        "eval",
        "sum(i, k, W[i, k]*x[k])",
        "--at",
        "W=[[1, 2], [3, 4]], x=[0.5, -1]",
    ]);
    assert_eq!(stdout(&out).trim(), "-4.0", "{}", stderr(&out));
    let out = gauge(&["eval", "softmax(z)[i]", "--at", "z=[0, 0, 0, 0], i=3"]);
    assert_eq!(stdout(&out).trim(), "0.25");
    let out = gauge(&["eval", "mse(p, t)", "--at", "p=[1, 2, 3], t=[1, 2, 5]"]);
    assert_eq!(stdout(&out).trim(), "1.3333333333333333");
}

#[test]
fn standard_input_is_read_for_a_dash() {
    let out = gauge_with_stdin(&["eval", "-"], Some("eml(1, 1)\n"));
    assert_eq!(stdout(&out).trim(), "2.718281828459045", "{}", stderr(&out));
    let out = gauge_with_stdin(&["parse", "-"], Some("x + x"));
    assert_eq!(stdout(&out).trim(), "2*x");
}

#[test]
fn defs_files_are_loaded_first() {
    let out = gauge(&[
        "eval",
        "loss",
        "--defs",
        "grammar/valid/attention.gauge",
        "--at",
        "Q=[[1, 0], [0, 1]], K=[[1, 2], [3, 4]], V=[[1, 0], [0, 1]], G=[[1, 1], [1, 1]], d=2",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: f64 = stdout(&out).trim().parse().unwrap();
    // Each row of P sums to 1, and V is the identity, so the loss is the number of rows.
    assert!((v - 2.0).abs() < 1e-14, "{v}");
}

#[test]
fn json_output_is_structured() {
    let out = gauge(&["--format", "json", "eval", "1/4 + 1/4"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    assert_eq!(v["value"], 0.5);
    assert_eq!(v["exact"], "1/2");
    assert_eq!(v["canonical"], "1/2");
    let out = gauge(&["parse", "--format", "json", "x*x"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["canonical"], "x^2");
    let out = gauge(&["--format", "json", "parse", "exp(x) - "]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["error"]["kind"], "syntax");
    assert_eq!(v["error"]["labels"][0]["line"], 1);
    assert_eq!(v["error"]["labels"][0]["column"], 10);
    let out = gauge(&[
        "--format",
        "json",
        "parse",
        "-f",
        "grammar/valid/layout.gauge",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["statements"][0]["kind"], "let");
    assert_eq!(v["statements"][0]["text"], "let poly(x) = 1 + x + x^2");
}

#[test]
fn shadowing_the_prelude_warns() {
    let dir = std::env::temp_dir().join(format!("gauge-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("defs.gauge");
    std::fs::write(&path, "let softmax(z)[i] = z[i]\n").unwrap();
    let out = gauge(&[
        "eval",
        "softmax(w)[0]",
        "--defs",
        path.to_str().unwrap(),
        "--at",
        "w=[3, 4]",
    ]);
    assert_eq!(stdout(&out).trim(), "3.0");
    assert!(
        stderr(&out).contains("shadows the prelude"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn help_shows_real_examples_and_usage_errors_exit_2() {
    let out = gauge(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("gauge eval 'cross_entropy(z, y)'"));
    for sub in ["parse", "eval"] {
        let out = gauge(&[sub, "--help"]);
        assert!(stdout(&out).contains("Examples:"), "{sub}");
    }
    let out = gauge(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let out = gauge(&["parse", "-f", "no/such/file.gauge"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read"));
}

#[test]
fn completions_are_generated() {
    let out = gauge(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("gauge"));
}

#[test]
fn columns_count_characters_and_crlf_lines_end_where_lf_lines_do() {
    let out = gauge(&["parse", "ααα + $"]);
    assert!(stderr(&out).contains("<input>:1:7"), "{}", stderr(&out));
    let dir = std::env::temp_dir().join(format!("gauge-crlf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let crlf = dir.join("crlf.gauge");
    std::fs::write(&crlf, "let a = 1\r\nlet b = x +\r\nlet c = 2\r\n").unwrap();
    let out = gauge(&["parse", "-f", crlf.to_str().unwrap()]);
    assert!(stderr(&out).contains("crlf.gauge:2:12"), "{}", stderr(&out));
    let out = gauge(&["--format", "json", "parse", "-f", crlf.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["error"]["labels"][0]["line"], 2);
    assert_eq!(v["error"]["labels"][0]["column"], 12);
}

#[test]
fn the_unused_binding_warning_sees_globals_inside_definitions() {
    let dir = std::env::temp_dir().join(format!("gauge-unused-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let defs = dir.join("h.gauge");
    std::fs::write(&defs, "let h(z) = x*z[0]\n").unwrap();
    let out = gauge(&[
        "eval",
        "h(z)",
        "--defs",
        defs.to_str().unwrap(),
        "--at",
        "z=[1, 2], x=2",
    ]);
    assert_eq!(stdout(&out).trim(), "2.0");
    assert!(!stderr(&out).contains("does not use"), "{}", stderr(&out));
    let out = gauge(&["eval", "z[0]", "--at", "z=[1, 2], q=2"]);
    assert!(stderr(&out).contains("`q` is given a value, but the expression does not use it"));
}

#[test]
fn a_closed_output_pipe_ends_quietly() {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gauge"))
        .args(["prove", "examples/mistakes.gauge", "--format", "json"])
        .current_dir(crate::common::root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before gauge writes.
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        !err.contains("internal error") && !err.contains("panicked"),
        "{err}"
    );
    assert!(status.code().is_some());
}

#[test]
fn a_closed_output_pipe_is_a_success_whatever_the_verdicts() {
    // The claims of mistakes.gauge are refuted (exit 1), but a reader that went away
    // before gauge wrote anything ends it quietly with success, for text and JSON.
    for format in ["text", "json"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gauge"))
            .args(["prove", "examples/mistakes.gauge", "--format", format])
            .current_dir(crate::common::root())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        assert_eq!(child.wait().unwrap().code(), Some(0), "--format {format}");
    }
}

#[test]
fn a_runaway_high_order_derivative_stops_with_a_limit_error() {
    // Repeated differentiation of a product grows exponentially; the tool must stop
    // with an error naming the order instead of exhausting memory, while a modest
    // order of the same expression still answers.
    let diff = |order: &str| {
        gauge(&[
            "diff",
            "tanh(sin(x)*cos(x)*exp(x)*ln(x)*sqrt(x))",
            "--wrt",
            "x",
            "--order",
            order,
        ])
    };
    let out = diff("40");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("gave up at the derivative of order"), "{err}");
    assert!(err.contains("budget"), "{err}");
    let out = diff("2");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_search_past_its_budget_says_so_and_returns_what_it_has() {
    // With a small budget the simplifier stops early: the gradient printed is still
    // right (its last partial, with its `let` bindings loaded as definitions, has the
    // value the fully simplified one has), the warning names the budget, and the exit
    // code is 2. The default budget finishes and succeeds.
    let n = 200;
    let vars: Vec<String> = (0..n).map(|k| format!("z{k}")).collect();
    let terms: Vec<String> = vars
        .iter()
        .map(|v| format!("exp({v})*sin({v})^2"))
        .collect();
    let f = format!("-z0 + ln({})", terms.join(" + "));
    let point: Vec<String> = (0..n)
        .map(|k| format!("z{k}={}", (k % 7) as f64 / 10.0))
        .collect();
    let last_partial = |out: &std::process::Output, tag: &str| {
        let text = stdout(out);
        let lets: String = text
            .lines()
            .filter(|l| l.starts_with("let "))
            .map(|l| format!("{l}\n"))
            .collect();
        let last = text
            .lines()
            .last()
            .unwrap()
            .strip_prefix("z199: ")
            .unwrap()
            .to_string();
        let defs =
            std::env::temp_dir().join(format!("gauge-budget-{}-{tag}.gauge", std::process::id()));
        std::fs::write(&defs, lets).unwrap();
        let v = gauge(&[
            "eval",
            &last,
            "--defs",
            defs.to_str().unwrap(),
            "--at",
            &point.join(", "),
        ]);
        let _ = std::fs::remove_file(&defs);
        stdout(&v).trim().parse::<f64>().unwrap()
    };
    let small = gauge(&["grad", &f, "--wrt", &vars.join(","), "--budget", "5000"]);
    assert_eq!(small.status.code(), Some(2), "{}", stderr(&small));
    assert!(
        stderr(&small).contains("work budget (5000) ran out"),
        "{}",
        stderr(&small)
    );
    let full = gauge(&["grad", &f, "--wrt", &vars.join(",")]);
    assert_eq!(full.status.code(), Some(0), "{}", stderr(&full));
    assert_ne!(stdout(&small), stdout(&full));
    let (a, b) = (last_partial(&small, "small"), last_partial(&full, "full"));
    assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
}
