"""Write paths for tenants, API keys, memberships and user tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from app.core.errors import DomainError
from app.core.rls import tenant_scope
from app.tenants.credentials import IssuedCredential, credential_issue
from app.tenants.models import AccessToken, Membership, Role, Tenant, TenantApiKey, TenantStatus
from app.tenants.tiers import get_tier


@dataclass(frozen=True, kw_only=True)
class IssuedApiKey:
    key: TenantApiKey
    plaintext: str


@dataclass(frozen=True, kw_only=True)
class IssuedToken:
    token: AccessToken
    plaintext: str


@transaction.atomic
def tenant_create(*, slug: str, name: str, tier: str) -> Tenant:
    try:
        get_tier(tier)
    except KeyError as exc:
        raise DomainError(str(exc.args[0]), field="tier") from None
    if Tenant.objects.filter(slug=slug).exists():
        raise DomainError(f"tenant {slug!r} already exists", field="slug")
    tenant = Tenant(slug=slug, name=name, tier=tier, status=TenantStatus.ACTIVE)
    tenant.full_clean()
    tenant.save()
    return tenant


@transaction.atomic
def tenant_api_key_create(
    *, tenant: Tenant, name: str, issued: IssuedCredential | None = None
) -> IssuedApiKey:
    limit = get_tier(tenant.tier).max_api_keys
    active = TenantApiKey.objects.filter(tenant=tenant, revoked_at__isnull=True).count()
    if active >= limit:
        raise DomainError(
            f"tier {tenant.tier} allows {limit} active API keys; revoke one first", field="name"
        )
    # ``issued`` lets edge sync push the value to API Gateway before the app accepts it.
    issued = issued or credential_issue(kind="hk")
    key = TenantApiKey.objects.create(
        tenant=tenant, name=name, prefix=issued.prefix, key_hash=issued.key_hash
    )
    return IssuedApiKey(key=key, plaintext=issued.plaintext)


@transaction.atomic
def tenant_api_key_revoke(*, tenant: Tenant, prefix: str) -> TenantApiKey:
    key = TenantApiKey.objects.filter(tenant=tenant, prefix=prefix).first()
    if key is None:
        raise DomainError(f"no API key with prefix {prefix!r} for this tenant", field="prefix")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def membership_create(*, tenant: Tenant, user: User, role: str) -> Membership:
    if role not in Role.values:
        raise DomainError(f"unknown role {role!r}; expected one of {Role.values}", field="role")
    with tenant_scope(tenant.pk):
        membership, _ = Membership.objects.get_or_create(
            tenant=tenant, user=user, defaults={"role": role}
        )
        if membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
    return membership


def user_get_or_create(*, username: str, email: str = "") -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def access_token_create(
    *, membership: Membership, name: str, expires_at: datetime | None = None
) -> IssuedToken:
    issued = credential_issue(kind="ut")
    with tenant_scope(membership.tenant_id):
        token = AccessToken.objects.create(
            tenant_id=membership.tenant_id,
            membership=membership,
            name=name,
            prefix=issued.prefix,
            key_hash=issued.key_hash,
            expires_at=expires_at,
        )
    return IssuedToken(token=token, plaintext=issued.plaintext)


def access_token_revoke_all(*, membership: Membership, name: str | None = None) -> int:
    with tenant_scope(membership.tenant_id):
        tokens = AccessToken.objects.for_tenant(membership.tenant_id).filter(
            membership=membership, revoked_at__isnull=True
        )
        if name is not None:
            tokens = tokens.filter(name=name)
        return tokens.update(revoked_at=timezone.now())
