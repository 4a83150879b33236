"""The staff-only admin over real HTTP: login, tenants, API keys, and the API left alone."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from app.audit.models import AuditEvent
from app.core.rls import tenant_scope
from app.tenants.models import Tenant, TenantApiKey
from app.tenants.services import tenant_api_key_create
from tests.app.admin_client import PASSWORD, admin_login, post_form, staff_user
from tests.app.ratelimit.conftest import ApiTenant, api_tenant

pytestmark = pytest.mark.django_db

ENDPOINT = "/api/v1/departments/"


@pytest.fixture
def free() -> ApiTenant:
    return api_tenant("free-co", "free")


def test_the_admin_is_staff_only(free: ApiTenant) -> None:
    anonymous = Client()
    response = anonymous.get("/admin/ratelimit/tenantlimitoverride/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")

    get_user_model().objects.create_user(username="not-staff", password=PASSWORD)
    client = Client()
    assert client.login(username="not-staff", password=PASSWORD)
    assert client.get("/admin/").status_code == 302  # signed in, but not staff
    # Tenant users are created without a usable password, so they cannot log in at all.
    assert not Client().login(username="admin@free-co", password="")


def test_a_staff_session_does_not_authenticate_the_api(free: ApiTenant) -> None:
    staff_user("root", superuser=True)
    admin = admin_login("root")
    # A session cookie plus a tenant key is still not a user token.
    response = admin.get(ENDPOINT, HTTP_X_API_KEY=free.api_key)
    assert response.status_code == 401
    # And the admin is not metered against the tenant whose key rides along.
    page = admin.get("/admin/", HTTP_X_API_KEY=free.api_key)
    assert page.status_code == 200
    assert "RateLimit" not in page


def test_tenant_admin_creates_through_the_service_and_never_shows_key_secrets(
    free: ApiTenant,
) -> None:
    staff_user("root", superuser=True)
    admin = admin_login("root")
    response = post_form(
        admin,
        "/admin/tenants/tenant/add/",
        {"slug": "initech", "name": "Initech", "tier": "starter", "status": "active"},
    )
    assert response.status_code == 302, response.content[:2000]
    assert Tenant.objects.get(slug="initech").tier == "starter"

    bad = post_form(
        admin,
        "/admin/tenants/tenant/add/",
        {"slug": "Not A Slug", "name": "x", "tier": "platinum", "status": "active"},
    )
    assert set(bad.context["adminform"].form.errors) >= {"slug", "tier"}

    key = TenantApiKey.objects.get(tenant=free.tenant)
    page = admin.get(f"/admin/tenants/tenant/{free.tenant.pk}/change/").content.decode()
    assert key.prefix in page
    assert free.api_key not in page
    assert key.key_hash not in page  # the inline lists keys by prefix only

    key_page = admin.get(f"/admin/tenants/tenantapikey/{key.pk}/change/").content.decode()
    assert free.api_key not in key_page
    assert 'name="key_hash"' not in key_page  # shown read-only, never an input
    assert admin.get("/admin/tenants/tenantapikey/add/").status_code == 403
    assert admin.get(f"/admin/tenants/tenant/{free.tenant.pk}/delete/").status_code == 403


def test_admin_revokes_an_api_key_and_the_api_stops_accepting_it(free: ApiTenant) -> None:
    assert free.client().get(ENDPOINT).status_code == 200
    staff_user("root", superuser=True)
    admin = admin_login("root")
    key = TenantApiKey.objects.get(tenant=free.tenant)
    response = post_form(
        admin,
        "/admin/tenants/tenantapikey/",
        {"action": "revoke", "_selected_action": str(key.pk), "index": "0"},
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert free.client().get(ENDPOINT).status_code == 401


def test_tenant_admin_changes_tier_and_status_through_the_lifecycle(free: ApiTenant) -> None:
    staff_user("root", superuser=True)
    admin = admin_login("root")
    url = f"/admin/tenants/tenant/{free.tenant.pk}/change/"
    fields = {"slug": "free-co", "name": "Free Co"}
    response = post_form(admin, url, {**fields, "tier": "starter", "status": "suspended"})
    assert response.status_code == 302, response.content[:2000]
    tenant = Tenant.objects.get(pk=free.tenant.pk)
    assert (tenant.tier, tenant.status) == ("starter", "suspended")
    assert free.client().get(ENDPOINT).status_code == 403
    with tenant_scope(tenant.pk):
        actions = set(AuditEvent.objects.for_tenant(tenant).values_list("action", flat=True))
    assert {"tenant.change_tier", "tenant.suspend"} <= actions

    # A downgrade the tenant no longer fits is refused with the numbers.
    for _ in range(2):
        tenant_api_key_create(tenant=tenant, name="more")
    refused = post_form(admin, url, {**fields, "tier": "free", "status": "suspended"})
    assert refused.status_code == 200
    assert "3 active API keys, tier free allows 2" in str(refused.context["adminform"].form.errors)
    assert Tenant.objects.get(pk=tenant.pk).tier == "starter"

    response = post_form(
        admin,
        "/admin/tenants/tenant/",
        {"action": "resume", "_selected_action": str(tenant.pk), "index": "0"},
    )
    assert response.status_code == 302
    assert free.client().get(ENDPOINT).status_code == 200
