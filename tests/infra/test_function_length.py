"""No function in infra/ or stacks/ runs past about a screen: long ones hide their steps."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("infra", "stacks")
MAX_LINES = 80
# Functions allowed past MAX_LINES, each with why splitting it would not read better.
# Empty: component constructors delegate to private builders (one per concern) instead.
EXCEPTIONS: dict[str, str] = {}


@cache
def function_lengths() -> dict[str, int]:
    """``path:qualified.name`` -> lines from ``def`` to the last line of the body."""
    lengths: dict[str, int] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            relative = path.relative_to(ROOT).as_posix()
            _walk(tree, relative, "", lengths)
    return lengths


def _walk(node: ast.AST, path: str, prefix: str, lengths: dict[str, int]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{child.name}"
            end = child.end_lineno or child.lineno
            lengths[f"{path}:{name}"] = end - child.lineno + 1
            _walk(child, path, f"{name}.", lengths)
        elif isinstance(child, ast.ClassDef):
            _walk(child, path, f"{prefix}{child.name}.", lengths)
        else:
            _walk(child, path, prefix, lengths)


def test_no_function_is_longer_than_a_screen() -> None:
    lengths = function_lengths()
    assert len(lengths) > 300  # the walk found the code
    too_long = {
        name: lines
        for name, lines in sorted(lengths.items(), key=lambda item: -item[1])
        if lines > MAX_LINES and name not in EXCEPTIONS
    }
    assert too_long == {}, f"functions over {MAX_LINES} lines: {too_long}"


def test_every_exception_is_still_needed() -> None:
    lengths = function_lengths()
    stale = [name for name in EXCEPTIONS if lengths.get(name, 0) <= MAX_LINES]
    assert stale == [], f"short now (or gone); drop them from EXCEPTIONS: {stale}"


def test_the_walk_measures_nested_and_method_definitions(tmp_path: Path) -> None:
    source = "class A:\n    def f(self):\n        def g():\n            pass\n        return 1\n"
    lengths: dict[str, int] = {}
    _walk(ast.parse(source), "m.py", "", lengths)
    assert lengths == {"m.py:A.f": 4, "m.py:A.f.g": 2}
