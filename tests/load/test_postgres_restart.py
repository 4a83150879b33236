"""The PostgreSQL restart fault: an immediate stop keeps every committed row, same port."""

from __future__ import annotations

import psycopg
import pytest

from scripts.local_services.postgres import (
    postgres_halt,
    postgres_resume,
    postgres_start,
    postgres_stop,
)

pytestmark = [pytest.mark.slow]


def test_immediate_stop_and_resume_keep_committed_rows_on_the_same_port() -> None:
    server = postgres_start(fast=False)  # durable settings, as the load runs use
    try:
        with psycopg.connect(server.superuser_conninfo(), autocommit=True) as conn:
            conn.execute("CREATE TABLE acknowledged (id int PRIMARY KEY)")
            conn.execute("INSERT INTO acknowledged SELECT generate_series(1, 500)")
        postgres_halt(server, mode="immediate")
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(server.superuser_conninfo(), connect_timeout=2)
        postgres_resume(server)
        with psycopg.connect(server.superuser_conninfo(), autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*), current_setting('port') FROM acknowledged"
            ).fetchone()
        assert row == (500, str(server.port))
    finally:
        postgres_stop(server)
