//! Derivatives by a named intermediate (the adjoint): `diff(L, h[j])` is the derivative
//! of `L` with `h` taken as an input, through the paths from `h` to `L` only.
//!
//! The numeric tests hold gauge's symbolic adjoints to an independent reverse sweep
//! written here over plain `f64`, which shares no code with gauge.

use crate::common::{gauge, stderr, stdout};
use gauge::{Session, Verdict};

/// A two-layer network with named intermediates, and the cross-entropy of its logits.
const MLP: &str = "\
let h[i] = tanh(sum(k, W[i, k]*x[k]) + b[i])
let z[i] = sum(k, W2[i, k]*h[k]) + b2[i]
let loss(y) = cross_entropy(z, y)
";

/// The same network with the probabilities named too.
const MLP_P: &str = "\
let h[i] = tanh(sum(k, W[i, k]*x[k]) + b[i])
let z[i] = sum(k, W2[i, k]*h[k]) + b2[i]
let p[i] = softmax(z)[i]
let nll(y) = -ln(p[y])
";

/// A layer norm with five intermediates, followed by a nonlinear loss.
const LAYER_NORM: &str = "\
assume eps > 0
let mu = sum(i, x[i]) / len(x)
let xc[i] = x[i] - mu
let var = sum(i, xc[i]^2) / len(x)
let xhat[i] = xc[i] / sqrt(var + eps)
let y[i] = g[i]*xhat[i] + c[i]
let loss = sum(i, w[i]*tanh(y[i]))
";

fn session(defs: &str) -> Session {
    let mut s = Session::new();
    s.load(defs).unwrap();
    s
}

fn diff_text(s: &mut Session, expr: &str, wrt: &str) -> String {
    s.diff(expr, wrt)
        .unwrap_or_else(|e| panic!("diff({expr}, {wrt}): {}", e.message()))
        .to_string()
}

#[test]
fn mlp_adjoints_read_in_the_intermediates_names() {
    let mut s = session(MLP);
    assert_eq!(
        diff_text(&mut s, "loss(y)", "z[j]"),
        "softmax(z)[j] - delta(j, y)"
    );
    assert_eq!(
        diff_text(&mut s, "loss(y)", "h[j]"),
        "sum(k, W2[k, j]*softmax(z)[k]) - W2[y, j]"
    );
    let mut s = session(MLP_P);
    assert_eq!(diff_text(&mut s, "nll(y)", "p[j]"), "-delta(j, y)/p[y]");
    assert_eq!(diff_text(&mut s, "nll(y)", "z[j]"), "p[j] - delta(j, y)");
    assert_eq!(
        diff_text(&mut s, "nll(y)", "h[j]"),
        "sum(k, W2[k, j]*p[k]) - W2[y, j]"
    );
    // In the language too: a `diff` inside an expression.
    assert_eq!(
        s.simplify("diff(nll(y), z[j])").unwrap().to_string(),
        "p[j] - delta(j, y)"
    );
}

#[test]
fn the_command_line_takes_an_intermediate_by_element_or_by_name() {
    let dir = std::env::temp_dir().join(format!("gauge-adjoint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mlp.gauge");
    std::fs::write(&file, MLP).unwrap();
    let defs = file.to_str().unwrap();
    let out = gauge(&["diff", "loss(y)", "--wrt", "z[j]", "--defs", defs]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "softmax(z)[j] - delta(j, y)\n");
    // `--wrt z` means its element, with a fresh index.
    let out = gauge(&["grad", "loss(y)", "--wrt", "z", "--defs", defs]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "softmax(z)[i] - delta(i, y)\n");
    // The check's references perturb the intermediate's value.
    for wrt in ["h", "h[j]", "z,W2"] {
        let out = gauge(&["check", "loss(y)", "--wrt", wrt, "--defs", defs]);
        assert_eq!(out.status.code(), Some(0), "{wrt}: {}", stdout(&out));
        assert!(stdout(&out).contains("passed"), "{}", stdout(&out));
    }
    // A wrong hand-derived adjoint (the transposed weight) is caught.
    let out = gauge(&[
        "check",
        "loss(y)",
        "--wrt",
        "h[j]",
        "--grad",
        "sum(k, W2[j, k]*softmax(z)[k]) - W2[j, y]",
        "--defs",
        defs,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("DISAGREES"), "{}", stdout(&out));
    std::fs::remove_dir_all(&dir).ok();
}

/// A small deterministic generator of test values.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    fn vector(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next()).collect()
    }
}

fn list(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|x| format!("{x:?}")).collect();
    format!("[{}]", items.join(", "))
}

/// The layer norm's values and adjoints, by a reverse sweep over plain numbers.
struct LayerNorm {
    mu: f64,
    var: f64,
    d_mu: f64,
    d_xc: Vec<f64>,
    d_var: f64,
    d_xhat: Vec<f64>,
    d_y: Vec<f64>,
    d_x: Vec<f64>,
}

fn layer_norm(x: &[f64], g: &[f64], c: &[f64], w: &[f64], eps: f64) -> LayerNorm {
    let n = x.len() as f64;
    let mu = x.iter().sum::<f64>() / n;
    let xc: Vec<f64> = x.iter().map(|v| v - mu).collect();
    let var = xc.iter().map(|v| v * v).sum::<f64>() / n;
    let s = (var + eps).sqrt();
    let xhat: Vec<f64> = xc.iter().map(|v| v / s).collect();
    let y: Vec<f64> = (0..x.len()).map(|i| g[i] * xhat[i] + c[i]).collect();
    // Backwards: each intermediate's adjoint from those of the values it feeds.
    let d_y: Vec<f64> = (0..x.len())
        .map(|i| w[i] * (1.0 - y[i].tanh().powi(2)))
        .collect();
    let d_xhat: Vec<f64> = (0..x.len()).map(|i| d_y[i] * g[i]).collect();
    let d_var: f64 = (0..x.len())
        .map(|i| d_xhat[i] * xc[i] * -0.5 * (var + eps).powf(-1.5))
        .sum();
    let d_xc: Vec<f64> = (0..x.len())
        .map(|i| d_xhat[i] / s + d_var * 2.0 * xc[i] / n)
        .collect();
    let d_mu: f64 = -d_xc.iter().sum::<f64>();
    let d_x: Vec<f64> = d_xc.iter().map(|d| d + d_mu / n).collect();
    LayerNorm {
        mu,
        var,
        d_mu,
        d_xc,
        d_var,
        d_xhat,
        d_y,
        d_x,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1e-3)
}

#[test]
fn layer_norm_adjoints_agree_with_an_independent_reverse_sweep() {
    let mut s = session(LAYER_NORM);
    let scalars = [("mu", "mu"), ("var", "var")];
    let vectors = [
        ("xc[j]", "xc"),
        ("xhat[j]", "xhat"),
        ("y[j]", "y"),
        ("x[j]", "x"),
    ];
    let formulas: Vec<(String, String)> = scalars
        .iter()
        .chain(vectors.iter())
        .map(|&(wrt, name)| (name.to_string(), diff_text(&mut s, "loss", wrt)))
        .collect();
    let mut rng = Lcg(7);
    for n in [1usize, 2, 3, 5, 8] {
        let (x, g, c, w) = (rng.vector(n), rng.vector(n), rng.vector(n), rng.vector(n));
        let eps = 0.1 + rng.next().abs();
        let want = layer_norm(&x, &g, &c, &w, eps);
        let point = format!(
            "x={}, g={}, c={}, w={}, eps={eps:?}",
            list(&x),
            list(&g),
            list(&c),
            list(&w)
        );
        // The intermediates evaluate to the sweep's values: the two compute the same
        // function.
        assert!(close(s.eval_at("mu", &point).unwrap().value(), want.mu));
        assert!(close(s.eval_at("var", &point).unwrap().value(), want.var));
        for (name, formula) in &formulas {
            for j in 0..n {
                let expected = match name.as_str() {
                    "mu" => want.d_mu,
                    "var" => want.d_var,
                    "xc" => want.d_xc[j],
                    "xhat" => want.d_xhat[j],
                    "y" => want.d_y[j],
                    _ => want.d_x[j],
                };
                let at = format!("{point}, j={j}");
                let got = s
                    .eval_at(formula, &at)
                    .unwrap_or_else(|e| panic!("{formula} at {at}: {}", e.message()))
                    .value();
                assert!(
                    close(got, expected),
                    "d loss / d {name}[{j}] at n = {n}: gauge's {formula} is {got}, the sweep gives {expected}"
                );
                if matches!(name.as_str(), "mu" | "var") {
                    break;
                }
            }
        }
    }
}

#[test]
fn an_intermediate_used_directly_and_through_another_gets_both_contributions() {
    // `xc` reaches the loss through `xhat` (directly) and through `var`: the adjoint
    // holds both terms.
    let mut s = session(LAYER_NORM);
    assert_eq!(
        diff_text(&mut s, "loss", "xc[j]"),
        "sum(k, g[k]*w[k]*(1 - tanh(y[k])^2)*(delta(j, k)/sqrt(eps + var) - xc[j]*xc[k]/(len(x)*(eps + var)^(3/2))))"
    );
    // A scalar intermediate inside a sum, and one used twice.
    let mut s = session("let q = sum(i, v[i]^2)\nlet r = q*ln(q)");
    assert_eq!(diff_text(&mut s, "r + q", "q"), "2 + ln(q)");
    assert_eq!(diff_text(&mut s, "sum(i, q*v[i])", "q"), "sum(j, v[j])");
    // Only calls of the intermediate count: its formula written out is not it.
    assert_eq!(diff_text(&mut s, "q + sum(i, v[i]^2)", "q"), "1");
    // An expression that does not depend on the intermediate.
    assert_eq!(diff_text(&mut s, "sum(i, v[i])", "q"), "0");
    let mut s = session(MLP);
    assert_eq!(diff_text(&mut s, "sum(k, x[k])", "h[j]"), "0");
}

#[test]
fn the_chain_rule_through_an_intermediate_matches_the_direct_derivative() {
    let mut s = session(MLP_P);
    let through = s
        .simplify("sum(i, diff(nll(y), h[i])*diff(h[i], x[k]))")
        .unwrap()
        .to_string();
    let direct = diff_text(&mut s, "nll(y)", "x[k]");
    let mut rng = Lcg(11);
    for (n_in, n_hidden, n_out) in [(1, 1, 2), (2, 3, 2), (4, 3, 5)] {
        let matrix = |rng: &mut Lcg, r: usize, c: usize| -> String {
            let rows: Vec<String> = (0..r).map(|_| list(&rng.vector(c))).collect();
            format!("[{}]", rows.join(", "))
        };
        let point = format!(
            "W={}, x={}, b={}, W2={}, b2={}, y={}",
            matrix(&mut rng, n_hidden, n_in),
            list(&rng.vector(n_in)),
            list(&rng.vector(n_hidden)),
            matrix(&mut rng, n_out, n_hidden),
            list(&rng.vector(n_out)),
            n_out - 1
        );
        for k in 0..n_in {
            let at = format!("{point}, k={k}");
            let a = s.eval_at(&through, &at).unwrap().value();
            let b = s.eval_at(&direct, &at).unwrap().value();
            assert!(close(a, b), "at {at}: {through} = {a}, {direct} = {b}");
        }
    }
    // The prover agrees, symbolically.
    let c = s
        .prove("sum(i, diff(nll(y), h[i])*diff(h[i], b[k])) = diff(nll(y), b[k])")
        .unwrap();
    assert_eq!(c.verdict(), Verdict::Proved);
}

#[test]
fn claims_by_intermediates_are_proved_and_refuted() {
    let mut s = session(MLP_P);
    let c = s
        .prove("diff(nll(y), z[j]) = softmax(z)[j] - delta(j, y)")
        .unwrap();
    assert_eq!(c.verdict(), Verdict::Proved);
    let c = s
        .prove("diff(nll(y), h[j]) = sum(i, W2[i, j]*(p[i] - delta(i, y)))")
        .unwrap();
    assert_eq!(c.verdict(), Verdict::Proved);
    // The weight transposed: wrong, and refuted.
    let c = s
        .prove("diff(nll(y), h[j]) = sum(i, W2[j, i]*(p[i] - delta(i, y)))")
        .unwrap();
    assert_eq!(c.verdict(), Verdict::Refuted);
    // With the step checker, the derivative by the intermediate is re-derived by the
    // checker's own rules, as the derivative by the stand-in's element.
    let opts = gauge::options::ProveOptions::new().with_verify(true);
    let c = s
        .prove_with("diff(nll(y), p[j]) = -delta(j, y)/p[y]", &opts)
        .unwrap();
    assert_eq!(c.verdict(), Verdict::Proved);
    assert_eq!(c.checker_failure(), None);
    let mut s = session("let q = sum(i, v[i]^2)");
    let c = s
        .prove_with("diff(q^2 + ln(q), q) = 2*q + 1/q", &opts)
        .unwrap();
    assert_eq!(c.verdict(), Verdict::Proved);
    assert_eq!(c.checker_failure(), None);
}

#[test]
fn gradients_and_hessians_by_intermediates() {
    let mut s = session(MLP_P);
    let g = s.grad("nll(y)", &["p"]).unwrap();
    assert_eq!(g[0].to_string(), "-delta(i, y)/p[y]");
    let mut s = session("let q = sum(i, v[i]^2)");
    let g = s.grad("q^3 + t*q", &["q", "t"]).unwrap();
    assert_eq!(g[0].to_string(), "t + 3*q^2");
    assert_eq!(g[1].to_string(), "q");
    let mut s = session(MLP);
    assert_eq!(
        s.hessian("sum(i, h[i]^3)", "h").unwrap().to_string(),
        "6*delta(i, k)*h[i]"
    );
    // With other variables, second partials by an intermediate do not commute.
    let mut s = session("let q = x^2");
    let e = s
        .hessian_of("q*x", &["q", "x"], &gauge::options::GradOptions::new())
        .unwrap_err();
    assert!(e.message().contains("not symmetric"), "{}", e.message());
    assert_eq!(diff_text(&mut s, "q*x", "q"), "x");
    assert_eq!(
        s.simplify("diff(diff(q*x, q), x)").unwrap().to_string(),
        "1"
    );
    assert_eq!(
        s.simplify("diff(diff(q*x, x), q)").unwrap().to_string(),
        "0"
    );
}

#[test]
fn a_function_or_a_wrong_index_count_is_not_a_variable() {
    let mut s = session(&format!("{MLP}let f(u) = u^2\n"));
    let e = s.diff("f(x[0])", "f").unwrap_err();
    assert_eq!(
        e.message(),
        "cannot differentiate with respect to `f`: it is a function of 1 parameter, not an intermediate value"
    );
    assert_eq!(
        e.hint(),
        Some(
            "differentiate by one of its inputs, or name the value it takes: `let v = f(a)`, then `diff(f, v)`"
        )
    );
    let e = s.diff("loss(y)", "softmax").unwrap_err();
    assert!(
        e.message().contains("it is a function of 1 parameter"),
        "{}",
        e.message()
    );
    let e = s.simplify("diff(loss(y), f(x[0]))").unwrap_err();
    assert!(
        e.message().starts_with("expected a variable"),
        "{}",
        e.message()
    );
    let e = s.diff("loss(y)", "h[j, k]").unwrap_err();
    assert_eq!(e.message(), "`h` takes 1 indices, but 2 were given");
    let e = s.simplify("diff(loss(y), h)").unwrap_err();
    assert_eq!(
        e.message(),
        "`h` is a vector (a tensor with 1 axis); differentiate by one element"
    );
    let e = s.check("loss(y)", &["f"]).unwrap_err();
    assert!(e.message().contains("it is a function"), "{}", e.message());
}
