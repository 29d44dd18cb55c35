//! The tape's tables (an indexed call read inside a loop, computed once per run), its
//! fused product loops, its runs that start from the unperturbed run's tables, and its
//! formulas evaluated at every element at once: each gives exactly the values and the
//! failures of the plain computation.

use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;
use gauge::numeric::scalar::{Complex, Dual, F32, Scalar};
use gauge::numeric::tape::{Elementwise, InputRef, Reuse, Tape, TapeInputs};
use gauge::numeric::value::{Bindings, Value};
use proptest::prelude::*;

use crate::tape::library_and_reference_with;

/// A small network, and definitions whose tables are read in every way a position can
/// be read: by their own index, transposed, on a diagonal, at a literal, through a
/// normalizer hoisted out of them, and by another table.
pub(crate) const DEFS: &str = "\
let h1[i] = tanh(sum(j, W1[i, j]*x[j]) + b1[i])
let h2[i] = tanh(sum(j, W2[i, j]*h1[j]) + b2[i])
let z[i] = sum(j, W3[i, j]*h2[j]) + b3[i]
let t[i, k] = W2[k, i]*h1[i]
let d[i] = Q[i, i]*x[0] + ln(2 + h1[i])
let p[i] = softmax(z)[i]*b3[2]
let s[i] = c*b2[i] + sum(k, t[k, i])";

/// A point for `DEFS`, the values drawn from a simple generator.
fn point(seed: u64) -> String {
    let mut state = seed;
    let mut list = |n: usize| {
        let v: Vec<String> = (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let x = ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5;
                format!("{x:?}")
            })
            .collect();
        format!("[{}]", v.join(", "))
    };
    let mut matrix = |r: usize, c: usize| {
        let rows: Vec<String> = (0..r).map(|_| list(c)).collect();
        format!("[{}]", rows.join(", "))
    };
    let shapes = [
        (3, 3),
        (3, 4),
        (1, 4),
        (1, 3),
        (5, 3),
        (1, 5),
        (4, 5),
        (1, 4),
    ];
    let [q, w1, x, b1, w2, b2, w3, b3] = shapes.map(|(r, c)| {
        let m = matrix(r, c);
        // A one-row matrix is a vector.
        if r == 1 {
            m[1..m.len() - 1].to_string()
        } else {
            m
        }
    });
    format!("Q={q}, W1={w1}, x={x}, b1={b1}, W2={w2}, b2={b2}, W3={w3}, b3={b3}, c=0.7, y=1")
}

/// Functions of `DEFS` that read their tables inside loops.
pub(crate) const FUNCTIONS: [&str; 6] = [
    "cross_entropy(z, y)",
    "sum(i, k, t[i, k]*h2[k]) + sum(i, d[i])",
    "sum(i, p[i]*z[i]) + sum(i, s[i]^2)",
    "sum(i, h1[i]*sum(k, t[i, k]))",
    "sum(i, h2[i]*h2[i]) + h1[0]",
    "logsumexp(z) + sum(i, d[i])*sum(i, s[i])",
];

fn session() -> Workspace {
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file("defs", DEFS).unwrap();
    s
}

/// Every input a check perturbs: each scalar and each element of each tensor.
fn every_input(s: &Workspace, at: &Bindings) -> Vec<InputRef> {
    let mut out = Vec::new();
    for name in at.names() {
        match at.get(name) {
            Some(Value::Scalar(_)) if s.pool.name(name) != "y" => out.push(InputRef::Scalar(name)),
            Some(Value::Tensor(t)) => {
                out.extend((0..t.data.len()).map(|off| InputRef::Element(name, off)))
            }
            _ => {}
        }
    }
    out
}

/// A run from the kept tables against a run from scratch, for one seed.
fn same<T: Scalar + 'static>(tape: &Tape, inputs: &TapeInputs, reuse: &Reuse, seed: (InputRef, T)) {
    let fresh = tape.run(inputs, Some(seed));
    let kept = reuse.run(Some(seed));
    match (fresh, kept) {
        (Ok(a), Ok(b)) => assert!(a == b, "{seed:?}: {a:?} from scratch, {b:?} kept"),
        (Err(a), Err(b)) => assert_eq!(a, b, "{seed:?}"),
        (a, b) => panic!("{seed:?}: {a:?} from scratch, {b:?} kept"),
    }
}

#[test]
fn tables_give_the_reference_values() {
    for seed in 1..=20 {
        let at = point(seed);
        for f in FUNCTIONS {
            let (tape, tree) = library_and_reference_with(DEFS, f, &at);
            let (tape, tree) = (tape.unwrap(), tree.unwrap());
            // The tape and the reference order some sums differently: rounding apart.
            assert!(
                (tape - tree).abs() <= 1e-14 * tree.abs().max(1.0),
                "{f} at {at}: {tape} and {tree}"
            );
        }
    }
}

#[test]
fn a_table_fails_where_the_call_as_written_fails_first() {
    // `ln(h1[i])` fails where `h1[i]` is not positive; a fused loop fails at a position
    // past a tensor's end, or where a product overflows.
    let defs = format!("{DEFS}\nlet g[i] = ln(h1[i]) + 1/b1[i]");
    let at = point(3);
    for (f, at) in [
        ("sum(i, g[i]*b1[i])", at.as_str()),
        ("sum(i, k, g[i]*t[i, k])", at.as_str()),
        ("sum(j, W1[5, j]*x[j])", at.as_str()),
        ("sum(j, W1[0, j]*x[j])", "W1=[[1, 1e200]], x=[1, 1e200]"),
    ] {
        let (tape, tree) = library_and_reference_with(&defs, f, at);
        let (tape, tree) = (tape.unwrap_err(), tree.unwrap_err());
        assert_eq!(tape, tree, "{f}");
    }
}

#[test]
fn a_run_from_kept_tables_is_a_run_from_scratch() {
    for (f, seed) in FUNCTIONS.iter().zip(1..) {
        let mut s = session();
        let e = s.parse_expression(f).unwrap();
        let at = s.parse_bindings(&point(seed)).unwrap();
        let tape = Tape::compile(&mut s.pool, e).unwrap();
        let inputs = tape.inputs(&s.pool, &at).unwrap();
        let reuse = Reuse::new(&tape, &inputs);
        for input in every_input(&s, &at) {
            same(&tape, &inputs, &reuse, (input, 1e-3f64));
            same(&tape, &inputs, &reuse, (input, -0.25f64));
            same(&tape, &inputs, &reuse, (input, Complex::new(0.0, 1e-200)));
            same(&tape, &inputs, &reuse, (input, Dual::new(0.0, 1.0)));
            same(&tape, &inputs, &reuse, (input, F32(1e-2)));
        }
    }
}

#[test]
fn a_run_from_kept_tables_fails_as_a_run_from_scratch() {
    // Moving `x[1]` by -1 makes `h1` negative somewhere, and `ln(h1[i])` fails there.
    let mut s = session();
    s.load_file("more", "let g[i] = ln(h1[i] + 1)").unwrap();
    let e = s.parse_expression("sum(i, g[i]*sum(k, t[i, k]))").unwrap();
    let at = s
        .parse_bindings("W1=[[1, 1], [2, 1]], x=[0.5, 0.5], b1=[0, 0], W2=[[1, 1], [1, 1]]")
        .unwrap();
    let tape = Tape::compile(&mut s.pool, e).unwrap();
    let inputs = tape.inputs(&s.pool, &at).unwrap();
    let reuse = Reuse::new(&tape, &inputs);
    let x = s.pool.lookup_symbol("x").unwrap();
    for delta in [-30.0, -3.0, 0.5] {
        same(&tape, &inputs, &reuse, (InputRef::Element(x, 1), delta));
        same(&tape, &inputs, &reuse, (InputRef::Element(x, 0), delta));
    }
    assert!(reuse.run(Some((InputRef::Element(x, 1), -30.0))).is_err());
}

#[test]
fn a_formula_at_every_element_is_the_formula_at_each() {
    let mut s = session();
    let at = s.parse_bindings(&point(5)).unwrap();
    for (claim, over, shape) in [
        (
            "x[k]*(1 - h1[i]^2)*sum(j, W2[j, i]*(1 - h2[j]^2))",
            ["i", "k"],
            [3, 4],
        ),
        ("h2[k]*(softmax(z)[i] - delta(i, y))", ["i", "k"], [4, 5]),
        ("t[i, k]*h2[k] + d[i]", ["i", "k"], [3, 5]),
        ("ln(h1[i])*W1[i, k]", ["i", "k"], [3, 4]),
    ] {
        let e = s.parse_expression(claim).unwrap();
        let syms: Vec<_> = over
            .iter()
            .map(|n| s.pool.lookup_symbol(n).unwrap())
            .collect();
        let all = Elementwise::compile(&mut s.pool, e, &syms).unwrap();
        let inputs = all.inputs(&s.pool, &at).unwrap();
        let values = all.run::<f64>(&inputs, &shape);
        let tape = Tape::compile(&mut s.pool, e).unwrap();
        for (off, v) in values.iter().enumerate() {
            let (a, b) = (off / shape[1], off % shape[1]);
            let mut one = at.clone();
            one.insert(syms[0], Value::Scalar(a as f64));
            one.insert(syms[1], Value::Scalar(b as f64));
            let want = tape.eval(&tape.inputs(&s.pool, &one).unwrap()).ok();
            assert_eq!(*v, want, "{claim} at [{a}, {b}]");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// At random points and steps, a run from the kept tables is the run from scratch.
    #[test]
    fn kept_tables_never_change_a_run(seed in 1u64..10_000, f in 0usize..6, step in -2.0f64..2.0) {
        let mut s = session();
        let e = s.parse_expression(FUNCTIONS[f]).unwrap();
        let at = s.parse_bindings(&point(seed)).unwrap();
        let tape = Tape::compile(&mut s.pool, e).unwrap();
        let inputs = tape.inputs(&s.pool, &at).unwrap();
        let reuse = Reuse::new(&tape, &inputs);
        for input in every_input(&s, &at) {
            same(&tape, &inputs, &reuse, (input, step));
            same(&tape, &inputs, &reuse, (input, Dual::new(step, 1.0)));
        }
    }
}
