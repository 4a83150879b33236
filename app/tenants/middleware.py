"""Resolves ``X-API-Key`` to ``request.tenant``; authentication decides whether to reject.

The bearer token is checked in the same lookup (one database round trip for both,
docs/performance.md); the answer is kept on the request for the rate limiter and
``TenantTokenAuthentication``, which still refuse whatever it did not authenticate.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from app.core.context import TENANT_ENVIRON_KEY, tenant_id_var
from app.tenants.authentication import bearer_token, request_membership_verified
from app.tenants.selectors import request_credentials

API_KEY_HEADER = "X-API-Key"


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api_key = request.headers.get(API_KEY_HEADER, "").strip()
        tenant = None
        if api_key:
            found = request_credentials(api_key=api_key, token=bearer_token(request))
            tenant = found.tenant
            if tenant is not None:
                request_membership_verified(request, found.membership)
        request.api_key = api_key or None  # type: ignore[attr-defined]
        request.tenant = tenant  # type: ignore[attr-defined]
        if tenant is not None:
            tenant_id_var.set(tenant.pk)
            # Under WSGI ``META`` is the server's environ: gunicorn's access log reads it.
            request.META[TENANT_ENVIRON_KEY] = tenant.pk
        return self.get_response(request)
