"""The API round trip: derivatives, gradients, Hessians, simplification, claims and
their renderings.

Expectations are stated in gauge's language and compared as canonical expressions
(``gauge.parse``), or checked numerically against finite differences, never copied
from gauge's own output.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

import gauge

ROOT = Path(__file__).resolve().parents[2]


def fd(f, x, h=1e-6):
    """A central finite difference of a scalar function."""
    return (f(x + h) - f(x - h)) / (2 * h)


def test_version_is_the_crates():
    cargo = (ROOT / "python" / "Cargo.toml").read_text()
    version = re.search(r'^version = "([^"]+)"', cargo, re.M).group(1)
    assert gauge.__version__ == version


def test_diff_is_the_derivative_in_canonical_form():
    d = gauge.diff("x^3 + sin(x)", "x")
    assert isinstance(d, gauge.Expr)
    assert d == gauge.parse("3*x**2 + cos(x)")
    # The canonical text reads back to the same expression.
    assert gauge.parse(str(d)) == d
    assert d.text == str(d)
    assert repr(d) == f"Expr({str(d)!r})"
    # And it is the derivative: at a point, it agrees with finite differences.
    at = 0.7
    want = fd(lambda t: gauge.evaluate("x^3 + sin(x)", x=t), at)
    assert gauge.evaluate(str(d), x=at) == pytest.approx(want, rel=1e-7)


def test_a_higher_order_derivative():
    assert gauge.diff("sin(x)*x", "x", order=2) == gauge.parse("2*cos(x) - x*sin(x)")


def test_a_tensor_element_derivative():
    d = gauge.diff("cross_entropy(z, y)", "z[i]")
    assert d == gauge.parse("softmax(z)[i] - delta(i, y)")


def test_latex_and_jupyter():
    d = gauge.diff("exp(2*x)", "x")
    tex = d.latex()
    assert "e^{" in tex and "$" not in tex
    # Jupyter renders `_repr_latex_` as math: the LaTeX between dollar signs.
    assert d._repr_latex_() == f"${tex}$"
    assert json.loads(d.to_json())["canonical"] == str(d)


def test_latex_writes_elements_in_brackets_on_request():
    d = gauge.diff("logsumexp(q)", "q[m]")
    assert d.latex() == r"\operatorname{softmax}(q)_m"
    assert d.latex(indices="brackets") == r"\operatorname{softmax}(q)[m]"
    steps = gauge.derive("logsumexp(q)", "q[m]", detail="brief")
    assert r"\partial q[m]" in steps.latex(indices="brackets")
    assert r"\partial q[m]" in steps.markdown(indices="brackets")
    p = gauge.prove("claim g: diff(sum(j, q[j]^2), q[m]) = 2*q[m]")
    assert "2 q[m]" in p.latex(indices="brackets") and "q_m" not in p.latex(indices="brackets")
    assert "2 q_m" in p["g"].latex(indices="subscript")
    with pytest.raises(ValueError, match="subscript"):
        d.latex(indices="square")


def test_equal_expressions_hash_alike_across_sessions():
    a = gauge.Session().parse("x*x + 2*x")
    b = gauge.Session().parse("2*x + x^2")
    c = gauge.parse("x^3")
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert len({a, b, c}) == 2
    # An expression is not equal to its text: it compares with expressions only.
    assert a != str(a)


def test_defs_as_text_as_a_path_and_as_a_pathlike(tmp_path):
    text = "let f(x) = x^3\nassume p > 0"
    path = tmp_path / "model.gauge"
    path.write_text(text)
    want = gauge.parse("3*p^2")
    assert gauge.diff("f(p)", "p", text) == want
    assert gauge.diff("f(p)", "p", str(path)) == want
    assert gauge.diff("f(p)", "p", path) == want
    # The assumption came along: sqrt(p^2) is p only where p > 0.
    assert gauge.simplify("sqrt(p^2)", path) == gauge.parse("p")
    assert gauge.simplify("sqrt(p^2)") == gauge.parse("abs(p)")


def test_derive_gives_the_steps_and_their_rules():
    d = gauge.derive("eml(x, y)", "y")
    assert isinstance(d, gauge.Derivation)
    assert d.result == gauge.parse("-1/y")
    steps = d.steps
    assert steps and all(s.rules for s in steps)
    assert steps[-1].expr == d.result
    assert "expand-definition" in [r for s in steps for r in s.rules]
    shown = str(d)
    assert shown.splitlines()[0].strip() == str(d.start)
    assert all(f"[{', '.join(s.rules)}]" in shown for s in steps)
    assert d.latex().lstrip().startswith(r"\begin{align*}")
    assert d._repr_latex_().startswith("$$")


def test_derive_at_brief_reads_as_a_textbook_derivation():
    d = gauge.derive("cross_entropy(z, y)", "z[i]", detail="brief")
    assert d.result == gauge.parse("softmax(z)[i] - delta(i, y)")
    tex = d.latex()
    assert r"\frac{1}{p_y}" in tex
    assert r"\text{derivative of softmax}" in tex
    assert "[chain rule]" in str(d)
    # Every rule application is still there under the rows.
    full = gauge.derive("cross_entropy(z, y)", "z[i]")
    assert len(str(d).splitlines()) < len(str(full).splitlines())
    with pytest.raises(ValueError, match="detail"):
        gauge.derive("x^2", "x", detail="short")


def test_grad_by_scalars_by_one_name_and_by_a_tensor():
    g = gauge.grad("eml(x, y)", ["x", "y"])
    assert g == [gauge.parse("exp(x)"), gauge.parse("-1/y")]
    assert gauge.grad("eml(x, y)", ("x", "y")) == g
    # By default: every scalar.
    assert gauge.grad("eml(x, y)") == g
    assert gauge.grad("x^2*y", "y") == [gauge.parse("x^2")]
    # By a tensor: one expression in index form.
    [by_z] = gauge.grad("logsumexp(z)", "z")
    assert by_z == gauge.parse("softmax(z)[i]")
    [by_w] = gauge.grad("sum(i, k, W[i, k]*x[k])", "W", index=["a", "b"])
    assert by_w == gauge.parse("x[b]")
    with pytest.raises(TypeError):
        gauge.grad("x", 3)


def test_the_gradient_agrees_with_finite_differences():
    f = "ln(1 + exp(a*b)) + a/b"
    ga, gb = gauge.grad(f, ["a", "b"])
    a, b = 0.3, 1.7
    assert gauge.evaluate(str(ga), a=a, b=b) == pytest.approx(
        fd(lambda t: gauge.evaluate(f, a=t, b=b), a), rel=1e-7
    )
    assert gauge.evaluate(str(gb), a=a, b=b) == pytest.approx(
        fd(lambda t: gauge.evaluate(f, a=a, b=t), b), rel=1e-7
    )


def test_hessian_by_a_vector_a_scalar_and_scalars():
    h = gauge.hessian("logsumexp(z)", "z")
    assert isinstance(h, gauge.Expr)
    assert h == gauge.parse("softmax(z)[i]*(delta(i, k) - softmax(z)[k])")
    assert gauge.hessian("x^4", "x") == gauge.parse("12*x^2")
    m = gauge.hessian("x^2*y + y^3", ["x", "y"])
    assert [[str(e) for e in row] for row in m] == [
        [str(gauge.parse("2*y")), str(gauge.parse("2*x"))],
        [str(gauge.parse("2*x")), str(gauge.parse("6*y"))],
    ]
    # Symmetric, and each entry the derivative of a derivative.
    assert m[0][1] == m[1][0] == gauge.diff(str(gauge.diff("x^2*y + y^3", "x")), "y")


def test_simplify():
    assert gauge.simplify("exp(z[i]) / sum(j, exp(z[j]))") == gauge.parse("softmax(z)[i]")
    assert gauge.simplify("ln(exp(x))") == gauge.parse("x")
    d = gauge.Session().simplify_steps("ln(exp(x)) + 0*y")
    assert d.result == gauge.parse("x") and d.steps


def test_a_session_keeps_its_definitions():
    s = gauge.Session("let sq(x) = x*x")
    assert "1 statement" in repr(s)
    assert s.diff("sq(t)", "t") == gauge.parse("2*t")
    s.load("let cube(x) = x*sq(x)")
    s.assume("q > 0")
    assert s.diff("cube(q)", "q") == gauge.parse("3*q^2")
    assert s.simplify("sqrt(q^2)") == gauge.parse("q")
    assert sorted(s.variables("cube(q) + w")) == ["q", "w"]
    # The module-level functions start afresh each call.
    with pytest.raises(gauge.GaugeNameError):
        gauge.diff("sq(t)", "t")


def test_evaluate_takes_numbers_and_arrays(np):
    assert gauge.evaluate("eml(x, y)", x=0.0, y=1.0) == 1.0
    z = np.array([0.5, -1.0, 2.0])
    assert gauge.evaluate("sum(i, z[i]^2)", z=z) == pytest.approx(float(z @ z))
    assert gauge.evaluate("z[y]", {"z": z, "y": 2}) == 2.0
    with pytest.warns(gauge.GaugeWarning, match="does not use it"):
        gauge.evaluate("x", x=1.0, unused=2.0)


CLAIMS = """\
let sq(x) = x*x
claim chain: diff(sq(sin(x)), x) = 2*sin(x)*cos(x)
claim wrong: diff(ln(x), x) = 1/x^2
claim pyth: sin(x)^2 + cos(x)^2 = 1
"""


def test_prove_a_text_of_claims():
    p = gauge.prove(CLAIMS)
    assert isinstance(p, gauge.Proofs) and len(p) == 3
    assert p.verdicts == {"chain": "proved", "wrong": "refuted", "pyth": "proved"}
    assert [c.name for c in p] == ["chain", "wrong", "pyth"]
    assert [c.line for c in p] == [2, 3, 4]
    assert not p.ok and not p.all_proved
    chain = p["chain"]
    assert chain is not None and chain.verdict == "proved" and chain.ok
    assert str(chain.lhs) == "diff(sq(sin(x)), x)"
    assert chain.rhs == gauge.parse("2*sin(x)*cos(x)")
    assert chain.counterexample is None and chain.error is None
    # The proof reads forwards from the left side to the right, each step with its
    # rules, the first one expanding `sq`.
    assert chain.start == chain.lhs
    assert chain.steps and all(s.rules for s in chain.steps)
    assert chain.steps[0].rules == ["expand-definition"]
    assert chain.steps[0].expr == gauge.parse("diff(sin(x)^2, x)")
    assert chain.steps[-1].expr == chain.rhs
    assert p[-1].name == "pyth" and p[0].name == "chain"
    with pytest.raises(KeyError):
        p["nope"]
    with pytest.raises(IndexError):
        p[3]


def test_a_refuted_claims_counterexample_is_one():
    wrong = gauge.prove(CLAIMS)["wrong"]
    assert wrong.verdict == "refuted" and not wrong.ok and wrong.steps == []
    c = wrong.counterexample
    assert c is not None and c.bits >= 53
    x = float(c.point["x"])
    # Independently of the prover: the derivative of ln(x), 1/x, is not 1/x^2 there.
    lhs = gauge.evaluate("1/x", x=x)
    rhs = gauge.evaluate("1/x^2", x=x)
    assert lhs == pytest.approx(c.lhs) and lhs != pytest.approx(rhs)
    assert c.rhs == pytest.approx(rhs) and c.difference == pytest.approx(lhs - rhs)


def test_prove_bare_claims_and_a_file(tmp_path):
    p = gauge.prove("diff(ln(x), x) = 1/x\nx = x + 1")
    assert [c.verdict for c in p] == ["proved", "refuted"]
    f = tmp_path / "claims.gauge"
    f.write_text(CLAIMS)
    assert gauge.prove(f).verdicts == gauge.prove(str(f)).verdicts
    # Definitions may come separately.
    q = gauge.prove("claim d: diff(sq(x), x) = 2*x", defs="let sq(x) = x*x")
    assert q["d"].verdict == "proved" and q.all_proved


def test_a_session_proves_only_what_it_is_given():
    s = gauge.Session()
    assert len(s.prove("claim a: x + x = 2*x")) == 1
    p = s.prove("claim b: x*x = x^2\nclaim c: x = 2")
    assert p.verdicts == {"b": "proved", "c": "refuted"}


def test_claims_render_as_text_json_and_latex():
    p = gauge.prove(CLAIMS)
    text = str(p)
    assert re.search(r"^chain\s+proved\s", text, re.M)
    assert "wrong (line 3): refuted" in text and "counterexample: x = " in text
    assert text.rstrip().endswith("2 proved, 0 confirmed, 1 refuted, 0 error")
    data = json.loads(p.to_json())
    assert [c["verdict"] for c in data["claims"]] == ["proved", "refuted", "proved"]
    assert data["claims"][1]["counterexample"]["point"] == p["wrong"].counterexample.point
    tex = p.latex()
    assert tex.count(r"\begin{align*}") == 3
    assert r"\text{refuted at a point}" in tex
    one = p["pyth"]
    assert str(one).startswith("pyth") and json.loads(one.to_json())["claims"][0]["name"] == "pyth"
    assert r"\begin{align*}" in one.latex()
    assert "Claim('pyth'" in repr(one) and "proved" in repr(one)
    assert repr(p) == "Proofs([chain: proved, wrong: refuted, pyth: proved])"


def test_codegen_describes_its_arguments():
    code = gauge.codegen("cross_entropy(z, y)", "z")
    assert isinstance(code, gauge.Code) and code.target == "numpy"
    assert str(code) == code.text and "def value_and_grad(z, y):" in code.text
    assert [(a.name, a.kind, a.rank) for a in code.args] == [("z", "tensor", 1), ("y", "label", 0)]
    for target in ("jax", "torch", "rust"):
        assert gauge.codegen("x^2", "x", target).target == target
    with pytest.raises(ValueError, match="not one of"):
        gauge.codegen("x^2", "x", "fortran")
    with pytest.raises(ValueError, match="Rust code"):
        gauge.codegen("x^2", "x", "rust").function()


def test_the_work_budget_warns_or_fails_and_can_be_lifted():
    expr = "tanh(sin(x)*cos(x)*exp(x))"
    with pytest.raises(gauge.GaugeLimitError):
        gauge.Session(budget=20).diff(expr, "x")
    assert gauge.Session(budget=None).diff(expr, "x") == gauge.diff(expr, "x")


def test_math_constants_evaluate_exactly():
    assert gauge.evaluate("eml(1, 1)") == math.e


def test_expressions_are_immutable_values():
    import copy

    e = gauge.parse("x^2 + 1")
    assert copy.copy(e) is e and copy.deepcopy(e) is e
    assert {e: 1}[gauge.parse("1 + x*x")] == 1
