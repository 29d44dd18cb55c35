#!/usr/bin/env python3
"""Adjoints of the intermediates of examples/layers.gauge, by JAX's reverse mode.

This is the independent side of tests/it/layers_adjoint.rs. Each section of
layers.gauge (the linear layer, LayerNorm, RMSNorm, BatchNorm, attention) is written
again here in jax.numpy, from the file's definitions and not from anything gauge
prints. The adjoint of a loss with respect to an intermediate h is the vector-Jacobian
product of the loss taken as a function of h: the forward pass is split at h, so that
every later use of h (`xc` feeds both `var` and `xhat`) reads the one value being
differentiated, and `jax.vjp` sums the contributions of all those paths.

Input, on standard input: a JSON array of requests, each an object
    {"loss": NAME, "wrt": INTERMEDIATE, "point": {INPUT: number or nested list, ...}}
where NAME is a key of LOSSES (which also names the section the loss belongs to).

Output, on standard output: a JSON array with one object per request, in order,
    {"loss": value of the loss, "value": the intermediate's value, "adjoint": dL/dh}
with arrays as nested lists, all in float64.

Exit status 77 means that JAX (or NumPy) cannot be imported, so that the caller can
tell a machine without JAX from a failure of this script.
"""

import json
import math
import sys

try:
    import jax
    import jax.numpy as jnp
except ImportError as e:  # The caller decides whether a missing engine is a failure.
    print(f"layers_adjoint.py: cannot import JAX: {e}", file=sys.stderr)
    sys.exit(77)

# gauge evaluates in double precision; JAX's default is single, which would make the
# comparison meaningless at the tolerance the test uses.
jax.config.update("jax_enable_x64", True)


# Each section's forward pass. `inputs` maps input names to arrays; `at(name, compute)`
# returns the value of the intermediate `name`: its definition, `compute()`, or the
# value the caller substitutes for it when it differentiates by it. Every use of an
# intermediate goes through the variable that `at` returned, so a substituted value
# reaches the loss along every path. Each returns all of the section's intermediates.


def linear(inputs, at):
    """`let z = W @ x + b`."""
    W, x, b = inputs["W"], inputs["x"], inputs["b"]
    z = at("z", lambda: W @ x + b)
    return {"z": z}


def layer_norm(inputs, at):
    """LayerNorm over the one axis of xl, in the file's four lines."""
    xl, eps = inputs["xl"], inputs["eps"]
    mu = at("mu", lambda: jnp.mean(xl))
    xc = at("xc", lambda: xl - mu)
    var = at("var", lambda: jnp.mean(xc**2))
    xhat = at("xhat", lambda: xc / jnp.sqrt(var + eps))
    return {"mu": mu, "xc": xc, "var": var, "xhat": xhat}


def rms_norm(inputs, at):
    """RMSNorm: the mean square, and xr scaled by its root."""
    xr, eps = inputs["xr"], inputs["eps"]
    ms = at("ms", lambda: jnp.mean(xr**2))
    rn = at("rn", lambda: xr / jnp.sqrt(ms + eps))
    return {"ms": ms, "rn": rn}


def batch_norm(inputs, at):
    """BatchNorm of one feature over the batch axis of xb."""
    xb, eps = inputs["xb"], inputs["eps"]
    bmu = at("bmu", lambda: jnp.mean(xb))
    bc = at("bc", lambda: xb - bmu)
    bvar = at("bvar", lambda: jnp.mean(bc**2))
    bhat = at("bhat", lambda: bc / jnp.sqrt(bvar + eps))
    return {"bmu": bmu, "bc": bc, "bvar": bvar, "bhat": bhat}


def attention(inputs, at):
    """Scaled dot-product attention, and the hand-written backward of its scores."""
    Q, K, V, G = inputs["Q"], inputs["K"], inputs["V"], inputs["G"]
    dk = Q.shape[1]
    A = at("A", lambda: jax.nn.softmax(Q @ K.T / math.sqrt(dk), axis=-1))
    O = at("O", lambda: A @ V)
    dA = at("dA", lambda: G @ V.T)
    dS = at("dS", lambda: A * (dA - jnp.sum(dA * A, axis=1, keepdims=True)))
    return {"A": A, "O": O, "dA": dA, "dS": dS}


# The losses the test backpropagates, by name: the section whose intermediates they
# read, and the loss as a function of the inputs and those intermediates. They mirror
# the gauge text of the same case in tests/it/layers_adjoint.rs.
LOSSES = {
    # sum(i, g[i]*z[i])
    "linear": (linear, lambda p, v: jnp.sum(p["g"] * v["z"])),
    # sum(i, g[i]*tanh(z[i]))
    "linear_tanh": (linear, lambda p, v: jnp.sum(p["g"] * jnp.tanh(v["z"]))),
    # sum(i, gl[i]*xhat[i])
    "layer_norm": (layer_norm, lambda p, v: jnp.sum(p["gl"] * v["xhat"])),
    # sum(i, gr[i]*wr[i]*rn[i])
    "rms_norm": (rms_norm, lambda p, v: jnp.sum(p["gr"] * p["wr"] * v["rn"])),
    # sum(n, gb[n]*bhat[n])
    "batch_norm": (batch_norm, lambda p, v: jnp.sum(p["gb"] * v["bhat"])),
    # sum(i, l, G[i, l]*O[i, l])
    "attention": (attention, lambda p, v: jnp.sum(p["G"] * v["O"])),
    # sum(i, j, R[i, j]*dS[i, j])
    "attention_backward": (attention, lambda p, v: jnp.sum(p["R"] * v["dS"])),
}


def adjoint_function(loss_name, wrt):
    """The loss, the intermediate `wrt` and the loss's adjoint by it, as one function
    of the inputs: `jax.vjp` of the loss taken as a function of the intermediate."""
    forward, loss = LOSSES[loss_name]

    def compute(inputs):
        def defined(_name, compute):
            return compute()

        values = forward(inputs, defined)
        if wrt not in values:
            raise KeyError(f"the section of loss {loss_name!r} has no intermediate {wrt!r}")
        h = values[wrt]

        def loss_from(h_value):
            """The loss with the intermediate `wrt` taken as an input."""

            def substituted(name, compute):
                return h_value if name == wrt else compute()

            return loss(inputs, forward(inputs, substituted))

        value, pullback = jax.vjp(loss_from, h)
        (adjoint,) = pullback(jnp.ones_like(value))
        return value, h, adjoint

    return compute


def main():
    requests = json.load(sys.stdin)
    functions = [adjoint_function(r["loss"], r["wrt"]) for r in requests]
    points = [
        {name: jnp.asarray(value, dtype=jnp.float64) for name, value in r["point"].items()}
        for r in requests
    ]

    # All the requests as one compiled program. Run op by op, JAX compiles each
    # primitive for each new shape, and compiling is nearly all of the time for arrays
    # this small; one program compiles about twice as fast as one per request. XLA
    # fuses float64 operations but does not reassociate them, so the arithmetic is
    # JAX's own either way.
    def everything(points):
        return [f(p) for f, p in zip(functions, points)]

    answers = jax.jit(everything)(points)
    out = [
        {
            "loss": float(value),
            "value": jnp.asarray(h).tolist(),
            "adjoint": jnp.asarray(adjoint).tolist(),
        }
        for value, h, adjoint in answers
    ]
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
