"""mypy follows only part of pulumi_aws and pulumi_kubernetes (pyproject.toml); nothing the
checked code uses, directly or through the packages it uses, may fall outside that part."""

from __future__ import annotations

import ast
import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("infra", "stacks", "policies", "scripts", "app")  # as `make lint` runs mypy
PROVIDERS = ("pulumi_aws", "pulumi_kubernetes")


def followed() -> set[str]:
    """Module patterns mypy follows normally, from pyproject's overrides."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    found: set[str] = set()
    for override in config["overrides"]:
        if override.get("follow_imports") == "normal":
            found.update(override["module"])
    return found


def is_followed(module: str, patterns: set[str]) -> bool:
    parts = module.split(".")
    return module in patterns or any(
        ".".join(parts[:n]) + ".*" in patterns for n in range(2, len(parts) + 1)
    )


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None
    assert spec.origin is not None
    return Path(spec.origin).parent


def subpackages(provider: str) -> set[str]:
    return {p.name for p in package_dir(provider).iterdir() if (p / "__init__.py").exists()}


def used_subpackages(provider: str) -> set[str]:
    """``aws.ec2`` / ``import pulumi_aws.ec2`` / ``from pulumi_aws import ec2`` in checked code."""
    subs, used = subpackages(provider), set()
    for path in (p for d in CHECKED for p in (ROOT / d).rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        aliases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    if parts[0] == provider:
                        aliases.add(alias.asname or provider)
                        used.update(parts[1:2])
            elif isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                if parts[0] == provider:
                    used.update(parts[1:2] or [a.name for a in node.names])
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                used.add(node.attr)
    return used & subs


def reached_subpackages(provider: str, start: set[str]) -> set[str]:
    """``start`` and every sibling package their modules import (``from ... import core``)."""
    root, subs = package_dir(provider), subpackages(provider)
    reached, todo = set(), set(start)
    while todo:
        name = todo.pop()
        reached.add(name)
        for path in (root / name).rglob("*.py"):
            to_root = len(path.relative_to(root).parts) - (path.name == "__init__.py")
            text = path.read_text()
            for dots, target in re.findall(r"^\s*from (\.+) import (\w+)", text, re.M):
                if len(dots) == to_root and target in subs and target not in reached:
                    todo.add(target)
    return reached


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_package_the_code_reaches_is_type_checked(provider: str) -> None:
    used = used_subpackages(provider)
    assert {"pulumi_aws": "ec2", "pulumi_kubernetes": "core"}[provider] in used  # the scan works
    patterns = followed()
    missing = {
        f"{provider}.{name}.*"
        for name in reached_subpackages(provider, used)
        if not is_followed(f"{provider}.{name}", patterns)
    }
    assert missing == set(), "add to the follow_imports = normal override in pyproject.toml"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_top_level_module_is_type_checked(provider: str) -> None:
    patterns = followed()
    assert f"{provider}.*" not in patterns
    modules = {provider} | {
        f"{provider}.{p.stem}" for p in package_dir(provider).glob("*.py") if p.stem != "__init__"
    }
    assert {m for m in modules if not is_followed(m, patterns)} == set()
