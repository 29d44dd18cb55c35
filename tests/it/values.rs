//! `gauge check SPEC --values FILE`: a program's dumped gradients against the spec.
//!
//! The training examples run with real NumPy (examples/training/train.py and its copy
//! with planted bugs), and each dump goes through the command line: the correct one
//! passes in float64 and float32, each planted bug is rejected and named, a summed
//! loss fails on its value. Small dumps written here as JSON (and as safetensors with
//! bfloat16 gradients, and float16 .npy) test the tolerances, kinks, vacuous checks,
//! two batch sizes and the errors.

use std::path::{Path, PathBuf};

use crate::common::{gauge, numpy_present, root, stderr, stdout};

fn temp_dir(tag: &str) -> PathBuf {
    crate::common::temp_dir("values", tag)
}

fn python(script: &str) {
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .current_dir(root())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn train(script: &str, args: &[&str]) {
    let out = std::process::Command::new("python3")
        .arg(root().join("examples/training").join(script))
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{script} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn check(spec: &str, dumps: &[&Path]) -> (i32, String, String) {
    let mut args = vec!["check".to_string(), spec.to_string()];
    for d in dumps {
        args.push("--values".into());
        args.push(d.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = gauge(&args);
    (o.status.code().unwrap_or(-1), stdout(&o), stderr(&o))
}

/// The line of the report that explains `param`'s mistake.
fn explanation<'a>(report: &'a str, param: &str) -> &'a str {
    let prefix = format!("  {param}: ");
    report
        .lines()
        .rfind(|l| l.starts_with(&prefix) && !l.contains("components beyond"))
        .unwrap_or_else(|| panic!("no explanation of {param} in\n{report}"))
}

/// The verdict column of `param`'s row.
fn verdict<'a>(report: &'a str, param: &str) -> &'a str {
    let prefix = format!("  {param} ");
    let row = report
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no row for {param} in\n{report}"));
    row.split_whitespace().last().unwrap_or("")
}

const MLP: &str = "examples/training/mlp.gauge";

#[test]
fn the_training_example_passes_and_each_planted_bug_is_named() {
    if !numpy_present() {
        return;
    }
    let dir = temp_dir("train");
    let spec = root().join(MLP).display().to_string();
    let ok = dir.join("ok.npz");
    train("train.py", &["--dump", ok.to_str().unwrap()]);
    let (code, out, err) = check(&spec, &[&ok]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("passed: 6 gradients agree with the spec, and so does the loss"),
        "{out}"
    );

    // float32 compute and dump, with no tolerance given.
    let ok32 = dir.join("ok32.npz");
    train(
        "train.py",
        &["--dtype", "float32", "--dump", ok32.to_str().unwrap()],
    );
    let (code, out, _) = check(&spec, &[&ok32]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("float32"), "{out}");

    // A missing 1/N: the ratio, matched with the batch size.
    let mm = dir.join("missing_mean.npz");
    train(
        "train_buggy.py",
        &["--bug", "missing_mean", "--dump", mm.to_str().unwrap()],
    );
    let (code, out, _) = check(&spec, &[&mm]);
    assert_eq!(code, 1, "{out}");
    for p in ["W1", "b1", "g", "beta", "W2", "b2"] {
        assert_eq!(verdict(&out, p), "WRONG", "{out}");
        assert_eq!(
            explanation(&out, p),
            format!("  {p}: got/want = 16 = N everywhere: missing 1/N"),
            "{out}"
        );
    }

    // A forgotten `- onehot`: the delta term absent, at the output layer directly and
    // through the adjoint of the logits for the first layer.
    let fo = dir.join("forgot_onehot.npz");
    train(
        "train_buggy.py",
        &["--bug", "forgot_onehot", "--dump", fo.to_str().unwrap()],
    );
    let (code, out, _) = check(&spec, &[&fo]);
    assert_eq!(code, 1, "{out}");
    let w2 = explanation(&out, "W2");
    assert!(
        w2.contains("delta(i, y[j])") && w2.contains("absent"),
        "{w2}"
    );
    let w1 = explanation(&out, "W1");
    assert!(
        w1.contains("in the adjoint of logits") && w1.contains("delta(") && w1.contains("absent"),
        "{w1}"
    );

    // A dropped LayerNorm term: only the first layer is wrong, and the terms absent
    // from the adjoint are the variance's, `xc*.../(eps + var)^(3/2)`.
    let ln = dir.join("layernorm_term.npz");
    train(
        "train_buggy.py",
        &["--bug", "layernorm_term", "--dump", ln.to_str().unwrap()],
    );
    let (code, out, _) = check(&spec, &[&ln]);
    assert_eq!(code, 1, "{out}");
    for p in ["g", "beta", "W2", "b2"] {
        assert_eq!(verdict(&out, p), "ok", "{out}");
    }
    assert_eq!(verdict(&out, "W1"), "WRONG", "{out}");
    let w1 = explanation(&out, "W1");
    assert!(w1.contains("in the adjoint of"), "{w1}");
    assert!(
        w1.contains("absent") && w1.contains("(eps + var[i])^(3/2)"),
        "{w1}"
    );
    assert!(w1.contains("the residual"), "{w1}");
    // Written with the upstream gradient, the residual is LayerNorm's variance term.
    for p in ["W1", "b1"] {
        let e = explanation(&out, p);
        assert!(
            e.contains("written with dxhat = d loss/d xhat")
                && e.contains("is -xc[i, k]*mean(j, dxhat[i, j]*xc[i, j])/(eps + var[i])^(3/2)"),
            "{e}"
        );
    }

    // A forward that sums where the spec means: the loss value says so.
    let sum = dir.join("sum.npz");
    train(
        "train_buggy.py",
        &["--loss-bug", "sum", "--dump", sum.to_str().unwrap()],
    );
    let (code, out, _) = check(&spec, &[&sum]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the loss value: got/want = 16 = N: the program's loss is N times the spec's: a sum where the spec has a mean?"), "{out}");
    assert!(out.contains("FAILED: the loss value is WRONG"), "{out}");
}

/// A softmax regression as JSON: the spec, and a dump written by NumPy in any dtype.
const SOFTMAX: &str = "tensor X[N, D], y[N], W[C, D], b[C]\n\
let logits[n, c] = sum(d, W[c, d]*X[n, d]) + b[c]\n\
let loss = mean(n, cross_entropy(logits[n, :], y[n]))\n";

/// Writes the softmax regression's dump: `scale` multiplies the gradients, `onehot`
/// 0 forgets it, `n` is the batch, `kind` the format (`npz`, `npz16`, `bf16`).
#[allow(clippy::too_many_arguments)]
fn softmax_dump(
    dir: &Path,
    name: &str,
    n: usize,
    (c, d): (usize, usize),
    dtype: &str,
    scale: f64,
    onehot: f64,
    kind: &str,
) -> PathBuf {
    let path = dir.join(name);
    let script = format!(
        r#"
import numpy as np, json, struct
rng = np.random.default_rng(7)
N, D, C = {n}, {d}, {c}
X = rng.normal(size=(N, D)); y = rng.integers(0, C, size=N)
W = rng.normal(size=(C, D)) * 0.5; b = rng.normal(size=C) * 0.1
dt = np.dtype("{dtype}") if "{dtype}" != "bf16" else np.dtype("float32")
X, W, b = X.astype(dt), W.astype(dt), b.astype(dt)
Z = X @ W.T + b
Z = Z - Z.max(1, keepdims=True)
P = np.exp(Z); P /= P.sum(1, keepdims=True)
loss = -np.log(P[np.arange(N), y]).mean()
dZ = (P - {onehot} * np.eye(C, dtype=dt)[y]) / N
gW = (dZ.T @ X) * {scale}; gb = dZ.sum(0) * {scale}
path = "{path}"
if "{kind}" == "bf16":
    def bf16(a):
        bits = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
        rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
        return rounded.tobytes()
    arrays = {{"X": ("F32", X.shape, X.astype(np.float32).tobytes()),
              "y": ("I64", y.shape, y.astype(np.int64).tobytes()),
              "W": ("F32", W.shape, W.tobytes()), "b": ("F32", b.shape, b.tobytes()),
              "loss": ("F32", (), np.float32(loss).tobytes()),
              "grad.W": ("BF16", gW.shape, bf16(gW)), "grad.b": ("BF16", gb.shape, bf16(gb))}}
    header, blob = {{}}, b""
    for k, (t, shape, data) in arrays.items():
        header[k] = {{"dtype": t, "shape": list(shape), "data_offsets": [len(blob), len(blob) + len(data)]}}
        blob += data
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + blob)
else:
    np.savez(path, X=X, y=y, W=W, b=b, loss=np.asarray(loss, dtype=dt),
             **{{"grad.W": gW.astype(dt), "grad.b": gb.astype(dt)}})
"#,
        path = path.display()
    );
    python(&script);
    path
}

fn softmax_spec(dir: &Path) -> String {
    let spec = dir.join("softmax.gauge");
    std::fs::write(&spec, SOFTMAX).unwrap();
    spec.display().to_string()
}

#[test]
fn low_precision_dumps_pass_when_correct_and_fail_at_a_relative_error_of_1e_3() {
    if !numpy_present() {
        return;
    }
    let dir = temp_dir("precision");
    let spec = softmax_spec(&dir);
    for (dtype, kind, ext) in [
        ("float32", "npz", "npz"),
        ("bf16", "bf16", "safetensors"),
        ("float64", "npz", "npz"),
    ] {
        let ok = softmax_dump(
            &dir,
            &format!("ok-{dtype}.{ext}"),
            400,
            (40, 50),
            dtype,
            1.0,
            1.0,
            kind,
        );
        let (code, out, err) = check(&spec, &[&ok]);
        assert_eq!(code, 0, "{dtype}: {out}{err}");
        let off = softmax_dump(
            &dir,
            &format!("off-{dtype}.{ext}"),
            400,
            (40, 50),
            dtype,
            1.001,
            1.0,
            kind,
        );
        let (code, out, err) = check(&spec, &[&off]);
        assert_eq!(
            code, 1,
            "{dtype}: a 1e-3 relative error passed:\n{out}{err}"
        );
        assert_eq!(verdict(&out, "W"), "WRONG", "{dtype}: {out}");
    }
}

#[test]
fn a_float16_dump_computed_in_float16_passes() {
    if !numpy_present() {
        return;
    }
    let dir = temp_dir("half");
    let spec = softmax_spec(&dir);
    let ok = softmax_dump(&dir, "ok16.npz", 16, (5, 7), "float16", 1.0, 1.0, "npz");
    let (code, out, err) = check(&spec, &[&ok]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("float16"), "{out}");
    let off = softmax_dump(&dir, "off16.npz", 16, (5, 7), "float16", 0.9, 1.0, "npz");
    let (code, out, _) = check(&spec, &[&off]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn a_ratio_that_is_the_batch_size_is_told_from_a_constant_by_a_second_dump() {
    if !numpy_present() {
        return;
    }
    let dir = temp_dir("batches");
    let spec = softmax_spec(&dir);
    // At N = 5 the ratio 5 is N and C alike; at N = 9 only N.
    let a = softmax_dump(&dir, "n5.npz", 5, (5, 7), "float64", 5.0, 1.0, "npz");
    let (_, out, _) = check(&spec, &[&a]);
    let one = explanation(&out, "W");
    assert!(
        one.contains("which is N (missing 1/N) or C (missing 1/C)"),
        "{one}"
    );
    let b = softmax_dump(&dir, "n9.npz", 9, (5, 7), "float64", 9.0, 1.0, "npz");
    let (code, out, _) = check(&spec, &[&a, &b]);
    assert_eq!(code, 1);
    assert!(
        out.contains("over every dump, W: got/want = N in every dump: missing 1/N"),
        "{out}"
    );
    // A forgotten onehot in the same model: the delta term is named.
    let c = softmax_dump(&dir, "onehot.npz", 9, (5, 7), "float64", 1.0, 0.0, "npz");
    let (_, out, _) = check(&spec, &[&c]);
    let w = explanation(&out, "W");
    assert!(
        w.starts_with("  W: term -") && w.contains("delta(") && w.contains("absent"),
        "{w}"
    );
}

fn json_dump(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn kinks_accept_any_subgradient_and_nothing_else() {
    let dir = temp_dir("kinks");
    // relu at 0: the one-sided derivatives are 0 and x.
    let spec = "sum(i, relu(w[i]*x[i]))";
    for (grad, passes) in [
        ("0", true),
        ("1.5", true),
        ("0.75", true),
        ("2", false),
        ("-0.5", false),
    ] {
        let d = json_dump(
            &dir,
            &format!("relu-{grad}.json"),
            &format!(r#"{{"w": [0.0, 1.0], "x": [1.5, 2.0], "grad.w": [{grad}, 2.0]}}"#),
        );
        let o = gauge(&["check", spec, "--values", d.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(if passes { 0 } else { 1 }),
            "{grad}: {}",
            stdout(&o)
        );
        if passes {
            assert!(
                stdout(&o).contains("1 component at a kink"),
                "{}",
                stdout(&o)
            );
        }
    }
    // A tie of max: torch's even split and either side are subgradients.
    for (g, passes) in [
        ("[0.5, 0.5, 0]", true),
        ("[1, 0, 0]", true),
        ("[0, 1, 0]", true),
        ("[1.5, 0, 0]", false),
        ("[0, 0, 1]", false),
    ] {
        let d = json_dump(
            &dir,
            "max.json",
            &format!(r#"{{"z": [2.0, 2.0, 1.0], "grad.z": {g}}}"#),
        );
        let o = gauge(&["check", "max(z)", "--values", d.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(if passes { 0 } else { 1 }),
            "{g}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn a_gradient_within_rounding_of_zero_is_vacuous_not_passed() {
    let dir = temp_dir("vacuous");
    // A least-squares fit at its optimum: the residuals, and with them the
    // gradient, are rounding noise next to the products they are differences of.
    let d = json_dump(
        &dir,
        "v.json",
        r#"{"W": [[0.1, 0.2], [0.3, 0.7]], "x": [0.3, 0.7], "t": [0.17, 0.58], "grad.W": [[0, 0], [0, 0]]}"#,
    );
    let spec = "sum(i, (sum(j, W[i, j]*x[j]) - t[i])^2)";
    let o = gauge(&["check", spec, "--values", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_eq!(verdict(&stdout(&o), "W"), "vacuous", "{}", stdout(&o));
    assert!(
        stdout(&o).contains("nothing was compared"),
        "{}",
        stdout(&o)
    );
    // A gradient that is not tiny is compared, whatever its scale.
    let d = json_dump(
        &dir,
        "tiny.json",
        r#"{"w": [1e-9, 2e-9], "grad.w": [2e-9, 4e-9]}"#,
    );
    let o = gauge(&["check", "sum(i, w[i]^2)", "--values", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn bad_dumps_are_errors_that_name_the_array() {
    let dir = temp_dir("errors");
    let spec = softmax_spec(&dir);
    let cases = [
        (
            r#"{"X": [[1, 2]], "y": [0], "b": [0, 0], "grad.W": [[0, 0], [0, 0]]}"#,
            "the spec uses `W` but",
        ),
        (
            r#"{"X": [[1, 2]], "y": [0], "W": [[1, 2], [3, 4]], "b": [0, 0], "grad.W": [[0, 0, 0]]}"#,
            "the gradient of `W` in",
        ),
        (
            r#"{"X": [[1, 2]], "y": [5], "W": [[1, 2], [3, 4]], "b": [0, 0], "grad.W": [[0, 0], [0, 0]]}"#,
            "`y[0]` is 5, but the labels `y`",
        ),
        (
            r#"{"X": [[1, 2]], "y": [0], "W": [[1, 2], [3, 4]], "b": [0, 0]}"#,
            "holds no gradients",
        ),
        (
            r#"{"X": [[1, 2]], "y": [0], "W": [[1, 2], [3, 4]], "b": [0, 0], "grad.V": [1]}"#,
            "has a gradient for `V`, which the spec does not use",
        ),
        (
            r#"{"X": [[1, 2]], "y": [0], "W": [[1, 2], [3, 4]], "b": [0, 0], "grad.y": [1]}"#,
            "which the spec uses as an index (a label)",
        ),
    ];
    for (k, (text, message)) in cases.iter().enumerate() {
        let d = json_dump(&dir, &format!("bad{k}.json"), text);
        let o = gauge(&["check", &spec, "--values", d.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{text}: {}", stdout(&o));
        // The diagnostic wraps long lines (with a `│` margin); the message is read
        // as one line.
        let plain = stderr(&o)
            .replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(plain.contains(message), "{text}: {}", stderr(&o));
    }
    // Both shapes are printed.
    let d = json_dump(&dir, "shape.json", cases[1].0);
    let o = gauge(&["check", &spec, "--values", d.to_str().unwrap()]);
    assert!(
        stderr(&o).contains("[1, 3]") && stderr(&o).contains("[2, 2]"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn json_reports_every_component() {
    let dir = temp_dir("json");
    let d = json_dump(
        &dir,
        "d.json",
        r#"{"w": [1.0, 2.0, 3.0], "grad.w": [2.0, 4.0, 6.5], "loss": 14.0}"#,
    );
    let o = gauge(&[
        "check",
        "sum(i, w[i]^2)",
        "--values",
        d.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["passed"], false);
    let p = &v["dumps"][0]["params"][0];
    assert_eq!(p["name"], "w");
    assert_eq!(p["components"].as_array().map(Vec::len), Some(3));
    assert_eq!(p["components"][2]["passed"], false);
    assert_eq!(p["components"][2]["want"], 6.0);
    assert_eq!(v["dumps"][0]["loss"]["passed"], true);
}

/// A layer large enough to be compared block by block as it is computed (its weights
/// are read in place from a safetensors file, in float32), with a weight-decay term
/// and a second weight stored transposed, so that the blocks cut their operands along
/// a first axis, a second axis, and not at all.
fn large_layer(dir: &Path, name: &str, planted: impl Fn(&str, &mut [f64])) -> PathBuf {
    use safetensors::tensor::{Dtype as S, TensorView};
    let (n, d, o) = (8usize, 300usize, 256usize);
    let mut seed = 11u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let x: Vec<f64> = (0..n * d).map(|_| next()).collect();
    let t: Vec<f64> = (0..n * o).map(|_| next()).collect();
    let w: Vec<f64> = (0..o * d).map(|_| 0.05 * next()).collect();
    let v: Vec<f64> = (0..d * o).map(|_| 0.05 * next()).collect();
    // The values as stored, and the program's float64 arithmetic on them.
    let round = |a: &[f64]| -> Vec<f64> { a.iter().map(|&z| f64::from(z as f32)).collect() };
    let (x, t, w, v) = (round(&x), round(&t), round(&w), round(&v));
    let mut r = vec![0.0; n * o];
    for i in 0..n {
        for j in 0..o {
            let mut s = -t[i * o + j];
            for k in 0..d {
                s += w[j * d + k] * x[i * d + k] + x[i * d + k] * v[k * o + j];
            }
            r[i * o + j] = s;
        }
    }
    let mut gw = vec![0.0; o * d];
    let mut gv = vec![0.0; d * o];
    for j in 0..o {
        for k in 0..d {
            let s: f64 = (0..n).map(|i| r[i * o + j] * x[i * d + k]).sum();
            gw[j * d + k] = s / n as f64 + 0.01 * w[j * d + k];
            gv[k * o + j] = s / n as f64;
        }
    }
    let loss = r.iter().map(|z| z * z).sum::<f64>() / (2.0 * n as f64)
        + 0.01 * w.iter().map(|z| z * z).sum::<f64>() / 2.0;
    planted("W", &mut gw);
    planted("V", &mut gv);
    let bytes =
        |a: &[f64]| -> Vec<u8> { a.iter().flat_map(|&z| (z as f32).to_le_bytes()).collect() };
    let held = [
        ("X", vec![n, d], bytes(&x)),
        ("T", vec![n, o], bytes(&t)),
        ("W", vec![o, d], bytes(&w)),
        ("V", vec![d, o], bytes(&v)),
        ("grad.W", vec![o, d], bytes(&gw)),
        ("grad.V", vec![d, o], bytes(&gv)),
        ("loss", vec![], bytes(&[loss])),
    ];
    let views: Vec<(&str, TensorView<'_>)> = held
        .iter()
        .map(|(k, shape, b)| (*k, TensorView::new(S::F32, shape.clone(), b).unwrap()))
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, safetensors::serialize(views, None).unwrap()).unwrap();
    path
}

const LARGE_LAYER: &str = "tensor X[N, D], T[N, O], W[O, D], V[D, O]
let R[n, o] = sum(d, W[o, d]*X[n, d]) + sum(d, X[n, d]*V[d, o]) - T[n, o]
let loss = sum(n, sum(o, R[n, o]^2))/(2*N) + 0.01*sum(o, sum(d, W[o, d]^2))/2
";

#[test]
fn a_large_layer_is_compared_as_it_is_computed_and_its_mistakes_are_still_named() {
    let dir = temp_dir("large");
    let spec = dir.join("layer.gauge");
    std::fs::write(&spec, LARGE_LAYER).unwrap();
    let spec = spec.display().to_string();
    let ok = large_layer(&dir, "ok.safetensors", |_, _| {});
    let (code, out, err) = check(&spec, &[&ok]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(verdict(&out, "W"), "ok", "{out}");
    assert_eq!(verdict(&out, "V"), "ok", "{out}");
    // The text report (blocks, worst component kept) and the JSON one (every
    // component) agree on the worst component.
    let o = gauge(&[
        "check",
        &spec,
        "--values",
        ok.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    for p in v["dumps"][0]["params"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        assert_eq!(p["components"].as_array().map(Vec::len), Some(76_800));
        let worst = &p["worst"];
        let index: Vec<String> = worst["index"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.to_string())
            .collect();
        let shown = format!("{name}[{}]", index.join(", "));
        let row = out
            .lines()
            .find(|l| l.starts_with(&format!("  {name} ")))
            .unwrap();
        assert!(row.contains(&shown), "{shown} in {row}");
    }
    // A relative error of 1e-3 fails, a missing 1/N is named as such, and a NaN is
    // found: each is compared again whole.
    let off = large_layer(&dir, "off.safetensors", |k, g| {
        if k == "W" {
            g.iter_mut().for_each(|z| *z *= 1.001);
        }
    });
    let (code, out, err) = check(&spec, &[&off]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(verdict(&out, "W"), "WRONG", "{out}");
    assert_eq!(verdict(&out, "V"), "ok", "{out}");
    let scaled = large_layer(&dir, "scaled.safetensors", |k, g| {
        if k == "V" {
            g.iter_mut().for_each(|z| *z *= 8.0);
        }
    });
    let (code, out, err) = check(&spec, &[&scaled]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(verdict(&out, "V"), "WRONG", "{out}");
    assert!(explanation(&out, "V").contains("1/N"), "{out}");
    let nan = large_layer(&dir, "nan.safetensors", |k, g| {
        if k == "W" {
            g[40_000] = f64::NAN;
        }
    });
    let (code, out, err) = check(&spec, &[&nan]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("1 of 76800 components beyond"), "{out}");
    std::fs::remove_dir_all(&dir).ok();
}
