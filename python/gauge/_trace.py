"""Traced arrays: NumPy arrays whose elements are gauge expressions.

``verify_backward`` runs the user's NumPy code on :class:`TracedArray` inputs. Each
element is a :class:`Traced` value: a handle into a trace held by the extension module
(``gauge._gauge._Trace``). Every arithmetic operation on traced values builds one node
of the trace and computes its value at the drawn point, so a comparison (``x > 0``,
``np.maximum``, ``max``, ``argmax``) returns a real ``bool``: the branch the drawn
point is on, whose condition the trace keeps as the region the proof holds in.

The array is an object array: NumPy's own loops do the indexing, broadcasting,
reshaping, reductions and ``@``, calling the elements' ``+`` and ``*``; the functions
(``np.exp``, ``np.log``, ``np.tanh``, ...) are mapped here, element by element. An
operation that cannot be traced raises :class:`gauge.GaugeUnsupportedError` naming the
operation and the line of the user's code that made it.
"""

from __future__ import annotations

import linecache
import math
import numbers
import os
import sys
from typing import Any, Callable, Dict, Optional

import numpy as np

from ._errors import GaugeUnsupportedError

__all__ = ["Traced", "TracedArray", "Tracer", "is_user_code", "unsupported"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_NUMPY = os.path.dirname(os.path.abspath(np.__file__))


_STDLIB = os.path.dirname(os.path.abspath(os.__file__))


def is_user_code(filename: str) -> bool:
    """Whether code in this file is the user's: not gauge's, NumPy's or the standard
    library's."""
    name = os.path.abspath(filename)
    return not (
        name.startswith(_HERE)
        or name.startswith(_NUMPY)
        or name.startswith(_STDLIB)
        or filename.startswith("<__array_function__")
    )


def _user_frame():
    """The innermost frame of the user's code."""
    f = sys._getframe(1)
    while f is not None:
        if is_user_code(f.f_code.co_filename):
            return f
        f = f.f_back
    return None


def unsupported(what: str, hint: str) -> GaugeUnsupportedError:
    """The error for an operation the tracer cannot follow, at the user's line."""
    f = _user_frame()
    if f is not None:
        file, line = f.f_code.co_filename, f.f_lineno
        text = linecache.getline(file, line).rstrip("\n")
        where = f"{file}:{line}"
        shown = f"\n  {line} | {text.strip()}" if text.strip() else ""
    else:
        file, line, where, shown = None, None, "<unknown>", ""
    message = f"{what} cannot be traced (at {where})"
    diagnostic = f"  × {message}{shown}\n  help: {hint}"
    return GaugeUnsupportedError(
        diagnostic,
        kind="unsupported",
        message=message,
        hint=hint,
        file=file,
        line=line,
        column=None,
    )


# The in-place updates the user's code makes while a trace runs (`np.tanh(h, out=h)`,
# `p[i, y] -= 1`, `h *= mask`): the array, and the line of the user's code. The
# report points at an update when a wrong gradient's residual reads the array.
_UPDATES: Optional[list] = None


def _record_update(target) -> None:
    if _UPDATES is None:
        return
    f = _user_frame()
    if f is None:
        return
    text = linecache.getline(f.f_code.co_filename, f.f_lineno).strip()
    _UPDATES.append((target, f.f_lineno, text))


def start_updates() -> None:
    """Starts logging in-place updates."""
    global _UPDATES
    _UPDATES = []


def take_updates() -> list:
    """The in-place updates logged since :func:`start_updates`, and stops logging."""
    global _UPDATES
    out, _UPDATES = _UPDATES or [], None
    return out


class Tracer:
    """One trace and its constants: the Python side of ``gauge._gauge._Trace``."""

    __slots__ = ("t", "_constants")

    def __init__(self, trace) -> None:
        self.t = trace
        self._constants: Dict[float, int] = {}

    def constant(self, x: float) -> int:
        h = self._constants.get(x)
        if h is None:
            if not math.isfinite(x):
                raise unsupported(
                    f"the constant {x}",
                    "a traced program's constants must be finite numbers",
                )
            h = self.t.constant(x)
            self._constants[x] = h
        return h


def _number(x: Any) -> Optional[float]:
    """``x`` as a float when it is a plain (non-traced) real number or bool."""
    if isinstance(x, (bool, np.bool_)):
        return 1.0 if x else 0.0
    if isinstance(x, numbers.Real):
        return float(x)
    if isinstance(x, np.ndarray) and x.shape == () and x.dtype != object:
        return float(x)
    return None


class Traced:
    """One traced scalar: a handle into a trace, and the trace.

    It behaves like a float in arithmetic (``+ - * / **``, comparisons, ``abs``) and
    has the methods NumPy's object loops call (``exp``, ``log``, ``sqrt``, ...).
    Converting it to a Python ``float`` is an error: a traced value has no single
    number, and storing it in a float array would lose it.
    """

    __slots__ = ("_tr", "_h")

    def __init__(self, tracer: Tracer, handle: int) -> None:
        self._tr = tracer
        self._h = handle

    # --- helpers -----------------------------------------------------------------
    def _other(self, x: Any) -> Optional[int]:
        if isinstance(x, Traced):
            if x._tr is not self._tr:
                raise unsupported(
                    "a value of another trace",
                    "values of two gauge.verify_backward runs cannot be mixed",
                )
            return x._h
        v = _number(x)
        if v is None:
            return None
        return self._tr.constant(v)

    def _bin(self, op: str, x: Any, reflected: bool = False):
        h = self._other(x)
        if h is None:
            return NotImplemented
        a, b = (h, self._h) if reflected else (self._h, h)
        return Traced(self._tr, self._tr.t.binary(op, a, b))

    # --- arithmetic ----------------------------------------------------------------
    def __add__(self, x):
        if isinstance(x, (int, float)) and x == 0:
            return self
        return self._bin("add", x)

    def __radd__(self, x):
        if isinstance(x, (int, float)) and x == 0:
            return self
        return self._bin("add", x, True)

    def __sub__(self, x):
        return self._bin("sub", x)

    def __rsub__(self, x):
        return self._bin("sub", x, True)

    def __mul__(self, x):
        if isinstance(x, (int, float, bool)) and x == 1:
            return self
        return self._bin("mul", x)

    def __rmul__(self, x):
        if isinstance(x, (int, float, bool)) and x == 1:
            return self
        return self._bin("mul", x, True)

    def __truediv__(self, x):
        return self._bin("div", x)

    def __rtruediv__(self, x):
        return self._bin("div", x, True)

    def __pow__(self, x, modulo=None):
        if modulo is not None:
            raise unsupported("pow with a modulus", "use x ** y")
        return self._bin("pow", x)

    def __rpow__(self, x):
        return self._bin("pow", x, True)

    def __neg__(self):
        return Traced(self._tr, self._tr.t.neg(self._h))

    def __pos__(self):
        return self

    def __abs__(self):
        return Traced(self._tr, self._tr.t.abs(self._h))

    def __floordiv__(self, x):
        raise unsupported("// (floor division)", "floor division is not differentiable; use /")

    __rfloordiv__ = __floordiv__

    def __mod__(self, x):
        raise unsupported("% (remainder)", "the remainder is not differentiable")

    __rmod__ = __mod__

    # --- comparisons: the drawn point's branch ------------------------------------
    def _cmp(self, op: str, x: Any):
        h = self._other(x)
        if h is None:
            return NotImplemented
        return self._tr.t.compare(self._h, op, h)

    def __lt__(self, x):
        return self._cmp("<", x)

    def __le__(self, x):
        return self._cmp("<=", x)

    def __gt__(self, x):
        return self._cmp(">", x)

    def __ge__(self, x):
        return self._cmp(">=", x)

    def __eq__(self, x):  # type: ignore[override]
        return self._cmp("==", x)

    def __ne__(self, x):  # type: ignore[override]
        return self._cmp("!=", x)

    __hash__ = object.__hash__

    def __bool__(self):
        raise unsupported(
            "the truth value of a traced number",
            "compare it instead (`if x > 0:`), which follows the drawn point's branch",
        )

    def __float__(self):
        raise unsupported(
            "a traced value converted to a float",
            "keep traced values in object arrays: create buffers with np.zeros_like(x) or "
            "dtype=object rather than np.zeros(shape), and return arrays, not float(loss)",
        )

    def __int__(self):
        raise unsupported(
            "a traced value converted to an int",
            "index with integer inputs declared by gauge.labels(...), not with traced values",
        )

    __index__ = __int__

    def __round__(self, ndigits=None):
        raise unsupported("round()", "rounding is not differentiable")

    # --- the methods NumPy's object loops call ------------------------------------
    def _f(self, name: str):
        return Traced(self._tr, self._tr.t.func(name, self._h))

    def exp(self):
        return self._f("exp")

    def log(self):
        return self._f("log")

    def log1p(self):
        return self._f("log1p")

    def expm1(self):
        return self._f("expm1")

    def sqrt(self):
        return self._f("sqrt")

    def tanh(self):
        return self._f("tanh")

    def sinh(self):
        return self._f("sinh")

    def cosh(self):
        return self._f("cosh")

    def sin(self):
        return self._f("sin")

    def cos(self):
        return self._f("cos")

    def tan(self):
        return self._f("tan")

    def arctan(self):
        return self._f("arctan")

    def arcsin(self):
        return self._f("arcsin")

    def arccos(self):
        return self._f("arccos")

    def conjugate(self):
        return self

    @property
    def real(self):
        return self

    @property
    def imag(self):
        return 0.0

    def __repr__(self) -> str:
        try:
            v = self._tr.t.value(self._h)
            text = self._tr.t.text(self._h)
        except Exception:  # pragma: no cover - a broken trace still prints
            return f"Traced(#{self._h})"
        if len(text) > 60:
            text = text[:57] + "..."
        return f"Traced({text} = {v:.6g})"

    @property
    def expression(self) -> str:
        """The value's expression in the inputs' elements, as gauge text."""
        return self._tr.t.text(self._h)

    @property
    def value(self) -> float:
        """The value at the drawn point."""
        return self._tr.t.value(self._h)


def _apply1(name: str, mfn: Callable[[float], float]):
    """An elementwise function: traced elements through the trace, numbers through
    ``math``."""

    def f(x):
        if isinstance(x, Traced):
            return x._f(name)
        v = _number(x)
        if v is None:
            raise unsupported(f"np.{name} of a {type(x).__name__}", "trace numbers only")
        return mfn(v)

    return f


def _sigmoid_number(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


def _log_base(base: float, name: str):
    def f(x):
        if isinstance(x, Traced):
            return x._f("log") / Traced(x._tr, x._tr.t.func("log", x._tr.constant(base)))
        v = _number(x)
        if v is None:
            raise unsupported(f"np.{name} of a {type(x).__name__}", "trace numbers only")
        return math.log(v, base)

    return f


def _exp2(x):
    if isinstance(x, Traced):
        return Traced(x._tr, x._tr.constant(2.0)) ** x
    return 2.0 ** float(x)


def _logaddexp(a, b):
    if not isinstance(a, Traced) and not isinstance(b, Traced):
        return float(np.logaddexp(float(a), float(b)))
    t = a if isinstance(a, Traced) else b
    ea = a.exp() if isinstance(a, Traced) else math.exp(float(a))
    eb = b.exp() if isinstance(b, Traced) else math.exp(float(b))
    s = ea + eb
    return s.log() if isinstance(s, Traced) else Traced(t._tr, t._tr.t.func("log", t._tr.constant(s)))


def _square(x):
    return x * x


def _reciprocal(x):
    return 1.0 / x


def _sign(x):
    if isinstance(x, Traced):
        return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)
    return float(np.sign(float(x)))


def _absolute(x):
    return abs(x)


def _negative(x):
    return -x


def _positive(x):
    return +x


# Functions mapped element by element (each traced element one node).
_ELEMENTWISE: Dict[str, Callable] = {
    "exp": _apply1("exp", math.exp),
    "log": _apply1("log", math.log),
    "log1p": _apply1("log1p", math.log1p),
    "expm1": _apply1("expm1", math.expm1),
    "sqrt": _apply1("sqrt", math.sqrt),
    "tanh": _apply1("tanh", math.tanh),
    "sinh": _apply1("sinh", math.sinh),
    "cosh": _apply1("cosh", math.cosh),
    "sin": _apply1("sin", math.sin),
    "cos": _apply1("cos", math.cos),
    "tan": _apply1("tan", math.tan),
    "arctan": _apply1("arctan", math.atan),
    "arcsin": _apply1("arcsin", math.asin),
    "arccos": _apply1("arccos", math.acos),
    "log2": _log_base(2.0, "log2"),
    "log10": _log_base(10.0, "log10"),
    "exp2": _exp2,
    "logaddexp": _logaddexp,
    "square": _square,
    "reciprocal": _reciprocal,
    "sign": _sign,
    "absolute": _absolute,
    "negative": _negative,
    "positive": _positive,
    # Real numbers are their own conjugates (NumPy's var and std call it).
    "conjugate": _positive,
    "conj": _positive,
}

# Ufuncs whose NumPy object loops already do the right thing with traced elements:
# arithmetic through the elements' operators, and max, min and comparisons through
# their comparisons (which follow the drawn point).
_NATIVE = {
    "add",
    "subtract",
    "multiply",
    "true_divide",
    "divide",
    "power",
    "float_power",
    "matmul",
    "maximum",
    "minimum",
    "fmax",
    "fmin",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "equal",
    "not_equal",
    "logical_and",
    "logical_or",
    "logical_not",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "clip",
}

_HINT = (
    "gauge traces arithmetic, @, exp, log, log1p, expm1, sqrt, tanh, sin, cos, maximum, "
    "minimum, abs, where, comparisons, and sum/mean/max/min reductions; write the "
    "operation with these"
)


def _base(x):
    """A traced array as a plain object array (same memory), anything else as is."""
    if isinstance(x, TracedArray):
        return x.view(np.ndarray)
    if isinstance(x, (list, tuple)):
        return type(x)(_base(y) for y in x)
    return x


def _wrap(x):
    """An object array as a traced array; anything else as is."""
    if isinstance(x, np.ndarray) and not isinstance(x, TracedArray) and x.dtype == object:
        return x.view(TracedArray)
    if isinstance(x, tuple):
        return tuple(_wrap(y) for y in x)
    if isinstance(x, list):
        return [_wrap(y) for y in x]
    return x


class TracedArray(np.ndarray):
    """An object array of :class:`Traced` elements (and plain numbers), as
    ``verify_backward`` hands the user's functions their inputs.

    Indexing, slicing, ``reshape``, ``transpose``, broadcasting, ``@`` and the
    reductions are NumPy's own; the ufuncs are followed element by element.
    """

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.pop("out", None)
        args = [_base(x) for x in inputs]
        name = ufunc.__name__
        if method == "__call__" and name in _ELEMENTWISE:
            fn = _ELEMENTWISE[name]
            args = [a.astype(object) if isinstance(a, np.ndarray) else a for a in args]
            result = np.frompyfunc(fn, ufunc.nin, 1)(*args)
        elif name in _NATIVE and method in ("__call__", "reduce", "accumulate", "at", "outer"):
            args = [
                a.astype(object) if isinstance(a, np.ndarray) and a.dtype != object else a
                for a in args
            ]
            kwargs.pop("dtype", None)
            kwargs.pop("casting", None)
            kwargs.pop("subok", None)
            if method == "__call__" and ufunc.nin == 2 and ufunc.nout == 1 and name != "matmul":
                result = np.frompyfunc(_NATIVE_FN[name], 2, 1)(*args)
            else:
                result = getattr(ufunc, method)(*args, **kwargs)
        else:
            what = f"np.{name}" if method == "__call__" else f"np.{name}.{method}"
            raise unsupported(what, _HINT)
        if method == "at":
            return None
        if out is not None:
            target = out[0]
            base = target.view(np.ndarray) if isinstance(target, np.ndarray) else target
            if isinstance(base, np.ndarray) and base.dtype != object:
                raise unsupported(
                    f"np.{name}(..., out=<a {base.dtype} array>)",
                    "traced values go into object arrays: create the buffer with "
                    "np.zeros_like(x) or dtype=object",
                )
            base[...] = result
            _record_update(target)
            return target
        return _wrap(result)

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        _record_update(self)

    def __array_function__(self, func, types, args, kwargs):
        name = getattr(func, "__name__", str(func))
        if name in _BLOCKED:
            raise unsupported(f"np.{name}", _BLOCKED[name])
        result = super().__array_function__(func, types, args, kwargs)
        return _wrap(result)

    def astype(self, dtype, *args, **kwargs):
        base = self.view(np.ndarray)
        if np.dtype(dtype) != np.dtype(object) and not any(
            isinstance(x, Traced) for x in base.reshape(-1)
        ):
            # Plain numbers, such as a mask of comparisons (`(h > 0).astype(float)`):
            # converted as NumPy converts them.
            return base.astype(dtype, *args, **kwargs)
        if np.dtype(dtype) != np.dtype(object):
            raise unsupported(
                f"astype({np.dtype(dtype)}) of a traced array",
                "a traced array has no numbers to convert; leave it as it is "
                "(its elements already act as floats)",
            )
        return super().astype(dtype, *args, **kwargs)

    def __float__(self):
        if self.size == 1:
            return float(self.reshape(-1)[0])
        raise unsupported("float() of a traced array", "return arrays, not float(loss)")

    def __repr__(self) -> str:
        return f"TracedArray(shape={self.shape})"


def _maximum(a, b):
    if isinstance(a, float) and math.isnan(a):
        return a
    return a if a >= b else b


def _minimum(a, b):
    return a if a <= b else b


_NATIVE_FN: Dict[str, Callable] = {
    "add": lambda a, b: a + b,
    "subtract": lambda a, b: a - b,
    "multiply": lambda a, b: a * b,
    "true_divide": lambda a, b: a / b,
    "divide": lambda a, b: a / b,
    "power": lambda a, b: a**b,
    "float_power": lambda a, b: a**b,
    "maximum": _maximum,
    "minimum": _minimum,
    "fmax": _maximum,
    "fmin": _minimum,
    "greater": lambda a, b: a > b,
    "greater_equal": lambda a, b: a >= b,
    "less": lambda a, b: a < b,
    "less_equal": lambda a, b: a <= b,
    "equal": lambda a, b: a == b,
    "not_equal": lambda a, b: a != b,
    "logical_and": lambda a, b: bool(a) and bool(b),
    "logical_or": lambda a, b: bool(a) or bool(b),
    # On the masks comparisons make (Python bools), `&`, `|` and `^` are logical.
    "bitwise_and": lambda a, b: a & b,
    "bitwise_or": lambda a, b: a | b,
    "bitwise_xor": lambda a, b: a ^ b,
}

# NumPy functions that would give a wrong answer rather than an error on object
# arrays, or that have no derivative to trace.
_BLOCKED: Dict[str, str] = {
    "sort": "sorting reorders by value; gauge does not trace it",
    "argsort": "sorting reorders by value; gauge does not trace it",
    "round": "rounding is not differentiable",
    "around": "rounding is not differentiable",
    "floor": "floor is not differentiable",
    "ceil": "ceil is not differentiable",
    "linalg.inv": "matrix inverse is not traced; write it out or use the formula",
    "inv": "matrix inverse is not traced",
    "det": "determinants are not traced",
    "svd": "decompositions are not traced",
    "eig": "decompositions are not traced",
    "eigh": "decompositions are not traced",
    "cholesky": "decompositions are not traced",
    "solve": "linear solves are not traced",
    "fft": "FFTs are not traced",
}
