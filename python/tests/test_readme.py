"""The README's Python example runs as written, and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re

from conftest import ROOT


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## From Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section has one Python example"
    return blocks[0]


def test_the_readme_example_prints_what_it_says():
    code = readme_example()
    # Each `print(...)  # expected` line says what it prints.
    expected = [
        m.group(1)
        for line in code.splitlines()
        if line.startswith("print(") and (m := re.search(r"\)\s+# (.*)$", line))
    ]
    assert len(expected) >= 5
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue().splitlines() == expected
