"""The throwaway PostgreSQL launcher: a real server, an RLS-bound role, nothing left behind."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import psycopg
import pytest

from scripts.local_services.postgres import (
    AppDatabase,
    PostgresError,
    PostgresServer,
    app_database_load,
    app_database_save,
    postgres_create_database,
    postgres_create_role,
    postgres_running,
)

pytestmark = pytest.mark.postgres


def test_server_role_and_cleanup() -> None:
    with postgres_running() as server:
        postgres_create_role(server, name="app", password="pw-1", createdb=True)
        postgres_create_database(server, name="appdb", owner="app")
        with psycopg.connect(server.url(user="app", password="pw-1", dbname="appdb")) as conn:
            row = conn.execute(
                "SELECT current_user, rolsuper, rolbypassrls, rolcreatedb "
                "FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
            assert row == ("app", False, False, True)
            listen = conn.execute("SHOW listen_addresses").fetchone()
            assert listen == ("127.0.0.1",)
        # TCP needs the password.
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(server.url(user="app", password="wrong", dbname="appdb")).close()
        if os.geteuid() == 0:
            assert server.run_as == "postgres"
        base, port = server.base_dir, server.port
    assert not base.exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_missing_binaries_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr("glob.glob", lambda pattern: [])
    with pytest.raises(PostgresError, match="initdb, pg_ctl"), postgres_running():
        pass


def test_a_described_database_reads_back_whole_and_private(tmp_path: Path) -> None:
    """``make mutation`` hands one server to many test sessions through this file."""
    server = PostgresServer(
        host="127.0.0.1",
        port=54321,
        base_dir=tmp_path,
        data_dir=tmp_path / "data",
        socket_dir=tmp_path / "sock",
        bin_dir=Path("/usr/lib/postgresql/15/bin"),
        run_as="postgres",
    )
    database = AppDatabase(
        server=server,
        name="hrms",
        owner="hrms_owner",
        owner_password="owner-pw",
        runtime="hrms_app",
        runtime_password="app-pw",
        backup="hrms_backup",
        backup_password="backup-pw",
    )
    described = tmp_path / "postgres.json"
    app_database_save(database, described)
    assert app_database_load(described) == database
    assert described.stat().st_mode & 0o777 == 0o600  # it holds passwords
