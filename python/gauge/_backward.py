"""``gauge.verify_backward``: prove a hand-written NumPy backward pass, element by element.

The user's ``forward(**inputs)`` and ``backward(**inputs)`` run on traced arrays
(:mod:`gauge._trace`) at two or more small instances of the named dimensions. At each,
gauge proves that every element of each gradient the backward returns is the
derivative of the loss the forward returns with respect to that input element, in the
region the branches taken imply; a wrong element is certified at the drawn point and
explained in the program's own names. The same functions are then run on real float64
arrays at a realistic shape and checked against central differences.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _gauge
from ._errors import GaugeBindingError, GaugeShapeError
from ._trace import (
    Traced,
    TracedArray,
    Tracer,
    is_user_code,
    start_updates,
    take_updates,
    unsupported,
)

__all__ = ["verify_backward", "labels", "positive", "BackwardReport", "InputVerdict"]

Dim = Union[int, str]


class labels:
    """An integer label input: class indices drawn in ``[0, classes)``.

    Parameters
    ----------
    shape : tuple of int or str
        The labels' shape, e.g. ``("N",)``.
    classes : int or str
        The number of classes (a size or a dimension name, e.g. ``"C"``).

    Examples
    --------
    >>> shapes = {"z": ("N", "C"), "y": gauge.labels(("N",), classes="C")}
    """

    def __init__(self, shape: Sequence[Dim], classes: Dim) -> None:
        self.shape = tuple(shape)
        self.classes = classes

    def __repr__(self) -> str:
        return f"gauge.labels({self.shape!r}, classes={self.classes!r})"


class positive:
    """A real input drawn positive (in [1/4, 2]): for inputs the program takes the
    logarithm or square root of, such as variances or probabilities.

    Parameters
    ----------
    shape : tuple of int or str
        The input's shape.
    """

    def __init__(self, shape: Sequence[Dim]) -> None:
        self.shape = tuple(shape)

    def __repr__(self) -> str:
        return f"gauge.positive({self.shape!r})"


class InputVerdict:
    """One input's verdict.

    Attributes
    ----------
    name : str
        The input's name.
    verdict : str
        ``proved``, ``wrong``, ``confirmed`` or ``undecided``.
    explanation : str or None
        What is wrong: a ratio (``dW1 = N x the correct gradient (missing 1/N)``), a
        transposed shape, or the first wrong element with the term it misses.
    ratio : str or None
        The ratio to the correct gradient, matched with the named dimensions.
    """

    __slots__ = ("name", "verdict", "explanation", "ratio")

    def __init__(self, name, verdict, explanation, ratio) -> None:
        self.name = name
        self.verdict = verdict
        self.explanation = explanation
        self.ratio = ratio

    @property
    def ok(self) -> bool:
        """Whether the gradient is proved."""
        return self.verdict == "proved"

    def __repr__(self) -> str:
        extra = f", {self.explanation!r}" if self.explanation else ""
        return f"InputVerdict({self.name!r}, {self.verdict!r}{extra})"


class BackwardReport:
    """The verdict on a backward pass.

    Attributes
    ----------
    ok : bool
        Whether every gradient is proved at every instance (and the numeric check at
        the realistic shape agrees).
    inputs : dict of str to InputVerdict
        Each checked input's verdict.
    seconds : float
        The wall time of the whole check.

    ``str(report)`` is the text report; :meth:`to_json` and :meth:`latex` give the
    others.
    """

    def __init__(self, report, seconds: float) -> None:
        self._report = report
        self.seconds = seconds
        self.inputs: Dict[str, InputVerdict] = {
            name: InputVerdict(name, verdict, explanation, ratio)
            for name, verdict, explanation, ratio in report.inputs()
        }

    @property
    def ok(self) -> bool:
        return bool(self._report.ok)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self._report.render("text")

    def to_json(self) -> str:
        """The report as JSON."""
        return self._report.render("json")

    def latex(self) -> str:
        """The report as a LaTeX table."""
        return self._report.render("latex")

    def markdown(self) -> str:
        """The report as a Markdown table."""
        return self._report.render("markdown")

    def _repr_markdown_(self) -> str:
        return "```\n" + str(self) + "```"

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}={v.verdict}" for n, v in self.inputs.items())
        return f"BackwardReport(ok={self.ok}, {parts})"


def _dims(shapes: Mapping[str, Any]) -> List[str]:
    """The named dimensions, in order of first appearance."""
    out: List[str] = []

    def see(d):
        if isinstance(d, str) and d not in out:
            out.append(d)

    for spec in shapes.values():
        shape = spec.shape if isinstance(spec, (labels, positive)) else spec
        if isinstance(shape, (int, str)):
            shape = (shape,)
        for d in shape:
            see(d)
        if isinstance(spec, labels):
            see(spec.classes)
    return out


def _instances(dims: List[str], count: int) -> List[Dict[str, int]]:
    """Small sizes for the named dimensions: every dimension a different size within
    an instance (so a transposed gradient has the wrong shape), and every dimension a
    different size in each instance (so a ratio `N` is told from a constant)."""
    out = []
    for k in range(count):
        out.append({d: 2 + k + i for i, d in enumerate(dims)})
    return out


def _shape(spec, sizes: Mapping[str, int], name: str) -> Tuple[int, ...]:
    shape = spec.shape if isinstance(spec, (labels, positive)) else spec
    if isinstance(shape, (int, str)):
        shape = (shape,)
    out = []
    for d in shape:
        if isinstance(d, str):
            out.append(int(sizes[d]))
        elif isinstance(d, (int, np.integer)) and d >= 0:
            out.append(int(d))
        else:
            raise GaugeShapeError(
                f"  × the shape of `{name}` has {d!r}, which is neither a size nor a dimension name",
                kind="shape",
                message=f"the shape of `{name}` has {d!r}",
                hint="give each axis as an int or a dimension name such as \"N\"",
            )
    return tuple(out)


class _Locals:
    """The local variables of the user's functions when they return, caught with a
    profile hook: the names the report writes residuals with. The functions given
    (`forward`, `backward`) come first, in order; then any helper of the user's they
    called, so that a value computed in a helper is named too."""

    def __init__(self, codes) -> None:
        self.codes = [c for c in codes if c is not None]
        self._main: List[Tuple[Any, Dict[str, Any]]] = []
        self._helpers: List[Tuple[str, Dict[str, Any]]] = []
        self._previous = None
        # Whether a code object is the user's, decided once per code object: the hook
        # sees every return, the traced values' operators' among them.
        self._user: Dict[Any, bool] = {}

    @property
    def frames(self) -> List[Tuple[str, Dict[str, Any]]]:
        main = sorted(self._main, key=lambda f: self.codes.index(f[0]))
        return [(c.co_name, loc) for c, loc in main] + self._helpers

    def __enter__(self):
        self._previous = sys.getprofile()

        def hook(frame, event, arg):
            if event != "return":
                return
            code = frame.f_code
            if code in self.codes:
                self._main.append((code, dict(frame.f_locals)))
            else:
                user = self._user.get(code)
                if user is None:
                    user = self._user[code] = is_user_code(code.co_filename)
                if user:
                    self._helpers.append((code.co_name, dict(frame.f_locals)))

        sys.setprofile(hook)
        return self

    def __exit__(self, *exc):
        sys.setprofile(self._previous)
        return False


def _handles(tr: Tracer, name: str, value: Any) -> Tuple[List[int], List[int]]:
    """An array's shape and element handles (numbers become constants)."""
    if isinstance(value, Traced):
        return [], [value._h]
    arr = np.asarray(value.view(np.ndarray) if isinstance(value, TracedArray) else value, dtype=object)
    hs = []
    for x in arr.reshape(-1):
        if isinstance(x, Traced):
            if x._tr is not tr:
                raise unsupported(f"`{name}`, made in another trace", "run the check again")
            hs.append(x._h)
        else:
            try:
                hs.append(tr.constant(float(x)))
            except (TypeError, ValueError):
                raise GaugeBindingError(
                    f"  × `{name}` holds a {type(x).__name__}, not a number",
                    kind="binding",
                    message=f"`{name}` holds a {type(x).__name__}",
                    hint="gradients are arrays of numbers",
                ) from None
    return list(arr.shape), hs


def _named_arrays(tr: Tracer, frames, skip) -> List[Tuple[str, List[int], List[int]]]:
    """The traced arrays among the user's local variables, forward's first."""
    out = []
    seen = set()
    for _, local in frames:
        for name, value in local.items():
            if name in seen or name in skip or name.startswith("_"):
                continue
            if isinstance(value, (TracedArray, Traced)) or (
                isinstance(value, np.ndarray) and value.dtype == object and value.size > 0
                and any(isinstance(x, Traced) for x in value.reshape(-1)[:1])
            ):
                try:
                    shape, hs = _handles(tr, name, value)
                except Exception:
                    continue
                seen.add(name)
                out.append((name, shape, hs))
    return out


def _updated_names(updates, frames) -> List[Tuple[str, int, str]]:
    """The user's variables that an in-place update changed: name, line, code."""
    out: List[Tuple[str, int, str]] = []
    for target, line, text in updates:
        for _, local in frames:
            for name, value in local.items():
                if name.startswith("_") or not isinstance(value, np.ndarray):
                    continue
                if value is target or np.may_share_memory(value, target):
                    if not any(o[0] == name for o in out):
                        out.append((name, int(line), text))
    return out


def _gradients(result, names_in_order: List[str], real: List[str], wrt) -> Dict[str, Any]:
    if isinstance(result, Mapping):
        return dict(result)
    if isinstance(result, (tuple, list)):
        if wrt is not None and len(result) == len(wrt):
            return dict(zip(wrt, result))
        if len(result) == len(names_in_order):
            return {n: g for n, g in zip(names_in_order, result) if n in real}
        if len(result) == len(real):
            return dict(zip(real, result))
        raise GaugeBindingError(
            f"  × the backward returned {len(result)} gradients for {len(real)} real inputs",
            kind="binding",
            message=f"the backward returned {len(result)} gradients",
            hint="return a dict by input name, or a tuple in the order of the arguments "
            "(every real input's gradient, or those named by wrt=[...], in that order)",
        )
    raise GaugeBindingError(
        f"  × the backward returned a {type(result).__name__}",
        kind="binding",
        message=f"the backward returned a {type(result).__name__}",
        hint="return the gradients as a dict by input name, or a tuple in argument order",
    )


def _loss_handle(loss) -> Any:
    if isinstance(loss, Traced):
        return loss
    if isinstance(loss, np.ndarray) and loss.size == 1:
        return loss.reshape(-1)[0]
    return loss


def _trace_instance(forward, backward, shapes, sizes, seed, check, wrt):
    t = _gauge._Trace(seed)
    tr = Tracer(t)
    rng = np.random.default_rng(seed)
    order = list(shapes)
    made: Dict[str, Any] = {}
    real: List[str] = []
    for name in order:
        spec = shapes[name]
        shape = _shape(spec, sizes, name)
        if isinstance(spec, labels):
            classes = sizes[spec.classes] if isinstance(spec.classes, str) else int(spec.classes)
            made[name] = ("labels", rng.integers(0, classes, size=shape))
        else:
            hs = t.input(name, list(shape), isinstance(spec, positive))
            made[name] = ("real", shape, hs)
            real.append(name)

    def inputs():
        out = {}
        for name in order:
            m = made[name]
            if m[0] == "labels":
                out[name] = m[1].copy()
            else:
                arr = np.empty(m[1], dtype=object)
                flat = arr.reshape(-1)
                for k, h in enumerate(m[2]):
                    flat[k] = Traced(tr, h)
                out[name] = arr.view(TracedArray)
        return out

    codes = [getattr(forward, "__code__", None), getattr(backward, "__code__", None)]
    start_updates()
    try:
        with _Locals(codes) as caught:
            loss = _loss_handle(forward(**inputs()))
            grads = _gradients(backward(**inputs()), order, real, wrt)
    finally:
        updates = take_updates()
    if not isinstance(loss, Traced):
        raise GaugeBindingError(
            f"  × the forward returned {type(loss).__name__}, not the traced loss",
            kind="binding",
            message="the forward did not return a traced scalar",
            hint="return the loss as computed from the inputs (a 0-d array or a scalar), "
            "not float(loss)",
        )
    for name in grads:
        if name not in made:
            raise GaugeBindingError(
                f"  × the backward returned a gradient for `{name}`, which is not an input",
                kind="binding",
                message=f"a gradient for `{name}`, which is not an input",
                hint=f"the inputs are {', '.join(order)}",
            )
        if made[name][0] == "labels":
            raise GaugeBindingError(
                f"  × the backward returned a gradient for the labels `{name}`",
                kind="binding",
                message=f"a gradient for the labels `{name}`",
                hint="integer inputs have no gradient; leave them out",
            )
    checked = [n for n in order if n in grads and (wrt is None or n in wrt)]
    if wrt is not None:
        for n in wrt:
            if n not in grads:
                raise GaugeBindingError(
                    f"  × the backward gives no gradient for `{n}`",
                    kind="binding",
                    message=f"no gradient for `{n}`",
                    hint="return it from the backward, or leave it out of wrt",
                )
    grad_arrays = []
    for n in checked:
        shape, hs = _handles(tr, f"d{n}", grads[n])
        grad_arrays.append((n, shape, hs))
    named = _named_arrays(tr, caught.frames, skip=set())
    used = sorted(sizes.items(), key=lambda kv: list(sizes).index(kv[0]))
    label_values = [
        (n, list(m[1].shape), [int(v) for v in m[1].reshape(-1)])
        for n, m in made.items()
        if m[0] == "labels"
    ]
    check.add_instance(
        t, list(used), loss._h, grad_arrays, named, label_values, _updated_names(updates, caught.frames)
    )
    return checked


# Realistic sizes for the numeric check, by order of first appearance: every named
# dimension a different size.
_REALISTIC = [32, 24, 16, 20, 12, 28, 8, 36, 10, 14]


def _copy_inputs(inputs: Dict[str, Any]) -> Dict[str, Any]:
    """Fresh copies, so that a function that updates its inputs in place changes
    nothing the next call sees."""
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}


def _sampled(shape: Tuple[int, ...], rng, count: int, first: List[Tuple[int, ...]]):
    """Up to `count` distinct indices: the given ones, the first and last, then random."""
    total = int(np.prod(shape)) if shape else 1
    if total == 0:
        return []
    flat = [int(np.ravel_multi_index(i, shape)) if shape else 0 for i in first]
    flat += [0, total - 1]
    flat += [int(k) for k in rng.integers(0, total, size=count)]
    out: List[Tuple[int, ...]] = []
    for k in flat:
        idx = tuple(int(i) for i in np.unravel_index(k, shape)) if shape else ()
        if idx not in out:
            out.append(idx)
        if len(out) >= count:
            break
    return out


def _numeric(forward, backward, shapes, sizes, checked, wrt, seed, check, point, per_input):
    """The numeric check at one point of a realistic shape (see `gauge._gauge`'s
    `add_numeric`): the program's float64 gradients at sampled elements, and the loss
    at the five points of each element's central differences."""
    rng = np.random.default_rng(seed)
    order = list(shapes)
    inputs: Dict[str, Any] = {}
    real: List[str] = []
    zeros: Dict[str, List[Tuple[int, ...]]] = {}
    for name in order:
        spec = shapes[name]
        shape = _shape(spec, sizes, name)
        if isinstance(spec, labels):
            classes = sizes[spec.classes] if isinstance(spec.classes, str) else int(spec.classes)
            inputs[name] = rng.integers(0, classes, size=shape)
            continue
        real.append(name)
        if isinstance(spec, positive):
            inputs[name] = rng.uniform(0.25, 2.0, size=shape)
            continue
        x = rng.normal(size=shape)
        if point == "kinks":
            # Zeros planted: the first row of a matrix, all of a vector or scalar, so
            # that `relu(X @ W + b)` meets exactly 0 in that row.
            if x.ndim >= 2:
                x[0] = 0.0
                zeros[name] = [(0,) * x.ndim]
            else:
                x[...] = 0.0
                zeros[name] = [(0,) * x.ndim]
        inputs[name] = x

    def loss(ins) -> float:
        v = forward(**_copy_inputs(ins))
        return float(np.asarray(v, dtype=float).reshape(-1)[0])

    grads = _gradients(backward(**_copy_inputs(inputs)), order, real, wrt)
    probes = []
    for name in checked:
        x = inputs[name]
        g = np.asarray(grads[name], dtype=float)
        if g.shape != x.shape:
            continue
        for idx in _sampled(x.shape, rng, per_input, zeros.get(name, [])):
            x0 = float(x[idx]) if x.shape else float(x)
            step = 1e-4 * max(1.0, abs(x0))
            values = []
            for delta in (0.0, step, -step, step / 2, -step / 2):
                ins = _copy_inputs(inputs)
                if x.shape:
                    ins[name][idx] = x0 + delta
                else:
                    ins[name] = np.asarray(x0 + delta)
                values.append(loss(ins))
            got = float(g[idx]) if g.shape else float(g)
            probes.append((name, list(idx), got, values, step))
    used = [(d, int(sizes[d])) for d in sizes]
    check.add_numeric(used, point, probes)


def _require_sizes(dims: List[str], given: Mapping[str, int], what: str) -> None:
    """An error unless `given` has a size for every named dimension."""
    missing = [d for d in dims if d not in given]
    if missing:
        raise GaugeBindingError(
            f"  × {what} has no size for {', '.join(missing)}",
            kind="binding",
            message=f"no size for {', '.join(missing)}",
            hint="give every named dimension a size",
        )


def verify_backward(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    shapes: Mapping[str, Any],
    *,
    sizes: Optional[Sequence[Mapping[str, int]]] = None,
    wrt: Optional[Sequence[str]] = None,
    numeric: bool = True,
    numeric_sizes: Optional[Mapping[str, int]] = None,
    seed: int = 0,
) -> BackwardReport:
    """Prove that a hand-written backward pass is the derivative of its forward.

    Parameters
    ----------
    forward : callable
        ``forward(**inputs)`` returns the scalar loss, computed with NumPy.
    backward : callable
        ``backward(**inputs)`` returns the gradients: a dict by input name, or a tuple
        in argument order.
    shapes : dict
        Each input's shape: a tuple of ints or dimension names, e.g.
        ``{"X": ("N", "D"), "W1": ("D", "H")}``; integer label inputs as
        ``gauge.labels(("N",), classes="C")``; inputs that must be positive as
        ``gauge.positive(("N",))``.
    sizes : list of dict, optional
        The instances of the named dimensions to prove at (at least two tell a ratio
        such as ``N`` from a constant); by default two small ones, every dimension a
        different size.
    wrt : list of str, optional
        The inputs whose gradients to check; by default every gradient the backward
        returns.
    numeric : bool
        Also run the functions on float64 arrays at a realistic shape and check
        sampled elements of each gradient against central differences of the loss, at
        a random point and at one with zeros planted (where ``relu`` meets exactly 0,
        and any value between the one-sided differences passes).
    numeric_sizes : dict, optional
        The realistic sizes; by default 32, 24, 16, 20, ... in order of appearance.
    seed : int
        The seed of the drawn points and labels.

    Returns
    -------
    BackwardReport
        ``.ok``, ``.inputs[name].verdict`` (``proved`` or ``wrong``, with the first
        wrong element and the term it misses, or the ratio to the correct gradient),
        and ``str()`` for the report.

    Examples
    --------
    >>> def forward(z, y):
    ...     p = np.exp(z - z.max(axis=1, keepdims=True))
    ...     p = p / p.sum(axis=1, keepdims=True)
    ...     return -np.log(p[np.arange(len(y)), y]).mean()
    >>> def backward(z, y):
    ...     p = np.exp(z - z.max(axis=1, keepdims=True))
    ...     p = p / p.sum(axis=1, keepdims=True)
    ...     p[np.arange(len(y)), y] -= 1
    ...     return {"z": p / len(y)}
    >>> gauge.verify_backward(forward, backward,
    ...     {"z": ("N", "C"), "y": gauge.labels(("N",), classes="C")}).ok
    True
    """
    import time

    start = time.perf_counter()
    if not isinstance(shapes, Mapping) or not shapes:
        raise GaugeBindingError(
            "  × shapes must be a dict of input name to shape",
            kind="binding",
            message="shapes must be a non-empty dict",
            hint='for example {"X": ("N", "D"), "W": ("D", "H")}',
        )
    dims = _dims(shapes)
    instances = list(sizes) if sizes is not None else _instances(dims, 2 if dims else 1)
    for inst in instances:
        _require_sizes(dims, inst, "an instance of sizes")
    check = _gauge._BackwardCheck()
    checked: List[str] = []
    for k, inst in enumerate(instances):
        checked = _trace_instance(forward, backward, shapes, dict(inst), seed + 7919 * k, check, wrt)
    if numeric:
        big = dict(numeric_sizes) if numeric_sizes is not None else {
            d: _REALISTIC[i % len(_REALISTIC)] for i, d in enumerate(dims)
        }
        _require_sizes(dims, big, "numeric_sizes")
        for j, point in enumerate(("random", "kinks")):
            _numeric(forward, backward, shapes, big, checked, wrt, seed + 104729 * (j + 1), check, point, 8)
    return BackwardReport(check.report(), time.perf_counter() - start)
