//! `gauge codegen`: the generated NumPy, JAX and Rust agree with gauge's own evaluator
//! (the value, and every element of `Session::grad`) to 1e-12 relative at 100 random
//! points for every prelude function and the definitions and losses of
//! `examples/attention.gauge` and `examples/layers.gauge`; JAX also agrees with
//! `jax.grad` of the generated forward; and the stable forms stay finite and right at
//! logits of ±1000 and sigmoid inputs of ±800.
//!
//! Real engines run the code: python3 with NumPy and JAX (one process per target for
//! every case), and rustc (one compile for every case). PyTorch's run only where it is
//! installed; in CI a missing engine fails the test (`engines_present`).

use std::io::Write;
use std::process::{Command, Stdio};

use gauge::Session;
use gauge::options::{CodegenOptions, GradOptions, Target};
use gauge::results::ArgKind;
use serde_json::{Value, json};

use crate::common::{engines_present, gauge, numpy_present, root, stderr, stdout};

/// A formula to generate: the file its definitions come from, the formula, the
/// variables, and whether its inputs must be positive (logarithms, square roots).
struct Case {
    defs: Option<&'static str>,
    expr: &'static str,
    wrt: &'static [&'static str],
    positive: bool,
}

const fn case(expr: &'static str, wrt: &'static [&'static str]) -> Case {
    Case {
        defs: None,
        expr,
        wrt,
        positive: false,
    }
}

/// Every prelude function (a vector-valued one contracted with an upstream gradient
/// `g`), and the losses and definitions of the two example files.
fn cases() -> Vec<Case> {
    let pos = |expr, wrt| Case {
        positive: true,
        ..case(expr, wrt)
    };
    let file = |defs, expr, wrt, positive| Case {
        defs: Some(defs),
        expr,
        wrt,
        positive,
    };
    let layers = "examples/layers.gauge";
    vec![
        pos("eml(x, y)", &["x", "y"]),
        case("sigmoid(x)", &["x"]),
        case("softplus(x)", &["x"]),
        case("tanh(x)", &["x"]),
        case("tan(x)", &["x"]),
        case("sinh(x)", &["x"]),
        case("cosh(x)", &["x"]),
        case("sum(i, g[i]*softmax(z)[i])", &["z", "g"]),
        case("logsumexp(z)", &["z"]),
        case("sum(i, g[i]*log_softmax(z)[i])", &["z", "g"]),
        case("cross_entropy(z, y)", &["z"]),
        pos("nll(p, y)", &["p"]),
        case("bce(z, t)", &["z", "t"]),
        pos("bce_prob(p, t)", &["p", "t"]),
        case("mse(p, t)", &["p", "t"]),
        case("sse(p, t)", &["p", "t"]),
        case("relu(x)", &["x"]),
        case("silu(x)", &["x"]),
        case("gelu(x)", &["x"]),
        case("gelu_tanh(x)", &["x"]),
        case("tanh_sigmoid(x)", &["x"]),
        pos("logit(p)", &["p"]),
        case("dot(a, b)", &["a", "b"]),
        case("norm2(a)", &["a"]),
        case("max(a, b)", &["a", "b"]),
        case("min(a, b)", &["a", "b"]),
        file(
            "examples/attention.gauge",
            "loss",
            &["Q", "K", "V", "G"],
            true,
        ),
        file(layers, "sum(i, g[i]*z[i])", &["W", "x", "b", "g"], false),
        file(
            layers,
            "sum(i, g[i]*tanh(W @ x + b)[i])",
            &["W", "x", "b"],
            false,
        ),
        file(layers, "cross_entropy(u / T, y)", &["u", "T"], true),
        file(
            layers,
            "mean(n, cross_entropy(Z[n, :], labels[n]))",
            &["Z"],
            false,
        ),
        file(
            layers,
            "-mean(n, log_softmax(Z[n, :])[labels[n]])",
            &["Z"],
            false,
        ),
        file(layers, "batch_loss(Z, labels, T)", &["Z", "T"], true),
        file(
            layers,
            "(1 - s)*cross_entropy(u, y) - s*mean(k, log_softmax(u)[k])",
            &["u", "s"],
            false,
        ),
        file(layers, "-(1 - p)^2*ln(p)", &["p"], true),
        file(layers, "dl*(sqrt(1 + (e1/dl)^2) - 1)", &["e1", "dl"], true),
        file(
            layers,
            "sum(i, gl[i]*(gamma[i]*xhat[i] + beta[i]))",
            &["xl", "gamma", "beta"],
            true,
        ),
        file(layers, "sum(i, gr[i]*wr[i]*rn[i])", &["xr", "wr"], true),
        file(
            layers,
            "sum(n, gb[n]*(gam*bhat[n] + bet))",
            &["xb", "gam", "bet"],
            true,
        ),
        file(
            layers,
            "sum(i, l, G[i, l]*O[i, l])",
            &["Q", "K", "V"],
            false,
        ),
        file(
            layers,
            "max(u) + ln(sum(j, exp(u[j] - max(u))))",
            &["u"],
            false,
        ),
        file(layers, "logsumexp(u - cs)", &["u", "cs"], false),
    ]
}

/// A session with the case's definitions loaded.
fn session(c: &Case) -> Session {
    let mut s = Session::new();
    if let Some(path) = c.defs {
        let text = std::fs::read_to_string(root().join(path)).expect("the example exists");
        s.load_named(path, &text).expect("the example loads");
    }
    s
}

/// A small deterministic generator of uniform numbers in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One random point: each argument's value as JSON (labels below their bound), and
/// each argument's shape.
fn point(
    code: &gauge::results::Code,
    rng: &mut Lcg,
    positive: bool,
) -> (Vec<Value>, Vec<Vec<usize>>) {
    let size = |c: usize| {
        code.classes()
            .get(c)
            .copied()
            .flatten()
            .unwrap_or(2 + c % 3)
    };
    let real = |rng: &mut Lcg| {
        if positive {
            0.1 + 0.8 * rng.next()
        } else {
            4.0 * rng.next() - 2.0
        }
    };
    let mut values = Vec::new();
    let mut shapes = Vec::new();
    for a in code.args() {
        match &a.kind {
            ArgKind::Scalar => {
                values.push(json!(real(rng)));
                shapes.push(Vec::new());
            }
            ArgKind::Label { bound } => {
                let n = bound.map(size).unwrap_or(2);
                values.push(json!(((rng.next() * n as f64) as usize).min(n - 1)));
                shapes.push(Vec::new());
            }
            ArgKind::Tensor { dims, labels } => {
                let shape: Vec<usize> = dims.iter().map(|&c| size(c)).collect();
                let count: usize = shape.iter().product();
                let flat: Vec<Value> = (0..count)
                    .map(|_| match labels {
                        Some(bound) => {
                            let n = bound.map(size).unwrap_or(2);
                            json!(((rng.next() * n as f64) as usize).min(n - 1))
                        }
                        None => json!(real(rng)),
                    })
                    .collect();
                values.push(nest(&flat, &shape));
                shapes.push(shape);
            }
        }
    }
    (values, shapes)
}

/// A flat row-major list as nested lists of `shape`.
fn nest(flat: &[Value], shape: &[usize]) -> Value {
    match shape {
        [] => flat[0].clone(),
        [_] => Value::Array(flat.to_vec()),
        [n, rest @ ..] => {
            let inner: usize = rest.iter().product();
            Value::Array(
                (0..*n)
                    .map(|k| nest(&flat[k * inner..(k + 1) * inner], rest))
                    .collect(),
            )
        }
    }
}

/// What gauge's evaluator says at a point: the value and each gradient, flattened.
fn oracle(
    s: &mut Session,
    c: &Case,
    code: &gauge::results::Code,
    values: &[Value],
    shapes: &[Vec<usize>],
) -> (f64, Vec<Vec<f64>>) {
    let mut at = serde_json::Map::new();
    for (a, v) in code.args().iter().zip(values) {
        at.insert(a.name.clone(), v.clone());
    }
    let text = Value::Object(at.clone()).to_string();
    let value = s
        .eval_at(c.expr, &text)
        .expect("gauge evaluates the formula")
        .value();
    let mut grads = Vec::new();
    for var in c.wrt {
        let k = code
            .args()
            .iter()
            .position(|a| a.name == *var)
            .expect("a variable is an argument");
        let shape = &shapes[k];
        let names: Vec<String> = (0..shape.len()).map(|d| format!("ix{d}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let g = s
            .grad_with(c.expr, &[var], &GradOptions::new().with_index(&names))
            .expect("gauge differentiates")
            .parts()[0]
            .to_string();
        let count: usize = shape.iter().product();
        let mut flat = Vec::with_capacity(count);
        for e in 0..count {
            let mut at = at.clone();
            let mut rest = e;
            for (d, n) in shape.iter().enumerate().rev() {
                at.insert(names[d].to_string(), json!(rest % n));
                rest /= n;
            }
            let v = s
                .eval_at(&g, &Value::Object(at).to_string())
                .unwrap_or_else(|e| panic!("gauge evaluates {g}: {e}"))
                .value();
            flat.push(v);
        }
        grads.push(flat);
    }
    s.take_warnings();
    (value, grads)
}

/// Whether `got` is `want` to 1e-12 relative to the largest element of its array (at
/// least 1e-4: a derivative that is 0 by cancelling terms of order 1, as relu's is
/// for a negative input, comes out as a rounding error of those terms).
fn agree(got: &[f64], want: &[f64]) -> bool {
    agree_to(got, want, 1e-12)
}

fn agree_to(got: &[f64], want: &[f64], rel: f64) -> bool {
    let scale = want.iter().fold(1e-4_f64, |m, w| m.max(w.abs()));
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| (g - w).abs() <= rel * scale.max(w.abs()))
}

const POINTS: usize = 100;

/// Every case generated for `target`, with its points and gauge's answers there.
struct Prepared {
    codes: Vec<gauge::results::Code>,
    points: Vec<Vec<Vec<Value>>>,
    shapes: Vec<Vec<Vec<Vec<usize>>>>,
    wants: Vec<Vec<(f64, Vec<Vec<f64>>)>>,
}

fn prepare(target: Target, with_oracle: bool) -> Prepared {
    prepare_for(&cases(), target, with_oracle, POINTS)
}

/// `cases` generated for `target`, each at `count` points.
fn prepare_for(cases: &[Case], target: Target, with_oracle: bool, count: usize) -> Prepared {
    let mut p = Prepared {
        codes: Vec::new(),
        points: Vec::new(),
        shapes: Vec::new(),
        wants: Vec::new(),
    };
    for (k, c) in cases.iter().enumerate() {
        let mut s = session(c);
        let code = s
            .codegen(c.expr, c.wrt, &CodegenOptions::new(target))
            .unwrap_or_else(|e| panic!("{}: {e}", c.expr));
        let mut rng = Lcg(k as u64 + 1);
        let mut points = Vec::new();
        let mut shapes = Vec::new();
        let mut wants = Vec::new();
        for _ in 0..count {
            let (v, sh) = point(&code, &mut rng, c.positive);
            if with_oracle {
                wants.push(oracle(&mut s, c, &code, &v, &sh));
            }
            points.push(v);
            shapes.push(sh);
        }
        p.codes.push(code);
        p.points.push(points);
        p.shapes.push(shapes);
        p.wants.push(wants);
    }
    p
}

/// Runs the driver on every case for a Python target; `None` when the engine is
/// missing outside CI.
fn run_python(target: &str, cases: &[Case], p: &Prepared) -> Option<Vec<Value>> {
    run_driver(target, &python_cases(cases, p))
}

/// Each prepared case as the driver reads it.
fn python_cases(cases: &[Case], p: &Prepared) -> Vec<Value> {
    cases
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let wrt: Vec<usize> = c
                .wrt
                .iter()
                .map(|v| {
                    p.codes[k]
                        .args()
                        .iter()
                        .position(|a| a.name == *v)
                        .unwrap_or(0)
                })
                .collect();
            json!({"code": p.codes[k].text(), "points": p.points[k], "wrt": wrt})
        })
        .collect()
}

/// Runs the driver on `cases` for a Python target.
fn run_driver(target: &str, cases: &[Value]) -> Option<Vec<Value>> {
    let input = json!({"target": target, "cases": cases}).to_string();
    let child = Command::new("python3")
        .arg(root().join("tests/codegen/driver.py"))
        .env("JAX_PLATFORMS", "cpu")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(_) => {
            engines_present("python3", false);
            return None;
        }
    };
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("python3 finishes");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(77) {
        engines_present(&format!("{target} ({})", stderr.trim()), false);
        return None;
    }
    let _ = writer.join();
    assert!(
        out.status.success(),
        "the {target} driver failed:\n{stderr}"
    );
    Some(serde_json::from_slice(&out.stdout).expect("the driver writes JSON"))
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// Compares a Python target's answers with gauge's; for JAX also with `jax.grad`, and
/// for PyTorch with `torch.autograd.grad` through the `autograd.Function` and through
/// the forward.
fn compare_python(target: &str, cases: &[Case], answers: &[Value], p: &Prepared) {
    let mut wrong = Vec::new();
    for (k, c) in cases.iter().enumerate() {
        for (q, want) in p.wants[k].iter().enumerate() {
            let got = &answers[k][q];
            let value = got["value"].as_f64().unwrap_or(f64::NAN);
            if !agree(&[value], &[want.0]) {
                wrong.push(format!(
                    "{}: value {value} != {} at {:?}",
                    c.expr, want.0, p.points[k][q]
                ));
            }
            for (g, w) in want.1.iter().enumerate() {
                let mine = numbers(&got["grads"][g]);
                if !agree(&mine, w) {
                    wrong.push(format!(
                        "{}: d/d{} {mine:?} != {w:?} at {:?}",
                        c.expr, c.wrt[g], p.points[k][q]
                    ));
                }
                // jax.grad and torch's autograd differentiate tanh as 1 - tanh^2,
                // which cancels near saturation (the generated code writes
                // 1/cosh^2): they are held to the generated gradient at 1e-10. The
                // autograd.Function's backward is the generated gradient itself.
                let others: &[(&str, f64)] = match target {
                    "jax" => &[("jax_grads", 1e-10)],
                    "torch" => &[("function_grads", 1e-12), ("torch_grads", 1e-10)],
                    _ => &[],
                };
                for &(key, rel) in others {
                    let theirs = numbers(&got[key][g]);
                    if !agree_to(&theirs, &mine, rel) {
                        wrong.push(format!(
                            "{}: {key} by {} {theirs:?} != {mine:?}",
                            c.expr, c.wrt[g]
                        ));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{target} disagrees with gauge:\n{}",
        wrong[..wrong.len().min(10)].join("\n")
    );
}

#[test]
fn generated_numpy_and_jax_agree_with_gauge_and_jax_grad() {
    let numpy = prepare(Target::Numpy, true);
    let jax = prepare(Target::Jax, false);
    let jax = Prepared {
        wants: numpy.wants.clone(),
        ..jax
    };
    if let Some(answers) = run_python("numpy", &cases(), &numpy) {
        compare_python("numpy", &cases(), &answers, &numpy);
    }
    if let Some(answers) = run_python("jax", &cases(), &jax) {
        compare_python("jax", &cases(), &answers, &jax);
    }
    let rust = prepare(Target::Rust, false);
    let rust = Prepared {
        wants: numpy.wants.clone(),
        ..rust
    };
    if let Some(answers) = run_rust(&rust) {
        compare_python("rust", &cases(), &answers, &rust);
    }
}

/// An argument as a Rust literal (and its shape, for a tensor).
fn rust_literal(kind: &ArgKind, v: &Value, shape: &[usize]) -> Vec<String> {
    fn flat(v: &Value, out: &mut Vec<f64>) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| flat(x, out)),
            _ => out.push(v.as_f64().unwrap_or(f64::NAN)),
        }
    }
    let mut xs = Vec::new();
    flat(v, &mut xs);
    let dims: Vec<String> = shape.iter().map(|n| n.to_string()).collect();
    match kind {
        ArgKind::Scalar => vec![format!("{:?}_f64", xs[0])],
        ArgKind::Label { .. } => vec![format!("{}_usize", xs[0] as usize)],
        ArgKind::Tensor { labels, .. } => {
            let items: Vec<String> = xs
                .iter()
                .map(|x| match labels {
                    Some(_) => format!("{}_usize", *x as usize),
                    None => format!("{x:?}_f64"),
                })
                .collect();
            vec![
                format!("&[{}]", items.join(", ")),
                format!("[{}]", dims.join(", ")),
            ]
        }
    }
}

/// Compiles every case's Rust into one program with rustc, runs it at the points, and
/// reads its answers in the driver's form; `None` when rustc is missing outside CI.
fn run_rust(p: &Prepared) -> Option<Vec<Value>> {
    let mut src = String::from("#![allow(dead_code)]\n");
    let mut main = String::from(
        "fn out(v: &[f64]) -> String {\n    v.iter().map(|x| format!(\"{x:?}\")).collect::<Vec<_>>().join(\" \")\n}\nfn main() {\n",
    );
    for (k, c) in cases().iter().enumerate() {
        let code = &p.codes[k];
        src.push_str(&format!("mod case{k} {{\n{}\n}}\n", code.text()));
        for (q, point) in p.points[k].iter().enumerate() {
            let mut args = Vec::new();
            for (a, (v, shape)) in code.args().iter().zip(point.iter().zip(&p.shapes[k][q])) {
                args.extend(rust_literal(&a.kind, v, shape));
            }
            main.push_str(&format!(
                "    let r = case{k}::value_and_grad({});\n",
                args.join(", ")
            ));
            let mut parts = vec!["out(&[r.0])".to_string()];
            for (g, var) in c.wrt.iter().enumerate() {
                let a = code.args().iter().find(|a| a.name == *var).map(|a| &a.kind);
                parts.push(match a {
                    Some(ArgKind::Tensor { .. }) => format!("out(&r.1.{g})"),
                    _ => format!("out(&[r.1.{g}])"),
                });
            }
            main.push_str(&format!(
                "    println!(\"{k} {q} |{}\", {});\n",
                vec!["{}"; parts.len()].join("|"),
                parts.join(", ")
            ));
        }
    }
    main.push_str("}\n");
    src.push_str(&main);
    // Under target/, which the build owns, so nothing is left in the system's temp.
    let dir = root().join("target/codegen-tests");
    std::fs::create_dir_all(&dir).expect("a directory for the program");
    let file = dir.join("cases.rs");
    std::fs::write(&file, src).expect("writes the program");
    let exe = dir.join("cases");
    let compiled = Command::new("rustc")
        .args(["--edition", "2021", "-C", "opt-level=0", "-o"])
        .arg(&exe)
        .arg(&file)
        .output();
    let compiled = match compiled {
        Ok(o) => o,
        Err(_) => {
            engines_present("rustc", false);
            return None;
        }
    };
    assert!(
        compiled.status.success(),
        "rustc rejects the generated Rust:\n{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    let run = Command::new(&exe).output().expect("the program runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut answers: Vec<Vec<Value>> = vec![Vec::new(); p.codes.len()];
    for line in String::from_utf8_lossy(&run.stdout).lines() {
        let mut parts = line.split('|');
        let head: Vec<usize> = parts
            .next()
            .unwrap_or("")
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        let nums: Vec<Vec<f64>> = parts
            .map(|p| {
                p.split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect()
            })
            .collect();
        answers[head[0]].push(json!({"value": nums[0][0], "grads": nums[1..]}));
    }
    Some(answers.into_iter().map(Value::Array).collect())
}

/// Logits of ±1000 and sigmoid inputs of ±800 (and attention scores of ±1000), where
/// the naive forms overflow to inf and NaN: the generated NumPy, JAX and Rust stay
/// finite and right.
/// A formula, its variables, a point, and the value and gradient there.
type Extreme = (
    &'static str,
    &'static [&'static str],
    &'static str,
    f64,
    &'static [f64],
);

const EXTREMES: &[Extreme] = &[
    // (formula, variables, the arguments in the order of the generated function, value,
    // gradient)
    (
        "cross_entropy(z, y)",
        &["z"],
        "[[1000.0, -1000.0, 0.0], 1]",
        2000.0,
        &[1.0, -1.0, 0.0],
    ),
    (
        "cross_entropy(z, y)",
        &["z"],
        "[[1000.0, 1000.0, -1000.0], 0]",
        std::f64::consts::LN_2,
        &[-0.5, 0.5, 0.0],
    ),
    (
        "logsumexp(z)",
        &["z"],
        "[[1000.0, -1000.0]]",
        1000.0,
        &[1.0, 0.0],
    ),
    (
        "logsumexp(z)",
        &["z"],
        "[[-1000.0, -1000.0]]",
        -1000.0 + std::f64::consts::LN_2,
        &[0.5, 0.5],
    ),
    (
        "sum(i, g[i]*log_softmax(z)[i])",
        &["z"],
        "[[0.0, 1.0], [1000.0, -1000.0]]",
        -2000.0,
        &[-1.0, 1.0],
    ),
    (
        "sum(i, g[i]*softmax(z)[i])",
        &["z"],
        "[[0.0, 1.0], [1000.0, -1000.0]]",
        0.0,
        &[0.0, 0.0],
    ),
    ("sigmoid(x)", &["x"], "[800.0]", 1.0, &[0.0]),
    ("sigmoid(x)", &["x"], "[-800.0]", 0.0, &[0.0]),
    ("softplus(x)", &["x"], "[800.0]", 800.0, &[1.0]),
    ("softplus(x)", &["x"], "[-800.0]", 0.0, &[0.0]),
    ("bce(z, t)", &["z"], "[0.0, 800.0]", 800.0, &[1.0]),
    ("bce(z, t)", &["z"], "[1.0, -800.0]", 800.0, &[-1.0]),
    // Attention written out, with scores of ±1000: the derivative's numerators hold
    // exponentials inside sums (`sum(l, V[l, j]*exp(S[i, l]))`) over the row's sum of
    // exponentials, once and squared; each is divided by it inside, as a shifted
    // logsumexp. The softmax is one-hot, so the loss is 2 + 3 and the gradient 0.
    (
        "sum(i, l, G[i, l]*sum(j, exp(sum(k, Q[i, k]*K[j, k]))/sum(m, exp(sum(k, Q[i, k]*K[m, k])))*V[j, l]))",
        &["Q"],
        "[[[1.0], [-1.0]], [[1000.0], [-1000.0]], [[1.0], [1.0]], [[2.0], [3.0]]]",
        5.0,
        &[0.0, 0.0],
    ),
];

#[test]
fn stable_forms_are_finite_and_right_at_extreme_logits() {
    for target in ["numpy", "jax"] {
        let t = Target::from_name(target).expect("a target");
        let cases: Vec<Value> = EXTREMES
            .iter()
            .map(|(expr, wrt, at, _, _)| {
                let code = Session::new()
                    .codegen(expr, wrt, &CodegenOptions::new(t))
                    .expect("generates");
                let point: Value = serde_json::from_str(at).expect("a point");
                let wrt: Vec<usize> = wrt
                    .iter()
                    .map(|w| {
                        code.args()
                            .iter()
                            .position(|a| a.name == *w)
                            .expect("an argument")
                    })
                    .collect();
                json!({"code": code.text(), "points": [point], "wrt": wrt})
            })
            .collect();
        let Some(answers) = run_driver(target, &cases) else {
            continue;
        };
        for (k, (expr, _, at, value, grad)) in EXTREMES.iter().enumerate() {
            let got = &answers[k][0];
            let v = got["value"].as_f64().unwrap_or(f64::NAN);
            let g = numbers(&got["grads"][0]);
            assert!(
                (v - value).abs() <= 1e-12 * value.abs().max(1.0),
                "{target}: {expr} at {at} is {v}, not {value}"
            );
            assert!(
                g.len() == grad.len() && g.iter().zip(*grad).all(|(a, b)| (a - b).abs() <= 1e-12),
                "{target}: the gradient of {expr} at {at} is {g:?}, not {grad:?}"
            );
        }
    }
}

/// The generated PyTorch, where torch is importable: the value and gradients agree
/// with gauge's, and `torch.autograd.grad` through the generated
/// `torch.autograd.Function` and through the generated forward with the gradients.
#[test]
fn generated_torch_agrees_with_gauge_and_autograd() {
    let importable = Command::new("python3")
        .args(["-c", "import torch"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !importable {
        // The one exception to `engines_present` (a missing engine fails in CI): torch
        // is not installed in CI on purpose (3 GB), and the issue says of the PyTorch
        // target "Its tests run when torch is importable and print a notice otherwise".
        eprintln!("note: torch is not importable, so the generated PyTorch is not run here");
        return;
    }
    let cases = cases();
    let torch = prepare_for(&cases, Target::Torch, true, 5);
    let answers = run_python("torch", &cases, &torch).expect("torch is importable");
    compare_python("torch", &cases, &answers, &torch);
}

/// A function written by hand for `mse(q, r)` that is right by `q` and wrong by `r`,
/// in Rust (`q__shape` as the generated function takes it).
const WRONG_RUST: &str = "
fn wrong(q: &[f64], qs: [usize; 1], r: &[f64], rs: [usize; 1]) -> (f64, (Vec<f64>, Vec<f64>)) {
    let (v, (dq, mut dr)) = value_and_grad(q, qs, r, rs);
    dr[0] += 0.5;
    (v, (dq, dr))
}
fn main() {
    println!(\"{:?}\", check_against(value_and_grad, 20, 0));
    println!(\"{:?}\", check_against(wrong, 20, 0));
}
";

/// The same in Python.
const WRONG_PYTHON: &str = "
def wrong(q, r):
    v, (dq, dr) = value_and_grad(q, r)
    return v, (dq, dr + 0.5)

print(check_against(value_and_grad))
try:
    check_against(wrong)
    print('accepted')
except AssertionError as e:
    print(e)
";

/// The `--emit-check` harnesses run: the Rust one compiled by rustc, the NumPy one by
/// python3; each accepts the generated function itself and rejects a function wrong
/// in one gradient with a message that names that gradient and not the other.
#[test]
fn emit_check_harnesses_accept_the_reference_and_name_a_wrong_gradient() {
    let mut s = Session::new();
    let opts = |t| CodegenOptions::new(t).with_check(true);
    let rust = s
        .codegen("mse(q, r)", &["q", "r"], &opts(Target::Rust))
        .expect("generates Rust");
    let dir = root().join("target/codegen-tests");
    std::fs::create_dir_all(&dir).expect("a directory for the program");
    let (file, exe) = (dir.join("harness.rs"), dir.join("harness"));
    std::fs::write(&file, format!("{}{WRONG_RUST}", rust.text())).expect("writes");
    let compiled = Command::new("rustc")
        .args(["--edition", "2021", "-C", "opt-level=0", "-o"])
        .arg(&exe)
        .arg(&file)
        .output();
    match compiled {
        Ok(o) => assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr)),
        Err(_) => {
            engines_present("rustc", false);
        }
    }
    if exe.exists() {
        let run = Command::new(&exe).output().expect("the harness runs");
        let text = String::from_utf8_lossy(&run.stdout).to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.first(), Some(&"Ok(20)"), "{text}");
        let rejected = lines.get(1).copied().unwrap_or("");
        assert!(
            rejected.starts_with("Err(") && rejected.contains("the gradient by r"),
            "{text}"
        );
        assert!(!rejected.contains("by q"), "{text}");
    }
    if !numpy_present() {
        return;
    }
    let numpy = s
        .codegen("mse(q, r)", &["q", "r"], &opts(Target::Numpy))
        .expect("generates NumPy");
    let run = Command::new("python3")
        .args(["-c", &format!("{}{WRONG_PYTHON}", numpy.text())])
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // The generated module's own `__main__` block runs first (python3 -c is main), and
    // says it agrees with itself; the two checks above print the last two lines.
    let lines: Vec<&str> = text.lines().rev().take(2).collect();
    assert_eq!(lines.get(1), Some(&"20"), "{text}");
    let rejected = lines.first().copied().unwrap_or("");
    assert!(
        rejected.contains("the gradient by r") && !rejected.contains("by q"),
        "{text}"
    );
}

/// A `.gauge` file as the formula stands for its `loss`: the CLI prints what the
/// library generates for `loss` with the file's definitions, and that function's
/// value and gradients are gauge's at a few points.
#[test]
fn a_gauge_file_generates_its_loss() {
    let file = "examples/training/mlp.gauge";
    let out = gauge(&["codegen", file, "--wrt", "W1,b1,W2,b2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mlp = [Case {
        defs: Some(file),
        expr: "loss",
        wrt: &["W1", "b1", "W2", "b2"],
        positive: false,
    }];
    let p = prepare_for(&mlp, Target::Numpy, true, 3);
    assert_eq!(stdout(&out), p.codes[0].text());
    if let Some(answers) = run_python("numpy", &mlp, &p) {
        compare_python("numpy", &mlp, &answers, &p);
    }
    // --loss names another definition: `logits`, which is a matrix, so it is refused.
    let other = gauge(&["codegen", file, "--loss", "logits", "--wrt", "W2"]);
    assert!(!other.status.success() && stderr(&other).contains("expected a scalar"));
}

/// The cross-entropy gradient's NumPy computes the shifted exponentials and their
/// maximum once, though the value reads the logits under the sum's index and the
/// gradient under its own, and subtracts the labels' delta as an update rather than
/// as a dense one-hot array (`np.where` of a comparison).
#[test]
fn shared_work_is_done_once_and_the_delta_is_an_update() {
    let batch = Case {
        defs: Some("examples/layers.gauge"),
        ..case("mean(n, cross_entropy(Z[n, :], labels[n]))", &["Z"])
    };
    for c in [case("cross_entropy(z, y)", &["z"]), batch] {
        let code = session(&c)
            .codegen(c.expr, c.wrt, &CodegenOptions::new(Target::Numpy))
            .expect("generates");
        let body = code.text().split("\"\"\"").last().unwrap_or("").to_string();
        for (call, times) in [("np.exp(", 1), (".max(", 1), ("np.where(", 0), ("+= ", 1)] {
            assert_eq!(
                body.matches(call).count(),
                times,
                "{call} in {}:\n{body}",
                c.expr
            );
        }
    }
}

/// The in-process target (`codegen::exec`, what `gauge check --values` evaluates the
/// spec with) agrees with the tape, gauge's one evaluator, on every case: the value and
/// every gradient component to 1e-12 relative at random points, and each rounding
/// bound within a factor of 16 of the tape's running error bound of the same formula
/// (the two model a sum's rounding differently: pairwise here, term by term there).
#[test]
fn the_array_evaluator_agrees_with_the_tape() {
    let mut in_blocks = 0;
    let worst = arrays_agree(cases(), 2, 1, 5, &mut in_blocks);
    println!("the largest ratio of the two rounding bounds: {worst:.2}");
    // Most gradients end in arithmetic of their own, which a stream computes a block
    // at a time.
    println!("gradients computed a block at a time: {in_blocks}");
    assert!(in_blocks >= 20, "{in_blocks}");
}

/// The same at sizes where the contractions run as matrix products rather than loops:
/// batched and over groups of several axes (attention over 20 to 30 positions, and
/// the batch losses of the layers file), and with the bound of a large operand laid out
/// a block at a time (the tanh layer's `W` of 450×600, 270,000 elements).
#[test]
fn the_array_evaluator_agrees_with_the_tape_at_matrix_sizes() {
    let pick =
        |expr: &str| -> Vec<Case> { cases().into_iter().filter(|c| c.expr == expr).collect() };
    let mut worst: f64 = 1.0;
    for (expr, base, step) in [
        ("sum(i, g[i]*tanh(W @ x + b)[i])", 450, 150),
        ("loss", 20, 5),
        ("sum(i, l, G[i, l]*O[i, l])", 20, 5),
        ("batch_loss(Z, labels, T)", 60, 20),
    ] {
        let c = pick(expr);
        assert_eq!(c.len(), 1, "{expr} is a case");
        let mut in_blocks = 0;
        worst = worst.max(arrays_agree(c, base, step, 1, &mut in_blocks));
        // The layer's gradients by g, W and x are each their own arithmetic (the
        // weights' in many blocks); the gradient by b is an array the other two read,
        // which is computed whole.
        if expr.starts_with("sum(i, g[i]*tanh") {
            assert_eq!(in_blocks, 3, "{expr}");
        }
    }
    println!("the largest ratio of the two rounding bounds: {worst:.2}");
}

/// Runs every case through the array evaluator and the tape at `points` random points,
/// the axis lengths of class `k` being `base + (k % 3) * step` where the formula does
/// not fix them; returns the largest ratio of their rounding bounds.
fn arrays_agree(
    cases: Vec<Case>,
    base: usize,
    step: usize,
    points: usize,
    in_blocks: &mut usize,
) -> f64 {
    use gauge::codegen::build::InputKind;
    use gauge::codegen::exec::{ArgValue, computed_in_blocks, run, run_blocks};
    use gauge::codegen::{GradRequest, Request, Target};
    use gauge::lower::workspace::Workspace;
    use gauge::numeric::bounds::Rounding;
    use gauge::numeric::elements::{Float, View};
    use gauge::numeric::tape::{Elementwise, Tape};
    use gauge::numeric::value::{Bindings, Tensor, Value as V};
    use std::rc::Rc;

    let mut rng = Lcg(7);
    let mut worst_ratio: f64 = 1.0;
    for c in cases {
        let mut ws = Workspace::with_prelude().unwrap();
        if let Some(path) = c.defs {
            let text = std::fs::read_to_string(root().join(path)).unwrap();
            ws.load_file(path, &text).unwrap();
        }
        let id = ws.parse_expression(c.expr).unwrap();
        let inputs = gauge::codegen::inputs(&mut ws, id);
        let mut grads = Vec::new();
        for name in c.wrt {
            let arg = inputs
                .iter()
                .position(|&(s, k)| ws.pool.name(s) == *name && k != InputKind::Label)
                .unwrap();
            let axes = match inputs[arg].1 {
                InputKind::Tensor(rank) => {
                    let avoid = ws.pool.free_indices(id);
                    gauge::check::request::fresh_indices(&mut ws, rank, &avoid)
                }
                _ => Vec::new(),
            };
            let names: Vec<&str> = axes.iter().map(|&s| ws.pool.name(s)).collect();
            let var = if axes.is_empty() {
                ws.parse_variable(name).unwrap()
            } else {
                ws.parse_variable(&format!("{name}[{}]", names.join(", ")))
                    .unwrap()
            };
            let defs = ws.definitions_in_order();
            let facts = ws.facts.clone();
            let d = gauge::calculus::derivation::derive_with_steps(
                &mut ws.pool,
                id,
                var,
                1,
                &defs,
                &facts,
            )
            .unwrap();
            grads.push(GradRequest {
                arg,
                expr: d.result,
                axes,
            });
        }
        let request = Request {
            value: id,
            inputs: inputs.clone(),
            grads: grads.clone(),
            target: Target::Rust,
            emit_check: false,
            as_written: true,
        };
        let program = gauge::codegen::lower(&mut ws.pool, &request).unwrap();
        // Lengths differ by class, so that a transposed read shows.
        let size = |k: usize| {
            program
                .classes
                .get(k)
                .copied()
                .flatten()
                .unwrap_or(base + (k % 3) * step)
        };
        let tape = Tape::compile(&mut ws.pool, id).unwrap();
        let per_grad: Vec<Elementwise> = grads
            .iter()
            .map(|g| Elementwise::compile(&mut ws.pool, g.expr, &g.axes).unwrap())
            .collect();
        for _ in 0..points {
            let mut at = Bindings::new();
            let mut shapes = Vec::new();
            for (a, &(s, _)) in program.args.iter().zip(&inputs) {
                let real = |rng: &mut Lcg| {
                    if c.positive {
                        0.1 + 0.8 * rng.next()
                    } else {
                        4.0 * rng.next() - 2.0
                    }
                };
                let label = |rng: &mut Lcg, bound: Option<usize>| {
                    let n = bound.map(size).unwrap_or(2);
                    ((rng.next() * n as f64) as usize).min(n - 1) as f64
                };
                match &a.kind {
                    ArgKind::Scalar => at.insert(s, V::Scalar(real(&mut rng))),
                    ArgKind::Label { bound } => at.insert(s, V::Scalar(label(&mut rng, *bound))),
                    ArgKind::Tensor { dims, labels } => {
                        let shape: Vec<usize> = dims.iter().map(|&d| size(d)).collect();
                        let n: usize = shape.iter().product();
                        let data = (0..n)
                            .map(|_| match labels {
                                Some(b) => label(&mut rng, *b),
                                None => real(&mut rng),
                            })
                            .collect();
                        at.insert(s, V::Tensor(Rc::new(Tensor { shape, data })));
                    }
                }
                shapes.push(match at.get(s) {
                    Some(V::Tensor(t)) => t.shape.clone(),
                    _ => Vec::new(),
                });
            }
            let args: Vec<ArgValue<'_>> = inputs
                .iter()
                .map(|&(s, _)| match at.get(s).unwrap() {
                    V::Scalar(v) => ArgValue::Scalar(*v),
                    V::Tensor(t) => ArgValue::Tensor {
                        shape: &t.shape,
                        data: View::Decoded(&t.data),
                    },
                })
                .collect();
            let got = run(&program, &args).unwrap();
            // The same arrays as a dump's bytes, read in place (converted where they
            // are read, a block at a time by the contractions): the same results.
            let bytes: Vec<Vec<u8>> = args
                .iter()
                .map(|a| match a {
                    ArgValue::Tensor { data, .. } => (0..data.len())
                        .flat_map(|k| data.get(k).to_le_bytes())
                        .collect(),
                    ArgValue::Scalar(_) => Vec::new(),
                })
                .collect();
            let in_place: Vec<ArgValue<'_>> = args
                .iter()
                .zip(&bytes)
                .map(|(a, b)| match a {
                    ArgValue::Tensor { shape, .. } => ArgValue::Tensor {
                        shape,
                        data: View::Raw(b, Float::F64),
                    },
                    other => *other,
                })
                .collect();
            let read = run(&program, &in_place).unwrap();
            assert_eq!(read.value.value, got.value.value, "{}", c.expr);
            for (k, (x, y)) in read.grads.iter().zip(&got.grads).enumerate() {
                let scale = y.value.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for j in 0..y.value.len() {
                    assert!(
                        (x.value[j] - y.value[j]).abs() <= 1e-13 * scale
                            && (x.error[j] - y.error[j]).abs()
                                <= 1e-12 * y.error[j].abs().max(scale),
                        "{} gradient {k}, component {j}: read in place {} ({}), in memory {} ({})",
                        c.expr,
                        x.value[j],
                        x.error[j],
                        y.value[j],
                        y.error[j]
                    );
                }
            }
            // Every gradient handed over in blocks (computed a block at a time where
            // it can be) is the whole one, cut.
            let all = vec![true; program.grads.len()];
            let (_, blocks) = run_blocks(&program, &args, &all, &|k, start, v, e| {
                (k, start, v.to_vec(), e.to_vec())
            })
            .unwrap();
            for (k, bs) in blocks.iter().enumerate() {
                let whole = &got.grads[k];
                let scale = whole.value.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                let mut next = 0;
                for (kk, start, v, e) in bs {
                    assert_eq!((*kk, *start), (k, next), "{}: blocks in order", c.expr);
                    for (j, (x, y)) in v.iter().zip(e).enumerate() {
                        let (wx, wy) = (whole.value[next + j], whole.error[next + j]);
                        assert!(
                            (x - wx).abs() <= 1e-13 * scale
                                && (y - wy).abs() <= 1e-12 * wy.abs().max(scale),
                            "{} gradient {k}: component {} in blocks is {x} (bound {y}), whole {wx} (bound {wy})",
                            c.expr,
                            next + j
                        );
                    }
                    next += v.len();
                }
                assert_eq!(
                    next,
                    whole.value.len(),
                    "{}: every component in a block",
                    c.expr
                );
                if computed_in_blocks(&program, k) {
                    *in_blocks += 1;
                }
            }
            let close =
                |a: f64, b: f64, scale: f64| (a - b).abs() <= 1e-12 * scale.max(1e-300) + 1e-300;
            let ti = tape.inputs(&ws.pool, &at).unwrap();
            let want: Rounding = tape.run(&ti, None).unwrap();
            assert!(
                close(
                    got.value.value,
                    want.value,
                    want.value.abs().max(want.error * 1e-4)
                ),
                "{}: value {} against the tape's {}",
                c.expr,
                got.value.value,
                want.value
            );
            for (k, g) in grads.iter().enumerate() {
                let shape = &shapes[g.arg];
                let ei = per_grad[k].inputs(&ws.pool, &at).unwrap();
                let tape_values = per_grad[k].run::<Rounding>(&ei, shape);
                let mine = &got.grads[k];
                let scale = tape_values
                    .iter()
                    .flatten()
                    .map(|r| r.value.abs())
                    .fold(0.0, f64::max);
                for (j, t) in tape_values.iter().enumerate() {
                    let t = t.expect("the tape defines the gradient at these points");
                    assert!(
                        close(mine.value[j], t.value, scale.max(t.error * 1e-4)),
                        "{} by {}: component {j} is {} against the tape's {}",
                        c.expr,
                        ws.pool.name(inputs[g.arg].0),
                        mine.value[j],
                        t.value
                    );
                    let (e, f) = (mine.error[j], t.error);
                    assert!(e.is_finite() && e >= 0.0, "{}: bound {e}", c.expr);
                    let ratio = (e.max(f64::MIN_POSITIVE) / f.max(f64::MIN_POSITIVE))
                        .max(f / e.max(f64::MIN_POSITIVE));
                    if e.max(f) > 1e-9 * scale {
                        worst_ratio = worst_ratio.max(ratio);
                        assert!(
                            ratio <= 16.0,
                            "{} by {}: component {j}'s bound {e} against the tape's {f}",
                            c.expr,
                            ws.pool.name(inputs[g.arg].0)
                        );
                    }
                }
            }
        }
    }
    worst_ratio
}
