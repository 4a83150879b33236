"""Every ``manage.py tenant`` command in the docs parses with the real command's parser."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from app.tenants.management.commands.tenant import Command

ROOT = Path(__file__).resolve().parents[2]
PROCEDURES = ("onboarding", "tier-change", "offboarding")


def documented_commands() -> list[str]:
    found = []
    for page in [*sorted((ROOT / "docs" / "runbooks").glob("*.md")), ROOT / "README.md"]:
        text = page.read_text(encoding="utf-8").replace("\\\n", " ")
        for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL):
            for line in block.splitlines():
                if "manage.py tenant " in line:
                    found.append(line.split("manage.py tenant ", 1)[1].split("#", 1)[0])
    return found


def test_the_runbook_has_the_procedures() -> None:
    text = (ROOT / "docs" / "runbooks" / "tenants.md").read_text(encoding="utf-8")
    for anchor in PROCEDURES:
        assert f'<a id="{anchor}"></a>' in text
    for sub in (
        "onboard",
        "change-tier",
        "suspend",
        "resume",
        "issue-key",
        "revoke-key",
        "issue-token",
        "offboard",
    ):
        assert f"manage.py tenant {sub} " in text, sub


@pytest.mark.parametrize("line", documented_commands())
def test_documented_command_parses(line: str) -> None:
    parser = Command().create_parser("manage.py", "tenant")
    parser.parse_args(shlex.split(line))
