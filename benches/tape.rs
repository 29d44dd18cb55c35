//! Tape speed: evaluations per second of the cross-entropy gradient over n = 1000
//! explicit logits, against a hand-written Rust loop computing the same thing and
//! against NumPy (`benches/tape_numpy.py`, which installs NumPy with pip if needed).
//!
//! `cargo bench --bench tape`
//!
//! `cargo bench --bench tape -- per-point N` instead times the cross-entropy function and
//! its gradient over N logits, each compiled to its own tape, per point over a cycle of
//! 256 distinct points (their inputs resolved before timing), and prints one JSON line:
//! `{"n", "points", "function_instructions", "gradient_instructions", "function_ns",
//! "gradient_ns"}`, the nanoseconds being per point (best of three rounds).
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

/// Per-point nanoseconds of the function and of its gradient over `n` logits, cycling
/// through distinct points so that no run sees the same inputs as the one before.
fn per_point(n: usize) {
    const POINTS: usize = 256;
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
    println!(
        "{{\"n\": {n}, \"points\": {POINTS}, \"function_instructions\": {}, \
         \"gradient_instructions\": {}, \"function_ns\": {}, \"gradient_ns\": {}}}",
        f_tape.len(),
        g_tape.len(),
        1e9 / f_rate,
        1e9 / g_rate
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
