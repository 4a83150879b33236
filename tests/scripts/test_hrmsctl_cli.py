"""hrmsctl as a user meets it: --version, one error format, policy's short output and the
GitHub Actions annotations."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest

from scripts.commands.annotations import annotation, config_key_line, rule_file
from scripts.commands.errors import format_error
from scripts.hrmsctl import run
from tests.policies.plans import baseline


def test_version_names_hrmsctl_and_the_pulumi_sdks(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith(f"hrmsctl {metadata.version('hrms-platform')} (")
    for dist in ("pulumi", "pulumi-aws", "pulumi-kubernetes", "pulumi-policy"):
        assert f"{dist} {metadata.version(dist)}" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["policy", "--xyzzy"],
            "hrmsctl: error: No such option: --xyzzy (see `hrmsctl policy --help`)",
        ),
        (["nosuch"], "hrmsctl: error: No such command 'nosuch'. (see `hrmsctl --help`)"),
        (
            ["parity", "--staging", "/nonexistent/a.json", "--prod", "/nonexistent/b.json"],
            "hrmsctl: error: no staging plan at /nonexistent/a.json; run `make preview` or check "
            "the path (/nonexistent/a.json)",
        ),
    ],
)
def test_usage_errors_share_one_format_and_exit_two(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == message
    assert "Traceback" not in captured.err


def test_error_format_keeps_one_line() -> None:
    assert format_error("bad\n  value", "Pulumi.prod.yaml") == (
        "hrmsctl: error: bad value (Pulumi.prod.yaml)"
    )


@pytest.mark.policy
def test_policy_prints_a_summary_per_stack_and_the_verdict_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plans = tmp_path / "build" / "plan"
    plans.mkdir(parents=True)
    for stack in ("staging", "prod"):
        (plans / f"{stack}.json").write_text(json.dumps(baseline(stack)))
    monkeypatch.chdir(tmp_path)
    assert run(["policy"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith("staging: ")
    assert "not applicable here" in lines[0]
    assert lines[1].startswith("prod: ")
    assert (
        lines[2] == "PASS policy staging, prod: mandatory violations per stack: staging 0, prod 0"
    )
    assert run(["policy", "--stack", "staging", "--verbose"]) == 0
    verbose = " ".join(capsys.readouterr().out.split())
    assert "rds-multi-az │ not-applicable │ 1 │ Multi-AZ is not required on this stack" in verbose


@pytest.mark.policy
def test_policy_violations_become_github_annotations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = baseline("prod")
    for resource in plan["resources"]:
        if resource["type"] == "aws:rds/instance:Instance":
            resource["inputs"]["multiAz"] = False
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(plan))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert run(["policy", "--stack", "prod", "--plan", str(path)]) == 1
    out = capsys.readouterr().out
    notes = [line for line in out.splitlines() if line.startswith("::")]
    assert len(notes) == 1
    assert notes[0].startswith(
        "::error file=policies/database.py,title=policy rds-multi-az (prod%2C mandatory)::"
    )
    assert notes[0].endswith("Fix: Set multi_az=True.")
    assert out.strip().splitlines()[-1].startswith("FAIL policy prod:")


def test_annotation_escaping_and_locations() -> None:
    assert annotation("50% of\nit", title="a: b, c", file="x.yaml", line=3) == (
        "::error file=x.yaml,line=3,title=a%3A b%2C c::50%25 of%0Ait"
    )
    assert rule_file("apigw-no-root-proxy") == "policies/edge.py"  # a stack rule
    assert rule_file("rds-multi-az") == "policies/database.py"
    line = config_key_line("prod", "hrms:database.instanceClass")
    assert line is not None
    text = Path("Pulumi.prod.yaml").read_text().splitlines()[line - 1]
    assert text.strip().startswith("instanceClass:")
