"""Runs functions that `gauge codegen` generated, for tests/it/codegen.rs.

Reads from stdin a JSON object {"target": "numpy" | "jax" | "torch", "cases": [...]},
each case {"code": source, "points": [[arg, ...], ...], "wrt": [arg position, ...]}.
Writes a JSON array: for each case, for each point, {"value": v, "grads": [[...], ...]}
with each gradient flattened in row-major order, and for JAX also "jax_grads": the
gradients jax.grad takes of the generated forward (the value alone); for PyTorch
"function_grads" (torch.autograd.grad through the generated torch.autograd.Function,
whose backward is the generated gradient) and "torch_grads" (torch.autograd.grad
through the generated forward). Exits with
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


def torch_leaf(a, wrt):
    """An argument as PyTorch takes it: a float64 tensor that requires its gradient
    for a variable; labels and other arguments as they are."""
    import torch

    if not wrt:
        return torch.as_tensor(a) if isinstance(a, np.ndarray) else a
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


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
        if target == "torch":
            function = scope["ValueAndGrad"]
        for point in case["points"]:
            args = [np.asarray(a) if isinstance(a, list) else a for a in point]
            if target == "jax":
                args = [jax.numpy.asarray(a) for a in args]
                value, grads = fused(*args)
                jg = forward(*args)
                out.append({"value": float(value), "grads": [flat(g) for g in grads],
                            "jax_grads": [flat(g) for g in jg]})
            elif target == "torch":
                value, grads = f(*args)
                answer = {"value": float(value), "grads": [flat(g) for g in grads]}
                # The autograd.Function's backward, and autograd through the forward.
                for key, call in [("function_grads", function.apply), ("torch_grads", lambda *a: f(*a)[0])]:
                    leaves = [torch_leaf(a, k in case["wrt"]) for k, a in enumerate(args)]
                    wanted = [leaves[k] for k in case["wrt"]]
                    got = torch.autograd.grad(call(*leaves), wanted, allow_unused=True)
                    answer[key] = [flat(g if g is not None else torch.zeros_like(w)) for g, w in zip(got, wanted)]
                out.append(answer)
            else:
                value, grads = f(*args)
                out.append({"value": float(value), "grads": [flat(g) for g in grads]})
        answers.append(out)
    json.dump(answers, sys.stdout)


main()
