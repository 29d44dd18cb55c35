"""``Session.eml`` and ``gauge.eml_table``: formulas as pure EML DAGs, with their exact
sizes, domains and audits, rendered as ``gauge eml`` and ``gauge eml-table`` print
them."""

from __future__ import annotations

import json

import pytest

import gauge
from conftest import run_cli


def nested_sines(n: int) -> str:
    expr = "x"
    for _ in range(n):
        expr = f"sin({expr})"
    return expr


def test_exp_is_one_eml_node():
    e = gauge.Session().eml("exp(x)")
    assert isinstance(e, gauge.Eml)
    assert (e.k, e.depth, e.nodes) == (3, 1, 3)
    assert e.nested == "eml(x, 1)"
    assert e.bindings == [] and e.result == "eml(x, 1)"
    assert e.domain == []
    assert e.verified
    assert e.audit["checked"] > 0
    assert {k: v for k, v in e.audit.items() if k != "checked"} == {
        "wrong_f64": 0,
        "wrong_certified": 0,
        "unsure": 0,
    }
    assert (e.expr, e.diff) == ("exp(x)", None)


def test_an_identity_compiles_to_the_constant_one():
    e = gauge.Session().eml("sin(x)^2 + cos(x)^2")
    assert (e.k, e.nested) == (1, "1")


def test_the_derivative_of_ln_is_compiled_small():
    e = gauge.Session().eml("ln(x)", diff="x")
    assert e.diff == "x"
    assert e.k <= 17
    assert e.verified
    assert str(e).startswith("formula  d/dx ln(x) = 1/x\n")


def test_the_domain_names_each_variable():
    e = gauge.Session().eml("x*y")
    assert any("x" in c for c in e.domain)
    assert any("y" in c for c in e.domain)


def test_complex_safe_changes_the_form_where_the_table_has_one():
    # ln's shortest form is right off its cut only; the complex-safe one is longer.
    s = gauge.Session()
    assert s.eml("ln(x)").k < s.eml("ln(x)", complex_safe=True).k


def test_a_tensor_formula_has_no_eml_form():
    with pytest.raises(gauge.GaugeUnsupportedError) as info:
        gauge.Session().eml("sum(j, z[j])")
    e = info.value
    assert isinstance(e, gauge.GaugeError)
    assert e.kind == "unsupported"
    assert "no EML form for `sum(j, z[j])`" in e.message
    assert "tensors" in e.message
    assert e.hint and "scalar formulas" in e.hint


def test_a_bad_variable_of_the_derivative_is_an_error():
    with pytest.raises(gauge.GaugeSyntaxError):
        gauge.Session().eml("x^2", diff="+")


def test_k_counts_the_tree_and_nodes_the_dag():
    e = gauge.Session().eml("((((x^2)^2)^2)^2)")
    assert type(e.k) is int
    assert e.k > e.nodes
    assert e.nested is not None and e.nested.count("eml(") == (e.k - 1) // 2


def test_a_huge_k_is_an_exact_int():
    # Each sine multiplies the tree, but the DAG grows by a constant: K passes 2^64
    # while the DAG stays a few hundred nodes, and the nested text is not written out.
    e = gauge.Session().eml(nested_sines(24))
    assert type(e.k) is int
    assert e.k > 2**64
    assert e.nodes < 1000
    assert e.nested is None
    assert e.bindings and all(name == f"t{i}" for i, (name, _) in enumerate(e.bindings, 1))
    # The exact K, not a float's approximation of it.
    assert str(e.k) == json.loads(e.to_json())["k"]
    assert f"K {e.k} " in str(e)


def test_the_renderings_agree_with_the_attributes():
    e = gauge.Session().eml("x*y")
    j = json.loads(e.to_json())
    assert int(j["k"]) == e.k
    assert (j["depth"], j["nodes"], j["nested"]) == (e.depth, e.nodes, e.nested)
    assert j["domain"] == e.domain
    assert j["verified"] is e.verified
    assert [(b["name"], b["eml"]) for b in j["bindings"]] == e.bindings
    assert j["result"] == e.result
    assert {k: j["audit"][k] for k in e.audit} == e.audit
    text = str(e)
    assert f"K {e.k} · depth {e.depth} · {e.nodes} distinct nodes" in text
    assert text.rstrip().endswith(e.result)
    assert e.latex().strip() == e.nested.replace("eml", r"\operatorname{eml}")
    assert repr(e) == f"Eml('x*y', k={e.k}, depth={e.depth}, nodes={e.nodes}, verified=True)"


def test_the_renderings_are_the_command_lines():
    e = gauge.Session().eml("ln(x)", diff="x")
    for fmt, mine in (("text", str(e)), ("json", e.to_json() + "\n"), ("latex", e.latex())):
        cli = run_cli("eml", "--diff", "x", "ln(x)", "--format", fmt)
        assert cli.returncode == 0, cli.stderr
        assert cli.stdout == mine, fmt


def test_the_module_function_uses_definitions():
    e = gauge.eml("f(x)", "let f(x) = exp(x)")
    assert (e.k, e.nested) == (3, "eml(x, 1)")


@pytest.fixture(scope="module")
def table():
    # The table audits every form again when made: once is enough for the module.
    return gauge.eml_table()


def test_the_table_has_gauges_and_the_papers_sizes(table):
    t = table
    rows = {r["primitive"]: r for r in t.rows}
    assert len(t) == len(rows) > 30
    sin = rows["sin"]
    assert isinstance(sin["k"], int) and isinstance(sin["paper_compiler"], int)
    assert sin["verified"] is True
    # The paper's published sizes come with every row.
    times = rows["times"]
    assert (times["paper_compiler"], times["paper_search"]) == (41, 17)
    assert times["k"] is None or times["verified"] is True
    # The rows are a fresh copy each time.
    t.rows.clear()
    assert len(t.rows) == len(rows)
    assert json.loads(t.to_json()) == t.rows
    assert str(t).splitlines()[0].startswith("| primitive | gauge K |")
    assert repr(t) == f"EmlTable({len(rows)} rows)"


def test_the_table_is_the_command_lines(table):
    cli = run_cli("eml-table")
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout == str(table)
