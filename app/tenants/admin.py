"""Django admin for tenants and their API keys: tier and status changes, key revocation.

Only tables outside row-level security appear here. Memberships, tokens and HR data
are tenant-owned: the admin runs without a tenant scope, so PostgreSQL would show it
none of their rows, and cross-tenant browsing is not an operator task anyway.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from app.tenants.models import Tenant, TenantApiKey
from app.tenants.services import tenant_api_key_revoke, tenant_create

_API_KEY_FIELDS = ("tenant", "name", "prefix", "key_hash", "created_at", "revoked_at")


class TenantApiKeyInline(admin.TabularInline):  # type: ignore[type-arg]
    """A tenant's keys at a glance; issuing shows the secret once, so it is not done here."""

    model = TenantApiKey
    fields = ("name", "prefix", "created_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("slug", "name", "tier", "status", "created_at")
    list_filter = ("tier", "status")
    search_fields = ("slug", "name")
    fields = ("slug", "name", "tier", "status", "created_at")
    readonly_fields = ("created_at",)
    inlines = (TenantApiKeyInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The slug names the tenant in metrics, logs and limiter keys: fixed once created.
        return ("slug", "created_at") if obj is not None else ("created_at",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Offboarding is a status change; tenant rows anchor audit history.
        return False

    def save_model(self, request: HttpRequest, obj: Tenant, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = tenant_create(slug=obj.slug, name=obj.name, tier=obj.tier)
        obj.pk = created.pk
        obj.status = created.status
        obj.created_at = created.created_at


@admin.register(TenantApiKey)
class TenantApiKeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only view of keys (prefix and SHA-256 hash only) with a revoke action."""

    list_display = ("prefix", "tenant", "name", "created_at", "revoked_at")
    list_filter = ("tenant__tier",)
    search_fields = ("prefix", "tenant__slug", "name")
    list_select_related = ("tenant",)
    fields = _API_KEY_FIELDS
    readonly_fields = _API_KEY_FIELDS
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A key's plaintext is shown exactly once, by the service that issues it.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The changelist needs it for the revoke action; single keys stay read-only.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Revoke selected API keys now", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[TenantApiKey]) -> None:
        active = list(queryset.filter(revoked_at__isnull=True).select_related("tenant"))
        for key in active:
            tenant_api_key_revoke(tenant=key.tenant, prefix=key.prefix)
        self.message_user(request, f"Revoked {len(active)} API key(s).")
