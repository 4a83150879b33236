"""GitHub Actions workflows: schema-valid, pinned by SHA, least privilege, deploys serialised."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.ci.summary import summary

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return dict(data)


def test_the_four_pipelines_exist() -> None:
    assert {p.stem for p in WORKFLOWS} == {"pull-request", "main", "promote", "drift"}


def test_every_workflow_passes_the_github_workflow_schema() -> None:
    # The schema ships inside the check-jsonschema wheel: this runs offline.
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, WORKFLOWS),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz: []\n")
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(bad),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_actions_are_pinned_by_full_commit_sha(path: Path) -> None:
    uses = [
        step["uses"]
        for job in load(path)["jobs"].values()
        for step in job.get("steps", [])
        if "uses" in step
    ]
    assert uses
    assert [u for u in uses if not PINNED.match(u)] == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_permissions_are_least_privilege(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}
    for job in workflow["jobs"].values():
        perms = job.get("permissions", {})
        assert "write-all" not in json.dumps(perms)
        assert set(perms) <= {"contents", "id-token", "issues", "actions"}
        assert perms.get("contents", "read") == "read"


def test_aws_access_is_oidc_only() -> None:
    for path in WORKFLOWS:
        text = path.read_text()
        assert "aws-access-key-id" not in text
        assert "AWS_SECRET_ACCESS_KEY" not in text
        for job in load(path)["jobs"].values():
            steps = [
                s for s in job.get("steps", []) if "configure-aws-credentials" in s.get("uses", "")
            ]
            for step in steps:
                assert "role-to-assume" in step["with"]
                assert job["permissions"]["id-token"] == "write"


def test_deploys_of_a_stack_never_overlap() -> None:
    groups = {}
    for path in WORKFLOWS:
        for name, job in load(path)["jobs"].items():
            concurrency = job.get("concurrency")
            if concurrency:
                groups[f"{path.stem}.{name}"] = concurrency
    assert groups["main.deploy-staging"] == {"group": "deploy-staging", "cancel-in-progress": False}
    assert groups["promote.promote"] == {"group": "deploy-prod", "cancel-in-progress": False}
    assert groups["drift.drift"]["group"] == "deploy-${{ matrix.stack }}"


def test_promotion_needs_the_protected_environment_and_says_yes_explicitly() -> None:
    workflow = load(REPO / ".github/workflows/promote.yml")
    job = workflow["jobs"]["promote"]
    assert job["environment"] == "production"
    assert set(workflow["on"]) == {"workflow_dispatch", "push"}
    run = " ".join(s.get("run", "") for s in job["steps"])
    assert "hrmsctl promote --from staging --to prod --yes" in run


def test_main_builds_once_and_deploys_staging_by_digest() -> None:
    jobs = load(REPO / ".github/workflows/main.yml")["jobs"]
    assert jobs["deploy-staging"]["needs"] == "image"
    run = " ".join(s.get("run", "") for s in jobs["deploy-staging"]["steps"])
    assert "needs.image.outputs.digest" in json.dumps(jobs["deploy-staging"])
    assert "make up STACK=staging" in run
    assert "hrmsctl verify --stack staging" in run


def test_drift_checks_both_stacks_and_reports_an_issue() -> None:
    job = load(REPO / ".github/workflows/drift.yml")["jobs"]["drift"]
    assert job["strategy"]["matrix"]["stack"] == ["staging", "prod"]
    text = json.dumps(job)
    assert "--expect-no-changes" in text
    assert "gh issue create" in text
    assert "gh issue comment" in text


def test_summary_fails_on_a_mandatory_violation(tmp_path: Path) -> None:
    (tmp_path / "policy").mkdir()
    for stack, count in (("staging", 0), ("prod", 1)):
        (tmp_path / "policy" / f"{stack}.json").write_text(
            json.dumps(
                {
                    "summary": {
                        "rules": 5,
                        "mandatory_violations": count,
                        "advisory_violations": 0,
                    },
                    "violations": [{"rule": "rds-deletion-protection", "message": "off"}] * count,
                }
            )
        )
    (tmp_path / "parity.json").write_text(
        json.dumps({"ok": True, "undeclaredCount": 0, "resourcesCompared": 9})
    )
    text, passed = summary(tmp_path)
    assert not passed
    assert "rds-deletion-protection" in text
    assert "**FAIL**" in text
