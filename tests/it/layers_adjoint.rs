//! The adjoint of every intermediate in `examples/layers.gauge` agrees with JAX's
//! reverse mode (issue 12).
//!
//! The intermediates are found by reading the file's text: every `let NAME = ...` and
//! `let NAME[...] = ...` without a parameter list. [`CASES`] gives each one at least one
//! loss, the one a practitioner backpropagates through that layer, and the test fails
//! when the file has an intermediate that no case covers, so that a new one cannot go
//! unchecked. For every case gauge derives `diff(loss, h[...])`, the adjoint with `h`
//! taken as an input, and evaluates it at every element at random points of several
//! shapes. `tests/jax/layers_adjoint.py` computes the same adjoints with `jax.vjp`,
//! from its own jax.numpy version of each section, split at the intermediate so that
//! every use of it reads the one value differentiated; all the points go to one Python
//! process as one JSON array. The losses and the intermediates' values are compared
//! too, so that a mismatch in what the two sides compute shows as that, and not as a
//! wrong adjoint.
//!
//! `.ci/run` installs JAX; where python3 or JAX is missing outside CI, the test says so
//! on stderr and checks nothing, and in CI it fails.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

use serde_json::{Map, Value, json};

use crate::common::{engines_present, root};

const FILE: &str = include_str!("../../examples/layers.gauge");

/// A section of `layers.gauge`: the inputs its intermediates and losses read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Linear,
    LayerNorm,
    RmsNorm,
    BatchNorm,
    Attention,
}

const SECTIONS: [Section; 5] = [
    Section::Linear,
    Section::LayerNorm,
    Section::RmsNorm,
    Section::BatchNorm,
    Section::Attention,
];

/// One adjoint to compare: `diff(loss, wrt)` in gauge, and the loss of the same name
/// in the Python script's `LOSSES`.
struct Case {
    section: Section,
    /// The intermediate's element, as `diff` takes it: its name, then one index per
    /// axis (named so as not to clash with the file's names, such as the length `d`).
    wrt: &'static str,
    /// The scalar loss, in gauge's language.
    loss: &'static str,
    /// The key of the same loss in `LOSSES` of `tests/jax/layers_adjoint.py`.
    jax_loss: &'static str,
}

/// The losses backpropagated through each intermediate. They mirror the file's claims:
/// an upstream gradient (`g`, `gl`, `gr`, `gb`, `G`) contracted with the layer's output.
/// The backward formulas of the attention section (`dA`, `dS`) are contracted with a
/// tensor `R` of their shape, which also gives `A` a second loss that reaches it along
/// the two uses in `dS`. The linear layer's `z` also goes through `tanh`, as in the
/// claim `tanh_layer`, so that its adjoint is not the upstream gradient alone.
const CASES: &[Case] = &[
    Case {
        section: Section::Linear,
        wrt: "z[ja]",
        loss: "sum(i, g[i]*z[i])",
        jax_loss: "linear",
    },
    Case {
        section: Section::Linear,
        wrt: "z[ja]",
        loss: "sum(i, g[i]*tanh(z[i]))",
        jax_loss: "linear_tanh",
    },
    Case {
        section: Section::LayerNorm,
        wrt: "mu",
        loss: "sum(i, gl[i]*xhat[i])",
        jax_loss: "layer_norm",
    },
    Case {
        section: Section::LayerNorm,
        wrt: "xc[ja]",
        loss: "sum(i, gl[i]*xhat[i])",
        jax_loss: "layer_norm",
    },
    Case {
        section: Section::LayerNorm,
        wrt: "var",
        loss: "sum(i, gl[i]*xhat[i])",
        jax_loss: "layer_norm",
    },
    Case {
        section: Section::LayerNorm,
        wrt: "xhat[ja]",
        loss: "sum(i, gl[i]*xhat[i])",
        jax_loss: "layer_norm",
    },
    Case {
        section: Section::RmsNorm,
        wrt: "ms",
        loss: "sum(i, gr[i]*wr[i]*rn[i])",
        jax_loss: "rms_norm",
    },
    Case {
        section: Section::RmsNorm,
        wrt: "rn[ja]",
        loss: "sum(i, gr[i]*wr[i]*rn[i])",
        jax_loss: "rms_norm",
    },
    Case {
        section: Section::BatchNorm,
        wrt: "bmu",
        loss: "sum(n, gb[n]*bhat[n])",
        jax_loss: "batch_norm",
    },
    Case {
        section: Section::BatchNorm,
        wrt: "bc[ja]",
        loss: "sum(n, gb[n]*bhat[n])",
        jax_loss: "batch_norm",
    },
    Case {
        section: Section::BatchNorm,
        wrt: "bvar",
        loss: "sum(n, gb[n]*bhat[n])",
        jax_loss: "batch_norm",
    },
    Case {
        section: Section::BatchNorm,
        wrt: "bhat[ja]",
        loss: "sum(n, gb[n]*bhat[n])",
        jax_loss: "batch_norm",
    },
    Case {
        section: Section::Attention,
        wrt: "A[ja, jb]",
        loss: "sum(i, l, G[i, l]*O[i, l])",
        jax_loss: "attention",
    },
    Case {
        section: Section::Attention,
        wrt: "O[ja, jb]",
        loss: "sum(i, l, G[i, l]*O[i, l])",
        jax_loss: "attention",
    },
    Case {
        section: Section::Attention,
        wrt: "A[ja, jb]",
        loss: "sum(i, j, R[i, j]*dS[i, j])",
        jax_loss: "attention_backward",
    },
    Case {
        section: Section::Attention,
        wrt: "dA[ja, jb]",
        loss: "sum(i, j, R[i, j]*dS[i, j])",
        jax_loss: "attention_backward",
    },
    Case {
        section: Section::Attention,
        wrt: "dS[ja, jb]",
        loss: "sum(i, j, R[i, j]*dS[i, j])",
        jax_loss: "attention_backward",
    },
];

impl Case {
    /// The intermediate's name.
    fn name(&self) -> &'static str {
        self.wrt.split('[').next().unwrap_or(self.wrt)
    }

    /// The index names of `wrt`, one per axis of the intermediate.
    fn indices(&self) -> Vec<&'static str> {
        match self.wrt.split_once('[') {
            Some((_, rest)) => rest
                .trim_end_matches(']')
                .split(',')
                .map(str::trim)
                .collect(),
            None => Vec::new(),
        }
    }
}

/// The intermediates a `.gauge` text defines: the names of its `let` statements that
/// take no parameter list (`let v = ...`, `let h[i] = ...`), in order.
fn intermediates(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split('#').next().unwrap_or("");
        for statement in code.split(';') {
            let Some(rest) = statement.trim().strip_prefix("let") else {
                continue;
            };
            // `let` must be the keyword, not the start of a name such as `letter`.
            if !rest.starts_with(char::is_whitespace) {
                continue;
            }
            let rest = rest.trim_start();
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let after = rest[name.len()..].trim_start();
            if !name.is_empty() && (after.starts_with('=') || after.starts_with('[')) {
                out.push(name);
            }
        }
    }
    out
}

/// A small deterministic generator of test values.
struct Lcg(u64);

impl Lcg {
    fn bits(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }

    /// A number in [-1, 1).
    fn next(&mut self) -> f64 {
        (self.bits() as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    /// A tensor of the given shape, its entries in [-scale, scale).
    fn tensor(&mut self, shape: &[usize], scale: f64) -> Value {
        match shape.split_first() {
            None => json!(scale * self.next()),
            Some((&n, rest)) => Value::Array((0..n).map(|_| self.tensor(rest, scale)).collect()),
        }
    }

    /// A positive `eps`, as `assume eps > 0` requires, small enough to matter next to
    /// the variance.
    fn eps(&mut self) -> Value {
        json!(0.05 + 0.5 * self.next().abs())
    }
}

/// How many points each section is evaluated at. Point `k` gives axis `a` the length
/// `1 + (2k + a) % 5`: the first axis (the normalizations' only one) takes the lengths
/// 1, 3 and 5, the other axes of the linear layer and attention take 2 and 4 as well,
/// and axes that may differ (`o` and `d`; attention's `nq`, `nk`, `dk`, `dv`) differ at
/// every point. More points would cost more time in JAX's
/// compiler than they add: each shape is a new program for it.
const POINTS: usize = 3;

/// The `k`th random point of a section: a value for every input its intermediates and
/// losses read. Inputs that share an index in the file (`tensor W[o, d], x[d]`, or
/// `gl[i]*xhat[i]`) get one length.
fn point(section: Section, k: usize, rng: &mut Lcg) -> Map<String, Value> {
    let len = |axis: usize| 1 + (2 * k + axis) % 5;
    let mut p = Map::new();
    let mut put = |name: &str, v: Value| {
        p.insert(name.to_string(), v);
    };
    match section {
        Section::Linear => {
            let (o, d) = (len(0), len(1));
            put("W", rng.tensor(&[o, d], 1.0));
            put("x", rng.tensor(&[d], 1.0));
            put("b", rng.tensor(&[o], 1.0));
            put("g", rng.tensor(&[o], 1.0));
        }
        Section::LayerNorm => {
            let n = len(0);
            put("xl", rng.tensor(&[n], 2.0));
            put("gl", rng.tensor(&[n], 1.0));
            put("eps", rng.eps());
        }
        Section::RmsNorm => {
            let n = len(0);
            put("xr", rng.tensor(&[n], 2.0));
            put("gr", rng.tensor(&[n], 1.0));
            put("wr", rng.tensor(&[n], 1.0));
            put("eps", rng.eps());
        }
        Section::BatchNorm => {
            let n = len(0);
            put("xb", rng.tensor(&[n], 2.0));
            put("gb", rng.tensor(&[n], 1.0));
            put("eps", rng.eps());
        }
        Section::Attention => {
            let (nq, nk, dk, dv) = (len(0), len(1), len(2), len(3));
            // Scores of a few units, so that the softmax is far from uniform.
            put("Q", rng.tensor(&[nq, dk], 2.0));
            put("K", rng.tensor(&[nk, dk], 2.0));
            put("V", rng.tensor(&[nk, dv], 1.0));
            put("G", rng.tensor(&[nq, dv], 1.0));
            put("R", rng.tensor(&[nq, nk], 1.0));
        }
    }
    p
}

/// The elements of a JSON number or nested list with `rank` axes, with their indices,
/// in row-major order.
fn elements(v: &Value, rank: usize) -> Vec<(Vec<usize>, f64)> {
    match (rank, v) {
        (0, Value::Number(x)) => vec![(Vec::new(), x.as_f64().unwrap())],
        (_, Value::Array(items)) if rank > 0 => items
            .iter()
            .enumerate()
            .flat_map(|(i, item)| {
                elements(item, rank - 1)
                    .into_iter()
                    .map(move |(mut at, x)| {
                        at.insert(0, i);
                        (at, x)
                    })
            })
            .collect(),
        _ => panic!("JAX gave {v}, where a value with {rank} axes was expected"),
    }
}

/// Agreement to about 1e-8, relative. Both sides compute in double precision (JAX
/// with `jax_enable_x64`), but in different orders: gauge evaluates its simplified
/// closed form, JAX composes the pullbacks of its primitives, so each rounds on its
/// own, and the difference grows with the cancellation in the formula (a LayerNorm
/// adjoint subtracts terms of similar size). At these points the largest relative
/// difference is about 2e-15; 1e-8 leaves room for a less kind point, and still fails
/// any wrong term, which changes a value by far more (a change of 1e-7 in one expected
/// value is caught). Values that are zero in exact arithmetic (the path from `mu`
/// through `var`, a sum of deviations from the mean) come out as rounding noise, so
/// the comparison is relative to at least 1e-6 of the typical entry, here of order 1.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-8 * a.abs().max(b.abs()).max(1e-6)
}

/// A run of the Python script, started before gauge's own work so that the two
/// overlap (importing JAX and compiling take most of the test's time).
struct Jax {
    child: Child,
    writer: JoinHandle<std::io::Result<()>>,
}

impl Jax {
    /// Starts the script on `requests`; `None` when python3 is missing outside CI (in
    /// CI, a panic).
    fn start(requests: Vec<Value>) -> Option<Jax> {
        let child = Command::new("python3")
            .arg(script())
            // CPU only: JAX would otherwise look for accelerators and warn that it
            // found none, and these arrays are tiny.
            .env("JAX_PLATFORMS", "cpu")
            // Compiled programs are kept under target/, as the KaTeX install is: the
            // points are the same from run to run, so a second run skips compiling.
            .env("JAX_COMPILATION_CACHE_DIR", root().join("target/jax-cache"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                engines_present("python3", false);
                return None;
            }
            Err(e) => panic!("python3 does not start: {e}"),
        };
        // A writer thread, since the script reads its input only after importing JAX,
        // and the input may be larger than the pipe holds.
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let input = Value::Array(requests).to_string();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        Some(Jax { child, writer })
    }

    /// The answers, one for each request; `None` when JAX is missing outside CI (in
    /// CI, a panic).
    fn finish(self) -> Option<Vec<Value>> {
        let out = self.child.wait_with_output().expect("python3 finishes");
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Exit status 77 is the script's word that JAX cannot be imported; it may
        // have stopped before reading its input, so the writer's error is no matter.
        if out.status.code() == Some(77) {
            engines_present(&format!("JAX ({})", stderr.trim()), false);
            return None;
        }
        self.writer
            .join()
            .expect("the writer thread finishes")
            .expect("the script reads its input");
        assert!(
            out.status.success(),
            "{} failed:\n{stderr}",
            script().display()
        );
        let answers: Vec<Value> = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("the script's output is not a JSON array ({e}):\n{stderr}"));
        Some(answers)
    }
}

fn script() -> PathBuf {
    root().join("tests/jax/layers_adjoint.py")
}

#[test]
fn the_intermediates_are_read_from_the_text() {
    let text = "let f(x) = x^2\nlet v = sum(i, w[i])  # let u = 1\nlet h[i] = tanh(w[i]); let  s = 2\nletter = 1\n";
    assert_eq!(intermediates(text), ["v", "h", "s"]);
}

#[test]
fn every_intermediate_of_the_layers_file_has_a_case() {
    let found = intermediates(FILE);
    assert!(!found.is_empty(), "no intermediate read from the file");
    let missing: Vec<&String> = found
        .iter()
        .filter(|name| !CASES.iter().any(|c| c.name() == name.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "examples/layers.gauge defines intermediates that CASES in tests/it/layers_adjoint.rs \
         does not cover: {missing:?}; add a loss for each (and the same loss to \
         tests/jax/layers_adjoint.py)"
    );
    // A case for a name the file no longer defines would check nothing of the file.
    for case in CASES {
        assert!(
            found.iter().any(|n| n == case.name()),
            "CASES has {}, which examples/layers.gauge does not define",
            case.wrt
        );
    }
}

#[test]
fn every_intermediate_adjoint_agrees_with_jax_reverse_mode() {
    let mut s = gauge::Session::new();
    s.load_named("examples/layers.gauge", FILE)
        .unwrap_or_else(|e| panic!("the file loads: {}", e.message()));
    let mut rng = Lcg(12);
    let points: Vec<(Section, Vec<Map<String, Value>>)> = SECTIONS
        .iter()
        .map(|&section| {
            let ps = (0..POINTS).map(|k| point(section, k, &mut rng)).collect();
            (section, ps)
        })
        .collect();
    let points_of = |section: Section| &points.iter().find(|(s, _)| *s == section).unwrap().1;
    let mut requests = Vec::new();
    for case in CASES {
        for p in points_of(case.section) {
            requests.push(json!({"loss": case.jax_loss, "wrt": case.name(), "point": p}));
        }
    }
    let Some(jax) = Jax::start(requests) else {
        return;
    };
    // gauge's adjoints, derived while JAX imports and compiles.
    let adjoints: Vec<String> = CASES
        .iter()
        .map(|case| {
            s.diff(case.loss, case.wrt)
                .unwrap_or_else(|e| panic!("diff({}, {}): {}", case.loss, case.wrt, e.message()))
                .to_string()
        })
        .collect();
    let Some(answers) = jax.finish() else {
        return;
    };
    let mut answers = answers.into_iter();
    let mut compared = 0;
    for (case, adjoint) in CASES.iter().zip(&adjoints) {
        let indices = case.indices();
        for p in points_of(case.section) {
            let jax = answers.next().expect("one answer for each request");
            let point = Value::Object(p.clone()).to_string();
            let mut eval = |formula: &str, at: &Map<String, Value>| -> f64 {
                let at = Value::Object(at.clone()).to_string();
                let v = s
                    .eval_at_named(formula, "point.json", &at)
                    .unwrap_or_else(|e| panic!("{formula} at {at}: {}", e.message()))
                    .value();
                // The point binds every input of the section, and a formula that reads
                // only some of them is warned about; that is expected here.
                s.take_warnings();
                v
            };
            let what = format!("{} by {}", case.loss, case.wrt);
            let loss = eval(case.loss, p);
            let jax_loss = jax["loss"].as_f64().unwrap();
            assert!(
                close(loss, jax_loss),
                "{what}: the loss is {loss} in gauge and {jax_loss} in JAX at {point}, so \
                 the two sides do not compute the same loss"
            );
            let values = elements(&jax["value"], indices.len());
            let adjoints = elements(&jax["adjoint"], indices.len());
            assert_eq!(values.len(), adjoints.len());
            for ((at, value), (_, want)) in values.iter().zip(&adjoints) {
                let mut q = p.clone();
                for (name, &i) in indices.iter().zip(at) {
                    q.insert(name.to_string(), json!(i));
                }
                let element = eval(case.wrt, &q);
                assert!(
                    close(element, *value),
                    "{} at {at:?} is {element} in gauge and {value} in JAX at {point}",
                    case.name()
                );
                let got = eval(adjoint, &q);
                assert!(
                    close(got, *want),
                    "{what} at {at:?}: gauge's adjoint {adjoint} is {got}, JAX's vjp gives \
                     {want}, at {point}"
                );
                compared += 1;
            }
        }
    }
    assert!(answers.next().is_none(), "more answers than requests");
    // Every case at every point, and every element: not a vacuous pass.
    assert!(compared >= CASES.len() * POINTS, "{compared} comparisons");
}
