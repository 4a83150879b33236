"""Start and stop a throwaway PostgreSQL server on a free loopback port.

PostgreSQL refuses to run as root, so when the caller is root the server runs as the
``postgres`` OS user (via ``runuser``) in a temporary directory that user owns. The
superuser connects only over a Unix socket in that directory (trust auth); TCP on
127.0.0.1 requires a password (scram-sha-256), which is how application roles connect.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg
from psycopg import sql

SERVER_OS_USER = "postgres"
SUPERUSER = "postgres"


class PostgresError(RuntimeError):
    """The local server could not be started, stopped or configured."""


@dataclass(frozen=True, kw_only=True)
class PostgresServer:
    host: str
    port: int
    base_dir: Path
    data_dir: Path
    socket_dir: Path
    bin_dir: Path
    run_as: str | None  # OS user the server runs as when we had to switch away from root

    def superuser_conninfo(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} port={self.port} user={SUPERUSER} dbname={dbname}"

    def url(self, *, user: str, password: str, dbname: str) -> str:
        return f"postgres://{user}:{password}@{self.host}:{self.port}/{dbname}"


def find_bin_dir() -> Path:
    """Directory holding ``initdb`` and ``pg_ctl`` (PATH first, then Debian's layout)."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    raise PostgresError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in "
        "/usr/lib/postgresql/*/bin; install them (Debian: apt-get install postgresql)"
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _as_server_user(argv: list[str], run_as: str | None) -> list[str]:
    if run_as is None:
        return argv
    return ["runuser", "-u", run_as, "--", *argv]


def _run(argv: list[str], run_as: str | None, *, what: str) -> None:
    result = subprocess.run(  # noqa: S603 - fixed binaries, no shell
        _as_server_user(argv, run_as), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise PostgresError(f"{what} failed ({result.returncode}): {result.stderr.strip()}")


def postgres_start(
    *, fast: bool = True, host: str = "127.0.0.1", extra_settings: tuple[str, ...] = ()
) -> PostgresServer:
    """Initialise a new cluster in a temp dir and start it; ``fast`` trades durability for speed.

    ``extra_settings`` are more server settings, ``name=value`` each (benchmarks load
    ``pg_stat_statements`` to count statements).
    """
    bin_dir = find_bin_dir()
    run_as = SERVER_OS_USER if os.geteuid() == 0 else None
    base_dir = Path(tempfile.mkdtemp(prefix="hrms-pg-"))
    data_dir = base_dir / "data"
    socket_dir = base_dir / "sock"
    socket_dir.mkdir()
    if run_as is not None:
        entry = pwd.getpwnam(run_as)
        for path in (base_dir, socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    try:
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
                # Skips only initdb's final flush of the empty cluster (seconds on a busy
                # disk); a throwaway cluster never outlives the OS. The server's own
                # durability (fsync, synchronous commit) is untouched.
                "--no-sync",
            ],
            run_as,
            what="initdb",
        )
        settings = [
            f"-c listen_addresses={host}",
            f"-c unix_socket_directories={socket_dir}",
            "-c max_connections=100",
        ]
        if fast:
            settings += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        settings += [f"-c {setting}" for setting in extra_settings]
        last_error: PostgresError | None = None
        for _attempt in range(3):  # another process may grab the free port first
            port = free_port(host)
            try:
                _run(
                    [
                        str(bin_dir / "pg_ctl"),
                        "-D",
                        str(data_dir),
                        "-l",
                        str(base_dir / "server.log"),
                        "-o",
                        " ".join([f"-p {port}", *settings]),
                        "-w",
                        "-t",
                        "60",
                        "start",
                    ],
                    run_as,
                    what="pg_ctl start",
                )
            except PostgresError as exc:
                last_error = exc
                continue
            return PostgresServer(
                host=host,
                port=port,
                base_dir=base_dir,
                data_dir=data_dir,
                socket_dir=socket_dir,
                bin_dir=bin_dir,
                run_as=run_as,
            )
        raise last_error or PostgresError("pg_ctl start failed")
    except BaseException:
        shutil.rmtree(base_dir, ignore_errors=True)
        raise


def postgres_stop(server: PostgresServer) -> None:
    """Stop the server immediately and delete its files."""
    try:
        if (server.data_dir / "postmaster.pid").exists():
            _run(
                [
                    str(server.bin_dir / "pg_ctl"),
                    "-D",
                    str(server.data_dir),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                server.run_as,
                what="pg_ctl stop",
            )
    finally:
        shutil.rmtree(server.base_dir, ignore_errors=True)


def postgres_halt(server: PostgresServer, *, mode: str = "immediate") -> None:
    """Stop the server but keep its files, so ``postgres_resume`` brings the same data back.

    ``immediate`` is a crash as far as the data is concerned: no checkpoint, WAL replay on
    the next start (what fault-injection runs want to survive).
    """
    _run(
        [str(server.bin_dir / "pg_ctl"), "-D", str(server.data_dir), "-m", mode, "-w", "stop"],
        server.run_as,
        what="pg_ctl stop",
    )


def postgres_resume(server: PostgresServer) -> None:
    """Start a halted server again on the same data directory, port and settings."""
    # The server recorded its own command line: postgres "-D" DIR then the options.
    recorded = shlex.split((server.data_dir / "postmaster.opts").read_text())
    options = recorded[3:] if recorded[1:2] == ["-D"] else recorded[1:]
    _run(
        [
            str(server.bin_dir / "pg_ctl"),
            "-D",
            str(server.data_dir),
            "-l",
            str(server.base_dir / "server.log"),
            "-o",
            shlex.join(options),
            "-w",
            "-t",
            "60",
            "start",
        ],
        server.run_as,
        what="pg_ctl start",
    )


def postgres_create_role(
    server: PostgresServer, *, name: str, password: str, createdb: bool = False
) -> None:
    """A login role that is neither superuser nor BYPASSRLS, so row-level security binds it."""
    options = sql.SQL("LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE {createdb} PASSWORD {pw}").format(
        createdb=sql.SQL("CREATEDB" if createdb else "NOCREATEDB"), pw=sql.Literal(password)
    )
    with psycopg.connect(server.superuser_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} ").format(sql.Identifier(name)) + options)


def postgres_create_database(server: PostgresServer, *, name: str, owner: str) -> None:
    with psycopg.connect(server.superuser_conninfo(), autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(owner)
            )
        )


@contextlib.contextmanager
def postgres_running(*, fast: bool = True) -> Iterator[PostgresServer]:
    server = postgres_start(fast=fast)
    try:
        yield server
    finally:
        postgres_stop(server)


@dataclass(frozen=True, kw_only=True)
class AppDatabase:
    """A database with the deployed role layout: migrations as ``owner``, the app as ``runtime``."""

    server: PostgresServer
    name: str
    owner: str
    owner_password: str
    runtime: str
    runtime_password: str
    # Logical backups: BYPASSRLS, SELECT only (app/core/db_roles.py).
    backup: str | None = None
    backup_password: str = ""

    @property
    def backup_url(self) -> str | None:
        if self.backup is None:
            return None
        return self.server.url(user=self.backup, password=self.backup_password, dbname=self.name)

    @property
    def owner_url(self) -> str:
        return self.server.url(user=self.owner, password=self.owner_password, dbname=self.name)

    @property
    def runtime_url(self) -> str:
        return self.server.url(user=self.runtime, password=self.runtime_password, dbname=self.name)


def postgres_set_password(server: PostgresServer, *, role: str, password: str) -> None:
    """Rotate ``role``'s password (existing sessions stay up, new logins need the new one)."""
    with psycopg.connect(server.superuser_conninfo(), autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password))
        )


def postgres_bootstrap_roles(
    server: PostgresServer,
    *,
    database: str,
    owner: str,
    runtime: str,
    backup: str | None = None,
) -> None:
    """What the migration Job does as the RDS master user, here as the local superuser."""
    from app.core.db_roles import RoleLayout, roles_bootstrap

    with psycopg.connect(server.superuser_conninfo(database), autocommit=True) as conn:
        roles_bootstrap(
            conn, RoleLayout(owner=owner, runtime=runtime, backup=backup), runtime_iam=False
        )


def postgres_app_database(
    server: PostgresServer,
    *,
    name: str = "hrms",
    owner: str = "hrms_owner",
    runtime: str = "hrms_app",
    backup: str | None = "hrms_backup",
    owner_createdb: bool = False,
) -> AppDatabase:
    """Owner, runtime (and backup) login roles with fresh passwords, ``name`` owned by the
    owner, grants.

    ``owner_createdb`` lets the owner create databases (pytest-django's test database).
    """
    owner_password, runtime_password = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    backup_password = secrets.token_urlsafe(24)
    postgres_create_role(server, name=owner, password=owner_password, createdb=owner_createdb)
    postgres_create_role(server, name=runtime, password=runtime_password)
    postgres_create_database(server, name=name, owner=owner)
    postgres_bootstrap_roles(server, database=name, owner=owner, runtime=runtime, backup=backup)
    if backup is not None:
        postgres_set_password(server, role=backup, password=backup_password)
    return AppDatabase(
        server=server,
        name=name,
        owner=owner,
        owner_password=owner_password,
        runtime=runtime,
        runtime_password=runtime_password,
        backup=backup,
        backup_password=backup_password if backup is not None else "",
    )


def app_database_save(database: AppDatabase, path: Path) -> None:
    """Describe a running server and its database for other processes (passwords: mode 0600)."""
    fields = asdict(database)
    fields["server"] = {
        k: str(v) if isinstance(v, Path) else v for k, v in fields["server"].items()
    }
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(json.dumps(fields))
    path.chmod(0o600)  # an existing file keeps its mode through O_CREAT


def app_database_load(path: Path) -> AppDatabase:
    fields = json.loads(path.read_text(encoding="utf-8"))
    server = fields.pop("server")
    for key in ("base_dir", "data_dir", "socket_dir", "bin_dir"):
        server[key] = Path(server[key])
    return AppDatabase(server=PostgresServer(**server), **fields)
