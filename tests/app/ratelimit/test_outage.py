"""Redis stopped mid-run: fail open (default) or closed (by setting), then recovery."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from app.ratelimit.runtime import get_runtime
from scripts.local_services.redis import RedisServer
from tests.app.ratelimit.conftest import api_tenant, emf_events

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

ENDPOINT = "/api/v1/departments/"


@pytest.fixture
def outage_settings(settings: Any, disposable_redis: RedisServer) -> Any:
    settings.TENANT_RATELIMIT_BACKEND = "redis"
    settings.TENANT_RATELIMIT_REDIS_URL = disposable_redis.url
    settings.TENANT_RATELIMIT_PROBE_INTERVAL = 0  # ask Redis on every request
    settings.TENANT_RATELIMIT_REDIS_TIMEOUT = 0.5
    return settings


def test_fails_open_logs_once_counts_and_recovers(
    outage_settings: Any,
    disposable_redis: RedisServer,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = api_tenant("free-co", "free").client()
    assert client.get(ENDPOINT)["RateLimit"].startswith('"burst";r=9')

    disposable_redis.stop()
    caplog.set_level(logging.ERROR, logger="app.ratelimit")
    during = [client.get(ENDPOINT) for _ in range(15)]  # beyond the burst of 10

    assert {r.status_code for r in during} == {200}
    assert all("RateLimit" not in r and r["RateLimit-Policy"] for r in during)
    errors = [r for r in caplog.records if r.name == "app.ratelimit" and r.levelno == logging.ERROR]
    assert len(errors) == 1, "an outage is logged once per interval, not per request"
    assert "failing open" in errors[0].getMessage()
    assert get_runtime().outage.failures_total == 15
    fail_open = [e for e in emf_events(capsys.readouterr().out) if "RateLimitFailOpen" in e]
    assert len(fail_open) == 15
    assert fail_open[0]["tenant"] == "free-co"
    assert fail_open[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "HRMS"

    disposable_redis.start()  # same port, empty state
    after = [client.get(ENDPOINT) for _ in range(11)]
    assert [r.status_code for r in after] == [200] * 10 + [429]
    assert after[0]["RateLimit"].startswith('"burst";r=9')
    assert not get_runtime().outage.degraded


def test_fails_closed_when_configured_and_recovers(
    outage_settings: Any, disposable_redis: RedisServer, capsys: pytest.CaptureFixture[str]
) -> None:
    outage_settings.TENANT_RATELIMIT_FAIL_OPEN = False
    client = api_tenant("free-co", "free").client()
    assert client.get(ENDPOINT).status_code == 200

    disposable_redis.stop()
    refused = client.get(ENDPOINT)
    assert refused.status_code == 503
    assert refused["Retry-After"] == "1"
    assert refused.json()["error"] == "rate_limiter_unavailable"
    assert [e for e in emf_events(capsys.readouterr().out) if "RateLimitFailClosed" in e]

    disposable_redis.start()
    assert client.get(ENDPOINT).status_code == 200


def test_backs_off_between_probes_while_redis_is_down(
    outage_settings: Any, disposable_redis: RedisServer
) -> None:
    outage_settings.TENANT_RATELIMIT_PROBE_INTERVAL = 60
    client = api_tenant("free-co", "free").client()
    client.get(ENDPOINT)
    disposable_redis.stop()
    limiter = get_runtime().limiter
    calls = 0
    real_hit = limiter.hit  # type: ignore[union-attr]

    def counting_hit(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real_hit(*args, **kwargs)

    limiter.hit = counting_hit  # type: ignore[method-assign,union-attr]
    assert {client.get(ENDPOINT).status_code for _ in range(5)} == {200}
    assert calls == 1, "after one failure Redis is not asked again until the probe interval"
