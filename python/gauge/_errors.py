"""gauge's exceptions and warnings: one ``GaugeError`` subclass per kind of error.

Every exception carries the diagnostic drawn as the ``gauge`` command line draws it
(the file, line and column, the source line with a caret, and a hint) as its text, and
the parts as attributes. Each class also derives from the builtin exception a Python
programmer would catch: input that gauge cannot read or use is a ``ValueError``, a file
that cannot be read an ``OSError``, a limit a ``RuntimeError``, an unsupported
operation a ``NotImplementedError``.

The extension module raises these by name (``python/src/errors.rs``).
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Sequence, Tuple

__all__ = [
    "GaugeError",
    "GaugeSyntaxError",
    "GaugeNameError",
    "GaugeArityError",
    "GaugeShapeError",
    "GaugeRecursionError",
    "GaugeLimitError",
    "GaugeBindingError",
    "GaugeDomainError",
    "GaugeIOError",
    "GaugeUnsupportedError",
    "GaugeInternalError",
    "GaugeWarning",
    "Label",
]


class Label(NamedTuple):
    """A span of the input an error is about.

    Attributes
    ----------
    file : str
        The name of the text: a path, ``<input>``, ``<defs>``, ``<claims>``.
    line : int
        The line the span starts on, from 1.
    column : int
        The column it starts at, from 1, counted in characters.
    text : str
        What to say under the span (empty when the message says it all).
    """

    file: str
    line: int
    column: int
    text: str


class GaugeError(Exception):
    """An error of gauge: bad input, a value outside a function's domain, or a limit.

    ``str(e)`` is the diagnostic as the ``gauge`` command line prints it, with the
    source line, a caret under the place, and a hint.

    Attributes
    ----------
    kind : str
        The kind, as in gauge's JSON output: ``syntax``, ``name``, ``arity``,
        ``shape``, ``recursion``, ``limit``, ``binding``, ``domain``, ``io``,
        ``unsupported`` (or ``bug`` for ``GaugeInternalError``).
    message : str
        One sentence saying what is wrong.
    hint : str or None
        How to fix it.
    file, line, column : str, int, int or None
        Where: the primary span's text name, line and column (from 1).
    labels : list of Label
        Every span involved; the first is the primary one.
    diagnostic : str
        The drawn diagnostic (the same as ``str(e)``).
    """

    def __init__(
        self,
        diagnostic: str,
        *,
        kind: str = "",
        message: str = "",
        hint: Optional[str] = None,
        file: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
        labels: Sequence[Tuple[str, int, int, str]] = (),
        json: Optional[str] = None,
    ) -> None:
        super().__init__(diagnostic)
        self.diagnostic = diagnostic
        self.kind = kind
        self.message = message or diagnostic
        self.hint = hint
        self.file = file
        self.line = line
        self.column = column
        self.labels = [Label(*label) for label in labels]
        self._json = json

    def __str__(self) -> str:
        return self.diagnostic

    def __reduce__(self):
        # Pickled with its attributes, so that it crosses process boundaries whole
        # (multiprocessing, pytest-xdist).
        return (
            _rebuild,
            (
                type(self),
                self.diagnostic,
                dict(
                    kind=self.kind,
                    message=self.message,
                    hint=self.hint,
                    file=self.file,
                    line=self.line,
                    column=self.column,
                    labels=[tuple(label) for label in self.labels],
                    json=self._json,
                ),
            ),
        )

    def to_json(self) -> str:
        """The error as ``gauge --format json`` prints it: ``{"error": {...}}``."""
        if self._json is not None:
            return self._json
        import json

        return json.dumps(
            {
                "error": {
                    "hint": self.hint,
                    "kind": self.kind,
                    "labels": [],
                    "message": self.message,
                }
            }
        )


def _rebuild(cls, diagnostic, fields):
    return cls(diagnostic, **fields)


class GaugeSyntaxError(GaugeError, ValueError):
    """The text does not follow gauge's grammar."""


class GaugeNameError(GaugeError, ValueError):
    """A name is unknown, or used in a way its meaning does not allow."""


class GaugeArityError(GaugeError, ValueError):
    """Arguments or indices do not fit what a function or tensor takes."""


class GaugeShapeError(GaugeError, ValueError):
    """Shapes or kinds clash (a scalar used as a tensor, an index on no axis, ...)."""


class GaugeRecursionError(GaugeError, ValueError):
    """A definition refers to itself."""


class GaugeLimitError(GaugeError, RuntimeError):
    """Input or work exceeds a documented limit (nesting depth, derivative order, the
    work budget)."""


class GaugeBindingError(GaugeError, ValueError):
    """A value or array given is missing, malformed or does not fit its use."""


class GaugeDomainError(GaugeError, ValueError):
    """Evaluation left a function's domain (ln of a negative, division by zero)."""


class GaugeIOError(GaugeError, OSError):
    """A file could not be read."""

    def __init__(self, diagnostic: str, **fields) -> None:
        # OSError's own constructor reads (errno, strerror) from two arguments; one
        # argument leaves it the plain message.
        GaugeError.__init__(self, diagnostic, **fields)


class GaugeUnsupportedError(GaugeError, NotImplementedError):
    """The operation is not available for this kind of input."""


class GaugeInternalError(GaugeError, RuntimeError):
    """gauge itself failed (a panic in the library): a bug, not a fault of the input.

    The session that raised it may be left half-updated; start a new one.
    """


class GaugeWarning(UserWarning):
    """A warning of gauge: a search that gave up at the work budget (the result is
    right but not fully simplified), a definition shadowing the prelude's, a value
    for a name the expression does not use."""


def _warn(text: str) -> None:
    """Issue a ``GaugeWarning`` attributed to the first caller outside the gauge
    package, whichever path (module function, ``Session`` method) led to it. The
    extension calls this for each warning of a call."""
    import os
    import sys
    import warnings

    here = os.path.dirname(os.path.abspath(__file__))
    level = 1
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == here:
        frame = frame.f_back
        level += 1
    warnings.warn(GaugeWarning(text), stacklevel=level + 1)
