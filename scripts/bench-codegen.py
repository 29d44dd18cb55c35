"""Times the NumPy that `gauge codegen` generates for the cross-entropy gradient against
a hand-written NumPy version, in the same run, and prints the ratios.

    python3 scripts/bench-codegen.py [path/to/gauge]

Two settings: one vector of n = 1000 logits (`cross_entropy(z, y)` by z), and a batch
of 1000 rows of 1000 logits (`mean(n, cross_entropy(Z[n, :], labels[n]))` by Z). The
hand-written versions are the usual stable ones: softmax shifted by the maximum, minus
the one-hot labels. A ratio above 1 means the generated code is faster.
"""

import subprocess
import sys
import timeit

import numpy as np

GAUGE = sys.argv[1] if len(sys.argv) > 1 else "target/release/gauge"


def generated(expr, wrt, defs=None):
    args = [GAUGE, "codegen", expr, "--wrt", wrt, "--target", "numpy"]
    if defs:
        args += ["--defs", defs]
    scope = {}
    exec(subprocess.run(args, check=True, capture_output=True, text=True).stdout, scope)
    return scope["value_and_grad"]


def hand_vector(z, y):
    m = z.max()
    e = np.exp(z - m)
    s = e.sum()
    p = e / s
    g = p.copy()
    g[y] -= 1.0
    return m + np.log(s) - z[y], (g,)


def hand_batch(Z, labels):
    n = Z.shape[0]
    m = Z.max(axis=1, keepdims=True)
    e = np.exp(Z - m)
    s = e.sum(axis=1, keepdims=True)
    p = e / s
    rows = np.arange(n)
    value = np.mean(m[:, 0] + np.log(s[:, 0]) - Z[rows, labels])
    g = p.copy()
    g[rows, labels] -= 1.0
    return value, (g / n,)


def best_of(fs, args, number, repeat=25):
    """The best time per call of each function, over `repeat` rounds in which the
    functions take turns, so that a slower stretch of a shared machine falls on both."""
    times = [float("inf")] * len(fs)
    for _ in range(repeat):
        for k, f in enumerate(fs):
            t = timeit.timeit(lambda: f(*args), number=number) / number
            times[k] = min(times[k], t)
    return times


def main():
    rng = np.random.default_rng(0)
    z, y = rng.normal(size=1000) * 3, 17
    Z, labels = rng.normal(size=(1000, 1000)) * 3, rng.integers(0, 1000, size=1000)
    vector = generated("cross_entropy(z, y)", "z")
    batch = generated("mean(n, cross_entropy(Z[n, :], labels[n]))", "Z", "examples/layers.gauge")
    for mine, theirs in [(vector(z, y), hand_vector(z, y)), (batch(Z, labels), hand_batch(Z, labels))]:
        assert np.isclose(mine[0], theirs[0], rtol=1e-12)
        assert np.allclose(mine[1][0], theirs[1][0], rtol=1e-12, atol=1e-15)
    for name, gen, hand, args, number in [
        ("vector, n = 1000", vector, hand_vector, (z, y), 2000),
        ("batch, 1000 x 1000", batch, hand_batch, (Z, labels), 5),
    ]:
        tg, th = best_of([gen, hand], args, number)
        print(f"{name}: generated {tg * 1e6:.1f} us, hand-written {th * 1e6:.1f} us, ratio {th / tg:.2f}")


main()
