//! Tape speed: evaluations per second of the cross-entropy gradient over n = 1000
//! explicit logits, against a hand-written Rust loop computing the same thing and
//! against NumPy (`benches/tape_numpy.py`, which installs NumPy with pip if needed).
//!
//! `cargo bench --bench tape`
//!
//! `cargo bench --bench tape -- per-point N` instead times the cross-entropy function and
//! its gradient over N logits, each compiled to its own tape, two ways (inputs resolved
//! before timing):
//!
//! - one point at a time, [`Tape::run_many_into`] over a cycle of 256 distinct points:
//!   `function_ns` and `gradient_ns`, per point, best of three rounds of about a second;
//! - in one batch of 10,000 distinct points given as one array of numbers,
//!   [`Tape::run_rows`] (as SymEngine's compiled lambdify is given a NumPy array in
//!   `benches/cli.py`): `batch_function_ns` and `batch_gradient_ns`, the fastest call of
//!   about a second's calls divided by the number of points;
//! - the same batch as resolved points, [`Tape::run_batch`]:
//!   `batch_resolved_function_ns` and `batch_resolved_gradient_ns`, likewise.
//!
//! Before timing, both batches' outputs are checked against the point-by-point run's at
//! every point, bit for bit. It prints one JSON line: `{"n", "points", "batch_points",
//! "lanes", "function_instructions", "gradient_instructions", "function_ns",
//! "gradient_ns", "batch_function_ns", "batch_gradient_ns",
//! "batch_resolved_function_ns", "batch_resolved_gradient_ns"}`.
//! `benches/cli.py` runs this mode for its inner-loop workload W7.

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use gauge::expr::node::ExprId;
use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;
use gauge::numeric::tape::Tape;

const N: usize = 1000;

/// The hand-written gradient of -z0 + ln(sum exp(z)): softmax minus the one-hot of 0.
fn hand_gradient(z: &[f64], out: &mut [f64]) {
    let mut total = 0.0;
    for (o, &v) in out.iter_mut().zip(z) {
        let e = v.exp();
        *o = e;
        total += e;
    }
    for o in out.iter_mut() {
        *o /= total;
    }
    out[0] -= 1.0;
}

/// Runs `f` repeatedly for about a second and returns evaluations per second.
fn rate(mut f: impl FnMut()) -> f64 {
    // Warm up, then time batches until a second has passed.
    for _ in 0..100 {
        f();
    }
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed().as_secs_f64() < 1.0 {
        for _ in 0..100 {
            f();
        }
        count += 100;
    }
    count as f64 / start.elapsed().as_secs_f64()
}

/// The cross-entropy over `n` logits parsed into a workspace: the function, its
/// gradient, and the logits' names.
fn cross_entropy(n: usize) -> (Workspace, ExprId, Vec<ExprId>, Vec<String>) {
    let vars: Vec<String> = (0..n).map(|k| format!("z{k}")).collect();
    let terms: Vec<String> = vars.iter().map(|v| format!("exp({v})")).collect();
    let text = format!("-z0 + ln({})", terms.join(" + "));
    let mut s = Workspace::new();
    let f = s.parse_expression(&text).expect("parses");
    let ids: Vec<_> = vars
        .iter()
        .map(|v| s.parse_variable(v).expect("variable"))
        .collect();
    let grad = gauge::calculus::gradient::gradient(&mut s.pool, f, &ids).expect("gradient");
    (s, f, grad, vars)
}

/// The point `z_k = value(k)` as bindings text.
fn point_text(vars: &[String], value: impl Fn(usize) -> f64) -> String {
    vars.iter()
        .enumerate()
        .map(|(k, v)| format!("{v}={:?}", value(k)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fastest of about a second's calls of `f`, in seconds, after a few to warm up: a
/// call is long (a whole batch), and the fastest is the one least disturbed by the
/// machine's other work.
fn fastest(mut f: impl FnMut()) -> f64 {
    for _ in 0..3 {
        f();
    }
    let start = Instant::now();
    let mut best = f64::INFINITY;
    while start.elapsed().as_secs_f64() < 1.0 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

/// Checks that a batched run, of resolved points and of the same points as rows of
/// numbers, gives at every point exactly the point-by-point run's outputs, and returns
/// the batch's outputs.
fn checked_batch(
    tape: &Tape,
    inputs: &[gauge::numeric::tape::TapeInputs],
    rows: &[f64],
) -> Vec<f64> {
    let width = tape.outputs();
    let mut batch = vec![0.0; inputs.len() * width];
    tape.run_batch(inputs, &mut batch).expect("runs");
    let mut from_rows = vec![0.0; inputs.len() * width];
    tape.run_rows(rows, &mut from_rows).expect("runs");
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert!(
        bits(&batch) == bits(&from_rows),
        "the rows and the resolved points disagree"
    );
    let (mut slots, mut one) = (Vec::new(), vec![0.0; width]);
    for (p, row) in inputs.iter().zip(batch.chunks(width)) {
        tape.run_many_into(p, &mut slots, &mut one).expect("runs");
        let same = row
            .iter()
            .zip(&one)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "the batch and the point-by-point run disagree");
    }
    batch
}

/// Per-point nanoseconds of the function and of its gradient over `n` logits, one point
/// at a time cycling through distinct points (so that no run sees the same inputs as the
/// one before), and in one batch of distinct points.
fn per_point(n: usize) {
    const POINTS: usize = 256;
    const BATCH: usize = 10_000;
    let (mut s, f, grad, vars) = cross_entropy(n);
    let f_tape = Tape::compile(&mut s.pool, f).expect("compiles");
    let g_tape = Tape::compile_many(&mut s.pool, &grad).expect("compiles");
    let mut f_inputs = Vec::with_capacity(POINTS);
    let mut g_inputs = Vec::with_capacity(POINTS);
    for p in 0..POINTS {
        let text = point_text(&vars, |k| ((k * 37 + p * 13) % 101) as f64 / 25.0 - 2.0);
        let at = s.parse_bindings(&text).expect("bindings");
        f_inputs.push(f_tape.inputs(&s.pool, &at).expect("inputs"));
        g_inputs.push(g_tape.inputs(&s.pool, &at).expect("inputs"));
    }
    let mut slots = Vec::new();
    let mut out = vec![0.0; n];
    // One closure per tape; each call evaluates the next point of the cycle.
    let mut timed = |tape: &Tape, inputs: &[gauge::numeric::tape::TapeInputs]| {
        let mut p = 0;
        rate(|| {
            tape.run_many_into(black_box(&inputs[p]), &mut slots, &mut out)
                .expect("runs");
            black_box(&out);
            p = (p + 1) % POINTS;
        })
    };
    let (mut f_rate, mut g_rate) = (0.0f64, 0.0f64);
    for _ in 0..3 {
        f_rate = f_rate.max(timed(&f_tape, &f_inputs));
        g_rate = g_rate.max(timed(&g_tape, &g_inputs));
    }

    // The batch: distinct points from a seeded generator, each logit in [-2, 2).
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let x = (state >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0;
        // Thirteen significant digits, which gauge's parser and Rust's read as the same
        // `f64`: the rows and the resolved points are then the same points.
        format!("{x:.12e}").parse::<f64>().expect("a number")
    };
    let (mut f_batch, mut g_batch) = (Vec::with_capacity(BATCH), Vec::with_capacity(BATCH));
    let mut points = Vec::with_capacity(BATCH);
    for _ in 0..BATCH {
        let z: Vec<f64> = (0..n).map(|_| next()).collect();
        let at = s
            .parse_bindings(&point_text(&vars, |k| z[k]))
            .expect("bindings");
        f_batch.push(f_tape.inputs(&s.pool, &at).expect("inputs"));
        g_batch.push(g_tape.inputs(&s.pool, &at).expect("inputs"));
        points.push(z);
    }
    // The same points as rows of numbers, each in the order its tape reads them.
    let rows = |tape: &Tape| -> Vec<f64> {
        let at: Vec<usize> = tape
            .scalar_names()
            .iter()
            .map(|name| vars.iter().position(|v| v == name).expect("a logit"))
            .collect();
        points
            .iter()
            .flat_map(|z| at.iter().map(|&k| z[k]))
            .collect()
    };
    let (f_rows, g_rows) = (rows(&f_tape), rows(&g_tape));
    let mut f_out = checked_batch(&f_tape, &f_batch, &f_rows);
    let mut g_out = checked_batch(&g_tape, &g_batch, &g_rows);
    // Rows (the figure that compares with SymEngine's array), then resolved points.
    let (mut f_rows_s, mut g_rows_s) = (f64::INFINITY, f64::INFINITY);
    let (mut f_batch_s, mut g_batch_s) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..3 {
        f_rows_s = f_rows_s.min(fastest(|| {
            f_tape
                .run_rows(black_box(&f_rows), &mut f_out)
                .expect("runs");
            black_box(&f_out);
        }));
        g_rows_s = g_rows_s.min(fastest(|| {
            g_tape
                .run_rows(black_box(&g_rows), &mut g_out)
                .expect("runs");
            black_box(&g_out);
        }));
        f_batch_s = f_batch_s.min(fastest(|| {
            f_tape
                .run_batch(black_box(&f_batch), &mut f_out)
                .expect("runs");
            black_box(&f_out);
        }));
        g_batch_s = g_batch_s.min(fastest(|| {
            g_tape
                .run_batch(black_box(&g_batch), &mut g_out)
                .expect("runs");
            black_box(&g_out);
        }));
    }
    let per_point = |seconds: f64| seconds * 1e9 / BATCH as f64;
    println!(
        "{{\"n\": {n}, \"points\": {POINTS}, \"batch_points\": {BATCH}, \"lanes\": {}, \
         \"function_instructions\": {}, \"gradient_instructions\": {}, \
         \"function_ns\": {}, \"gradient_ns\": {}, \"batch_function_ns\": {}, \
         \"batch_gradient_ns\": {}, \"batch_resolved_function_ns\": {}, \
         \"batch_resolved_gradient_ns\": {}}}",
        gauge::numeric::tape::LANES,
        f_tape.len(),
        g_tape.len(),
        1e9 / f_rate,
        1e9 / g_rate,
        per_point(f_rows_s),
        per_point(g_rows_s),
        per_point(f_batch_s),
        per_point(g_batch_s),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "per-point") {
        per_point(args[pos + 1].parse().expect("a number of logits"));
        return;
    }
    let (mut s, _, grad, vars) = cross_entropy(N);
    let tape = Tape::compile_many(&mut s.pool, &grad).expect("compiles");
    let z: Vec<f64> = (0..N)
        .map(|k| ((k * 37 % 101) as f64 - 50.0) / 25.0)
        .collect();
    let at = s
        .parse_bindings(&point_text(&vars, |k| z[k]))
        .expect("bindings");
    let inputs = tape.inputs(&s.pool, &at).expect("inputs");
    let mut slots = Vec::new();
    let mut out = vec![0.0; N];
    tape.run_many_into(&inputs, &mut slots, &mut out)
        .expect("runs");
    let mut hand = vec![0.0; N];
    hand_gradient(&z, &mut hand);
    let max_diff = out
        .iter()
        .zip(&hand)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(
        max_diff < 1e-12,
        "the tape and the loop disagree by {max_diff}"
    );

    // Alternate the two, three rounds each, and keep each one's best rate: the machine's
    // load and clock change under a long run, and best-of is the stable statistic.
    let (mut tape_rate, mut hand_rate) = (0.0f64, 0.0f64);
    for _ in 0..3 {
        tape_rate = tape_rate.max(rate(|| {
            tape.run_many_into(black_box(&inputs), &mut slots, &mut out)
                .expect("runs");
            black_box(&out);
        }));
        hand_rate = hand_rate.max(rate(|| {
            hand_gradient(black_box(&z), &mut hand);
            black_box(&hand);
        }));
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/tape_numpy.py");
    let numpy = Command::new("python3")
        .arg(script)
        .arg(N.to_string())
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        });
    println!(
        "cross-entropy gradient over {N} logits, {} tape instructions",
        tape.len()
    );
    println!("  gauge tape        {tape_rate:>12.0} evaluations/s");
    println!(
        "  hand-written loop {hand_rate:>12.0} evaluations/s   (tape is {:.2}x slower)",
        hand_rate / tape_rate
    );
    match numpy {
        Some(r) => println!(
            "  NumPy             {r:>12.0} evaluations/s   (tape is {:.2}x faster)",
            tape_rate / r
        ),
        None => println!("  NumPy             unavailable"),
    }
}
