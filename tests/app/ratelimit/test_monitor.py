"""``manage.py monitor_rate_limits`` against real Redis state produced through the API."""

from __future__ import annotations

import json
import time
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.app.ratelimit.conftest import api_tenant, drain

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


def test_json_lists_the_most_pressed_tenant_first(redis_limiter_settings: Any) -> None:
    noisy, calm = api_tenant("noisy", "free"), api_tenant("calm", "enterprise")
    drained = drain(noisy.client(), "/api/v1/departments/", refusals=3)  # burst 10, 3 refused
    drained.assert_bucket(burst=10, rate_per_second=2)
    refused_at = time.monotonic()
    calm.client().get("/api/v1/departments/")

    out = StringIO()
    call_command("monitor_rate_limits", "--json", stdout=out)
    rows = json.loads(out.getvalue())

    assert [r["tenant"] for r in rows][:2] == ["noisy", "calm"]
    top = rows[0]
    assert top["rejected_last_2m"] == 3
    assert top["burst"] == 10
    # Under one token when refused, then 2/s refill until the command read it.
    assert top["tokens"] < 1 + 2 * (time.monotonic() - refused_at)
    assert top["quota_used"] == drained.allowed
    assert top["daily_quota"] == 2000
    assert rows[1]["quota_used"] == 1
    assert rows[1]["rejected_last_2m"] == 0


def test_table_and_watch_refresh(redis_limiter_settings: Any) -> None:
    api_tenant("noisy", "free").client().get("/api/v1/departments/")
    out = StringIO()
    call_command("monitor_rate_limits", "--watch", "1", "--iterations", "2", stdout=out)
    text = out.getvalue()
    assert text.count("Tenants by rate-limit pressure") == 2
    assert "noisy" in text
    assert "1 / 2000" in text


def test_needs_the_redis_backend(settings: Any) -> None:
    settings.TENANT_RATELIMIT_BACKEND = "memory"
    with pytest.raises(CommandError, match="TENANT_RATELIMIT_BACKEND is 'memory'"):
        call_command("monitor_rate_limits")
