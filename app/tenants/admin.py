"""Django admin for tenants and their API keys: tier and status changes, key revocation.

Tier and status changes go through the lifecycle services (``app/tenants/lifecycle.py``),
so they are checked (a downgrade the tenant no longer fits is refused with the numbers)
and audited like ``manage.py tenant``. The admin does not reach API Gateway: after a
change here, ``manage.py tenant sync --slug S --stack STACK`` brings the edge in line.

Only tables outside row-level security appear here. Memberships, tokens and HR data
are tenant-owned: the admin runs without a tenant scope, so PostgreSQL would show it
none of their rows, and cross-tenant browsing is not an operator task anyway.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from app.core.errors import DomainError
from app.tenants import lifecycle
from app.tenants.models import Tenant, TenantApiKey, TenantStatus
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


_SETTABLE = {TenantStatus.ACTIVE, TenantStatus.SUSPENDED}
_EDGE_HINT = (
    "The edge is not changed from here: run `manage.py tenant sync --slug {} --stack STACK`."
)


class TenantForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Tenant
        fields = ("slug", "name", "tier", "status")

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        tenant = self.instance
        status = data.get("status")
        if tenant.pk is None:
            return data
        if status != tenant.status and (status not in _SETTABLE or tenant.status not in _SETTABLE):
            # Onboarding and offboarding are commands with several steps, not a field.
            self.add_error("status", "only active <-> suspended can be changed here")
        tier = data.get("tier")
        if tier and tier != Tenant.objects.get(pk=tenant.pk).tier:
            misfits = lifecycle.tenant_tier_misfits(tenant=tenant, tier=tier)
            if misfits:
                self.add_error("tier", "does not fit: " + "; ".join(misfits))
        return data


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = TenantForm
    actions = ("suspend", "resume")
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
            self._change(request, obj)
            return
        created = tenant_create(slug=obj.slug, name=obj.name, tier=obj.tier)
        obj.pk = created.pk
        obj.status = created.status
        obj.created_at = created.created_at

    def _change(self, request: HttpRequest, obj: Tenant) -> None:
        stored = Tenant.objects.get(pk=obj.pk)
        operator = request.user.get_username()
        if obj.name != stored.name:
            Tenant.objects.filter(pk=obj.pk).update(name=obj.name)
        if obj.tier != stored.tier:
            lifecycle.tenant_change_tier(slug=stored.slug, tier=obj.tier, operator=operator)
        if obj.status != stored.status:
            change = (
                lifecycle.tenant_suspend
                if obj.status == TenantStatus.SUSPENDED
                else lifecycle.tenant_resume
            )
            change(slug=stored.slug, operator=operator)
        if obj.tier != stored.tier or obj.status != stored.status:
            self.message_user(request, _EDGE_HINT.format(stored.slug), messages.WARNING)

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Tenant], suspend: bool) -> None:
        done = []
        for tenant in queryset:
            try:
                change = lifecycle.tenant_suspend if suspend else lifecycle.tenant_resume
                if change(slug=tenant.slug, operator=request.user.get_username()).changed:
                    done.append(tenant.slug)
            except DomainError as exc:
                self.message_user(request, f"{tenant.slug}: {exc.message}", messages.ERROR)
        verb = "Suspended" if suspend else "Resumed"
        self.message_user(request, f"{verb} {len(done)} tenant(s). " + _EDGE_HINT.format("S"))

    @admin.action(description="Suspend selected tenants", permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        self._set_status(request, queryset, suspend=True)

    @admin.action(description="Resume selected tenants", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        self._set_status(request, queryset, suspend=False)


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
