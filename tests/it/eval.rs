//! Floating-point evaluation: values to full precision, tensors and calls, and domain
//! errors instead of NaN.

use gauge::diag::error::ErrorKind;
use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;

fn eval(expr: &str, at: &str) -> Result<f64, gauge::diag::error::Error> {
    let mut s = Workspace::with_prelude().unwrap();
    let id = s.parse_expression(expr)?;
    let b = if at.is_empty() {
        gauge::numeric::value::Bindings::new()
    } else {
        s.parse_bindings(at)?
    };
    s.eval(id, &b)
}

fn close(expr: &str, at: &str, want: f64) {
    let v = eval(expr, at).unwrap_or_else(|e| panic!("{expr} at {at}: {e:?}"));
    let tol = 4.0 * f64::EPSILON * want.abs().max(1e-300);
    assert!((v - want).abs() <= tol, "{expr} at {at}: {v} != {want}");
}

fn domain(expr: &str, at: &str, mentions: &[&str]) {
    let e = eval(expr, at).expect_err("a domain error");
    assert_eq!(e.kind, ErrorKind::Domain, "{expr}: {e:?}");
    for m in mentions {
        assert!(e.message.contains(m), "{expr}: `{}` lacks `{m}`", e.message);
    }
}

#[test]
fn scalars_and_constants() {
    close("eml(x, y)", "x=0.5, y=2", 0.5f64.exp() - 2f64.ln());
    close("x", "x=pi/2", std::f64::consts::FRAC_PI_2);
    close("x", "x=1e-12", 1e-12);
    close("sqrt(2)", "", std::f64::consts::SQRT_2);
    close("erf(1)", "", 0.842_700_792_949_714_9);
    close("log(2, 8)", "", 3.0);
    close("σ*2", "σ=0.25", 0.5);
    close("acos(0)", "", std::f64::consts::FRAC_PI_2);
}

#[test]
fn the_prelude_bodies_of_builtins_agree_with_the_builtins() {
    let mut s = Workspace::with_prelude().unwrap();
    for name in ["sigmoid", "softplus", "tanh"] {
        let def = s.scope.defs[name];
        let body = s.pool.definition(def).body;
        let builtin = s.parse_expression(&format!("{name}(x)")).unwrap();
        for x in [-3.0, -0.5, 0.0, 0.7, 4.0] {
            let b = s.parse_bindings(&format!("x={x:?}")).unwrap();
            let v1 = s.eval(body, &b).unwrap();
            let v2 = s.eval(builtin, &b).unwrap();
            assert!(
                (v1 - v2).abs() <= 1e-15 * v2.abs().max(1.0),
                "{name}({x}): {v1} vs {v2}"
            );
        }
    }
}

#[test]
fn stable_builtins_do_not_overflow() {
    close("sigmoid(x)", "x=-800", 0.0f64.max((-800f64).exp()));
    close("sigmoid(x)", "x=800", 1.0);
    close("softplus(x)", "x=800", 800.0);
    close("softplus(x)", "x=-800", (-800f64).exp());
}

#[test]
fn tensors_sums_and_calls() {
    close(
        "cross_entropy(z, y)",
        "z=[2.1, 1.8, 0.2, -1.5], y=0",
        0.6511320591048929,
    );
    close(
        "logsumexp(z) - z[0]",
        "z=[2.1, 1.8, 0.2, -1.5]",
        0.6511320591048929,
    );
    close("sum(i, k, W[i, k])", "W=[[1, 2, 3], [4, 5, 6]]", 21.0);
    close("len(W, 1)*len(W)", "W=[[1, 2, 3], [4, 5, 6]]", 6.0);
    close("log_softmax(z)[k]", "z=[1, 1], k=1", -(2f64.ln()));
    close("dot(a, b)", "a=[1, 2, 3], b=[4, 5, 6]", 32.0);
    close("delta(i, k) + delta(i, 1)", "i=1, k=1", 2.0);
}

#[test]
fn tensor_valued_calls_are_passed_as_arguments() {
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file("defs", "let logits(W, x)[i] = sum(k, W[i, k]*x[k])")
        .unwrap();
    let id = s.parse_expression("softmax(logits(W, x))[i]").unwrap();
    let b = s
        .parse_bindings("W=[[1, 0], [0, 1], [1, 1]], x=[1, 2], i=2")
        .unwrap();
    let v = s.eval(id, &b).unwrap();
    let (a, bb, c) = (1f64.exp(), 2f64.exp(), 3f64.exp());
    assert!((v - c / (a + bb + c)).abs() < 1e-15, "{v}");
}

#[test]
fn long_sums_are_compensated() {
    // 1 + 1e-16 ten thousand times: naive summation loses every small term.
    let mut s = Workspace::with_prelude().unwrap();
    let id = s.parse_expression("sum(j, z[j])").unwrap();
    let mut values = vec!["1".to_string()];
    values.extend(std::iter::repeat_n("1e-16".to_string(), 10_000));
    let b = s
        .parse_bindings(&format!("z=[{}]", values.join(", ")))
        .unwrap();
    let v = s.eval(id, &b).unwrap();
    assert!((v - (1.0 + 1e-12)).abs() < 1e-15, "{v}");
}

#[test]
fn leaving_a_domain_is_an_error_naming_the_point() {
    domain("ln(x)", "x=-1", &["`ln(x)`", "x = -1"]);
    domain("ln(x)", "x=0", &["`ln(x)`"]);
    domain("sqrt(x)", "x=-4", &["sqrt", "-4"]);
    domain("1/x", "x=0", &["divides by `x`"]);
    domain("x^(-2)", "x=0", &["divides by"]);
    domain("asin(x)", "x=2", &["[-1, 1]"]);
    domain("x^(1/3)", "x=-8", &["negative base"]);
    domain("exp(x)", "x=710", &["overflows"]);
    domain("cross_entropy(z, y)", "z=[1000, 0], y=1", &["softmax"]);
}

#[test]
fn bad_bindings_are_binding_errors() {
    for (expr, at) in [
        ("x", ""),
        ("z[i]", "z=[1, 2], i=1.5"),
        ("z[i]", "z=[1, 2], i=-1"),
        ("z[i]", "z=[1, 2], i=5"),
        ("x", "x=[1, 2]"),
        ("x", "x=1, x=2"),
        ("x", "x=y"),
        ("z[0]", "z=[]"),
        ("W[0, 0]", "W=[1, [2]]"),
    ] {
        let e = eval(expr, at).expect_err("an error");
        assert_eq!(e.kind, ErrorKind::Binding, "{expr} at {at}: {e:?}");
    }
}

#[test]
fn unevaluated_derivatives_say_so() {
    let e = eval("diff(x^2, x)", "x=1").expect_err("not yet taken");
    assert_eq!(e.kind, ErrorKind::Unsupported);
}

#[test]
fn tensor_arguments_that_depend_on_a_summed_index_are_recomputed() {
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file(
        "defs",
        "let row(W, i)[k] = W[i, k]\nlet rr(W)[i] = norm2(row(W, i))",
    )
    .unwrap();
    let b = s.parse_bindings("W=[[1, 2], [3, 4]], x=[1, 1]").unwrap();
    for (expr, want) in [
        ("sum(j, dot(row(W, j), x))", 10.0),
        ("sum(j, norm2(row(W, j)))", 30.0),
        ("dot(rr(W), x)", 30.0),
        ("rr(W)[1]", 25.0),
    ] {
        let id = s.parse_expression(expr).unwrap();
        assert_eq!(s.eval(id, &b).unwrap(), want, "{expr}");
    }
}

#[test]
fn repeated_calls_with_equal_arguments_are_evaluated_once() {
    // f40 calls f39 twice, and so on: 2^40 calls without sharing, 80 with it.
    let mut text = String::from("let f0(x) = x\n");
    for k in 1..=40 {
        text.push_str(&format!("let f{k}(x) = f{p}(x) + f{p}(x + 1)\n", p = k - 1));
    }
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file("chain", &text).unwrap();
    let id = s.parse_expression("f40(x)").unwrap();
    let b = s.parse_bindings("x=0").unwrap();
    // f_n(0) = n * 2^(n-1).
    assert_eq!(s.eval(id, &b).unwrap(), 40.0 * 2f64.powi(39));
}

#[test]
fn huge_odd_powers_keep_their_sign() {
    close("(-1)^(2^53 + 1)", "", -1.0);
    close("x^(2^53 + 1)", "x=-1", -1.0);
    close("x^(10^100)", "x=-1", 1.0);
}

#[test]
fn products_of_tiny_and_huge_factors_do_not_overflow_midway() {
    close("a*b/(c*d)", "a=1e-200, b=1e-200, c=1e-200, d=1e-200", 1.0);
    close("a*b/(c*d)", "a=1e200, b=1e200, c=1e200, d=1e200", 1.0);
    close("x/y*z", "x=1e-200, y=1e-200, z=1e-200", 1e-200);
}

#[test]
fn numbers_beyond_f64_are_errors_not_infinities() {
    let e = eval("1e400", "").expect_err("too large");
    assert!(e.message.contains("1.000e400"), "{}", e.message);
    let e = eval("x", "x=1e400").expect_err("too large");
    assert!(
        e.message.contains("beyond the range of f64"),
        "{}",
        e.message
    );
    let e = eval("z[0]", "z=[1, 2^2000]").expect_err("too large");
    assert!(
        e.message.contains("beyond the range of f64"),
        "{}",
        e.message
    );
}

#[test]
fn constants_and_functions_cannot_be_bound() {
    for at in ["pi=3", "e=2", "exp=1", "softmax=[1, 2]"] {
        let e = eval("1", at).expect_err("not a variable");
        assert_eq!(e.kind, ErrorKind::Binding, "{at}");
    }
}

#[test]
fn domain_errors_show_only_the_names_used() {
    let e = eval("ln(y)", "x=-1, y=-2").expect_err("domain");
    assert!(e.message.contains("y = -2"), "{}", e.message);
    assert!(!e.message.contains("x = -1"), "{}", e.message);
}

#[test]
fn globals_used_inside_definitions_need_values() {
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file("defs", "let h(z) = x*z[0]").unwrap();
    let id = s.parse_expression("h(z)").unwrap();
    assert_eq!(s.names_used(id).len(), 2);
    let b = s.parse_bindings("z=[3]").unwrap();
    let e = s.eval(id, &b).expect_err("x has no value");
    assert!(e.message.contains("no value for `x`"), "{}", e.message);
    let b = s.parse_bindings("z=[3], x=2").unwrap();
    assert_eq!(s.eval(id, &b).unwrap(), 6.0);
}

#[test]
fn a_sum_whose_index_shadows_a_definition_index_is_evaluated_per_value() {
    // The sum's canonical bound index is `j`, the same name as P's second index.
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file("defs", "let P[i, j] = exp(X[i, j]) / sum(m, exp(X[i, m]))")
        .unwrap();
    let b = s.parse_bindings("X=[[0, 1, 2], [1, 1, 1]]").unwrap();
    let total: f64 = (0..3).map(|k| (k as f64).exp()).sum();
    for (expr, want) in [
        ("P[0, 0]", 1.0 / total),
        ("P[0, 2]", 2f64.exp() / total),
        ("P[1, 1]", 1.0 / 3.0),
        ("sum(k, P[0, k])", 1.0),
    ] {
        let id = s.parse_expression(expr).unwrap();
        let v = s.eval(id, &b).unwrap();
        assert!((v - want).abs() < 1e-15, "{expr}: {v} != {want}");
    }
}

#[test]
fn one_compilation_evaluates_many_points() {
    let mut s = Workspace::with_prelude().unwrap();
    let id = s.parse_expression("cross_entropy(z, y)*x").unwrap();
    let compiled = gauge::numeric::Compiled::new(&mut s, id);
    for (at, ok) in [
        ("z=[2.1, 1.8, 0.2, -1.5], y=0, x=1", true),
        ("z=[1, 2], y=1, x=-3", true),
        ("z=[1, 2], y=5, x=1", false),
        ("z=[1, 2], y=1", false),
    ] {
        let b = s.parse_bindings(at).unwrap();
        let once = compiled.eval(&mut s, &b);
        assert_eq!(once, s.eval(id, &b), "{at}");
        assert_eq!(once.is_ok(), ok, "{at}: {once:?}");
    }
}

#[test]
fn calls_are_evaluated_as_written_not_cancelled() {
    // Expanded, the two ln(x) terms would cancel; as written, each call needs x > 0.
    domain(
        "eml(y, x) - eml(1, x)",
        "x=0, y=1",
        &["`ln(y)`", "inside `eml("],
    );
    // An argument is evaluated even where the body does not use it.
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file("defs", "let first(a, b) = a").unwrap();
    let id = s.parse_expression("first(x, ln(y))").unwrap();
    let b = s.parse_bindings("x=1, y=-1").unwrap();
    let e = s.eval(id, &b).expect_err("ln(y) is undefined");
    assert_eq!(e.kind, ErrorKind::Domain);
    assert!(
        e.message.starts_with("`ln(y)` is undefined"),
        "{}",
        e.message
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    #[test]
    fn a_number_reads_as_the_nearest_double(bits in proptest::prelude::any::<u64>()) {
        // Every finite normal double, written shortest-round-trip as Rust writes it,
        // reads back as exactly that double: the decimal is exact, and its conversion
        // to f64 rounds once, to nearest.
        let x = f64::from_bits(bits);
        proptest::prop_assume!(x.is_normal());
        let mut s = Workspace::new();
        let id = s.parse_expression("x").unwrap();
        let at = s.parse_bindings(&format!("x={x:?}")).unwrap();
        let got = s.eval(id, &at).unwrap();
        proptest::prop_assert_eq!(got.to_bits(), x.to_bits(), "{:?} read as {:?}", x, got);
    }
}
