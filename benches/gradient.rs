//! Gradient benchmark: gauge against SymPy and SymEngine on the same workloads.
//!
//! `cargo bench --bench gradient` builds each workload, takes the full gradient with
//! gauge's reverse sweep in a child process (so that its peak memory is its own), runs
//! `benches/peers.py` for SymPy and SymEngine (installing them with pip if needed), and
//! prints a table: times, time ratios, gradient sizes, gauge's gradient-to-function DAG
//! ratio, peak memory, and for each workload the scaling exponent of gauge's time.
//!
//! Workloads:
//! - `ce`: cross-entropy over n explicit logits, `-z0 + ln(exp(z0) + ... + exp(z(n-1)))`;
//! - `chain`: d nested applications of exp, sin, ln and squaring;
//! - `mlp`: the loss of a 4-h-3 tanh network with softmax cross-entropy, over all weights.
//!
//! `cargo bench --bench gradient -- quick` runs the smaller sizes only.

use std::fmt::Write;
use std::process::Command;
use std::time::Instant;

use gauge::expr::node::ExprId;
use gauge::lower::workspace::Workspace;

/// The expression text and its variables.
fn workload(name: &str, n: usize) -> (String, Vec<String>) {
    match name {
        "ce" => {
            let vars: Vec<String> = (0..n).map(|k| format!("z{k}")).collect();
            let terms: Vec<String> = vars.iter().map(|v| format!("exp({v})")).collect();
            (format!("-z0 + ln({})", terms.join(" + ")), vars)
        }
        "chain" => {
            let mut f = "x".to_string();
            for k in 0..n {
                f = match k % 4 {
                    0 => format!("exp({f})"),
                    1 => format!("sin({f})"),
                    2 => format!("ln({f})"),
                    _ => format!("({f})^2"),
                };
            }
            (f, vec!["x".to_string()])
        }
        "mlp" => {
            let h = n;
            let mut text = String::new();
            let hidden: Vec<String> = (0..h)
                .map(|i| {
                    let s: Vec<String> = (0..4).map(|j| format!("a{i}_{j}*x{j}")).collect();
                    format!("tanh({} + c{i})", s.join(" + "))
                })
                .collect();
            let logits: Vec<String> = (0..3)
                .map(|k| {
                    let s: Vec<String> =
                        (0..h).map(|i| format!("d{k}_{i}*{}", hidden[i])).collect();
                    format!("({} + e{k})", s.join(" + "))
                })
                .collect();
            let _ = write!(
                text,
                "-{} + ln(exp{} + exp{} + exp{})",
                logits[0], logits[0], logits[1], logits[2]
            );
            let mut vars = Vec::new();
            for i in 0..h {
                for j in 0..4 {
                    vars.push(format!("a{i}_{j}"));
                }
            }
            vars.extend((0..h).map(|i| format!("c{i}")));
            for k in 0..3 {
                for i in 0..h {
                    vars.push(format!("d{k}_{i}"));
                }
            }
            vars.extend((0..3).map(|k| format!("e{k}")));
            (text, vars)
        }
        other => panic!("unknown workload {other}"),
    }
}

/// The number of distinct nodes reachable from several roots.
fn dag_size(s: &Workspace, roots: &[ExprId]) -> usize {
    let mut seen = rustc_hash::FxHashSet::default();
    let mut todo: Vec<ExprId> = roots.to_vec();
    while let Some(x) = todo.pop() {
        if seen.insert(x) {
            todo.extend(gauge::expr::node::children(s.pool.node(x)));
        }
    }
    seen.len()
}

/// Runs one workload in this process and prints `seconds dag_f dag_grad tree_grad peak_kb`.
fn run_one(name: &str, n: usize) {
    let (text, vars) = workload(name, n);
    let mut s = Workspace::new();
    // Best of three: each run in a fresh session, so that no run reuses another's nodes.
    let mut best = f64::INFINITY;
    let mut result = (0, 0, 0);
    for _ in 0..3 {
        let mut s2 = Workspace::new();
        let start = Instant::now();
        let f = s2.parse_expression(&text).expect("workload parses");
        let var_ids: Vec<ExprId> = vars
            .iter()
            .map(|v| s2.parse_variable(v).expect("variable"))
            .collect();
        let grad =
            gauge::calculus::gradient::gradient(&mut s2.pool, f, &var_ids).expect("gradient");
        let secs = start.elapsed().as_secs_f64();
        if secs < best {
            best = secs;
            let tree: u64 = grad
                .iter()
                .map(|&g| gauge::simplify::simplifier::tree_size(&s2.pool, g))
                .sum();
            result = (dag_size(&s2, &[f]), dag_size(&s2, &grad), tree);
        }
        s = s2;
    }
    let _ = &s;
    let peak_kb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .map(|v| v.parse::<u64>().unwrap_or(0))
            })
        })
        .unwrap_or(0);
    println!("{best} {} {} {} {peak_kb}", result.0, result.1, result.2);
}

struct Peer {
    seconds: Option<f64>,
    size: Option<u64>,
}

fn peers(name: &str, n: usize, timeout_s: u64) -> (Peer, Peer) {
    let mut sympy = Peer {
        seconds: None,
        size: None,
    };
    let mut symengine = Peer {
        seconds: None,
        size: None,
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peers.py");
    for lib in ["symengine", "sympy"] {
        let out = Command::new("timeout")
            .arg(timeout_s.to_string())
            .arg("python3")
            .arg(script)
            .arg(name)
            .arg(n.to_string())
            .arg(lib)
            .output();
        let Ok(out) = out else { continue };
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let p = Peer {
                seconds: v["seconds"].as_f64(),
                size: v["size"].as_u64(),
            };
            match v["library"].as_str() {
                Some("sympy") => sympy = p,
                Some("symengine") => symengine = p,
                _ => {}
            }
        }
    }
    (sympy, symengine)
}

fn fmt_time(s: Option<f64>) -> String {
    match s {
        Some(s) if s < 1e-3 => format!("{:.1} us", s * 1e6),
        Some(s) if s < 1.0 => format!("{:.2} ms", s * 1e3),
        Some(s) => format!("{s:.2} s"),
        None => "timeout".into(),
    }
}

fn ratio(peer: Option<f64>, ours: f64) -> String {
    peer.map_or("-".into(), |p| format!("{:.1}x", p / ours))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--one") {
        let name = &args[pos + 1];
        let n: usize = args[pos + 2].parse().expect("a size");
        run_one(name, n);
        return;
    }
    let quick = args.iter().any(|a| a == "quick");
    let plan: [(&str, &[usize]); 3] = if quick {
        [("ce", &[10, 100]), ("chain", &[10, 50]), ("mlp", &[4, 16])]
    } else {
        [
            ("ce", &[10, 100, 1000]),
            ("chain", &[10, 50, 200]),
            ("mlp", &[4, 16, 64]),
        ]
    };
    let exe = std::env::current_exe().expect("own path");
    println!(
        "{:<6} {:>5} | {:>10} {:>10} {:>10} | {:>9} {:>9} | {:>8} {:>8} {:>9} {:>6} | {:>9} | {:>10} {:>10}",
        "work",
        "n",
        "gauge",
        "symengine",
        "sympy",
        "vs s.eng",
        "vs sympy",
        "dag f",
        "dag grad",
        "tree grad",
        "ratio",
        "peak",
        "tree s.eng",
        "tree sympy"
    );
    for (name, sizes) in plan {
        let mut points = Vec::new();
        for &n in sizes {
            let out = Command::new(&exe)
                .args(["--one", name, &n.to_string()])
                .output()
                .expect("the benchmark re-runs itself");
            let text = String::from_utf8_lossy(&out.stdout);
            let f: Vec<f64> = text
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            if f.len() < 5 {
                println!(
                    "{name} {n}: gauge failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                continue;
            }
            let (secs, dag_f, dag_g, tree_g, peak) = (f[0], f[1], f[2], f[3], f[4]);
            points.push((n as f64, secs));
            let (sympy, symengine) = peers(name, n, 120);
            println!(
                "{:<6} {:>5} | {:>10} {:>10} {:>10} | {:>9} {:>9} | {:>8} {:>8} {:>9} {:>6.2} | {:>6.1} MB | {:>10} {:>10}",
                name,
                n,
                fmt_time(Some(secs)),
                fmt_time(symengine.seconds),
                fmt_time(sympy.seconds),
                ratio(symengine.seconds, secs),
                ratio(sympy.seconds, secs),
                dag_f,
                dag_g,
                tree_g,
                dag_g / dag_f,
                peak / 1024.0,
                symengine.size.map_or("-".into(), |s| s.to_string()),
                sympy.size.map_or("-".into(), |s| s.to_string()),
            );
        }
        if points.len() >= 2 {
            let (n0, t0) = points[0];
            let (n1, t1) = points[points.len() - 1];
            println!(
                "{name}: gauge's time grows as n^{:.2} from n = {n0} to n = {n1}",
                (t1 / t0).ln() / (n1 / n0).ln()
            );
        }
    }
}
