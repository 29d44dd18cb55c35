//! The simplifier's conditional rules fire only on proved conditions, and its
//! unconditional identities hold. Expectations are stated in the input language.

use gauge::lower::workspace::Workspace;

/// Simplifies `input` under the facts `assume` (one `assume` statement per fact).
fn simplify(input: &str, assume: &[&str]) -> String {
    let mut s = Workspace::with_prelude().unwrap();
    for fact in assume {
        s.load_file("<assume>", &format!("assume {fact}")).unwrap();
    }
    let e = s.parse_expression(input).unwrap();
    let (e, _) = gauge::calculus::derivation::take_derivatives(&mut s.pool, e).unwrap();
    let defs = s.definitions_in_order();
    let facts = s.facts.clone();
    let mut simp =
        gauge::simplify::simplifier::Simplifier::new(&mut s.pool, defs).with_facts(facts);
    let r = simp.simplify(e);
    s.print(r)
}

fn canonical(text: &str) -> String {
    let mut s = Workspace::with_prelude().unwrap();
    let e = s.parse_expression(text).unwrap();
    s.print(e)
}

fn gives(input: &str, assume: &[&str], want: &str) {
    assert_eq!(
        simplify(input, assume),
        canonical(want),
        "{input} under {assume:?}"
    );
}

#[test]
fn logarithms_of_powers_need_a_positive_base() {
    gives("ln(x^2)", &[], "ln(x^2)");
    gives("ln(x^2)", &["x > 0"], "2*ln(x)");
    gives("ln(x^2)", &["x >= 1"], "2*ln(x)");
    gives("ln(x^2)", &["x != 0"], "ln(x^2)");
    gives("ln(x^a)", &["x > 0"], "a*ln(x)");
}

#[test]
fn square_roots_of_squares_are_absolute_values() {
    gives("sqrt(x^2)", &[], "abs(x)");
    gives("sqrt(x^2)", &["x > 0"], "x");
    gives("sqrt(x^2)", &["x < 0"], "-x");
    gives("(x^4)^(1/4)", &[], "abs(x)");
}

#[test]
fn exponentials_and_logarithms() {
    gives("ln(exp(x))", &[], "x");
    gives("exp(ln(x))", &[], "exp(ln(x))");
    gives("exp(ln(x))", &["x > 0"], "x");
    gives("exp(2*ln(x) + y)", &["x > 0"], "x^2*exp(y)");
    gives("ln(2*x*y)", &["x > 0", "y > 0"], "ln(2) + ln(x) + ln(y)");
    gives("ln(2*x*y)", &["x > 0"], "ln(2*x*y)");
    gives("exp(ln(1 + exp(x)))", &[], "1 + exp(x)");
}

#[test]
fn powers_of_powers_need_a_positive_base() {
    gives("(x^a)^b", &[], "(x^a)^b");
    gives("(x^a)^b", &["x > 0"], "x^(a*b)");
    gives("(x^2)^(1/3)", &[], "(x^2)^(1/3)");
}

#[test]
fn always_positive_expressions_need_no_facts() {
    gives("abs(exp(x))", &[], "exp(x)");
    gives("abs(sigmoid(x))", &[], "sigmoid(x)");
    gives("abs(x^2 + 1)", &[], "x^2 + 1");
    gives("sqrt(exp(x)^2)", &[], "exp(x)");
    gives("abs(sum(j, exp(z[j])))", &[], "sum(j, exp(z[j]))");
}

#[test]
fn trigonometric_and_hyperbolic_identities() {
    gives("sin(x)^2 + cos(x)^2", &[], "1");
    gives("2*y*sin(3*x)^2 + 2*y*cos(3*x)^2 + 1", &[], "1 + 2*y");
    gives("cosh(x)^2 - sinh(x)^2", &[], "1");
    gives("sin(x)^2 + cos(y)^2", &[], "sin(x)^2 + cos(y)^2");
}

#[test]
fn results_fold_into_definitions() {
    gives("exp(z[i])/sum(j, exp(z[j]))", &[], "softmax(z)[i]");
    gives("1/(1 + exp(-x))", &[], "sigmoid(x)");
    gives("ln(sum(k, exp(w[k])))", &[], "logsumexp(w)");
    gives(
        "2*exp(z[i])/sum(j, exp(z[j])) + 1",
        &[],
        "1 + 2*softmax(z)[i]",
    );
    gives("z[k] - ln(sum(j, exp(z[j])))", &[], "log_softmax(z)[k]");
    // A small scalar definition such as eml is not folded.
    gives("exp(x) - ln(y)", &[], "exp(x) - ln(y)");
}

#[test]
fn common_factors_move_out_and_cancel() {
    gives("a*x + a*y", &[], "a*(x + y)");
    gives("(x^2 + x)/x", &[], "1 + x");
    gives("sum(j, delta(i, j)*z[j])", &[], "z[i]");
    gives("sum(j, delta(j, 0)*w[j]*z[j])", &[], "w[0]*z[0]");
    // 2 may lie beyond the axis, so the sum is not contracted: it is 0 when len(z) <= 2.
    gives("sum(j, delta(j, 2)*z[j])", &[], "sum(j, delta(2, j)*z[j])");
    // k indexes w, not z, so it may lie beyond z's axis.
    gives(
        "sum(j, delta(j, k)*z[j]/z[j]) + w[k]",
        &[],
        "sum(j, delta(j, k)*z[j]/z[j]) + w[k]",
    );
}
