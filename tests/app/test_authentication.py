"""Every API call needs a live tenant API key and a member's bearer token of that tenant."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from app.core.rls import tenant_scope
from app.tenants import selectors
from app.tenants.credentials import credential_parse
from app.tenants.models import AccessToken, TenantStatus
from app.tenants.selectors import membership_from_token, tenant_from_api_key
from app.tenants.services import (
    access_token_create,
    membership_create,
    tenant_api_key_revoke,
    user_get_or_create,
)
from tests.app.factories import TenantWorld

URL = "/api/v1/employees/"


def test_valid_credentials(tenant_a: TenantWorld) -> None:
    assert tenant_a.client("admin").get(URL).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_X_API_KEY": "hk_00000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
        {"HTTP_X_API_KEY": "garbage"},
    ],
)
def test_missing_or_unknown_api_key_is_401(tenant_a: TenantWorld, headers: dict[str, str]) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tenant_a.logins['admin'].token}", **headers)
    response = client.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("authorization", ["", "Bearer", "Basic abc", "Bearer ut_00000000.x"])
def test_missing_or_bad_token_is_401(tenant_a: TenantWorld, authorization: str) -> None:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=tenant_a.api_key, HTTP_AUTHORIZATION=authorization)
    assert client.get(URL).status_code == 401


def test_api_key_as_token_is_401(tenant_a: TenantWorld) -> None:
    client = APIClient()
    client.credentials(
        HTTP_X_API_KEY=tenant_a.api_key, HTTP_AUTHORIZATION=f"Bearer {tenant_a.api_key}"
    )
    assert client.get(URL).status_code == 401


def test_revoked_api_key_is_401(tenant_a: TenantWorld) -> None:
    prefix = credential_parse(tenant_a.api_key, kind="hk")
    assert prefix is not None
    tenant_api_key_revoke(tenant=tenant_a.tenant, prefix=prefix)
    assert tenant_a.client("admin").get(URL).status_code == 401


def test_expired_or_revoked_token_is_401(tenant_a: TenantWorld) -> None:
    with tenant_scope(tenant_a.tenant.pk):
        AccessToken.objects.filter(membership=tenant_a.logins["admin"].membership).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        AccessToken.objects.filter(membership=tenant_a.logins["hr"].membership).update(
            revoked_at=timezone.now()
        )
    assert tenant_a.client("admin").get(URL).status_code == 401
    assert tenant_a.client("hr").get(URL).status_code == 401
    assert tenant_a.client("manager").get(URL).status_code == 200


def test_inactive_membership_is_401(tenant_a: TenantWorld) -> None:
    membership = tenant_a.logins["manager"].membership
    with tenant_scope(tenant_a.tenant.pk):
        membership.is_active = False
        membership.save()
    assert tenant_a.client("manager").get(URL).status_code == 401


def test_terminated_employee_loses_access_at_once(tenant_a: TenantWorld) -> None:
    manager = tenant_a.employee("manager")
    leave_request = tenant_a.leave_request
    assert leave_request is not None
    manager_client = tenant_a.client("manager")
    assert manager_client.get(URL).status_code == 200
    terminated = tenant_a.client("hr").patch(
        f"{URL}{manager.pk}/", {"employment_status": "terminated"}, format="json"
    )
    assert terminated.status_code == 200
    # The same token, on the very next request: no session or cache keeps it alive.
    assert manager_client.get(URL).status_code == 401
    approve = manager_client.post(
        f"/api/v1/leave-requests/{leave_request.pk}/approve/", {}, format="json"
    )
    assert approve.status_code == 401
    leave_request.refresh_from_db()
    assert leave_request.status == "pending"


def test_employee_on_leave_keeps_access(tenant_a: TenantWorld) -> None:
    manager = tenant_a.employee("manager")
    tenant_a.client("hr").patch(
        f"{URL}{manager.pk}/", {"employment_status": "on_leave"}, format="json"
    )
    assert tenant_a.client("manager").get(URL).status_code == 200


def test_inactive_user_is_401(tenant_a: TenantWorld) -> None:
    user = tenant_a.logins["hr"].membership.user
    user.is_active = False
    user.save()
    assert tenant_a.client("hr").get(URL).status_code == 401


def test_suspended_tenant_is_403(tenant_a: TenantWorld) -> None:
    tenant_a.tenant.status = TenantStatus.SUSPENDED
    tenant_a.tenant.save()
    response = tenant_a.client("admin").get(URL)
    assert response.status_code == 403
    assert response.json()["detail"] == "This tenant is suspended."


def test_keys_and_tokens_are_stored_hashed(tenant_a: TenantWorld) -> None:
    from app.tenants.models import TenantApiKey

    key = TenantApiKey.objects.get(tenant=tenant_a.tenant)
    assert tenant_a.api_key not in (key.key_hash, key.prefix)
    assert len(key.key_hash) == 64
    with tenant_scope(tenant_a.tenant.pk):
        hashes = set(AccessToken.objects.values_list("key_hash", flat=True))
    assert not {login.token for login in tenant_a.logins.values()} & hashes


def test_api_key_limit_follows_tier(db: None) -> None:
    from app.core.errors import DomainError
    from app.tenants.services import tenant_api_key_create, tenant_create
    from app.tenants.tiers import get_tier

    tenant = tenant_create(slug="tiny", name="Tiny", tier="free")
    for i in range(get_tier("free").max_api_keys):
        tenant_api_key_create(tenant=tenant, name=f"k{i}")
    with pytest.raises(DomainError, match="allows"):
        tenant_api_key_create(tenant=tenant, name="one-too-many")


def _secret_changed(credential: str) -> str:
    """Same kind and lookup prefix, another secret: finds the row, must not match its hash."""
    return credential[:-1] + ("A" if credential[-1] != "A" else "B")


@pytest.fixture(params=["memory", "off"])
def limiter_backend(request: pytest.FixtureRequest, settings: object) -> str:
    """The rate limiter checks the token before the view; with it off, authentication does."""
    settings.TENANT_RATELIMIT_BACKEND = request.param  # type: ignore[attr-defined]
    return str(request.param)


def test_a_known_prefix_with_the_wrong_secret_is_401(
    tenant_a: TenantWorld, limiter_backend: str
) -> None:
    token = tenant_a.logins["admin"].token
    for api_key, bearer in (
        (_secret_changed(tenant_a.api_key), token),
        (tenant_a.api_key, _secret_changed(token)),
    ):
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=api_key, HTTP_AUTHORIZATION=f"Bearer {bearer}")
        assert client.get(URL).status_code == 401
    assert tenant_a.client("admin").get(URL).status_code == 200


def test_the_bearer_scheme_is_case_insensitive(tenant_a: TenantWorld, limiter_backend: str) -> None:
    # RFC 9110 section 11.1: authentication schemes are case-insensitive.
    client = APIClient()
    token = tenant_a.logins["hr"].token
    client.credentials(HTTP_X_API_KEY=tenant_a.api_key, HTTP_AUTHORIZATION=f"bearer {token}")
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize(
    ("credentials", "status", "detail"),
    [
        ({}, 401, "Missing or invalid X-API-Key header."),
        ({"HTTP_X_API_KEY": "KEY"}, 401, "Missing Authorization: Bearer token."),
        (
            {"HTTP_X_API_KEY": "KEY", "HTTP_AUTHORIZATION": "Bearer BAD"},
            401,
            "Invalid token for this tenant.",
        ),
    ],
)
def test_refusals_say_which_credential_is_wrong(
    tenant_a: TenantWorld, credentials: dict[str, str], status: int, detail: str
) -> None:
    bad_token = _secret_changed(tenant_a.logins["admin"].token)
    client = APIClient()
    client.credentials(
        **{
            name: value.replace("KEY", tenant_a.api_key).replace("BAD", bad_token)
            for name, value in credentials.items()
        }
    )
    response = client.get(URL)
    assert response.status_code == status
    assert response.json()["detail"] == detail


def test_a_token_is_refused_from_the_moment_it_expires(tenant_a: TenantWorld) -> None:
    expiry = timezone.now() + timedelta(hours=1)
    membership = tenant_a.logins["admin"].membership
    with tenant_scope(tenant_a.tenant.pk):
        AccessToken.objects.filter(membership=membership).update(expires_at=expiry)
    client = tenant_a.client("admin")
    with mock.patch("django.utils.timezone.now", return_value=expiry - timedelta(microseconds=1)):
        assert client.get(URL).status_code == 200
    with mock.patch("django.utils.timezone.now", return_value=expiry):
        assert client.get(URL).status_code == 401


def test_the_schema_documents_both_credentials(db: None) -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    assert schema["components"]["securitySchemes"] == {
        "tenantApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        "userToken": {"type": "http", "scheme": "bearer"},
    }
    operation = schema["paths"][URL]["get"]
    assert operation["security"] == [{"tenantApiKey": [], "userToken": []}]


def test_a_request_without_a_token_counts_as_a_failed_authentication(
    tenant_a: TenantWorld, settings: object
) -> None:
    """The limiter asks authentication first: no Authorization header at all is a failure
    too, so it spends the failed-authentication bucket, not the members' one."""
    settings.TENANT_RATELIMIT_BACKEND = "memory"  # type: ignore[attr-defined]
    settings.TENANT_RATELIMIT_AUTH_FAILURE_RATE = 0.001  # type: ignore[attr-defined]
    settings.TENANT_RATELIMIT_AUTH_FAILURE_BURST = 2  # type: ignore[attr-defined]
    anonymous = APIClient()
    anonymous.credentials(HTTP_X_API_KEY=tenant_a.api_key)
    assert [anonymous.get(URL).status_code for _ in range(3)] == [401, 401, 429]
    assert tenant_a.client("admin").get(URL).status_code == 200


def test_the_token_check_is_one_query(
    tenant_a: TenantWorld, django_assert_num_queries: Any
) -> None:
    """Run on every request (docs/performance.md): the token, its membership, user and
    employee come back in one statement."""
    login = tenant_a.logins["manager"]
    with tenant_scope(tenant_a.tenant.pk), django_assert_num_queries(1):
        membership = membership_from_token(tenant=tenant_a.tenant, token=login.token)
        assert membership == login.membership


def test_a_login_without_an_employee_record_authenticates(tenant_a: TenantWorld) -> None:
    with tenant_scope(tenant_a.tenant.pk):
        user = user_get_or_create(username="auditor@acme")
        membership = membership_create(tenant=tenant_a.tenant, user=user, role="hr")
        token = access_token_create(membership=membership, name="test").plaintext
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=tenant_a.api_key, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(URL).status_code == 200


def test_each_tenants_api_key_finds_its_own_tenant_in_one_query(
    tenant_a: TenantWorld, tenant_b: TenantWorld, django_assert_num_queries: Any
) -> None:
    """The key's prefix picks the row; with two tenants, any other row fails the hash."""
    for world in (tenant_a, tenant_b):
        with django_assert_num_queries(1):
            tenant = tenant_from_api_key(api_key=world.api_key)
            assert tenant is not None
            assert tenant.slug == world.tenant.slug
        assert world.client("admin").get(URL).status_code == 200


@pytest.mark.parametrize(
    ("template", "status"),
    [
        ("Bearer  {token}", 200),  # RFC 9110 section 11.4: one or more spaces
        ("Basic {token}", 401),  # a valid token under another scheme
        ("Token {token}", 401),
    ],
)
def test_only_the_bearer_scheme_carries_the_token(
    tenant_a: TenantWorld, template: str, status: int
) -> None:
    client = APIClient()
    authorization = template.format(token=tenant_a.logins["admin"].token)
    client.credentials(HTTP_X_API_KEY=tenant_a.api_key, HTTP_AUTHORIZATION=authorization)
    assert client.get(URL).status_code == status


def test_a_request_checks_its_token_once(tenant_a: TenantWorld) -> None:
    """The limiter checks the token before the view; authentication reuses its answer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert tenant_a.client("admin").get(URL).status_code == 200
    lookup = selectors._credentials_sql().name  # the prepared key and token lookup
    token_lookups = [
        q
        for q in queries.captured_queries
        if "tenants_accesstoken" in q["sql"] or lookup in q["sql"]
    ]
    assert len(token_lookups) == 1


def test_the_limiter_checks_a_token_the_middleware_has_not(
    tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    """``request_membership_verify`` on its own, as when nothing checked the token yet."""
    from django.test import RequestFactory

    from app.tenants.authentication import request_membership_verify

    def verify(token: str | None) -> Any:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        request = RequestFactory().get(URL, headers=headers)
        found = request_membership_verify(request=request, tenant=tenant_a.tenant)
        # Recorded, so authentication does not look again.
        assert request_membership_verify(request=request, tenant=tenant_b.tenant) is found
        return found

    hr = tenant_a.logins["hr"]
    assert verify(hr.token) == hr.membership
    assert verify(tenant_b.logins["hr"].token) is None  # another tenant's token
    assert verify(hr.token[:-1] + ("x" if hr.token[-1] != "x" else "y")) is None
    assert verify(None) is None


def test_authentication_checks_a_token_nothing_checked_yet(
    tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    """``TenantTokenAuthentication`` on its own, for a request whose tenant is known but
    whose token neither the middleware nor the limiter has looked up."""
    from django.test import RequestFactory
    from rest_framework import exceptions
    from rest_framework.request import Request

    from app.tenants.authentication import TenantTokenAuthentication

    def authenticate(token: str) -> Any:
        request = RequestFactory().get(URL, headers={"Authorization": f"Bearer {token}"})
        request.tenant = tenant_a.tenant  # type: ignore[attr-defined]
        return TenantTokenAuthentication().authenticate(Request(request))

    hr = tenant_a.logins["hr"]
    user, auth = authenticate(hr.token)
    assert user == hr.membership.user
    assert auth.membership == hr.membership
    for refused in (tenant_b.logins["hr"].token, _secret_changed(hr.token)):
        with pytest.raises(exceptions.AuthenticationFailed, match="Invalid token"):
            authenticate(refused)
