"""``DB=postgres make serve``: the app on local PostgreSQL and Redis, roles laid out as deployed.

Starts a throwaway PostgreSQL (the schema owner ``hrms_owner`` runs the migrations, the
app connects as the DML-only ``hrms_app``) and a redis-server, writes
``build/serve/services.json``::

    {"database": {"runtime_url": ..., "owner_url": ..., "backup_url": ...}, "redis_url": ...}

then runs ``scripts/serve.sh`` (migrate, seed, gunicorn) against them. Ctrl-C or SIGTERM
stops gunicorn, both servers and removes the file. Usage: ``python -m
scripts.local_services.serve PORT``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

from scripts.local_services.postgres import postgres_app_database, postgres_start, postgres_stop
from scripts.local_services.redis import start_redis

REPO = Path(__file__).resolve().parents[2]
SERVE_DIR = REPO / "build" / "serve"
SERVICES_JSON = SERVE_DIR / "services.json"
# Set for the serve.sh it runs, so that one serves instead of starting services again.
RUNNING_MARKER = "HRMS_LOCAL_SERVICES"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def write_services(
    path: Path,
    *,
    runtime_url: str,
    owner_url: str,
    redis_url: str,
    backup_url: str | None = None,
) -> None:
    """The file other tools read to reach the services; it holds passwords, so owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    database = {"runtime_url": runtime_url, "owner_url": owner_url}
    if backup_url is not None:
        # hrmsctl backup run reads every tenant through this role.
        database["backup_url"] = backup_url
    payload = {
        "database": database,
        "redis_url": redis_url,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(payload, out, indent=2)
        out.write("\n")


def serve(port: str) -> int:
    child: subprocess.Popen[bytes] | None = None
    stopping: list[int] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)
        if child is not None and child.poll() is None:
            # gunicorn (exec'd by serve.sh) stops gracefully on SIGTERM; a terminal's
            # Ctrl-C has already reached it through the process group.
            child.send_signal(signal.SIGTERM)

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
    with ExitStack() as services:
        print("serve: starting PostgreSQL and Redis on loopback", file=sys.stderr, flush=True)
        server = postgres_start(fast=True)
        services.callback(postgres_stop, server)
        database = postgres_app_database(server)
        redis = start_redis()
        services.callback(redis.cleanup)
        services.callback(SERVICES_JSON.unlink, missing_ok=True)
        write_services(
            SERVICES_JSON,
            runtime_url=database.runtime_url,
            owner_url=database.owner_url,
            redis_url=redis.url,
            backup_url=database.backup_url,
        )
        if stopping:
            return 128 + stopping[0]
        env = {
            **os.environ,
            RUNNING_MARKER: "1",
            "DATABASE_URL": database.runtime_url,
            "DATABASE_OWNER_URL": database.owner_url,
            "DATABASE_OWNER_ROLE": database.owner,
            "DATABASE_RUNTIME_ROLE": database.runtime,
            "REDIS_URL": redis.url,
        }
        bash = shutil.which("bash") or "/bin/bash"
        child = subprocess.Popen(  # noqa: S603 - fixed argv
            [bash, str(REPO / "scripts" / "serve.sh"), port], env=env, cwd=REPO
        )
        while True:
            try:
                code = child.wait()
                break
            except KeyboardInterrupt:  # pragma: no cover - handlers replace SIGINT's default
                continue
        print("serve: stopping PostgreSQL and Redis", file=sys.stderr, flush=True)
    return 0 if stopping else code


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    raise SystemExit(serve(args[0] if args else os.environ.get("PORT", "8000")))


if __name__ == "__main__":
    main()
