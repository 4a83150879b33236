"""Findings as GitHub Actions workflow commands, so they show on the pull request's files.

Printed only when ``GITHUB_ACTIONS=true`` (set by the runner), one line per finding:
``::error file=Pulumi.prod.yaml,line=12,title=acceptance rds-instance-class::message``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def in_github_actions(env: Mapping[str, str] | None = None) -> bool:
    return (os.environ if env is None else env).get("GITHUB_ACTIONS") == "true"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(
    message: str,
    *,
    title: str,
    file: str | None = None,
    line: int | None = None,
    level: str = "error",
) -> str:
    """One workflow command line; properties and message escaped as the runner expects."""
    props = []
    if file:
        props.append(f"file={_escape_property(file)}")
        if line:
            props.append(f"line={line}")
    props.append(f"title={_escape_property(title)}")
    return f"::{level} {','.join(props)}::{_escape_data(message)}"


def emit(lines: list[str]) -> None:
    """Print the annotations when running in GitHub Actions; nothing anywhere else."""
    if in_github_actions():
        for line in lines:
            print(line, flush=True)


def stack_file(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def config_key_line(stack: str, key: str | None, root: Path = REPO_ROOT) -> int | None:
    """The line of the stack file that sets ``key`` (``hrms:database.instanceClass``), if found.

    Finds the section line, then the first line under it naming the key's last part.
    """
    if not key:
        return None
    path = root / stack_file(stack)
    if not path.is_file():
        return None
    section, _, rest = key.partition(".")
    wanted = [section, *[p for p in rest.split(".") if p]]
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    found: int | None = None
    for part in wanted:
        pattern = re.compile(rf"^\s*['\"]?{re.escape(part)}['\"]?\s*:")
        for number in range(index, len(lines)):
            if pattern.match(lines[number]):
                found, index = number + 1, number + 1
                break
        else:
            return found
    return found


def rule_file(rule: str) -> str:
    """The policy module that defines ``rule`` (where an auditor reads it)."""
    from policies.registry import all_policies

    for policy in all_policies():
        if policy.name == rule:
            # Resource rules keep their check in _check; StackValidationPolicy in a mangled name.
            for attr in ("_check", "_StackValidationPolicy__validate"):
                module = getattr(getattr(policy, attr, None), "__module__", "") or ""
                if module.startswith("policies.") and module != "policies.common":
                    return module.replace(".", "/") + ".py"
    return "policies/registry.py"
