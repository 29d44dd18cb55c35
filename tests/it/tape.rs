//! The compiled tape agrees with the tree evaluator, shares work, and runs over complex
//! and dual numbers to give derivatives.

use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;
use gauge::numeric::scalar::{Complex, Dual};
use gauge::numeric::tape::{InputRef, Tape};

fn both(expr: &str, at: &str) -> (f64, f64) {
    let mut s = Workspace::with_prelude().unwrap();
    let e = s.parse_expression(expr).unwrap();
    let b = s.parse_bindings(at).unwrap();
    let tree = s.eval(e, &b).unwrap();
    let tape = Tape::compile(&mut s.pool, e).unwrap();
    let inputs = tape.inputs(&s.pool, &b).unwrap();
    (tree, tape.eval(&inputs).unwrap())
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
fn domain_errors_name_the_subexpression() {
    let mut s = Workspace::with_prelude().unwrap();
    let e = s.parse_expression("ln(x - 1) + 2").unwrap();
    let tape = Tape::compile(&mut s.pool, e).unwrap();
    let b = s.parse_bindings("x=0.5").unwrap();
    let err = tape.eval(&tape.inputs(&s.pool, &b).unwrap()).unwrap_err();
    assert!(err.message.contains("ln(x - 1)"), "{}", err.message);
    assert!(err.message.contains("x = 0.5"), "{}", err.message);
}
