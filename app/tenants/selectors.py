"""Read paths for tenants and credentials."""

from __future__ import annotations

from django.utils import timezone

from app.people.models import EmploymentStatus
from app.tenants.credentials import credential_matches, credential_parse
from app.tenants.models import AccessToken, Membership, Tenant, TenantApiKey


def tenant_from_api_key(*, api_key: str) -> Tenant | None:
    """The tenant owning an unrevoked ``api_key``; works before any tenant scope exists."""
    prefix = credential_parse(api_key, kind="hk")
    if prefix is None:
        return None
    row = (
        TenantApiKey.objects.select_related("tenant")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if row is None or not credential_matches(api_key, row.key_hash):
        return None
    return row.tenant


def membership_from_token(*, tenant: Tenant, token: str) -> Membership | None:
    """The active membership in ``tenant`` that ``token`` belongs to.

    Checked on every request, so access ends with the next request once the membership
    or user is deactivated or the linked employee is terminated. Must run inside the
    tenant's scope: the token table is under row-level security.
    """
    prefix = credential_parse(token, kind="ut")
    if prefix is None:
        return None
    row = (
        AccessToken.objects.for_tenant(tenant)
        .select_related("membership__user", "membership__employee")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if row is None or not credential_matches(token, row.key_hash):
        return None
    if row.expires_at is not None and row.expires_at <= timezone.now():
        return None
    membership = row.membership
    if not membership.is_active or not membership.user.is_active:
        return None
    employee = getattr(membership, "employee", None)  # logins without an HR record have none
    if employee is not None and employee.employment_status == EmploymentStatus.TERMINATED:
        return None
    return membership
