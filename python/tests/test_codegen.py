"""``gauge.codegen``: the generated code runs, and computes the value and the gradient
that independent references compute (gauge's own evaluator, finite differences, and
JAX's reverse mode on a formula written here by hand)."""

from __future__ import annotations

import pytest

import gauge

SPEC = "tensor X[N, D], y[N], W[C, D]\nlet loss = mean(n, cross_entropy(W @ X[n, :], y[n]))"


def batch(np, seed=0, n=6, d=4, c=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, c, size=n), rng.standard_normal((c, d))


def test_generated_numpy_code_runs_and_is_right(np):
    code = gauge.codegen("loss", "W", "numpy", defs=SPEC)
    # The arguments come in the order the formula first mentions them.
    assert [(a.name, a.kind, a.rank) for a in code.args] == [
        ("X", "tensor", 2),
        ("W", "tensor", 2),
        ("y", "tensor", 1),
    ]
    f = code.function()
    X, y, W = batch(np)
    args = {"X": X, "y": y, "W": W}
    value, (dW,) = f(*[args[a.code] for a in code.args])
    assert dW.shape == W.shape
    # The value is the one gauge's evaluator computes from the spec.
    s = gauge.Session(SPEC)
    assert value == pytest.approx(s.evaluate("loss", X=X, y=y, W=W), rel=1e-12)
    # The gradient agrees with central differences of the spec, element by element.
    h = 1e-6
    for i in range(W.shape[0]):
        for k in range(W.shape[1]):
            up, down = W.copy(), W.copy()
            up[i, k] += h
            down[i, k] -= h
            fd = (s.evaluate("loss", X=X, y=y, W=up) - s.evaluate("loss", X=X, y=y, W=down)) / (2 * h)
            assert dW[i, k] == pytest.approx(fd, rel=1e-5, abs=1e-9)


def test_generated_numpy_code_agrees_with_jax(np, jnp):
    import jax

    code = gauge.codegen("loss", ["W", "X"], "numpy", defs=SPEC)
    f = code.function()
    X, y, W = batch(np, seed=1, n=5)
    args = {"X": X, "y": y, "W": W}
    value, grads = f(*[args[a.code] for a in code.args])

    def by_hand(W, X):
        z = X @ W.T
        return jnp.mean(jax.nn.logsumexp(z, axis=1) - z[jnp.arange(z.shape[0]), y])

    want, (dW, dX) = jax.value_and_grad(by_hand, argnums=(0, 1))(jnp.asarray(W), jnp.asarray(X))
    assert value == pytest.approx(float(want), rel=1e-12)
    np.testing.assert_allclose(grads[0], np.asarray(dW), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads[1], np.asarray(dX), rtol=1e-10, atol=1e-14)


def test_generated_jax_code_runs(np, jnp):
    code = gauge.codegen("sum(i, softplus(a*x[i]))", ["a", "x"], "jax")
    f = code.function()
    x = np.array([-30.0, 0.5, 40.0])
    value, (da, dx) = f(2.0, jnp.asarray(x))
    # softplus is stable at large arguments: no overflow to inf.
    assert np.isfinite(float(value))
    sig = 1 / (1 + np.exp(-2.0 * x))
    assert float(da) == pytest.approx(float(np.sum(x * sig)), rel=1e-12)
    np.testing.assert_allclose(np.asarray(dx), 2.0 * sig, rtol=1e-12)


def test_the_check_harness_catches_a_wrong_function(np):
    code = gauge.codegen("sum(i, x[i]^3)", "x", "numpy", check=True)
    namespace: dict = {}
    exec(code.text, namespace)
    check_against = namespace["check_against"]

    def right(x):
        return float(np.sum(x**3)), (3 * x**2,)

    def wrong(x):
        return float(np.sum(x**3)), (2 * x**2,)

    assert check_against(right) == 20
    with pytest.raises(AssertionError, match="the gradient by x"):
        check_against(wrong)
