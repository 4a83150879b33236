"""Figures from request records: windows, percentiles, 429s by tenant, recovery per flow."""

from __future__ import annotations

import pytest

from scripts.load.faults import FaultEvent, fault_outcome, fault_schedule
from scripts.load.samples import Sample, percentile, stats_compute


def sample(t: float, status: int = 200, flow: str = "list", **kw: object) -> Sample:
    fields: dict[str, object] = {
        "started": t - 0.1,
        "ended": t,
        "endpoint": "GET /api/v1/employees/",
        "flow": flow,
        "tenant": "demo-starter",
        "tier": "starter",
        "over_limit": False,
        "status": status,
        "expected": status == 200,
    }
    fields.update(kw)
    return Sample(**fields)  # type: ignore[arg-type]


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([], 0.5) == 0.0


def test_failures_inside_a_window_do_not_count_outside_it() -> None:
    samples = [sample(1.0), sample(5.0, 500), sample(9.0, 0), sample(20.0)]
    inside = stats_compute(samples, [(4.0, 10.0)], 20.0)
    assert inside.server_failures_outside == 0
    assert inside.error_rate == 0.0
    outside = stats_compute(samples, [(4.0, 6.0)], 20.0)
    assert outside.server_failures_outside == 1  # the unanswered request at 9 s
    assert outside.statuses == {"0": 1, "200": 2, "500": 1}


def test_429s_are_split_by_whether_the_tenant_was_driven_over_its_limit() -> None:
    samples = [
        sample(1.0, 429, tenant="load-free-over", tier="free", over_limit=True, expected=True),
        sample(2.0, 429, tenant="demo-free", tier="free"),
    ]
    stats = stats_compute(samples, [], 2.0)
    assert stats.rate_limited_over_limit == 1
    assert stats.rate_limited_within_limit == 1
    assert stats.rate_limited_by_tier == {"free": 2}
    assert stats.failures == 1  # only the within-limit tenant's 429 is a failure


def test_recovery_is_the_first_success_after_the_last_outage_failure() -> None:
    samples = [
        sample(99.0),
        sample(100.5, 500),
        sample(101.0),  # one success between two failures is not a recovery
        sample(103.0, 0),
        sample(107.0),
        sample(107.5, 200, flow="read"),
    ]
    event = FaultEvent(name="postgres-restart", started=100.0, restored=106.0, detail="")
    outcome = fault_outcome(event, samples, ("list", "read"))
    assert outcome.recovery_s == {"list": 7.0, "read": 7.5}
    assert outcome.window_end == 107.5 + 2.0
    assert outcome.server_failures_in_window == 2
    assert outcome.recovered


def test_a_request_sent_before_the_fault_proves_no_recovery() -> None:
    # Ended after the fault began, but was sent before it: in flight, not recovered.
    in_flight = sample(10.3, flow="read", started=9.8)
    later = sample(14.0, flow="read")
    event = FaultEvent(name="postgres-restart", started=10.0, restored=13.0, detail="")
    assert fault_outcome(event, [in_flight, later], ("read",)).recovery_s == {"read": 4.0}


def test_a_flow_without_success_after_the_fault_has_not_recovered() -> None:
    event = FaultEvent(name="worker-kill", started=10.0, restored=10.2, detail="")
    outcome = fault_outcome(event, [sample(10.1, 0), sample(11.0)], ("list", "read"))
    assert outcome.recovery_s["read"] is None
    assert not outcome.recovered


def test_failures_of_the_next_fault_are_not_charged_to_this_one() -> None:
    samples = [sample(11.0), sample(31.0, 500), sample(40.0)]
    event = FaultEvent(name="postgres-restart", started=10.0, restored=17.0, detail="")
    assert fault_outcome(event, samples, ("list",), next_fault=30.0).recovery_s == {"list": 1.0}
    assert fault_outcome(event, samples, ("list",)).recovery_s == {"list": 30.0}


def test_schedule_spreads_faults_over_the_first_three_quarters() -> None:
    assert fault_schedule(["worker-kill", "redis-restart"], 40.0) == [
        (10.0, "worker-kill"),
        (20.0, "redis-restart"),
    ]
    with pytest.raises(ValueError, match="unknown faults"):
        fault_schedule(["disk-full"], 40.0)
