//! Batched evaluation (`Tape::run_batch`) gives, at every point, exactly what the
//! point-by-point run gives: the same bits, and the same error for the first point that
//! leaves a domain, whatever the batch's size and wherever the point falls in it.

use gauge::diag::error::Error;
use gauge::expr::node::ExprId;
use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;
use gauge::numeric::tape::{LANES, Tape, TapeInputs};

/// A seeded generator of values in `[lo, hi)`, so that failures reproduce.
struct Values(u64);

impl Values {
    fn next(&mut self, lo: f64, hi: f64) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        lo + (self.0 >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }
}

/// A tape compiled from `exprs` (with the prelude's definitions), and its variables.
struct Case {
    s: Workspace,
    tape: Tape,
    vars: Vec<String>,
}

impl Case {
    /// The gradient of `f` by `vars`, as one tape.
    fn gradient(f: &str, vars: &[String]) -> Case {
        let mut s = Workspace::with_prelude().unwrap();
        let f = s.parse_expression(f).unwrap();
        let ids: Vec<ExprId> = vars.iter().map(|v| s.parse_variable(v).unwrap()).collect();
        let grad = gauge::calculus::gradient::gradient(&mut s.pool, f, &ids).unwrap();
        let tape = Tape::compile_many(&mut s.pool, &grad).unwrap();
        Case {
            s,
            tape,
            vars: vars.to_vec(),
        }
    }

    /// Several expressions of `vars` as one tape.
    fn exprs(exprs: &[&str], vars: &[&str]) -> Case {
        let mut s = Workspace::with_prelude().unwrap();
        let ids: Vec<ExprId> = exprs
            .iter()
            .map(|e| s.parse_expression(e).unwrap())
            .collect();
        let tape = Tape::compile_many(&mut s.pool, &ids).unwrap();
        Case {
            s,
            tape,
            vars: vars.iter().map(|v| v.to_string()).collect(),
        }
    }

    /// The inputs at a point given as bindings text.
    fn at(&mut self, text: &str) -> TapeInputs {
        let b = self.s.parse_bindings(text).unwrap();
        self.tape.inputs(&self.s.pool, &b).unwrap()
    }

    /// `count` points, each scalar input drawn from `[lo, hi)`: resolved, and as rows
    /// of numbers in the order of `Tape::scalar_names`.
    fn points(
        &mut self,
        values: &mut Values,
        count: usize,
        lo: f64,
        hi: f64,
    ) -> (Vec<TapeInputs>, Vec<f64>) {
        let names = self.tape.scalar_names().to_vec();
        let mut rows = Vec::with_capacity(count * names.len());
        let mut points = Vec::with_capacity(count);
        for _ in 0..count {
            // Thirteen significant digits, which the bindings' parser and Rust's both
            // read as the same `f64` (the nearest), so that rows and bindings agree.
            let texts: Vec<String> = names
                .iter()
                .map(|_| format!("{:.12e}", values.next(lo, hi)))
                .collect();
            let row: Vec<f64> = texts.iter().map(|t| t.parse().unwrap()).collect();
            let text = names
                .iter()
                .zip(&texts)
                .map(|(v, x)| format!("{v} = {x}"))
                .collect::<Vec<_>>()
                .join(", ");
            points.push(self.at(&text));
            rows.extend(row);
        }
        (points, rows)
    }

    /// As [`Case::agree`], and the same points given as `rows` to `Tape::run_rows` give
    /// exactly what `Tape::run_batch` gives: the same bits, or the same error.
    fn agree_rows(&self, (points, rows): &(Vec<TapeInputs>, Vec<f64>)) -> bool {
        let fine = self.agree(points);
        let n = points.len() * self.tape.outputs();
        let (mut batch, mut from_rows) = (vec![0.0; n], vec![0.0; n]);
        let batched = self.tape.run_batch(points, &mut batch);
        let rowed = self.tape.run_rows(rows, &mut from_rows);
        assert_eq!(batched, rowed, "run_rows and run_batch disagree");
        if fine {
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&batch), bits(&from_rows));
        }
        fine
    }

    /// Runs `points` as a batch and one by one, and checks that the two agree: every
    /// output bit for bit, or the same error, that of the first failing point. Returns
    /// whether the batch succeeded.
    fn agree(&self, points: &[TapeInputs]) -> bool {
        let width = self.tape.outputs();
        let mut batch = vec![0.0; points.len() * width];
        let batched = self.tape.run_batch(points, &mut batch);
        let mut slots = Vec::new();
        let mut one = vec![0.0; width];
        let mut first_error: Option<Error> = None;
        for (p, point) in points.iter().enumerate() {
            match self.tape.run_many_into(point, &mut slots, &mut one) {
                Ok(()) => {
                    if first_error.is_none() {
                        let row = &batch[p * width..(p + 1) * width];
                        for (k, (a, b)) in row.iter().zip(&one).enumerate() {
                            assert_eq!(
                                a.to_bits(),
                                b.to_bits(),
                                "point {p}, output {k}: the batch gives {a:e}, one by one {b:e}"
                            );
                        }
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match (batched, first_error) {
            (Ok(()), None) => true,
            (Err(b), Some(p)) => {
                assert_eq!(b, p, "the batch's error is not the first point's");
                false
            }
            (b, p) => panic!("the batch gives {b:?}, one by one the first error is {p:?}"),
        }
    }
}

/// The batch sizes every case runs: below, at, just past and far past a lane's width.
const SIZES: [usize; 6] = [1, 7, LANES, LANES + 1, 33, 1000];

/// The variables `prefix0 .. prefix{n-1}`.
fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|k| format!("{prefix}{k}")).collect()
}

#[test]
fn a_cross_entropy_gradient_in_a_batch_is_the_point_by_point_gradient() {
    for n in [3, 20, 100] {
        let vars = names("z", n);
        let terms: Vec<String> = vars.iter().map(|v| format!("exp({v})")).collect();
        let mut case = Case::gradient(&format!("-z0 + ln({})", terms.join(" + ")), &vars);
        assert!(
            case.tape.runs_in_lanes(),
            "explicit scalars take the lane path"
        );
        let mut values = Values(n as u64);
        for size in SIZES {
            let points = case.points(&mut values, size, -30.0, 30.0);
            assert!(case.agree_rows(&points), "n = {n}, {size} points");
        }
    }
}

#[test]
fn a_tanh_network_in_scalars_in_a_batch_is_the_network_one_point_at_a_time() {
    // A 3-4-2 tanh network with softmax cross-entropy on class 0, every weight a scalar.
    let (inputs, hidden, classes) = (3, 4, 2);
    let mut params = Vec::new();
    let mut h = Vec::new();
    for j in 0..hidden {
        let mut terms = vec![format!("b{j}")];
        params.push(format!("b{j}"));
        for i in 0..inputs {
            terms.push(format!("w{j}_{i}*x{i}"));
            params.push(format!("w{j}_{i}"));
        }
        h.push(format!("tanh({})", terms.join(" + ")));
    }
    let mut logits = Vec::new();
    for k in 0..classes {
        let mut terms = vec![format!("c{k}")];
        params.push(format!("c{k}"));
        for (j, hj) in h.iter().enumerate() {
            terms.push(format!("v{k}_{j}*{hj}"));
            params.push(format!("v{k}_{j}"));
        }
        logits.push(format!("({})", terms.join(" + ")));
    }
    let exps: Vec<String> = logits.iter().map(|l| format!("exp{l}")).collect();
    let f = format!("-{} + ln({})", logits[0], exps.join(" + "));
    let mut case = Case::gradient(&f, &params);
    case.vars.extend(names("x", inputs));
    assert!(case.tape.runs_in_lanes());
    let mut values = Values(7);
    for size in SIZES {
        let points = case.points(&mut values, size, -2.0, 2.0);
        assert!(case.agree_rows(&points), "{size} points");
    }
}

#[test]
fn every_scalar_instruction_in_a_batch_is_the_point_by_point_instruction() {
    let mut case = Case::exprs(
        &[
            "ln(x) + sqrt(y) + x/y - 1/(x*y) + abs(z)*sigmoid(z) - erf(z)",
            "x^y + y^(-1/2) + z^3 + z^(-2) + x^(2/3) + sin(z - 3/2)^(2^40 + 1) + softplus(z)",
            "sin(x)*cos(z)/tan(y) + sinh(z) - cosh(z)/atan(x) + exp(z)*exp(-x)",
            "asin(z/4) + acos(z/5) + (x*y*z)/(x + y) + x*y*z*x*y*z*x*y*z*x*y*z",
            "x^z + 1/sqrt(x*y) + sigmoid(-z^2) + ln(1 + x^2)",
        ],
        &["x", "y", "z"],
    );
    assert!(case.tape.runs_in_lanes());
    let mut values = Values(11);
    for size in SIZES {
        let points = case.points(&mut values, size, 0.1, 3.0);
        if !case.agree_rows(&points) {
            let mut out = vec![0.0; size * case.tape.outputs()];
            panic!(
                "{size} points: {:?}",
                case.tape.run_batch(&points.0, &mut out)
            );
        }
    }
    // Tiny and huge values, where products leave the normal range midway (`a*b` is
    // about 1e±350) though the result is in range, so that they fall back to the scaled
    // product in some lanes and not in others (at the points of moderate values).
    let mut values = Values(13);
    for expr in [
        "a*b/(c*d)",
        "a*b/(c*d) - c*d/(a*b)",
        "(a + b)*(c + d)/(a*c)",
    ] {
        let mut scales = Case::exprs(&[expr], &["a", "b", "c", "d"]);
        assert!(scales.tape.runs_in_lanes());
        for size in SIZES {
            let points: Vec<TapeInputs> = (0..size)
                .map(|_| {
                    let side = values.next(-1.0, 2.0).floor();
                    let text = ["a", "b", "c", "d"]
                        .iter()
                        .map(|v| {
                            let exponent = if side == 0.0 {
                                values.next(-20.0, 20.0)
                            } else {
                                side * values.next(150.0, 200.0)
                            };
                            let x = values.next(-10.0, 10.0) * 10f64.powf(exponent.round());
                            format!("{v} = {x:?}")
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    scales.at(&text)
                })
                .collect();
            assert!(scales.agree(&points), "{expr}, {size} points");
        }
    }
}

#[test]
fn long_sums_in_a_batch_are_compensated_exactly_as_one_point_at_a_time() {
    // Sums of 41 and 20 terms (the long sums run in four compensated parts) and of 5
    // (one part), whose big terms nearly cancel in pairs that fall in different parts
    // (`t{k}` and `t{k + 21}`), leaving a small total: the roundings the compensation
    // keeps then decide the last bits, and any other order of additions shows there.
    let vars = names("t", 41);
    let cubes: Vec<String> = vars.iter().map(|v| format!("{v}^3")).collect();
    let mut case = Case::exprs(
        &[
            &vars.join(" + "),
            &cubes.join(" + "),
            &vars[..20].join(" + "),
            &vars[..5].join(" + "),
        ],
        &[],
    );
    case.vars = vars;
    assert!(case.tape.runs_in_lanes());
    let mut values = Values(23);
    for size in SIZES {
        let points: Vec<TapeInputs> = (0..size)
            .map(|_| {
                let mut t = [0.0; 41];
                for k in 0..41 {
                    let exponent = values.next(-3.0, 18.0).round();
                    let x = values.next(-10.0, 10.0) * 10f64.powf(exponent);
                    t[k] = if (21..41).contains(&k) {
                        values.next(-1.0, 1.0) - t[k - 21]
                    } else {
                        x
                    };
                }
                let text = t
                    .iter()
                    .enumerate()
                    .map(|(k, x)| format!("t{k} = {x:?}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                case.at(&text)
            })
            .collect();
        assert!(case.agree(&points), "{size} points");
    }
}

#[test]
fn points_outside_the_domain_anywhere_in_a_batch_give_the_first_ones_error() {
    let mut case = Case::exprs(&["ln(x) + sqrt(y) + 1/z + asin(x - y)"], &["x", "y", "z"]);
    for size in [1, 7, 33, 100] {
        for bad_at in [0, size / 2, size - 1] {
            for (bad, why) in [
                ("x = -0.5, y = 0, z = 1", "logarithm"),
                ("x = 0.25, y = -0.5, z = 1", "square root"),
                ("x = 1, y = 1, z = 0", "divides by"),
                ("x = 5, y = 1, z = 1", "asin"),
            ] {
                let mut points: Vec<TapeInputs> = (0..size)
                    .map(|k| {
                        case.at(&format!(
                            "x = {}, y = {}, z = 2",
                            1.0 + k as f64,
                            1.5 + k as f64
                        ))
                    })
                    .collect();
                points[bad_at] = case.at(bad);
                // A second failing point later in the batch: the first one's error wins.
                if bad_at + 3 < size {
                    points[bad_at + 3] = case.at("x = 0, y = 1, z = 1");
                }
                assert!(!case.agree(&points));
                let mut out = vec![0.0; size];
                let err = case.tape.run_batch(&points, &mut out).unwrap_err();
                assert!(err.to_string().contains(why), "{err}");
                assert!(
                    err.to_string().contains(bad.split(',').next().unwrap()),
                    "{err}"
                );
            }
        }
    }
    // Random points of which some leave the domain: whatever the mix, the two agree.
    let mut values = Values(17);
    for size in SIZES {
        for _ in 0..5 {
            let points = case.points(&mut values, size, -0.05, 3.0);
            case.agree_rows(&points);
        }
    }
}

#[test]
fn tapes_that_read_tensors_run_point_by_point_with_the_same_results() {
    let mut case = Case::exprs(
        &[
            "cross_entropy(z, y)",
            "sum(j, z[j]*sum(k, W[j, k]))/len(z) + ln(sum(i, exp(z[i])))",
        ],
        &[],
    );
    assert!(!case.tape.runs_in_lanes());
    let mut values = Values(19);
    for size in [1, 7, 33] {
        let points: Vec<TapeInputs> = (0..size)
            .map(|p| {
                let mut v = || values.next(-2.0, 2.0);
                let text = format!(
                    "z = [{:?}, {:?}, {:?}], y = {}, W = [[{:?}, {:?}], [{:?}, {:?}], [{:?}, {:?}]]",
                    v(),
                    v(),
                    v(),
                    p % 3,
                    v(),
                    v(),
                    v(),
                    v(),
                    v(),
                    v()
                );
                case.at(&text)
            })
            .collect();
        assert!(case.agree(&points));
        // And an element read out of range mid-batch is that point's error.
        let mut points = points;
        points[size / 2] = case.at("z = [1, 2, 3], y = 7, W = [[1, 2], [3, 4], [5, 6]]");
        assert!(!case.agree(&points));
    }
}

#[test]
fn a_batch_with_the_wrong_room_for_its_outputs_is_an_error_not_a_panic() {
    let mut case = Case::exprs(&["x + y", "x*y"], &["x", "y"]);
    let points = vec![case.at("x = 1, y = 2"); 3];
    for room in [0, 5, 7] {
        let mut out = vec![0.0; room];
        assert!(case.tape.run_batch(&points, &mut out).is_err());
    }
    let mut out = vec![0.0; 6];
    case.tape.run_batch(&points, &mut out).unwrap();
    assert_eq!(out, [3.0, 2.0, 3.0, 2.0, 3.0, 2.0]);
    // Inputs resolved for another tape are refused too.
    let mut other = Case::exprs(&["x"], &["x"]);
    let foreign = vec![other.at("x = 1")];
    let mut out = vec![0.0; 2];
    assert!(case.tape.run_batch(&foreign, &mut out).is_err());
    // An empty batch has nothing to do.
    case.tape.run_batch(&[], &mut []).unwrap();
}

#[test]
fn rows_of_numbers_fail_where_resolved_points_fail_and_must_fit_the_tape() {
    let mut case = Case::exprs(&["ln(x) + y/z", "sqrt(z)"], &[]);
    let names = case.tape.scalar_names().to_vec();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["x", "y", "z"]);
    // A row in the names' order, from values by name.
    let row = |x: f64, y: f64, z: f64| -> Vec<f64> {
        names
            .iter()
            .map(|n| match n.as_str() {
                "x" => x,
                "y" => y,
                _ => z,
            })
            .collect()
    };
    for size in [1, 7, 33, 100] {
        for (bad, why) in [
            (row(-0.5, 1.0, 1.0), "logarithm"),
            (row(1.0, 1.0, 0.0), "divides by"),
            (row(1.0, 1.0, -4.0), "square root"),
        ] {
            let mut rows: Vec<f64> = (0..size)
                .flat_map(|k| row(1.0 + k as f64, 2.0, 3.0))
                .collect();
            let at = size * 2 / 3;
            rows.splice(at * 3..at * 3 + 3, bad.iter().copied());
            let points: Vec<TapeInputs> = rows
                .chunks(3)
                .map(|r| {
                    let text = names
                        .iter()
                        .zip(r)
                        .map(|(n, x)| format!("{n} = {x:?}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    case.at(&text)
                })
                .collect();
            assert!(!case.agree_rows(&(points, rows.clone())));
            let mut out = vec![0.0; size * 2];
            let err = case.tape.run_rows(&rows, &mut out).unwrap_err();
            assert!(err.to_string().contains(why), "{err}");
        }
    }
    // Rows that do not fill the points the output has room for are refused.
    let mut out = vec![0.0; 4];
    assert!(case.tape.run_rows(&[1.0; 5], &mut out).is_err());
    assert!(case.tape.run_rows(&[1.0; 6], &mut out[..3]).is_err());
    case.tape.run_rows(&[1.0; 6], &mut out).unwrap();
    // A tape that reads tensors takes no rows.
    let tensors = Case::exprs(&["sum(i, z[i])"], &[]);
    assert!(tensors.tape.run_rows(&[], &mut []).is_err());
}
