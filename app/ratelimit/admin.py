"""Django admin for limit overrides: set and revoke them, with who and why recorded."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from app.ratelimit.models import TenantLimitOverride
from app.ratelimit.services import tenant_limit_override_revoke, tenant_limit_override_set


@admin.register(TenantLimitOverride)
class TenantLimitOverrideAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "tenant",
        "active",
        "rate_per_second",
        "burst",
        "daily_quota",
        "unlimited_daily_quota",
        "set_by",
        "created_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("tenant__tier",)
    search_fields = ("tenant__slug", "reason", "set_by")
    list_select_related = ("tenant",)
    readonly_fields = ("set_by", "created_at", "revoked_at")
    fields = (
        "tenant",
        "rate_per_second",
        "burst",
        "daily_quota",
        "unlimited_daily_quota",
        "reason",
        "expires_at",
        "set_by",
        "created_at",
        "revoked_at",
    )
    actions = ("revoke",)

    @admin.display(boolean=True, description="active")
    def active(self, obj: TenantLimitOverride) -> bool:
        return obj.is_active(timezone.now())

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # History stays truthful: an override is replaced or revoked, never edited.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: TenantLimitOverride, form: Any, change: bool
    ) -> None:
        saved = tenant_limit_override_set(
            tenant=obj.tenant,
            set_by=request.user.get_username(),
            reason=obj.reason,
            rate_per_second=obj.rate_per_second,
            burst=obj.burst,
            daily_quota=obj.daily_quota,
            unlimited_daily_quota=obj.unlimited_daily_quota,
            expires_at=obj.expires_at,
        )
        obj.pk = saved.pk
        obj.set_by = saved.set_by
        obj.created_at = saved.created_at

    @admin.action(description="Revoke selected overrides now", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[TenantLimitOverride]) -> None:
        # Setting an override revokes the previous ones, so a tenant has at most one
        # unrevoked row: revoking the tenant's current override is revoking the selected
        # row, and the service also refreshes the limiter's cache.
        tenants = {
            o.tenant for o in queryset.filter(revoked_at__isnull=True).select_related("tenant")
        }
        revoked = sum(tenant_limit_override_revoke(tenant=tenant) for tenant in tenants)
        self.message_user(request, f"Revoked {revoked} override(s).")
