"""Backup benchmark: ``hrmsctl backup run`` against plain ``pg_dump -Fc`` to a local file.

Same data (a throwaway local PostgreSQL with several tenants' worth of rows), same
machine. The backup also checksums every table in the dump's snapshot and uploads to S3
(moto's server on loopback, SSE-KMS), overlapping both with pg_dump. Restore time per GB
is ``backup verify``'s pg_restore into a scratch database. Prints a table and writes
``build/bench/backup.json``. Run with ``make bench-backup``.
"""

from __future__ import annotations

import json
import secrets
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from scripts.ops.aws import Account
from scripts.ops.backup import BackupTarget, Database, pg_tool, run_backup, verify_backup
from scripts.ops.sandbox import _stop, free_port, start_server

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "build" / "bench" / "backup.json"
ROWS = 1_000_000
TENANTS = 20
REPEATS = 3
GOAL = 0.9


def _seed(conninfo: str, backup_role: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE employee (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, "
            "name text NOT NULL, email text NOT NULL, notes text, hired date NOT NULL)"
        )
        conn.execute(
            "INSERT INTO employee SELECT g, g %% %s, 'Employee ' || g, "
            "md5(g::text) || '@example.com', repeat(md5((g * 7)::text), 3), "
            "date '2020-01-01' + (g %% 2000) FROM generate_series(1, %s) g",
            [TENANTS, ROWS],
        )
        conn.execute("ANALYZE employee")
        conn.execute(sql.SQL("GRANT SELECT ON employee TO {}").format(sql.Identifier(backup_role)))


def _timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    from scripts.local_services.postgres import postgres_running

    console = Console()
    with postgres_running(fast=True) as server, tempfile.TemporaryDirectory() as tmp:
        password = secrets.token_urlsafe(18)
        with psycopg.connect(server.superuser_conninfo(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE ROLE bench_backup LOGIN BYPASSRLS PASSWORD {}").format(
                    sql.Literal(password)
                )
            )
            conn.execute("CREATE DATABASE bench")
        _seed(server.superuser_conninfo("bench"), "bench_backup")
        with psycopg.connect(server.superuser_conninfo("bench")) as conn:
            row = conn.execute("SELECT pg_database_size('bench')").fetchone()
        db_bytes = int(row[0]) if row else 0
        database = Database(
            host=server.host,
            port=server.port,
            user="bench_backup",
            dbname="bench",
            password=password,
        )
        port = free_port()
        moto = start_server(port, Path(tmp) / "moto.log")
        try:
            account = Account(region="eu-west-1", endpoint_url=f"http://127.0.0.1:{port}")
            key = account.client("kms").create_key()["KeyMetadata"]["Arn"]
            account.client("s3").create_bucket(
                Bucket="bench-backups",
                CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
            )
            account.client("s3").put_bucket_versioning(
                Bucket="bench-backups", VersioningConfiguration={"Status": "Enabled"}
            )
            target = BackupTarget(
                account=account, bucket="bench-backups", kms_key_arn=key, stack="bench"
            )
            pg_dump = pg_tool("pg_dump")
            plain_file = Path(tmp) / "plain.dump"

            def plain() -> None:
                subprocess.run(  # noqa: S603 - fixed tool
                    [pg_dump, "--format=custom", "--no-password", "-f", str(plain_file)],
                    env=database.env(),
                    check=True,
                )

            manifests: list[dict[str, Any]] = []
            plain_times, backup_times = [], []
            for _ in range(REPEATS):  # interleaved, so drift hits both alike
                plain_times.append(_timed(plain))
                backup_times.append(
                    _timed(
                        lambda: manifests.append(
                            run_backup(database=database, target=target).to_dict()
                        )
                    )
                )
            dump_bytes = int(manifests[-1]["bytes"])
            report = verify_backup(manifests[-1], account=account)
        finally:
            _stop(moto.pid)
    plain_s, backup_s = statistics.median(plain_times), statistics.median(backup_times)
    # Where backup run's time goes (medians over the runs), next to plain pg_dump's.
    phases = {
        name: round(statistics.median(float(m["timings"][name]) for m in manifests), 3)
        for name in ("dump_seconds", "digest_seconds", "upload_tail_seconds")
    }
    gb = db_bytes / 1024**3
    result = {
        "rows": ROWS,
        "database_bytes": db_bytes,
        "dump_bytes": dump_bytes,
        "repeats": REPEATS,
        "pg_dump_seconds": round(plain_s, 3),
        "backup_run_seconds": round(backup_s, 3),
        "pg_dump_mb_per_s": round(db_bytes / 1024**2 / plain_s, 1),
        "backup_run_mb_per_s": round(db_bytes / 1024**2 / backup_s, 1),
        "throughput_ratio": round(plain_s / backup_s, 3),
        "backup_run_phases": phases,
        "goal_ratio": GOAL,
        "meets_goal": plain_s / backup_s >= GOAL,
        "verify_ok": report.ok,
        "restore_seconds": report.restore_seconds,
        "restore_seconds_per_gb": round((report.restore_seconds or 0) / gb, 1) if gb else None,
    }
    table = Table(title=f"logical backup vs pg_dump ({ROWS:,} rows, {db_bytes / 1024**2:.0f} MB)")
    table.add_column("measure")
    table.add_column("pg_dump -Fc to file", justify="right")
    table.add_column("hrmsctl backup run", justify="right")
    table.add_row("median seconds", f"{plain_s:.2f}", f"{backup_s:.2f}")
    table.add_row(
        "MB/s (database size)",
        f"{result['pg_dump_mb_per_s']}",
        f"{result['backup_run_mb_per_s']}",
    )
    table.add_row("  of which pg_dump running", f"{plain_s:.2f}", f"{phases['dump_seconds']:.2f}")
    table.add_row("  checksum pass (beside pg_dump)", "-", f"{phases['digest_seconds']:.2f}")
    table.add_row("  upload tail (after pg_dump)", "-", f"{phases['upload_tail_seconds']:.2f}")
    console.print(table)
    console.print(
        f"throughput ratio {result['throughput_ratio']} (goal >= {GOAL}); "
        f"restore {report.restore_seconds}s = {result['restore_seconds_per_gb']} s/GB; "
        f"verify {'ok' if report.ok else 'FAILED'}"
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    console.print(f"written to {OUT}")


if __name__ == "__main__":
    main()
