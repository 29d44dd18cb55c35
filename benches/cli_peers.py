#!/usr/bin/env python3
"""The SymPy and SymEngine side of benches/cli.py: one measurement in a fresh process.

Usage:
  cli_peers.py versions                  the Python, SymPy and SymEngine versions, and
                                         whether SymEngine's wheel has its LLVM backend
  cli_peers.py LIB WORKLOAD SIZE [FILE]  one workload with LIB (sympy or symengine)
  cli_peers.py lambdify N                W7: SymEngine's compiled function and gradient
                                         of the cross-entropy over N logits, per point

A workload run prints one JSON object per line as each phase ends, so that a parent
that kills this process at its timeout still has the phases that finished:
  {"phase": "ready", "rss_kb"}                 after the imports: the baseline memory
  {"phase": "build", "seconds", "cpu_seconds"} building the expression (not the figure)
  {"phase": "diff" | "parse", "seconds", "cpu_seconds"}
                                               the timed part: every requested partial
                                               (W6: parsing the text file FILE)
  {"phase": "print", "seconds", "cpu_seconds", "chars"}
                                               str() of every result (W6: the printer)

WORKLOAD is one of benches/cli.py's ids: W1 (cross-entropy), W2 (softmax Jacobian),
W3 (chain), W4 (MLP), W5 (logsumexp Hessian), W6 (parse and print), CONV (the
convolution-like stack). W1, W3 and W4 are built by benches/peers.py's `build`, so they
are the functions of the library-level benchmark. Installs sympy and symengine (and
NumPy for `lambdify`) with pip when they are missing, through peers.py.

The work runs in a thread with a 1 GiB stack and a high recursion limit: both
libraries recurse on the expression's depth, and the default limits would turn a deep
chain into a RecursionError that says nothing about their speed.
"""
import functools
import json
import resource
import sys
import threading
import time

sys.dont_write_bytecode = True  # importing peers.py must not leave benches/__pycache__
from peers import build, ensure, symengine, sympy  # noqa: E402


def emit(phase, **fields):
    """Prints one phase's JSON line at once (the parent may kill us any time after)."""
    print(json.dumps({"phase": phase, **fields}), flush=True)


def timed(phase, work, describe=lambda value: {}):
    """Runs `work()`, emits its wall and CPU seconds as `phase` with the fields that
    `describe` gives of its value, and returns the value."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = work()
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    emit(phase, seconds=seconds, cpu_seconds=cpu_seconds, **describe(value))
    return value


def printed_length(value):
    """The "chars" field of a print phase: the length of the text, or of all texts."""
    texts = [value] if isinstance(value, str) else value
    return {"chars": sum(len(t) for t in texts)}


def softmax_jacobian(lib, n):
    """Every partial of s_i = exp(z_i) / sum_j exp(z_j) with respect to every z_k."""
    z = [lib.Symbol(f"z{k}") for k in range(n)]
    total = lib.Add(*[lib.exp(v) for v in z])
    s = [lib.exp(v) / total for v in z]
    return lambda: [lib.diff(si, zk) for si in s for zk in z]


def logsumexp_hessian(lib, n):
    """All n^2 second partials of ln(sum_k exp(z_k)): each gradient entry, then its
    partial by every z_k (what sympy.hessian does; no use of symmetry)."""
    z = [lib.Symbol(f"z{k}") for k in range(n)]
    f = lib.log(lib.Add(*[lib.exp(v) for v in z]))

    def hessian():
        return [lib.diff(lib.diff(f, zi), zk) for zi in z for zk in z]

    return hessian


def conv_stack(lib, layers):
    """h_layers(t) for h_1(u) = tanh(u + ln(1 + u^2)), h_k(u) = tanh(h_(k-1)(u) +
    h_(k-1)(u + 1)), built with memoised Python functions, so the expression is a DAG
    with O(layers^2) distinct nodes, as gauge's definitions are."""
    t = lib.Symbol("t")

    @functools.lru_cache(maxsize=None)
    def h(k, shift):
        if k == 1:
            u = t + shift
            return lib.tanh(u + lib.log(1 + u**2))
        return lib.tanh(h(k - 1, shift) + h(k - 1, shift + 1))

    f = h(layers, 0)
    return lambda: [lib.diff(f, t)]


def differentiation(lib, workload, size):
    """The build step for `workload`, returning the timed step: a function that takes
    every requested partial and returns them as a list."""
    if workload in ("W1", "W3", "W4"):
        f, xs = build(lib, {"W1": "ce", "W3": "chain", "W4": "mlp"}[workload], size)
        return lambda: [lib.diff(f, v) for v in xs]
    if workload == "W2":
        return softmax_jacobian(lib, size)
    if workload == "W5":
        return logsumexp_hessian(lib, size)
    if workload == "CONV":
        return conv_stack(lib, size)
    raise SystemExit(f"unknown workload {workload}")


def text_to_text(lib, path):
    """W6: parses the text in `path` (SymPy's parse_expr, SymEngine's sympify) and prints
    it (SymPy's latex; SymEngine has no LaTeX printer, so str)."""
    with open(path) as f:
        text = f.read()
    if lib is sympy:
        from sympy.parsing.sympy_parser import parse_expr

        expr = timed("parse", lambda: parse_expr(text))
        timed("print", lambda: sympy.latex(expr), printed_length)
    else:
        expr = timed("parse", lambda: symengine.sympify(text))
        timed("print", lambda: str(expr), printed_length)


def measure(lib, workload, size, path):
    """One workload at one size: build (reported), differentiate (the figure), print."""
    if workload == "W6":
        text_to_text(lib, path)
        return
    partials = timed("diff", timed("build", lambda: differentiation(lib, workload, size)))
    timed("print", lambda: [str(p) for p in partials], printed_length)


def lambdify(n):
    """W7: per-point seconds of SymEngine's compiled cross-entropy and gradient over n
    logits, evaluated on 10,000 distinct points in one batch call (its fastest use; the
    best of five calls), checked against softmax minus the one-hot of 0."""
    ensure("numpy")
    import numpy as np

    f, z = build(symengine, "ce", n)
    grad = [symengine.diff(f, v) for v in z]
    backend = "llvm"
    try:
        fun = symengine.Lambdify(z, [f], backend="llvm", real=True)
    except (RuntimeError, ValueError, TypeError):
        backend = "lambda"
        fun = symengine.Lambdify(z, [f], backend="lambda", real=True)
    gradient = symengine.Lambdify(z, grad, backend=backend, real=True)
    points = 10_000
    k, p = np.arange(n), np.arange(points)[:, None]
    x = ((k * 37 + p * 13) % 101) / 25.0 - 2.0

    def per_point(compiled):
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            out = compiled(x)
            best = min(best, time.perf_counter() - start)
        return best / points, out

    f_s, _ = per_point(fun)
    g_s, g = per_point(gradient)
    e = np.exp(x[0])
    expected = e / e.sum()
    expected[0] -= 1.0
    error = float(np.abs(g[0] - expected).max())
    print(json.dumps({"backend": backend, "points": points, "function_s": f_s,
                      "gradient_s": g_s, "max_error": error}))


def versions():
    """The versions the report names, and whether the LLVM backend is in the wheel."""
    print(json.dumps({
        "python": sys.version.split()[0],
        "sympy": sympy.__version__,
        "symengine": symengine.__version__,
        "symengine_llvm": bool(getattr(symengine, "have_llvm", False)),
    }))


def main():
    if sys.argv[1] == "versions":
        versions()
        return
    if sys.argv[1] == "lambdify":
        lambdify(int(sys.argv[2]))
        return
    lib = {"sympy": sympy, "symengine": symengine}[sys.argv[1]]
    workload, size = sys.argv[2], int(sys.argv[3])
    path = sys.argv[4] if len(sys.argv) > 4 else None
    emit("ready", rss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(1 << 30)
    failure = []

    def work():
        try:
            measure(lib, workload, size, path)
        except Exception as e:  # noqa: BLE001 -- any failure is a result, told in one line
            failure.append(f"{type(e).__name__}: {e}")

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    if failure:
        print(failure[0], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
