"""Rate limiter benchmark: overhead vs no limiter and django-ratelimit, and window-edge overshoot.

Everything runs on loopback: a throwaway redis-server, the app served by gunicorn on a
throwaway PostgreSQL (as deployed; ``--database sqlite`` for the ``make serve`` default),
and client threads in this process. Prints the figures and writes
``build/bench/ratelimit.json``. Run with ``make bench-ratelimit``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import redis

from scripts.local_services.postgres import (
    PostgresServer,
    postgres_app_database,
    postgres_start,
    postgres_stop,
)
from scripts.local_services.redis import LOOPBACK, free_loopback_port, start_redis

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "build" / "bench" / "ratelimit.json"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
ENDPOINT = "/api/v1/departments/"
LOAD_CLIENTS = 8
ROUNDS = 4
SLICE_SECONDS = 1.5
WARMUP_SECONDS = 1.0
BURST_CLIENTS = 200
BURST_SECONDS = 1.0
OPENING_LEAD_S = 0.5
# The overshoot tenant's policy: 100 requests, refilled at 10/s (a 10 s fixed window for
# django-ratelimit). The overhead tenant's limits are high enough that nothing is refused.
EDGE_BURST, EDGE_RATE = 100, 10.0
OPENING_REQUESTS = int(EDGE_RATE)  # one second of refill
# The worker model app/gunicorn.conf.py ships: sync workers, 2n+1 for n CPUs, at most 9.
WORKERS = max(2, min(2 * (os.cpu_count() or 1) + 1, 9))
HIGH_RATE, HIGH_BURST = 1_000_000.0, 10_000_000
DATABASES = ("postgresql", "sqlite")
# As deployed (app/core/db_roles.py): migrations as the schema owner, the app as the
# DML-only runtime role that row-level security binds.
SCRIPT_INNER = ("time", "hmget", "hset", "pexpire")


@dataclass(frozen=True)
class Creds:
    tenant_id: int
    api_key: str
    token: str

    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key, "Authorization": f"Bearer {self.token}"}


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - fixed argv
        [PYTHON, str(REPO / "app" / "manage.py"), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def prepare_app(env: dict[str, str]) -> tuple[Creds, Creds]:
    """Migrate, seed demo tenants, and give two of them the benchmark's limits."""
    # Migrations act as the schema owner; seeding and serving as the runtime role.
    owner_env = {**env, "DATABASE_URL": env.get("DATABASE_OWNER_URL", env["DATABASE_URL"])}
    _manage(owner_env, "migrate", "--noinput")
    seeded = json.loads(_manage(env, "seed_demo", "--json"))["tenants"]
    by_tier = {t["tier"]: t for t in seeded}
    os.environ.update(env)
    import django

    django.setup()
    from app.core.rls import tenant_scope
    from app.ratelimit.services import tenant_limit_override_set
    from app.tenants.models import Tenant

    creds = []
    for tier, (rate, burst) in (
        ("enterprise", (HIGH_RATE, HIGH_BURST)),
        ("professional", (EDGE_RATE, EDGE_BURST)),
    ):
        tenant = Tenant.objects.get(slug=by_tier[tier]["slug"])
        with tenant_scope(tenant.pk):
            tenant_limit_override_set(
                tenant=tenant,
                set_by="bench",
                reason="rate limiter benchmark",
                rate_per_second=rate,
                burst=burst,
                unlimited_daily_quota=True,
            )
        creds.append(Creds(tenant.pk, by_tier[tier]["api_key"], by_tier[tier]["admin_token"]))
    from django.db import connections

    # gunicorn's workers hold their own connections; this process needs none during the run.
    connections.close_all()
    return creds[0], creds[1]


def postgres_database(stack: ExitStack) -> tuple[str, str, str]:
    """Start a local PostgreSQL (stopped when ``stack`` closes); runtime URL, owner URL, version.

    Production durability settings (fsync on), unlike the test suite's fast server, so
    no write the app makes is cheaper here than on RDS.
    """
    server: PostgresServer = postgres_start(fast=False)
    stack.callback(postgres_stop, server)
    database = postgres_app_database(server)
    with psycopg.connect(server.superuser_conninfo()) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return database.runtime_url, database.owner_url, f"PostgreSQL {row[0] if row else 'unknown'}"


@contextmanager
def gunicorn(env: dict[str, str], backend: str, workdir: Path) -> Iterator[int]:
    port = free_loopback_port()
    log = (workdir / f"gunicorn-{backend}.log").open("wb")
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            GUNICORN,
            "app.wsgi:application",
            "--bind",
            f"{LOOPBACK}:{port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        env={**env, "TENANT_RATELIMIT_BACKEND": backend},
        cwd=workdir,  # keeps gunicorn from picking up any gunicorn.conf.py
        stdout=log,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = request(port, "/healthz", {})
                if status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn ({backend}) did not start; see {log.name}")
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def request(
    port: int, path: str, headers: dict[str, str], conn: http.client.HTTPConnection | None = None
) -> tuple[int, http.client.HTTPConnection]:
    conn = conn or http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    if response.getheader("Connection", "").lower() == "close":
        conn.close()
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    return response.status, conn


def drive(
    port: int, creds: Creds, *, clients: int, seconds: float, start_at: float | None = None
) -> dict[str, Any]:
    """``clients`` threads issuing requests back to back; returns statuses and latencies."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    window: list[float] = []
    first_send: list[float] = []
    last_done: list[float] = []

    def client() -> None:
        conn: http.client.HTTPConnection | None = None
        mine: list[float] = []
        counts: dict[int, int] = {}
        barrier.wait()
        begin, stop = window
        if time.time() < begin:
            time.sleep(begin - time.time())
        sent_first = time.time()
        done = sent_first
        while time.time() < stop:
            t0 = time.perf_counter()
            try:
                status, conn = request(port, ENDPOINT, creds.headers(), conn)
            except (OSError, http.client.HTTPException):
                status, conn = -1, None
            mine.append(time.perf_counter() - t0)
            counts[status] = counts.get(status, 0) + 1
            done = time.time()
        with lock:
            latencies.extend(mine)
            for status, n in counts.items():
                statuses[status] = statuses.get(status, 0) + n
            first_send.append(sent_first)
            last_done.append(done)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    begin = start_at if start_at is not None else time.time()
    window.extend([begin, begin + seconds])
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = max(last_done) - min(first_send)
    latencies.sort()
    return {
        "latencies": latencies,
        "requests": len(latencies),
        "statuses": statuses,
        "elapsed_s": elapsed,
        "rps": len(latencies) / elapsed if elapsed > 0 else 0.0,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else 0.0,
    }


# Sent once per new connection (RESP3 handshake, client name/version), not per request.
CONNECTION_SETUP = ("hello", "client|setinfo", "client|setname", "auth", "select")


@dataclass(frozen=True)
class CommandCounts:
    per_request_path: int  # commands clients sent, minus connection setup
    connection_setup: int
    including_script: int  # also counting the commands each script ran inside Redis
    by_command: dict[str, int]


def client_commands(r: redis.Redis) -> CommandCounts:
    """What clients sent since CONFIG RESETSTAT, from INFO commandstats."""
    stats = r.info("commandstats")
    calls = {
        name.removeprefix("cmdstat_"): int(s["calls"])
        for name, s in stats.items()
        if not name.startswith(("cmdstat_info", "cmdstat_config"))
    }
    total = sum(calls.values())
    scripted = calls.get("evalsha", 0) + calls.get("eval", 0)
    inner = scripted * len(SCRIPT_INNER)
    setup = sum(calls.get(name, 0) for name in CONNECTION_SETUP)
    return CommandCounts(
        per_request_path=total - inner - setup,
        connection_setup=setup,
        including_script=total - setup,
        by_command=calls,
    )


def overhead(
    env: dict[str, str], creds: Creds, workdir: Path, backends: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """Interleave short load slices across the modes so machine noise hits all alike.

    Each mode has its own gunicorn and its own redis-server, so INFO commandstats
    counts exactly that mode's commands.
    """
    with ExitStack() as stack:
        servers = {b: stack.enter_context(start_redis()) for b in backends}
        clients = {b: redis.Redis.from_url(servers[b].url) for b in backends}
        ports = {
            b: stack.enter_context(gunicorn({**env, "REDIS_URL": servers[b].url}, b, workdir))
            for b in backends
        }
        for b in backends:
            drive(ports[b], creds, clients=LOAD_CLIENTS, seconds=WARMUP_SECONDS)
            clients[b].config_resetstat()
        slices: dict[str, list[dict[str, Any]]] = {b: [] for b in backends}
        for _ in range(ROUNDS):
            for b in backends:
                slices[b].append(
                    drive(ports[b], creds, clients=LOAD_CLIENTS, seconds=SLICE_SECONDS)
                )
        results = {}
        for b in backends:
            counts = client_commands(clients[b])
            clients[b].close()
            latencies = sorted(x for sl in slices[b] for x in sl["latencies"])
            requests = len(latencies)
            refused = sum(n for sl in slices[b] for s, n in sl["statuses"].items() if s != 200)
            if refused:
                raise SystemExit(f"{b}: {refused} request(s) were not 200 in the overhead run")
            results[b] = {
                "requests": requests,
                "rps": requests / sum(sl["elapsed_s"] for sl in slices[b]),
                "p50_ms": 1000 * statistics.median(latencies),
                "p99_ms": 1000 * latencies[int(0.99 * (requests - 1))],
                "redis_cmds_per_request": counts.per_request_path / requests,
                "redis_cmds_per_request_incl_script": counts.including_script / requests,
                "redis_connection_setup_cmds": counts.connection_setup,
                "redis_commandstats": counts.by_command,
            }
    return results


def next_window_edge(tenant_key: str, period: int) -> float:
    """When django-ratelimit's fixed window for ``tenant_key`` next rolls over (epoch s)."""
    from django_ratelimit.core import _get_window

    end = _get_window(tenant_key, period)  # the last second that still counts in this window
    edge = float(end + 1)
    while edge - time.time() < 1.0:
        edge += period
    return edge


def overshoot(
    env: dict[str, str], backend: str, creds: Creds, warm: Creds, r: redis.Redis, workdir: Path
) -> dict[str, Any]:
    """200 clients for one second centred on a fixed-window edge; allowed vs permitted.

    Permitted is what the policy allows over the burst, in whole requests:
    floor(burst + rate x duration). For our limiter the duration is read from the
    limiter's own Redis clock (the bucket's first and last decision); django-ratelimit
    has no such record, so its duration is the client-side span, which can only
    flatter it.
    """
    r.flushall()
    period = max(1, round(EDGE_BURST / EDGE_RATE))
    key = f"rl:{{{creds.tenant_id}}}"
    with gunicorn(env, backend, workdir) as port:
        drive(port, warm, clients=4, seconds=0.5)  # warm workers without touching the bucket
        edge = next_window_edge(str(creds.tenant_id), period)
        start_at = edge - BURST_SECONDS / 2
        # The opening requests start the bucket's clock and take one second's refill out
        # of it, so however late the burst's first request lands (up to a second), refill
        # never spills over a full bucket: permitted = burst + rate x duration stays exact.
        time.sleep(max(0.0, start_at - OPENING_LEAD_S - time.time()))
        opened_at = time.time()
        opening, conn = request(port, ENDPOINT, creds.headers())
        first_ts = r.hget(key, "ts")
        opened = [opening]
        for _ in range(OPENING_REQUESTS - 1):
            status, conn = request(port, ENDPOINT, creds.headers(), conn)
            opened.append(status)
        conn.close()
        result = drive(
            port,
            creds,
            clients=BURST_CLIENTS,
            seconds=BURST_SECONDS,
            start_at=start_at,
        )
        last_ts = r.hget(key, "ts")
    allowed = result["statuses"].get(200, 0) + opened.count(200)
    if first_ts is not None and last_ts is not None:
        duration = (float(last_ts) - float(first_ts)) / 1_000_000
        clock = "limiter (Redis TIME)"
    else:
        duration = result["elapsed_s"] + (start_at - opened_at)
        clock = "client (upper bound)"
    permitted = math.floor(EDGE_BURST + EDGE_RATE * duration)
    return {
        "allowed": allowed,
        "refused": result["statuses"].get(429, 0),
        "requests": result["requests"] + len(opened),
        "duration_s": round(duration, 3),
        "duration_clock": clock,
        "permitted": permitted,
        "overshoot": round(allowed / permitted, 2),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.ratelimit", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--database",
        choices=DATABASES,
        default="postgresql",
        help="the app's database: a local PostgreSQL as deployed (default), or the SQLite "
        "file `make serve` uses",
    )
    return parser.parse_args(argv)


def _terminate_cleanly(signum: int, _frame: object) -> None:
    # SIGTERM would otherwise kill the process without running the finally blocks that
    # stop PostgreSQL, redis-server and gunicorn.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate_cleanly)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hrms-bench-") as tmp, ExitStack() as services:
        workdir = Path(tmp)
        if args.database == "postgresql":
            print("starting PostgreSQL ...", flush=True)
            database_url, owner_url, database_server = postgres_database(services)
        else:
            database_url = owner_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
            database_server = "SQLite file"
        server = start_redis()
        try:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "app.settings.local",
                "DATABASE_URL": database_url,
                "DATABASE_OWNER_URL": owner_url,
                "REDIS_URL": server.url,
                "PYTHONPATH": str(REPO),
            }
            print(f"preparing app database ({args.database}) and demo tenants ...", flush=True)
            fast, edge = prepare_app(env)
            r = redis.Redis.from_url(server.url)
            print("overhead: limiter off / redis / django-ratelimit, interleaved ...", flush=True)
            runs = overhead(env, fast, workdir, ("off", "redis", "django-ratelimit"))
            edges = {}
            for backend in ("redis", "django-ratelimit"):
                print(f"overshoot: {BURST_CLIENTS} clients across a window edge, {backend} ...")
                edges[backend] = overshoot(env, backend, edge, fast, r, workdir)
            r.close()
        finally:
            server.cleanup()

    figures = {
        "database": args.database,
        "rps_off": round(runs["off"]["rps"], 1),
        "rps_redis": round(runs["redis"]["rps"], 1),
        "rps_django_ratelimit": round(runs["django-ratelimit"]["rps"], 1),
        "p50_ms_off": round(runs["off"]["p50_ms"], 2),
        "p50_ms_redis": round(runs["redis"]["p50_ms"], 2),
        "p50_ms_django_ratelimit": round(runs["django-ratelimit"]["p50_ms"], 2),
        "p99_ms_off": round(runs["off"]["p99_ms"], 2),
        "p99_ms_redis": round(runs["redis"]["p99_ms"], 2),
        "p99_ms_django_ratelimit": round(runs["django-ratelimit"]["p99_ms"], 2),
        "throughput_ratio_redis_vs_off": round(runs["redis"]["rps"] / runs["off"]["rps"], 3),
        "redis_cmds_per_request": round(runs["redis"]["redis_cmds_per_request"], 3),
        "redis_cmds_per_request_incl_script": round(
            runs["redis"]["redis_cmds_per_request_incl_script"], 3
        ),
        "redis_cmds_per_request_off": round(runs["off"]["redis_cmds_per_request"], 3),
        "redis_cmds_per_request_django_ratelimit": round(
            runs["django-ratelimit"]["redis_cmds_per_request"], 3
        ),
        "redis_connection_setup_cmds": {
            b: runs[b]["redis_connection_setup_cmds"] for b in ("redis", "django-ratelimit")
        },
        "redis_commandstats": {b: runs[b]["redis_commandstats"] for b in runs},
        "overshoot_ours": edges["redis"]["overshoot"],
        "overshoot_django_ratelimit": edges["django-ratelimit"]["overshoot"],
        "overshoot_detail": edges,
        "setup": {
            "load_clients": LOAD_CLIENTS,
            "load_seconds_per_mode": ROUNDS * SLICE_SECONDS,
            "rounds": ROUNDS,
            "gunicorn": f"{WORKERS} sync workers (as app/gunicorn.conf.py), loopback",
            "database": database_server,
            "burst_clients": BURST_CLIENTS,
            "burst_seconds": BURST_SECONDS,
            "edge_policy": {"burst": EDGE_BURST, "rate_per_second": EDGE_RATE},
            "cpu_count": os.cpu_count(),
        },
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(f"\ndatabase: {database_server}")
    print(f"{'limiter':<18}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'redis cmds/req':>16}")
    for backend in ("off", "redis", "django-ratelimit"):
        run = runs[backend]
        print(
            f"{backend:<18}{run['rps']:>10.1f}{run['p50_ms']:>10.2f}{run['p99_ms']:>10.2f}"
            f"{run['redis_cmds_per_request']:>16.3f}"
        )
    print(f"\nthroughput, Redis limiter vs off: {figures['throughput_ratio_redis_vs_off']:.3f}")
    for backend, e in edges.items():
        print(
            f"overshoot {backend:<17} allowed {e['allowed']} of {e['requests']} "
            f"vs permitted {e['permitted']} over {e['duration_s']} s -> {e['overshoot']:.2f}"
        )
    print(f"\nwrote {OUT.relative_to(REPO)} in {figures['wall_seconds']} s")


if __name__ == "__main__":
    main()
