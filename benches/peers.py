#!/usr/bin/env python3
"""The gradient workloads of benches/gradient.rs, run through SymPy and SymEngine.

Usage: peers.py WORKLOAD N   (WORKLOAD is ce, chain or mlp)

Builds the same expression as the Rust benchmark, differentiates it with respect to the
same variables with each library, and prints one JSON object per library:
{"library", "seconds", "size"}, where size counts the nodes of the gradient written as
trees (SymPy's preorder traversal; SymEngine's through SymPy's view of it).
Installs sympy and symengine with pip when they are missing.
"""
import json
import subprocess
import sys
import time


def ensure(module):
    try:
        __import__(module)
    except ImportError:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", module],
            check=True,
            stdout=subprocess.DEVNULL,
        )


ensure("sympy")
ensure("symengine")

import sympy  # noqa: E402
import symengine  # noqa: E402


def build(lib, workload, n):
    """The function and the variables, built with the library `lib`."""
    S = lib.Symbol
    if workload == "ce":
        z = [S(f"z{k}") for k in range(n)]
        f = -z[0] + lib.log(lib.Add(*[lib.exp(v) for v in z]))
        return f, z
    if workload == "chain":
        x = S("x")
        f = x
        for k in range(n):
            op = k % 4
            if op == 0:
                f = lib.exp(f)
            elif op == 1:
                f = lib.sin(f)
            elif op == 2:
                f = lib.log(f)
            else:
                f = f**2
        return f, [x]
    if workload == "mlp":
        h = n
        x = [S(f"x{j}") for j in range(4)]
        a = [[S(f"a{i}_{j}") for j in range(4)] for i in range(h)]
        c = [S(f"c{i}") for i in range(h)]
        d = [[S(f"d{k}_{i}") for i in range(h)] for k in range(3)]
        e = [S(f"e{k}") for k in range(3)]
        hidden = [lib.tanh(lib.Add(*[a[i][j] * x[j] for j in range(4)]) + c[i]) for i in range(h)]
        logits = [lib.Add(*[d[k][i] * hidden[i] for i in range(h)]) + e[k] for k in range(3)]
        f = -logits[0] + lib.log(lib.Add(*[lib.exp(l) for l in logits]))
        params = [v for row in a for v in row] + c + [v for row in d for v in row] + e
        return f, params
    raise SystemExit(f"unknown workload {workload}")


def tree_size(expr):
    return sum(1 for _ in sympy.preorder_traversal(expr))


def run(lib, name, workload, n):
    f, xs = build(lib, workload, n)
    start = time.perf_counter()
    grad = [lib.diff(f, v) for v in xs]
    seconds = time.perf_counter() - start
    as_sympy = [sympy.sympify(g) for g in grad] if lib is symengine else grad
    size = sum(tree_size(g) for g in as_sympy)
    print(json.dumps({"library": name, "seconds": seconds, "size": size}), flush=True)


def main():
    workload, n = sys.argv[1], int(sys.argv[2])
    which = sys.argv[3] if len(sys.argv) > 3 else "both"
    if which in ("both", "symengine"):
        run(symengine, "symengine", workload, n)
    if which in ("both", "sympy"):
        run(sympy, "sympy", workload, n)


if __name__ == "__main__":
    main()
