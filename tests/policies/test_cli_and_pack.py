"""``hrmsctl policy`` end to end, and the real PolicyPack served over gRPC as the CLI runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from typer.testing import CliRunner

from policies.registry import all_policies
from scripts.hrmsctl import _register_all, app
from tests.policies.plans import Mutation, baseline, mutate

pytestmark = pytest.mark.policy
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cli() -> CliRunner:
    _register_all()
    return CliRunner()


def _flat(text: str) -> str:
    # Rich wraps long lines at the runner's terminal width.
    return " ".join(text.split())


def _write(tmp_path: Path, plan: dict[str, Any]) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


def test_clean_plan_exits_zero_and_writes_the_auditor_json(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "policy" / "prod.json"
    plan = _write(tmp_path, baseline("prod"))
    result = cli.invoke(app, ["policy", "--stack", "prod", "--plan", str(plan), "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["stack"] == "prod"
    assert data["violations"] == []
    assert {r["name"] for r in data["rules"]} == {p.name for p in all_policies()}
    rule = next(r for r in data["rules"] if r["name"] == "rds-storage-encrypted-cmk")
    assert rule["enforcement"] == "mandatory"
    assert rule["severity"] == "critical"
    assert rule["frameworks"] == ["CIS 2.3.1", "SOC 2 CC6.1"]
    assert rule["resources_checked"] == 1
    assert rule["status"] == "pass"


def test_mandatory_violation_exits_one_with_urn(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "v.json"
    bad = mutate(baseline("staging"), Mutation("rds-not-public", "db", "publiclyAccessible", True))
    plan = _write(tmp_path, bad)
    result = cli.invoke(
        app, ["policy", "--stack", "staging", "--plan", str(plan), "--json", str(out)]
    )
    assert result.exit_code == 1
    assert "rds-not-public" in result.output
    (violation,) = json.loads(out.read_text())["violations"]
    assert violation["urn"].endswith("aws:rds/instance:Instance::db")
    assert violation["enforcement"] == "mandatory"


def test_bad_inputs_exit_two_with_a_reason(cli: CliRunner, tmp_path: Path) -> None:
    plan = _write(tmp_path, baseline("prod"))
    result = cli.invoke(app, ["policy", "--stack", "qa", "--plan", str(plan)])
    assert result.exit_code == 2
    assert "unknown stack 'qa'" in _flat(result.output)
    result = cli.invoke(app, ["policy", "--stack", "staging", "--plan", str(plan)])
    assert result.exit_code == 2
    assert "is for stack 'prod'" in _flat(result.output)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = cli.invoke(app, ["policy", "--stack", "prod", "--plan", str(broken)])
    assert result.exit_code == 2
    assert "not valid JSON" in _flat(result.output)


@pytest.fixture
def served_pack(tmp_path: Path) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    # Run __main__.py by path from elsewhere, as the Pulumi CLI's policy host does.
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "policies" / "__main__.py")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=20)
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_pack_serves_the_same_rules_and_verdicts(
    served_pack: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    info = served_pack.GetAnalyzerInfo(empty_pb2.Empty(), timeout=20)
    assert info.name == "hrms-platform"
    assert sorted(p.name for p in info.policies) == sorted(p.name for p in all_policies())
    db = next(r for r in baseline("prod")["resources"] if r["name"] == "db")
    props = struct_pb2.Struct()
    props.update({**db["inputs"], "publiclyAccessible": True})
    response = served_pack.Analyze(
        analyzer_pb2.AnalyzeRequest(type=db["type"], properties=props, urn=db["urn"], name="db"),
        timeout=20,
    )
    assert [d.policyName for d in response.diagnostics] == ["rds-not-public"]


def test_json_shape_and_advisory_only_exit_zero(cli: CliRunner, tmp_path: Path) -> None:
    # An input unknown during preview: the engine reports "can't run" as advisory, no failure.
    out = tmp_path / "v.json"
    unknown = Mutation("rds-not-public", "db", "publiclyAccessible", "[unknown]")
    plan = _write(tmp_path, mutate(baseline("prod"), unknown))
    result = cli.invoke(app, ["policy", "--stack", "prod", "--plan", str(plan), "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    for rule in data["rules"]:
        assert {"name", "enforcement", "severity", "frameworks"} <= set(rule)
        assert rule["enforcement"] in {"mandatory", "advisory", "remediate", "disabled"}
        assert rule["frameworks"]
        assert all(isinstance(f, str) for f in rule["frameworks"])
    (violation,) = data["violations"]
    assert {"rule", "urn", "message", "enforcement"} <= set(violation)
    assert violation["rule"] == "rds-not-public"
    assert violation["enforcement"] == "advisory"
    assert violation["urn"].endswith("::db")
    assert "can't run policy 'rds-not-public'" in violation["message"]
