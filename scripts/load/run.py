"""``make load SCENARIO=...``: start the app (or use TARGET), run Locust in-process, judge.

Without ``--target`` the deployed-shape app is started on loopback
(``scripts/load/local_app.py``) and stopped at the end, whatever happens; the ``load``
scenario then injects its faults. With ``--target URL`` the run uses the tenants in
``--credentials`` and injects nothing. Writes ``<out>/report.html`` (Locust's report
with charts) and ``<out>/summary.json``, prints the summary and exits 1 when any
criterion fails (2 on bad arguments or when the app cannot start).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gevent
from locust.env import Environment
from locust.html import get_html_report
from locust.stats import stats_history

from scripts.load.credentials import CredentialsError, TenantCredentials, credentials_load
from scripts.load.criteria import criteria_evaluate, verdict
from scripts.load.faults import (
    RECOVERY_FLOWS,
    FaultEvent,
    fault_inject,
    fault_outcome,
    fault_schedule,
)
from scripts.load.flows import RunState, user_classes
from scripts.load.local_app import LocalApp, LocalAppError, local_app_start
from scripts.load.report import summary_build, summary_text, summary_write
from scripts.load.samples import stats_compute
from scripts.load.scenarios import SCENARIOS, Scenario, UnknownScenarioError, scenario_get
from scripts.load.writes import writes_check_api, writes_check_database

REPO = Path(__file__).resolve().parents[2]
MAX_DURATION_S = 1800.0  # no run, whatever its arguments, outlives half an hour
PROGRESS_EVERY_S = 10.0
SURGE_SPAWN_RATE = 10.0
DEFAULT_WORKERS = 3  # enough that one killed worker leaves others serving


@dataclass(frozen=True, kw_only=True)
class Options:
    scenario: Scenario
    target: str | None
    credentials: Path
    out: Path
    duration_s: float
    faults: tuple[str, ...]
    workers: int


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.load", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--scenario", required=True, help="|".join(SCENARIOS))
    parser.add_argument("--target", help="base URL of a deployed app (default: start one)")
    parser.add_argument(
        "--credentials",
        type=Path,
        default=REPO / "build" / "demo-credentials.json",
        help="tenant credentials for --target (build/demo-credentials.json's shape)",
    )
    parser.add_argument("--out", type=Path, help="output directory (build/load/<scenario>)")
    parser.add_argument("--duration", type=float, help="seconds of traffic (scenario default)")
    parser.add_argument(
        "--faults", help="comma-separated faults for the local app (scenario default; 'none')"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY") or DEFAULT_WORKERS),
        help="gunicorn workers of the local app",
    )
    args = parser.parse_args(argv)
    try:
        scenario = scenario_get(args.scenario)
    except UnknownScenarioError as exc:
        parser.error(str(exc))
    duration = args.duration if args.duration is not None else scenario.duration_s
    if not 0 < duration <= MAX_DURATION_S:
        parser.error(f"--duration must be within (0, {MAX_DURATION_S:g}] seconds")
    if args.faults is None:
        faults = scenario.faults
    else:
        faults = tuple(f for f in args.faults.split(",") if f and f != "none")
    if args.target and faults:
        print(
            "load: faults are injected only into the locally started app; none with --target",
            file=sys.stderr,
        )
        faults = ()
    try:
        fault_schedule(faults, duration)
    except ValueError as exc:
        parser.error(str(exc))
    if args.workers < 2:
        parser.error("--workers must be at least 2")
    return Options(
        scenario=scenario,
        target=args.target.rstrip("/") if args.target else None,
        credentials=args.credentials,
        out=args.out or REPO / "build" / "load" / scenario.name,
        duration_s=duration,
        faults=faults,
        workers=args.workers,
    )


def _progress(state: RunState, t0: float) -> None:
    last = 0
    while True:
        gevent.sleep(PROGRESS_EVERY_S)
        n = len(state.samples)
        failed = sum(s.failed for s in state.samples)
        rate = (n - last) / PROGRESS_EVERY_S
        last = n
        print(
            f"  {time.time() - t0:6.0f} s  {n} requests, {failed} failed, {rate:.1f} req/s",
            flush=True,
        )


def _inject(name: str, app: LocalApp, events: list[FaultEvent], t0: float) -> None:
    print(f"  {time.time() - t0:6.0f} s  fault: {name}", flush=True)
    event = fault_inject(name, app)
    events.append(event)
    print(f"  {time.time() - t0:6.0f} s  {name}: {event.error or event.detail}", flush=True)


def drive(
    opts: Options, host: str, tenants: tuple[TenantCredentials, ...], app: LocalApp | None
) -> tuple[RunState, Environment, list[FaultEvent], float, float, dict[str, int]]:
    state = RunState(tenants)
    classes, fixed = user_classes(state, opts.scenario)
    env = Environment(user_classes=classes, host=host)
    runner = env.create_local_runner()
    history = gevent.spawn(stats_history, runner)
    t0 = time.time()
    runner.start(fixed, spawn_rate=fixed)
    helpers = [gevent.spawn(_progress, state, t0)]
    for step in opts.scenario.steps:
        if step.at_s < opts.duration_s:
            helpers.append(
                gevent.spawn_later(
                    step.at_s, runner.start, fixed + step.surge_users, SURGE_SPAWN_RATE
                )
            )
    events: list[FaultEvent] = []
    faults = []
    if app is not None:
        for at, name in fault_schedule(opts.faults, opts.duration_s):
            faults.append(gevent.spawn_later(at, _inject, name, app, events, t0))
    stopper = gevent.spawn_later(opts.duration_s, runner.quit)
    runner.greenlet.join()
    # A fault still restoring its component finishes before the app is judged or stopped.
    gevent.joinall(faults, timeout=120)
    gevent.killall([*helpers, *faults, stopper, history])
    elapsed = time.time() - t0
    users = {cls.__name__: int(getattr(cls, "fixed_count", 0)) for cls in classes}
    peak = max((s.surge_users for s in opts.scenario.steps), default=0)
    if peak:
        users["EnterpriseSurge"] = peak
    return state, env, events, t0, elapsed, users


def run(opts: Options) -> int:
    opts.out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        app: LocalApp | None = None
        if opts.target is None:
            print("load: starting PostgreSQL, Redis and gunicorn on loopback ...", flush=True)
            app = local_app_start(stack, workdir=opts.out, workers=opts.workers)
            host, tenants = app.url, app.tenants
        else:
            host, tenants = opts.target, credentials_load(opts.credentials)
        print(
            f"load: {opts.scenario.name} for {opts.duration_s:g} s against {host}"
            f"{'; faults: ' + ', '.join(opts.faults) if opts.faults else ''}",
            flush=True,
        )
        state, env, events, t0, elapsed, users = drive(opts, host, tenants, app)
        print("load: checking every acknowledged write ...", flush=True)
        if app is not None:
            writes = writes_check_database(app.server, app.database.name, state.writes)
        else:
            writes = writes_check_api(host, tenants, state.writes)
        report = get_html_report(env)  # type: ignore[no-untyped-call]  # locust leaves it untyped
        (opts.out / "report.html").write_text(str(report), encoding="utf-8")
    starts = sorted(e.started for e in events)
    outcomes = [
        fault_outcome(
            e, state.samples, next_fault=min((t for t in starts if t > e.started), default=None)
        )
        for e in events
    ]
    windows = [(o.started, o.window_end) for o in outcomes]
    stats = stats_compute(state.samples, windows, elapsed)
    thresholds = opts.scenario.thresholds
    if opts.duration_s != opts.scenario.duration_s:  # a shortened run needs fewer requests
        scaled = int(thresholds.min_requests * opts.duration_s / opts.scenario.duration_s)
        thresholds = dataclasses.replace(thresholds, min_requests=max(1, scaled))
    criteria = criteria_evaluate(
        stats=stats,
        thresholds=thresholds,
        writes=writes,
        faults=outcomes,
        flows=RECOVERY_FLOWS,
        over_limit_tenant=any(t.over_limit for t in tenants),
        soak=opts.scenario.name == "soak",
    )
    # A fault that was scheduled but never ran is a failure too.
    missing = [f for f in opts.faults if f not in {e.name for e in events}]
    summary: dict[str, Any] = summary_build(
        scenario=opts.scenario,
        target=host,
        local=app is not None,
        t0=t0,
        duration_s=elapsed,
        samples=state.samples,
        stats=stats,
        writes=writes,
        faults=outcomes,
        criteria=criteria,
        users=users,
    )
    if missing:
        summary["faults_not_injected"] = missing
        summary["verdict"] = "fail"
    summary_write(summary, opts.out / "summary.json")
    print(summary_text(summary))
    print(f"load: wrote {opts.out / 'summary.json'} and {opts.out / 'report.html'}")
    return 0 if summary["verdict"] == "pass" and verdict(criteria) == "pass" else 1


def _terminate(signum: int, _frame: object) -> None:
    print("load: stopping on a signal; no summary is written", file=sys.stderr, flush=True)
    raise SystemExit(128 + signum)  # unwinds the ExitStack: gunicorn, Redis, PostgreSQL stop


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = run(opts)
    except (CredentialsError, LocalAppError) as exc:
        print(f"load: {exc}", file=sys.stderr)
        code = 2
    raise SystemExit(code)
