//! Traced programs (`gauge::backward`): the per-element proof of a backward pass, on
//! programs traced by hand here as the Python package traces NumPy code.

use gauge::backward::prove::{ElementVerdict, verify};
use gauge::backward::{Comparison, Trace};
use gauge::expr::node::ExprId;

/// A 2-D array of a trace's nodes, row-major.
#[derive(Clone)]
struct A {
    rows: usize,
    cols: usize,
    e: Vec<ExprId>,
}

impl A {
    fn at(&self, i: usize, j: usize) -> ExprId {
        self.e[i * self.cols + j]
    }
}

fn input(t: &mut Trace, name: &str, rows: usize, cols: usize) -> A {
    A {
        rows,
        cols,
        e: t.input(name, &[rows, cols], false).unwrap(),
    }
}

fn matmul(t: &mut Trace, a: &A, b: &A) -> A {
    let mut e = Vec::new();
    for i in 0..a.rows {
        for j in 0..b.cols {
            let mut acc = t.mul(a.at(i, 0), b.at(0, j));
            for k in 1..a.cols {
                let p = t.mul(a.at(i, k), b.at(k, j));
                acc = t.add(acc, p);
            }
            e.push(acc);
        }
    }
    A {
        rows: a.rows,
        cols: b.cols,
        e,
    }
}

fn transpose(a: &A) -> A {
    let mut e = Vec::new();
    for j in 0..a.cols {
        for i in 0..a.rows {
            e.push(a.at(i, j));
        }
    }
    A {
        rows: a.cols,
        cols: a.rows,
        e,
    }
}

fn add_row(t: &mut Trace, a: &A, b: &A) -> A {
    let e = (0..a.e.len())
        .map(|k| t.add(a.e[k], b.e[k % a.cols]))
        .collect();
    A { e, ..*a }
}

fn relu(t: &mut Trace, a: &A) -> (A, Vec<bool>) {
    let zero = t.constant(0.0).unwrap();
    let mut mask = Vec::new();
    let e =
        a.e.iter()
            .map(|&x| {
                let on = t.compare(x, Comparison::Greater, zero);
                mask.push(on);
                if on { x } else { zero }
            })
            .collect();
    (A { e, ..*a }, mask)
}

/// Mean softmax cross-entropy with labels `y`, max-shifted; and its gradient by the
/// logits as a hand-written backward computes it: (softmax - onehot) / N, with the
/// planted mistakes below.
fn softmax_ce(
    t: &mut Trace,
    z: &A,
    y: &[usize],
    forget_onehot: bool,
    forget_mean: bool,
) -> (ExprId, A) {
    let n = t.constant(z.rows as f64).unwrap();
    let mut loss = t.constant(0.0).unwrap();
    let mut dz = Vec::new();
    for i in 0..z.rows {
        let mut m = z.at(i, 0);
        for c in 1..z.cols {
            if t.compare(z.at(i, c), Comparison::Greater, m) {
                m = z.at(i, c);
            }
        }
        let s: Vec<ExprId> = (0..z.cols).map(|c| t.sub(z.at(i, c), m)).collect();
        let ex: Vec<ExprId> = s.iter().map(|&v| t.func("exp", v).unwrap()).collect();
        let mut sum = ex[0];
        for &v in &ex[1..] {
            sum = t.add(sum, v);
        }
        let lse = t.func("log", sum).unwrap();
        let logp = t.sub(s[y[i]], lse);
        loss = t.sub(loss, logp);
        for (c, &e) in ex.iter().enumerate() {
            let mut p = t.div(e, sum).unwrap();
            if c == y[i] && !forget_onehot {
                let one = t.constant(1.0).unwrap();
                p = t.sub(p, one);
            }
            dz.push(if forget_mean { p } else { t.div(p, n).unwrap() });
        }
    }
    let loss = t.div(loss, n).unwrap();
    (loss, A { e: dz, ..*z })
}

#[test]
fn softmax_cross_entropy_backward_is_proved_and_its_mistakes_are_found() {
    for (forget_onehot, forget_mean) in [(false, false), (true, false), (false, true)] {
        let mut t = Trace::new(7).unwrap();
        let z = input(&mut t, "z", 3, 4);
        let (loss, dz) = softmax_ce(&mut t, &z, &[1, 3, 0], forget_onehot, forget_mean);
        let start = std::time::Instant::now();
        let r = verify(
            &mut t,
            loss,
            &vec![("z".into(), vec![3, 4], dz.e.clone())],
            1,
        )
        .unwrap();
        eprintln!(
            "{:?} {:?}",
            start.elapsed(),
            r[0].elements.iter().map(|e| &e.verdict).collect::<Vec<_>>()
        );
        let correct = !forget_onehot && !forget_mean;
        assert_eq!(r[0].proved(), correct);
        assert_eq!(r[0].wrong(), !correct);
    }
}

#[test]
fn a_two_layer_mlp_backward_is_proved() {
    let (n, d, h, c) = (4, 8, 6, 3);
    let mut t = Trace::new(3).unwrap();
    let x = input(&mut t, "X", n, d);
    let w1 = input(&mut t, "W1", d, h);
    let b1 = input(&mut t, "b1", 1, h);
    let w2 = input(&mut t, "W2", h, c);
    let b2 = input(&mut t, "b2", 1, c);
    let start = std::time::Instant::now();
    let pre = matmul(&mut t, &x, &w1);
    let pre = add_row(&mut t, &pre, &b1);
    let (hid, mask) = relu(&mut t, &pre);
    let z = matmul(&mut t, &hid, &w2);
    let z = add_row(&mut t, &z, &b2);
    let y = [0, 2, 1, 2];
    let (loss, dz) = softmax_ce(&mut t, &z, &y, false, false);
    let dw2 = matmul(&mut t, &transpose(&hid), &dz);
    let db2: Vec<ExprId> = (0..c)
        .map(|j| {
            let mut s = dz.at(0, j);
            for i in 1..n {
                s = t.add(s, dz.at(i, j));
            }
            s
        })
        .collect();
    let dhid = matmul(&mut t, &dz, &transpose(&w2));
    let zero = t.constant(0.0).unwrap();
    let dpre = A {
        e: dhid
            .e
            .iter()
            .zip(&mask)
            .map(|(&g, &m)| if m { g } else { zero })
            .collect(),
        ..dhid
    };
    let dw1 = matmul(&mut t, &transpose(&x), &dpre);
    let db1: Vec<ExprId> = (0..h)
        .map(|j| {
            let mut s = dpre.at(0, j);
            for i in 1..n {
                s = t.add(s, dpre.at(i, j));
            }
            s
        })
        .collect();
    let dx = matmul(&mut t, &dpre, &transpose(&w1));
    eprintln!("traced in {:?}", start.elapsed());
    let grads = vec![
        ("X".into(), vec![n, d], dx.e),
        ("W1".into(), vec![d, h], dw1.e),
        ("b1".into(), vec![1, h], db1),
        ("W2".into(), vec![h, c], dw2.e),
        ("b2".into(), vec![1, c], db2),
    ];
    let r = verify(&mut t, loss, &grads, 1).unwrap();
    eprintln!("traced and proved in {:?}", start.elapsed());
    for i in &r {
        let bad: Vec<_> = i
            .elements
            .iter()
            .filter(|e| !matches!(e.verdict, ElementVerdict::Proved { .. }))
            .map(|e| (&e.index, &e.verdict))
            .collect();
        assert!(i.proved(), "{}: {:?}", i.name, &bad[..bad.len().min(3)]);
    }
}

/// The numeric check's judge: a smooth loss is held to its central differences, a
/// kink accepts any value between the one-sided differences, and nothing else.
#[test]
fn the_numeric_judge_tells_kinks_from_smooth_points() {
    use gauge::backward::numeric::{Probe, judge};
    let probe = |f: &dyn Fn(f64) -> f64, x: f64, h: f64| Probe {
        at: f(x),
        h: (f(x + h), f(x - h)),
        half: (f(x + h / 2.0), f(x - h / 2.0)),
        step: h,
    };
    // exp at 1: smooth; its derivative passes, 1% off fails.
    let p = probe(&|x: f64| x.exp(), 1.0, 1e-4);
    assert!(judge(vec![0], 1f64.exp(), p).passed);
    assert!(!judge(vec![0], 1.01 * 1f64.exp(), p).passed);
    assert!(!judge(vec![0], 1f64.exp(), p).kink);
    // relu at exactly 0 (plus a smooth part): both one-sided derivatives pass, a
    // value outside them does not.
    let f = |x: f64| x.max(0.0) + 0.5 * x * x;
    let p = probe(&f, 0.0, 1e-4);
    let left = judge(vec![0], 0.0, p);
    assert!(left.kink && left.passed);
    assert!(judge(vec![0], 1.0, p).passed);
    assert!(judge(vec![0], 0.5, p).passed);
    assert!(!judge(vec![0], 1.5, p).passed);
    assert!(!judge(vec![0], -0.5, p).passed);
    // A non-finite gradient never passes.
    assert!(!judge(vec![0], f64::NAN, p).passed);
}

/// A program's float constants are read as the simplest fraction that rounds to them:
/// `1/6` for `np.ones(6) / 6`, the decimal for a decimal literal, and always a number
/// that rounds back to the float.
#[test]
fn float_constants_are_the_simplest_fractions_that_round_to_them() {
    use gauge::backward::simplest_rounding_to;
    use num_rational::BigRational;
    let r = |n: i64, d: i64| BigRational::new(n.into(), d.into());
    assert_eq!(simplest_rounding_to(1.0 / 6.0), Some(r(1, 6)));
    assert_eq!(simplest_rounding_to(0.1), Some(r(1, 10)));
    assert_eq!(simplest_rounding_to(1e-5), Some(r(1, 100_000)));
    assert_eq!(simplest_rounding_to(2.0 / 3.0), Some(r(2, 3)));
    assert_eq!(simplest_rounding_to(3.0), Some(r(3, 1)));
    for x in [
        0.044715,
        (2.0 / std::f64::consts::PI).sqrt(),
        1.0 / 7.0,
        123.456,
        1e-12,
        0.5,
    ] {
        let f = simplest_rounding_to(x).unwrap();
        let back = num_traits::ToPrimitive::to_f64(&f).unwrap();
        assert_eq!(back, x, "{x} read as {f}");
    }
}
