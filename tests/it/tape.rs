//! The compiled tape agrees with the reference tree interpreter (values and messages),
//! shares work, and runs over complex and dual numbers to give derivatives.

use crate::common::scalar_expr_text;
use crate::reference;
use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;
use gauge::numeric::scalar::{Complex, Dual};
use gauge::numeric::tape::{InputRef, Tape};
use proptest::prelude::*;

/// The reference interpreter's value, and the tape's (run directly).
fn both(expr: &str, at: &str) -> (f64, f64) {
    let mut s = Workspace::with_prelude().unwrap();
    let e = s.parse_expression(expr).unwrap();
    let b = s.parse_bindings(at).unwrap();
    let tree = reference::eval(&mut s, e, &b).unwrap();
    let tape = Tape::compile(&mut s.pool, e).unwrap();
    let inputs = tape.inputs(&s.pool, &b).unwrap();
    (tree, tape.eval(&inputs).unwrap())
}

/// What the library's evaluation (the tape) and the reference interpreter give.
fn library_and_reference(
    expr: &str,
    at: &str,
) -> (
    Result<f64, gauge::diag::error::Error>,
    Result<f64, gauge::diag::error::Error>,
) {
    library_and_reference_with("let h(z) = q*z[0]\nlet g(u, v) = ln(u) + 1/v", expr, at)
}

#[test]
fn the_tape_agrees_with_the_tree_evaluator() {
    for (expr, at) in [
        ("cross_entropy(z, y)", "z=[2.1, 1.8, 0.2, -1.5], y=0"),
        (
            "softmax(z)[i]*log_softmax(z)[k]",
            "z=[1, -2, 0.5], i=2, k=0",
        ),
        (
            "sum(i, k, W[i, k]*x[k])^2 + sigmoid(b)",
            "W=[[1, 2], [3, 4]], x=[0.5, -1], b=0.3",
        ),
        ("eml(x, y)^(x/2) + erf(x)*atan(y)", "x=0.7, y=2.5"),
        ("mse(p, t) + len(p)", "p=[1, 2, 3], t=[1, 2, 5]"),
        (
            "sum(j, z[j]*sum(k, W[j, k]))",
            "z=[1, 2], W=[[1, 2, 3], [4, 5, 6]]",
        ),
    ] {
        let (tree, tape) = both(expr, at);
        assert!(
            (tree - tape).abs() <= 1e-14 * tree.abs().max(1.0),
            "{expr}: {tree} vs {tape}"
        );
    }
}

#[test]
fn the_library_evaluates_exactly_as_the_reference_does() {
    for (expr, at) in [
        ("cross_entropy(z, y)", "z=[2.1, 1.8, 0.2, -1.5], y=0"),
        ("mse(p, t)", "p=[1, 2, 3], t=[1, 2, 5]"),
        ("-ln(0.001)", "x=1"),
        ("eml(1, 1)", "x=1"),
        ("sum(i, k, W[i, k]*x[k])", "W=[[1, 2], [3, 4]], x=[0.5, -1]"),
        ("a*b/(c*d)", "a=1e-200, b=1e-200, c=1e-200, d=1e-200"),
        ("x/y*z", "x=1e-200, y=1e-200, z=1e-200"),
        ("x^(2^53 + 1)", "x=-1"),
        ("x^y + x^(-1/2)*y^(1/3)", "x=0.3, y=3"),
        ("x^y", "x=-2, y=3"),
        ("x^y", "x=0, y=0"),
        ("1/x + 1/y + 1/(x*y)", "x=3, y=7"),
        ("logsumexp(z) - z[0]", "z=[2.1, 1.8, 0.2, -1.5]"),
        ("(-1)^(2^53 + 1) + x^(10^100)", "x=-1"),
        (
            "sum(j, z[j])*sum(k, z[k]^2)/len(z)",
            "z=[1e-16, 1, 1e-16, -1]",
        ),
    ] {
        let (tape, tree) = library_and_reference(expr, at);
        let (tape, tree) = (tape.unwrap(), tree.unwrap());
        assert_eq!(
            tape.to_bits(),
            tree.to_bits(),
            "{expr} at {at}: {tape} vs {tree}"
        );
    }
}

#[test]
fn the_library_reports_errors_exactly_as_the_reference_does() {
    for (expr, at) in [
        ("ln(x)", "x=-1"),
        ("ln(x - 1) + 2", "x=0.5"),
        ("sqrt(x)", "x=-4"),
        ("1/x", "x=0"),
        ("1/(x - 1)", "x=1"),
        ("x^(-2)", "x=0"),
        ("asin(x)", "x=2"),
        ("x^(1/3)", "x=-8"),
        ("x^y", "x=-8, y=0.5"),
        ("exp(x)", "x=710"),
        ("x*y", "x=1e200, y=1e200"),
        ("x + y", "x=1e308, y=1e308"),
        ("eml(x, y)", "x=1, y=0"),
        ("g(x, y)", "x=2, y=0"),
        ("g(x, y)", "x=-2, y=1"),
        ("ln(y)", "x=-1, y=-2"),
        ("x + y", ""),
        ("h(z)", "z=[3]"),
        ("softmax(z)[i]", "z=[1, 2], i=2"),
        ("z[i]*w[i]", "z=[1, 2], w=[1, 2, 3], i=0"),
        ("z[0]", "z=5"),
        ("z[i]", "z=[1, 2], i=1.5"),
        ("x", "x=[1, 2]"),
        ("diff(x^2, x)", "x=1"),
        // Inside definitions: the call, its parameters, and the sums running in it.
        ("cross_entropy(z, y)", "z=[1000, 0], y=1"),
        ("softmax(z)[i]", "z=[1000, 0], i=0"),
        ("eml(2*x, y + 1)", "x=1, y=-1"),
        ("sum(j, ln(z[j]))", "z=[1, -1]"),
        ("logsumexp(z)", "z=[1000, 1]"),
        ("sum(j, g(z[j], 1))", "z=[1, -1]"),
        ("softmax(w)[i]", "w=[1, 2], i=2"),
        ("x^y", "x=0, y=-1"),
        ("1e400 + x", ""),
        ("x^(-1/2)", "x=0"),
        ("x^(-1/2)", "x=-1"),
        // A divisor of 0 fails before a later factor that would overflow is computed.
        ("y/(softmax(z)[i]*z[i])", "y=-3, z=[0, 1000], i=0"),
        ("y/(exp(x)*z[i])", "x=800, y=1, z=[0, 1000], i=0"),
    ] {
        let (tape, tree) = library_and_reference(expr, at);
        let (tape, tree) = (tape.unwrap_err(), tree.unwrap_err());
        assert_eq!(tape, tree, "{expr} at {at}");
    }
}

proptest! {
    /// On random expressions, the library's evaluation and the reference interpreter
    /// agree: both give the same value, to the bit, or the same error.
    #[test]
    fn the_tape_agrees_with_the_reference_on_random_expressions(
        text in scalar_expr_text(),
        x in -2.0f64..2.0,
        y in 0.1f64..2.0,
    ) {
        let mut s = Workspace::with_prelude().unwrap();
        let e = s.parse_expression(&text).unwrap();
        let b = s.parse_bindings(&format!("x={x:?}, y={y:?}, z=[0.5, -1.25, 2]")).unwrap();
        let tape = s.eval(e, &b);
        let tree = reference::eval(&mut s, e, &b);
        match (tape, tree) {
            (Ok(a), Ok(r)) => prop_assert!(
                a.to_bits() == r.to_bits(),
                "`{}`: the tape gives {} and the reference {}", text, a, r
            ),
            (Err(a), Err(r)) => prop_assert_eq!(a, r, "`{}`", text),
            (a, r) => prop_assert!(false, "`{}`: the tape gives {:?} and the reference {:?}", text, a, r),
        }
    }
}

#[test]
fn loop_invariant_work_is_hoisted_out_of_sums() {
    // softmax(z)[i] for every i shares the normalizer: compiling the sum of all of them
    // must not put the inner sum inside the outer loop.
    let mut s = Workspace::with_prelude().unwrap();
    let e = s
        .parse_expression("sum(i, exp(z[i])/sum(j, exp(z[j])))")
        .unwrap();
    let tape = Tape::compile(&mut s.pool, e).unwrap();
    let b = s.parse_bindings("z=[1, 2, 3]").unwrap();
    let v = tape.eval(&tape.inputs(&s.pool, &b).unwrap()).unwrap();
    assert!((v - 1.0).abs() < 1e-15);
    assert!(tape.len() < 16, "{} instructions", tape.len());
}

#[test]
fn complex_step_and_dual_numbers_differentiate_through_the_tape() {
    let mut s = Workspace::with_prelude().unwrap();
    let e = s.parse_expression("cross_entropy(z, y) * x^3").unwrap();
    let b = s
        .parse_bindings("z=[2.1, 1.8, 0.2, -1.5], y=0, x=1.5")
        .unwrap();
    let tape = Tape::compile(&mut s.pool, e).unwrap();
    let inputs = tape.inputs(&s.pool, &b).unwrap();
    let z = s.pool.lookup_symbol("z").unwrap();
    let x = s.pool.lookup_symbol("x").unwrap();
    let ce = 0.6511320591048929f64;
    // d/dx: 3 x^2 ce.
    let h = 1e-200;
    let c: Complex = tape
        .run(&inputs, Some((InputRef::Scalar(x), Complex::new(0.0, h))))
        .unwrap();
    assert!((c.im / h - 3.0 * 2.25 * ce).abs() < 1e-13);
    // d/dz[1]: softmax(z)[1] * x^3.
    let d: Dual = tape
        .run(
            &inputs,
            Some((InputRef::Element(z, 1), Dual::new(0.0, 1.0))),
        )
        .unwrap();
    let zs = [2.1f64, 1.8, 0.2, -1.5];
    let total: f64 = zs.iter().map(|v| v.exp()).sum();
    let want = zs[1].exp() / total * 3.375;
    assert!(
        (d.derivative - want).abs() < 1e-14,
        "{} vs {want}",
        d.derivative
    );
}

#[test]
fn long_sums_and_layers_of_exponentials_and_divisions_agree_with_the_reference() {
    // Runs of exponentials and of divisions by one divisor run fused, and sums of 16
    // terms or more in four lanes: the values agree with the reference to the bit, the
    // sum is as accurate as a compensated sum, and the first failing item of a run is
    // the one named.
    let n = 41;
    let exps: Vec<String> = (0..n).map(|k| format!("exp(z{k})")).collect();
    let quotients: Vec<String> = (0..n).map(|k| format!("z{k}/zz")).collect();
    let layers = [
        format!("ln({}) + x", exps.join(" + ")),
        format!("{} + x", quotients.join(" + ")),
    ];
    let mut point: Vec<String> = (0..n)
        .map(|k| format!("z{k}={:?}", (k as f64 * 0.37).sin() * 30.0))
        .collect();
    point.push("zz=3".into());
    point.push("x=1e-3".into());
    let at = point.join(", ");
    for expr in &layers {
        let (tape, tree) = library_and_reference(expr, &at);
        assert_eq!(tape.unwrap().to_bits(), tree.unwrap().to_bits(), "{expr}");
    }
    // Terms that cancel: 1e16 + 1 - 1e16 + ... leaves exactly the small ones.
    let big: Vec<String> = (0..24)
        .map(|k| if k % 2 == 0 { "1e16*x" } else { "-1e16*x" }.to_string())
        .chain((0..8).map(|_| "y".to_string()))
        .collect();
    let (tape, tree) = library_and_reference(&big.join(" + "), "x=1.5, y=0.125");
    assert_eq!(tape.as_ref().unwrap().to_bits(), tree.unwrap().to_bits());
    assert_eq!(tape.unwrap(), 1.0);
    // An exponential that overflows in the middle of a run, and a zero divisor of a run.
    for (expr, at, says) in [
        (
            &layers[0],
            at.replace("z7=", "z7=800, w="),
            "`exp(z7)` is undefined",
        ),
        (
            &layers[1],
            at.replace("zz=3", "zz=0"),
            "it divides by `zz`, which is 0",
        ),
    ] {
        let (tape, tree) = library_and_reference(expr, &at);
        let (tape, tree) = (tape.unwrap_err(), tree.unwrap_err());
        assert!(tape.message.contains(says), "{}", tape.message);
        assert_eq!(tape, tree, "{at}");
    }
}

#[test]
fn domain_errors_name_the_subexpression() {
    let mut s = Workspace::with_prelude().unwrap();
    let e = s.parse_expression("ln(x - 1) + 2").unwrap();
    let tape = Tape::compile(&mut s.pool, e).unwrap();
    let b = s.parse_bindings("x=0.5").unwrap();
    let err = tape.eval(&tape.inputs(&s.pool, &b).unwrap()).unwrap_err();
    assert!(err.message.contains("ln(x - 1)"), "{}", err.message);
    assert!(err.message.contains("x = 0.5"), "{}", err.message);
}

/// The scalar types' own derivatives agree: the complex step against dual numbers.
mod scalars {
    use gauge::expr::node::Func;
    use gauge::numeric::scalar::*;

    #[test]
    fn complex_step_gives_derivatives() {
        let h = 1e-200;
        for f in Func::ALL {
            let x = 0.37;
            let c = Complex::new(x, h).apply(f);
            let d = Dual::new(x, 1.0).apply(f);
            assert!(
                (c.im / h - d.derivative).abs() <= 1e-12 * (1.0 + d.derivative.abs()),
                "{}: complex step {} vs dual {}",
                f.name(),
                c.im / h,
                d.derivative
            );
        }
    }
}

/// What the library's evaluation and the reference interpreter give with `defs` loaded
/// (the text of a file, or a path from the repository root when it names one).
pub(crate) fn library_and_reference_with(
    defs: &str,
    expr: &str,
    at: &str,
) -> (
    Result<f64, gauge::diag::error::Error>,
    Result<f64, gauge::diag::error::Error>,
) {
    let mut s = Workspace::with_prelude().unwrap();
    let path = crate::common::root().join(defs);
    let text = if path.is_file() {
        std::fs::read_to_string(path).unwrap()
    } else {
        defs.to_string()
    };
    s.load_file("defs", &text).unwrap();
    let e = s.parse_expression(expr).unwrap();
    let b = if at.is_empty() {
        gauge::numeric::value::Bindings::new()
    } else {
        s.parse_bindings(at).unwrap()
    };
    (s.eval(e, &b), reference::eval(&mut s, e, &b))
}

#[test]
fn errors_inside_nested_calls_name_the_call_as_its_caller_writes_it() {
    // The reviewer's definitions: calls inside definitions, with tensors and sums.
    let nested = "let f(a, b) = ln(a) + 1/b\n\
                  let g(v) = sum(i, 1/v[i])\n\
                  let h(u) = f(u, u) + sqrt(u)\n\
                  let k(v)[i] = ln(v[i]) * g(v)\n\
                  let f2(u, v) = ln(u - v)\n\
                  let h2(u) = f2(u, u) + 1";
    let attention = "Q=[[1,2]], K=[[1,0]], V=[[1]], G=[[1]], d=0";
    for (defs, expr, at, wanted) in [
        // The call as `P`'s body writes it, with `P`'s indices (hoisted out of every
        // sum, the fault is met on the sums' first pass, at 0).
        (
            "examples/seed.gauge",
            "attention_loss",
            attention,
            "inside `S[i, j]` where i = 0, j = 0",
        ),
        (
            "examples/seed.gauge",
            "attention_loss",
            "Q=[[1,2]], K=[[1,0]], V=[[1]], G=[[1]], d=-2",
            "inside `S[i, j]` where i = 0, j = 0",
        ),
        // The call as `h2`'s body writes it, not the expansion `f2(x, x)`.
        (
            nested,
            "h2(x)",
            "x=1",
            "inside `f2(u, u)` where u = 1, v = 1",
        ),
        (nested, "h(x)", "x=0", "inside `f(u, u)` where a = 0, b = 0"),
        (
            nested,
            "f(h(x), x)",
            "x=0",
            "inside `f(u, u)` where a = 0, b = 0",
        ),
        // The call as `k`'s body writes it, with the sum running inside it.
        (
            nested,
            "k(z)[i]",
            "z=[1, 0], i=1",
            "inside `g(v)` where j = 1",
        ),
        (
            nested,
            "k(z)[i]",
            "z=[1, 0], i=0",
            "inside `g(v)` where j = 1",
        ),
        (
            nested,
            "sum(i, k(z)[i])",
            "z=[1, 0]",
            "inside `g(v)` where j = 1",
        ),
    ] {
        let (tape, tree) = library_and_reference_with(defs, expr, at);
        let (tape, tree) = (tape.unwrap_err(), tree.unwrap_err());
        assert_eq!(tape, tree, "{expr} at {at}");
        assert!(
            tape.message.contains(wanted),
            "{expr} at {at}: `{}` lacks `{wanted}`",
            tape.message
        );
    }
}

/// `gauge check` at a point where the function is undefined: the error's text.
fn check_error(args: &[&str]) -> String {
    let out = crate::common::gauge(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        crate::common::stdout(&out)
    );
    crate::common::stderr(&out)
}

#[test]
fn check_words_a_zero_base_under_a_root_as_a_power_not_a_division() {
    // `1/sqrt(d)` takes a power of `d`; it divides by `sqrt(d)`, never by `d`.
    let err = check_error(&[
        "check",
        "attention_loss",
        "--defs",
        "examples/seed.gauge",
        "--wrt",
        "d",
        "--at",
        "Q=[[1,2]], K=[[1,0]], V=[[1]], G=[[1]], d=0",
    ]);
    assert!(
        err.contains("`1/sqrt(d)` is undefined at ") && err.contains(": 0 to a\n"),
        "{err}"
    );
    assert!(err.contains("non-positive power"), "{err}");
    assert!(!err.contains("divides by"), "{err}");
}

#[test]
fn check_shows_the_point_in_the_order_the_function_reads_its_names() {
    // The scalars, then the tensors, as the expanded function reads them, whatever
    // the order of `--at`: as `check` always showed them.
    let err = check_error(&[
        "check",
        "attention_loss",
        "--defs",
        "examples/seed.gauge",
        "--wrt",
        "d",
        "--at",
        "Q=[[1,2]], K=[[1,0]], V=[[1]], G=[[1]], d=0",
    ]);
    assert!(
        err.contains("at d = 0, G = [[1]], K = [[1, 0]], Q = [[1, 2]], V = [[1]]: "),
        "{err}"
    );
    for at in ["x=2, y=-3", "y=-3, x=2"] {
        let err = check_error(&["check", "ln(x*y)", "--wrt", "x,y", "--at", at]);
        assert!(err.contains("undefined at x = 2, y = -3: "), "{at}: {err}");
    }
}

#[test]
fn a_call_fails_first_where_its_body_as_written_fails_first() {
    let f = "let f(u) = ln(u) + 1/u";
    for (expr, at, wanted) in [
        // Substituting `erf(x)` reorders the body's terms; the body computes `1/u`
        // before `ln(u)`.
        (
            "f(erf(x))",
            "x=0",
            "`1/u` is undefined at x = 0, inside `f(erf(x))` where u = 0: it divides by `u`",
        ),
        // Substituting a product splits `1/u` into `1/x * 1/y`; the body divides by `u`.
        (
            "f(x*y)",
            "x=0, y=1",
            "`1/u` is undefined at x = 0, y = 1, inside `f(x*y)` where u = 0: it divides by `u`",
        ),
        (
            "f(x^2)",
            "x=0",
            "`1/u` is undefined at x = 0, inside `f(x^2)` where u = 0: it divides by `u`",
        ),
        // Substituting folds `1/u` into 1e320, beyond f64: computing it overflows.
        (
            "f(1e-320)",
            "",
            "where u = 1e-320: its value overflows the range of f64",
        ),
    ] {
        let (tape, tree) = library_and_reference_with(f, expr, at);
        let (tape, tree) = (tape.unwrap_err(), tree.unwrap_err());
        assert_eq!(tape, tree, "{expr} at {at}");
        assert!(
            tape.message.starts_with("`1/u` is undefined"),
            "{}",
            tape.message
        );
        assert!(
            tape.message.contains(wanted),
            "{expr} at {at}: `{}` lacks `{wanted}`",
            tape.message
        );
    }
}
