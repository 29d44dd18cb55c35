"""The examples in the package's docstrings (the module functions', the Python
modules', and the extension classes') run and print what they show."""

from __future__ import annotations

import doctest

import pytest

import gauge
from gauge import _arrays, _errors, _session


def examples():
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = []
    # The extension's Session is named too: its methods are not in the namespace of the
    # Python subclass, and its module is `gauge`, so `gauge._gauge` does not list it.
    sessions = (gauge.Session, gauge._gauge.Session)
    for obj in (gauge, _session, _arrays, _errors, *sessions, gauge.Expr, gauge._gauge):
        found += [t for t in finder.find(obj, name=getattr(obj, "__name__", None)) if t.examples]
    # One test per docstring: a class is found through the package and through its
    # module, under two names.
    unique = {}
    for t in sorted(found, key=lambda t: len(t.name)):
        unique.setdefault(t.docstring, t)
    return sorted(unique.values(), key=lambda t: t.name)


@pytest.mark.parametrize("test", examples(), ids=lambda t: t.name)
def test_docstring_examples(test, np):
    test.globs.update(gauge=gauge, np=np)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test)
    assert result.failed == 0, f"{result.failed} example(s) of {test.name} failed (see the output)"


def test_the_docstrings_have_examples():
    names = [t.name for t in examples()]
    assert len(names) >= 8, names
