"""Tenant API throughput against a bare Django view, as deployed, in one interleaved run.

Loopback only: a throwaway PostgreSQL (durable settings, the app as the RLS-bound
runtime role, ``pg_stat_statements`` loaded to count statements), a redis-server for
the limiter, and one gunicorn (the rate limiter benchmark's worker model) serving both
the API and ``/bench/bare/`` (``scripts/bench/baseline.py``), which returns the same
JSON shape as a page of 50 employees without authentication or database. Client threads
in this process drive short slices of each endpoint in turn, so machine noise hits all
alike. Prints the figures and writes ``build/bench/app.json``. Run with ``make bench-app``.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import redis

from scripts.bench.ratelimit import Creds, client_commands, gunicorn, prepare_app
from scripts.local_services.postgres import (
    PostgresServer,
    postgres_app_database,
    postgres_start,
    postgres_stop,
)
from scripts.local_services.redis import LOOPBACK, start_redis

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "build" / "bench" / "app.json"
EMPLOYEES = 3000
CLIENTS = 8
ROUNDS = 4
SLICE_SECONDS = 1.5
WARMUP_SECONDS = 1.0
COUNT_REQUESTS = 40  # sequential requests per endpoint when counting round trips
BARE_PATH = "/bench/bare/"  # scripts/bench/baseline.py
PAGE = 50
ENDPOINTS = ("bare", "list", "detail", "write")
# pg_stat_statements breaks a multi-statement message into its statements; the server
# log has one line per message received, which is what a round trip is. Statement
# logging is switched on only while counting, so it costs the timed slices nothing.
SERVER_SETTINGS = (
    "shared_preload_libraries=pg_stat_statements",
    "pg_stat_statements.track=top",
    "log_line_prefix=%u:",
)
MESSAGE = re.compile(r"^(?P<role>[^:\s]*):LOG:  (?:statement|execute [^:]*): ", re.MULTILINE)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes | None
    expect: int
    authenticated: bool = True  # the bare baseline sends no credentials


def employees_seed(creds: Creds, count: int) -> int:
    """``count`` more employees for the benchmark tenant; returns one of their ids."""
    from app.core.rls import tenant_scope
    from app.people.models import Department, Employee

    with tenant_scope(creds.tenant_id):
        department = Department.objects.for_tenant(creds.tenant_id).first()
        rows = [
            Employee(
                tenant_id=creds.tenant_id,
                employee_number=f"BENCH{n:06d}",
                first_name=f"First{n}",
                last_name=f"Last{n}",
                email=f"bench{n}@example.com",
                job_title="Engineer",
                hire_date=date(2024, 1, 15),
                department=department,
            )
            for n in range(count)
        ]
        created = Employee.objects.bulk_create(rows, batch_size=1000)
    from django.db import connections

    connections.close_all()
    return int(created[len(created) // 2].pk)


def statistics_refresh(server: PostgresServer, database: str) -> None:
    """ANALYZE the seeded database, as autovacuum does on a running one.

    Until autovacuum's first pass (a minute or more after the seed, longer than the
    timed slices) the tables have no statistics: the planner then expects 2 employees
    where the tenant has 3000, and answers each page by sorting all of them, about 4 ms
    of PostgreSQL's time per list request instead of 0.2 (docs/performance.md). A
    deployed database has statistics; the benchmark measures that.
    """
    with psycopg.connect(server.superuser_conninfo(database), autocommit=True) as conn:
        conn.execute("ANALYZE")


def calls(employee_id: int) -> dict[str, Callable[[], Call]]:
    serial = itertools.count()
    lock = threading.Lock()

    def write() -> Call:
        with lock:
            n = next(serial)
        body = {
            "employee_number": f"W{os.getpid()}-{n}",
            "first_name": "Bench",
            "last_name": f"Writer{n}",
            "email": f"writer{n}@example.com",
            "job_title": "Engineer",
            "hire_date": "2025-03-01",
        }
        return Call("POST", "/api/v1/employees/", json.dumps(body).encode(), 201)

    return {
        "bare": lambda: Call("GET", BARE_PATH, None, 200, authenticated=False),
        "list": lambda: Call("GET", f"/api/v1/employees/?page_size={PAGE}", None, 200),
        "detail": lambda: Call("GET", f"/api/v1/employees/{employee_id}/", None, 200),
        "write": write,
    }


def send(
    port: int, call: Call, headers: dict[str, str], conn: http.client.HTTPConnection | None
) -> tuple[int, bytes, http.client.HTTPConnection]:
    conn = conn or http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    all_headers = dict(headers) if call.authenticated else {}
    if call.body:
        all_headers["Content-Type"] = "application/json"
    conn.request(call.method, call.path, body=call.body, headers=all_headers)
    response = conn.getresponse()
    body = response.read()
    if response.getheader("Connection", "").lower() == "close":
        conn.close()
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    return response.status, body, conn


def drive(
    port: int, make: Callable[[], Call], headers: dict[str, str], *, clients: int, seconds: float
) -> dict[str, Any]:
    """``clients`` threads sending back to back for ``seconds``; latencies and statuses."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    unexpected: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        conn: http.client.HTTPConnection | None = None
        mine: list[float] = []
        counts: dict[int, int] = {}
        while time.monotonic() < stop:
            call = make()
            t0 = time.perf_counter()
            try:
                status, body, conn = send(port, call, headers, conn)
            except (OSError, http.client.HTTPException):
                status, body, conn = -1, b"", None
            mine.append(time.perf_counter() - t0)
            counts[status] = counts.get(status, 0) + 1
            if status != call.expect and len(unexpected) < 3:
                unexpected.append(f"{call.method} {call.path} -> {status} {body[:200]!r}")
        if conn is not None:
            conn.close()
        with lock:
            latencies.extend(mine)
            for status, n in counts.items():
                statuses[status] = statuses.get(status, 0) + n

    started = time.monotonic()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "latencies": latencies,
        "statuses": statuses,
        "elapsed_s": time.monotonic() - started,
        "unexpected": unexpected,
    }


def statements_reset(server: PostgresServer) -> None:
    with psycopg.connect(server.superuser_conninfo("hrms"), autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")


def statements_by_role(server: PostgresServer, role: str) -> tuple[int, dict[str, int]]:
    """Statements ``role`` ran since the reset (each one a client round trip: one per call)."""
    with psycopg.connect(server.superuser_conninfo("hrms"), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT s.query, s.calls FROM pg_stat_statements s JOIN pg_roles r "
            "ON r.oid = s.userid WHERE r.rolname = %s ORDER BY s.calls DESC",
            [role],
        ).fetchall()
    return sum(int(c) for _, c in rows), {str(q)[:160]: int(c) for q, c in rows}


def messages_since(server: PostgresServer, offset: int, role: str) -> tuple[int, int]:
    """Query messages ``role`` sent since ``offset`` in the server log; the new offset."""
    with (server.base_dir / "server.log").open("rb") as log:
        log.seek(offset)
        text = log.read().decode("utf-8", "replace")
    count = sum(1 for m in MESSAGE.finditer(text) if m.group("role") == role)
    return count, offset + len(text.encode("utf-8"))


def round_trips(
    server: PostgresServer,
    r: redis.Redis,
    port: int,
    makers: dict[str, Callable[[], Call]],
    headers: dict[str, str],
    runtime_role: str,
) -> dict[str, dict[str, Any]]:
    """Per endpoint: database round trips and Redis commands per request, sequentially."""
    counted = {}
    with psycopg.connect(server.superuser_conninfo(), autocommit=True) as admin:
        admin.execute("ALTER SYSTEM SET log_statement = 'all'")
        admin.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)
    for name in ENDPOINTS:
        statements_reset(server)
        r.config_resetstat()
        _, offset = messages_since(server, 0, runtime_role)
        conn = None
        for _ in range(COUNT_REQUESTS):
            call = makers[name]()
            status, body, conn = send(port, call, headers, conn)
            if status != call.expect:
                raise SystemExit(f"{name}: {status} while counting: {body[:300]!r}")
        if conn is not None:
            conn.close()
        time.sleep(0.2)  # the server writes its log asynchronously to us
        messages, _ = messages_since(server, offset, runtime_role)
        _, by_query = statements_by_role(server, runtime_role)
        counts = client_commands(r)
        counted[name] = {
            "db": messages / COUNT_REQUESTS,
            "redis": counts.per_request_path / COUNT_REQUESTS,
            "statements": by_query,
        }
    return counted


def summarise(slices: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = sorted(x for sl in slices for x in sl["latencies"])
    n = len(latencies)
    return {
        "requests": n,
        "rps": n / sum(sl["elapsed_s"] for sl in slices),
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (n - 1))],
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.app", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--employees", type=int, default=EMPLOYEES, help="extra employees")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="interleaved rounds")
    parser.add_argument("--out", type=Path, default=OUT, help="JSON output path")
    return parser.parse_args(argv)


def _terminate_cleanly(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # run the finally blocks that stop the servers


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate_cleanly)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hrms-bench-app-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        print("starting PostgreSQL and Redis ...", flush=True)
        server = postgres_start(fast=False, extra_settings=SERVER_SETTINGS)
        stack.callback(postgres_stop, server)
        database = postgres_app_database(server)
        with psycopg.connect(server.superuser_conninfo(database.name), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            version = conn.execute("SHOW server_version").fetchone()
        limiter_redis = start_redis()
        stack.callback(limiter_redis.cleanup)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "scripts.bench.app_settings",
            "DATABASE_URL": database.runtime_url,
            "DATABASE_OWNER_URL": database.owner_url,
            "DATABASE_OWNER_ROLE": database.owner,
            "DATABASE_RUNTIME_ROLE": database.runtime,
            "REDIS_URL": limiter_redis.url,
            "PYTHONPATH": str(REPO),
        }
        print("migrating, seeding demo tenants and employees ...", flush=True)
        creds, _ = prepare_app(env)
        employee_id = employees_seed(creds, args.employees)
        statistics_refresh(server, database.name)
        makers = calls(employee_id)
        headers = creds.headers()
        r = redis.Redis.from_url(limiter_redis.url)
        port = stack.enter_context(gunicorn(env, "redis", workdir))
        for name in ENDPOINTS:
            drive(port, makers[name], headers, clients=CLIENTS, seconds=WARMUP_SECONDS)
        print(f"interleaved: {args.rounds} rounds of {', '.join(ENDPOINTS)} ...", flush=True)
        slices: dict[str, list[dict[str, Any]]] = {name: [] for name in ENDPOINTS}
        for _ in range(args.rounds):
            for name in ENDPOINTS:
                slices[name].append(
                    drive(port, makers[name], headers, clients=CLIENTS, seconds=SLICE_SECONDS)
                )
        for name, runs in slices.items():
            bad = {
                s: n for sl in runs for s, n in sl["statuses"].items() if s != makers[name]().expect
            }
            if bad:
                detail = [u for sl in runs for u in sl["unexpected"]][:3]
                raise SystemExit(f"{name}: unexpected statuses {bad}: {detail}")
        print("counting database statements and Redis commands per request ...", flush=True)
        counted = round_trips(server, r, port, makers, headers, database.runtime)
        r.close()

    results = {name: summarise(runs) for name, runs in slices.items()}
    bare = results["bare"]["rps"]
    figures: dict[str, Any] = {
        "rps_bare": round(bare, 1),
        "rps_list": round(results["list"]["rps"], 1),
        "rps_detail": round(results["detail"]["rps"], 1),
        "rps_write": round(results["write"]["rps"], 1),
        "ratio_list": round(results["list"]["rps"] / bare, 3),
        "ratio_detail": round(results["detail"]["rps"] / bare, 3),
        "ratio_write": round(results["write"]["rps"] / bare, 3),
        # The headline counts are the list endpoint's, an authenticated read.
        "db_round_trips_per_request": round(counted["list"]["db"], 2),
        "redis_round_trips_per_request": round(counted["list"]["redis"], 2),
        "db_round_trips_by_endpoint": {n: round(counted[n]["db"], 2) for n in ENDPOINTS},
        "redis_round_trips_by_endpoint": {n: round(counted[n]["redis"], 2) for n in ENDPOINTS},
        "db_statements_by_endpoint": {n: counted[n]["statements"] for n in ENDPOINTS},
        "setup": {
            "clients": CLIENTS,
            "rounds": args.rounds,
            "slice_seconds": SLICE_SECONDS,
            "tenant_employees": args.employees,
            "page_size": PAGE,
            "gunicorn": "sync workers (scripts/bench/ratelimit.py's WORKERS), loopback",
            "database": f"PostgreSQL {version[0] if version else '?'} as hrms_app, RLS forced",
            "limiter": "redis",
            "cpu_count": os.cpu_count(),
            "python": sys.version.split()[0],
        },
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    for name in ENDPOINTS:
        for key in ("p50_ms", "p99_ms"):
            figures[f"{key}_{name}"] = round(results[name][key], 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    columns = f"{'req/s':>10}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}{'db':>6}{'redis':>7}"
    print(f"\n{'endpoint':<10}{columns}")
    for name in ENDPOINTS:
        res = results[name]
        print(
            f"{name:<10}{res['rps']:>10.1f}{res['rps'] / bare:>8.3f}{res['p50_ms']:>9.2f}"
            f"{res['p99_ms']:>9.2f}{counted[name]['db']:>6.1f}{counted[name]['redis']:>7.1f}"
        )
    print(f"\nratio_list {figures['ratio_list']}; wrote {args.out} in {figures['wall_seconds']} s")


if __name__ == "__main__":
    main()
