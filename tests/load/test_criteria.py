"""The pass/fail logic on synthetic figures: each bad input fails its own criterion."""

from __future__ import annotations

import dataclasses

import pytest

from scripts.load.criteria import Criterion, criteria_evaluate, verdict
from scripts.load.faults import FaultOutcome
from scripts.load.samples import RunStats
from scripts.load.scenarios import Thresholds
from scripts.load.writes import WriteCheck

THRESHOLDS = Thresholds(max_error_rate=0.01, max_p95_ms=1000, max_p99_ms=2000, min_requests=100)
FLOWS = ("list", "read")
GOOD = RunStats(
    elapsed_s=60,
    requests=1000,
    failures=0,
    rps=16.7,
    requests_outside=1000,
    failures_outside=0,
    error_rate=0.0,
    p50_ms=50,
    p95_ms=400,
    p99_ms=900,
    server_failures_outside=0,
    cross_tenant_responses=0,
    rate_limited_by_tier={"free": 30},
    rate_limited_by_tenant={"load-free-over": 30},
    rate_limited_within_limit=0,
    rate_limited_over_limit=30,
    over_limit_requests=80,
    statuses={"200": 970, "429": 30},
    requests_by_flow={"list": 600, "read": 400},
    successes_by_flow={"list": 600, "read": 400},
    p95_first_third_ms=400,
    p95_last_third_ms=420,
)
WRITES = WriteCheck(acknowledged=50, lost=[], method="database")


def fault(**changes: object) -> FaultOutcome:
    base = FaultOutcome(
        name="postgres-restart",
        started=100.0,
        restored=108.0,
        window_end=112.0,
        recovery_bound_s=30.0,
        recovery_s={"list": 9.5, "read": 9.8},
        server_failures_in_window=40,
        failures_in_window=40,
        statuses_in_window={"500": 40},
        detail="",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def judge(
    stats: RunStats = GOOD,
    writes: WriteCheck = WRITES,
    faults: tuple[FaultOutcome, ...] = (),
    soak: bool = False,
) -> dict[str, Criterion]:
    criteria = criteria_evaluate(
        stats=stats,
        thresholds=THRESHOLDS,
        writes=writes,
        faults=faults,
        flows=FLOWS,
        over_limit_tenant=True,
        soak=soak,
    )
    return {c.name: c for c in criteria}


def test_good_run_passes_every_criterion() -> None:
    criteria = judge(faults=(fault(),), soak=True)
    assert [n for n, c in criteria.items() if not c.passed] == []
    assert verdict(list(criteria.values())) == "pass"


@pytest.mark.parametrize(
    ("changes", "failing"),
    [
        ({"requests": 99}, "requests"),
        ({"error_rate": 0.0101}, "error_rate"),
        ({"p95_ms": 1000.1}, "p95_ms"),
        ({"p99_ms": 2000.1}, "p99_ms"),
        ({"cross_tenant_responses": 1}, "cross_tenant_responses"),
        ({"rate_limited_within_limit": 1}, "429_only_over_limit"),
        ({"rate_limited_over_limit": 0}, "over_limit_tenant_refused"),
        ({"server_failures_outside": 1}, "server_errors_outside_fault_windows"),
        ({"successes_by_flow": {"list": 5}}, "every_flow_succeeded"),
        ({"p95_last_third_ms": 601}, "p95_drift"),
    ],
)
def test_each_bad_figure_fails_exactly_its_criterion(
    changes: dict[str, object], failing: str
) -> None:
    criteria = judge(dataclasses.replace(GOOD, **changes), soak=True)  # type: ignore[arg-type]
    assert [n for n, c in criteria.items() if not c.passed] == [failing]
    assert verdict(list(criteria.values())) == "fail"


def test_a_lost_write_fails_and_so_does_a_run_without_writes() -> None:
    lost = WriteCheck(
        acknowledged=50, lost=["create employee 7 (demo-free): not found"], method="db"
    )
    assert not judge(writes=lost)["acknowledged_writes_lost"].passed
    none = WriteCheck(acknowledged=0, lost=[], method="database")
    assert not judge(writes=none)["acknowledged_writes_lost"].passed


@pytest.mark.parametrize(
    "bad",
    [
        {"recovery_s": {"list": 30.5, "read": 2.0}},  # over the bound
        {"recovery_s": {"list": None, "read": 2.0}},  # never recovered
        {"error": "pg_ctl start failed (1): ..."},  # the fault itself failed
    ],
)
def test_a_fault_fails_when_a_flow_is_slow_or_never_recovers(bad: dict[str, object]) -> None:
    criteria = judge(faults=(fault(**bad),))
    assert not criteria["fault_postgres-restart_recovered"].passed
    assert verdict(list(criteria.values())) == "fail"


def test_no_criteria_is_not_a_pass() -> None:
    assert verdict([]) == "fail"
