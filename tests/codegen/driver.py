"""Runs functions that `gauge codegen` generated, for tests/it/codegen.rs.

Reads from stdin a JSON object {"target": "numpy" | "jax" | "torch", "cases": [...]},
each case {"code": source, "points": [[arg, ...], ...], "wrt": [arg position, ...]}.
Writes a JSON array: for each case, for each point, {"value": v, "grads": [[...], ...]}
with each gradient flattened in row-major order, and for JAX also "jax_grads": the
gradients jax.grad takes of the generated forward (the value alone). Exits with
status 77 when the target's library cannot be imported.
"""

import json
import sys

try:
    import numpy as np
except ImportError as e:
    print(f"numpy: {e}", file=sys.stderr)
    sys.exit(77)


def flat(x):
    if hasattr(x, "detach"):
        x = x.detach().numpy()
    return [float(v) for v in np.asarray(x, dtype=np.float64).reshape(-1)]


def main():
    request = json.load(sys.stdin)
    target = request["target"]
    try:
        if target == "jax":
            import jax

            jax.config.update("jax_enable_x64", True)
        elif target == "torch":
            import torch  # noqa: F401
    except ImportError as e:
        print(f"{target}: {e}", file=sys.stderr)
        sys.exit(77)
    answers = []
    for case in request["cases"]:
        scope = {}
        exec(compile(case["code"], "<generated>", "exec"), scope)
        f = scope["value_and_grad"]
        out = []
        if target == "jax":
            wrt = tuple(case["wrt"])
            forward = jax.jit(jax.grad(lambda *a: f(*a)[0], argnums=wrt))
            fused = jax.jit(f)
        for point in case["points"]:
            args = [np.asarray(a) if isinstance(a, list) else a for a in point]
            if target == "jax":
                args = [jax.numpy.asarray(a) for a in args]
                value, grads = fused(*args)
                jg = forward(*args)
                out.append({"value": float(value), "grads": [flat(g) for g in grads],
                            "jax_grads": [flat(g) for g in jg]})
            else:
                value, grads = f(*args)
                out.append({"value": float(value), "grads": [flat(g) for g in grads]})
        answers.append(out)
    json.dump(answers, sys.stdout)


main()
