"""gauge: derive, prove, check and print gradients.

gauge reads formulas in a small language that looks like the math and like NumPy
(``let softmax(z)[i] = exp(z[i]) / sum(j, exp(z[j]))``), keeps them exact and
canonical, and derives, simplifies, proves, checks and prints them.

Examples
--------
>>> import gauge, numpy as np
>>> gauge.diff("cross_entropy(z, y)", "z[i]")
Expr('softmax(z)[i] - delta(i, y)')
>>> gauge.prove("diff(eml(x, y), y) = -1/y")[0].verdict
'proved'
>>> x = np.array([1.0, 2.0, 3.0])
>>> gauge.check("sum(i, x[i]^2)", {"x": x}, {"x": 2 * x}).passed
True

Every function takes ``defs``: gauge statements (``let``, ``assume``, ``tensor``) as
text, or the path of a ``.gauge`` file. Each call of a module-level function uses a
fresh ``Session``; load definitions once into a ``Session`` to reuse them.

Errors raise ``GaugeError`` subclasses (``GaugeSyntaxError`` is also a ``ValueError``)
whose text is the diagnostic as the command line prints it, with a caret and a hint.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Union

from . import _errors, _gauge
from ._backward import BackwardReport, InputVerdict, labels, positive, verify_backward
from ._errors import (
    GaugeArityError,
    GaugeBindingError,
    GaugeDomainError,
    GaugeError,
    GaugeInternalError,
    GaugeIOError,
    GaugeLimitError,
    GaugeNameError,
    GaugeRecursionError,
    GaugeShapeError,
    GaugeSyntaxError,
    GaugeUnsupportedError,
    GaugeWarning,
    Label,
)
from ._gauge import (
    Arg,
    Claim,
    Code,
    Component,
    Counterexample,
    Derivation,
    DumpCheck,
    Eml,
    EmlTable,
    Expr,
    LossCheck,
    ParamCheck,
    Proofs,
    Step,
    ValuesReport,
)
from ._session import PathLike, Session

__version__: str = _gauge.__version__

__all__ = [
    "__version__",
    "Session",
    "diff",
    "derive",
    "grad",
    "hessian",
    "simplify",
    "parse",
    "evaluate",
    "prove",
    "check",
    "codegen",
    "eml",
    "eml_table",
    "verify_backward",
    "labels",
    "positive",
    "BackwardReport",
    "InputVerdict",
    "Expr",
    "Derivation",
    "Step",
    "Proofs",
    "Claim",
    "Counterexample",
    "ValuesReport",
    "DumpCheck",
    "ParamCheck",
    "LossCheck",
    "Component",
    "Code",
    "Arg",
    "Eml",
    "EmlTable",
] + _errors.__all__

Defs = Optional[PathLike]
Names = Union[str, Sequence[str]]


def diff(expr: str, wrt: str, defs: Defs = None, *, order: int = 1) -> Expr:
    """The derivative of ``expr``, simplified.

    Parameters
    ----------
    expr : str
        The expression, in gauge's language (``"x^3"``, ``"cross_entropy(z, y)"``).
    wrt : str
        What to differentiate by: a scalar (``"x"``), a tensor element (``"z[i]"``),
        or a named intermediate of ``defs`` (its adjoint).
    defs : str or os.PathLike, optional
        Definitions and assumptions as gauge text, or a ``.gauge`` file.
    order : int, optional
        The order of the derivative, from 1 to 64.

    Returns
    -------
    Expr

    Examples
    --------
    >>> gauge.diff("sin(x)*x", "x", order=2)
    Expr('2*cos(x) - x*sin(x)')
    """
    return Session(defs).diff(expr, wrt, order)


def derive(
    expr: str, wrt: str, defs: Defs = None, *, order: int = 1, detail: str = "full"
) -> Derivation:
    """The derivative with its derivation: ``.result``, ``.steps`` (each with the
    rules applied), ``str()`` the steps as ``gauge diff --steps`` prints them,
    ``.latex()`` an ``align*``.

    Parameters are those of ``diff``, and ``detail``: ``"full"`` (every definition
    written out, every rule a row), ``"normal"`` (calls of functions differentiated
    whole) or ``"brief"`` (rows grouped as a textbook groups them, recurring calls
    named), as ``gauge diff --detail``.
    """
    return Session(defs).derive(expr, wrt, order, detail)


def grad(
    expr: str,
    wrt: Optional[Names] = None,
    defs: Defs = None,
    *,
    index: Optional[Sequence[str]] = None,
) -> List[Expr]:
    """The gradient: one derivative per variable.

    Parameters
    ----------
    expr : str
    wrt : str or list of str, optional
        The variables: scalars, or one tensor (whose gradient is one expression in
        index form, with free index ``i``). By default the expression's tensor, or
        every scalar.
    defs : str or os.PathLike, optional
    index : list of str, optional
        The free index names of a tensor's gradient, one per axis.

    Returns
    -------
    list of Expr

    Examples
    --------
    >>> gauge.grad("eml(x, y)", ["x", "y"])
    [Expr('exp(x)'), Expr('-1/y')]
    """
    return Session(defs).grad(expr, wrt, list(index) if index is not None else None)


def hessian(expr: str, wrt: Names, defs: Defs = None) -> Union[Expr, List[List[Expr]]]:
    """The Hessian.

    Parameters
    ----------
    expr : str
    wrt : str or list of str
        One vector (the result is one ``Expr`` in index form, by ``z[i]`` and
        ``z[k]``), one scalar (the second derivative), or a list of scalars (the
        symmetric matrix, as a list of rows of ``Expr``).
    defs : str or os.PathLike, optional

    Examples
    --------
    >>> gauge.hessian("logsumexp(z)", "z")
    Expr('softmax(z)[i]*(delta(i, k) - softmax(z)[k])')
    """
    return Session(defs).hessian(expr, wrt)


def simplify(expr: str, defs: Defs = None) -> Expr:
    """``expr`` in canonical form, simplified with the definitions and assumptions.

    Examples
    --------
    >>> gauge.simplify("exp(z[i]) / sum(j, exp(z[j]))")
    Expr('softmax(z)[i]')
    >>> gauge.simplify("sqrt(x^2)", "assume x > 0")
    Expr('x')
    """
    return Session(defs).simplify(expr)


def parse(expr: str, defs: Defs = None) -> Expr:
    """``expr`` read into canonical form (``"x**2 + x*x"`` is ``2*x^2``)."""
    return Session(defs).parse(expr)


def evaluate(expr: str, at: Optional[dict] = None, defs: Defs = None, **values: Any) -> float:
    """``expr``'s value in double precision, at values given by name (numbers, or
    arrays of any framework for tensors).

    Examples
    --------
    >>> gauge.evaluate("eml(x, y)", x=0.0, y=1.0)
    1.0
    """
    return Session(defs).evaluate(expr, at, **values)


def prove(
    claims: PathLike, defs: Defs = None, *, seed: int = 1, verify: bool = False
) -> Proofs:
    """Decide claims ``lhs = rhs``: proved, confirmed by numbers, or refuted.

    Parameters
    ----------
    claims : str or os.PathLike
        A ``.gauge`` file with ``claim`` statements, such a text, or claims alone, one
        ``lhs = rhs`` per line.
    defs : str or os.PathLike, optional
        Definitions the claims use.
    seed : int, optional
        The seed of the numeric checks.
    verify : bool, optional
        Re-check every proof step by step with the independent step checker.

    Returns
    -------
    Proofs
        A list of ``Claim``: each with ``verdict``, ``lhs``, ``rhs``, the proof's
        ``steps``, the ``counterexample`` of a refuted claim; ``str()`` prints what
        ``gauge prove`` prints.

    Examples
    --------
    >>> p = gauge.prove("diff(ln(x), x) = 1/x\\nx = x + 1")
    >>> [c.verdict for c in p]
    ['proved', 'refuted']
    """
    return Session(defs).prove(claims, seed=seed, verify=verify)


def check(
    spec: PathLike,
    values: Any,
    grads: Optional[Any] = None,
    *,
    defs: Defs = None,
    loss: Optional[Any] = None,
    rtol: Optional[float] = None,
    compute: Optional[str] = None,
    wrt: Optional[Names] = None,
    components: bool = False,
) -> ValuesReport:
    """Check the gradients a program computed against gauge's derivative of a spec.

    See ``Session.check`` for the parameters; ``defs`` is loaded first (the
    ``tensor`` shapes and ``let`` definitions the spec uses).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(5, 3))
    >>> spec = "mean(n, sum(d, X[n, d]^2))"
    >>> gauge.check(spec, {"X": X}, {"X": 2 * X / 5}, defs="tensor X[N, D]").passed
    True
    >>> r = gauge.check(spec, {"X": X}, {"X": 2 * X}, defs="tensor X[N, D]")
    >>> r.verdicts
    {'X': 'failed'}
    >>> r.explanations["X"]
    'got/want = 5 = N everywhere: missing 1/N'
    """
    return Session(defs).check(
        spec,
        values,
        grads,
        loss=loss,
        rtol=rtol,
        compute=compute,
        wrt=wrt,
        components=components,
    )


def codegen(
    expr: str, wrt: Names, target: str = "numpy", defs: Defs = None, *, check: bool = False
) -> Code:
    """Generate ``value_and_grad(args...)``: the value of ``expr`` and its gradients by
    ``wrt``, numerically stable.

    Parameters
    ----------
    expr : str
    wrt : str or list of str
        Scalars, or tensors whole.
    target : {"numpy", "jax", "torch", "rust"}, optional
    defs : str or os.PathLike, optional
    check : bool, optional
        Append ``check_against(user_fn, ...)``, which compares a hand-written function
        with the generated one.

    Returns
    -------
    Code
        ``.text`` (also ``str()``), ``.args``, and ``.function()`` to run it.
    """
    return Session(defs).codegen(expr, wrt, target, check=check)


def eml(
    expr: str, defs: Defs = None, *, diff: Optional[str] = None, complex_safe: bool = False
) -> Eml:
    """Compile a scalar formula, or its derivative, to a pure EML DAG over ``1`` and its
    variables (``eml(x, y) = exp(x) - ln(y)``), audited against the formula.

    Parameters
    ----------
    expr : str
        A scalar formula (no tensors or sums).
    defs : str or os.PathLike, optional
        Definitions the formula uses.
    diff : str, optional
        Compile the derivative by this variable instead of the formula.
    complex_safe : bool, optional
        Use only forms right on the whole complex plane, where the table has them.

    Returns
    -------
    Eml
        ``k`` (the paper's size, an exact ``int``), ``depth``, ``nodes``, ``nested``,
        ``bindings`` and ``result``, ``domain``, ``verified`` and the ``audit``'s
        counts; ``str()`` prints what ``gauge eml`` prints.

    Examples
    --------
    >>> e = gauge.eml("exp(x)")
    >>> e.k, e.nested, e.verified
    (3, 'eml(x, 1)', True)
    """
    return Session(defs).eml(expr, diff=diff, complex_safe=complex_safe)


def eml_table() -> EmlTable:
    """The table of EML forms of gauge's primitives beside the paper's published sizes,
    each form audited again, as ``gauge eml-table`` prints it.

    Returns
    -------
    EmlTable
        ``rows`` (one dict per primitive), ``str()`` the Markdown table, ``to_json()``.

    Examples
    --------
    >>> sin = next(r for r in gauge.eml_table().rows if r["primitive"] == "sin")
    >>> sin["region"], sin["verified"]
    ('real', True)
    """
    return _gauge._eml_table()
