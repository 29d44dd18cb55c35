"""The README's Python examples run as written, and print what their comments say."""

from __future__ import annotations

import contextlib
import io
import re

from conftest import ROOT


def readme_examples() -> list:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## From Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 2, "the section has two Python examples (the API, verify_backward)"
    return blocks


def test_the_readme_examples_print_what_they_say():
    for code in readme_examples():
        # Each `print(...)  # expected` line says what it prints.
        expected = [
            m.group(1)
            for line in code.splitlines()
            if line.startswith("print(") and (m := re.search(r"\)\s+# (.*)$", line))
        ]
        assert len(expected) >= 2
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})
        assert out.getvalue().splitlines() == expected
