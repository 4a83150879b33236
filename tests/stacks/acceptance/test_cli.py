"""hrmsctl accept on a saved plan: exit 0 when accepted, 1 with key, rule and source when not;
the report shows the findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from scripts.commands import accept, report
from stacks.offline.plan import Plan
from tests.stacks.acceptance.test_validators import mutated

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()
    for module in (accept, report):
        module.register(app)
    return app


def test_accept_passes_the_committed_plan(
    cli: typer.Typer, committed_plans: dict[str, Plan], tmp_path: Path
) -> None:
    plan = committed_plans["staging"].write(tmp_path / "plan" / "staging.json")
    out = tmp_path / "acceptance" / "staging.json"
    result = CliRunner().invoke(
        cli, ["accept", "--stack", "staging", "--plan", str(plan), "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "acceptance staging: 0 finding(s) from" in result.output
    assert result.output.splitlines()[-1].startswith("PASS acceptance")
    assert json.loads(out.read_text())["findings"] == []


def test_accept_fails_naming_key_rule_and_source(
    cli: typer.Typer, committed_plans: dict[str, Plan], tmp_path: Path
) -> None:
    bad = mutated(
        committed_plans["staging"],
        "aws:cloudwatch/logGroup:LogGroup",
        "-network-flow-logs",
        "retentionInDays",
        31,
    )
    plan = bad.write(tmp_path / "plan" / "staging.json")
    out = tmp_path / "acceptance" / "staging.json"
    result = CliRunner().invoke(
        cli, ["accept", "--stack", "staging", "--plan", str(plan), "--json", str(out)]
    )
    assert result.exit_code == 1
    written = json.loads(out.read_text())["findings"]
    # The plan was edited, not the stack file, so no config key holds 31 (the corpus covers
    # keys: tests/stacks/acceptance/test_corpus.py).
    assert [(f["rule"], f["configKey"], f["value"]) for f in written] == [
        ("logs-retention-value", None, 31)
    ]
    assert "PutRetentionPolicy" in written[0]["source"]
    shown = result.output.replace("\n", " ")
    assert "logs-retention-value" in shown
    assert "hrms-staging-network-flow-logs" in shown
    index = tmp_path / "report"
    rendered = CliRunner().invoke(
        cli, ["report", "--plans", str(tmp_path / "plan"), "--out", str(index)]
    )
    assert rendered.exit_code == 0, rendered.output
    html = (index / "index.html").read_text()
    assert "AWS and Kubernetes acceptance" in html
    assert "logs-retention-value" in html


def test_accept_refuses_a_plan_of_another_stack(
    cli: typer.Typer, committed_plans: dict[str, Plan], tmp_path: Path
) -> None:
    plan = committed_plans["prod"].write(tmp_path / "prod.json")
    result = CliRunner().invoke(cli, ["accept", "--stack", "staging", "--plan", str(plan)])
    assert result.exit_code == 2
