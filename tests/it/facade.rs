//! The library facade: the API the issue promises, results that outlive later calls,
//! one error type with resolved spans, and renderings the command line prints as they
//! are.

use gauge::options::{CheckOptions, DiffOptions, GradOptions, Output, ProveOptions};
use gauge::{ErrorKind, Format, Session, Verdict};

use crate::common::{gauge, stdout};

#[test]
fn the_issue_example_works_as_written() -> Result<(), gauge::Error> {
    let mut s = Session::new();
    s.load("let f(x) = x^3\nassume p > 0")?;
    let d = s.diff("cross_entropy(z, y)", "z[i]")?;
    assert_eq!(d.to_string(), "softmax(z)[i] - delta(i, y)");
    assert_eq!(d.latex(), r"\operatorname{softmax}(z)_i - \delta_{iy}");
    let g = s.grad("eml(x, y)", &["x", "y"])?;
    let g: Vec<String> = g.iter().map(|e| e.to_string()).collect();
    assert_eq!(g, ["exp(x)", "-1/y"]);
    let h = s.hessian("logsumexp(z)", "z")?;
    assert_eq!(h.to_string(), "softmax(z)[i]*(delta(i, k) - softmax(z)[k])");
    assert_eq!(s.simplify("ln(exp(x))")?.to_string(), "x");
    assert_eq!(s.eval("eml(1, 1)", &[])?, std::f64::consts::E);
    let c = s.prove("diff(eml(x, y), y) = -1/y")?;
    assert_eq!(c.verdict(), Verdict::Proved);
    let r = s.check("cross_entropy(z, y)", &["z"])?;
    assert!(r.passed());
    Ok(())
}

#[test]
fn expressions_stay_usable_after_later_calls() -> Result<(), gauge::Error> {
    let mut s = Session::new();
    let d = s.diff("eml(x, y)", "y")?;
    let derivation = s.diff_with("x^3", "x", &DiffOptions::new())?;
    // Later calls add names, definitions and expressions to the session.
    s.load("let g(t) = t^2")?;
    s.diff("g(z[i])", "z[k]")?;
    assert_eq!(d.to_string(), "-1/y");
    assert_eq!(d.latex(), r"-\frac{1}{y}");
    assert_eq!(derivation.to_string(), "3*x^2");
    assert_eq!(d, s.parse("-1/y")?);
    Ok(())
}

#[test]
fn statements_persist_and_the_names_of_a_query_are_its_own() -> Result<(), gauge::Error> {
    let mut s = Session::new();
    s.load("let sq(x) = x*x")?;
    s.assume("p > 0")?;
    assert_eq!(s.diff("sq(p)", "p")?.to_string(), "2*p");
    assert_eq!(s.simplify("ln(p^2)")?.to_string(), "2*ln(p)");
    // `y` is an index here and a scalar below.
    s.diff("cross_entropy(z, y)", "z[i]")?;
    assert_eq!(s.diff("eml(x, y)", "y")?.to_string(), "-1/y");
    // A kind fixed by a statement holds for later queries.
    s.load("assume w[j] > 0")?;
    let e = s.parse("w + 1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Shape);
    Ok(())
}

#[test]
fn errors_carry_resolved_spans() {
    let mut s = Session::new();
    let e = s.diff("eml(x, y) +", "x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Syntax);
    let at = &e.labels()[0];
    assert_eq!((at.file(), at.line(), at.column()), ("<input>", 1, 12));
    assert_eq!(at.source_line(), "eml(x, y) +");
    let e = s
        .load_named("a.gauge", "let f(x) = x\nlet g(x) = q(x)")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Name);
    let at = &e.labels()[0];
    assert_eq!(
        (at.file(), at.line(), at.source_line()),
        ("a.gauge", 2, "let g(x) = q(x)")
    );
    assert!(e.hint().is_some());
    // An error's JSON is the command line's, byte for byte.
    let out = gauge(&["eval", "x +", "--format", "json"]);
    let e = s.parse("x +").unwrap_err();
    assert_eq!(stdout(&out), format!("{}\n", e.to_json()));
}

#[test]
fn limits_and_misuse_are_errors() {
    let mut s = Session::new();
    let order = DiffOptions::new().with_order(0);
    assert_eq!(
        s.diff_with("x", "x", &order).unwrap_err().kind(),
        ErrorKind::Limit
    );
    let one = GradOptions::new().with_index(&["i"]);
    assert_eq!(
        s.hessian_with("logsumexp(z)", "z", &one)
            .unwrap_err()
            .kind(),
        ErrorKind::Arity
    );
    assert_eq!(
        s.prove("x = x\nclaim y = y").unwrap_err().kind(),
        ErrorKind::Unsupported
    );
    assert_eq!(
        s.eval("ln(x)", &[("x", -1.0)]).unwrap_err().kind(),
        ErrorKind::Domain
    );
    // A check or gradient by no variable would pass having looked at nothing.
    assert_eq!(s.check("x^2", &[]).unwrap_err().kind(), ErrorKind::Name);
    assert_eq!(s.grad("x^2", &[]).unwrap_err().kind(), ErrorKind::Name);
    // A binding's name is one name: text that would bind a second one is refused.
    let e = s.eval("x + y", &[("x=5, y", 1.0)]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Binding);
    assert_eq!(s.eval("x + y", &[("x", 5.0), ("y", 1.0)]).unwrap(), 6.0);
    assert_eq!(s.eval("2*α", &[("α", 1.5)]).unwrap(), 3.0);
}

#[test]
fn claims_end_with_each_verdict() -> Result<(), gauge::Error> {
    let mut s = Session::new();
    assert_eq!(s.prove("x = x + 1")?.verdict(), Verdict::Refuted);
    assert_eq!(s.prove("ln(-1 - x^2) = 0")?.verdict(), Verdict::Error);
    s.load("claim a: diff(x^2, x) = 2*x\nclaim b: x = 1 + x")?;
    let proofs = s.prove_all(&ProveOptions::new().with_verify(true));
    let verdicts: Vec<Verdict> = proofs.claims().iter().map(|c| c.verdict()).collect();
    assert_eq!(verdicts, [Verdict::Proved, Verdict::Refuted]);
    assert_eq!(proofs.claims()[0].name(), Some("a"));
    assert!(proofs.any(Verdict::Refuted) && !proofs.any(Verdict::Error));
    Ok(())
}

#[test]
fn warnings_are_taken_once() -> Result<(), gauge::Error> {
    let mut s = Session::new();
    s.load("let softmax(z)[i] = z[i]")?;
    s.eval_at("z[0]", "z=[1, 2], q=2")?;
    let w = s.take_warnings();
    assert_eq!(w.len(), 2);
    assert!(w[0].message().contains("shadows the prelude"));
    assert_eq!(w[1].labels()[0].file(), "<bindings>");
    assert!(s.take_warnings().is_empty());
    Ok(())
}

/// The command line prints what the facade renders: one command per case.
#[test]
fn the_command_line_prints_the_facade_renderings() -> Result<(), gauge::Error> {
    let mut s = Session::new();
    let steps = |f: Format| Output::new(f).with_steps(true);
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec![
                "diff",
                "cross_entropy(z, y)",
                "--wrt",
                "z[i]",
                "--steps",
                "--format",
                "latex",
            ],
            s.diff_with("cross_entropy(z, y)", "z[i]", &DiffOptions::new())?
                .render(&steps(Format::Latex)),
        ),
        (
            vec!["grad", "eml(x, y)", "--wrt", "x,y", "--format", "json"],
            s.grad_with("eml(x, y)", &["x", "y"], &GradOptions::new())?
                .render(&Output::new(Format::Json)),
        ),
        (
            vec!["simplify", "diff(x^3, x)", "--steps", "--format", "json"],
            s.simplify_with_steps("diff(x^3, x)")?
                .render(&steps(Format::Json)),
        ),
        (
            vec!["eval", "1/3", "--format", "json"],
            s.eval_at("1/3", "")?.render(&Output::new(Format::Json)),
        ),
        (
            vec![
                "check",
                "eml(x, y)",
                "--wrt",
                "x,y",
                "--grad",
                "exp(x), 1/y",
            ],
            s.check_with(
                "eml(x, y)",
                &["x", "y"],
                &CheckOptions::new().with_grad("exp(x), 1/y"),
            )?
            .render(&Output::new(Format::Text)),
        ),
        (
            vec!["latex", "softmax(z)[i] - delta(i, y)", "--standalone"],
            s.parse("softmax(z)[i] - delta(i, y)")?
                .render(&Output::new(Format::Latex).with_standalone(true)),
        ),
    ];
    for (args, rendered) in cases {
        assert_eq!(stdout(&gauge(&args)), rendered, "gauge {args:?}");
    }
    Ok(())
}
