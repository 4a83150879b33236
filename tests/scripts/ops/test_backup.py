"""Logical backups against the suite's real PostgreSQL (tenants, RLS on) and the sandbox's S3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from scripts.local_services.postgres import free_port
from scripts.ops.aws import Account
from scripts.ops.backup import (
    BackupError,
    BackupHooks,
    BackupTarget,
    Database,
    run_backup,
    verify_backup,
)
from scripts.ops.sandbox import SandboxState
from stacks import outputs as keys
from tests.app.factories import build_tenant
from tests.fixtures.postgres_server import BACKUP_ROLE, SuitePostgres

REPO = Path(__file__).resolve().parents[3]
HRMSCTL = str(Path(sys.executable).parent / "hrmsctl")


def _target(sandbox: SandboxState, account: Account | None = None) -> BackupTarget:
    return BackupTarget(
        account=account or sandbox.account,
        bucket=sandbox.outputs[keys.LOGICAL_BACKUP_BUCKET],
        kms_key_arn=sandbox.outputs[keys.LOGICAL_BACKUP_KMS_KEY_ARN],
        stack="staging",
    )


def _manifests(sandbox: SandboxState) -> list[dict[str, Any]]:
    s3 = sandbox.account.client("s3")
    bucket = sandbox.outputs[keys.LOGICAL_BACKUP_BUCKET]
    found = []
    for item in s3.list_objects_v2(Bucket=bucket, Prefix="logical/").get("Contents") or []:
        if item["Key"].endswith(".manifest.json"):
            found.append(json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()))
    return found


def _open_uploads(sandbox: SandboxState) -> list[Any]:
    bucket = sandbox.outputs[keys.LOGICAL_BACKUP_BUCKET]
    response = sandbox.account.client("s3").list_multipart_uploads(Bucket=bucket)
    return list(response.get("Uploads") or [])


def _nothing_complete_for(sandbox: SandboxState, started_at: str | None = None) -> None:
    for manifest in _manifests(sandbox):
        if manifest["complete"]:
            assert manifest["started_at"] != started_at
    assert _open_uploads(sandbox) == []


# ------------------------------------------------------------------ the app database


@pytest.fixture
def tenants_db(transactional_db: None, postgres_server: SuitePostgres) -> Database:
    """Three tenants committed in the test database; the backup role's connection to it."""
    for slug in ("acme", "globex", "initech"):
        build_tenant(slug)
    return Database(
        host=postgres_server.server.host,
        port=postgres_server.server.port,
        user=BACKUP_ROLE,
        dbname=connection.settings_dict["NAME"],
        password=postgres_server.database.backup_password,
    )


@pytest.mark.slow
def test_backup_then_verify_restores_every_row_of_every_tenant(
    tenants_db: Database, staging_sandbox: SandboxState
) -> None:
    manifest = run_backup(database=tenants_db, target=_target(staging_sandbox))

    assert manifest.complete
    assert manifest.error is None
    assert manifest.object.startswith(
        f"s3://{staging_sandbox.outputs[keys.LOGICAL_BACKUP_BUCKET]}/logical/"
    )
    with psycopg.connect(**tenants_db.conninfo()) as conn:
        employees = conn.execute("SELECT count(*) FROM people_employee").fetchone()
    assert manifest.tables["people_employee"]["rows"] == employees[0] == 15
    assert len(manifest.tenants) == 3
    assert all(counts["people_employee"] == 5 for counts in manifest.tenants.values())
    assert manifest.tools["pg_dump"].startswith("pg_dump (PostgreSQL)")
    bucket, key = manifest.object.removeprefix("s3://").split("/", 1)
    head = staging_sandbox.account.client("s3").head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["ContentLength"] == manifest.bytes
    stored = [m for m in _manifests(staging_sandbox) if m["object"] == manifest.object]
    assert stored
    assert stored[0]["complete"] is True

    report = verify_backup(manifest.to_dict(), account=staging_sandbox.account)

    assert report.ok, report.problems
    assert report.tables["people_employee"] == {
        "expected": 15,
        "restored": 15,
        "sha256_match": True,
    }
    assert set(report.tables) == set(manifest.tables)


def test_verify_fails_naming_the_table_that_lost_rows(
    tenants_db: Database, staging_sandbox: SandboxState
) -> None:
    manifest = run_backup(database=tenants_db, target=_target(staging_sandbox)).to_dict()
    manifest["tables"]["leave_leaverequest"]["rows"] += 2  # what the source had, the dump lacks

    report = verify_backup(manifest, account=staging_sandbox.account)

    assert not report.ok
    assert report.problems == ["table leave_leaverequest: 5 rows expected, 3 restored (2 lost)"]
    assert report.tables["leave_leaverequest"]["restored"] == 3


def test_a_role_bound_by_rls_cannot_make_a_backup(
    tenants_db: Database, staging_sandbox: SandboxState, postgres_server: SuitePostgres
) -> None:
    runtime = Database(
        host=tenants_db.host,
        port=tenants_db.port,
        user=postgres_server.database.runtime,
        password=postgres_server.database.runtime_password,
        dbname=tenants_db.dbname,
    )
    with pytest.raises(BackupError, match="row-level security"):
        run_backup(database=runtime, target=_target(staging_sandbox))
    _nothing_complete_for(staging_sandbox)


@pytest.mark.slow
def test_cli_run_and_verify_write_the_documented_json(
    tenants_db: Database, staging_sandbox: SandboxState, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HRMS_STACK_OUTPUTS": json.dumps(staging_sandbox.outputs),
    }
    url = (
        f"postgres://{tenants_db.user}:{tenants_db.password}@{tenants_db.host}:"
        f"{tenants_db.port}/{tenants_db.dbname}"
    )
    manifest_path, result_path = tmp_path / "manifest.json", tmp_path / "verify.json"
    run = subprocess.run(
        [HRMSCTL, "backup", "run", "--stack", "staging", "--database-url", url,
         "--endpoint-url", staging_sandbox.endpoint_url, "--json", str(manifest_path)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    manifest = json.loads(manifest_path.read_text())
    assert manifest["complete"] is True
    assert manifest["object"].startswith("s3://")
    assert manifest["tables"]["people_employee"] == {
        "rows": 15,
        "sha256": manifest["tables"]["people_employee"]["sha256"],
    }
    verify = subprocess.run(
        [HRMSCTL, "backup", "verify", "--manifest", str(manifest_path),
         "--endpoint-url", staging_sandbox.endpoint_url, "--json", str(result_path)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr
    result = json.loads(result_path.read_text())
    assert result["ok"] is True
    assert result["tables"]["people_employee"]["expected"] == 15
    assert result["tables"]["people_employee"]["restored"] == 15


# ------------------------------------------------------------------ faults


@pytest.fixture(scope="module")
def bulk_db(postgres_server: SuitePostgres) -> Iterator[Database]:
    """~50 MB in one table, so pg_dump is still running when a fault strikes."""
    server = postgres_server.server
    with psycopg.connect(server.superuser_conninfo(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE bulk_faults")
    with psycopg.connect(server.superuser_conninfo("bulk_faults"), autocommit=True) as conn:
        conn.execute("CREATE TABLE bulk (id bigint PRIMARY KEY, payload text)")
        conn.execute(
            "INSERT INTO bulk SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 200000) g"
        )
        conn.execute(sql.SQL("GRANT SELECT ON bulk TO {}").format(sql.Identifier(BACKUP_ROLE)))
    yield Database(
        host=server.host,
        port=server.port,
        user=BACKUP_ROLE,
        dbname="bulk_faults",
        password=postgres_server.database.backup_password,
    )
    with psycopg.connect(server.superuser_conninfo(), autocommit=True) as conn:
        conn.execute("DROP DATABASE bulk_faults WITH (FORCE)")


def test_s3_unreachable_is_a_clear_error(bulk_db: Database, staging_sandbox: SandboxState) -> None:
    nowhere = Account(region=staging_sandbox.region, endpoint_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(BackupError, match="S3 unreachable"):
        run_backup(database=bulk_db, target=_target(staging_sandbox, nowhere))
    _nothing_complete_for(staging_sandbox)


def test_pg_dump_killed_midway_leaves_nothing_complete(
    bulk_db: Database, staging_sandbox: SandboxState
) -> None:
    def kill_after_first_megabyte(process: subprocess.Popen[bytes], size: int) -> None:
        if size > 1024 * 1024:
            process.kill()

    with pytest.raises(BackupError, match=r"pg_dump was killed by signal 9 \(SIGKILL\)"):
        run_backup(
            database=bulk_db,
            target=_target(staging_sandbox),
            hooks=BackupHooks(on_dump_progress=kill_after_first_megabyte),
        )
    _nothing_complete_for(staging_sandbox)
    failed = [m for m in _manifests(staging_sandbox) if "SIGKILL" in (m.get("error") or "")]
    assert failed
    assert failed[0]["complete"] is False


def test_an_object_truncated_after_upload_is_not_marked_complete(
    bulk_db: Database, staging_sandbox: SandboxState
) -> None:
    s3 = staging_sandbox.account.client("s3")

    def truncate(bucket: str, key: str) -> None:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.put_object(Bucket=bucket, Key=key, Body=body[: len(body) // 2])

    with pytest.raises(BackupError, match=r"truncated\?"):
        run_backup(
            database=bulk_db,
            target=_target(staging_sandbox),
            hooks=BackupHooks(on_uploaded=truncate),
        )
    _nothing_complete_for(staging_sandbox)


def test_verify_refuses_a_truncated_object(
    tenants_db: Database, staging_sandbox: SandboxState
) -> None:
    manifest = run_backup(database=tenants_db, target=_target(staging_sandbox)).to_dict()
    bucket, key = manifest["object"].removeprefix("s3://").split("/", 1)
    s3 = staging_sandbox.account.client("s3")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.put_object(Bucket=bucket, Key=key, Body=body[:-100])
    manifest["version_id"] = None  # the current object, as someone restoring "latest" would

    report = verify_backup(manifest, account=staging_sandbox.account)

    assert not report.ok
    assert "truncated or replaced" in report.problems[0]


def test_disk_full_while_spooling_is_a_clear_error(
    bulk_db: Database, staging_sandbox: SandboxState, tmp_path: Path
) -> None:
    with pytest.raises(BackupError, match="spool disk is full"):
        run_backup(
            database=bulk_db,
            target=_target(staging_sandbox),
            spool_dir=tmp_path,
            spool_limit_bytes=256 * 1024,
        )
    _nothing_complete_for(staging_sandbox)
    assert list(tmp_path.iterdir()) == []  # the spool is cleaned up


def test_a_pg_dump_older_than_the_server_is_refused_before_dumping(
    tenants_db: Database,
    staging_sandbox: SandboxState,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A client one major behind the server, as a PostgreSQL 15 pg_dump facing RDS 16 would be.
    with psycopg.connect(**tenants_db.conninfo()) as conn:
        (server_num,) = conn.execute("SHOW server_version_num").fetchone()
    older = int(server_num) // 10000 - 1
    dumped = tmp_path / "dump-args"
    tool = tmp_path / "pg_dump"
    tool.write_text(
        "#!/bin/sh\n"
        f'[ "$1" = --version ] && echo "pg_dump (PostgreSQL) {older}.9" && exit 0\n'
        f'echo "$@" > {dumped}\n'
    )
    tool.chmod(0o755)
    monkeypatch.setattr("scripts.ops.backup.pg_tool", lambda name: str(tool))

    with pytest.raises(BackupError, match=rf"pg_dump is PostgreSQL {older}'s, older than the"):
        run_backup(database=tenants_db, target=_target(staging_sandbox))

    assert not dumped.exists()  # refused before pg_dump ran
    _nothing_complete_for(staging_sandbox)
    refused = [m for m in _manifests(staging_sandbox) if "older than" in (m.get("error") or "")]
    assert refused
    assert refused[0]["complete"] is False


def test_tool_versions_are_read_and_compared_by_major() -> None:
    from scripts.ops.backup import check_dump_tool, pg_tool, tool_major

    local = subprocess.run([pg_tool("pg_dump"), "--version"], capture_output=True, text=True)
    assert tool_major(local.stdout) is not None
    assert tool_major("pg_dump (PostgreSQL) 16.4 (Debian 16.4-1.pgdg120+2)") == 16
    check_dump_tool("pg_dump (PostgreSQL) 16.4", 160004, "16.4")  # same major: fine
    check_dump_tool("pg_dump (PostgreSQL) 17.0", 160004, "16.4")  # newer client: fine
    with pytest.raises(BackupError, match="cannot tell pg_dump's version"):
        check_dump_tool("something else", 160004, "16.4")


def test_cli_run_with_s3_unreachable_exits_1_and_writes_a_manifest_never_complete(
    tenants_db: Database, staging_sandbox: SandboxState, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HRMS_STACK_OUTPUTS": json.dumps(staging_sandbox.outputs),
    }
    url = (
        f"postgres://{tenants_db.user}:{tenants_db.password}@{tenants_db.host}:"
        f"{tenants_db.port}/{tenants_db.dbname}"
    )
    manifest_path = tmp_path / "manifest.json"
    run = subprocess.run(
        [HRMSCTL, "backup", "run", "--stack", "staging", "--database-url", url,
         "--endpoint-url", f"http://127.0.0.1:{free_port()}", "--json", str(manifest_path)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert "S3 unreachable" in run.stderr
    manifest = json.loads(manifest_path.read_text())
    assert manifest["complete"] is False
    assert "S3 unreachable" in manifest["error"]
    assert manifest["object"].startswith("s3://")
    assert manifest["tables"] == {}  # nothing claimed about a dump that is not stored


def test_without_a_url_the_backup_role_comes_from_make_serves_services_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scripts.ops.backup import resolve_database

    monkeypatch.delenv("DATABASE_IAM_AUTH", raising=False)
    services = tmp_path / "services.json"
    with pytest.raises(BackupError, match="DB=postgres make serve"):
        resolve_database(None, services)
    services.write_text(
        json.dumps({"database": {"backup_url": "postgres://hrms_backup:pw@127.0.0.1:5999/hrms"}})
    )

    database = resolve_database(None, services)

    assert (database.user, database.password, database.port) == ("hrms_backup", "pw", 5999)
    assert (database.host, database.dbname) == ("127.0.0.1", "hrms")
    assert resolve_database("postgres://other:x@db:5432/d", services).user == "other"


def test_pg_tool_picks_the_newest_major_whether_in_debians_layout_or_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scripts.ops.backup import pg_tool, tool_major, tool_version

    installed = pg_tool("pg_dump")
    newer = int(tool_major(tool_version(installed)) or 0) + 1
    tool = tmp_path / "pg_dump"
    tool.write_text(f'#!/bin/sh\necho "pg_dump (PostgreSQL) {newer}.0"\n')
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")

    assert pg_tool("pg_dump") == str(tool)
    tool.write_text('#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n')
    if installed.startswith("/usr/lib/postgresql/"):  # else the stand-in shadows it on PATH
        assert pg_tool("pg_dump") == installed
