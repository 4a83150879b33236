"""DRF authentication: tenant API key plus the user's bearer token, bound to that tenant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from app.core.rls import set_db_tenant, tenant_bound_statement
from app.tenants.models import Membership, Tenant
from app.tenants.selectors import membership_from_token


@dataclass(frozen=True, kw_only=True)
class TenantAuth:
    """``request.auth`` for API views: who is calling, in which tenant, with which role."""

    tenant: Tenant
    membership: Membership


# Set on the Django request once its bearer token has been checked, so it is checked once.
_VERIFIED = "hrms_verified_membership"


def bearer_token(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def request_membership_verify(*, request: HttpRequest, tenant: Tenant) -> Membership | None:
    """The membership the request's bearer token authenticates in ``tenant``, or None.

    For the rate limiter, which must know before the view runs whether to spend the
    tenant's bucket or the failed-authentication one. It runs in its own short tenant
    scope; the answer is kept on the request for ``TenantTokenAuthentication``.
    ``TenantMiddleware`` has usually checked it already, with the API key.
    """
    if hasattr(request, _VERIFIED):
        verified: Membership | None = getattr(request, _VERIFIED)
        return verified
    token = bearer_token(request)
    membership = None
    if token is not None:
        # One query, bound to the tenant and in its own implicit transaction: a single
        # round trip (docs/performance.md); the binding ends with it.
        with tenant_bound_statement(tenant.pk):
            membership = membership_from_token(tenant=tenant, token=token)
    request_membership_verified(request, membership)
    return membership


def request_membership_verified(request: HttpRequest, membership: Membership | None) -> None:
    """Record that the request's bearer token was checked and what it authenticates."""
    setattr(request, _VERIFIED, membership)


class TenantTokenAuthentication(BaseAuthentication):
    """Requires ``X-API-Key`` (resolved by TenantMiddleware) and ``Authorization: Bearer``.

    Runs inside the request's database scope (``app.core.request_transaction``: a
    transaction for writes, a read scope for reads), so this is where that scope gets
    bound to the tenant for row-level security.
    """

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, TenantAuth]:
        tenant: Tenant | None = getattr(request._request, "tenant", None)
        if tenant is None:
            raise exceptions.AuthenticationFailed("Missing or invalid X-API-Key header.")
        if not tenant.is_active:
            raise exceptions.PermissionDenied("This tenant is suspended.")
        set_db_tenant(tenant.pk)
        token = bearer_token(request._request)
        if token is None:
            raise exceptions.AuthenticationFailed("Missing Authorization: Bearer token.")
        if hasattr(request._request, _VERIFIED):  # checked with the API key, moments ago
            membership = getattr(request._request, _VERIFIED)
        else:
            membership = membership_from_token(tenant=tenant, token=token)
        if membership is None:
            # Same answer for unknown tokens and tokens of another tenant.
            raise exceptions.AuthenticationFailed("Invalid token for this tenant.")
        return membership.user, TenantAuth(tenant=tenant, membership=membership)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TenantTokenAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "app.tenants.authentication.TenantTokenAuthentication"
    name = ["tenantApiKey", "userToken"]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            {"type": "http", "scheme": "bearer"},
        ]
