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


def _ln_parts(x, g, b, t):
    """The forward's values and the gradients of g and b, shared by the backward
    passes (its locals are named in reports as the backward's own are)."""
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
    return rstd, xhat, dxhat, dg, db


def ln_backward(x, g, b, t):
    rstd, xhat, dxhat, dg, db = _ln_parts(x, g, b, t)
    dx = rstd * (dxhat - dxhat.mean(axis=-1, keepdims=True)
                 - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True))
    return {"x": dx, "g": dg, "b": db}


def ln_backward_dropped(x, g, b, t):
    rstd, xhat, dxhat, dg, db = _ln_parts(x, g, b, t)
    dx = rstd * (dxhat - dxhat.mean(axis=-1, keepdims=True))
    return {"x": dx, "g": dg, "b": db}


LN_SHAPES = {"x": ("N", "D"), "g": ("D",), "b": ("D",), "t": ("N", "D")}


# --- RMSNorm -------------------------------------------------------------------------
def rms_forward(x, g, t):
    ms = (x * x).mean(axis=-1, keepdims=True)
    r = 1 / np.sqrt(ms + EPS)
    y = x * r * g
    return 0.5 * ((y - t) ** 2).sum()


def _rms_parts(x, g, t):
    """The forward's values and the first gradients, shared by the backward passes."""
    ms = (x * x).mean(axis=-1, keepdims=True)
    r = 1 / np.sqrt(ms + EPS)
    y = x * r * g
    dy = y - t
    return r, (dy * x * r).sum(axis=0), dy * g


def rms_backward(x, g, t):
    D = x.shape[-1]
    r, dg, dxr = _rms_parts(x, g, t)
    dx = r * dxr - x * r**3 * (dxr * x).sum(axis=-1, keepdims=True) / D
    return {"x": dx, "g": dg}


RMS_SHAPES = {"x": ("N", "D"), "g": ("D",), "t": ("N", "D")}


# --- GELU (tanh approximation), then a mean-squared error over the batch -------------
C_GELU = np.sqrt(2 / np.pi)


def gelu_forward(x, t):
    u = C_GELU * (x + 0.044715 * x**3)
    y = 0.5 * x * (1 + np.tanh(u))
    return ((y - t) ** 2).mean()


def gelu_backward(x, t):
    u = C_GELU * (x + 0.044715 * x**3)
    th = np.tanh(u)
    y = 0.5 * x * (1 + th)
    dy = 2 * (y - t) / y.size
    du = C_GELU * (1 + 3 * 0.044715 * x**2)
    dx = dy * (0.5 * (1 + th) + 0.5 * x * (1 - th**2) * du)
    return {"x": dx}


def gelu_backward_sign(x, t):
    g = gelu_backward(x, t)
    return {"x": -g["x"]}


GELU_SHAPES = {"x": ("N", "D"), "t": ("N", "D")}


# --- single-head attention, then a squared-error readout ----------------------------
def attn_forward(q, k, v, t):
    d = q.shape[-1]
    s = q @ k.T / np.sqrt(d)
    p = _softmax(s)
    o = p @ v
    return 0.5 * ((o - t) ** 2).sum()


def attn_backward(q, k, v, t):
    d = q.shape[-1]
    s = q @ k.T / np.sqrt(d)
    p = _softmax(s)
    o = p @ v
    do = o - t
    dv = p.T @ do
    dp = do @ v.T
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
    dq = ds @ k / np.sqrt(d)
    dk = ds.T @ q / np.sqrt(d)
    return {"q": dq, "k": dk, "v": dv}


def attn_backward_transposed(q, k, v, t):
    g = attn_backward(q, k, v, t)
    d = q.shape[-1]
    s = q @ k.T / np.sqrt(d)
    p = _softmax(s)
    o = p @ v
    g["v"] = p @ (o - t)  # should be p.T @ do
    return g


ATTN_SHAPES = {"q": ("T", "E"), "k": ("T", "E"), "v": ("T", "F"), "t": ("T", "F")}


# --- linear regression with a mean-squared error over the batch ---------------------
def mse_forward(X, w, b, t):
    r = X @ w + b - t
    return (r**2).mean()


def mse_backward(X, w, b, t):
    N = X.shape[0]
    r = X @ w + b - t
    dr = 2 * r / N
    return {"w": X.T @ dr, "b": dr.sum()}


def mse_backward_no_mean(X, w, b, t):
    r = X @ w + b - t
    dr = 2 * r
    return {"w": X.T @ dr, "b": dr.sum()}


MSE_SHAPES = {"X": ("N", "D"), "w": ("D",), "b": (), "t": ("N",)}


# --- a tanh MLP whose backward reads a buffer after an in-place update ---------------
def tanh_forward(X, W1, W2, t):
    h = np.tanh(X @ W1)
    return 0.5 * ((h @ W2 - t) ** 2).sum()


def tanh_backward(X, W1, W2, t):
    h = X @ W1
    a = np.tanh(h)
    dout = a @ W2 - t
    dW2 = a.T @ dout
    da = dout @ W2.T
    dh = da * (1 - a**2)
    return {"W1": X.T @ dh, "W2": dW2}


def tanh_backward_stale(X, W1, W2, t):
    h = X @ W1
    np.tanh(h, out=h)  # h now holds the activation
    dout = h @ W2 - t
    dW2 = h.T @ dout
    da = dout @ W2.T
    dh = da * (1 - np.tanh(h) ** 2)  # stale: h was already the activation
    return {"W1": X.T @ dh, "W2": dW2}


TANH_SHAPES = {"X": ("N", "D"), "W1": ("D", "H"), "W2": ("H", "C"), "t": ("N", "C")}


# The correct models, by name: the suite the tests prove and the benchmark times.
CORRECT = [
    ("softmax-ce", ce_forward, ce_backward, CE_SHAPES),
    ("mlp", mlp_forward, mlp_backward, MLP_SHAPES),
    ("layernorm", ln_forward, ln_backward, LN_SHAPES),
    ("rmsnorm", rms_forward, rms_backward, RMS_SHAPES),
    ("attention", attn_forward, attn_backward, ATTN_SHAPES),
    ("gelu", gelu_forward, gelu_backward, GELU_SHAPES),
    ("mse-mean", mse_forward, mse_backward, MSE_SHAPES),
    ("tanh-mlp", tanh_forward, tanh_backward, TANH_SHAPES),
]


def rms_backward_dropped(x, g, t):
    # The term through the mean square is dropped: only r * dxr is left.
    r, dg, dxr = _rms_parts(x, g, t)
    return {"x": r * dxr, "g": dg}


def attn_backward_wrong_dv(q, k, v, t):
    # dv uses p where it needs p.T (the shapes agree when the sequence is square).
    g = attn_backward(q, k, v, t)
    d = q.shape[-1]
    p = _softmax(q @ k.T / np.sqrt(d))
    g["v"] = p @ (p @ v - t)
    return g
