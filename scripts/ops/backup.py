"""Logical backups: ``pg_dump`` to S3 (SSE-KMS, dated key) with a manifest, and their verification.

A backup is taken inside one exported snapshot: ``pg_dump --snapshot`` dumps it while the
same transaction counts and checksums every table (:func:`table_digests`), so the manifest
describes exactly what the dump holds. The dump spools to a local file that a second
thread uploads part by part as it grows (multipart, SSE-KMS), so upload and dump overlap.
The manifest says ``complete: true`` only once pg_dump exited 0, the upload completed and
the stored object was checked (size, ETag, encryption); anything else leaves
``complete: false`` with the error, and the multipart upload aborted.

Checksums are stable across dump and restore: rows in primary-key order (text keys in
the "C" collation, so the server's locale does not matter), COPY text output in a
session with fixed output settings, sha256 over those bytes.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
from psycopg import sql

from scripts.ops.aws import Account

# No stacks.offline import: the backup CronJob's image carries only what this needs.
REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES_JSON = REPO_ROOT / "build" / "serve" / "services.json"
PREFIX = "logical"
PART_SIZE = 8 * 1024 * 1024  # S3's minimum is 5 MiB for every part but the last
POLL_SECONDS = 0.05
SCHEMA = "public"
# Output settings that make COPY's text identical on any server and session.
STABLE_SESSION = (
    "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 3",
    "SET bytea_output = 'hex'",
)


class BackupError(RuntimeError):
    """A backup or its verification failed; the message says what and where. A failed run
    carries its manifest (``complete: false``), which ``backup run --json`` writes."""

    def __init__(self, message: str, *, manifest: Manifest | None = None) -> None:
        super().__init__(message)
        self.manifest = manifest


# ------------------------------------------------------------------ database access


@dataclass(frozen=True, kw_only=True)
class Database:
    """libpq connection parameters; the password never goes on a command line."""

    host: str
    port: int
    user: str
    dbname: str
    password: str = field(repr=False)
    sslmode: str | None = None

    @classmethod
    def from_url(cls, url: str) -> Database:
        parsed = urlparse(url)
        if parsed.scheme not in ("postgres", "postgresql") or not parsed.hostname:
            raise BackupError(f"not a postgres:// URL: {parsed.scheme}://{parsed.hostname}")
        query = dict(p.split("=", 1) for p in parsed.query.split("&") if "=" in p)
        return cls(
            host=parsed.hostname,
            port=parsed.port or 5432,
            user=parsed.username or "",
            dbname=(parsed.path or "/").lstrip("/") or "postgres",
            password=parsed.password or "",
            sslmode=query.get("sslmode"),
        )

    def conninfo(self, **override: Any) -> dict[str, Any]:
        params: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "dbname": self.dbname,
            "password": self.password,
        }
        if self.sslmode:
            params["sslmode"] = self.sslmode
        params.update(override)
        return params

    def connect(self, **override: Any) -> psycopg.Connection[Any]:
        return psycopg.connect(**self.conninfo(**override))

    def env(self) -> dict[str, str]:
        """What the pg tools read: PG* variables, so no secret shows in ``ps``."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGDATABASE": self.dbname,
            "PGPASSWORD": self.password,
            "PGAPPNAME": "hrmsctl-backup",
        }
        if self.sslmode:
            env["PGSSLMODE"] = self.sslmode
        return env

    def describe(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"


def resolve_database(url: str | None, services_json: Path = SERVICES_JSON) -> Database:
    """--database-url, else the deployed env (IAM token), else ``DB=postgres make serve``'s."""
    if url:
        return Database.from_url(url)
    env = os.environ
    if env.get("DATABASE_IAM_AUTH", "").lower() == "true" and env.get("DATABASE_HOST"):
        from app.core.db_credentials import rds_iam_token

        host, port, user = env["DATABASE_HOST"], int(env.get("DATABASE_PORT", "5432")), ""
        user = env.get("DATABASE_USER", "hrms_backup")
        token = rds_iam_token(host=host, port=port, user=user, region=env["AWS_REGION"])
        return Database(
            host=host,
            port=port,
            user=user,
            dbname=env.get("DATABASE_NAME", "hrms"),
            password=token,
            sslmode=env.get("DATABASE_SSLMODE", "require"),
        )
    try:
        services = json.loads(services_json.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(
            f"no --database-url and no {services_json}: give the URL of the backup role, "
            "or start the local app with 'DB=postgres make serve'"
        ) from exc
    backup_url = (services.get("database") or {}).get("backup_url")
    if not backup_url:
        raise BackupError(f"{services_json} has no database.backup_url (an older make serve?)")
    return Database.from_url(str(backup_url))


# ------------------------------------------------------------------ table digests


@dataclass(frozen=True)
class TableDigest:
    rows: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "sha256": self.sha256}


def _stable(conn: psycopg.Connection[Any]) -> None:
    for statement in STABLE_SESSION:
        conn.execute(statement)


def _tables(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
        "ORDER BY c.relname",
        [SCHEMA],
    ).fetchall()
    return [str(r[0]) for r in rows]


def _order_by(conn: psycopg.Connection[Any], table: str) -> sql.Composable:
    keys = conn.execute(
        "SELECT a.attname, a.attcollation <> 0 FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = %s::regclass AND i.indisprimary "
        "ORDER BY array_position(i.indkey, a.attnum)",
        [f'{SCHEMA}."{table}"'],
    ).fetchall()
    if not keys:
        # No primary key: the whole row's text, in byte order.
        return sql.SQL('(t.*)::text COLLATE "C"')
    return sql.SQL(", ").join(
        sql.SQL('{} COLLATE "C"').format(sql.Identifier(str(name)))
        if collatable
        else sql.Identifier(str(name))
        for name, collatable in keys
    )


def table_digest(conn: psycopg.Connection[Any], table: str) -> TableDigest:
    query = sql.SQL("COPY (SELECT * FROM {} t ORDER BY {}) TO STDOUT").format(
        sql.Identifier(SCHEMA, table), _order_by(conn, table)
    )
    digest, rows = hashlib.sha256(), 0
    with conn.cursor().copy(query) as copy:
        # COPY TO hands out one row per chunk (libpq's PQgetCopyData): hash the buffer as
        # is, no copy, no scan for newlines; this loop is the digest's whole client cost.
        for chunk in copy:
            digest.update(chunk)
            rows += 1
    return TableDigest(rows=rows, sha256=digest.hexdigest())


def table_digests(conn: psycopg.Connection[Any]) -> dict[str, TableDigest]:
    _stable(conn)
    return {table: table_digest(conn, table) for table in _tables(conn)}


def tenant_counts(conn: psycopg.Connection[Any]) -> dict[str, dict[str, int]]:
    """Rows per tenant per table, for every table with a ``tenant_id`` column."""
    tables = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
        [SCHEMA],
    ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for (table,) in tables:
        query = sql.SQL("SELECT tenant_id::text, count(*) FROM {} GROUP BY 1").format(
            sql.Identifier(SCHEMA, str(table))
        )
        for tenant, rows in conn.execute(query).fetchall():
            counts.setdefault(str(tenant), {})[str(table)] = int(rows)
    return counts


# ------------------------------------------------------------------ tools


def pg_tool(name: str) -> str:
    """The client tool of the newest PostgreSQL major installed, in Debian's layout (where the
    app image puts its own) or on PATH: pg_dump must not be older than the server it dumps."""
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    if not candidates:
        raise BackupError(f"{name} not found (install the PostgreSQL client tools)")
    return max(candidates, key=lambda path: tool_major(tool_version(path)) or 0)


def tool_major(version: str) -> int | None:
    """The major of ``pg_dump --version`` output: 'pg_dump (PostgreSQL) 16.4 (Debian ...)' -> 16."""
    match = re.search(r"\(PostgreSQL\) (\d+)", version)
    return int(match.group(1)) if match else None


def check_dump_tool(tool_version_text: str, server_version_num: int, server_version: str) -> None:
    """Refuse before dumping when pg_dump is older than the server (pg_dump would refuse
    mid-run) or says no version at all."""
    tool = tool_major(tool_version_text)
    server = server_version_num // 10000
    if tool is None:
        raise BackupError(
            f"cannot tell pg_dump's version from {tool_version_text!r}; nothing was dumped"
        )
    if tool < server:
        raise BackupError(
            f"pg_dump is PostgreSQL {tool}'s, older than the server (PostgreSQL "
            f"{server_version}): pg_dump refuses servers newer than itself. Run with the "
            f"PostgreSQL {server} client tools or newer (the app image carries them, "
            "app/Dockerfile); nothing was dumped"
        )


def tool_version(path: str) -> str:
    result = subprocess.run(  # noqa: S603 - a fixed tool path
        [path, "--version"], capture_output=True, text=True, check=False, timeout=30
    )
    return result.stdout.strip()


def _limit_file_size(limit: int | None) -> Callable[[], None] | None:
    """In the child: cap the size of files it writes, so a full disk is an error, not a
    node eviction; SIGXFSZ ignored so the write fails with EFBIG and pg_dump says so."""
    if limit is None:
        return None

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


# ------------------------------------------------------------------ S3 target


@dataclass(frozen=True, kw_only=True)
class BackupTarget:
    account: Account
    bucket: str
    kms_key_arn: str
    stack: str

    def keys(self, when: datetime) -> tuple[str, str]:
        stamp = when.strftime("%Y%m%dT%H%M%SZ")
        base = f"{PREFIX}/{when:%Y/%m/%d}/{self.stack}-{stamp}"
        return f"{base}.dump", f"{base}.manifest.json"


def s3_url(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def parse_s3_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc or not parsed.path.strip("/"):
        raise BackupError(f"not an s3://bucket/key URL: {url!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def _describe_aws_error(exc: BaseException) -> str:
    from botocore.exceptions import ClientError, EndpointConnectionError

    if isinstance(exc, EndpointConnectionError):
        return f"S3 unreachable ({exc})"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"S3 refused: {error.get('Code')}: {error.get('Message')}"
    return f"{type(exc).__name__}: {exc}"


class _TailUpload(threading.Thread):
    """Uploads a file that another process is still writing, one part per PART_SIZE."""

    def __init__(self, target: BackupTarget, key: str, path: Path) -> None:
        super().__init__(name="backup-upload", daemon=True)
        self.target, self.key, self.path = target, key, path
        self.writer_done = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []
        self.size = 0
        self.sha256 = hashlib.sha256()

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:
            self.error = exc

    def _run(self) -> None:
        s3 = self.target.account.client("s3")
        self.upload_id = s3.create_multipart_upload(
            Bucket=self.target.bucket,
            Key=self.key,
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=self.target.kms_key_arn,
            BucketKeyEnabled=True,
            ContentType="application/octet-stream",
        )["UploadId"]
        with self.path.open("rb") as source:
            while not self.stop.is_set():
                finished = self.writer_done.is_set()  # before the size: then it is final
                available = os.fstat(source.fileno()).st_size - self.size
                if available >= PART_SIZE or (finished and available > 0):
                    self._part(s3, source.read(min(available, PART_SIZE)))
                elif finished:
                    return
                else:
                    time.sleep(POLL_SECONDS)

    def _part(self, s3: Any, data: bytes) -> None:
        number = len(self.parts) + 1
        response = s3.upload_part(
            Bucket=self.target.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=data,
        )
        self.parts.append({"ETag": response["ETag"], "PartNumber": number})
        self.size += len(data)
        self.sha256.update(data)

    def abort(self) -> None:
        self.stop.set()
        self.join()
        if self.upload_id is not None:
            with contextlib.suppress(Exception):
                self.target.account.client("s3").abort_multipart_upload(
                    Bucket=self.target.bucket, Key=self.key, UploadId=self.upload_id
                )


# ------------------------------------------------------------------ backup run


@dataclass(kw_only=True)
class Manifest:
    """What ``backup run`` writes next to the dump and to ``--json``."""

    object: str
    complete: bool
    stack: str
    started_at: str
    snapshot_at: str | None = None
    finished_at: str | None = None
    duration_seconds: float | None = None
    bytes: int | None = None
    sha256: str | None = None
    etag: str | None = None
    version_id: str | None = None
    kms_key_arn: str | None = None
    database: dict[str, Any] = field(default_factory=dict)
    tools: dict[str, str] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    tenants: dict[str, dict[str, int]] = field(default_factory=dict)
    # Where the time went: pg_dump, the checksum pass beside it, the upload's tail after it.
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    format: str = "pg_dump custom (-Fc)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "object": self.object,
            "complete": self.complete,
            "stack": self.stack,
            "format": self.format,
            "started_at": self.started_at,
            "snapshot_at": self.snapshot_at,
            "finished_at": self.finished_at,
            "duration_seconds": self.duration_seconds,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "etag": self.etag,
            "version_id": self.version_id,
            "kms_key_arn": self.kms_key_arn,
            "database": self.database,
            "tools": self.tools,
            "tables": self.tables,
            "tenants": self.tenants,
            "timings": self.timings,
            "error": self.error,
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, kw_only=True)
class BackupHooks:
    """Points where tests inject faults (kill pg_dump, change the object under us)."""

    on_dump_progress: Callable[[subprocess.Popen[bytes], int], None] | None = None
    on_uploaded: Callable[[str, str], None] | None = None


def run_backup(
    *,
    database: Database,
    target: BackupTarget,
    spool_dir: Path | None = None,
    spool_limit_bytes: int | None = None,
    hooks: BackupHooks = BackupHooks(),
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Manifest:
    """Dump, checksum and upload; returns the manifest (``complete`` True) or raises
    :class:`BackupError` after recording a manifest with ``complete: false`` where it can."""
    started = now()
    clock = time.monotonic()
    dump_key, manifest_key = target.keys(started)
    manifest = Manifest(
        object=s3_url(target.bucket, dump_key),
        complete=False,
        stack=target.stack,
        started_at=_iso(started),
        kms_key_arn=target.kms_key_arn,
        database={"host": database.host, "name": database.dbname, "role": database.user},
    )
    pg_dump = pg_tool("pg_dump")
    manifest.tools = {"pg_dump": tool_version(pg_dump)}
    work = Path(tempfile.mkdtemp(prefix="hrms-backup-", dir=spool_dir))
    try:
        _dump_and_upload(
            manifest,
            database=database,
            target=target,
            dump_key=dump_key,
            pg_dump=pg_dump,
            spool=work / "dump",
            spool_limit_bytes=spool_limit_bytes,
            hooks=hooks,
        )
    except BaseException as exc:
        manifest.error = str(exc) if isinstance(exc, BackupError) else _describe_aws_error(exc)
        manifest.finished_at = _iso(now())
        manifest.duration_seconds = round(time.monotonic() - clock, 3)
        _put_manifest_best_effort(target, manifest_key, manifest)
        raise BackupError(manifest.error, manifest=manifest) from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    manifest.finished_at = _iso(now())
    manifest.duration_seconds = round(time.monotonic() - clock, 3)
    manifest.complete = True
    try:
        _put_manifest(target, manifest_key, manifest)
    except Exception as exc:
        manifest.complete = False
        manifest.error = f"the dump is stored but its manifest is not: {_describe_aws_error(exc)}"
        raise BackupError(manifest.error, manifest=manifest) from exc
    return manifest


def _dump_and_upload(
    manifest: Manifest,
    *,
    database: Database,
    target: BackupTarget,
    dump_key: str,
    pg_dump: str,
    spool: Path,
    spool_limit_bytes: int | None,
    hooks: BackupHooks,
) -> None:
    try:
        conn = database.connect(autocommit=False)
    except psycopg.OperationalError as exc:
        raise BackupError(f"cannot connect to {database.describe()}: {exc}") from exc
    with conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        row = conn.execute(
            "SELECT pg_export_snapshot(), current_setting('server_version'), clock_timestamp(), "
            "current_setting('server_version_num')::int"
        ).fetchone()
        assert row is not None  # noqa: S101 - SELECT without FROM returns one row
        snapshot, server_version = str(row[0]), str(row[1])
        # The moment the dump describes: a drill restores to it and expects the same counts.
        manifest.snapshot_at = _iso(row[2])
        manifest.tools["server"] = f"PostgreSQL {server_version}"
        check_dump_tool(manifest.tools["pg_dump"], int(row[3]), server_version)
        upload = _TailUpload(target, dump_key, spool)
        spool.touch()
        process = subprocess.Popen(  # noqa: S603 - fixed tool, arguments are ours
            [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot}",
                "--no-password",
                "-f",
                str(spool),
            ],
            env=database.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_limit_file_size(spool_limit_bytes),
        )
        dump_clock = time.monotonic()
        upload.start()
        try:
            # The same snapshot pg_dump reads: counts and checksums describe the dump.
            digests = table_digests(conn)
            manifest.tenants = tenant_counts(conn)
            manifest.timings["digest_seconds"] = round(time.monotonic() - dump_clock, 3)
            stderr = _wait_dump(process, upload, spool, hooks)
            manifest.timings["dump_seconds"] = round(time.monotonic() - dump_clock, 3)
        except BaseException:
            if process.poll() is None:
                process.kill()
                process.wait()
            upload.abort()
            raise
        finally:
            conn.rollback()
    if process.returncode != 0:
        upload.abort()
        raise BackupError(_dump_failure(process.returncode, stderr))
    upload.writer_done.set()
    upload.join()
    if upload.error is not None:
        upload.abort()
        raise BackupError(
            f"upload of {manifest.object} failed: {_describe_aws_error(upload.error)}"
        )
    s3 = target.account.client("s3")
    try:
        completed = s3.complete_multipart_upload(
            Bucket=target.bucket,
            Key=dump_key,
            UploadId=upload.upload_id,
            MultipartUpload={"Parts": upload.parts},
        )
    except Exception:
        upload.abort()
        raise
    if hooks.on_uploaded is not None:
        hooks.on_uploaded(target.bucket, dump_key)
    # An unversioned bucket answers "null" (or nothing): there is no version to pin.
    version = completed.get("VersionId") if completed.get("VersionId") != "null" else None
    _check_stored(s3, target, dump_key, version, size=upload.size, etag=completed["ETag"])
    manifest.timings["upload_tail_seconds"] = round(
        time.monotonic() - dump_clock - manifest.timings["dump_seconds"], 3
    )
    manifest.bytes = upload.size
    manifest.sha256 = upload.sha256.hexdigest()
    manifest.etag = completed["ETag"]
    manifest.version_id = version
    manifest.tables = {name: d.to_dict() for name, d in digests.items()}


def _wait_dump(
    process: subprocess.Popen[bytes], upload: _TailUpload, spool: Path, hooks: BackupHooks
) -> str:
    """Wait for pg_dump; stop it early if the upload already failed."""
    assert process.stderr is not None  # noqa: S101 - we asked for the pipe
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(process.stderr.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    while process.poll() is None:
        if upload.error is not None:
            process.kill()
            break
        if hooks.on_dump_progress is not None:
            with contextlib.suppress(FileNotFoundError):
                hooks.on_dump_progress(process, spool.stat().st_size)
        time.sleep(POLL_SECONDS)
    process.wait()
    reader.join(timeout=5)
    if upload.error is not None:
        raise BackupError(f"upload failed: {_describe_aws_error(upload.error)}")
    return b"".join(errors).decode("utf-8", "replace").strip()


def _dump_failure(returncode: int, stderr: str) -> str:
    if returncode < 0:
        what = f"pg_dump was killed by signal {-returncode} ({signal.Signals(-returncode).name})"
    else:
        what = f"pg_dump exited with {returncode}"
    if "File too large" in stderr or "No space left" in stderr:
        what += " (the spool disk is full)"
    return f"{what}: {stderr[-800:] or 'no message'}; nothing was marked complete"


def _check_stored(
    s3: Any, target: BackupTarget, key: str, version: str | None, *, size: int, etag: str
) -> None:
    """The stored object is the one uploaded: same size and ETag, encrypted with our key."""
    head = s3.head_object(Bucket=target.bucket, Key=key)
    problems = []
    if version is not None and head.get("VersionId") != version:
        problems.append(f"the current version is {head.get('VersionId')}, not ours ({version})")
    if head["ContentLength"] != size:
        problems.append(f"{head['ContentLength']} bytes stored, {size} uploaded (truncated?)")
    if head.get("ETag") != etag:
        problems.append(f"ETag {head.get('ETag')} != {etag}")
    if head.get("ServerSideEncryption") != "aws:kms":
        problems.append(f"encryption {head.get('ServerSideEncryption')!r}, not aws:kms")
    stored_key = str(head.get("SSEKMSKeyId") or "")
    if stored_key and target.kms_key_arn.rsplit("/", 1)[-1] not in stored_key:
        problems.append(f"encrypted with {stored_key}, not {target.kms_key_arn}")
    if problems:
        # Not a backup: hide it behind a delete marker; versioning keeps it for forensics.
        with contextlib.suppress(Exception):
            s3.delete_object(Bucket=target.bucket, Key=key)
        raise BackupError(f"s3://{target.bucket}/{key} failed its check: " + "; ".join(problems))


def _put_manifest(target: BackupTarget, key: str, manifest: Manifest) -> None:
    target.account.client("s3").put_object(
        Bucket=target.bucket,
        Key=key,
        Body=json.dumps(manifest.to_dict(), indent=2, sort_keys=True).encode("utf-8"),
        ContentType="application/json",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=target.kms_key_arn,
    )


def _put_manifest_best_effort(target: BackupTarget, key: str, manifest: Manifest) -> None:
    # A failed run is recorded too (backup status reports it); S3 may be the problem.
    with contextlib.suppress(Exception):
        _put_manifest(target, key, manifest)


# ------------------------------------------------------------------ verify


@dataclass(kw_only=True)
class VerifyReport:
    ok: bool
    object: str
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    restore_seconds: float | None = None
    bytes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "object": self.object,
            "tables": self.tables,
            "problems": self.problems,
            "restore_seconds": self.restore_seconds,
            "bytes": self.bytes,
        }


@contextlib.contextmanager
def scratch_database(scratch_url: str | None) -> Iterator[Database]:
    """A database to restore into, dropped afterwards: on the server ``scratch_url`` names
    (its role needs CREATEDB), else on a throwaway local PostgreSQL."""
    name = f"hrms_verify_{secrets.token_hex(4)}"
    if scratch_url is None:
        from scripts.local_services.postgres import postgres_running

        password = secrets.token_urlsafe(18)
        with postgres_running(fast=True) as server:
            with psycopg.connect(server.superuser_conninfo(), autocommit=True) as conn:
                conn.execute(
                    sql.SQL("CREATE ROLE hrms_verify LOGIN SUPERUSER PASSWORD {}").format(
                        sql.Literal(password)
                    )
                )
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            yield Database(
                host=server.host,
                port=server.port,
                user="hrms_verify",
                dbname=name,
                password=password,
            )
        return
    admin = Database.from_url(scratch_url)
    with admin.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield Database(
            host=admin.host,
            port=admin.port,
            user=admin.user,
            dbname=name,
            password=admin.password,
            sslmode=admin.sslmode,
        )
    finally:
        with admin.connect(autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def download(account: Account, url: str, version_id: str | None, path: Path) -> tuple[int, str]:
    bucket, key = parse_s3_url(url)
    extra = {"VersionId": version_id} if version_id else {}
    body = account.client("s3").get_object(Bucket=bucket, Key=key, **extra)["Body"]
    digest, size = hashlib.sha256(), 0
    try:
        with path.open("wb") as out:
            for chunk in iter(lambda: body.read(PART_SIZE), b""):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise BackupError(f"cannot spool {url} to {path.parent}: {exc.strerror}") from exc
    return size, digest.hexdigest()


def verify_backup(
    manifest: Mapping[str, Any],
    *,
    account: Account,
    scratch_url: str | None = None,
    spool_dir: Path | None = None,
) -> VerifyReport:
    """Restore the dump the manifest names into a scratch database and compare every table."""
    url = str(manifest.get("object") or "")
    report = VerifyReport(ok=False, object=url)
    if manifest.get("complete") is not True:
        report.problems.append(f"the manifest is not complete: {manifest.get('error')}")
        return report
    expected_tables: dict[str, Any] = dict(manifest.get("tables") or {})
    work = Path(tempfile.mkdtemp(prefix="hrms-verify-", dir=spool_dir))
    try:
        bucket, key = parse_s3_url(url)
        try:
            head = account.client("s3").head_object(
                Bucket=bucket,
                Key=key,
                **({"VersionId": manifest["version_id"]} if manifest.get("version_id") else {}),
            )
        except Exception as exc:
            report.problems.append(f"cannot read {url}: {_describe_aws_error(exc)}")
            return report
        if head["ContentLength"] != manifest.get("bytes"):
            report.problems.append(
                f"{url} holds {head['ContentLength']} bytes, the manifest {manifest.get('bytes')}"
                " (truncated or replaced)"
            )
            return report
        size, digest = download(account, url, manifest.get("version_id"), work / "dump")
        report.bytes = size
        if digest != manifest.get("sha256"):
            report.problems.append(f"{url} sha256 {digest} != manifest {manifest.get('sha256')}")
            return report
        clock = time.monotonic()
        with scratch_database(scratch_url) as scratch:
            restore = subprocess.run(  # noqa: S603 - fixed tool, our arguments
                [
                    pg_tool("pg_restore"),
                    "--no-owner",
                    "--no-acl",
                    "--exit-on-error",
                    "--no-password",
                    "-d",
                    scratch.dbname,
                    str(work / "dump"),
                ],
                env=scratch.env(),
                capture_output=True,
                text=True,
                check=False,
            )
            if restore.returncode != 0:
                report.problems.append(
                    f"pg_restore exited with {restore.returncode}: {restore.stderr.strip()[-800:]}"
                )
                return report
            with scratch.connect(autocommit=True) as conn:
                restored = table_digests(conn)
        report.restore_seconds = round(time.monotonic() - clock, 3)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for table in sorted(set(expected_tables) | set(restored)):
        want = expected_tables.get(table) or {}
        got = restored.get(table)
        entry: dict[str, Any] = {
            "expected": want.get("rows"),
            "restored": got.rows if got is not None else None,
            "sha256_match": got is not None and got.sha256 == want.get("sha256"),
        }
        report.tables[table] = entry
        if got is None:
            report.problems.append(f"table {table}: missing from the restore")
        elif not want:
            report.problems.append(f"table {table}: restored but not in the manifest")
        elif got.rows != want.get("rows"):
            lost = int(want.get("rows") or 0) - got.rows
            report.problems.append(
                f"table {table}: {want.get('rows')} rows expected, {got.rows} restored "
                f"({lost} lost)"
                if lost > 0
                else f"table {table}: {-lost} rows more than expected"
            )
        elif not entry["sha256_match"]:
            report.problems.append(f"table {table}: same row count, different content (sha256)")
    report.ok = not report.problems
    return report
