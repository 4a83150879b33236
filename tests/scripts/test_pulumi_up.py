"""scripts/pulumi_up.sh: runs the real CLI with the policy pack, or says what is missing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "pulumi_up.sh"


def run(*args: str, path: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    clean.update({"PATH": path, "HOME": str(home), **env})
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, env=clean, timeout=30
    )


def test_without_cli_or_credentials_it_explains_and_exits_2(tmp_path: Path) -> None:
    result = run("staging", path="/usr/bin:/bin", home=tmp_path)
    assert result.returncode == 2
    assert "the Pulumi CLI" in result.stderr
    assert "AWS credentials" in result.stderr
    assert "make preview" in result.stderr


def test_unknown_stack_is_named(tmp_path: Path) -> None:
    result = run("qa", path="/usr/bin:/bin", home=tmp_path)
    assert result.returncode == 2
    assert "unknown stack 'qa'" in result.stderr
    assert "staging" in result.stderr


def test_with_cli_and_credentials_it_runs_pulumi_up_with_the_policy_pack(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "args.txt"
    fake = bin_dir / "pulumi"
    fake.write_text(f'#!/bin/sh\necho "$@" > {record}\n')
    fake.chmod(0o755)
    result = run(
        "prod",
        path=f"{bin_dir}:/usr/bin:/bin",
        home=tmp_path,
        AWS_ACCESS_KEY_ID="AKIAEXAMPLE",
        AWS_SECRET_ACCESS_KEY="example",
    )
    assert result.returncode == 0, result.stderr
    assert record.read_text().split() == [
        "up",
        "--stack",
        "prod",
        "--policy-pack",
        str(REPO / "policies"),
    ]
