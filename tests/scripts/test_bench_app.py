"""``make bench-app`` counts database round trips from the server log, one per message."""

from __future__ import annotations

from pathlib import Path

from scripts.bench.app import messages_since
from scripts.local_services.postgres import PostgresServer


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
