"""The middleware on the real API: headers, 429 bodies, exemptions, EMF lines."""

from __future__ import annotations

from typing import Any

import pytest

from app.ratelimit.services import tenant_limit_override_set
from tests.app.ratelimit.conftest import api_tenant, drain, emf_events

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

ENDPOINT = "/api/v1/departments/"


def test_allowed_responses_carry_policy_and_remaining(redis_limiter_settings: Any) -> None:
    free = api_tenant("free-co", "free")  # burst 10, 2/s, 2000/day
    response = free.client().get(ENDPOINT)

    assert response.status_code == 200
    assert response["RateLimit-Policy"] == '"burst";q=10;w=5, "daily";q=2000;w=86400'
    burst, daily = response["RateLimit"].split(", ")
    assert burst == '"burst";r=9;t=1'
    assert daily.startswith('"daily";r=1999;t=')
    assert "Retry-After" not in response


def test_429_after_the_burst_with_retry_after_and_a_body_naming_the_limit(
    redis_limiter_settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    free = api_tenant("free-co", "free")
    client = free.client()
    drain(client, ENDPOINT).assert_bucket(burst=10, rate_per_second=2)

    refused = client.get(ENDPOINT)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"  # 2 tokens/s: the next one is under a second away
    assert refused["RateLimit"].startswith('"burst";r=0;t=')
    assert refused["RateLimit-Policy"].startswith('"burst";q=10;w=5')
    body = refused.json()
    assert body["error"] == "rate_limited"
    assert body["limit"] == "rate"
    assert body["retry_after_seconds"] == 1
    assert body["retry_at"].endswith("Z")

    events = [e for e in emf_events(capsys.readouterr().out) if "RateLimited" in e]
    assert len(events) == 2
    event = events[0]
    assert event["tenant"] == "free-co"
    assert event["tier"] == "free"
    assert event["limit"] == "rate"
    assert event["RateLimited"] == 1
    (directive,) = event["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "HRMS"
    assert ["tier", "tenant"] in directive["Dimensions"]
    assert directive["Metrics"] == [{"Name": "RateLimited", "Unit": "Count"}]


def test_daily_quota_429_says_quota_and_waits_for_utc_midnight(
    redis_limiter_settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    starter = api_tenant("starter-co", "starter")
    tenant_limit_override_set(
        tenant=starter.tenant, set_by="ops@example.com", reason="trial cap", daily_quota=3
    )
    client = starter.client()
    assert [client.get(ENDPOINT).status_code for _ in range(4)] == [200, 200, 200, 429]

    refused = client.get(ENDPOINT)
    body = refused.json()
    assert body["limit"] == "daily_quota"
    assert "00:00 UTC" in body["detail"]
    assert body["retry_at"].endswith("T00:00:00Z")
    assert 1 <= int(refused["Retry-After"]) <= 86_400
    assert '"daily";r=0;t=' in refused["RateLimit"]
    quota_events = [e for e in emf_events(capsys.readouterr().out) if "DailyQuotaExhausted" in e]
    assert quota_events
    assert quota_events[0]["RateLimited"] == 1


def test_health_and_schema_endpoints_are_exempt(redis_limiter_settings: Any) -> None:
    free = api_tenant("free-co", "free")
    client = free.client()
    assert drain(client, ENDPOINT).statuses[-1] == 429
    for path in ("/healthz", "/api/schema/", "/api/docs/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "RateLimit" not in response, path


def test_requests_without_a_tenant_are_not_metered(redis_limiter_settings: Any) -> None:
    from rest_framework.test import APIClient

    token = api_tenant("free-co", "free").token
    response = APIClient().get(ENDPOINT, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert "RateLimit" not in response


def test_tenants_do_not_share_a_bucket(redis_limiter_settings: Any) -> None:
    noisy, quiet = api_tenant("noisy", "free"), api_tenant("quiet", "free")
    drained = drain(noisy.client(), ENDPOINT, refusals=20)  # three times its burst
    assert drained.statuses[-1] == 429
    assert [quiet.client().get(ENDPOINT).status_code for _ in range(10)] == [200] * 10


def test_in_memory_backend_limits_the_same_way(settings: Any) -> None:
    settings.TENANT_RATELIMIT_BACKEND = "memory"
    client = api_tenant("free-co", "free").client()
    drain(client, ENDPOINT).assert_bucket(burst=10, rate_per_second=2)


def test_backend_off_sends_no_headers(settings: Any) -> None:
    settings.TENANT_RATELIMIT_BACKEND = "off"
    client = api_tenant("free-co", "free").client()
    responses = [client.get(ENDPOINT) for _ in range(12)]
    assert {r.status_code for r in responses} == {200}
    assert "RateLimit" not in responses[-1]


def test_bad_backend_setting_is_named(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.TENANT_RATELIMIT_BACKEND = "memcached"
    with pytest.raises(ImproperlyConfigured, match="TENANT_RATELIMIT_BACKEND='memcached'"):
        api_tenant("free-co", "free").client().get(ENDPOINT)
