"""hrmsctl promote through a stand-in Pulumi CLI: success, dry run, and a failure at every step."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from scripts.deploy.pulumi_cli import policy_pack_args
from scripts.local_services.postgres import free_port
from scripts.ops.aws import Account
from scripts.ops.promote import DIGEST_KEY, Promotion, PromotionRecord
from scripts.ops.pulumi_cli import PulumiCli
from scripts.ops.verify import CheckResult, VerifyReport

pytestmark = pytest.mark.ops

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
NEW = "sha256:" + "a" * 64
OLD = "sha256:" + "b" * 64
STAGING_URL = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hrms-staging/app"
PROD_URL = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/hrms-prod/app"


@pytest.fixture(scope="module")
def registries() -> Iterator[tuple[Account, Account]]:
    """Two registries on moto's server: staging's (eu-west-1) and prod's (eu-central-1)."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    staging = Account(region="eu-west-1", endpoint_url=endpoint)
    prod = Account(region="eu-central-1", endpoint_url=endpoint)
    staging.client("ecr").create_repository(repositoryName="hrms-staging/app")
    prod.client("ecr").create_repository(repositoryName="hrms-prod/app")
    for digest in (NEW, OLD):
        staging.client("ecr").put_image(
            repositoryName="hrms-staging/app",
            imageManifest=json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"digest": digest},
                    "layers": [],
                }
            ),
            imageDigest=digest,
            imageTag=digest[7:15],
        )
    try:
        yield staging, prod
    finally:
        server.stop()


@pytest.fixture
def pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The stand-in on PATH; returns its scenario file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "pulumi"
    exe.write_text(
        f"#!{sys.executable}\nimport runpy, sys\nsys.argv[0] = 'pulumi'\n"
        f"runpy.run_path({str(HERE / 'standin_pulumi.py')!r}, run_name='__main__')\n"
    )
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    scenario = tmp_path / "scenario.json"
    scenario.write_text(
        json.dumps(
            {
                "outputs": {
                    "staging": {"ecrRepositoryUrl": STAGING_URL},
                    "prod": {"ecrRepositoryUrl": PROD_URL},
                },
                "deployed": {"staging": NEW, "prod": OLD},
                "config": {"staging": NEW, "prod": OLD},
                "fail": [],
                "calls": [],
            }
        )
    )
    monkeypatch.setenv("STANDIN_SCENARIO", str(scenario))
    return scenario


def scenario(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def set_fail(path: Path, *fail: str) -> None:
    data = scenario(path)
    data["fail"] = list(fail)
    path.write_text(json.dumps(data))


def verify_record(tmp_path: Path, *, digest: str = NEW, passed: bool = True) -> Path:
    path = tmp_path / "verify-staging.json"
    status = "pass" if passed else "fail"
    path.write_text(
        json.dumps(
            {
                "stack": "staging",
                "digest": digest,
                "passed": passed,
                "checks": [{"name": "rds-pitr-enabled", "status": status, "detail": ""}],
            }
        )
    )
    return path


def report(passed: bool) -> VerifyReport:
    status = "pass" if passed else "fail"
    return VerifyReport(
        stack="prod",
        digest=NEW,
        results=(CheckResult(name="alarms-not-in-alarm", status=status, detail="x"),),
    )


def promotion(
    registries: tuple[Account, Account],
    record: Path,
    *,
    dry_run: bool = False,
    verify_passes: bool = True,
) -> Promotion:
    staging, prod = registries
    return Promotion(
        source="staging",
        target="prod",
        cli=PulumiCli(),
        verifier=lambda stack: report(verify_passes),
        source_account=staging,
        target_account=prod,
        verify_record=record,
        dry_run=dry_run,
    )


def engine_calls(path: Path) -> list[list[str]]:
    """The calls that change or preview the target (reads left out)."""
    return [c for c in scenario(path)["calls"] if c[0] in {"config", "preview", "up"}]


def prod_has(registries: tuple[Account, Account], digest: str) -> bool:
    images = (
        registries[1]
        .client("ecr")
        .batch_get_image(repositoryName="hrms-prod/app", imageIds=[{"imageDigest": digest}])[
            "images"
        ]
    )
    return bool(images)


def delete_from_prod(registries: tuple[Account, Account], digest: str) -> None:
    registries[1].client("ecr").batch_delete_image(
        repositoryName="hrms-prod/app", imageIds=[{"imageDigest": digest}]
    )


def test_success_copies_by_digest_previews_with_policy_pack_deploys_and_verifies(
    registries: tuple[Account, Account], pulumi: Path, tmp_path: Path
) -> None:
    delete_from_prod(registries, NEW)
    record = promotion(registries, verify_record(tmp_path)).run()
    assert record.outcome == "promoted", record.to_dict()
    assert prod_has(registries, NEW)
    assert scenario(pulumi)["deployed"]["prod"] == NEW
    calls = engine_calls(pulumi)
    assert calls[0][:5] == ["config", "set", "--path", DIGEST_KEY, NEW]
    # The same pack and per-stack policy config `make preview` evaluates and `make up` enforces.
    policy = policy_pack_args("prod")
    assert policy[-1].endswith("policies/config/prod.json")
    assert calls[1][: 3 + len(policy)] == ["preview", "--stack", "prod", *policy]
    assert calls[2][: 3 + len(policy)] == ["up", "--stack", "prod", *policy]
    assert len(calls) == 3
    data = record.to_dict()
    assert data["what"] == {"digest": NEW, "previous_digest": OLD}
    assert data["from"] == "staging"
    assert data["to"] == "prod"
    assert data["who"]
    assert data["verify"]["passed"] is True
    path = record.write(tmp_path / "promotions")
    assert json.loads(path.read_text())["outcome"] == "promoted"


def test_dry_run_changes_nothing(
    registries: tuple[Account, Account], pulumi: Path, tmp_path: Path
) -> None:
    delete_from_prod(registries, NEW)
    record = promotion(registries, verify_record(tmp_path), dry_run=True).run()
    assert record.outcome == "dry-run"
    assert "would copy" in json.dumps(record.steps)
    assert engine_calls(pulumi) == []
    assert not prod_has(registries, NEW)


REFUSALS = {
    "no-verify-record": ({"record": None}, "no verify record"),
    "verify-record-other-digest": ({"record": OLD}, "verify again"),
    "verify-record-failed": ({"record": NEW, "passed": False}, "did not pass"),
    "source-outputs-unreadable": ({"fail": ["output:staging"]}, "cannot read staging"),
    "target-outputs-unreadable": ({"fail": ["output:prod"]}, "cannot read prod"),
    "config-set-fails": ({"fail": ["config"]}, "cannot set"),
    "preview-fails": ({"fail": ["preview"]}, "preview of prod failed"),
}


@pytest.mark.parametrize("case", list(REFUSALS), ids=list(REFUSALS))
def test_failures_before_up_refuse_and_leave_prod_as_it_was(
    case: str, registries: tuple[Account, Account], pulumi: Path, tmp_path: Path
) -> None:
    spec, message = REFUSALS[case]
    set_fail(pulumi, *spec.get("fail", []))
    record_path = (
        tmp_path / "missing.json"
        if "record" in spec and spec["record"] is None
        else verify_record(
            tmp_path, digest=spec.get("record") or NEW, passed=spec.get("passed", True)
        )
    )
    record = promotion(registries, record_path).run()
    assert record.outcome == "refused", record.to_dict()
    assert message in record.reason
    state = scenario(pulumi)
    assert state["deployed"]["prod"] == OLD
    assert state["config"]["prod"] == OLD  # restored where it had been set
    assert not [c for c in state["calls"] if c[0] == "up"]


def test_image_in_neither_registry_is_refused(
    registries: tuple[Account, Account], pulumi: Path, tmp_path: Path
) -> None:
    missing = "sha256:" + "c" * 64
    data = scenario(pulumi)
    data["deployed"]["staging"] = missing
    pulumi.write_text(json.dumps(data))
    record = promotion(registries, verify_record(tmp_path, digest=missing)).run()
    assert record.outcome == "refused"
    assert "in neither" in record.reason
    assert engine_calls(pulumi) == []


@pytest.mark.parametrize(
    ("fail", "verify_passes", "why"),
    [(["up:1"], True, "up of prod failed"), ([], False, "verify of prod failed")],
    ids=["up-fails", "verify-fails"],
)
def test_failures_from_up_on_roll_back_to_the_previous_digest(
    fail: list[str],
    verify_passes: bool,
    why: str,
    registries: tuple[Account, Account],
    pulumi: Path,
    tmp_path: Path,
) -> None:
    set_fail(pulumi, *fail)
    record = promotion(registries, verify_record(tmp_path), verify_passes=verify_passes).run()
    assert record.outcome == "rolled-back", record.to_dict()
    assert why in record.reason
    assert f"rolled back to {OLD}" in record.reason
    state = scenario(pulumi)
    assert state["deployed"]["prod"] == OLD
    assert state["config"]["prod"] == OLD
    assert [c[0] for c in state["calls"] if c[0] == "up"] == ["up", "up"]


def test_a_failed_rollback_says_so_loudly(
    registries: tuple[Account, Account], pulumi: Path, tmp_path: Path
) -> None:
    set_fail(pulumi, "up:1", "up:2")
    record: PromotionRecord = promotion(registries, verify_record(tmp_path)).run()
    assert record.outcome == "rollback-failed"
    assert "ROLLBACK TO" in record.reason
    assert "needs a person" in record.reason


def test_already_running_the_digest_is_a_no_op(
    registries: tuple[Account, Account], pulumi: Path, tmp_path: Path
) -> None:
    data = scenario(pulumi)
    data["deployed"]["prod"] = NEW
    pulumi.write_text(json.dumps(data))
    record = promotion(registries, verify_record(tmp_path)).run()
    assert record.outcome == "unchanged"
    assert engine_calls(pulumi) == []


def test_cli_is_a_dry_run_unless_told_and_writes_a_record(pulumi: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.hrmsctl",
            "promote",
            "--from",
            "staging",
            "--to",
            "prod",
            "--verify-record",
            str(tmp_path / "none.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "dry run" in result.stdout
    assert "refused: no verify record" in result.stderr
    assert "promotion record written to" in result.stdout
