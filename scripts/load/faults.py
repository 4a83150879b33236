"""Faults injected into the local app during a run, and what each one did to the traffic.

Three faults, each against the locally started app only (``make load`` never breaks a
remote target): SIGKILL of one gunicorn worker (the master forks a replacement),
a Redis restart (stopped ``down_s``, started again on the same port; the limiter fails
open meanwhile) and a PostgreSQL restart (an immediate stop, ``down_s`` down, started
again on the same data directory and port; every committed write must survive).

Recovery of a flow is the time from the fault's start to the end of its first success
sent after its last 5xx or unanswered request in the observation span; a flow that
never failed recovers with its first success sent after the fault began. The fault
window runs from the start to the later of the component's restoration and the last
flow's recovery, plus ``GRACE_S``: 5xx outside every window fail the run.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import psutil

from scripts.load.local_app import LocalApp
from scripts.load.samples import Sample
from scripts.local_services.postgres import postgres_halt, postgres_resume

GRACE_S = 2.0
RESTORE_TIMEOUT_S = 60.0
# The flows whose recovery is measured (and must each see traffic after every fault).
RECOVERY_FLOWS = ("list", "read", "create_employee", "submit_leave", "approve_leave")


@dataclass(frozen=True, kw_only=True)
class FaultSpec:
    name: str
    down_s: float  # how long the component stays down
    recovery_bound_s: float  # every flow must succeed again within this of the start


FAULT_SPECS: dict[str, FaultSpec] = {
    f.name: f
    for f in (
        FaultSpec(name="worker-kill", down_s=0.0, recovery_bound_s=10.0),
        FaultSpec(name="redis-restart", down_s=3.0, recovery_bound_s=10.0),
        FaultSpec(name="postgres-restart", down_s=5.0, recovery_bound_s=30.0),
    )
}


@dataclass(frozen=True, kw_only=True)
class FaultEvent:
    name: str
    started: float  # epoch seconds
    restored: float  # the component answers again
    detail: str
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class FaultOutcome:
    name: str
    started: float
    restored: float
    window_end: float
    recovery_bound_s: float
    recovery_s: dict[str, float | None]  # per flow; None: no success observed
    server_failures_in_window: int
    failures_in_window: int
    statuses_in_window: dict[str, int]
    detail: str
    error: str | None = None
    missing: list[str] = field(default_factory=list)  # flows with no recovery

    @property
    def recovered(self) -> bool:
        return self.error is None and all(
            v is not None and v <= self.recovery_bound_s for v in self.recovery_s.values()
        )


def fault_schedule(names: Sequence[str], duration_s: float) -> list[tuple[float, str]]:
    """Offsets spread over the first three quarters, so the last one has time to recover."""
    unknown = [n for n in names if n not in FAULT_SPECS]
    if unknown:
        raise ValueError(f"unknown faults {unknown}; expected {', '.join(FAULT_SPECS)}")
    span = 0.75 * duration_s
    return [(span * (i + 1) / (len(names) + 1), name) for i, name in enumerate(names)]


def _workers(app: LocalApp) -> list[int]:
    return [p.pid for p in psutil.Process(app.gunicorn.pid).children()]


def _worker_kill(app: LocalApp) -> str:
    before = _workers(app)
    if len(before) < 2:
        raise RuntimeError(f"only {len(before)} gunicorn worker(s); killing one would stop all")
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + RESTORE_TIMEOUT_S
    while True:
        now = _workers(app)
        if victim not in now and len(now) >= app.workers:
            return f"SIGKILL worker {victim}; replaced by {sorted(set(now) - set(before))}"
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not replace worker {victim}")
        time.sleep(0.05)


def _redis_restart(app: LocalApp, down_s: float) -> str:
    app.redis.stop()
    time.sleep(down_s)
    app.redis.start()  # same port: the app's clients reconnect on their next command
    return f"redis-server on port {app.redis.port} stopped {down_s:.0f} s, started again"


def _postgres_restart(app: LocalApp, down_s: float) -> str:
    postgres_halt(app.server, mode="immediate")
    time.sleep(down_s)
    postgres_resume(app.server)
    return (
        f"PostgreSQL on port {app.server.port} stopped (immediate) {down_s:.0f} s, "
        "started again on the same data directory"
    )


def fault_inject(name: str, app: LocalApp) -> FaultEvent:
    spec = FAULT_SPECS[name]
    started = time.time()
    try:
        if name == "worker-kill":
            detail = _worker_kill(app)
        elif name == "redis-restart":
            detail = _redis_restart(app, spec.down_s)
        else:
            detail = _postgres_restart(app, spec.down_s)
    except Exception as exc:  # reported as the fault's failure, not raised
        return FaultEvent(
            name=name, started=started, restored=time.time(), detail="", error=str(exc)
        )
    return FaultEvent(name=name, started=started, restored=time.time(), detail=detail)


def _recovery(samples: Sequence[Sample], flow: str, started: float, horizon: float) -> float | None:
    """Seconds from ``started`` to the flow's first success after its last outage failure."""
    mine = sorted(
        (s for s in samples if s.flow == flow and s.ended >= started), key=lambda s: s.ended
    )
    failures = [s.ended for s in mine if s.server_failure and s.ended <= horizon]
    after = failures[-1] if failures else started
    for s in mine:
        # Sent after the last failure (or the fault): a request already in flight when
        # the fault began may succeed without proving anything about recovery.
        if s.started >= after and not s.failed:
            return s.ended - started
    return None


def fault_outcome(
    event: FaultEvent,
    samples: Sequence[Sample],
    flows: Sequence[str] = RECOVERY_FLOWS,
    *,
    next_fault: float | None = None,
) -> FaultOutcome:
    spec = FAULT_SPECS[event.name]
    # Observe twice the bound, so a slow recovery is measured (and then judged too slow),
    # but never into the next fault, whose failures are its own.
    horizon = event.started + 2 * spec.recovery_bound_s
    if next_fault is not None:
        horizon = min(horizon, next_fault)
    mine = [s for s in samples if s.ended <= horizon] if next_fault is not None else samples
    recovery = {flow: _recovery(mine, flow, event.started, horizon) for flow in flows}
    recovered_at = [event.started + v for v in recovery.values() if v is not None]
    window_end = max([event.restored, *recovered_at]) + GRACE_S
    inside = [s for s in samples if event.started <= s.ended <= min(window_end, horizon)]
    return FaultOutcome(
        name=event.name,
        started=event.started,
        restored=event.restored,
        window_end=window_end,
        recovery_bound_s=spec.recovery_bound_s,
        recovery_s={k: None if v is None else round(v, 3) for k, v in recovery.items()},
        server_failures_in_window=sum(s.server_failure for s in inside),
        failures_in_window=sum(s.failed for s in inside),
        statuses_in_window=dict(sorted(Counter(str(s.status) for s in inside).items())),
        detail=event.detail,
        error=event.error,
        missing=[k for k, v in recovery.items() if v is None],
    )
