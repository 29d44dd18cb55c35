"""Errors: each kind raises its ``GaugeError`` subclass, whose text is the diagnostic
the command line draws, with the error's parts as attributes."""

from __future__ import annotations

import json
import pickle

import pytest

import gauge
from conftest import run_cli


def test_a_syntax_error_points_at_the_place():
    with pytest.raises(gauge.GaugeSyntaxError) as info:
        gauge.diff("x +", "x")
    e = info.value
    # A GaugeError, and a ValueError to code that knows nothing of gauge.
    assert isinstance(e, gauge.GaugeError) and isinstance(e, ValueError)
    assert e.kind == "syntax"
    assert e.message == "expected an expression, found the end of the input"
    assert (e.file, e.line, e.column) == ("<input>", 1, 4)
    assert e.hint and "operand" in e.hint
    assert e.labels == [gauge.Label("<input>", 1, 4, "expected an expression")]
    text = str(e)
    assert text == e.diagnostic
    lines = text.splitlines()
    assert lines[0] == f"  × {e.message}"
    assert "[<input>:1:4]" in lines[1]
    # The source line, and the caret under column 4.
    source = next(line for line in lines if line.endswith("x + "))
    caret = next(line for line in lines if line.rstrip().endswith("┬"))
    assert caret.index("┬") == source.index("x") + 3
    assert f"help: {e.hint}" in text


def test_the_diagnostic_is_the_command_lines():
    with pytest.raises(gauge.GaugeError) as info:
        gauge.Session().parse("sum(i, z[i]) + f(z)")
    cli = run_cli("parse", "sum(i, z[i]) + f(z)")
    assert cli.returncode == 2
    assert cli.stderr.rstrip("\n") == str(info.value)
    # And the JSON form is the command line's --format json.
    cli_json = run_cli("parse", "sum(i, z[i]) + f(z)", "--format", "json")
    assert json.loads(info.value.to_json()) == json.loads(cli_json.stdout)


def test_each_kind_has_its_class():
    cases = [
        (lambda: gauge.parse("f(x)"), gauge.GaugeNameError, "name", ValueError),
        (lambda: gauge.parse("sin(x, y)"), gauge.GaugeArityError, "arity", ValueError),
        (lambda: gauge.parse("z[i] + z"), gauge.GaugeShapeError, "shape", ValueError),
        (
            lambda: gauge.Session("let f(x) = f(x) + 1"),
            gauge.GaugeRecursionError,
            "recursion",
            ValueError,
        ),
        (lambda: gauge.diff("x", "x", order=65), gauge.GaugeLimitError, "limit", RuntimeError),
        (lambda: gauge.evaluate("ln(x)", x=-1.0), gauge.GaugeDomainError, "domain", ValueError),
        (lambda: gauge.evaluate("x + y", x=1.0), gauge.GaugeBindingError, "binding", ValueError),
        (lambda: gauge.Session("no/such/file.gauge"), gauge.GaugeIOError, "io", OSError),
    ]
    for call, cls, kind, builtin in cases:
        with pytest.raises(cls) as info:
            call()
        assert info.value.kind == kind, (cls, str(info.value))
        assert isinstance(info.value, builtin)
        assert str(info.value).lstrip().startswith("×")


def test_an_io_error_names_the_file():
    with pytest.raises(gauge.GaugeIOError) as info:
        gauge.prove("missing.gauge")
    assert "missing.gauge" in info.value.message
    assert info.value.line is None and info.value.labels == []


def test_exceptions_pickle_with_their_attributes():
    with pytest.raises(gauge.GaugeError) as info:
        gauge.parse("x +")
    e = pickle.loads(pickle.dumps(info.value))
    assert type(e) is gauge.GaugeSyntaxError
    assert (e.kind, e.line, e.column, str(e)) == (
        info.value.kind,
        info.value.line,
        info.value.column,
        str(info.value),
    )


def test_wrong_argument_types_are_type_errors():
    with pytest.raises(TypeError):
        gauge.Session(3.5)
    with pytest.raises(TypeError):
        gauge.hessian("x^2", 1)


def test_a_panic_arrives_as_an_internal_error():
    from gauge import _gauge

    with pytest.raises(gauge.GaugeInternalError) as info:
        _gauge._panic_for_testing("a planted panic")
    e = info.value
    assert isinstance(e, RuntimeError) and e.kind == "bug"
    assert "a planted panic" in e.message and "bug in gauge" in e.hint
    # The interpreter goes on: the next call works.
    assert gauge.parse("x + x") == gauge.parse("2*x")
