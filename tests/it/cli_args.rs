//! The command line's arguments: values that start with `-` (an expression, a fact, a
//! variable, a point), the options after them, and the usage errors that remain.

use crate::common::{gauge, gauge_with_stdin, stderr, stdout, with_snapshots};

/// Runs gauge and returns its standard output, which must come with exit code 0.
fn ok(args: &[&str]) -> String {
    let out = gauge(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// Runs gauge and returns its standard error, which must come with exit code 2.
fn usage_error(args: &[&str]) -> String {
    let out = gauge(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
    stderr(&out)
}

#[test]
fn a_fact_that_starts_with_a_minus_is_a_fact() {
    assert_eq!(ok(&["simplify", "abs(x)"]), "abs(x)\n");
    assert_eq!(ok(&["simplify", "abs(x)", "--assume", "x < -1"]), "-x\n");
    assert_eq!(ok(&["simplify", "abs(x)", "--assume", "-1 > x"]), "-x\n");
    assert_eq!(ok(&["simplify", "abs(x)", "--assume=-1>x"]), "-x\n");
    // A global option, before the command.
    assert_eq!(ok(&["--assume", "-1 > x", "simplify", "abs(x)"]), "-x\n");
    assert_eq!(ok(&["diff", "x^2", "--assume", "-1 < x"]), "2*x\n");
    assert_eq!(
        ok(&[
            "simplify",
            "sqrt(x^2)",
            "--assume",
            "-1 < x",
            "--assume",
            "0 < x"
        ]),
        "x\n"
    );
}

#[test]
fn options_after_a_value_that_starts_with_a_minus_still_parse() {
    let out = ok(&[
        "simplify", "abs(x)", "--assume", "-1 > x", "--format", "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["result"], "-x");
    assert_eq!(ok(&["diff", "-x^3", "--wrt", "x", "--cse"]), "-3*x^2\n");
    assert_eq!(ok(&["diff", "--cse", "-x^3"]), "-3*x^2\n");
    assert_eq!(ok(&["diff", "-x^3"]), "-3*x^2\n");
    assert_eq!(ok(&["eval", "-x^2", "--at", "x=2"]), "-4.0\n");
    assert_eq!(ok(&["eval", "--at", "x=2", "-x^2"]), "-4.0\n");
    let out = ok(&[
        "check", "-x^2", "--wrt", "x", "--at", "x=-1", "--grad", "-2*x",
    ]);
    assert!(out.contains("agrees"), "{out}");
}

#[test]
fn a_fact_that_starts_with_a_minus_decides_a_claim() {
    let path = std::env::temp_dir().join(format!("gauge-neg-{}.gauge", std::process::id()));
    std::fs::write(&path, "claim neg: abs(x) = -x\n").unwrap();
    let file = path.to_str().unwrap();
    let without = gauge(&["prove", file, "--format", "json"]);
    let with = gauge(&["prove", file, "--assume", "-1 > x", "--format", "json"]);
    let _ = std::fs::remove_file(&path);
    let verdict = |o: &std::process::Output| {
        let v: serde_json::Value = serde_json::from_str(&stdout(o)).unwrap();
        v["claims"][0]["verdict"].as_str().unwrap().to_string()
    };
    assert_eq!(without.status.code(), Some(1), "{}", stderr(&without));
    assert_eq!(verdict(&without), "refuted");
    assert_eq!(with.status.code(), Some(0), "{}", stderr(&with));
    assert_eq!(verdict(&with), "proved");
}

#[test]
fn a_dash_alone_still_reads_standard_input() {
    let out = gauge_with_stdin(&["diff", "-", "--wrt", "x"], Some("-x^3\n"));
    assert_eq!(stdout(&out), "-3*x^2\n", "{}", stderr(&out));
    let out = gauge_with_stdin(&["eval", "-x^2", "--at", "@-"], Some("x=3"));
    assert_eq!(stdout(&out), "-9.0\n", "{}", stderr(&out));
}

#[test]
fn a_variable_that_starts_with_a_minus_is_reported_by_gauge_not_taken_for_an_option() {
    let err = usage_error(&["diff", "x^2", "--wrt", "-x"]);
    assert!(err.contains("expected a variable"), "{err}");
}

#[test]
fn an_option_without_its_value_says_so_instead_of_taking_the_next_option() {
    let err = usage_error(&["diff", "x^2", "--wrt", "--cse"]);
    assert!(
        err.contains("`--wrt` expects a value, but the next argument is the option `--cse`"),
        "{err}"
    );
    assert!(err.contains("`--wrt x`"), "{err}");
    assert!(err.contains("Usage: gauge diff"), "{err}");
    let err = usage_error(&["simplify", "abs(x)", "--assume", "--format", "json"]);
    assert!(err.contains("`--assume` expects a value"), "{err}");
    assert!(err.contains("`--assume=-1>x`"), "{err}");
    with_snapshots(|| insta::assert_snapshot!("cli_args__option_without_value", err));
}

#[test]
fn an_unexpected_minus_argument_says_what_was_expected() {
    // An unquoted expression: one argument was expected.
    let err = usage_error(&["eval", "x", "-1"]);
    assert!(err.contains("unexpected argument '-1'"), "{err}");
    assert!(err.contains("takes one argument, EXPR"), "{err}");
    assert!(err.contains("`gauge eval 'x -1'`"), "{err}");
    assert!(err.contains("`--assume=-1>x`"), "{err}");
    assert!(!err.contains("'-- -1'"), "clap's tip does not fit: {err}");
    with_snapshots(|| insta::assert_snapshot!("cli_args__unquoted_expression", err));
    let err = usage_error(&["eval", "-x", "+", "1"]);
    assert!(err.contains("quoted whole"), "{err}");
    // A value for an option that does not take one starting with `-`.
    let err = usage_error(&["grad", "x^2", "--index", "-i"]);
    assert!(err.contains("`--index=-i`"), "{err}");
    let err = usage_error(&["diff", "x^2", "--order", "-1"]);
    assert!(
        err.contains("`--order` expects a value (K), which cannot start with `-`"),
        "{err}"
    );
    // A file whose name starts with `-`.
    let err = usage_error(&["prove", "-x.gauge"]);
    assert!(err.contains("`./-x.gauge`"), "{err}");
    // A misspelt option keeps clap's suggestion.
    let err = usage_error(&["diff", "x^2", "--cs"]);
    assert!(err.contains("'--cse'"), "{err}");
}

#[test]
fn an_at_sign_reads_the_expression_from_a_file() {
    let dir = std::env::temp_dir().join(format!("gauge-at-expr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join("sum.txt");
    // A file's trailing newline is not part of the expression.
    std::fs::write(&path, "sin(x0)*y0 + sin(x1)*y1\n").expect("the expression file");
    let at = format!("@{}", path.display());
    assert_eq!(
        ok(&["diff", &at, "--wrt", "x1"]),
        ok(&["diff", "sin(x0)*y0 + sin(x1)*y1", "--wrt", "x1"])
    );
    assert_eq!(
        ok(&["latex", &at]),
        ok(&["latex", "sin(x0)*y0 + sin(x1)*y1"])
    );
    let missing = format!("@{}", dir.join("missing.txt").display());
    let e = usage_error(&["simplify", &missing]);
    assert!(
        e.contains("cannot read") && e.contains("missing.txt"),
        "{e}"
    );
    let e = usage_error(&["simplify", "@"]);
    assert!(e.contains("names no file"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}
