"""Read side of limits: the active override and the effective limits of a tenant."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from app.ratelimit.limits import Limits
from app.ratelimit.models import TenantLimitOverride
from app.tenants.models import Tenant


def tenant_limit_override_active(
    *, tenant_id: int, now: datetime | None = None
) -> TenantLimitOverride | None:
    """The newest unrevoked, unexpired override of the tenant, if any."""
    now = now or timezone.now()
    return (
        TenantLimitOverride.objects.filter(tenant_id=tenant_id, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("-created_at", "-id")
        .first()
    )


def tenant_limits_effective(*, tenant: Tenant, now: datetime | None = None) -> Limits:
    """The active override applied over the tenant's tier, else the tier's limits."""
    base = Limits.for_tier_name(tenant.tier)
    override = tenant_limit_override_active(tenant_id=tenant.pk, now=now)
    return override.apply(base) if override is not None else base
