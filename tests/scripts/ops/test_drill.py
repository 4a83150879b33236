"""Restore drills on the sandbox (moto's RDS), data checks on the suite's real PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from django.db import connection

from scripts.local_services.postgres import free_port
from scripts.ops.backup import BackupTarget, Database, run_backup
from scripts.ops.backup_status import backup_status, publish
from scripts.ops.drill import (
    DrillHooks,
    restore_request,
    run_drill,
    upload_evidence,
    write_evidence,
)
from scripts.ops.sandbox import SandboxState
from stacks import outputs as keys
from tests.app.factories import build_tenant
from tests.docs.test_restore_command import REQUIRED
from tests.fixtures.postgres_server import BACKUP_ROLE, SuitePostgres

REPO = Path(__file__).resolve().parents[3]
HRMSCTL = str(Path(sys.executable).parent / "hrmsctl")
# The runbook's restore keeps its copy; a drill deletes its own, and measures restore alone.
DRILL_OMITS = {"--deletion-protection", "--no-publicly-accessible"}


def test_the_drill_restores_with_the_runbooks_options_the_api_accepts() -> None:
    model = botocore.session.get_session().get_service_model("rds")
    members = model.operation_model("RestoreDBInstanceToPointInTime").input_shape.members
    outputs = {
        keys.DB_SUBNET_GROUP_NAME: "subnets",
        keys.DB_SECURITY_GROUP_ID: "sg-1",
        keys.DB_PARAMETER_GROUP_NAME: "params",
        keys.DB_KMS_KEY_ARN: "arn:aws:kms:eu-west-1:1:key/k",
    }
    request = restore_request(
        source="db",
        target="db-drill",
        instance_class="db.t4g.small",
        outputs=outputs,
        restore_time=None,
    )
    assert set(request) <= set(members)
    cli_names = {xform_name(name, "-") for name in request}
    for flag in REQUIRED - DRILL_OMITS:
        assert flag.removeprefix("--") in cli_names, flag
    assert request["PubliclyAccessible"] is False
    assert request["DBSubnetGroupName"] == "subnets"
    assert request["VpcSecurityGroupIds"] == ["sg-1"]
    assert request["DBParameterGroupName"] == "params"


@pytest.fixture
def source_db(transactional_db: None, postgres_server: SuitePostgres) -> Database:
    """Stands in for the drill instance: the migrated test database with three tenants."""
    for slug in ("acme", "globex", "initech"):
        build_tenant(slug)
    return Database(
        host=postgres_server.server.host,
        port=postgres_server.server.port,
        user=BACKUP_ROLE,
        dbname=connection.settings_dict["NAME"],
        password=postgres_server.database.backup_password,
    )


def _instances(sandbox: SandboxState) -> list[str]:
    rds = sandbox.account.client("rds")
    return [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]]


def _backup_into(sandbox: SandboxState, database: Database) -> dict[str, Any]:
    """A logical backup of ``database`` into the sandbox stack's bucket: its manifest."""
    return run_backup(
        database=database,
        target=BackupTarget(
            account=sandbox.account,
            bucket=sandbox.outputs[keys.LOGICAL_BACKUP_BUCKET],
            kms_key_arn=sandbox.outputs[keys.LOGICAL_BACKUP_KMS_KEY_ARN],
            stack="staging",
        ),
    ).to_dict()


def test_a_drill_with_a_manifest_checks_every_tenant_and_cleans_up(
    source_db: Database, staging_sandbox: SandboxState, tmp_path: Path
) -> None:
    outputs = staging_sandbox.outputs
    manifest = _backup_into(staging_sandbox, source_db)
    before = _instances(staging_sandbox)

    evidence = run_drill(
        stack="staging",
        account=staging_sandbox.account,
        outputs=outputs,
        database=source_db,
        manifest=manifest,
        wait_delay_seconds=1,
    )

    statuses = {c.name: c.status for c in evidence.checks}
    assert statuses == {
        "placement": "pass",
        "reachable": "pass",
        "migrations-applied": "pass",
        "tenant-row-counts": "pass",
        "rpo": "pass",
        "rto": "pass",
    }, evidence.checks
    assert evidence.result == "passed"
    assert evidence.restore_time == manifest["snapshot_at"]
    assert evidence.rto_seconds is not None
    assert evidence.rpo_seconds is not None
    assert evidence.cleanup == f"deleted {evidence.drill_instance}"
    assert _instances(staging_sandbox) == before
    markdown = write_evidence(evidence, tmp_path / "drill.json")
    data = json.loads((tmp_path / "drill.json").read_text())
    assert {"rto_seconds", "rpo_seconds", "checks"} <= set(data)
    assert "| tenant-row-counts | pass |" in markdown.read_text()
    assert upload_evidence(staging_sandbox.account, outputs, evidence)


def test_a_tenant_that_lost_rows_fails_the_drill(
    source_db: Database, staging_sandbox: SandboxState
) -> None:
    manifest: dict[str, Any] = {"object": "s3://b/k", "tenants": {}}
    with source_db.connect(autocommit=True) as conn:
        (tenant,) = conn.execute("SELECT min(tenant_id)::text FROM people_employee").fetchone()
    manifest["tenants"][tenant] = {"people_employee": 6}  # the source had one more

    evidence = run_drill(
        stack="staging",
        account=staging_sandbox.account,
        outputs=staging_sandbox.outputs,
        database=source_db,
        manifest=manifest,
        wait_delay_seconds=1,
    )

    check = next(c for c in evidence.checks if c.name == "tenant-row-counts")
    assert check.status == "fail"
    assert f"tenant {tenant} people_employee: 6 expected, 5" in check.detail
    assert evidence.result == "failed"


def test_an_injected_failure_still_deletes_the_drill_instance(
    staging_sandbox: SandboxState,
) -> None:
    before = _instances(staging_sandbox)

    def explode(instance: dict[str, Any]) -> None:
        assert instance["DBInstanceIdentifier"] in _instances(staging_sandbox)
        raise RuntimeError("injected: checks host lost")

    evidence = run_drill(
        stack="staging",
        account=staging_sandbox.account,
        outputs=staging_sandbox.outputs,
        wait_delay_seconds=1,
        hooks=DrillHooks(after_available=explode),
    )

    assert evidence.result == "failed"
    assert evidence.error == "RuntimeError: injected: checks host lost"
    assert evidence.cleanup.startswith("deleted ")
    assert _instances(staging_sandbox) == before


def test_without_a_database_the_data_checks_say_why_they_were_skipped(
    staging_sandbox: SandboxState,
) -> None:
    evidence = run_drill(
        stack="staging",
        account=staging_sandbox.account,
        outputs=staging_sandbox.outputs,
        wait_delay_seconds=1,
    )
    skipped = [c for c in evidence.checks if c.status == "skip"]
    assert [c.name for c in skipped] == ["reachable", "migrations-applied", "tenant-row-counts"]
    assert all(c.detail.startswith("skipped: ") for c in skipped)
    assert evidence.result == "passed"


def _cli(args: list[str], outputs: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HRMS_STACK_OUTPUTS": json.dumps(outputs)}
    return subprocess.run(
        [HRMSCTL, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_dry_run_prints_the_plan_without_calling_aws(staging_sandbox: SandboxState) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"  # any AWS call would fail
    result = _cli(
        ["drill", "restore", "--stack", "staging", "--endpoint-url", nowhere, "--dry-run"],
        staging_sandbox.outputs,
    )
    assert result.returncode == 0, result.stderr
    assert "DBParameterGroupName = " + staging_sandbox.outputs[keys.DB_PARAMETER_GROUP_NAME] in (
        result.stdout
    )
    assert "UseLatestRestorableTime = True" in result.stdout


def test_cli_drill_writes_evidence(staging_sandbox: SandboxState, tmp_path: Path) -> None:
    result = _cli(
        ["drill", "restore", "--stack", "staging", "--endpoint-url",
         staging_sandbox.endpoint_url, "--json", str(tmp_path / "e.json")],
        staging_sandbox.outputs,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    evidence = json.loads((tmp_path / "e.json").read_text())
    assert evidence["result"] == "passed"
    assert (tmp_path / "e.md").read_text().startswith("# Restore drill: staging")


def test_backup_status_reports_each_layer_and_publishes(
    staging_sandbox: SandboxState, tmp_path: Path
) -> None:
    # Depends on no other test: records its own passed drill.
    evidence = run_drill(
        stack="staging",
        account=staging_sandbox.account,
        outputs=staging_sandbox.outputs,
        wait_delay_seconds=1,
    )
    upload_evidence(staging_sandbox.account, staging_sandbox.outputs, evidence)
    checks = {c.name: c for c in backup_status(
        account=staging_sandbox.account, outputs=staging_sandbox.outputs, stack="staging"
    )}  # fmt: skip
    assert set(checks) == {
        "pitr-lag", "automated-snapshot", "recovery-point", "logical-backup", "drill"
    }  # fmt: skip
    assert checks["pitr-lag"].ok
    assert checks["automated-snapshot"].ok  # moto snapshots an instance when it is created
    # moto has no AWS Backup recovery points API: reported as failing, never faked.
    assert not checks["recovery-point"].ok
    assert checks["drill"].ok
    assert checks["drill"].detail.startswith("last drill passed")
    publish(staging_sandbox.account, "staging", list(checks.values()))
    metrics = staging_sandbox.account.client("cloudwatch").list_metrics(
        Namespace="HRMS/Backups", MetricName="BackupChecksFailing"
    )["Metrics"]
    assert metrics
    result = _cli(
        ["backup", "status", "--stack", "staging", "--endpoint-url",
         staging_sandbox.endpoint_url, "--json", str(tmp_path / "s.json")],
        staging_sandbox.outputs,
    )  # fmt: skip
    assert result.returncode == 1  # failing checks: the cron exit code
    status = json.loads((tmp_path / "s.json").read_text())
    assert status["ok"] is False
    assert {c["name"]: c["status"] for c in status["checks"]}["pitr-lag"] == "pass"


@pytest.mark.slow
def test_cli_drill_against_the_sandbox_writes_audit_evidence_with_every_check_run(
    source_db: Database, staging_sandbox: SandboxState, tmp_path: Path
) -> None:
    outputs = staging_sandbox.outputs
    manifest = _backup_into(staging_sandbox, source_db)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    url = (
        f"postgres://{source_db.user}:{source_db.password}@{source_db.host}:"
        f"{source_db.port}/{source_db.dbname}"
    )
    before = _instances(staging_sandbox)

    result = _cli(
        ["drill", "restore", "--stack", "staging", "--endpoint-url",
         staging_sandbox.endpoint_url, "--json", str(tmp_path / "drill.json"),
         "--manifest", str(tmp_path / "manifest.json"), "--database-url", url],
        outputs,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    evidence = json.loads((tmp_path / "drill.json").read_text())
    assert evidence["result"] == "passed"
    assert isinstance(evidence["rto_seconds"], float)
    assert isinstance(evidence["rpo_seconds"], float)
    assert {c["name"]: c["status"] for c in evidence["checks"]} == dict.fromkeys(
        ["placement", "reachable", "migrations-applied", "tenant-row-counts", "rpo", "rto"],
        "pass",
    )
    assert evidence["restore_time"] == manifest["snapshot_at"]
    assert evidence["cleanup"] == f"deleted {evidence['drill_instance']}"
    assert _instances(staging_sandbox) == before
    markdown = (tmp_path / "drill.md").read_text()
    assert "**Result: PASSED**" in markdown
    assert f"| RTO (start to restored and checked) | {evidence['rto_seconds']} s" in markdown
    assert "| tenant-row-counts | pass | 3 tenants match the manifest" in markdown
    # The copy backup status reads sits in the bucket.
    s3 = staging_sandbox.account.client("s3")
    stored = s3.list_objects_v2(
        Bucket=outputs[keys.LOGICAL_BACKUP_BUCKET], Prefix="drills/staging/"
    )["Contents"]
    assert any(
        json.loads(
            s3.get_object(Bucket=outputs[keys.LOGICAL_BACKUP_BUCKET], Key=o["Key"])["Body"].read()
        )["drill_instance"]
        == evidence["drill_instance"]
        for o in stored
    )


def test_a_failing_check_exits_1_and_still_deletes_the_drill_instance(
    staging_sandbox: SandboxState, tmp_path: Path
) -> None:
    before = _instances(staging_sandbox)
    nowhere = f"postgres://u:p@127.0.0.1:{free_port()}/d"  # the checks host cannot connect

    result = _cli(
        ["drill", "restore", "--stack", "staging", "--endpoint-url",
         staging_sandbox.endpoint_url, "--json", str(tmp_path / "e.json"),
         "--database-url", nowhere],
        staging_sandbox.outputs,
    )  # fmt: skip

    assert result.returncode == 1, result.stdout + result.stderr
    evidence = json.loads((tmp_path / "e.json").read_text())
    assert evidence["result"] == "failed"
    assert {c["name"]: c["status"] for c in evidence["checks"]}["reachable"] == "fail"
    assert evidence["cleanup"].startswith("deleted ")
    assert _instances(staging_sandbox) == before
    assert "**Result: FAILED**" in (tmp_path / "e.md").read_text()


def test_backup_status_exits_2_when_it_cannot_look(
    staging_sandbox: SandboxState, tmp_path: Path
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = _cli(
        ["backup", "status", "--stack", "staging", "--endpoint-url", nowhere,
         "--json", str(tmp_path / "s.json")],
        staging_sandbox.outputs,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    status = json.loads((tmp_path / "s.json").read_text())
    assert status["ok"] is False
    assert status["error"]
