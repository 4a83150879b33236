"""Rotating the runtime role's password under load: gunicorn keeps answering.

A real gunicorn serves the API from the suite's PostgreSQL as the runtime role, taking
its password from a file re-read for every new connection (``DATABASE_PASSWORD_FILE``,
the same per-connection hook the deployed app uses for RDS IAM tokens). Connections are
not reused, so every request logs in. While clients keep sending requests, the password
is changed in PostgreSQL and then in the file, three times; no request may fail twice.
Bounded: a few seconds and at most a few thousand requests, loopback only.
"""

from __future__ import annotations

import http.client
import json
import os
import pwd
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from scripts.local_services.postgres import free_port, postgres_set_password
from tests.fixtures.postgres_server import SuitePostgres

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ROTATIONS = 3
SECONDS_BETWEEN_ROTATIONS = 1.5
CLIENTS = 2
MAX_REQUESTS = 3000

pytestmark = [pytest.mark.gunicorn, pytest.mark.slow]


def _write_password(path: Path, password: str) -> None:
    """Replace the file atomically, as a secret store's sync would: never half-written."""
    staging = path.with_suffix(".new")
    staging.write_text(password, encoding="utf-8")
    staging.chmod(0o600)
    if os.geteuid() == 0:  # gunicorn's workers run as nobody
        os.chown(staging, pwd.getpwnam("nobody").pw_uid, -1)
    os.replace(staging, path)


@dataclass
class Tally:
    sent: int = 0
    retried: int = 0
    failed_twice: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _get(port: int, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/api/v1/employees/", headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return -1
    finally:
        conn.close()


def _client(port: int, headers: dict[str, str], stop: threading.Event, tally: Tally) -> None:
    while not stop.is_set():
        with tally.lock:
            if tally.sent >= MAX_REQUESTS:
                return
            tally.sent += 1
        if _get(port, headers) == 200:
            continue
        with tally.lock:
            tally.retried += 1
        status = _get(port, headers)
        if status != 200:
            with tally.lock:
                tally.failed_twice.append(f"status {status}")


@pytest.fixture
def served_app(
    transactional_db: None, postgres_server: SuitePostgres
) -> Iterator[tuple[int, dict[str, str], Path]]:
    database = postgres_server.database
    work = Path(tempfile.mkdtemp(prefix="hrms-rotation-"))
    work.chmod(0o755)
    password_file = work / "db-password"
    _write_password(password_file, database.runtime_password)
    settings_dict = connection.settings_dict
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(work),
        "DJANGO_SETTINGS_MODULE": "app.settings.local",
        # No password in the URL: it comes from the file, read per connection.
        "DATABASE_URL": (
            f"postgres://{database.runtime}@{settings_dict['HOST']}:{settings_dict['PORT']}/"
            f"{settings_dict['NAME']}"
        ),
        "DATABASE_PASSWORD_FILE": str(password_file),
        "DATABASE_CONN_MAX_AGE": "0",
        "WEB_CONCURRENCY": "2",
    }
    seeded = subprocess.run(
        [str(BIN / "python"), "app/manage.py", "seed_demo", "--json"],
        env=env,
        cwd=REPO,
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
    )
    tenant = next(t for t in json.loads(seeded.stdout)["tenants"] if t["tier"] == "enterprise")
    headers = {"X-API-Key": tenant["api_key"], "Authorization": f"Bearer {tenant['admin_token']}"}
    port = free_port()
    log = work / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "app/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while _get(port, headers) != 200:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield port, headers, password_file
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        # The rest of the suite logs in with the original password.
        postgres_set_password(
            postgres_server.server, role=database.runtime, password=database.runtime_password
        )
        subprocess.run(["rm", "-rf", str(work)], check=False)


def test_password_rotation_under_load_fails_no_request_twice(
    served_app: tuple[int, dict[str, str], Path], postgres_server: SuitePostgres
) -> None:
    port, headers, password_file = served_app
    database = postgres_server.database
    tally, stop = Tally(), threading.Event()
    threads = [
        threading.Thread(target=_client, args=(port, headers, stop, tally), daemon=True)
        for _ in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    current_password = database.runtime_password
    sent_at_last_rotation = 0
    try:
        for _ in range(ROTATIONS):
            time.sleep(SECONDS_BETWEEN_ROTATIONS)
            new_password = secrets.token_urlsafe(24)
            postgres_set_password(database.server, role=database.runtime, password=new_password)
            _write_password(password_file, new_password)
            with tally.lock:
                sent_at_last_rotation = tally.sent
            current_password = new_password
        time.sleep(SECONDS_BETWEEN_ROTATIONS)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    assert tally.failed_twice == []
    assert tally.sent - sent_at_last_rotation >= 5, "requests kept flowing after the last rotation"
    assert tally.sent >= 20
    # The rotation was real: the original password no longer logs in, the new one does.
    name = connection.settings_dict["NAME"]
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(
            database.server.url(
                user=database.runtime, password=database.runtime_password, dbname=name
            )
        ).close()
    psycopg.connect(
        database.server.url(user=database.runtime, password=current_password, dbname=name)
    ).close()
