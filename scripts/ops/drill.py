"""``hrmsctl drill restore``: a measured point-in-time restore, with evidence, cleaned up always.

The drill restores the stack's instance into a new one placed exactly like the source
(the stack's subnet group, security group, parameter group; the source's KMS key carries
over and is checked), waits until it is available, runs the checks, measures RTO (start
to checked) and the achieved RPO (start minus the newest restorable second), writes JSON
and Markdown evidence, and deletes the drill instance, also when anything failed.

The restore request is the runbook's (docs/runbooks/operations.md) minus deletion
protection, since the drill deletes what it creates.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.database.postgres import LOG_EXPORTS
from scripts.ops.aws import Account
from scripts.ops.backup import Database
from stacks import outputs as keys
from stacks.offline.engine import REPO_ROOT

DRILL_DIR = REPO_ROOT / "build" / "drills"
# What the runbook targets (docs/runbooks/operations.md, "Disaster recovery").
RTO_TARGET_SECONDS = 2 * 3600


class DrillError(RuntimeError):
    """The drill could not start (missing outputs, source not found)."""


@dataclass(frozen=True, kw_only=True)
class DrillCheck:
    name: str
    status: str  # pass | fail | skip
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


def restore_request(
    *,
    source: str,
    target: str,
    instance_class: str,
    outputs: Mapping[str, Any],
    restore_time: datetime | None,
) -> dict[str, Any]:
    """RestoreDBInstanceToPointInTime parameters placing the copy like the source."""
    request: dict[str, Any] = {
        "SourceDBInstanceIdentifier": source,
        "TargetDBInstanceIdentifier": target,
        "DBInstanceClass": instance_class,
        "DBSubnetGroupName": outputs[keys.DB_SUBNET_GROUP_NAME],
        "VpcSecurityGroupIds": [outputs[keys.DB_SECURITY_GROUP_ID]],
        "DBParameterGroupName": outputs[keys.DB_PARAMETER_GROUP_NAME],
        "PubliclyAccessible": False,
        "MultiAZ": False,  # a drill measures restore, not failover
        "StorageType": "gp3",
        "ManageMasterUserPassword": True,
        "MasterUserSecretKmsKeyId": outputs[keys.DB_KMS_KEY_ARN],
        "EnableIAMDatabaseAuthentication": True,
        "EnableCloudwatchLogsExports": list(LOG_EXPORTS),
        "CopyTagsToSnapshot": True,
        "DeletionProtection": False,  # the drill deletes it when done
        "Tags": [{"Key": "hrms:drill", "Value": "true"}],
    }
    if restore_time is None:
        request["UseLatestRestorableTime"] = True
    else:
        request["RestoreTime"] = restore_time
    return request


@dataclass(frozen=True, kw_only=True)
class DrillHooks:
    """Where tests inject a failure (after the instance is available)."""

    after_available: Callable[[dict[str, Any]], None] | None = None


@dataclass(kw_only=True)
class Evidence:
    stack: str
    source_instance: str
    drill_instance: str
    started_at: str
    finished_at: str = ""
    restore_time: str | None = None
    latest_restorable_time: str | None = None
    rto_seconds: float | None = None
    rpo_seconds: float | None = None
    rto_target_seconds: float = RTO_TARGET_SECONDS
    rpo_target_seconds: float | None = None
    checks: list[DrillCheck] = field(default_factory=list)
    result: str = "failed"
    cleanup: str = "not started"
    error: str | None = None
    manifest: str | None = None
    request: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        request = {
            k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.request.items()
        }
        return {
            "stack": self.stack,
            "source_instance": self.source_instance,
            "drill_instance": self.drill_instance,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "restore_time": self.restore_time,
            "latest_restorable_time": self.latest_restorable_time,
            "rto_seconds": self.rto_seconds,
            "rpo_seconds": self.rpo_seconds,
            "rto_target_seconds": self.rto_target_seconds,
            "rpo_target_seconds": self.rpo_target_seconds,
            "checks": [c.to_dict() for c in self.checks],
            "result": self.result,
            "cleanup": self.cleanup,
            "error": self.error,
            "manifest": self.manifest,
            "request": request,
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def placement_check(instance: Mapping[str, Any], outputs: Mapping[str, Any]) -> DrillCheck:
    """The restored instance sits where the stack puts its database, encrypted with its key."""
    problems = []
    subnet_group = (instance.get("DBSubnetGroup") or {}).get("DBSubnetGroupName")
    if subnet_group != outputs[keys.DB_SUBNET_GROUP_NAME]:
        problems.append(f"subnet group {subnet_group}")
    groups = sorted(g["VpcSecurityGroupId"] for g in instance.get("VpcSecurityGroups") or [])
    if groups != [outputs[keys.DB_SECURITY_GROUP_ID]]:
        problems.append(f"security groups {groups}")
    params = [p["DBParameterGroupName"] for p in instance.get("DBParameterGroups") or []]
    if params != [outputs[keys.DB_PARAMETER_GROUP_NAME]]:
        problems.append(f"parameter groups {params}")
    if not instance.get("StorageEncrypted"):
        problems.append("storage not encrypted")
    key = str(instance.get("KmsKeyId") or "")
    if key.rsplit("/", 1)[-1] != str(outputs[keys.DB_KMS_KEY_ARN]).rsplit("/", 1)[-1]:
        problems.append(f"KMS key {key}")
    if instance.get("PubliclyAccessible"):
        problems.append("publicly accessible")
    if problems:
        return DrillCheck(name="placement", status="fail", detail="; ".join(problems))
    return DrillCheck(
        name="placement",
        status="pass",
        detail="stack subnet group, security group, parameter group and KMS key; private",
    )


def app_migrations(root: Path = REPO_ROOT / "app") -> set[tuple[str, str]]:
    """(app label, migration name) of every migration file in the repository."""
    return {(path.parent.parent.name, path.stem) for path in root.glob("*/migrations/[0-9]*.py")}


def database_checks(
    database: Database | None, manifest: Mapping[str, Any] | None
) -> list[DrillCheck]:
    """Reachable, migrations applied, rows per tenant as the manifest recorded them."""
    if database is None:
        reason = (
            "skipped: no connection to the drill instance (give --database-url, from a host "
            "inside the VPC, with the drill's master secret)"
        )
        return [
            DrillCheck(name=name, status="skip", detail=reason)
            for name in ("reachable", "migrations-applied", "tenant-row-counts")
        ]
    from scripts.ops.backup import tenant_counts

    try:
        conn = database.connect(autocommit=True, connect_timeout=15)
    except Exception as exc:
        fail = DrillCheck(name="reachable", status="fail", detail=f"{database.describe()}: {exc}")
        skipped = "skipped: the drill instance is not reachable"
        return [
            fail,
            DrillCheck(name="migrations-applied", status="skip", detail=skipped),
            DrillCheck(name="tenant-row-counts", status="skip", detail=skipped),
        ]
    checks = [DrillCheck(name="reachable", status="pass", detail=database.describe())]
    with conn:
        applied = {
            (str(a), str(n))
            for a, n in conn.execute("SELECT app, name FROM django_migrations").fetchall()
        }
        missing = sorted(app_migrations() - applied)
        checks.append(
            DrillCheck(
                name="migrations-applied",
                status="fail" if missing else "pass",
                detail=f"missing: {missing[:10]}" if missing else f"{len(applied)} applied",
            )
        )
        if manifest is None:
            checks.append(
                DrillCheck(
                    name="tenant-row-counts",
                    status="skip",
                    detail="skipped: no logical backup manifest to compare with (--manifest)",
                )
            )
            return checks
        restored = tenant_counts(conn)
    expected: dict[str, dict[str, int]] = dict(manifest.get("tenants") or {})
    diffs = [
        f"tenant {tenant} {table}: {rows} expected, {restored.get(tenant, {}).get(table, 0)}"
        for tenant, tables in sorted(expected.items())
        for table, rows in sorted(tables.items())
        if restored.get(tenant, {}).get(table, 0) != rows
    ]
    extra = sorted(set(restored) - set(expected))
    if extra:
        diffs.append(f"tenants not in the manifest: {extra}")
    checks.append(
        DrillCheck(
            name="tenant-row-counts",
            status="fail" if diffs else "pass",
            detail="; ".join(diffs[:10])
            if diffs
            else f"{len(expected)} tenants match the manifest of {manifest.get('object')}",
        )
    )
    return checks


def run_drill(
    *,
    stack: str,
    account: Account,
    outputs: Mapping[str, Any],
    database: Database | None = None,
    manifest: Mapping[str, Any] | None = None,
    wait_delay_seconds: int = 30,
    hooks: DrillHooks = DrillHooks(),
) -> Evidence:
    try:
        source = str(outputs[keys.DB_INSTANCE_IDENTIFIER])
        for key in (
            keys.DB_SUBNET_GROUP_NAME,
            keys.DB_SECURITY_GROUP_ID,
            keys.DB_PARAMETER_GROUP_NAME,
            keys.DB_KMS_KEY_ARN,
        ):
            outputs[key]
    except KeyError as exc:
        raise DrillError(f"stack output {exc} missing: is the stack up to date?") from exc
    started = datetime.now(UTC)
    clock = time.monotonic()
    target = f"{source}-drill-{started:%Y%m%d%H%M%S}"
    evidence = Evidence(
        stack=stack,
        source_instance=source,
        drill_instance=target,
        started_at=_iso(started),
        rpo_target_seconds=float(outputs.get(keys.BACKUP_RPO_SECONDS) or 300),
        manifest=str(manifest.get("object")) if manifest else None,
    )
    rds = account.client("rds")
    described = rds.describe_db_instances(DBInstanceIdentifier=source)["DBInstances"][0]
    latest = described.get("LatestRestorableTime")
    if latest is not None:
        evidence.latest_restorable_time = _iso(latest)
        evidence.rpo_seconds = round((started - latest).total_seconds(), 1)
    restore_time: datetime | None = None
    if manifest is not None and manifest.get("snapshot_at"):
        # Restore to the moment the logical backup saw, so its counts must match exactly.
        restore_time = datetime.fromisoformat(str(manifest["snapshot_at"]).replace("Z", "+00:00"))
    evidence.request = restore_request(
        source=source,
        target=target,
        instance_class=described["DBInstanceClass"],
        outputs=outputs,
        restore_time=restore_time,
    )
    created = False
    try:
        rds.restore_db_instance_to_point_in_time(**evidence.request)
        created = True
        rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier=target,
            WaiterConfig={"Delay": wait_delay_seconds, "MaxAttempts": 240},
        )
        instance = rds.describe_db_instances(DBInstanceIdentifier=target)["DBInstances"][0]
        evidence.restore_time = (
            _iso(restore_time) if restore_time else evidence.latest_restorable_time
        )
        if hooks.after_available is not None:
            hooks.after_available(instance)
        evidence.checks.append(placement_check(instance, outputs))
        evidence.checks += database_checks(database, manifest)
        evidence.rto_seconds = round(time.monotonic() - clock, 1)
        if evidence.rpo_seconds is not None and evidence.rpo_target_seconds is not None:
            within = evidence.rpo_seconds <= evidence.rpo_target_seconds
            evidence.checks.append(
                DrillCheck(
                    name="rpo",
                    status="pass" if within else "fail",
                    detail=f"{evidence.rpo_seconds:g}s (target {evidence.rpo_target_seconds:g}s)",
                )
            )
        evidence.checks.append(
            DrillCheck(
                name="rto",
                status="pass" if evidence.rto_seconds <= RTO_TARGET_SECONDS else "fail",
                detail=f"{evidence.rto_seconds:g}s (target {RTO_TARGET_SECONDS}s)",
            )
        )
        failed = [c.name for c in evidence.checks if c.status == "fail"]
        evidence.result = "failed" if failed else "passed"
        if failed:
            evidence.error = f"failed checks: {', '.join(failed)}"
    except Exception as exc:
        evidence.result = "failed"
        evidence.error = f"{type(exc).__name__}: {exc}"
    finally:
        evidence.cleanup = _delete(rds, target) if created else "nothing was created"
        if not evidence.cleanup.startswith("deleted") and created:
            evidence.result = "failed"
        evidence.finished_at = _iso(datetime.now(UTC))
    return evidence


def _delete(rds: Any, target: str) -> str:
    try:
        rds.delete_db_instance(
            DBInstanceIdentifier=target, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
        )
    except Exception as exc:
        return f"DELETE FAILED for {target}: {exc}; delete it by hand"
    return f"deleted {target}"


def write_evidence(evidence: Evidence, json_path: Path) -> Path:
    """JSON at ``json_path`` and Markdown next to it; returns the Markdown path."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(evidence.to_dict(), indent=2) + "\n", encoding="utf-8")
    markdown = json_path.with_suffix(".md")
    markdown.write_text(render_markdown(evidence), encoding="utf-8")
    return markdown


def render_markdown(evidence: Evidence) -> str:
    e = evidence
    lines = [
        f"# Restore drill: {e.stack}, {e.started_at}",
        "",
        f"**Result: {e.result.upper()}**" + (f" ({e.error})" if e.error else ""),
        "",
        "| measure | achieved | target |",
        "|---|---|---|",
        f"| RTO (start to restored and checked) | {e.rto_seconds} s | {e.rto_target_seconds:g} s |",
        f"| RPO (start minus newest restorable second) | {e.rpo_seconds} s "
        f"| {e.rpo_target_seconds} s |",
        "",
        f"- Source instance: `{e.source_instance}`",
        f"- Drill instance: `{e.drill_instance}` ({e.cleanup})",
        f"- Restored to: {e.restore_time or 'not restored'}"
        f" (latest restorable time at start: {e.latest_restorable_time})",
        f"- Compared with logical backup: {e.manifest or 'none'}",
        f"- Finished: {e.finished_at}",
        "",
        "## Checks",
        "",
        "| check | status | detail |",
        "|---|---|---|",
        *[f"| {c.name} | {c.status} | {c.detail.replace('|', '/')} |" for c in e.checks],
        "",
        "How to read this: docs/runbooks/backups.md#reading-drill-evidence",
        "",
    ]
    return "\n".join(lines)


def upload_evidence(account: Account, outputs: Mapping[str, Any], evidence: Evidence) -> str | None:
    """Keep the evidence next to the backups (``backup status`` reads the newest)."""
    bucket = outputs.get(keys.LOGICAL_BACKUP_BUCKET)
    kms = outputs.get(keys.LOGICAL_BACKUP_KMS_KEY_ARN)
    if not bucket or not kms:
        return None
    key = f"drills/{evidence.stack}/{evidence.started_at.replace(':', '')}.json"
    account.client("s3").put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(evidence.to_dict(), indent=2).encode("utf-8"),
        ContentType="application/json",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=kms,
    )
    return f"s3://{bucket}/{key}"
