//! Whole-tensor expressions (`z / T`, `W @ x + b`, `X.T`, `Z[n, :]`, `softmax(Q @ K.T)`):
//! generated expressions print back as they read (parse → print → parse gives the same
//! node), and their elements evaluate to what an independent reference computes with
//! plain loops over arrays, so that broadcasting, `@`, transposes, rows and row-wise
//! definitions mean what NumPy means by them.

use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;
use proptest::prelude::*;

/// The axis length of every tensor in the generated expressions: the vectors z and w
/// and the square matrices A and B are all N long, so any combination has a shape.
const N: usize = 3;

/// A generated whole-tensor expression: a vector (rank 1) or a matrix (rank 2).
#[derive(Clone, Debug)]
enum T {
    Name(&'static str, usize),
    Scale(f64, Box<T>),
    DivBy(&'static str, Box<T>),
    Add(Box<T>, Box<T>),
    Sub(Box<T>, Box<T>),
    Mul(Box<T>, Box<T>),
    Exp(Box<T>),
    Tanh(Box<T>),
    MatMul(Box<T>, Box<T>),
    Transpose(Box<T>),
    Row(Box<T>, usize),
    Softmax(Box<T>),
}

/// Values of the leaves: vectors z, w; matrices A, B; scalar t.
struct Env {
    z: Vec<f64>,
    w: Vec<f64>,
    a: Vec<Vec<f64>>,
    b: Vec<Vec<f64>>,
    t: f64,
}

/// A dense value: a vector or a matrix.
#[derive(Clone, Debug)]
enum V {
    Vec(Vec<f64>),
    Mat(Vec<Vec<f64>>),
}

impl T {
    fn rank(&self) -> usize {
        match self {
            T::Name(_, r) => *r,
            T::Scale(_, u) | T::DivBy(_, u) | T::Exp(u) | T::Tanh(u) | T::Softmax(u) => u.rank(),
            T::Transpose(u) => u.rank(),
            T::Add(a, b) | T::Sub(a, b) | T::Mul(a, b) => a.rank().max(b.rank()),
            T::MatMul(a, b) => a.rank() + b.rank() - 2,
            T::Row(u, _) => u.rank() - 1,
        }
    }

    fn text(&self) -> String {
        match self {
            T::Name(n, _) => n.to_string(),
            T::Scale(c, u) => format!("{c}*({})", u.text()),
            T::DivBy(s, u) => format!("({}) / {s}", u.text()),
            T::Add(a, b) => format!("({}) + ({})", a.text(), b.text()),
            T::Sub(a, b) => format!("({}) - ({})", a.text(), b.text()),
            T::Mul(a, b) => format!("({}) * ({})", a.text(), b.text()),
            T::Exp(u) => format!("exp({})", u.text()),
            T::Tanh(u) => format!("tanh({})", u.text()),
            T::MatMul(a, b) => format!("({}) @ ({})", a.text(), b.text()),
            T::Transpose(u) => format!("({}).T", u.text()),
            T::Row(u, r) => format!("({})[{r}, :]", u.text()),
            T::Softmax(u) => format!("softmax({})", u.text()),
        }
    }

    fn eval(&self, env: &Env) -> V {
        let map = |v: V, f: &dyn Fn(f64) -> f64| match v {
            V::Vec(x) => V::Vec(x.into_iter().map(f).collect()),
            V::Mat(m) => V::Mat(
                m.into_iter()
                    .map(|r| r.into_iter().map(f).collect())
                    .collect(),
            ),
        };
        match self {
            T::Name("z", _) => V::Vec(env.z.clone()),
            T::Name("w", _) => V::Vec(env.w.clone()),
            T::Name("A", _) => V::Mat(env.a.clone()),
            T::Name(_, _) => V::Mat(env.b.clone()),
            T::Scale(c, u) => map(u.eval(env), &|x| c * x),
            T::DivBy(_, u) => map(u.eval(env), &|x| x / env.t),
            T::Exp(u) => map(u.eval(env), &f64::exp),
            T::Tanh(u) => map(u.eval(env), &f64::tanh),
            T::Add(a, b) => zip(a.eval(env), b.eval(env), |x, y| x + y),
            T::Sub(a, b) => zip(a.eval(env), b.eval(env), |x, y| x - y),
            T::Mul(a, b) => zip(a.eval(env), b.eval(env), |x, y| x * y),
            T::MatMul(a, b) => match (a.eval(env), b.eval(env)) {
                (V::Mat(m), V::Vec(v)) => V::Vec(m.iter().map(|r| dot(r, &v)).collect()),
                (V::Vec(v), V::Mat(m)) => V::Vec(
                    (0..N)
                        .map(|j| (0..N).map(|k| v[k] * m[k][j]).sum())
                        .collect(),
                ),
                (V::Mat(p), V::Mat(q)) => V::Mat(
                    (0..N)
                        .map(|i| {
                            (0..N)
                                .map(|j| (0..N).map(|k| p[i][k] * q[k][j]).sum())
                                .collect()
                        })
                        .collect(),
                ),
                (V::Vec(_), V::Vec(_)) => unreachable!("generated matmuls have a matrix"),
            },
            T::Transpose(u) => match u.eval(env) {
                V::Mat(m) => V::Mat((0..N).map(|i| (0..N).map(|j| m[j][i]).collect()).collect()),
                v => v,
            },
            T::Row(u, r) => match u.eval(env) {
                V::Mat(m) => V::Vec(m[*r].clone()),
                V::Vec(_) => unreachable!("rows are taken of matrices"),
            },
            T::Softmax(u) => match u.eval(env) {
                V::Vec(v) => V::Vec(softmax(&v)),
                V::Mat(m) => V::Mat(m.iter().map(|r| softmax(r)).collect()),
            },
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn softmax(v: &[f64]) -> Vec<f64> {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = v.iter().map(|x| (x - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|x| x / s).collect()
}

/// Elementwise with NumPy broadcasting: a vector lines up with a matrix's rows.
fn zip(a: V, b: V, f: impl Fn(f64, f64) -> f64) -> V {
    match (a, b) {
        (V::Vec(x), V::Vec(y)) => V::Vec(x.iter().zip(&y).map(|(p, q)| f(*p, *q)).collect()),
        (V::Mat(m), V::Vec(y)) => V::Mat(
            m.iter()
                .map(|r| r.iter().zip(&y).map(|(p, q)| f(*p, *q)).collect())
                .collect(),
        ),
        (V::Vec(x), V::Mat(m)) => V::Mat(
            m.iter()
                .map(|r| x.iter().zip(r).map(|(p, q)| f(*p, *q)).collect())
                .collect(),
        ),
        (V::Mat(m), V::Mat(n)) => V::Mat(
            m.iter()
                .zip(&n)
                .map(|(r, s)| r.iter().zip(s).map(|(p, q)| f(*p, *q)).collect())
                .collect(),
        ),
    }
}

/// Generated tensors of a given rank (1 or 2).
fn tensor(rank: usize, depth: u32) -> BoxedStrategy<T> {
    let leaf = if rank == 1 {
        prop_oneof![Just(T::Name("z", 1)), Just(T::Name("w", 1))].boxed()
    } else {
        prop_oneof![Just(T::Name("A", 2)), Just(T::Name("B", 2))].boxed()
    };
    if depth == 0 {
        return leaf;
    }
    let same = || tensor(rank, depth - 1);
    let b = Box::new;
    let mut options: Vec<BoxedStrategy<T>> = vec![
        leaf,
        (prop_oneof![Just(2.0), Just(-0.5)], same())
            .prop_map(move |(c, u)| T::Scale(c, b(u)))
            .boxed(),
        same().prop_map(move |u| T::DivBy("t", b(u))).boxed(),
        (same(), same())
            .prop_map(move |(x, y)| T::Add(b(x), b(y)))
            .boxed(),
        (same(), tensor(1, depth - 1))
            .prop_map(move |(x, y)| T::Sub(b(x), b(y)))
            .boxed(),
        (tensor(1, depth - 1), same())
            .prop_map(move |(x, y)| T::Mul(b(x), b(y)))
            .boxed(),
        same().prop_map(move |u| T::Tanh(b(u))).boxed(),
        same().prop_map(move |u| T::Softmax(b(u))).boxed(),
    ];
    if depth == 1 {
        options.push(same().prop_map(move |u| T::Exp(b(u))).boxed());
    }
    if rank == 1 {
        options.push(
            (tensor(2, depth - 1), tensor(1, depth - 1))
                .prop_map(move |(m, v)| T::MatMul(b(m), b(v)))
                .boxed(),
        );
        options.push(
            (tensor(1, depth - 1), tensor(2, depth - 1))
                .prop_map(move |(v, m)| T::MatMul(b(v), b(m)))
                .boxed(),
        );
        options.push(
            (tensor(2, depth - 1), 0..N)
                .prop_map(move |(m, r)| T::Row(b(m), r))
                .boxed(),
        );
    } else {
        options.push(
            (same(), same())
                .prop_map(move |(x, y)| T::MatMul(b(x), b(y)))
                .boxed(),
        );
        options.push(same().prop_map(move |u| T::Transpose(b(u))).boxed());
    }
    prop::strategy::Union::new(options).boxed()
}

/// Every name the expressions use, indexed once so their shapes are known.
const SHAPES: &str = "0*(z[0] + w[0] + A[0, 0] + B[0, 0])";

fn env() -> Env {
    let v = |k: usize| {
        (0..N)
            .map(|i| ((i * 7 + k * 3) % 11) as f64 / 5.0 - 1.0)
            .collect::<Vec<_>>()
    };
    Env {
        z: v(1),
        w: v(2),
        a: (0..N).map(|i| v(3 + i)).collect(),
        b: (0..N).map(|i| v(7 + i)).collect(),
        t: 1.7,
    }
}

fn bindings_text(e: &Env) -> String {
    let list = |v: &[f64]| {
        let parts: Vec<String> = v.iter().map(|x| format!("{x}")).collect();
        format!("[{}]", parts.join(", "))
    };
    let mat = |m: &[Vec<f64>]| {
        let rows: Vec<String> = m.iter().map(|r| list(r)).collect();
        format!("[{}]", rows.join(", "))
    };
    format!(
        "z={}, w={}, A={}, B={}, t={}",
        list(&e.z),
        list(&e.w),
        mat(&e.a),
        mat(&e.b),
        e.t
    )
}

/// The element text and the reference value of each element of a generated tensor.
fn elements(t: &T, env: &Env) -> Vec<(String, f64)> {
    match t.eval(env) {
        V::Vec(v) => (0..N)
            .map(|i| (format!("({})[{i}]", t.text()), v[i]))
            .collect(),
        V::Mat(m) => (0..N)
            .flat_map(|i| (0..N).map(move |j| (i, j)))
            .map(|(i, j)| (format!("({})[{i}, {j}]", t.text()), m[i][j]))
            .collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn whole_tensor_forms_round_trip(t in prop_oneof![tensor(1, 3), tensor(2, 3)]) {
        let mut s = Workspace::with_prelude().expect("prelude loads");
        let idx = if t.rank() == 1 { "[i]" } else { "[i, k]" };
        for text in [
            format!("({}){idx} + {SHAPES}", t.text()),
            format!("softmax({})[k]*(t + 1) + {SHAPES}", if t.rank() == 1 { t.text() } else { format!("({})[i, :]", t.text()) }),
        ] {
            let id = s.parse_expression(&text).unwrap_or_else(|e| panic!("`{text}`: {e:?}"));
            let printed = s.print(id);
            let again = s
                .parse_expression(&printed)
                .unwrap_or_else(|e| panic!("printed `{printed}` of `{text}` does not parse: {e:?}"));
            prop_assert_eq!(id, again, "`{}` printed as `{}`, read back as `{}`", text, printed, s.print(again));
            prop_assert_eq!(s.print(again), printed);
        }
    }

    #[test]
    fn whole_tensor_elements_agree_with_a_reference(t in prop_oneof![tensor(1, 3), tensor(2, 3)]) {
        let env = env();
        let mut s = Workspace::with_prelude().expect("prelude loads");
        let at = s.parse_bindings(&bindings_text(&env)).expect("bindings parse");
        for (text, want) in elements(&t, &env) {
            let full = format!("{text} + {SHAPES}");
            let id = s.parse_expression(&full).unwrap_or_else(|e| panic!("`{full}`: {e:?}"));
            let got = s.eval(id, &at).unwrap_or_else(|e| panic!("`{full}`: {e:?}"));
            let tol = 1e-12 * (1.0 + want.abs());
            prop_assert!((got - want).abs() <= tol, "`{}` = {} but the reference gives {}", text, got, want);
        }
    }
}

#[test]
fn attention_and_its_gradients_read_in_the_users_form() {
    let mut s = Workspace::with_prelude().unwrap();
    let text = "(softmax(Q @ K.T / sqrt(d)) @ V)[i, l] + 0*(Q[0, 0] + K[0, 0] + V[0, 0])";
    let id = s.parse_expression(text).unwrap();
    assert_eq!(s.print(id), "(softmax(Q @ K.T / sqrt(d)) @ V)[i, l]");
    let again = s.parse_expression(&s.print(id)).unwrap();
    assert_eq!(again, id);
}

#[test]
fn temperature_softmax_derivative_keeps_the_written_argument() {
    let mut s = gauge::Session::new();
    let d = s.diff("softmax(z / T)[i] + 0*z[0]", "z[k]").unwrap();
    assert_eq!(
        d.to_string(),
        "softmax(z / T)[i]*(delta(i, k)/T - softmax(z / T)[k]/T)"
    );
    let l = d.latex();
    assert!(l.contains("\\operatorname{softmax}(z / T)"), "{l}");
}

#[test]
fn shape_mismatches_point_at_both_operands() {
    let mut s = Workspace::with_prelude().unwrap();
    let e = s
        .load_file("t.gauge", "claim softmax(z) = z[0] + 0*z[1]")
        .expect_err("a vector is not a scalar");
    assert!(e.message.contains("different shapes"), "{}", e.message);
    let e = s
        .parse_expression("(x @ W)[i] + W[0, 0]")
        .expect_err("a scalar has no matrix product");
    assert!(
        e.message.contains("`@` multiplies tensors"),
        "{}",
        e.message
    );
    let e = s
        .parse_expression("softmax(A)[i, k, l] + A[0, 0]")
        .expect_err("three indices on a matrix");
    assert!(e.message.contains("3 indices"), "{}", e.message);
}

#[test]
fn declarations_fix_shapes_and_name_lengths() {
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file(
        "t.gauge",
        "tensor Q[n, d], K[m, d]\nlet S = Q @ K.T / sqrt(d)",
    )
    .expect("declared shapes lower");
    // `d` is a length: a scalar definition whose body is the length of Q's axis 1.
    let id = s.parse_expression("d").unwrap();
    assert_eq!(s.print(id), "d");
    let expanded = s.pool.expand_all_calls(id);
    assert_eq!(s.print(expanded), "len(Q, 1)");
    // A length named twice makes the axes equal: values that disagree are refused.
    let e = s.parse_expression("S[0, 0]").unwrap();
    let at = s
        .parse_bindings("Q=[[1, 2]], K=[[1, 2, 3]]")
        .expect("bindings parse");
    assert!(
        s.eval(e, &at).is_err(),
        "K's second axis must be as long as Q's"
    );
    let at = s.parse_bindings("Q=[[1, 2]], K=[[3, 4]]").unwrap();
    let v = s.eval(e, &at).unwrap();
    assert!((v - 11.0 / 2f64.sqrt()).abs() < 1e-12, "{v}");
    // A name cannot be a length and something else.
    let mut s = Workspace::with_prelude().unwrap();
    let err = s
        .load_file("t.gauge", "let n = 3\ntensor z[n]")
        .expect_err("n is already defined");
    assert!(err.message.contains("not as a length"), "{}", err.message);
}

#[test]
fn mean_and_the_length_of_an_index() {
    let mut s = Workspace::with_prelude().unwrap();
    let a = s.parse_expression("mean(j, z[j])").unwrap();
    let b = s.parse_expression("sum(j, z[j])/len(z)").unwrap();
    assert_eq!(a, b);
    let c = s.parse_expression("sum(j, z[j]/len(j))").unwrap();
    assert_eq!(c, b);
}

#[test]
fn expanding_definitions_writes_a_tensor_passed_whole_out_element_by_element() {
    // A tensor-valued call passed whole has no body of its own; expanding it before
    // the call that receives it once left its result index unbound, which made
    // `softmax(z / T)[i]` read as 1/len(z) and let false claims be proved.
    let mut s = Workspace::with_prelude().unwrap();
    let at = s.parse_bindings("z=[0.5, -1, 2], T=1.5").unwrap();
    for text in [
        "softmax(z / T)[i]",
        "softmax(softmax(z))[i]",
        "cross_entropy(z - T, i)",
    ] {
        let full = format!("{text} + 0*z[0]");
        let id = s.parse_expression(&full).unwrap();
        let builtins = s.builtin_definitions();
        let expanded = s.pool.expand_definitions(id, &builtins);
        for i in 0..3 {
            let at_i = s
                .parse_bindings(&format!("z=[0.5, -1, 2], T=1.5, i={i}"))
                .unwrap();
            let a = s.eval(id, &at_i).unwrap();
            let b = s.eval(expanded, &at_i).unwrap();
            assert!((a - b).abs() < 1e-12, "{text} at i={i}: {a} != {b}");
        }
        let _ = &at;
    }
}

#[test]
fn len_of_an_intermediate_is_the_length_of_its_result_axis() {
    let text = "tensor Q[nq, dk], K[nk, dk]\n\
        let A = softmax(Q @ K.T / sqrt(dk))\n\
        let h[i] = tanh(Q[i, 0])\n\
        claim lh: len(h) = nq\n\
        claim la: len(A, 1) = nk\n\
        claim lbad: len(A, 1) = nq\n";
    let verdicts = crate::common::verdicts(text);
    assert_eq!(verdicts, ["proved", "proved", "refuted"]);
    let mut s = Workspace::with_prelude().expect("prelude loads");
    s.load_file("len.gauge", text).expect("loads");
    let e = s
        .load_file("bad.gauge", "claim c: len(A, 2) = 1\n")
        .unwrap_err();
    assert!(e.message.contains("axis 2 does not exist"), "{}", e.message);
}

#[test]
fn whole_tensor_arithmetic_on_a_definitions_parameter_follows_the_argument() {
    // Such a body once kept the parameter's own name when the definition was called,
    // so `diff(f(X), X[a, c])` came out 0 and a true claim was refuted. The parameter
    // is now an argument of the whole-tensor expression's call, which calling the
    // definition substitutes.
    let text = "tensor X[N, C]\n\
        let f(Z) = sum(n, log_softmax(Z[n, :])[1])\n\
        let g(z) = log_softmax(z / 2)[1] + z[0]\n\
        let t(z, T) = softmax(z / T)[0]*z[1]\n\
        let h(Y) = 3*f(Y)\n\
        claim df: diff(f(X), X[a, c]) = delta(c, 1) - softmax(X[a, :])[c]\n\
        claim dg: diff(g(w), w[c]) = (delta(c, 1) - softmax(w / 2)[c])/2 + delta(c, 0)\n\
        claim t1: t(w, 1) = softmax(w)[0]*w[1]\n\
        claim dh: diff(h(X), X[a, c]) = 3*(delta(c, 1) - softmax(X[a, :])[c])\n\
        claim wrong: diff(f(X), X[a, c]) = delta(c, 1) - softmax(X[a, :])[c] + X[a, c]\n\
        claim dt: diff(t(w, T), T) = -softmax(w / T)[0]*w[1]*(w[0] - dot(softmax(w / T), w))/T^2\n";
    let verdicts = crate::common::verdicts(text);
    assert_eq!(
        verdicts,
        ["proved", "proved", "proved", "proved", "refuted", "proved"]
    );
    // The value follows the argument too: f at a point against the formula by hand.
    let at = "X=[[0.5, -1, 2], [1.5, 0.25, -0.75]]";
    let by_hand: f64 = [[0.5f64, -1.0, 2.0], [1.5, 0.25, -0.75]]
        .iter()
        .map(|r| r[1] - r.iter().map(|v| v.exp()).sum::<f64>().ln())
        .sum();
    let mut s = gauge::Session::new();
    s.load(text.split("claim").next().expect("the definitions"))
        .expect("the definitions load");
    let v = s.eval_at("f(X)", at).expect("evaluates").value();
    assert!((v - by_hand).abs() < 1e-12, "{v} against {by_hand}");
}

#[test]
fn a_parameter_declared_with_its_axes_may_be_used_whole_and_names_its_lengths() {
    // Used only whole, `z` and `Y` would be scalars; declared, they are tensors, and
    // the lengths they name read as the lengths (`n` is `len(z)`).
    let text = "tensor X[N, C]\n\
        let t(z[n], T) = softmax(z / T)[0]\n\
        let avg(z[n]) = sum(j, z[j]) / n\n\
        let f(Z) = sum(r, log_softmax(Z[r, :])[1])\n\
        let g(Y[m, c], s) = f(Y * s) + s*m\n\
        let lin(W[o, d], x[d]) = sum(i, tanh(W @ x)[i])\n\
        claim t1: t(w, 1) = softmax(w)[0]\n\
        claim dt: diff(t(w, T), T) = -softmax(w / T)[0]*(w[0] - dot(softmax(w / T), w))/T^2\n\
        claim av: avg(w) = mean(j, w[j])\n\
        claim dg: diff(g(X, s), X[a, c]) = s*(delta(c, 1) - softmax(s*X[a, :])[c])\n\
        claim gs: diff(g(X, s), s) = sum(r, X[r, 1] - dot(softmax(s*X[r, :]), X[r, :])) + N\n\
        claim l1: diff(lin(A, v), v[b]) = sum(i, (1 - tanh(A @ v)[i]^2)*A[i, b])\n\
        claim bad: diff(g(X, 3), X[a, c]) = 2*(delta(c, 1) - softmax(3*X[a, :])[c])\n";
    let verdicts = crate::common::verdicts(text);
    assert_eq!(
        verdicts,
        [
            "proved", "proved", "proved", "proved", "proved", "proved", "refuted"
        ]
    );
    // A length shared by two parameters links the arguments' axes.
    let mut s = gauge::Session::new();
    s.load("let f(z[n], w[n]) = sum(j, z[j]*w[j])")
        .expect("loads");
    let e = s.eval_at("f(u, v)", "u=[1, 2, 3], v=[1, 2]").unwrap_err();
    assert!(e.message().contains("must be equal"), "{}", e.message());
    assert_eq!(
        s.eval_at("f(u, v)", "u=[1, 2], v=[3, 4]")
            .expect("evaluates")
            .value(),
        11.0
    );
    // The declared rank is the parameter's rank, and a length is not a parameter.
    for (bad, says) in [
        ("let f(z[n]) = z[0, 1]", "first used as a vector"),
        ("let f(z[n], n) = z[0]", "named twice"),
        ("let f(z[n, ]) = 1", "expected a name"),
    ] {
        let e = gauge::Session::new().load(bad).unwrap_err();
        assert!(e.message().contains(says), "{bad}: {}", e.message());
    }
    // Undeclared and used only whole, a parameter is a scalar, and the hint says how
    // to declare it where it is.
    let e = gauge::Session::new()
        .load("let k(z, T) = softmax(z / T)[0]")
        .unwrap_err();
    assert!(
        e.message().contains("but this is a scalar"),
        "{}",
        e.message()
    );
    assert!(
        e.hint().is_some_and(|h| h.contains("let f(z[n], T)")),
        "{:?}",
        e.hint()
    );
}

#[test]
fn a_parameter_used_only_for_a_length_inside_a_whole_tensor_form_follows_the_argument() {
    // `Z` names the classes of `onehot` here and is otherwise used once, outside the
    // form; a global of another shape under the same length names must not leak in.
    let text = "tensor X[P, Q]\n\
        let f(Z[M, K], lab) = sum(c, onehot(lab[0], K)[c] * Z[0, c])\n\
        claim a: f(A, y) = A[0, y[0]]\n\
        claim d: diff(f(A, y), A[0, c]) = delta(c, y[0])\n\
        claim wrong: diff(f(A, y), A[0, c]) = delta(c, y[1])\n";
    assert_eq!(
        crate::common::verdicts(text),
        ["proved", "proved", "refuted"]
    );
    let mut s = gauge::Session::new();
    s.load(text.split("claim").next().expect("the definitions"))
        .expect("loads");
    let v = s
        .eval_at("f(A, y)", "A=[[1, 2, 3], [4, 5, 6]], y=[2, 0]")
        .expect("evaluates");
    assert_eq!(v.value(), 3.0);
}

#[test]
fn an_element_is_not_folded_into_a_scaled_copy_of_its_tensor() {
    // `(X / 2)` names nothing: `X[0, 0]` stays as written, instead of becoming
    // `2*(X / 2)[0, 0]`, which is longer and reads back only if `X` is indexed
    // elsewhere.
    let o = crate::common::gauge(&["simplify", "(X / 2)[a, c] + X[0, 0]"]);
    let printed = crate::common::stdout(&o).trim().to_string();
    assert_eq!(printed, "X[0, 0] + (X / 2)[a, c]");
    let mut s = Workspace::with_prelude().unwrap();
    let e = s.parse_expression("(X / 2)[a, c] + X[0, 0]").unwrap();
    assert_eq!(s.parse_expression(&printed).unwrap(), e);
}
