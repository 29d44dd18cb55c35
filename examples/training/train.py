"""Train a small classifier with a hand-written backward pass, and dump one step.

Two models, both ending in the mean cross-entropy of a batch:

- ``softmax``: softmax regression, ``logits = X @ W.T + b``
  (specification: ``softmax_regression.gauge``);
- ``mlp``: one hidden layer with LayerNorm and tanh,
  ``logits = tanh(g * layernorm(X @ W1.T + b1) + beta) @ W2.T + b2``
  (specification: ``mlp.gauge``).

The script runs a few steps of plain SGD on synthetic data. With ``--dump PATH`` it
writes an ``.npz`` file holding what gauge needs to check the last step against the
specification: the batch (``X``, ``y``), every parameter as it was when the step
computed its gradients, the loss of that step (``loss``) and the gradients the
backward pass computed (``grad.W1``, ...). The keys are the names the ``.gauge``
files use, so the dump is a point gauge can read as it stands.

NumPy only; deterministic for a given ``--seed``.

    python3 examples/training/train.py --dump /tmp/ok.npz
    gauge check examples/training/mlp.gauge --values /tmp/ok.npz
"""

import argparse

import numpy as np

# LayerNorm's epsilon. The specification writes the same number, 1e-5, as a literal,
# so it is a constant of the model and not a value the dump has to carry.
EPS = 1e-5

# Sizes: small, so that a dump is a few kilobytes and gauge checks it in a moment.
FEATURES = 5  # D
HIDDEN = 6  # H
CLASSES = 3  # C
EXAMPLES = 256  # the size of the synthetic data set, split into batches


def make_data(rng, dtype):
    """Synthetic inputs, and labels from a noisy linear teacher, so there is something
    to learn and every class occurs."""
    X = rng.standard_normal((EXAMPLES, FEATURES))
    teacher = rng.standard_normal((CLASSES, FEATURES))
    noise = 0.5 * rng.standard_normal((EXAMPLES, CLASSES))
    y = np.argmax(X @ teacher.T + noise, axis=1)
    # Labels are class numbers from 0, as integers: the specification uses them as
    # indices (`y[n]` in `cross_entropy(logits[n, :], y[n])`).
    return X.astype(dtype), y.astype(np.int64)


def init_params(model, rng, dtype):
    """Small random weights. The LayerNorm gain and shift start away from 1 and 0, so
    that their gradients are not checked only at the special values."""
    if model == "softmax":
        params = {
            "W": 0.1 * rng.standard_normal((CLASSES, FEATURES)),
            "b": 0.1 * rng.standard_normal(CLASSES),
        }
    else:
        params = {
            "W1": rng.standard_normal((HIDDEN, FEATURES)) / np.sqrt(FEATURES),
            "b1": 0.1 * rng.standard_normal(HIDDEN),
            "g": 1.0 + 0.1 * rng.standard_normal(HIDDEN),
            "beta": 0.1 * rng.standard_normal(HIDDEN),
            "W2": rng.standard_normal((CLASSES, HIDDEN)) / np.sqrt(HIDDEN),
            "b2": 0.1 * rng.standard_normal(CLASSES),
        }
    return {name: value.astype(dtype) for name, value in params.items()}


def cross_entropy(logits, y):
    """The mean cross-entropy of a batch and its gradient by the logits.

    The log-probabilities are computed stably: shifted by each row's largest logit,
    then normalized with logsumexp, so large logits neither overflow nor lose the
    small probabilities."""
    n, classes = logits.shape
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    probs = np.exp(log_probs)
    onehot = np.eye(classes, dtype=logits.dtype)[y]
    # d loss / d logits[n, c] = (softmax(logits[n, :])[c] - delta(c, y[n])) / N:
    # the 1/N comes from the mean over the batch.
    dlogits = (probs - onehot) / n
    return loss, dlogits


def softmax_regression(params, X, y):
    """Forward and backward of softmax regression: the loss and the gradients."""
    W, b = params["W"], params["b"]
    logits = X @ W.T + b
    loss, dlogits = cross_entropy(logits, y)
    grads = {"W": dlogits.T @ X, "b": dlogits.sum(axis=0)}
    return loss, grads


def mlp(params, X, y):
    """Forward and backward of the MLP: the loss and the gradients."""
    W1, b1, g, beta = params["W1"], params["b1"], params["g"], params["beta"]
    W2, b2 = params["W2"], params["b2"]

    # Forward. LayerNorm normalizes each row (each example) over its H features.
    A = X @ W1.T + b1
    mu = A.mean(axis=1, keepdims=True)
    xc = A - mu
    var = (xc**2).mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(var + EPS)
    xhat = xc * rstd
    Z = np.tanh(g * xhat + beta)
    logits = Z @ W2.T + b2
    loss, dlogits = cross_entropy(logits, y)

    # Backward, layer by layer, in the reverse order.
    dW2 = dlogits.T @ Z
    db2 = dlogits.sum(axis=0)
    dZ = dlogits @ W2
    dpre = dZ * (1.0 - Z**2)  # tanh' = 1 - tanh^2
    dg = (dpre * xhat).sum(axis=0)
    dbeta = dpre.sum(axis=0)
    dxhat = dpre * g
    # LayerNorm's input gradient has three terms: the direct one, the one through the
    # mean (minus the row mean of dxhat) and the one through the variance (minus xhat
    # times the row mean of dxhat * xhat), all scaled by 1 / sqrt(var + eps).
    dA = rstd * (
        dxhat
        - dxhat.mean(axis=1, keepdims=True)
        - xhat * (dxhat * xhat).mean(axis=1, keepdims=True)
    )
    dW1 = dA.T @ X
    db1 = dA.sum(axis=0)

    grads = {"W1": dW1, "b1": db1, "g": dg, "beta": dbeta, "W2": dW2, "b2": db2}
    return loss, grads


MODELS = {"softmax": softmax_regression, "mlp": mlp}


def dump(path, X, y, params, loss, grads):
    """Write one step as gauge reads it: every array under its specification name,
    the loss, and each parameter's gradient as `grad.<name>`. Everything stays in the
    dtype the step computed in, so gauge can take its tolerances from it."""
    arrays = {"X": X, "y": y, **params, "loss": np.asarray(loss, dtype=X.dtype)}
    arrays.update({f"grad.{name}": grad for name, grad in grads.items()})
    np.savez(path, **arrays)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="mlp")
    parser.add_argument(
        "--dtype",
        choices=["float64", "float32"],
        default="float64",
        help="the dtype the model computes in, and the dump stores",
    )
    parser.add_argument("--batch", type=int, default=16, help="examples per step (N)")
    parser.add_argument("--steps", type=int, default=5, help="SGD steps to run")
    parser.add_argument("--lr", type=float, default=0.1, help="the learning rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--dump", metavar="PATH", help="write the last step to this .npz file"
    )
    return parser.parse_args()


def main():
    args = parse_args()
    if not 1 <= args.batch <= EXAMPLES:
        raise SystemExit(f"--batch must be from 1 to {EXAMPLES}")
    if args.steps < 1:
        raise SystemExit("--steps must be at least 1")
    dtype = np.dtype(args.dtype)
    rng = np.random.default_rng(args.seed)
    X_all, y_all = make_data(rng, dtype)
    params = init_params(args.model, rng, dtype)
    forward_backward = MODELS[args.model]

    batches = EXAMPLES // args.batch
    for step in range(args.steps):
        start = (step % batches) * args.batch
        X = X_all[start : start + args.batch]
        y = y_all[start : start + args.batch]
        loss, grads = forward_backward(params, X, y)
        print(f"step {step}: loss {loss:.6f}")
        if step == args.steps - 1 and args.dump:
            # The parameters the gradients were computed at: before this step's update.
            dump(args.dump, X, y, params, loss, grads)
            print(f"dumped step {step} to {args.dump}")
        # Plain SGD. The gradients have the parameters' dtype, so the update keeps it.
        params = {
            name: p - dtype.type(args.lr) * grads[name] for name, p in params.items()
        }


if __name__ == "__main__":
    main()
