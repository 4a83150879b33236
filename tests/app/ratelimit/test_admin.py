"""Limit overrides through the staff-only admin over real HTTP: the limiter then uses them."""

from __future__ import annotations

from typing import Any

import pytest

from app.ratelimit.limits import Limits
from app.ratelimit.models import TenantLimitOverride
from app.ratelimit.selectors import tenant_limits_effective
from app.ratelimit.services import tenant_limit_override_set
from tests.app.admin_client import admin_login, post_form, staff_user
from tests.app.ratelimit.conftest import ApiTenant, api_tenant

pytestmark = pytest.mark.django_db

ENDPOINT = "/api/v1/departments/"


@pytest.fixture
def free() -> ApiTenant:
    return api_tenant("free-co", "free")


@pytest.mark.redis
def test_staff_override_through_the_admin_is_what_the_limiter_enforces(
    redis_limiter_settings: Any, free: ApiTenant, django_capture_on_commit_callbacks: Any
) -> None:
    # Only invalidation on commit can make the new limits visible within the test.
    redis_limiter_settings.TENANT_RATELIMIT_OVERRIDE_CACHE = 300
    api = free.client()
    assert api.get(ENDPOINT)["RateLimit-Policy"].startswith('"burst";q=10;w=5')
    staff_user("ops-lead", "add_tenantlimitoverride", "view_tenantlimitoverride")
    admin = admin_login("ops-lead")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_form(
            admin,
            "/admin/ratelimit/tenantlimitoverride/add/",
            {
                "tenant": str(free.tenant.pk),
                "burst": "3",
                "rate_per_second": "0.01",  # no refill worth a token while the test runs
                "reason": "ticket OPS-7: abuse",
            },
        )
    assert response.status_code == 302, response.content[:2000]

    saved = TenantLimitOverride.objects.get(tenant=free.tenant)
    assert saved.set_by == "ops-lead"
    assert (saved.burst, saved.rate_per_second) == (3, 0.01)
    # The first request above spent one token of the old bucket of 10; the new cap of 3
    # applies at once, so the bucket holds 3 and the fourth request is refused.
    statuses = [api.get(ENDPOINT).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api.get(ENDPOINT)
    assert refused["RateLimit-Policy"].startswith('"burst";q=3;w=300')


def test_admin_form_errors_name_the_field_and_save_nothing(free: ApiTenant) -> None:
    staff_user("ops-lead", "add_tenantlimitoverride", "view_tenantlimitoverride")
    admin = admin_login("ops-lead")
    response = post_form(
        admin,
        "/admin/ratelimit/tenantlimitoverride/add/",
        {"tenant": str(free.tenant.pk), "burst": "0", "reason": ""},
    )
    assert response.status_code == 200  # the form again, with errors
    errors = response.context["adminform"].form.errors
    assert set(errors) >= {"burst", "reason"}
    assert not TenantLimitOverride.objects.exists()


def test_admin_revoke_action_restores_the_tier(free: ApiTenant) -> None:
    override = tenant_limit_override_set(tenant=free.tenant, set_by="x", reason="r", burst=99)
    staff_user("ops-lead", "change_tenantlimitoverride", "view_tenantlimitoverride")
    admin = admin_login("ops-lead")
    url = "/admin/ratelimit/tenantlimitoverride/"
    response = post_form(
        admin, url, {"action": "revoke", "_selected_action": str(override.pk), "index": "0"}
    )
    assert response.status_code == 302
    override.refresh_from_db()
    assert override.revoked_at is not None
    assert tenant_limits_effective(tenant=free.tenant) == Limits.for_tier_name("free")


def test_overrides_cannot_be_edited_or_deleted_in_the_admin(free: ApiTenant) -> None:
    override = tenant_limit_override_set(tenant=free.tenant, set_by="x", reason="r", burst=99)
    staff_user("root", superuser=True)
    admin = admin_login("root")
    change = admin.get(f"/admin/ratelimit/tenantlimitoverride/{override.pk}/change/")
    assert change.status_code == 200
    assert 'name="burst"' not in change.content.decode()  # rendered read-only
    delete = admin.get(f"/admin/ratelimit/tenantlimitoverride/{override.pk}/delete/")
    assert delete.status_code == 403
