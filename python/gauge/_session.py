"""``gauge.Session``: the extension's session, with the methods that take Python
values (``check`` with arrays of any framework, ``evaluate`` with numbers and arrays).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, List, Optional, Sequence, Tuple, Union

from . import _gauge
from ._arrays import as_numpy, encode

__all__ = ["Session"]

PathLike = Union[str, "os.PathLike[str]"]


def _is_path(x: Any) -> bool:
    """Whether ``x`` names a gauge file: an ``os.PathLike``, or a one-line string that
    ends with ``.gauge`` (other strings are gauge text), as the extension decides."""
    if isinstance(x, os.PathLike):
        return True
    return isinstance(x, str) and "\n" not in x and x.rstrip().endswith(".gauge")


def _is_dump_file(x: Any) -> bool:
    return isinstance(x, (str, os.PathLike))


class Session(_gauge.Session):
    __doc__ = _gauge.Session.__doc__

    def check(
        self,
        spec: PathLike,
        values: Any,
        grads: Optional[Any] = None,
        *,
        loss: Optional[Any] = None,
        rtol: Optional[float] = None,
        compute: Optional[str] = None,
        wrt: Optional[Union[str, Sequence[str]]] = None,
        components: bool = False,
    ) -> _gauge.ValuesReport:
        """Check the gradients a program computed against gauge's derivative of a spec.

        gauge takes the symbolic gradient of the spec's loss, evaluates it at the
        program's values, and compares component by component, with a tolerance from
        the arrays' dtypes (a float32 gradient is judged with float32's rounding). A
        failing gradient's mistake is named where a simple explanation fits: a ratio
        that is a length (``got/want = 16 = N everywhere: missing 1/N``), a term
        absent or with its sign flipped.

        Parameters
        ----------
        spec : str or os.PathLike
            The loss, as a gauge expression over the arrays' names (such as
            ``"mean(n, cross_entropy(W @ X[n, :], y[n]))"``), or the path of a
            ``.gauge`` file whose definition ``loss`` is the spec.
        values : dict, path, or list of dumps
            The program's inputs and parameters by name: NumPy or JAX arrays, torch
            tensors, anything with ``__array__`` or ``.numpy()``, Python numbers (never
            converted by the caller). Or a dump file (``.npz``, ``.npy``,
            ``.safetensors``, ``.json``) as ``gauge check --values`` reads it. Or a
            list of several dumps of the same program, each a ``(values, grads)`` or
            ``(values, grads, loss)`` tuple: two batch sizes tell a length from a
            constant that equals it in one.
        grads : dict, path, optional
            The program's gradients by parameter name (required with a dict of
            values; a dump file may hold them as ``grad.<name>``).
        loss : float or array, optional
            The program's loss value, checked against the spec's.
        rtol : float, optional
            A relative tolerance in place of the gradients' dtype's.
        compute : str, optional
            The precision the program computed in, when not the arrays'
            (``"float32"`` for half-precision gradients computed in float32 is the
            default).
        wrt : str or list of str, optional
            Only these parameters' gradients.
        components : bool, optional
            Keep every component of a large gradient that passes, for ``to_json()``
            (by default, such a gradient keeps its worst component only).

        Returns
        -------
        ValuesReport
            ``.passed``, per-parameter ``.verdicts`` and ``.explanations``, the
            per-dump table in ``.dumps``; ``str()`` prints what ``gauge check
            --values`` prints.
        """
        if _is_path(spec):
            self.load(spec)
            spec = "loss"
        dumps = _dumps(values, grads, loss)
        only = [wrt] if isinstance(wrt, str) else (list(wrt) if wrt is not None else None)
        return self._check_values(
            str(spec),
            dumps,
            rtol=rtol,
            compute=compute,
            only=only,
            summary_only=not components,
        )

    def evaluate(self, expr: str, at: Optional[Mapping[str, Any]] = None, **values: Any) -> float:
        """Evaluate an expression in double precision.

        Parameters
        ----------
        expr : str
        at : dict, optional
            Values by name: numbers, arrays of any framework (for tensors), integers
            for indices and labels (from 0).
        **values
            More values, by keyword.

        Returns
        -------
        float

        Examples
        --------
        >>> import gauge, numpy as np
        >>> gauge.Session().evaluate("sum(i, z[i]^2)", z=np.array([1.0, 2.0]))
        5.0
        """
        point = dict(at or {})
        point.update(values)
        if not point:
            return self._eval_text(expr, "")
        encoded = {}
        for name, v in point.items():
            arr, dtype = as_numpy(v, name)
            if dtype is not None:
                arr = arr.astype("float32")  # bfloat16 bits: numbers are needed here
            encoded[name] = arr.tolist()
        return self._eval_text(expr, json.dumps(encoded), name="<values>")


def _dumps(values: Any, grads: Any, loss: Any) -> List[Tuple[Any, ...]]:
    """The dumps to check, as the extension takes them."""
    if isinstance(values, (list, tuple)):
        if grads is not None or loss is not None:
            raise TypeError(
                "with a list of dumps, give each dump's grads and loss in it: "
                "[(values, grads), (values, grads, loss), ...]"
            )
        if not values:
            raise ValueError("the list of dumps is empty")
        many = len(values) > 1
        out = []
        for k, d in enumerate(values, 1):
            if isinstance(d, Mapping) and "values" in d:
                d = (d["values"], d.get("grads"), d.get("loss"))
            if not isinstance(d, (list, tuple)) or len(d) not in (2, 3):
                raise TypeError(
                    f"dump {k} is a {type(d).__name__}: each dump is (values, grads) or "
                    "(values, grads, loss)"
                )
            out.append(_dump(f"dump {k}" if many else "values", *d))
        return out
    return [_dump("values", values, grads, loss)]


def _dump(source: str, values: Any, grads: Any, loss: Any = None) -> Tuple[Any, ...]:
    if _is_dump_file(values):
        if loss is not None:
            raise TypeError("a dump file holds its own loss value (`loss`)")
        if grads is not None and not _is_dump_file(grads):
            raise TypeError("with a dump file of values, give the gradients' file, or none")
        return ("files", os.fspath(values), None if grads is None else os.fspath(grads))
    if not isinstance(values, Mapping):
        raise TypeError(
            f"values is a {type(values).__name__}: give a dict of arrays by name, a dump "
            "file, or a list of (values, grads) dumps"
        )
    if not isinstance(grads, Mapping):
        raise TypeError(
            "give the gradients as a dict of arrays by parameter name: "
            "check(spec, values, grads)"
        )
    arrays = [encode(_name(n), v) for n, v in values.items()]
    arrays += [encode("grad." + _name(n), g) for n, g in grads.items()]
    if loss is not None:
        arrays.append(encode("loss", loss))
    return ("arrays", source, arrays)


def _name(n: Any) -> str:
    if not isinstance(n, str):
        raise TypeError(f"array names are strings, not {type(n).__name__} ({n!r})")
    return n
