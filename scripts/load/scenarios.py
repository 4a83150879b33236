"""The five load scenarios: who sends what for how long, which faults, and what passes.

Every duration is bounded: ``smoke`` runs in CI (20 s of traffic), ``soak`` stops after
10 minutes. Per-tenant rates stay well under each tier's limit (``app/tenants/tiers.py``)
so the only 429s expected are the over-limit tenant's; ``stress`` and ``spike`` add
Enterprise users (200 req/s tier) to load the app, not the limiter.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.tenants.tiers import TierName


@dataclass(frozen=True, kw_only=True)
class TierLoad:
    users: int
    tasks_per_s: float  # per user; a task is one to three requests


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    max_error_rate: float  # unexpected responses / requests, outside fault windows
    max_p95_ms: float
    max_p99_ms: float
    min_requests: int  # a run that sent less proves nothing


@dataclass(frozen=True, kw_only=True)
class Step:
    at_s: float
    surge_users: int  # Enterprise users on top of the base mix from this moment


@dataclass(frozen=True, kw_only=True)
class Scenario:
    name: str
    duration_s: float
    tiers: dict[TierName, TierLoad]
    thresholds: Thresholds
    surge_tasks_per_s: float = 3.0
    steps: tuple[Step, ...] = ()
    # The over-limit Free tenant: 4 users at 2 req/s each, 4x its tier's 2 req/s. Several
    # users, so it stays over the limit even when every response takes a second.
    over_limit_users: int = 4
    over_limit_rps: float = 2.0  # per user
    faults: tuple[str, ...] = ()
    description: str = ""


BASE_MIX = {
    TierName.FREE: TierLoad(users=1, tasks_per_s=0.4),
    TierName.STARTER: TierLoad(users=2, tasks_per_s=1.0),
    TierName.PROFESSIONAL: TierLoad(users=3, tasks_per_s=2.0),
    TierName.ENTERPRISE: TierLoad(users=4, tasks_per_s=3.0),
}
LIGHT_MIX = {
    TierName.FREE: TierLoad(users=1, tasks_per_s=0.4),
    TierName.STARTER: TierLoad(users=1, tasks_per_s=1.0),
    TierName.PROFESSIONAL: TierLoad(users=2, tasks_per_s=1.5),
    TierName.ENTERPRISE: TierLoad(users=2, tasks_per_s=2.0),
}
# Kill a gunicorn worker, restart Redis, restart PostgreSQL (scripts/load/faults.py).
FAULTS = ("worker-kill", "redis-restart", "postgres-restart")

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            name="smoke",
            duration_s=20,
            tiers=LIGHT_MIX,
            thresholds=Thresholds(
                max_error_rate=0.01, max_p95_ms=2000, max_p99_ms=4000, min_requests=40
            ),
            description="every flow and tier once over, briefly; CI runs it",
        ),
        Scenario(
            name="load",
            duration_s=180,
            tiers=BASE_MIX,
            thresholds=Thresholds(
                max_error_rate=0.01, max_p95_ms=3000, max_p99_ms=6000, min_requests=1000
            ),
            faults=FAULTS,
            description="the expected mix for 3 minutes with a worker kill, a Redis "
            "restart and a PostgreSQL restart injected (local app only)",
        ),
        Scenario(
            name="stress",
            duration_s=180,
            tiers=BASE_MIX,
            steps=(
                Step(at_s=30, surge_users=6),
                Step(at_s=80, surge_users=12),
                Step(at_s=130, surge_users=20),
            ),
            thresholds=Thresholds(
                max_error_rate=0.02, max_p95_ms=6000, max_p99_ms=12000, min_requests=1000
            ),
            description="the mix plus Enterprise users stepped up to 20 more",
        ),
        Scenario(
            name="spike",
            duration_s=120,
            tiers=BASE_MIX,
            steps=(Step(at_s=40, surge_users=25), Step(at_s=70, surge_users=0)),
            thresholds=Thresholds(
                max_error_rate=0.01, max_p95_ms=5000, max_p99_ms=10000, min_requests=800
            ),
            description="the mix, 25 more Enterprise users at once for 30 s, then back",
        ),
        Scenario(
            name="soak",
            duration_s=600,
            tiers=LIGHT_MIX,
            thresholds=Thresholds(
                max_error_rate=0.005, max_p95_ms=2000, max_p99_ms=4000, min_requests=2500
            ),
            description="a light mix for 10 minutes; p95 must not drift upwards",
        ),
    )
}


class UnknownScenarioError(ValueError):
    pass


def scenario_get(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        allowed = "|".join(SCENARIOS)
        raise UnknownScenarioError(
            f"unknown scenario {name!r}; SCENARIO must be one of {allowed}"
        ) from None
