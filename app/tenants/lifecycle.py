"""Tenant lifecycle: onboard, change tier, suspend, resume, keys and tokens, offboard.

The one service layer behind ``manage.py tenant ...`` and the admin. Each operation
changes the app first (one transaction, audited), then, when given a ``TenantEdge``,
reconciles the tenant's API Gateway keys with the app. Every step is idempotent, so
re-running a command after a failure half-way (edge unreachable, say) converges.
Exceptions: a new key's value reaches the edge before the app accepts it (its plaintext
exists only at that moment), and a tenant being onboarded stays ``onboarding`` (never
authenticates) until its key is at the edge; activation in the app is the last step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from app.audit.services import audit_event_record
from app.core.errors import ConflictError, DomainError
from app.core.rls import tenant_scope
from app.people.models import Employee, EmploymentStatus
from app.tenants.credentials import credential_issue
from app.tenants.edge import DesiredKey, EdgeReport, TenantEdge
from app.tenants.models import (
    Role,
    Tenant,
    TenantApiKey,
    TenantErasure,
    TenantStatus,
)
from app.tenants.services import (
    access_token_create,
    access_token_revoke_all,
    membership_create,
    tenant_api_key_create,
    tenant_api_key_revoke,
    tenant_create,
    user_get_or_create,
)
from app.tenants.tiers import get_tier

ONBOARDING_KEY_NAME = "onboarding"
ONBOARDING_TOKEN_NAME = "onboarding-admin"  # noqa: S105 - a row label, not a secret


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What an operation did; ``secrets`` holds plaintexts shown once (api_key, token...)."""

    tenant: Tenant
    changed: bool
    secrets: dict[str, str] = field(default_factory=dict)
    edge: EdgeReport | None = None
    details: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- helpers


def tenant_require(*, slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise DomainError(f"no tenant {slug!r}", field="slug")
    return tenant


def _require_live(tenant: Tenant) -> None:
    if tenant.status == TenantStatus.OFFBOARDED:
        raise ConflictError(f"tenant {tenant.slug!r} was offboarded", field="slug")


def _audit(tenant: Tenant, action: str, operator: str, **changes: Any) -> None:
    with tenant_scope(tenant.pk):
        audit_event_record(
            actor=None,
            tenant_id=tenant.pk,
            action=action,
            entity_type="tenant",
            entity_id=tenant.slug,
            changes={"operator": operator, **changes},
        )


def _active_keys(tenant: Tenant) -> list[DesiredKey]:
    prefixes = TenantApiKey.objects.filter(tenant=tenant, revoked_at__isnull=True)
    return [DesiredKey(prefix=p) for p in prefixes.values_list("prefix", flat=True)]


def tenant_edge_sync(
    *,
    tenant: Tenant,
    edge: TenantEdge,
    extra: DesiredKey | None = None,
    active: bool | None = None,
) -> EdgeReport:
    """Bring the tenant's edge keys in line with the app (see ``app/tenants/edge.py``)."""
    keys = _active_keys(tenant) if tenant.status != TenantStatus.OFFBOARDED else []
    if extra is not None:
        keys = [k for k in keys if k.prefix != extra.prefix] + [extra]
    return edge.reconcile(
        slug=tenant.slug,
        tier=tenant.tier,
        active=tenant.status == TenantStatus.ACTIVE if active is None else active,
        keys=keys,
    )


def tenant_usage(*, tenant: Tenant) -> dict[str, int]:
    """What counts against tier limits: seats (employees not terminated) and active keys."""
    with tenant_scope(tenant.pk):
        seats = (
            Employee.objects.for_tenant(tenant)
            .exclude(employment_status=EmploymentStatus.TERMINATED)
            .count()
        )
    keys = TenantApiKey.objects.filter(tenant=tenant, revoked_at__isnull=True).count()
    return {"seats": seats, "api_keys": keys}


def tenant_tier_misfits(*, tenant: Tenant, tier: str) -> list[str]:
    """Why ``tenant`` does not fit ``tier``, with the numbers; empty when it fits."""
    target = get_tier(tier)
    usage = tenant_usage(tenant=tenant)
    problems = []
    if target.max_employees is not None and usage["seats"] > target.max_employees:
        problems.append(f"{usage['seats']} employees, tier {tier} allows {target.max_employees}")
    if usage["api_keys"] > target.max_api_keys:
        problems.append(
            f"{usage['api_keys']} active API keys, tier {tier} allows {target.max_api_keys}"
        )
    return problems


# ---------------------------------------------------------------------------- operations


def tenant_onboard(
    *,
    slug: str,
    name: str,
    tier: str,
    admin_email: str,
    operator: str,
    edge: TenantEdge | None = None,
) -> Outcome:
    """A tenant, its first admin (membership and token) and one API key.

    Re-running for a tenant still ``onboarding`` (a previous run failed half-way)
    revokes the credentials that run never delivered and issues fresh ones; for a
    tenant already onboarded it changes nothing and issues nothing.
    """
    try:
        get_tier(tier)
    except KeyError as exc:
        raise DomainError(str(exc.args[0]), field="tier") from None
    email = admin_email.strip().lower()
    if "@" not in email:
        raise DomainError(f"not an email address: {admin_email!r}", field="admin_email")
    existing = Tenant.objects.filter(slug=slug).first()
    if existing is not None and existing.status != TenantStatus.ONBOARDING:
        _require_live(existing)
        if existing.tier != tier:
            raise ConflictError(
                f"tenant {slug!r} is already onboarded on tier {existing.tier}; use change-tier",
                field="tier",
            )
        report = tenant_edge_sync(tenant=existing, edge=edge) if edge else None
        return Outcome(tenant=existing, changed=False, edge=report)

    with transaction.atomic():
        if existing is None:
            tenant = tenant_create(slug=slug, name=name, tier=tier)
            tenant.status = TenantStatus.ONBOARDING
            tenant.save(update_fields=["status"])
        else:
            tenant = Tenant.objects.select_for_update().get(pk=existing.pk)
            tenant.name, tenant.tier = name, tier
            tenant.full_clean()
            tenant.save(update_fields=["name", "tier"])
            for stale in TenantApiKey.objects.filter(tenant=tenant, revoked_at__isnull=True):
                tenant_api_key_revoke(tenant=tenant, prefix=stale.prefix)
        user = user_get_or_create(username=email, email=email)
        admin = membership_create(tenant=tenant, user=user, role=Role.ADMIN)
        access_token_revoke_all(membership=admin, name=ONBOARDING_TOKEN_NAME)
        token = access_token_create(membership=admin, name=ONBOARDING_TOKEN_NAME)
        key = tenant_api_key_create(tenant=tenant, name=ONBOARDING_KEY_NAME)
        _audit(
            tenant,
            "tenant.onboard",
            operator,
            tier=tier,
            admin_user_id=user.pk,
            api_key_prefix=key.key.prefix,
        )

    report = None
    if edge is not None:
        # Enabled at the edge already: the app refuses the tenant until the step below,
        # which is the last one, so the credentials are printed only once all is done.
        report = tenant_edge_sync(
            tenant=tenant,
            edge=edge,
            extra=DesiredKey(prefix=key.key.prefix, value=key.plaintext),
            active=True,
        )
    with transaction.atomic():
        tenant.status = TenantStatus.ACTIVE
        tenant.save(update_fields=["status"])
        _audit(tenant, "tenant.activate", operator)
    return Outcome(
        tenant=tenant,
        changed=True,
        secrets={"api_key": key.plaintext, "admin_token": token.plaintext},
        edge=report,
    )


def tenant_change_tier(
    *, slug: str, tier: str, operator: str, force: bool = False, edge: TenantEdge | None = None
) -> Outcome:
    """Move the tenant to ``tier``; refuses a tier it no longer fits unless ``force``."""
    try:
        get_tier(tier)
    except KeyError as exc:
        raise DomainError(str(exc.args[0]), field="tier") from None
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant_require(slug=slug).pk)
        _require_live(tenant)
        old = tenant.tier
        changed = old != tier
        if changed:
            misfits = tenant_tier_misfits(tenant=tenant, tier=tier)
            if misfits and not force:
                raise ConflictError(
                    f"tenant {slug!r} does not fit tier {tier}: "
                    + "; ".join(misfits)
                    + " (reduce usage first, or force)",
                    field="tier",
                )
            tenant.tier = tier
            tenant.save(update_fields=["tier"])
            _audit(tenant, "tenant.change_tier", operator, tier=[old, tier], forced=bool(misfits))
    report = tenant_edge_sync(tenant=tenant, edge=edge) if edge else None
    return Outcome(tenant=tenant, changed=changed, edge=report, details={"from": old, "to": tier})


def _set_status(
    *, slug: str, status: TenantStatus, action: str, operator: str, edge: TenantEdge | None
) -> Outcome:
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant_require(slug=slug).pk)
        _require_live(tenant)
        if tenant.status == TenantStatus.ONBOARDING:
            raise ConflictError(
                f"tenant {slug!r} is still onboarding; re-run onboard first", field="slug"
            )
        changed = tenant.status != status
        if changed:
            old = tenant.status
            tenant.status = status
            tenant.save(update_fields=["status"])
            _audit(tenant, action, operator, status=[old, status.value])
    report = tenant_edge_sync(tenant=tenant, edge=edge) if edge else None
    return Outcome(tenant=tenant, changed=changed, edge=report)


def tenant_suspend(*, slug: str, operator: str, edge: TenantEdge | None = None) -> Outcome:
    """Refuse the tenant's requests in the app and disable its keys at the edge."""
    return _set_status(
        slug=slug,
        status=TenantStatus.SUSPENDED,
        action="tenant.suspend",
        operator=operator,
        edge=edge,
    )


def tenant_resume(*, slug: str, operator: str, edge: TenantEdge | None = None) -> Outcome:
    return _set_status(
        slug=slug,
        status=TenantStatus.ACTIVE,
        action="tenant.resume",
        operator=operator,
        edge=edge,
    )


def tenant_key_issue(
    *, slug: str, operator: str, name: str = "issued", edge: TenantEdge | None = None
) -> Outcome:
    """A new API key. With an edge, its value goes there first: an app key without an
    edge copy could never be pushed later, an edge key the app lacks is deleted on sync."""
    tenant = tenant_require(slug=slug)
    _require_live(tenant)
    limit = get_tier(tenant.tier).max_api_keys
    if TenantApiKey.objects.filter(tenant=tenant, revoked_at__isnull=True).count() >= limit:
        raise ConflictError(
            f"tier {tenant.tier} allows {limit} active API keys; revoke one first", field="slug"
        )
    issued = credential_issue(kind="hk")
    report = None
    if edge is not None:
        report = tenant_edge_sync(
            tenant=tenant, edge=edge, extra=DesiredKey(prefix=issued.prefix, value=issued.plaintext)
        )
    # Last step, so the key is printed only when the edge already holds it.
    with transaction.atomic():
        key = tenant_api_key_create(tenant=tenant, name=name, issued=issued)
        _audit(tenant, "tenant_api_key.issue", operator, prefix=key.key.prefix)
    return Outcome(
        tenant=tenant,
        changed=True,
        secrets={"api_key": key.plaintext},
        edge=report,
        details={"prefix": key.key.prefix},
    )


def tenant_key_revoke(
    *, slug: str, prefix: str, operator: str, edge: TenantEdge | None = None
) -> Outcome:
    tenant = tenant_require(slug=slug)
    _require_live(tenant)
    with transaction.atomic():
        before = TenantApiKey.objects.filter(tenant=tenant, prefix=prefix).first()
        was_active = before is not None and before.revoked_at is None
        tenant_api_key_revoke(tenant=tenant, prefix=prefix)
        if was_active:
            _audit(tenant, "tenant_api_key.revoke", operator, prefix=prefix)
    report = tenant_edge_sync(tenant=tenant, edge=edge) if edge else None
    return Outcome(tenant=tenant, changed=was_active, edge=report, details={"prefix": prefix})


def tenant_token_issue(*, slug: str, email: str, role: str, operator: str) -> Outcome:
    """A user token for ``email`` with ``role`` in the tenant (membership created if needed)."""
    tenant = tenant_require(slug=slug)
    _require_live(tenant)
    address = email.strip().lower()
    if "@" not in address:
        raise DomainError(f"not an email address: {email!r}", field="email")
    with transaction.atomic():
        user = user_get_or_create(username=address, email=address)
        membership = membership_create(tenant=tenant, user=user, role=role)
        token = access_token_create(membership=membership, name=f"issued-{role}")
        _audit(
            tenant,
            "access_token.issue",
            operator,
            user_id=user.pk,
            role=role,
            prefix=token.token.prefix,
        )
    return Outcome(
        tenant=tenant,
        changed=True,
        secrets={"token": token.plaintext},
        details={"email": address, "role": role, "prefix": token.token.prefix},
    )


def tenant_offboard(
    *,
    slug: str,
    operator: str,
    export_dir: Path | None,
    owner_url: str | None,
    edge: TenantEdge | None = None,
) -> Outcome:
    """Suspend, export (unless ``export_dir`` is None), erase as the schema owner, clear the edge.

    Re-running after any failure converges: before the erasure the export is simply
    written again; after it, only the edge is cleared again.
    """
    from app.tenants.offboarding import tenant_erase, tenant_export

    tenant = tenant_require(slug=slug)
    if tenant.status == TenantStatus.OFFBOARDED:
        deleted = edge.delete_tenant(slug=slug) if edge else []
        tomb = TenantErasure.objects.filter(tenant_slug=slug).first()
        return Outcome(
            tenant=tenant,
            changed=False,
            edge=EdgeReport(deleted=deleted) if edge else None,
            details={"row_counts": tomb.row_counts if tomb else {}},
        )
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if tenant.status != TenantStatus.SUSPENDED:
            old = tenant.status
            tenant.status = TenantStatus.SUSPENDED
            tenant.save(update_fields=["status"])
            _audit(tenant, "tenant.suspend", operator, status=[old, "suspended"], reason="offboard")
    if edge is not None:
        tenant_edge_sync(tenant=tenant, edge=edge)  # keys disabled while we export
    manifest_sha = ""
    details: dict[str, Any] = {}
    if export_dir is not None:
        manifest = tenant_export(tenant=tenant, directory=export_dir, operator=operator)
        manifest_sha = manifest.sha256
        details["export"] = str(export_dir)
        details["exported"] = manifest.counts
    counts = tenant_erase(
        tenant=tenant, owner_url=owner_url, operator=operator, export_manifest_sha256=manifest_sha
    )
    details["row_counts"] = counts
    tenant.refresh_from_db()
    deleted = edge.delete_tenant(slug=slug) if edge else []
    return Outcome(
        tenant=tenant,
        changed=True,
        edge=EdgeReport(deleted=deleted) if edge else None,
        details=details,
    )
