"""Arrays of any framework as NumPy arrays, and as the bytes gauge reads.

gauge never imports torch or JAX: an array is recognised by what it can do.
- A torch tensor has ``.detach()``: it is detached, moved to the CPU and read with
  ``.numpy()``; a bfloat16 tensor, which NumPy cannot hold, is read as its bits.
- Anything with ``__array__`` (NumPy, JAX, CuPy on the host, xarray) goes through
  ``numpy.asarray``; JAX's bfloat16 arrives as ml_dtypes' bfloat16 and keeps its name.
- Anything else with ``.numpy()`` (TensorFlow) is read with it.
- Python numbers and nested lists go through ``numpy.asarray``.

The dtype is kept, so that a float32 gradient is judged with float32's rounding.
"""

from __future__ import annotations

import sys
from typing import Any, Optional, Tuple

import numpy as np

__all__ = ["as_numpy", "encode"]

# The dtypes gauge reads, by NumPy's name of the (little-endian) element type.
_FLOAT_NAMES = {8: "float64", 4: "float32", 2: "float16"}


def as_numpy(x: Any, name: str = "array") -> Tuple[np.ndarray, Optional[str]]:
    """``x`` as a NumPy array, and the dtype name when NumPy has no type for it.

    Parameters
    ----------
    x : array_like
        A NumPy or JAX array, a torch tensor, anything with ``__array__`` or
        ``.numpy()``, a Python number or nested lists of numbers.
    name : str
        The array's name, for error messages.

    Returns
    -------
    (numpy.ndarray, str or None)
        The array, and ``"bfloat16"`` when the array holds a torch bfloat16 tensor's
        bits (as ``uint16``).
    """
    if isinstance(x, np.ndarray):
        return x, None
    detach = getattr(x, "detach", None)
    if callable(detach) and hasattr(x, "numpy"):
        t = detach()
        cpu = getattr(t, "cpu", None)
        if callable(cpu):
            t = cpu()
        if str(getattr(t, "dtype", "")) == "torch.bfloat16":
            # The tensor's own module is loaded, since the tensor exists: it gives the
            # integer type to read the bits as, without gauge importing torch.
            torch = sys.modules.get(type(t).__module__.split(".")[0])
            int16 = getattr(torch, "int16", None)
            if int16 is None:
                raise TypeError(f"`{name}` is a bfloat16 tensor gauge cannot read the bits of")
            return t.view(int16).numpy().view(np.uint16), "bfloat16"
        return np.asarray(t.numpy()), None
    if hasattr(x, "__array__") or isinstance(x, (int, float, bool, list, tuple, np.generic)):
        return np.asarray(x), None
    to_numpy = getattr(x, "numpy", None)
    if callable(to_numpy):
        return np.asarray(to_numpy()), None
    try:
        return np.asarray(x), None
    except Exception as e:  # noqa: BLE001 - any failure means "not an array"
        raise TypeError(
            f"`{name}` is a {type(x).__name__}, not an array: give a NumPy or JAX array, "
            "a torch tensor, or a number"
        ) from e


def encode(name: str, x: Any) -> Tuple[str, Tuple[int, ...], str, bytes]:
    """``x`` as gauge reads an array held in memory: its name, shape, dtype name and
    elements as little-endian bytes in C order.

    Raises
    ------
    TypeError
        For complex numbers, strings and objects that are not numbers.
    """
    arr, dtype = as_numpy(x, name)
    if dtype is None:
        kind, size = arr.dtype.kind, arr.dtype.itemsize
        if arr.dtype.name == "bfloat16" and size == 2:
            # ml_dtypes' bfloat16 (JAX's): NumPy can view its bits as uint16.
            dtype, arr = "bfloat16", arr.view(np.uint16)
        elif kind == "f" and size in _FLOAT_NAMES:
            dtype = _FLOAT_NAMES[size]
        elif kind == "f":
            # long double: gauge computes in float64 at most.
            dtype, arr = "float64", arr.astype(np.float64)
        elif kind in "iu":
            dtype = f"{'int' if kind == 'i' else 'uint'}{8 * size}"
        elif kind == "b":
            dtype = "bool"
        elif kind == "O":
            try:
                arr = arr.astype(np.float64)
            except (TypeError, ValueError) as e:
                raise TypeError(f"`{name}` holds objects that are not numbers") from e
            dtype = "float64"
        else:
            raise TypeError(
                f"`{name}` has dtype {arr.dtype}, which gauge does not read: give floats "
                "(float64, float32, float16, bfloat16), integers or booleans"
            )
    # Little-endian whatever the machine's order, in C order: a copy only where either
    # differs (`asarray` keeps a 0-d array's shape, where `ascontiguousarray` makes it
    # 1-d).
    data = np.asarray(arr, dtype=arr.dtype.newbyteorder("<"), order="C")
    return name, tuple(int(n) for n in data.shape), dtype, data.tobytes()
