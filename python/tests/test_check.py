"""``gauge.check``: a program's gradients, as arrays of any framework, against the
spec's.

The program here is a softmax regression whose backward pass is written by hand in
NumPy (and in JAX, and torch where installed); the planted mistakes are the ones a
hand-written backward makes: a missing 1/N, a forgotten one-hot, a wrong scale.
"""

from __future__ import annotations

import json

import pytest

import gauge
from conftest import run_cli

SPEC = """\
tensor X[N, D], y[N], W[C, D], b[C]
let logits[n, c] = sum(d, W[c, d]*X[n, d]) + b[c]
let loss = mean(n, cross_entropy(logits[n, :], y[n]))
"""


def softmax_regression(np, n, seed, dtype="float64", scale=1.0, onehot=1.0):
    """A batch, the parameters, and the hand-written forward and backward pass."""
    rng = np.random.default_rng(seed)
    D, C = 4, 3
    X = rng.standard_normal((n, D)).astype(dtype)
    y = rng.integers(0, C, size=n)
    W = (0.5 * rng.standard_normal((C, D))).astype(dtype)
    b = (0.1 * rng.standard_normal(C)).astype(dtype)
    z = X @ W.T + b
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(n), y]))
    dz = (p - onehot * np.eye(C, dtype=dtype)[y]) / n * scale
    grads = {"W": dz.T @ X, "b": dz.sum(axis=0)}
    return {"X": X, "y": y, "W": W, "b": b}, grads, loss


def test_correct_numpy_gradients_pass(np):
    values, grads, loss = softmax_regression(np, 8, 1)
    r = gauge.check("loss", values, grads, defs=SPEC, loss=loss)
    assert r.passed and r.ok, str(r)
    assert r.verdicts == {"W": "passed", "b": "passed"}
    assert r.explanations == {}
    [d] = r.dumps
    assert d.lengths == {"N": 8, "D": 4, "C": 3}
    assert d.loss is not None and d.loss.passed and d.loss.got == pytest.approx(d.loss.want)
    w = d.params[0]
    assert (w.name, w.shape, w.dtype, w.verdict, w.passed) == ("W", (3, 4), "float64", "passed", True)
    assert w.worst is not None and w.worst.passed and len(w.worst.index) == 2
    assert "passed: 2 gradients agree with the spec, and so does the loss" in str(r)
    assert "ValuesReport(passed" in repr(r)


def test_a_missing_1_over_n_is_named_with_two_batch_sizes(np):
    # At N = 3 a ratio of 3 is the batch size and the number of classes alike; a
    # second dump at N = 7 tells them apart.
    one = softmax_regression(np, 3, 1, scale=3.0)[:2]
    r = gauge.check("loss", *one, defs=SPEC)
    assert not r.passed and r.verdicts["W"] == "failed"
    assert "which is N (missing 1/N) or C (missing 1/C)" in r.explanations["W"]
    two = softmax_regression(np, 7, 2, scale=7.0)[:2]
    r = gauge.check("loss", [one, two], defs=SPEC)
    assert not r.passed
    assert r.verdicts == {"W": "failed", "b": "failed"}
    assert r.explanations["W"] == "got/want = N in every dump: missing 1/N"
    assert [d.source for d in r.dumps] == ["dump 1", "dump 2"]
    assert [d.lengths["N"] for d in r.dumps] == [3, 7]
    assert r.dumps[1].params[0].explanation == "got/want = 7 = N everywhere: missing 1/N"
    assert "over every dump, W: got/want = N in every dump: missing 1/N" in str(r)


def test_a_forgotten_onehot_is_named(np):
    values, grads, _ = softmax_regression(np, 6, 3, onehot=0.0)
    r = gauge.check("loss", values, grads, defs=SPEC)
    assert r.verdicts == {"W": "failed", "b": "failed"}
    assert "delta(" in r.explanations["b"] and "absent" in r.explanations["b"]


def test_a_wrong_loss_value_fails(np):
    values, grads, loss = softmax_regression(np, 5, 4)
    r = gauge.check("loss", values, grads, defs=SPEC, loss=5 * loss)
    assert not r.passed and r.verdicts == {"W": "passed", "b": "passed"}
    assert r.dumps[0].loss is not None and not r.dumps[0].loss.passed
    assert "the loss value is WRONG" in str(r)


def test_float32_gradients_are_judged_with_float32_rounding(np):
    values, grads, loss = softmax_regression(np, 16, 5, dtype="float32")
    assert grads["W"].dtype == np.float32
    r = gauge.check("loss", values, grads, defs=SPEC, loss=np.float32(loss))
    assert r.passed, str(r)
    assert {p.dtype for p in r.dumps[0].params} == {"float32"}
    # The same gradients in float64 are float32's rounding away from the spec's: far
    # beyond float64's tolerance.
    as64 = {k: v.astype("float64") for k, v in grads.items()}
    vals64 = {k: (v.astype("float64") if v.dtype == np.float32 else v) for k, v in values.items()}
    r64 = gauge.check("loss", vals64, as64, defs=SPEC)
    assert not r64.passed
    # And float32 gradients off by a relative 1e-3 fail.
    off = {k: (v * np.float32(1.001)).astype("float32") for k, v in grads.items()}
    assert not gauge.check("loss", values, off, defs=SPEC).passed


def test_jax_arrays_float64(np, jnp):
    values, grads, loss = softmax_regression(np, 7, 6)
    jvalues = {k: jnp.asarray(v) for k, v in values.items()}
    jgrads = {k: jnp.asarray(v) for k, v in grads.items()}
    assert jgrads["W"].dtype == jnp.float64
    r = gauge.check("loss", jvalues, jgrads, defs=SPEC, loss=jnp.asarray(loss))
    assert r.passed, str(r)
    assert {p.dtype for p in r.dumps[0].params} == {"float64"}
    # A planted mistake in a JAX array is caught as in a NumPy one.
    jgrads["b"] = jgrads["b"] * 7
    r = gauge.check("loss", jvalues, jgrads, defs=SPEC)
    assert r.verdicts == {"W": "passed", "b": "failed"}
    assert r.explanations["b"] == "got/want = 7 = N everywhere: missing 1/N"


def test_jax_gradients_from_jax_grad_in_float32(np, jnp):
    import jax

    values, _, _ = softmax_regression(np, 8, 7, dtype="float32")
    X, y = jnp.asarray(values["X"]), jnp.asarray(values["y"])

    def loss_fn(W, b):
        return jnp.mean(jax.nn.logsumexp(X @ W.T + b, axis=1) - (X @ W.T + b)[jnp.arange(8), y])

    W = jnp.asarray(values["W"], dtype=jnp.float32)
    b = jnp.asarray(values["b"], dtype=jnp.float32)
    loss, (dW, db) = jax.value_and_grad(loss_fn, argnums=(0, 1))(W, b)
    assert dW.dtype == jnp.float32
    r = gauge.check("loss", {"X": X, "y": y, "W": W, "b": b}, {"W": dW, "b": db}, defs=SPEC, loss=loss)
    assert r.passed, str(r)
    assert {p.dtype for p in r.dumps[0].params} == {"float32"}
    assert r.dumps[0].loss.dtype == "float32"


def test_jax_bfloat16_gradients_keep_their_dtype(np, jnp):
    values, grads, _ = softmax_regression(np, 8, 8)
    bf = {k: jnp.asarray(v, dtype=jnp.bfloat16) for k, v in grads.items()}
    r = gauge.check("loss", values, bf, defs=SPEC)
    assert {p.dtype for p in r.dumps[0].params} == {"bfloat16"}
    assert r.passed, str(r)


def test_torch_tensors(np, torch):
    values, grads, loss = softmax_regression(np, 8, 9)
    tvalues = {k: torch.tensor(v) for k, v in values.items()}
    W = tvalues["W"].clone().requires_grad_(True)
    b = tvalues["b"].clone().requires_grad_(True)
    out = torch.nn.functional.cross_entropy(tvalues["X"] @ W.T + b, tvalues["y"])
    out.backward()
    r = gauge.check(
        "loss",
        dict(tvalues, W=W, b=b),
        {"W": W.grad, "b": b.grad},
        defs=SPEC,
        loss=out,
    )
    assert r.passed, str(r)
    bf = {"W": W.grad.to(torch.bfloat16), "b": b.grad.to(torch.bfloat16)}
    r = gauge.check("loss", dict(tvalues, W=W, b=b), bf, defs=SPEC)
    assert {p.dtype for p in r.dumps[0].params} == {"bfloat16"} and r.passed, str(r)


def test_python_numbers_and_a_scalar_parameter(np):
    x = np.array([0.5, -1.5, 2.0])
    r = gauge.check("sum(i, (a*x[i])^2)", {"x": x, "a": 3.0}, {"a": float(2 * 3.0 * (x @ x))})
    assert r.passed, str(r)
    r = gauge.check("sum(i, (a*x[i])^2)", {"x": x, "a": 3}, {"a": 1})
    assert not r.passed


def test_the_report_renders_as_the_command_line_prints_it(np, tmp_path):
    values, grads, loss = softmax_regression(np, 6, 10, scale=6.0)
    spec = tmp_path / "spec.gauge"
    spec.write_text(SPEC)
    dump = tmp_path / "dump.npz"
    np.savez(dump, loss=loss, **values, **{f"grad.{k}": v for k, v in grads.items()})
    r = gauge.check(spec, values, grads, loss=loss)
    cli = run_cli("check", str(spec), "--values", str(dump))
    assert cli.returncode == 1
    # The same report, but for the dump's name.
    assert str(r) == cli.stdout.replace(str(dump), "values")
    # The file itself reads as the command line reads it.
    from_file = gauge.check(spec, dump)
    assert str(from_file) == cli.stdout
    js = run_cli("check", str(spec), "--values", str(dump), "--format", "json")
    want = json.loads(js.stdout)
    got = json.loads(gauge.check(spec, dump, components=True).to_json())
    assert got == want


def test_bad_arrays_are_errors_that_name_them(np):
    values, grads, _ = softmax_regression(np, 4, 11)
    with pytest.raises(gauge.GaugeShapeError, match="gradient of `W`"):
        gauge.check("loss", values, {"W": grads["W"].T}, defs=SPEC)
    with pytest.raises(gauge.GaugeBindingError, match="`b`"):
        gauge.check("loss", {k: v for k, v in values.items() if k != "b"}, grads, defs=SPEC)
    bad = dict(values, X=values["X"].copy())
    bad["X"][1, 2] = np.nan
    with pytest.raises(gauge.GaugeBindingError, match="`X`"):
        gauge.check("loss", bad, grads, defs=SPEC)
    with pytest.raises(TypeError, match="complex"):
        gauge.check("loss", dict(values, b=values["b"] + 0j), grads, defs=SPEC)
    with pytest.raises(TypeError):
        gauge.check("loss", values, defs=SPEC)
    with pytest.raises(TypeError):
        gauge.check("loss", [(values, grads)], grads, defs=SPEC)
    with pytest.raises(ValueError, match="rtol"):
        gauge.check("loss", values, grads, defs=SPEC, rtol=-1.0)


def test_only_some_parameters_and_a_tolerance(np):
    values, grads, _ = softmax_regression(np, 5, 12)
    grads["b"] = grads["b"] * 1.01
    r = gauge.check("loss", values, grads, defs=SPEC, wrt="W")
    assert r.passed and r.verdicts == {"W": "passed"}
    assert not gauge.check("loss", values, grads, defs=SPEC).passed
    assert gauge.check("loss", values, grads, defs=SPEC, rtol=0.05).passed


def test_a_large_float32_layer_is_read_in_place_and_still_judged(np):
    # 300 x 300 float32 elements: past the size from which gauge keeps a float array
    # in its own bytes and compares a passing gradient block by block as computed.
    rng = np.random.default_rng(13)
    x = rng.standard_normal(300).astype("float32")
    W = (0.05 * rng.standard_normal((300, 300))).astype("float32")
    spec = "tensor W[H, D], x[D]\nlet loss = sum(h, tanh(sum(d, W[h, d]*x[d])))"
    a = W.astype("float64") @ x.astype("float64")
    dW = np.outer(1 - np.tanh(a) ** 2, x).astype("float32")
    r = gauge.check("loss", {"W": W, "x": x}, {"W": dW}, defs=spec)
    assert r.passed, str(r)
    [p] = r.dumps[0].params
    assert (p.shape, p.dtype) == ((300, 300), "float32")
    r = gauge.check("loss", {"W": W, "x": x}, {"W": dW * np.float32(2)}, defs=spec)
    assert r.verdicts == {"W": "failed"}
    assert r.explanations["W"].startswith("got/want = 2 ")
