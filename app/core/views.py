"""Helpers shared by the API views."""

from __future__ import annotations

from typing import cast

from rest_framework.request import Request

from app.core.errors import NotFoundError
from app.tenants.authentication import TenantAuth
from app.tenants.models import Membership


def actor_of(request: Request) -> Membership:
    """The authenticated membership (TenantTokenAuthentication guarantees it)."""
    return cast(TenantAuth, request.auth).membership


def pk_from_url(raw: str) -> int:
    """A URL primary key as an int; anything that cannot be one is simply not found."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise NotFoundError from None
    if value < 1 or value > 2**63 - 1:
        raise NotFoundError
    return value
