"""Tenants, their API keys, user memberships with roles, and user access tokens."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from app.core.models import TenantOwned, TenantQuerySet
from app.tenants.tiers import TierName


class TenantStatus(models.TextChoices):
    # onboarding: credentials issued but not yet confirmed at the edge; never authenticates
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    # offboarded: every tenant-owned row erased; the row stays so the slug is never reused
    OFFBOARDED = "offboarded", "Offboarded"


class Tenant(models.Model):
    """A customer organisation. Not tenant-owned itself, so it sits outside row-level security."""

    slug = models.SlugField(
        max_length=63,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$", "lowercase, digits, '-'")],
    )
    name = models.CharField(max_length=200)
    tier = models.CharField(max_length=20, choices=[(t.value, t.value.title()) for t in TierName])
    status = models.CharField(
        max_length=20, choices=TenantStatus.choices, default=TenantStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE


class TenantApiKey(models.Model):
    """A tenant's API key (the key API Gateway meters), stored only as a SHA-256 hash.

    Deliberately outside row-level security: the key is how the tenant becomes known.
    Rows hold only a lookup prefix and a hash, so reading the table reveals no key.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.tenant_id}:{self.prefix}"


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    HR = "hr", "HR"
    MANAGER = "manager", "Manager"
    EMPLOYEE = "employee", "Employee"


class Membership(TenantOwned):
    """A user's role in one tenant; a user may belong to several tenants."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.EMPLOYEE)
    is_active = models.BooleanField(default=True)

    objects = TenantQuerySet["Membership"].as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.tenant_id}:{self.role}"

    @property
    def sees_whole_tenant(self) -> bool:
        return self.role in (Role.ADMIN, Role.HR)


class AccessToken(TenantOwned):
    """A user's bearer token, bound to one membership (so to one tenant); stored hashed."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, unique=True)
    key_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet["AccessToken"].as_manager()

    def __str__(self) -> str:
        return f"{self.tenant_id}:{self.prefix}"


class TenantErasure(models.Model):
    """Tombstone of an offboarded tenant: who erased it, when, and how many rows per table.

    Holds no personal data and no ``tenant_id`` column on purpose: the erasure finds
    tenant-owned tables by that column, and this record must outlive the erasure.
    """

    tenant_slug = models.SlugField(max_length=63, unique=True)
    tenant_pk = models.BigIntegerField()
    erased_by = models.CharField(max_length=150)
    erased_at = models.DateTimeField()
    row_counts = models.JSONField(default=dict)  # {"app_table": rows erased}
    export_manifest_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.tenant_slug} erased {self.erased_at:%Y-%m-%d}"
