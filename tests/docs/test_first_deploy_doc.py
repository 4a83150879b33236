"""docs/stacks.md's first-deploy walk-through: every test it cites exists, so each offline
step stays exercised, and every command it names is a make target."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "stacks.md"


def _section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## First deploy into an empty account")
    return text[start : text.index("\n## ", start + 1)]


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_every_cited_test_exists() -> None:
    section = _section()
    cited = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`|`::(\w+)`", section)
    assert len(cited) >= 10
    current: Path | None = None
    for path, name, continued in cited:
        if path:
            current = REPO / path
            assert current.is_file(), path
        assert current is not None
        test = name or continued
        if test:
            assert test in _test_names(current), f"{current.name}::{test}"


def test_every_make_command_is_a_target() -> None:
    targets = set(re.findall(r"^([a-z-]+):", (REPO / "Makefile").read_text(), re.MULTILINE))
    used = set(re.findall(r"`make ([a-z-]+)", _section()))
    assert {"preview", "bootstrap", "up", "destroy"} <= used
    assert used <= targets
