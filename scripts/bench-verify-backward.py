#!/usr/bin/env python3
"""Times `gauge.verify_backward` end to end (the Python call a user makes: tracing the
NumPy forward and backward, the proof of every gradient element, the report) on the
models of python/tests/backward_models.py, and, beside it, what a user does today
without gauge: JAX's reverse mode on the same forward written in jax.numpy, compared
with the hand-written backward by np.allclose (numbers at one point, no proof).

Usage: python scripts/bench-verify-backward.py   (needs the gauge package; JAX optional)
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python", "tests"))

import numpy as np  # noqa: E402

import gauge  # noqa: E402
import backward_models as m  # noqa: E402


def timed(f, repeats=5):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def jax_check(N, D, H, C, seed=0):
    """jax.grad of the MLP loss against the NumPy backward, at one random point."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(seed)
    X, W1, b1 = rng.normal(size=(N, D)), rng.normal(size=(D, H)), rng.normal(size=H)
    W2, b2 = rng.normal(size=(H, C)), rng.normal(size=C)
    y = rng.integers(0, C, size=N)

    def loss(W1, b1, W2, b2):
        h = jnp.maximum(X @ W1 + b1, 0)
        z = h @ W2 + b2
        z = z - z.max(axis=1, keepdims=True)
        logp = z - jnp.log(jnp.exp(z).sum(axis=1, keepdims=True))
        return -logp[jnp.arange(N), y].mean()

    g = jax.grad(loss, argnums=(0, 1, 2, 3))(W1, b1, W2, b2)
    mine = m.mlp_backward(X, W1, b1, W2, b2, y)
    return all(np.allclose(a, mine[k]) for a, k in zip(g, ["W1", "b1", "W2", "b2"]))


def main():
    print(f"gauge {gauge.__version__}, numpy {np.__version__}, {os.cpu_count()} cores")
    print("\nMLP at batch 4, 8 features, 3 classes (one instance, every element proved):")
    for H in (8, 16):
        sizes = [{"N": 4, "D": 8, "H": H, "C": 3}]
        t, r = timed(lambda: gauge.verify_backward(m.mlp_forward, m.mlp_backward, m.MLP_SHAPES, sizes=sizes, numeric=False))
        tn, _ = timed(lambda: gauge.verify_backward(m.mlp_forward, m.mlp_backward, m.MLP_SHAPES, sizes=sizes))
        line = f"  H={H:<3} gauge.verify_backward {t:6.3f} s (with the numeric check at N=32: {tn:6.3f} s)  ok={r.ok}"
        try:
            tj, ok = timed(lambda: jax_check(4, 8, H, 3))
            line += f"   jax.grad + allclose {tj:6.3f} s (ok={ok}; numbers at one point)  ratio {t / tj:5.1f}x"
        except ImportError:
            line += "   (JAX not installed: no peer timing)"
        print(line)
    print("\nThe suite at its default two instances (every input proved or a bug named):")
    cases = list(m.CORRECT)
    cases.insert(3, ("layernorm, a term dropped", m.ln_forward, m.ln_backward_dropped, m.LN_SHAPES))
    for name, f, b, s in cases:
        t, r = timed(lambda: gauge.verify_backward(f, b, s), repeats=3)
        print(f"  {name:<28} {t:6.3f} s  ok={r.ok}")


if __name__ == "__main__":
    main()
