"""Failed authentications spend their own small bucket, never the tenant's rate or quota."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.app.ratelimit.conftest import api_tenant

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

ENDPOINT = "/api/v1/departments/"
BAD_TOKENS = ["", "Bearer nonsense", "Bearer ut_00000000." + "A" * 43]


def _guesser(api_key: str, authorization: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key, HTTP_AUTHORIZATION=authorization)
    return client


def test_bad_tokens_leave_the_tenant_bucket_and_quota_untouched(
    redis_limiter_settings: Any,
) -> None:
    settings = redis_limiter_settings
    settings.TENANT_RATELIMIT_AUTH_FAILURE_RATE = 0.001  # no refill during the test
    settings.TENANT_RATELIMIT_AUTH_FAILURE_BURST = 5
    free = api_tenant("free-co", "free")  # tenant burst 10, 2000/day
    statuses = [
        _guesser(free.api_key, BAD_TOKENS[i % len(BAD_TOKENS)]).get(ENDPOINT).status_code
        for i in range(30)
    ]
    # Guessing is throttled by its own bucket: five tries, then 429s.
    assert statuses == [401] * 5 + [429] * 25
    # The tenant's members are unaffected: a full burst and the whole daily quota remain.
    response = free.client().get(ENDPOINT)
    assert response.status_code == 200
    burst, daily = response["RateLimit"].split(", ")
    assert burst == '"burst";r=9;t=1'
    assert daily.startswith('"daily";r=1999;')


def test_the_refusal_names_the_failed_authentication_limit(redis_limiter_settings: Any) -> None:
    redis_limiter_settings.TENANT_RATELIMIT_AUTH_FAILURE_RATE = 0.001
    redis_limiter_settings.TENANT_RATELIMIT_AUTH_FAILURE_BURST = 1
    free = api_tenant("free-co", "free")
    guesser = _guesser(free.api_key, "Bearer wrong")
    assert guesser.get(ENDPOINT).status_code == 401
    refused = guesser.get(ENDPOINT)
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "rate_limited"
    assert body["limit"] == "auth_failures"
    assert int(refused["Retry-After"]) >= 1
    assert "RateLimit-Policy" not in refused  # the tenant's policy was not consulted


def test_failure_buckets_are_per_tenant(redis_limiter_settings: Any) -> None:
    redis_limiter_settings.TENANT_RATELIMIT_AUTH_FAILURE_RATE = 0.001
    redis_limiter_settings.TENANT_RATELIMIT_AUTH_FAILURE_BURST = 2
    one, two = api_tenant("one", "free"), api_tenant("two", "free")
    for _ in range(3):
        _guesser(one.api_key, "Bearer wrong").get(ENDPOINT)
    assert _guesser(one.api_key, "Bearer wrong").get(ENDPOINT).status_code == 429
    assert _guesser(two.api_key, "Bearer wrong").get(ENDPOINT).status_code == 401


def test_an_exhausted_failure_bucket_does_not_lock_out_valid_tokens(
    redis_limiter_settings: Any,
) -> None:
    redis_limiter_settings.TENANT_RATELIMIT_AUTH_FAILURE_RATE = 0.001
    redis_limiter_settings.TENANT_RATELIMIT_AUTH_FAILURE_BURST = 1
    free = api_tenant("free-co", "free")
    for _ in range(3):
        _guesser(free.api_key, "Bearer wrong").get(ENDPOINT)
    assert free.client().get(ENDPOINT).status_code == 200
