"""Write side of limit overrides: set and revoke, keeping the history."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from app.ratelimit.models import TenantLimitOverride
from app.tenants.models import Tenant


def _revoke_active(*, tenant: Tenant, now: datetime) -> int:
    return (
        TenantLimitOverride.objects.select_for_update()
        .filter(tenant=tenant, revoked_at__isnull=True)
        .update(revoked_at=now)
    )


@transaction.atomic
def tenant_limit_override_set(
    *,
    tenant: Tenant,
    set_by: str,
    reason: str,
    rate_per_second: float | None = None,
    burst: int | None = None,
    daily_quota: int | None = None,
    unlimited_daily_quota: bool = False,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> TenantLimitOverride:
    """Give ``tenant`` new limits until ``expires_at``, replacing any current override.

    Raises ``django.core.exceptions.ValidationError`` naming each bad field.
    """
    now = now or timezone.now()
    override = TenantLimitOverride(
        tenant=tenant,
        rate_per_second=rate_per_second,
        burst=burst,
        daily_quota=daily_quota,
        unlimited_daily_quota=unlimited_daily_quota,
        reason=reason.strip(),
        set_by=set_by.strip(),
        created_at=now,
        expires_at=expires_at,
    )
    override.full_clean()
    _revoke_active(tenant=tenant, now=now)
    override.save()
    transaction.on_commit(lambda: _invalidate(tenant.pk))
    return override


@transaction.atomic
def tenant_limit_override_revoke(*, tenant: Tenant, now: datetime | None = None) -> int:
    """End the tenant's current override now; returns how many were revoked (0 or 1)."""
    revoked = _revoke_active(tenant=tenant, now=now or timezone.now())
    transaction.on_commit(lambda: _invalidate(tenant.pk))
    return revoked


def _invalidate(tenant_id: int) -> None:
    # Other processes pick the change up when their short override cache expires.
    from app.ratelimit.runtime import get_runtime

    get_runtime().limits.invalidate(tenant_id)
