"""``DB=postgres make serve`` end to end: services, deployed roles, a real request, clean stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import redis

from scripts.local_services.postgres import free_port
from scripts.local_services.serve import SERVICES_JSON

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _get(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback only
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, response.read()


def test_db_postgres_make_serve(tmp_path: Path) -> None:
    assert not SERVICES_JSON.exists(), f"{SERVICES_JSON} exists: is a `make serve` running?"
    port = free_port()
    log = tmp_path / "serve.log"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DB": "postgres",
        "WEB_CONCURRENCY": "2",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "serve", f"PORT={port}"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    services: dict[str, object] = {}
    try:
        deadline = time.monotonic() + 240
        while not (SERVICES_JSON.exists() and _listening(port)):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        services = json.loads(SERVICES_JSON.read_text())
        assert set(services) == {"database", "redis_url"}
        database = services["database"]
        assert isinstance(database, dict)
        assert set(database) == {"runtime_url", "owner_url", "backup_url"}
        assert SERVICES_JSON.stat().st_mode & 0o077 == 0, "it holds passwords: owner-only"
        runtime, owner = urlsplit(database["runtime_url"]), urlsplit(database["owner_url"])
        assert (runtime.username, owner.username) == ("hrms_app", "hrms_owner")
        assert runtime.hostname == owner.hostname == "127.0.0.1"

        tenants = json.loads((REPO / "build" / "demo-credentials.json").read_text())["tenants"]
        assert {t["tier"] for t in tenants} == {"free", "starter", "professional", "enterprise"}
        tenant = next(t for t in tenants if t["tier"] == "enterprise")
        status, body = _get(
            f"http://127.0.0.1:{port}/api/v1/employees/",
            {"X-API-Key": tenant["api_key"], "Authorization": f"Bearer {tenant['admin_token']}"},
        )
        assert status == 200
        assert json.loads(body)["results"], "the seeded employees are served"

        with psycopg.connect(database["owner_url"]) as conn:
            # The request above was served over the runtime role's own connections.
            sessions = conn.execute(
                "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database()"
            ).fetchall()
            owners = conn.execute(
                "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
            ).fetchall()
        assert ("hrms_app",) in sessions
        assert owners == [("hrms_owner",)]
        with psycopg.connect(database["runtime_url"]) as conn:
            row = conn.execute(
                "SELECT rolsuper, rolbypassrls, has_table_privilege('audit_auditevent', 'DELETE') "
                "FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
        assert row == (False, False, False)
        redis_url = services["redis_url"]
        assert isinstance(redis_url, str)
        assert redis.Redis.from_url(redis_url).ping()
    finally:
        # What Ctrl-C does: the terminal signals the whole foreground process group.
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
    ports = [port]
    if services:
        database = services["database"]
        assert isinstance(database, dict)
        ports.append(urlsplit(database["runtime_url"]).port or 0)
        ports.append(urlsplit(str(services["redis_url"])).port or 0)
    assert [p for p in ports if _listening(p)] == [], log.read_text()
    assert not SERVICES_JSON.exists()
    leftover = subprocess.run(
        ["pgrep", "-s", str(process.pid)], capture_output=True, text=True, check=False
    )
    assert leftover.stdout.strip() == "", "no process of the serve session is left"
