//! Reductions over a vector: `max(j, body)`, `min(j, body)`, their one-argument forms,
//! and `argmax`/`argmin` as indices. They evaluate (the first extreme at ties), print
//! in the form they were written and read back, differentiate as the element the
//! position names, and prove the stability shifts of softmax and logsumexp.

use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;

use crate::common::{gauge, stderr, stdout, verdicts};

fn value(text: &str, at: &str) -> Result<f64, String> {
    let mut s = Workspace::with_prelude().map_err(|e| e.message.to_string())?;
    let e = s
        .parse_expression(text)
        .map_err(|e| e.message.to_string())?;
    let b = s.parse_bindings(at).map_err(|e| e.message.to_string())?;
    s.eval(e, &b).map_err(|e| e.message.to_string())
}

fn printed(text: &str) -> String {
    let mut s = Workspace::with_prelude().expect("the prelude loads");
    let e = s.parse_expression(text).expect("the expression parses");
    let out = s.print(e);
    // The printed form reads back as the same expression.
    let again = s.parse_expression(&out).expect("the printed form parses");
    assert_eq!(e, again, "`{out}` does not read back as `{text}`");
    out
}

const AT: &str =
    "z=[0.5, 2.5, -1, 2.5], w=[10, 20, 30, 40], c=1.5, W=[[1, 2], [3, -4], [5, 6], [-7, 8]], k=1";

#[test]
fn reductions_take_the_first_extreme() {
    assert_eq!(value("max(j, z[j])", AT), Ok(2.5));
    assert_eq!(value("max(z)", AT), Ok(2.5));
    assert_eq!(value("min(j, z[j] - c)", AT), Ok(-2.5));
    // Two elements tie for the largest: the first one's position is taken.
    assert_eq!(value("w[argmax(z)]", AT), Ok(20.0));
    assert_eq!(value("w[argmin(j, -z[j])]", AT), Ok(20.0));
    assert_eq!(value("sum(i, delta(i, argmin(z))*w[i])", AT), Ok(30.0));
    // A body over a free index and a matrix.
    assert_eq!(value("max(j, W[j, k]*z[j])", AT), Ok(20.0));
    assert_eq!(value("sum(m, max(j, W[j, m]))", AT), Ok(13.0));
    // The two-value `max(a, b)` is still the prelude's.
    assert_eq!(value("max(c, 2) + min(c, 2)", AT), Ok(3.5));
}

#[test]
fn reductions_print_as_written_and_read_back() {
    assert_eq!(printed("max(j, z[j] - c)"), "max(j, z[j] - c)");
    assert_eq!(printed("max(j, z[j])"), "max(z)");
    assert_eq!(printed("min(j, 2*z[j])"), "min(j, 2*z[j])");
    assert_eq!(printed("max(Z[n, :])"), "max(Z[n, :])");
    assert_eq!(printed("w[argmax(z)]"), "w[argmax(z)]");
    assert_eq!(
        printed("delta(i, argmax(j, w[j]*z[j]))"),
        "delta(i, argmax(j, w[j]*z[j]))"
    );
    // A bound index of the same name around it is renamed apart.
    assert_eq!(
        printed("sum(k, max(j, z[j]*W[j, k]))"),
        "sum(j, max(k, W[k, j]*z[k]))"
    );
    assert_eq!(
        printed("softmax(z - max(j, z[j]))[i]"),
        "softmax(z - max(z))[i]"
    );
}

#[test]
fn reductions_print_in_latex() {
    let o = gauge(&["latex", "max(j, z[j] - c) + z[argmin(z)]"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let tex = stdout(&o);
    assert!(tex.contains("\\max_j (z_j - c)"), "{tex}");
    assert!(tex.contains("\\operatorname*{arg\\,min}(z)"), "{tex}");
}

#[test]
fn a_maximum_differentiates_as_its_largest_element() {
    let diff = |e: &str| {
        let o = gauge(&["diff", e, "--wrt", "z[i]"]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).trim().to_string()
    };
    assert_eq!(diff("max(j, z[j])"), "delta(i, argmax(z))");
    assert_eq!(
        diff("max(j, 2*z[j] - c)"),
        "2*delta(i, argmax(j, 2*z[j] - c))"
    );
    // Another tensor's element at the position does not vary: its index is held.
    assert_eq!(
        diff("max(j, W[j, k]*z[j])"),
        "W[argmax(j, W[j, k]*z[j]), k]*delta(i, argmax(j, W[j, k]*z[j]))"
    );
    assert_eq!(
        diff("max(j, z[j] + w[j])"),
        "delta(i, argmax(j, w[j] + z[j]))"
    );
    assert_eq!(
        diff("min(j, z[j]^2)"),
        "2*z[argmin(j, z[j]^2)]*delta(i, argmin(j, z[j]^2))"
    );
}

#[test]
fn gradients_through_maxima_pass_the_oracles() {
    // Away from ties, the gradient is the derivative everywhere near the point, and
    // the dual numbers, the complex step and finite differences agree with it.
    let o = gauge(&[
        "check",
        "max(j, W[j, 0]*z[j]) - min(j, z[j]^2) + ln(sum(j, exp(z[j] - max(k, z[k]))))",
        "--wrt",
        "z",
        "--at",
        "z=[0.3, -1.2, 0.8, 2.1], W=[[1, 2], [3, -4], [5, 6], [-7, 8]]",
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn stability_shifts_prove_and_wrong_ones_are_refuted() {
    let v = verdicts(
        "claim softmax(z - max(j, z[j]))[i] = softmax(z)[i]\n\
         claim softmax(z - max(j, z[j])) = softmax(z)\n\
         claim log_softmax(z - max(z)) = log_softmax(z)\n\
         claim logsumexp(z - max(j, z[j])) + max(j, z[j]) = logsumexp(z)\n\
         claim max(j, z[j]) + ln(sum(j, exp(z[j] - max(k, z[k])))) = logsumexp(z)\n\
         claim diff(max(j, z[j]) + ln(sum(j, exp(z[j] - max(k, z[k])))), z[i]) = softmax(z)[i]\n\
         claim cross_entropy(Z[n, :] - max(Z[n, :]), y) = cross_entropy(Z[n, :], y)\n",
    );
    assert!(v.iter().all(|v| v == "proved"), "{v:?}");
    let v = verdicts(
        "claim max(j, z[j]) = z[0]\n\
         claim diff(max(j, z[j]), z[i]) = delta(i, 0)\n\
         claim logsumexp(z - max(j, z[j])) = logsumexp(z)\n\
         claim softmax(z - max(j, z[j]))[i] = softmax(z)[i] - 1e-3\n",
    );
    assert!(v.iter().all(|v| v == "refuted"), "{v:?}");
}

#[test]
fn misused_reductions_are_clear_errors() {
    let err = |e: &str| {
        let o = gauge(&["simplify", e]);
        assert!(!o.status.success(), "`{e}` should fail");
        stderr(&o)
    };
    let m = err("argmax(z) + 1");
    assert!(
        m.contains("gives a position") && m.contains("z[argmax(z)]"),
        "{m}"
    );
    let m = err("W[0, 0] + max(W)");
    assert!(
        m.contains("reduces a vector") && m.contains("max(Z[n, :])"),
        "{m}"
    );
    let m = err("w[argmax(2)]");
    assert!(m.contains("`argmax` takes a vector"), "{m}");
    let o = gauge(&["eval", "max(z)", "--at", "z=[1, 2]"]);
    assert_eq!(stdout(&o).trim(), "2.0");
}
