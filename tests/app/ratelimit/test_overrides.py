"""Per-tenant overrides: precedence over the tier, expiry, revocation, validation, admin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.admin.sites import AdminSite
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone

from app.ratelimit.admin import TenantLimitOverrideAdmin
from app.ratelimit.limits import Limits
from app.ratelimit.models import TenantLimitOverride
from app.ratelimit.runtime import LimitsCache
from app.ratelimit.selectors import tenant_limits_effective
from app.ratelimit.services import tenant_limit_override_revoke, tenant_limit_override_set
from app.tenants.services import tenant_create
from app.tenants.tiers import TIERS, TierName
from tests.app.ratelimit.conftest import api_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant() -> Any:
    return tenant_create(slug="acme", name="Acme", tier="starter")


STARTER = Limits.from_tier(TIERS[TierName.STARTER])


def test_without_override_the_tier_applies(tenant: Any) -> None:
    assert tenant_limits_effective(tenant=tenant) == STARTER


def test_override_takes_precedence_and_unset_fields_keep_the_tier(tenant: Any) -> None:
    tenant_limit_override_set(
        tenant=tenant, set_by="ops@example.com", reason="launch week", burst=500
    )
    limits = tenant_limits_effective(tenant=tenant)
    assert limits.burst == 500
    assert limits.rate_per_second == STARTER.rate_per_second
    assert limits.daily_quota == STARTER.daily_quota
    assert limits.source == "override"


def test_unlimited_daily_quota(tenant: Any) -> None:
    tenant_limit_override_set(
        tenant=tenant, set_by="ops", reason="contract 42", unlimited_daily_quota=True
    )
    assert tenant_limits_effective(tenant=tenant).daily_quota is None


def test_expired_override_falls_back_to_the_tier(tenant: Any) -> None:
    now = timezone.now()
    tenant_limit_override_set(
        tenant=tenant,
        set_by="ops",
        reason="one-hour import",
        rate_per_second=100,
        expires_at=now + timedelta(hours=1),
        now=now,
    )
    assert tenant_limits_effective(tenant=tenant, now=now).rate_per_second == 100
    later = now + timedelta(hours=1)
    assert tenant_limits_effective(tenant=tenant, now=later) == STARTER


def test_a_new_override_replaces_the_old_one_and_history_is_kept(tenant: Any) -> None:
    first = tenant_limit_override_set(tenant=tenant, set_by="a", reason="r1", burst=100)
    tenant_limit_override_set(tenant=tenant, set_by="b", reason="r2", burst=200)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert tenant_limits_effective(tenant=tenant).burst == 200
    assert TenantLimitOverride.objects.filter(tenant=tenant).count() == 2

    assert tenant_limit_override_revoke(tenant=tenant) == 1
    assert tenant_limits_effective(tenant=tenant) == STARTER


def test_overrides_are_per_tenant(tenant: Any) -> None:
    other = tenant_create(slug="globex", name="Globex", tier="starter")
    tenant_limit_override_set(tenant=tenant, set_by="ops", reason="r", burst=999)
    assert tenant_limits_effective(tenant=other) == STARTER


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "rate_per_second"),
        ({"rate_per_second": -1.0}, "rate_per_second"),
        ({"burst": 0}, "burst"),
        ({"daily_quota": 0}, "daily_quota"),
        ({"daily_quota": 5, "unlimited_daily_quota": True}, "daily_quota"),
        ({"burst": 5, "expires_at": timezone.now() - timedelta(minutes=1)}, "expires_at"),
    ],
)
def test_bad_overrides_are_refused_naming_the_field(
    tenant: Any, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        tenant_limit_override_set(tenant=tenant, set_by="ops", reason="r", **kwargs)
    assert field in excinfo.value.message_dict
    assert not TenantLimitOverride.objects.exists()


def test_reason_is_required(tenant: Any) -> None:
    with pytest.raises(ValidationError) as excinfo:
        tenant_limit_override_set(tenant=tenant, set_by="ops", reason="  ", burst=5)
    assert "reason" in excinfo.value.message_dict


def test_admin_records_who_set_it_and_replaces_the_current_one(tenant: Any) -> None:
    model_admin = TenantLimitOverrideAdmin(TenantLimitOverride, AdminSite())
    old = tenant_limit_override_set(tenant=tenant, set_by="earlier", reason="r", burst=50)
    user = get_user_model().objects.create_user(username="ops-lead", is_staff=True)
    request = RequestFactory().post("/admin/")
    request.user = user
    obj = TenantLimitOverride(tenant=tenant, burst=75, reason="big customer demo")

    model_admin.save_model(request, obj, form=None, change=False)

    saved = TenantLimitOverride.objects.get(pk=obj.pk)
    assert saved.set_by == "ops-lead"
    old.refresh_from_db()
    assert old.revoked_at is not None
    assert tenant_limits_effective(tenant=tenant).burst == 75
    assert not model_admin.has_delete_permission(request, saved)
    assert not model_admin.has_change_permission(request, saved)


@pytest.mark.redis
def test_an_override_reaches_the_middleware_on_commit(
    redis_limiter_settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    redis_limiter_settings.TENANT_RATELIMIT_OVERRIDE_CACHE = 300  # only invalidation helps
    free = api_tenant("free-co", "free")
    client = free.client()
    assert client.get("/api/v1/departments/")["RateLimit-Policy"].startswith('"burst";q=10;')
    with django_capture_on_commit_callbacks(execute=True):
        tenant_limit_override_set(tenant=free.tenant, set_by="ops", reason="r", burst=40)
    assert client.get("/api/v1/departments/")["RateLimit-Policy"].startswith('"burst";q=40;')


class TestLimitsCache:
    def test_one_lookup_per_ttl_and_the_same_limits_object(
        self, tenant: Any, django_assert_num_queries: Any
    ) -> None:
        tenant_limit_override_set(tenant=tenant, set_by="ops", reason="r", burst=77)
        clock = [0.0]
        cache = LimitsCache(ttl_s=5, clock=lambda: clock[0])
        with django_assert_num_queries(1):
            first = cache.get(tenant)
            second = cache.get(tenant)
        assert first.burst == 77
        assert second is first  # built once per lookup, not per request
        clock[0] = 5.0
        with django_assert_num_queries(1):
            cache.get(tenant)

    def test_expiry_is_checked_on_every_call_even_when_cached(
        self, tenant: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        now = timezone.now()
        tenant_limit_override_set(
            tenant=tenant,
            set_by="ops",
            reason="r",
            burst=77,
            expires_at=now + timedelta(minutes=1),
            now=now,
        )
        cache = LimitsCache(ttl_s=3600)
        assert cache.get(tenant).burst == 77
        monkeypatch.setattr(
            "app.ratelimit.runtime.timezone.now", lambda: now + timedelta(minutes=1)
        )
        assert cache.get(tenant) == STARTER

    def test_a_tier_change_applies_at_once(self, tenant: Any) -> None:
        cache = LimitsCache(ttl_s=3600)
        assert cache.get(tenant) == STARTER
        tenant.tier = "professional"
        assert cache.get(tenant) == Limits.from_tier(TIERS[TierName.PROFESSIONAL])
