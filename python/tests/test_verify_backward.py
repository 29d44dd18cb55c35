"""``gauge.verify_backward``: correct hand-written backward passes are proved element
by element, and planted bugs are caught and named (the input, and the ratio or the
term that is missing)."""

import json

import numpy as np
import pytest

import gauge
import backward_models as m

CORRECT = m.CORRECT


@pytest.mark.parametrize("name,forward,backward,shapes", CORRECT, ids=[c[0] for c in CORRECT])
def test_correct_backward_passes_are_proved(name, forward, backward, shapes):
    r = gauge.verify_backward(forward, backward, shapes)
    assert r.ok, str(r)
    assert r.inputs, "no gradient was checked"
    for v in r.inputs.values():
        assert v.verdict == "proved", str(r)
        assert v.explanation is None
    # Two instances of the named dimensions, each listed in the report.
    assert str(r).count("traced at") == 2


@pytest.mark.parametrize(
    "forward,backward,shapes",
    [
        (m.ce_forward, m.ce_backward_no_mean, m.CE_SHAPES),
        (m.mlp_forward, m.mlp_backward_no_mean, m.MLP_SHAPES),
        (m.mse_forward, m.mse_backward_no_mean, m.MSE_SHAPES),
    ],
)
def test_a_missing_mean_is_a_ratio_of_the_batch_size(forward, backward, shapes):
    r = gauge.verify_backward(forward, backward, shapes)
    assert not r.ok
    for v in r.inputs.values():
        assert v.verdict == "wrong"
        assert v.ratio == "N", str(r)
        assert "missing 1/N" in v.explanation


def test_two_batch_sizes_tell_n_from_a_constant():
    # At one instance with N = 2, a factor 2 and a missing 1/N look alike; the second
    # instance (N = 3) tells them apart.
    def backward_doubled(z, y):
        return {"z": 2 * m.ce_backward(z, y)["z"]}

    r = gauge.verify_backward(m.ce_forward, backward_doubled, m.CE_SHAPES)
    assert r.inputs["z"].ratio == "2", str(r)
    r = gauge.verify_backward(m.ce_forward, m.ce_backward_no_mean, m.CE_SHAPES)
    assert r.inputs["z"].ratio == "N", str(r)


def test_a_forgotten_onehot_is_named_at_the_label_positions():
    r = gauge.verify_backward(m.ce_forward, m.ce_backward_no_onehot, m.CE_SHAPES)
    v = r.inputs["z"]
    assert v.verdict == "wrong"
    assert "`-1/N`" in v.explanation, v.explanation
    assert "label positions [n, y[n]]" in v.explanation


def test_a_sign_flip_is_named():
    for forward, backward, shapes in [
        (m.ce_forward, m.ce_backward_sign, m.CE_SHAPES),
        (m.gelu_forward, m.gelu_backward_sign, m.GELU_SHAPES),
    ]:
        r = gauge.verify_backward(forward, backward, shapes)
        (v,) = r.inputs.values()
        assert v.ratio == "-1"
        assert "sign is flipped" in v.explanation


def test_a_dropped_layernorm_term_is_reported_with_its_residual():
    r = gauge.verify_backward(m.ln_forward, m.ln_backward_dropped, m.LN_SHAPES)
    assert r.inputs["g"].verdict == "proved"
    assert r.inputs["b"].verdict == "proved"
    v = r.inputs["x"]
    assert v.verdict == "wrong"
    # The missing term, in the program's own names: -rstd*xhat*mean(dxhat*xhat).
    assert "is missing `-rstd[0, 0]*xhat[0, 0]*sum(j, dxhat[0, j]*xhat[0, j])/3`" in v.explanation, v.explanation


def test_a_transposed_weight_gradient_is_named():
    r = gauge.verify_backward(m.mlp_forward, m.mlp_backward_transposed, m.MLP_SHAPES)
    v = r.inputs["W1"]
    assert v.verdict == "wrong"
    assert "transposed" in v.explanation
    for other in ("b1", "W2", "b2"):
        assert r.inputs[other].verdict == "proved"


def test_a_stale_intermediate_after_an_in_place_update_is_caught():
    r = gauge.verify_backward(m.tanh_forward, m.tanh_backward_stale, m.TANH_SHAPES)
    assert r.inputs["W2"].verdict == "proved", str(r)
    v = r.inputs["W1"]
    assert v.verdict == "wrong"
    # The term, in the program's names: the derivative needs `1 - h^2` with `h` the
    # activation the buffer now holds, where the program's `dh` took tanh of it again.
    assert "(1 - h[0, 0]^2)" in v.explanation, v.explanation
    assert "dh[" in v.explanation
    # And the in-place update the residual reads is pointed at, with its line.
    line = m.tanh_backward_stale.__code__.co_firstlineno + 2
    assert f"`h` was updated in place at line {line} (`np.tanh(h, out=h)" in v.explanation
    # A correct program's in-place updates (`p[...] -= 1`, `dz /= N`) are not flagged.
    assert "in place" not in str(gauge.verify_backward(m.mlp_forward, m.mlp_backward, m.MLP_SHAPES))


def test_the_stable_softmax_shift_and_its_branches_are_accepted():
    r = gauge.verify_backward(m.ce_forward, m.ce_backward, m.CE_SHAPES)
    assert r.ok
    text = str(r)
    # The max picked each row's largest logit: the region names those comparisons.
    assert "branch conditions" in text and "z[0, " in text


def test_reports_render_as_text_json_and_latex():
    r = gauge.verify_backward(m.mlp_forward, m.mlp_backward_transposed, m.MLP_SHAPES)
    assert "dW1" in str(r) and "FAILED" in str(r)
    data = json.loads(r.to_json())
    assert data["ok"] is False
    assert {i["name"] for i in data["inputs"]} == {"W1", "b1", "W2", "b2"}
    assert len(data["instances"]) == 2
    assert "\\begin{tabular}" in r.latex()
    assert "ok=False" in repr(r)


def test_an_unsupported_operation_names_itself_and_the_line():
    def forward(x):
        return np.arctan2(x, x + 1).sum()  # the line the error names

    def backward(x):
        return {"x": x}

    with pytest.raises(gauge.GaugeUnsupportedError) as e:
        gauge.verify_backward(forward, backward, {"x": ("N",)})
    err = e.value
    assert "np.arctan2" in err.message
    assert err.line == forward.__code__.co_firstlineno + 1
    assert err.file.endswith("test_verify_backward.py")


def test_a_float_buffer_is_a_clear_error():
    def forward(x):
        return (x**2).sum()

    def backward(x):
        g = np.zeros(x.shape)
        g[:] = 2 * x
        return {"x": g}

    with pytest.raises(gauge.GaugeUnsupportedError) as e:
        gauge.verify_backward(forward, backward, {"x": ("N",)})
    assert "zeros_like" in e.value.hint


def test_bad_calls_are_clear_errors():
    def forward(x):
        return (x**2).sum()

    with pytest.raises(gauge.GaugeBindingError):
        gauge.verify_backward(forward, lambda x: {"nope": x}, {"x": ("N",)})
    with pytest.raises(gauge.GaugeBindingError):
        gauge.verify_backward(lambda x: float(1.0), lambda x: {"x": x}, {"x": ("N",)})
    with pytest.raises(gauge.GaugeBindingError):
        gauge.verify_backward(forward, lambda x: {"x": x}, {})


def test_a_tuple_of_gradients_in_argument_order_is_accepted():
    def backward(X, w, b, t):
        g = m.mse_backward(X, w, b, t)
        return g["w"], g["b"]

    r = gauge.verify_backward(m.mse_forward, backward, m.MSE_SHAPES, wrt=["w", "b"])
    assert r.ok, str(r)
    assert set(r.inputs) == {"w", "b"}
    # Without wrt, two gradients for four real inputs are ambiguous: an error says so.
    with pytest.raises(gauge.GaugeBindingError) as e:
        gauge.verify_backward(m.mse_forward, backward, m.MSE_SHAPES)
    assert "wrt" in e.value.hint


def test_branches_follow_the_drawn_point_and_are_proved_in_their_region():
    # relu with a mask computed by comparison, abs, and a Python `if` on a traced value.
    def forward(x):
        s = 0
        for v in x.reshape(-1):
            if v > 0:
                s = s + v**2
            else:
                s = s + abs(v) * 3
        return s

    def backward(x):
        return {"x": np.where(x > 0, 2 * x, -3.0)}

    r = gauge.verify_backward(forward, backward, {"x": ("N", "D")})
    assert r.ok, str(r)

    def backward_wrong(x):
        return {"x": np.where(x > 0, 2 * x, 3.0)}

    r = gauge.verify_backward(forward, backward_wrong, {"x": ("N", "D")})
    assert not r.ok


def test_relu_at_exactly_zero_is_not_rejected():
    # At the numeric check's second point, a zero row of X and a zero b1 put the
    # pre-activation at exactly 0: a mask `h > 0` gives the left derivative, `h >= 0`
    # the right one, and both are subgradients.
    def backward_ge(X, W1, b1, W2, b2, y):
        N = X.shape[0]
        h = X @ W1 + b1
        a = np.maximum(h, 0)
        z = a @ W2 + b2
        dz = m._softmax(z)
        dz[np.arange(N), y] -= 1
        dz /= N
        dh = (dz @ W2.T) * (h >= 0)
        return {"W1": X.T @ dh, "b1": dh.sum(axis=0), "W2": a.T @ dz, "b2": dz.sum(axis=0)}

    for backward in (m.mlp_backward, backward_ge):
        r = gauge.verify_backward(m.mlp_forward, backward, m.MLP_SHAPES)
        assert r.ok, str(r)
        assert "(kinks point)" in str(r)
        assert "on a kink" in str(r), str(r)
        data = json.loads(r.to_json())
        kinks = [e for n in data["numeric"] for i in n["inputs"] for e in i["elements"] if e["kink"]]
        assert kinks and all(e["passed"] for e in kinks)


def test_a_backward_wrong_only_at_a_realistic_shape_is_caught_numerically():
    def backward(X, w, b, t):
        g = m.mse_backward(X, w, b, t)
        if X.shape[0] > 8:  # a bug that small shapes never reach
            g["w"] = g["w"] * 1.01
        return g

    r = gauge.verify_backward(m.mse_forward, backward, m.MSE_SHAPES)
    assert r.inputs["b"].verdict == "proved"
    v = r.inputs["w"]
    assert v.verdict == "wrong"
    assert "central differences" in v.explanation and "N=32" in v.explanation
    # Without the numeric check the small instances alone prove it.
    assert gauge.verify_backward(m.mse_forward, backward, m.MSE_SHAPES, numeric=False).ok


OPS = [
    ("einsum", lambda x: np.einsum("nd,nd->", x, x), lambda x: {"x": 2 * x}),
    ("concatenate", lambda x: np.concatenate([x, x**2], axis=1).sum(), lambda x: {"x": 1 + 2 * x}),
    ("stack", lambda x: np.stack([x, 3 * x]).sum(), lambda x: {"x": 4 + 0 * x}),
    (
        "var",
        lambda x: x.var(axis=1).sum(),
        lambda x: {"x": 2 * (x - x.mean(axis=1, keepdims=True)) / x.shape[1]},
    ),
    ("std", lambda x: x.std(), lambda x: {"x": (x - x.mean()) / (x.size * x.std())}),
    (
        "clip and a float mask",
        lambda x: np.clip(x, -0.5, 0.5).sum(),
        lambda x: {"x": ((x > -0.5) & (x < 0.5)).astype(float)},
    ),
    (
        "logaddexp",
        lambda x: np.logaddexp(x, 2 * x).sum(),
        lambda x: {"x": (np.exp(x) + 2 * np.exp(2 * x)) / (np.exp(x) + np.exp(2 * x))},
    ),
    (
        "argmax",
        lambda x: x[np.arange(x.shape[0]), x.argmax(axis=1)].sum(),
        lambda x: {"x": (x == x.max(axis=1, keepdims=True)) * 1.0},
    ),
    # The backward's 1/size is a float (0.16666666666666666): read as 1/6, as meant.
    ("mean over axes", lambda x: x.mean(axis=(0, 1)), lambda x: {"x": np.ones_like(x) / x.size}),
    ("swapaxes", lambda x: (x.swapaxes(0, 1) @ x).trace(), lambda x: {"x": 2 * x}),
    ("abs", lambda x: np.abs(x).sum(), lambda x: {"x": np.sign(x)}),
]


@pytest.mark.parametrize("name,forward,backward", OPS, ids=[o[0] for o in OPS])
def test_numpy_operations_are_traced(name, forward, backward):
    r = gauge.verify_backward(forward, backward, {"x": ("N", "D")})
    assert r.ok, str(r)


def test_a_logarithm_of_an_input_needs_it_declared_positive():
    with pytest.raises(gauge.GaugeDomainError) as e:
        gauge.verify_backward(lambda x: np.log(x).sum(), lambda x: {"x": 1 / x}, {"x": ("N",)})
    assert "gauge.positive" in e.value.hint
    r = gauge.verify_backward(
        lambda x: np.log(x).sum(), lambda x: {"x": 1 / x}, {"x": gauge.positive(("N",))}
    )
    assert r.ok, str(r)


def test_a_dropped_rmsnorm_term_is_named():
    r = gauge.verify_backward(m.rms_forward, m.rms_backward_dropped, m.RMS_SHAPES)
    assert r.inputs["g"].verdict == "proved"
    v = r.inputs["x"]
    assert v.verdict == "wrong"
    # The missing term goes through the mean square: it holds r^3 (or r and x
    # twice) and a sum over the row, in the program's names.
    assert "is missing `" in v.explanation and "sum(j, " in v.explanation, v.explanation
    assert "r[0, 0]" in v.explanation and "x[0, " in v.explanation


def test_a_wrong_attention_value_gradient_is_named():
    r = gauge.verify_backward(m.attn_forward, m.attn_backward_wrong_dv, m.ATTN_SHAPES)
    assert r.inputs["q"].verdict == "proved" and r.inputs["k"].verdict == "proved"
    v = r.inputs["v"]
    assert v.verdict == "wrong"
    assert v.explanation.startswith("dv[0, 0] is missing `"), v.explanation
    assert "p[1, 0]" in v.explanation and "p[0, 1]" in v.explanation


def test_the_json_report_lists_every_branch_condition():
    r = gauge.verify_backward(m.mlp_forward, m.mlp_backward, m.MLP_SHAPES, numeric=False)
    data = json.loads(r.to_json())
    for inst in data["instances"]:
        # One relu condition per hidden unit and example, and one max per row and
        # class but the first, each in the program's names.
        n, h, c = (dict(inst["sizes"])[d] for d in ("N", "H", "C"))
        assert inst["conditions"] == len(inst["region"]) == n * h + n * (c - 1)
        assert all(cond.endswith(("> 0", "< 0")) for cond in inst["region"])
        assert any(cond.startswith("h[0, 0] ") for cond in inst["region"])
