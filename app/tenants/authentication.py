"""DRF authentication: tenant API key plus the user's bearer token, bound to that tenant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from app.core.rls import set_db_tenant
from app.tenants.models import Membership, Tenant
from app.tenants.selectors import membership_from_token


@dataclass(frozen=True, kw_only=True)
class TenantAuth:
    """``request.auth`` for API views: who is calling, in which tenant, with which role."""

    tenant: Tenant
    membership: Membership


class TenantTokenAuthentication(BaseAuthentication):
    """Requires ``X-API-Key`` (resolved by TenantMiddleware) and ``Authorization: Bearer``.

    Runs inside the request's transaction (ATOMIC_REQUESTS), so this is where the
    transaction gets bound to the tenant for row-level security.
    """

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, TenantAuth]:
        tenant: Tenant | None = getattr(request._request, "tenant", None)
        if tenant is None:
            raise exceptions.AuthenticationFailed("Missing or invalid X-API-Key header.")
        if not tenant.is_active:
            raise exceptions.PermissionDenied("This tenant is suspended.")
        set_db_tenant(tenant.pk)
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise exceptions.AuthenticationFailed("Missing Authorization: Bearer token.")
        membership = membership_from_token(tenant=tenant, token=token.strip())
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
