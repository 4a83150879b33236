"""``make bench-app``: round trips counted from the server log, statistics current."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
from psycopg import sql

from scripts.bench.app import messages_since, statistics_refresh
from scripts.local_services.postgres import PostgresServer
from tests.fixtures.postgres_server import SuitePostgres


def _server(base: Path) -> PostgresServer:
    return PostgresServer(
        host="127.0.0.1",
        port=1,
        base_dir=base,
        data_dir=base / "data",
        socket_dir=base / "sock",
        bin_dir=base,
        run_as=None,
    )


def test_one_round_trip_per_message_of_the_role(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text(
        "hrms_app:LOG:  statement: BEGIN\n"
        "hrms_app:LOG:  statement: SELECT set_config('app.tenant_id', '4', true); SELECT 1\n"
        "hrms_app:LOG:  execute <unnamed>: SELECT 2\n"
        "postgres:LOG:  statement: SELECT pg_stat_statements_reset()\n"
        "hrms_app:LOG:  duration: 0.1 ms\n"
        "hrms_app:LOG:  statement: COMMIT\n"
    )
    count, offset = messages_since(_server(tmp_path), 0, "hrms_app")
    assert count == 4  # the two-statement message is one round trip; others' are not ours
    with log.open("a") as out:
        out.write("hrms_app:LOG:  statement: BEGIN\n")
    assert messages_since(_server(tmp_path), offset, "hrms_app")[0] == 1


def test_the_seeded_database_is_analyzed_before_timing(postgres_server: SuitePostgres) -> None:
    server = postgres_server.server
    name = f"bench_stats_{os.getpid()}"
    with psycopg.connect(server.superuser_conninfo(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        conninfo = server.superuser_conninfo(name)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("CREATE TABLE seeded AS SELECT g AS id FROM generate_series(1, 500) g")
            before = conn.execute("SELECT reltuples FROM pg_class WHERE relname = 'seeded'")
            assert before.fetchone() == (-1.0,)  # never analyzed: the planner guesses
            statistics_refresh(server, name)
            after = conn.execute("SELECT reltuples FROM pg_class WHERE relname = 'seeded'")
            assert after.fetchone() == (500.0,)
    finally:
        with psycopg.connect(server.superuser_conninfo(), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
