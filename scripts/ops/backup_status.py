"""``hrmsctl backup status``: is every layer of backup fresh enough to meet the RPO?

Five checks, each pass or fail with the measured value: PITR lag (now minus the
instance's LatestRestorableTime) against the RPO, the newest automated RDS snapshot and
AWS Backup recovery point (at most a day and a bit old), the newest complete logical
backup (age and size), and the newest restore drill (passed, within its interval).
With ``publish`` the number of failing checks goes to CloudWatch (HRMS/Backups,
BackupChecksFailing, dimension Stack), which the ``backup-status-failing`` alarm reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.observability.backup_metrics import (
    BACKUP_AGE_METRIC,
    BACKUP_FAILING_METRIC,
    BACKUP_METRIC_NAMESPACE,
)
from scripts.ops.aws import Account
from stacks import outputs as keys

DAILY_MAX_AGE = timedelta(hours=26)  # a daily job plus its start and completion windows
DRILL_MAX_AGE = timedelta(days=35)  # drills run monthly
DRILLS_PREFIX = "drills"

# Exit codes (docs/runbooks/backups.md): usable from cron and CI.
EXIT_OK, EXIT_FAILING, EXIT_ERROR = 0, 1, 2


@dataclass(frozen=True, kw_only=True)
class StatusCheck:
    name: str
    ok: bool
    detail: str
    age_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": "pass" if self.ok else "fail",
            "detail": self.detail,
            "age_seconds": self.age_seconds,
            **self.extra,
        }


def _age(now: datetime, then: datetime) -> float:
    return round((now - then).total_seconds(), 1)


def _newest_json(account: Account, bucket: str, prefix: str, suffix: str) -> dict[str, Any] | None:
    """The newest object under ``prefix`` ending in ``suffix`` (keys sort by time)."""
    s3 = account.client("s3")
    newest: str | None = None
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents") or []:
            if item["Key"].endswith(suffix) and (newest is None or item["Key"] > newest):
                newest = item["Key"]
    if newest is None:
        return None
    body = s3.get_object(Bucket=bucket, Key=newest)["Body"].read()
    data: dict[str, Any] = json.loads(body)
    data["_key"] = newest
    return data


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def newest_complete_manifest(account: Account, bucket: str) -> dict[str, Any] | None:
    s3 = account.client("s3")
    candidates: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="logical/"):
        candidates += [
            i["Key"] for i in page.get("Contents") or [] if i["Key"].endswith(".manifest.json")
        ]
    for key in sorted(candidates, reverse=True):
        data: dict[str, Any] = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        if data.get("complete") is True:
            data["_key"] = key
            return data
    return None


def backup_status(
    *, account: Account, outputs: Mapping[str, Any], stack: str, now: datetime | None = None
) -> list[StatusCheck]:
    now = now or datetime.now(UTC)
    rpo = float(outputs.get(keys.BACKUP_RPO_SECONDS) or 300)
    db_id = str(outputs[keys.DB_INSTANCE_IDENTIFIER])
    bucket = outputs.get(keys.LOGICAL_BACKUP_BUCKET)
    checks: list[StatusCheck] = []

    rds = account.client("rds")
    instance = rds.describe_db_instances(DBInstanceIdentifier=db_id)["DBInstances"][0]
    latest = instance.get("LatestRestorableTime")
    if latest is None:
        checks.append(StatusCheck(name="pitr-lag", ok=False, detail="no LatestRestorableTime"))
    else:
        lag = _age(now, latest)
        checks.append(
            StatusCheck(
                name="pitr-lag",
                ok=lag <= rpo,
                detail=f"latest restorable time {latest.isoformat()} is {lag:g}s behind "
                f"(RPO {rpo:g}s)",
                age_seconds=lag,
                extra={"rpo_seconds": rpo},
            )
        )

    snapshots = rds.describe_db_snapshots(DBInstanceIdentifier=db_id, SnapshotType="automated")
    times = [
        s["SnapshotCreateTime"] for s in snapshots["DBSnapshots"] if s.get("SnapshotCreateTime")
    ]
    checks.append(_fresh("automated-snapshot", max(times) if times else None, now, "snapshot"))

    checks.append(_recovery_point(account, outputs.get(keys.BACKUP_VAULT_NAME), now))

    if not bucket:
        checks.append(StatusCheck(name="logical-backup", ok=False, detail="no backup bucket"))
        checks.append(StatusCheck(name="drill", ok=False, detail="no backup bucket"))
        return checks
    manifest = newest_complete_manifest(account, str(bucket))
    if manifest is None:
        checks.append(
            StatusCheck(name="logical-backup", ok=False, detail="no complete logical backup")
        )
    else:
        finished = _parse_time(str(manifest.get("finished_at") or manifest["started_at"]))
        age = _age(now, finished)
        checks.append(
            StatusCheck(
                name="logical-backup",
                ok=finished >= now - DAILY_MAX_AGE,
                detail=f"{manifest['object']}: {manifest.get('bytes')} bytes, {age:g}s old",
                age_seconds=age,
                extra={"bytes": manifest.get("bytes"), "object": manifest["object"]},
            )
        )
    drill = _newest_json(account, str(bucket), f"{DRILLS_PREFIX}/{stack}/", ".json")
    if drill is None:
        checks.append(StatusCheck(name="drill", ok=False, detail="no restore drill recorded"))
    else:
        when = _parse_time(str(drill["finished_at"]))
        age = _age(now, when)
        passed = drill.get("result") == "passed"
        checks.append(
            StatusCheck(
                name="drill",
                ok=passed and when >= now - DRILL_MAX_AGE,
                detail=f"last drill {drill.get('result')} {age:g}s ago "
                f"(RTO {drill.get('rto_seconds')}s, RPO {drill.get('rpo_seconds')}s)",
                age_seconds=age,
                extra={"result": drill.get("result")},
            )
        )
    return checks


def _recovery_point(account: Account, vault: Any, now: datetime) -> StatusCheck:
    if not vault:
        return StatusCheck(name="recovery-point", ok=False, detail="no backup vault output")
    try:
        response = account.client("backup").list_recovery_points_by_backup_vault(
            BackupVaultName=vault
        )
    except Exception as exc:
        if not _unanswerable(exc):
            raise
        # Unknown is not fresh: a check that cannot look fails (the sandbox lands here).
        return StatusCheck(
            name="recovery-point",
            ok=False,
            detail="the endpoint does not implement ListRecoveryPointsByBackupVault",
        )
    points = [
        p["CreationDate"]
        for p in response.get("RecoveryPoints") or []
        if p.get("Status") == "COMPLETED"
    ]
    return _fresh(
        "recovery-point", max(points) if points else None, now, "AWS Backup recovery point"
    )


def _unanswerable(exc: BaseException) -> bool:
    """An API the endpoint does not implement (moto's 404 page), not a real error."""
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return isinstance(exc, NotImplementedError)
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = exc.response.get("Error", {}).get("Code")
    return code in ("NotImplemented", "404") or status in (404, 501)


def _fresh(name: str, newest: datetime | None, now: datetime, what: str) -> StatusCheck:
    if newest is None:
        return StatusCheck(name=name, ok=False, detail=f"no {what} found")
    age = _age(now, newest)
    return StatusCheck(
        name=name,
        ok=newest >= now - DAILY_MAX_AGE,
        detail=f"newest {what} {newest.isoformat()} ({age:g}s old)",
        age_seconds=age,
    )


def publish(account: Account, stack: str, checks: list[StatusCheck]) -> None:
    failing = sum(1 for c in checks if not c.ok)
    data: list[dict[str, Any]] = [
        {
            "MetricName": BACKUP_FAILING_METRIC,
            "Dimensions": [{"Name": "Stack", "Value": stack}],
            "Value": failing,
            "Unit": "Count",
        }
    ]
    data += [
        {
            "MetricName": BACKUP_AGE_METRIC,
            "Dimensions": [{"Name": "Stack", "Value": stack}, {"Name": "Check", "Value": c.name}],
            "Value": c.age_seconds,
            "Unit": "Seconds",
        }
        for c in checks
        if c.age_seconds is not None
    ]
    account.client("cloudwatch").put_metric_data(Namespace=BACKUP_METRIC_NAMESPACE, MetricData=data)
