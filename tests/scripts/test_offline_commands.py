"""hrmsctl preview / parity / report through the CLI, on the committed stacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from scripts.commands import parity, preview, report
from stacks.offline.plan import Plan

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()
    for module in (parity, preview, report):
        module.register(app)
    return app


@pytest.fixture(scope="module")
def staging_preview(cli: typer.Typer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("preview")
    result = CliRunner().invoke(
        cli,
        [
            "preview",
            "--stack",
            "staging",
            "--json",
            str(out / "plan" / "staging.json"),
            "--k8s-dir",
            str(out / "k8s"),
        ],
    )
    assert result.exit_code == 0, result.output
    (out / "output.txt").write_text(result.output)
    return out


def test_preview_writes_plan_tree_and_valid_manifests(staging_preview: Path) -> None:
    output = (staging_preview / "output.txt").read_text()
    plan = Plan.load(staging_preview / "plan" / "staging.json")
    assert plan.stack == "staging"
    assert plan.by_type("aws:eks/cluster:Cluster")
    # Short by default: a summary per stack, what was written, and the verdict last.
    lines = output.strip().splitlines()
    assert len(lines) <= 5, output
    assert lines[0].startswith(f"staging: {sum(plan.counts_by_type().values())} resources")
    assert lines[-1] == "PASS preview staging: plan recorded, Kubernetes objects valid"
    assert "resources by type" not in output
    assert "INVALID" not in output
    manifests = sorted((staging_preview / "k8s").glob("*.yaml"))
    kinds = {yaml.safe_load(p.read_text())["kind"] for p in manifests}
    assert {"Deployment", "Namespace", "Service"} <= kinds
    assert len(manifests) == len(
        [r for r in plan.resources if r.type.startswith("kubernetes:") and "kind" in r.inputs]
    )


def test_preview_verbose_prints_tree_and_counts(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["preview", "--stack", "staging", "--verbose"])
    assert result.exit_code == 0, result.output
    assert "hrms-staging" in result.output
    assert "resources by type" in result.output
    assert result.output.strip().splitlines()[-1].startswith("PASS preview staging")


def test_preview_rejects_unknown_stack(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["preview", "--stack", "qa"])
    assert result.exit_code == 2
    assert result.stderr.startswith("hrmsctl: error: unknown stack 'qa'")
    assert "staging" in result.stderr


def test_parity_passes_on_identical_plans(cli: typer.Typer, staging_preview: Path) -> None:
    path = staging_preview / "plan" / "staging.json"
    # No declarations: against the committed ones identical plans leave every entry stale.
    allowed = staging_preview / "none.yaml"
    allowed.write_text("allowed: []\n")
    result = CliRunner().invoke(
        cli,
        [
            "parity",
            "--allowed",
            str(allowed),
            "--staging",
            str(path),
            "--prod",
            str(path),
            "--json",
            str(staging_preview / "p.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "parity holds" in result.output
    assert json.loads((staging_preview / "p.json").read_text())["ok"] is True


def test_parity_fails_on_injected_undeclared_difference(
    cli: typer.Typer, staging_preview: Path, tmp_path: Path
) -> None:
    # The staging plan as prod would record it, plus one change nobody declared.
    text = (staging_preview / "plan" / "staging.json").read_text()
    data = json.loads(text.replace("staging", "prod"))
    for resource in data["resources"]:
        if resource["type"] == "aws:rds/instance:Instance":
            resource["inputs"]["storageEncrypted"] = False
    prod = tmp_path / "prod.json"
    prod.write_text(json.dumps(data))
    result = CliRunner().invoke(
        cli,
        [
            "parity",
            "--staging",
            str(staging_preview / "plan" / "staging.json"),
            "--prod",
            str(prod),
        ],
    )
    assert result.exit_code == 1
    assert "storageEncrypted" in result.output
    assert "UNDECLARED" in result.output
    assert "1 undeclared difference(s)" in result.output


def _prod_like(staging_preview: Path, tmp_path: Path, *, multi_az: bool) -> Path:
    """The staging plan as prod would record it, with the database's Multi-AZ flag set."""
    data = json.loads(
        (staging_preview / "plan" / "staging.json").read_text().replace("staging", "prod")
    )
    for resource in data["resources"]:
        if resource["type"] == "aws:rds/instance:Instance":
            resource["inputs"]["multiAz"] = multi_az
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(data))
    return path


def test_parity_default_output_is_the_signal_not_the_declared_rows(
    cli: typer.Typer, staging_preview: Path, tmp_path: Path
) -> None:
    prod = _prod_like(staging_preview, tmp_path, multi_az=True)
    allowed = tmp_path / "parity.yaml"
    allowed.write_text(
        "allowed:\n"
        "  - resource: 'aws:rds/instance:Instance::*'\n"
        "    property: multiAz\n"
        "    reason: Prod keeps a standby.\n"
        "  - resource: 'aws:sqs/queue:Queue::*'\n"
        "    property: '(resource)'\n"
        "    reason: Queue removed long ago.\n"
    )
    staging = str(staging_preview / "plan" / "staging.json")
    args = ["parity", "--staging", staging, "--prod", str(prod), "--allowed", str(allowed)]
    result = CliRunner().invoke(cli, [*args, "--json", str(tmp_path / "p.json")])
    # The stale declaration alone fails the run; nothing undeclared is listed.
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert "1 difference(s): 1 declared, 0 undeclared, 1 stale declaration(s)" in output
    assert output.endswith(
        "FAIL parity staging vs prod: 0 undeclared difference(s), 1 stale declaration(s); "
        "declare intended differences with a reason in stacks/parity.yaml and remove "
        "declarations that match nothing"
    )
    assert "Undeclared staging/prod differences" not in output
    assert "Prod keeps a standby." not in output
    assert "1 declared difference(s) not shown (--verbose)" in output
    # Stale declarations are listed: a pattern that matches nothing hides nothing.
    assert "Stale declarations" in output
    assert "aws:sqs/queue:Queue::*" in output
    # The JSON stays complete whatever the console shows.
    report = json.loads((tmp_path / "p.json").read_text())
    assert report["declaredCount"] == 1
    assert report["undeclaredCount"] == 0
    assert [d["property"] for d in report["differences"]] == ["multiAz"]
    assert report["differences"][0]["reason"] == "Prod keeps a standby."
    assert [u["resource"] for u in report["unusedDeclarations"]] == ["aws:sqs/queue:Queue::*"]
    assert report["ok"] is False

    shown = CliRunner().invoke(cli, [*args, "--show-declared"])
    assert shown.exit_code == 1, shown.output
    assert "Declared staging/prod differences" in shown.output
    assert "multiAz" in shown.output
    assert "Prod keeps a standby." in " ".join(shown.output.split())


def test_parity_failure_lists_only_undeclared_rows(
    cli: typer.Typer, staging_preview: Path, tmp_path: Path
) -> None:
    prod = _prod_like(staging_preview, tmp_path, multi_az=True)
    allowed = tmp_path / "parity.yaml"
    allowed.write_text(
        "allowed:\n  - resource: '*'\n    property: tags.CostCenter\n    reason: Billing.\n"
    )
    staging = str(staging_preview / "plan" / "staging.json")
    result = CliRunner().invoke(
        cli, ["parity", "--staging", staging, "--prod", str(prod), "--allowed", str(allowed)]
    )
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "Undeclared staging/prod differences" in output
    assert "multiAz" in output
    assert "UNDECLARED" in output
    assert "Declared staging/prod differences" not in output
    assert "1 undeclared" in output


def test_parity_rejects_declaration_without_reason(
    cli: typer.Typer, staging_preview: Path, tmp_path: Path
) -> None:
    allowed = tmp_path / "parity.yaml"
    allowed.write_text("allowed:\n  - resource: '*'\n    property: multiAz\n")
    path = str(staging_preview / "plan" / "staging.json")
    result = CliRunner().invoke(
        cli, ["parity", "--staging", path, "--prod", path, "--allowed", str(allowed)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("hrmsctl: error: ")
    assert "has no reason" in result.stderr
    assert result.stderr.rstrip().endswith(f"({allowed})")


def test_parity_names_a_missing_plan(cli: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["parity", "--staging", str(tmp_path / "a.json"), "--prod", str(tmp_path / "b.json")]
    )
    assert result.exit_code == 2
    assert "a.json" in result.output


def test_report_renders_from_saved_plans(cli: typer.Typer, staging_preview: Path) -> None:
    out = staging_preview / "report"
    result = CliRunner().invoke(
        cli, ["report", "--plans", str(staging_preview / "plan"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text()
    assert 'id="stack-staging"' in html
    assert "Parity needs both a staging and a prod plan." in html


def test_parity_and_report_find_the_plans_make_preview_wrote(
    cli: typer.Typer, staging_preview: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plans = tmp_path / "build" / "plan"
    plans.mkdir(parents=True)
    (plans / "staging.json").write_text((staging_preview / "plan" / "staging.json").read_text())
    monkeypatch.chdir(tmp_path)
    missing = CliRunner().invoke(cli, ["parity"])
    assert missing.exit_code == 2
    assert missing.stderr.strip() == (
        "hrmsctl: error: no prod plan at build/plan/prod.json; run `make preview` or pass its "
        "path (build/plan/prod.json)"
    )
    _prod_like(staging_preview, plans, multi_az=False)
    result = CliRunner().invoke(cli, ["parity", "--allowed", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2  # the declarations file is missing: named, not a traceback
    (tmp_path / "none.yaml").write_text("allowed: []\n")
    result = CliRunner().invoke(cli, ["parity", "--allowed", str(tmp_path / "none.yaml")])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("PASS parity staging vs prod")
    report = CliRunner().invoke(cli, ["report"])
    assert report.exit_code == 0, report.output
    assert (tmp_path / "build" / "report" / "index.html").is_file()
    # Without policy and acceptance results the verdict cannot be a pass.
    assert report.output.strip().splitlines()[-1].startswith("FAIL preview:")


def test_parity_prints_whole_values_and_annotations_in_ci(
    cli: typer.Typer, staging_preview: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_value = "x" * 150 + "-end-of-value"
    data = json.loads(
        (staging_preview / "plan" / "staging.json").read_text().replace("staging", "prod")
    )
    for resource in data["resources"]:
        if resource["type"] == "aws:rds/instance:Instance":
            resource["inputs"]["performanceInsightsKmsKeyId"] = long_value
    prod = tmp_path / "prod.json"
    prod.write_text(json.dumps(data))
    (tmp_path / "none.yaml").write_text("allowed: []\n")
    staging = str(staging_preview / "plan" / "staging.json")
    args = ["parity", "--staging", staging, "--prod", str(prod), "--allowed"]
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = CliRunner().invoke(cli, [*args, str(tmp_path / "none.yaml")])
    assert result.exit_code == 1
    # Not a terminal: the value is folded over lines, never cut with an ellipsis.
    assert long_value in "".join(result.output.replace("│", "").split())
    assert "…" not in result.output
    annotations = [line for line in result.output.splitlines() if line.startswith("::error ")]
    assert len(annotations) == 1
    assert annotations[0].startswith(
        "::error file=stacks/parity.yaml,title=parity%3A undeclared difference::"
    )
    assert long_value in annotations[0]
    monkeypatch.delenv("GITHUB_ACTIONS")
    quiet = CliRunner().invoke(cli, [*args, str(tmp_path / "none.yaml")])
    assert "::error" not in quiet.output
