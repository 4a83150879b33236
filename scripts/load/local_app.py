"""The app as ``DB=postgres make serve`` runs it, on loopback, with handles to break it.

PostgreSQL with durable settings (fsync and synchronous commit on, as on RDS, so a
restart must not lose a committed write), the schema owner running migrations and the
RLS-bound runtime role serving; a redis-server for the limiter; gunicorn with
``app/gunicorn.conf.py``. Unlike ``scripts/local_services/serve.py`` it keeps the server
handles, so the fault injectors can kill a worker and restart Redis or PostgreSQL on the
same port and data directory. Credentials are read from ``seed_demo --json`` directly and
never written to ``build/demo-credentials.json``, so a running ``make serve`` keeps its own.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.load.credentials import TenantCredentials, credentials_parse
from scripts.local_services.postgres import (
    AppDatabase,
    PostgresServer,
    postgres_app_database,
    postgres_start,
    postgres_stop,
)
from scripts.local_services.redis import LOOPBACK, RedisServer, free_loopback_port, start_redis

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
# A second Free tenant that one user drives over its limit on purpose: its 429s are the
# expected ones, and the demo Free tenant's ordinary traffic must see none.
OVER_LIMIT_SLUG = "load-free-over"
STARTUP_TIMEOUT_S = 60.0


class LocalAppError(RuntimeError):
    """The local app could not be prepared or did not come up."""


@dataclass(frozen=True, kw_only=True)
class LocalApp:
    url: str
    port: int
    server: PostgresServer
    database: AppDatabase
    redis: RedisServer
    gunicorn: subprocess.Popen[bytes]
    workers: int
    tenants: tuple[TenantCredentials, ...]
    log: Path


def _env(database: AppDatabase, redis: RedisServer) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "app.settings.local",
        "DATABASE_URL": database.runtime_url,
        "DATABASE_OWNER_URL": database.owner_url,
        "DATABASE_OWNER_ROLE": database.owner,
        "DATABASE_RUNTIME_ROLE": database.runtime,
        "REDIS_URL": redis.url,
        "PYTHONPATH": str(REPO),
    }


def _manage(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - fixed argv
        [PYTHON, str(REPO / "app" / "manage.py"), *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _output(proc: subprocess.Popen[str], what: str) -> str:
    try:
        out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise LocalAppError(f"manage.py {what} did not finish in 300 s") from None
    if proc.returncode != 0:
        raise LocalAppError(f"manage.py {what} failed:\n{err[-2000:]}")
    return out


def _migrate(env: dict[str, str]) -> None:
    """As serve.sh: migrations act as the schema owner."""
    owner = {**env, "DATABASE_URL": env["DATABASE_OWNER_URL"]}
    _output(_manage(owner, "migrate", "--noinput", "-v", "0"), "migrate")


def _seed(env: dict[str, str]) -> tuple[TenantCredentials, ...]:
    """The demo tenants (as serve.sh) and the over-limit tenant, seeded side by side."""
    demo = _manage(env, "seed_demo", "--json")
    onboard = _manage(
        env,
        "tenant",
        "onboard",
        "--json",
        "--operator",
        "load-test",
        "--slug",
        OVER_LIMIT_SLUG,
        "--name",
        "Load test over-limit",
        "--tier",
        "free",
        "--admin-email",
        f"admin@{OVER_LIMIT_SLUG}.test",
    )
    seeded: dict[str, Any] = json.loads(_output(demo, "seed_demo"))
    over = json.loads(_output(onboard, "tenant onboard"))
    seeded["tenants"].append({**over, "over_limit": True})
    return credentials_parse(seeded, source="seed_demo")


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def _wait_ready(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        try:
            if _get(port, "/readyz") == 200:
                return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise LocalAppError(f"gunicorn did not become ready on port {port}; see {log}")
        time.sleep(0.2)


def _stop_gunicorn(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()  # graceful: workers finish their request
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def local_app_start(stack: ExitStack, *, workdir: Path, workers: int) -> LocalApp:
    """Start everything; ``stack`` stops it all (gunicorn first, then Redis, PostgreSQL)."""
    workdir.mkdir(parents=True, exist_ok=True)
    server = postgres_start(fast=False)
    stack.callback(postgres_stop, server)
    database = postgres_app_database(server)
    redis = start_redis()
    stack.callback(redis.cleanup)
    env = _env(database, redis)
    _migrate(env)
    port = free_loopback_port()
    log = workdir / "gunicorn.log"
    out = stack.enter_context(log.open("wb"))
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            GUNICORN,
            "-c",
            str(REPO / "app" / "gunicorn.conf.py"),
            "--bind",
            f"{LOOPBACK}:{port}",
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=REPO,
        stdout=out,
        stderr=out,
    )
    stack.callback(_stop_gunicorn, proc)
    tenants = _seed(env)  # while gunicorn's master imports the app
    _wait_ready(port, proc, log)
    return LocalApp(
        url=f"http://{LOOPBACK}:{port}",
        port=port,
        server=server,
        database=database,
        redis=redis,
        gunicorn=proc,
        workers=workers,
        tenants=tenants,
        log=log,
    )
