"""Pure pieces: limit validation, header values, outage bookkeeping, the tier catalog mapping."""

from __future__ import annotations

import logging

import pytest

from app.ratelimit.bucket import MICRO, take
from app.ratelimit.headers import policy_header, rate_limit_headers, state_header
from app.ratelimit.limits import Limits
from app.ratelimit.outage import OutageTracker
from app.tenants.tiers import TIERS


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate_per_second": 0, "burst": 1, "daily_quota": None}, "rate_per_second"),
        ({"rate_per_second": float("nan"), "burst": 1, "daily_quota": None}, "rate_per_second"),
        ({"rate_per_second": 1, "burst": 0, "daily_quota": None}, "burst"),
        ({"rate_per_second": 1, "burst": 1, "daily_quota": 0}, "daily_quota"),
    ],
)
def test_bad_limits_are_refused_by_name(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Limits(**kwargs)  # type: ignore[arg-type]


def test_every_tier_maps_to_limits_with_the_same_numbers() -> None:
    for tier in TIERS.values():
        limits = Limits.for_tier_name(tier.name.value)
        assert (limits.rate_per_second, limits.burst, limits.daily_quota) == (
            tier.rate_per_second,
            tier.burst,
            tier.daily_quota,
        )


def test_headers_without_a_daily_quota_advertise_only_the_burst_policy() -> None:
    limits = Limits(rate_per_second=50, burst=200, daily_quota=None)
    _, decision = take(None, limits, 1_000 * MICRO)
    assert policy_header(limits) == '"burst";q=200;w=4'
    assert state_header(limits, decision) == '"burst";r=199;t=1'
    assert "Retry-After" not in rate_limit_headers(limits, decision)


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    limits = Limits(rate_per_second=0.5, burst=1, daily_quota=None)
    state, _ = take(None, limits, 0)
    _, refused = take(state, limits, MICRO // 2)
    assert refused.retry_after_us == 3 * MICRO // 2
    assert rate_limit_headers(limits, refused)["Retry-After"] == "2"


def test_outage_is_logged_once_per_interval_and_recovery_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    tracker = OutageTracker(log_interval_s=60, probe_interval_s=1, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="app.ratelimit")
    for _ in range(5):
        tracker.record_failure("ConnectionError", fail_open=True)
    assert tracker.should_skip()
    now[0] = 1.5
    assert not tracker.should_skip()
    now[0] = 61
    tracker.record_failure("ConnectionError", fail_open=True)
    tracker.record_success()
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "unavailable" in m]) == 2
    assert "(1 request(s) since last report)" in messages[0]
    assert "(5 request(s) since last report)" in messages[1]  # 4 suppressed + this one
    assert "reachable again" in messages[-1]
    assert tracker.failures_total == 6
    assert not tracker.degraded
