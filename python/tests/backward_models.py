"""Hand-written NumPy forward and backward passes, correct and with planted bugs, for
the tests of ``gauge.verify_backward``.

Each model is ``(forward, backward, shapes)``; the buggy backward passes carry the
mistakes people make: a missing ``1/N``, a forgotten ``- onehot``, a flipped sign, a
dropped LayerNorm term, a transposed weight gradient, a stale intermediate reused after
an in-place update.
"""

import numpy as np

import gauge


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --- softmax cross-entropy, mean over the batch -----------------------------------
def ce_forward(z, y):
    p = _softmax(z)
    return -np.log(p[np.arange(len(y)), y]).mean()


def ce_backward(z, y):
    p = _softmax(z)
    p[np.arange(len(y)), y] -= 1
    return {"z": p / len(y)}


def ce_backward_no_mean(z, y):
    p = _softmax(z)
    p[np.arange(len(y)), y] -= 1
    return {"z": p}


def ce_backward_no_onehot(z, y):
    p = _softmax(z)
    return {"z": p / len(y)}


def ce_backward_sign(z, y):
    p = _softmax(z)
    p[np.arange(len(y)), y] -= 1
    return {"z": -p / len(y)}


CE_SHAPES = {"z": ("N", "C"), "y": gauge.labels(("N",), classes="C")}


# --- a two-layer MLP with ReLU and softmax cross-entropy ---------------------------
def mlp_forward(X, W1, b1, W2, b2, y):
    h = X @ W1 + b1
    a = np.maximum(h, 0)
    z = a @ W2 + b2
    return ce_forward(z, y)


def mlp_backward(X, W1, b1, W2, b2, y):
    N = X.shape[0]
    h = X @ W1 + b1
    a = np.maximum(h, 0)
    z = a @ W2 + b2
    dz = _softmax(z)
    dz[np.arange(N), y] -= 1
    dz /= N
    dW2 = a.T @ dz
    db2 = dz.sum(axis=0)
    da = dz @ W2.T
    dh = da * (h > 0)
    dW1 = X.T @ dh
    db1 = dh.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def mlp_backward_transposed(X, W1, b1, W2, b2, y):
    g = mlp_backward(X, W1, b1, W2, b2, y)
    g["W1"] = g["W1"].T
    return g


def mlp_backward_stale(X, W1, b1, W2, b2, y):
    # The pre-activation buffer is overwritten in place by the ReLU, then reused as
    # if it still held the pre-activation: the mask is right, but `h` now is `a`,
    # and the update of b1 reads the stale buffer.
    N = X.shape[0]
    h = X @ W1 + b1
    np.maximum(h, 0, out=h)
    a = h
    z = a @ W2 + b2
    dz = _softmax(z)
    dz[np.arange(N), y] -= 1
    dz /= N
    dW2 = a.T @ dz
    db2 = dz.sum(axis=0)
    da = dz @ W2.T
    da *= (h > 0)
    dh = h * da  # stale: multiplies by the activation, meant the mask alone
    dW1 = X.T @ dh
    db1 = dh.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def mlp_backward_no_mean(X, W1, b1, W2, b2, y):
    N = X.shape[0]
    g = mlp_backward(X, W1, b1, W2, b2, y)
    return {k: v * N for k, v in g.items()}


MLP_SHAPES = {
    "X": ("N", "D"),
    "W1": ("D", "H"),
    "b1": ("H",),
    "W2": ("H", "C"),
    "b2": ("C",),
    "y": gauge.labels(("N",), classes="C"),
}


# --- LayerNorm, then a squared-error readout ---------------------------------------
EPS = 1e-5


def ln_forward(x, g, b, t):
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=-1, keepdims=True)
    rstd = 1 / np.sqrt(var + EPS)
    xhat = xc * rstd
    out = xhat * g + b
    return 0.5 * ((out - t) ** 2).sum()


def ln_backward(x, g, b, t):
    D = x.shape[-1]
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=-1, keepdims=True)
    rstd = 1 / np.sqrt(var + EPS)
    xhat = xc * rstd
    out = xhat * g + b
    dout = out - t
    dg = (dout * xhat).sum(axis=0)
    db = dout.sum(axis=0)
    dxhat = dout * g
    dx = rstd * (dxhat - dxhat.mean(axis=-1, keepdims=True)
                 - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True))
    return {"x": dx, "g": dg, "b": db}


def ln_backward_dropped(x, g, b, t):
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=-1, keepdims=True)
    rstd = 1 / np.sqrt(var + EPS)
    xhat = xc * rstd
    out = xhat * g + b
    dout = out - t
    dg = (dout * xhat).sum(axis=0)
    db = dout.sum(axis=0)
    dxhat = dout * g
    dx = rstd * (dxhat - dxhat.mean(axis=-1, keepdims=True))
    return {"x": dx, "g": dg, "b": db}


LN_SHAPES = {"x": ("N", "D"), "g": ("D",), "b": ("D",), "t": ("N", "D")}
