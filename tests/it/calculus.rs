//! Derivatives: the results promised in the README print exactly as `gauge parse` prints
//! the expected form, attention gradients agree with finite differences, and the
//! cross-entropy derivation is a reviewed snapshot.

use crate::common::{gauge, stderr, stdout, with_snapshots};
use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;

/// Runs a derivative command and the canonical form of the expected result, and
/// compares the two texts.
fn derives_to(args: &[&str], expected: &str) {
    let out = gauge(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    let want = gauge(&["parse", expected]);
    assert_eq!(
        stdout(&out).trim(),
        stdout(&want).trim(),
        "{args:?} should give {expected}"
    );
}

#[test]
fn the_seed_derivatives() {
    derives_to(&["diff", "eml(x, y)", "--wrt", "x"], "exp(x)");
    derives_to(&["diff", "eml(x, y)", "--wrt", "y"], "-1/y");
    derives_to(
        &["diff", "cross_entropy(z, y)", "--wrt", "z[i]"],
        "softmax(z)[i] - delta(i, y)",
    );
    derives_to(&["diff", "logsumexp(z)", "--wrt", "z[i]"], "softmax(z)[i]");
    derives_to(
        &["diff", "log_softmax(z)[k]", "--wrt", "z[i]"],
        "delta(i, k) - softmax(z)[i]",
    );
    derives_to(
        &["diff", "softmax(z)[k]", "--wrt", "z[i]"],
        "softmax(z)[k]*(delta(i, k) - softmax(z)[i])",
    );
}

#[test]
fn builtin_and_prelude_derivatives() {
    derives_to(
        &["diff", "sigmoid(x)", "--wrt", "x"],
        "sigmoid(x)*(1 - sigmoid(x))",
    );
    derives_to(&["diff", "bce(z, t)", "--wrt", "z"], "sigmoid(z) - t");
    derives_to(&["diff", "tanh(x)", "--wrt", "x"], "1 - tanh(x)^2");
    derives_to(
        &["diff", "eml(eml(x, 1), 1)", "--wrt", "x"],
        "exp(x + exp(x))",
    );
}

#[test]
fn index_calculus() {
    derives_to(
        &[
            "diff",
            "sum(i, (sum(k, W[i, k]*x[k]) + b[i] - t[i])^2)",
            "--wrt",
            "W[a, c]",
        ],
        "2*x[c]*(sum(k, W[a, k]*x[k]) + b[a] - t[a])",
    );
    derives_to(
        &["hessian", "logsumexp(z)", "--wrt", "z"],
        "softmax(z)[i]*(delta(i, k) - softmax(z)[k])",
    );
    derives_to(&["grad", "logsumexp(z)", "--wrt", "z"], "softmax(z)[i]");
    derives_to(&["diff", "sum(j, z[j])", "--wrt", "z[j]"], "1");
    derives_to(&["diff", "sum(j, z[j]^2)", "--wrt", "z[0]"], "2*z[0]");
    derives_to(
        &["diff", "z[0]*z[1]", "--wrt", "z[i]"],
        "delta(0, i)*z[1] + delta(1, i)*z[0]",
    );
}

/// Like [`derives_to`], with definitions loaded for both the command and the expected form.
fn derives_to_with(defs: &str, args: &[&str], expected: &str) {
    let mut full: Vec<&str> = args.to_vec();
    full.extend(["--defs", defs]);
    let out = gauge(&full);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    let want = gauge(&["parse", expected, "--defs", defs]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&want));
    assert_eq!(
        stdout(&out).trim(),
        stdout(&want).trim(),
        "{args:?} should give {expected}"
    );
}

#[test]
fn attention_backward_formulas() {
    let defs = "examples/attention.gauge";
    derives_to_with(
        defs,
        &["diff", "loss", "--wrt", "V[a, b]"],
        "sum(i, P[i, a]*G[i, b])",
    );
    derives_to_with(
        defs,
        &["diff", "loss", "--wrt", "Q[a, b]"],
        "sum(j, G[a, j]*sum(k, K[k, b]*V[k, j]*P[a, k]))/sqrt(d) \
         - sum(j, G[a, j]*O[a, j])*sum(j, K[j, b]*P[a, j])/sqrt(d)",
    );
    derives_to_with(
        defs,
        &["diff", "loss", "--wrt", "K[a, b]"],
        "sum(i, Q[i, b]*P[i, a]*sum(l, G[i, l]*V[a, l]))/sqrt(d) \
         - sum(i, Q[i, b]*P[i, a]*sum(l, G[i, l]*O[i, l]))/sqrt(d)",
    );
}

/// Central differences of `loss` in the element `name[a, b]`, at a point.
fn central_difference(
    s: &mut Workspace,
    loss: gauge::expr::node::ExprId,
    at: &str,
    name: &str,
    a: usize,
    b: usize,
    h: f64,
) -> f64 {
    let base = s.parse_bindings(at).unwrap();
    let sym = s.pool.lookup_symbol(name).unwrap();
    let mut values = |delta: f64| {
        let mut bindings = base.clone();
        if let Some(gauge::numeric::value::Value::Tensor(t)) = base.get(sym) {
            let mut t = (**t).clone();
            let off = t.offset(&[a, b]).unwrap();
            t.data[off] += delta;
            bindings.insert(
                sym,
                gauge::numeric::value::Value::Tensor(std::rc::Rc::new(t)),
            );
        }
        s.eval(loss, &bindings).unwrap()
    };
    (values(h) - values(-h)) / (2.0 * h)
}

#[test]
fn attention_gradients_agree_with_finite_differences() {
    let mut s = Workspace::with_prelude().unwrap();
    let text =
        std::fs::read_to_string(crate::common::root().join("examples/attention.gauge")).unwrap();
    s.load_file("examples/attention.gauge", &text).unwrap();
    let loss = s.parse_expression("loss").unwrap();
    let at = "Q=[[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]], K=[[0.2, 0.7, -0.1], [-0.5, 0.3, 0.2], [0.4, -0.3, 0.6]], \
              V=[[1.0, -0.5], [0.25, 0.75], [-0.3, 0.9]], G=[[0.6, -1.1], [0.8, 0.2]], d=3";
    for (tensor, rows, cols) in [("V", 3, 2), ("Q", 2, 3), ("K", 3, 3)] {
        let var = s.parse_variable(&format!("{tensor}[a, b]")).unwrap();
        let defs = s.definitions_in_order();
        let d =
            gauge::calculus::derivation::derive_with_steps(&mut s.pool, loss, var, 1, &defs, &[])
                .unwrap();
        for a in 0..rows {
            for b in 0..cols {
                let point = format!("{at}, a={a}, b={b}");
                let bindings = s.parse_bindings(&point).unwrap();
                let symbolic = s.eval(d.result, &bindings).unwrap();
                let numeric = central_difference(&mut s, loss, at, tensor, a, b, 1e-5);
                assert!(
                    (symbolic - numeric).abs() <= 1e-8 * (1.0 + numeric.abs()),
                    "d loss / d {tensor}[{a}, {b}]: symbolic {symbolic}, finite differences {numeric}"
                );
            }
        }
    }
}

#[test]
fn the_cross_entropy_derivation_reads_in_a_few_steps() {
    let out = gauge(&["diff", "cross_entropy(z, y)", "--wrt", "z[i]", "--steps"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let lines = text.lines().count();
    assert!(lines <= 12, "{lines} lines:\n{text}");
    assert!(
        text.trim_end()
            .ends_with("softmax(z)[i] - delta(i, y)    [fold-definition]")
    );
    with_snapshots(|| insta::assert_snapshot!("calculus__cross_entropy_steps", text));
}

#[test]
fn the_steps_end_where_the_fast_path_does() {
    for (expr, var) in [
        ("cross_entropy(z, y)", "z[i]"),
        ("softmax(z)[k]", "z[i]"),
        ("x^x*sin(x)/ln(x)", "x"),
        ("sum(i, k, W[i, k]*v[k]*u[i])^2", "W[a, b]"),
    ] {
        let mut s = Workspace::with_prelude().unwrap();
        let e = s.parse_expression(expr).unwrap();
        let v = s.parse_variable(var).unwrap();
        let defs = s.definitions_in_order();
        let stepwise =
            gauge::calculus::derivation::derive_with_steps(&mut s.pool, e, v, 1, &defs, &[])
                .unwrap();
        let (fast, _) = gauge::calculus::derivative::derive_n(&mut s.pool, e, v, 1).unwrap();
        let mut simp = gauge::simplify::simplifier::Simplifier::new(&mut s.pool, defs);
        let fast = simp.simplify(fast);
        assert_eq!(s.print(stepwise.result), s.print(fast), "{expr} by {var}");
    }
}

#[test]
fn nondifferentiable_points_are_stated() {
    let out = gauge(&["diff", "abs(x)", "--wrt", "x"]);
    assert!(stdout(&out).contains("(where x != 0)"), "{}", stdout(&out));
    let out = gauge(&["--format", "json", "diff", "abs(x - 1)", "--wrt", "x"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["conditions"][0], "x - 1 != 0");
}

#[test]
fn shared_subexpressions_print_once_with_cse() {
    let out = gauge(&["diff", "sigmoid(w*x + b)", "--wrt", "w", "--cse"]);
    assert_eq!(
        stdout(&out),
        "x*s1*(1 - s1)\nwhere\n  s1 = sigmoid(b + w*x)\n"
    );
}

#[test]
fn a_full_gradient_over_scalars_in_one_sweep() {
    let out = gauge(&[
        "grad",
        "-z0 + ln(exp(z0) + exp(z1) + exp(z2))",
        "--wrt",
        "z0,z1,z2",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The sum the partials share is printed once, as a `let` they refer to.
    let sum = stdout(&gauge(&["parse", "exp(z0) + exp(z1) + exp(z2)"]));
    let want = [
        format!("let s1 = {}", sum.trim()),
        "z0: exp(z0)/s1 - 1".to_string(),
        "z1: exp(z1)/s1".to_string(),
        "z2: exp(z2)/s1".to_string(),
    ];
    assert_eq!(stdout(&out).lines().collect::<Vec<_>>(), want);
}

#[test]
fn shared_lets_never_take_a_name_of_the_input() {
    // `s1` is a variable here, so the shared sum is named `s2`.
    let out = gauge(&["grad", "s1*ln(exp(a) + exp(b))", "--wrt", "a,b"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("let s2 = exp(a) + exp(b)\n"), "{text}");
    assert!(text.contains("a: s1*exp(a)/s2"), "{text}");
}

#[test]
fn a_gradient_s_output_grows_linearly_with_its_variables() {
    // Printed as trees, the 1,000 partials of a cross-entropy would each repeat the sum
    // of 1,000 exponentials (12 MB); with the sum bound once, each partial is a line.
    let n = 1000;
    let vars: Vec<String> = (0..n).map(|k| format!("z{k}")).collect();
    let terms: Vec<String> = vars.iter().map(|v| format!("exp({v})")).collect();
    let text = format!("-z0 + ln({})", terms.join(" + "));
    let out = gauge(&["grad", &text, "--wrt", &vars.join(",")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = stdout(&out);
    assert_eq!(printed.lines().count(), n + 1);
    assert!(
        printed.len() < 2 * text.len() + 20 * n,
        "{} bytes",
        printed.len()
    );
    assert!(printed.lines().any(|l| l == "z999: exp(z999)/s1"));
}

#[test]
fn the_gradient_shares_the_function_s_subexpressions() {
    // Cross-entropy over 200 explicit logits: the gradient's DAG stays within 1.5 times
    // the function's, as a reverse sweep gives (differentiating each logit separately
    // would not share the normalizer).
    let n = 200;
    let vars: Vec<String> = (0..n).map(|k| format!("z{k}")).collect();
    let terms: Vec<String> = vars.iter().map(|v| format!("exp({v})")).collect();
    let text = format!("-z0 + ln({})", terms.join(" + "));
    let mut s = Workspace::new();
    let f = s.parse_expression(&text).unwrap();
    let ids: Vec<_> = vars.iter().map(|v| s.parse_variable(v).unwrap()).collect();
    let grad = gauge::calculus::gradient::gradient(&mut s.pool, f, &ids).unwrap();
    let size = |roots: &[gauge::expr::node::ExprId]| {
        let mut seen = std::collections::HashSet::new();
        let mut todo = roots.to_vec();
        while let Some(x) = todo.pop() {
            if seen.insert(x) {
                todo.extend(gauge::expr::node::children(s.pool.node(x)));
            }
        }
        seen.len()
    };
    let ratio = size(&grad) as f64 / size(&[f]) as f64;
    assert!(ratio <= 1.5, "gradient DAG is {ratio} times the function's");
}

#[test]
fn a_hessian_that_is_diagonal_plus_an_outer_product_prints_as_one_indexed_entry() {
    // The Hessian of logsumexp is diag(p) - p p^T with p = softmax: it prints as the
    // vector p and one entry in index form, not n^2 lines.
    let out = gauge(&["hessian", "ln(exp(a) + exp(b) + exp(c))", "--wrt", "a,b,c"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "let s1 = sum(i, exp(i))",
            "u[i] = exp(i)/s1",
            "i, j in (a, b, c): u[i]*(delta(i, j) - u[j])",
        ]
    );
    // A cross-entropy's first partials are softmax - onehot; the constant does not
    // hide the same structure.
    let out = gauge(&[
        "hessian",
        "-ln(exp(b)/(exp(a) + exp(b) + exp(c)))",
        "--wrt",
        "a,b,c",
    ]);
    assert!(stdout(&out).ends_with("i, j in (a, b, c): u[i]*(delta(i, j) - u[j])\n"));
}

#[test]
fn a_rolled_vector_or_sum_writes_back_to_the_json_elements_variable_by_variable() {
    // Text rolls `[exp(a)/s1, ...]` into `u[i] = exp(i)/s1` where every element is one
    // template; JSON keeps the elements. Writing each variable back in for the index
    // gives each JSON element, and a vector that does not roll prints as a list.
    let vars = ["x", "y", "z", "w"];
    let mut rolled = 0;
    for f in [
        "ln(exp(x) + exp(y) + exp(z) + exp(w))",
        "ln(1 + exp(x) + exp(y) + exp(z) + exp(w))",
        "sqrt(x^2 + y^2 + z^2 + w^2)",
        "sin(x) + cos(y) + z^3 + exp(w)",
        "(x*y + y + z + w + x)^2",
    ] {
        let text = stdout(&gauge(&["hessian", f, "--wrt", "x,y,z,w"]));
        let out = gauge(&["hessian", f, "--wrt", "x,y,z,w", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let s = &v["structure"];
        if !s.is_object() {
            continue;
        }
        let i = s["indices"][0].as_str().unwrap();
        for vector in s["vectors"].as_array().unwrap() {
            let name = vector["name"].as_str().unwrap();
            let head = format!("{name}[{i}] = ");
            let Some(line) = text.lines().find(|l| l.starts_with(&head)) else {
                assert!(text.contains(&format!("{name} = [")), "{f}: {text}");
                continue;
            };
            rolled += 1;
            let template = &line[head.len()..];
            for (k, var) in vars.iter().enumerate() {
                let written = template.replace(&format!("({i})"), &format!("({var})"));
                let written = written.replace(&format!("{i}^"), &format!("{var}^"));
                let written = if written == i {
                    var.to_string()
                } else {
                    written
                };
                let element = vector["value"][k].as_str().unwrap();
                assert_eq!(written, element, "{f}: {line}");
            }
        }
    }
    assert!(rolled >= 3, "only {rolled} vectors rolled");
}

#[test]
fn a_hessian_without_that_structure_prints_entry_by_entry_in_terms_of_the_first_partials() {
    // Two variables are too few to tell a structure: the upper triangle prints, each
    // entry a product of named first partials.
    let out = gauge(&["hessian", "ln(exp(a) + exp(b))", "--wrt", "a,b"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(String::from).collect();
    assert_eq!(
        lines,
        [
            "let s1 = exp(a) + exp(b)",
            "let p1 = exp(a)/s1",
            "let p2 = exp(b)/s1",
            "a, a: p1 - p1^2",
            "a, b: -p1*p2",
            "b, b: p2 - p2^2",
        ]
    );
    // x*y*z's entries off the diagonal (z, y, x) are no outer product u_i*u_j.
    let out = gauge(&["hessian", "x*y*z", "--wrt", "x,y,z"]);
    let lines: Vec<String> = stdout(&out).lines().map(String::from).collect();
    assert_eq!(
        lines,
        [
            "x, x: 0", "x, y: z", "x, z: y", "y, y: 0", "y, z: x", "z, z: 0"
        ]
    );
}

#[test]
fn every_structured_hessian_entry_is_proved_equal_to_differentiating_twice() {
    // Norms, sums of one-variable terms, functions of a weighted sum, log-partitions:
    // each entry the structure stands for (its vectors and deltas written in) is
    // proved equal to diff(diff(f, x), y), and agrees with the JSON matrix.
    let vars = ["x", "y", "z", "w"];
    for f in [
        "sqrt(x^2 + y^2 + z^2 + w^2)",
        "ln(x^2 + y^2 + z^2 + w^2) + x",
        "sin(x) + cos(y) + z^3 + exp(w)",
        "(2*x + 3*y + z - w)^2",
        "softplus(x + y + z + w)",
        "ln(1 + exp(x) + exp(y) + exp(z) + exp(w))",
    ] {
        let out = gauge(&["hessian", f, "--wrt", "x,y,z,w", "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let s = &v["structure"];
        assert!(s.is_object(), "{f}: no structure in {v}");
        let [i, j] = [0, 1].map(|k| s["indices"][k].as_str().unwrap().to_string());
        let lets = let_lines(&v);
        let h = v["hessian"].as_array().unwrap();
        for (r, a) in vars.iter().enumerate() {
            for (c, b) in vars.iter().enumerate() {
                let mut entry = s["entry"].as_str().unwrap().to_string();
                entry = entry.replace(&format!("delta({i}, {j})"), if r == c { "1" } else { "0" });
                for vector in s["vectors"].as_array().unwrap() {
                    let name = vector["name"].as_str().unwrap();
                    let value = vector["value"].as_array().unwrap();
                    for (index, k) in [(&i, r), (&j, c)] {
                        let element = format!("({})", value[k].as_str().unwrap());
                        entry = entry.replace(&format!("{name}[{index}]"), &element);
                    }
                }
                for claim in [
                    format!("{lets}claim c: {entry} = diff(diff({f}, {a}), {b})\n"),
                    format!("{lets}claim c: {entry} = {}\n", h[r][c].as_str().unwrap()),
                ] {
                    assert_proved(&claim, &format!("outer-{r}{c}"));
                }
            }
        }
    }
}

#[test]
fn a_hessian_by_scalars_agrees_with_differentiating_twice() {
    // Every entry, with its bindings substituted back, equals diff(diff(f, x), y), as
    // the prover decides; the JSON matrix is symmetric.
    let f = "x^2*y + exp(x*y) + sigmoid(w*x)";
    let vars = ["x", "y", "w"];
    let out = gauge(&["hessian", f, "--wrt", "x,y,w", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let lets = let_lines(&v);
    let h = v["hessian"].as_array().unwrap();
    for (i, a) in vars.iter().enumerate() {
        for (j, b) in vars.iter().enumerate() {
            let entry = h[i][j].as_str().unwrap();
            assert_eq!(entry, h[j][i].as_str().unwrap());
            let claim = format!("{lets}claim c: {entry} = diff(diff({f}, {a}), {b})\n");
            assert_proved(&claim, &format!("hessian-{i}{j}"));
        }
    }
}

/// A JSON result's `let` list as gauge statements, one a line.
fn let_lines(v: &serde_json::Value) -> String {
    let mut lets = String::new();
    for b in v["let"].as_array().unwrap() {
        lets.push_str(&format!(
            "let {} = {}\n",
            b["name"].as_str().unwrap(),
            b["value"].as_str().unwrap()
        ));
    }
    lets
}

/// Asserts that `gauge prove` proves the one claim of `file` (written to a temporary
/// file named after `tag`).
fn assert_proved(file: &str, tag: &str) {
    let path = std::env::temp_dir().join(format!("gauge-{tag}-{}", std::process::id()));
    std::fs::write(&path, file).unwrap();
    let proved = gauge(&["prove", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    assert!(
        stdout(&proved).contains("1 proved, 0 confirmed, 0 refuted"),
        "{file}\n{}",
        stdout(&proved)
    );
}
