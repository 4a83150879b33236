"""Per-tenant limit overrides: operator-set exceptions to a tenant's tier limits."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from app.ratelimit.limits import Limits


class TenantLimitOverride(models.Model):
    """One override. Empty limit fields keep the tier's value.

    Rows are never deleted or edited in place by the service: setting a new override
    revokes the current one, so the table is the history of who changed what and why.
    Operator configuration, not tenant data, so it sits outside row-level security
    (the limiter reads it before any tenant transaction starts).
    """

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="limit_overrides"
    )
    rate_per_second = models.FloatField(
        null=True, blank=True, help_text="Sustained requests per second; empty keeps the tier's."
    )
    burst = models.PositiveIntegerField(
        null=True, blank=True, help_text="Bucket capacity; empty keeps the tier's."
    )
    daily_quota = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Requests per UTC day; empty keeps the tier's."
    )
    unlimited_daily_quota = models.BooleanField(
        default=False, help_text="Lift the daily quota entirely (leave daily quota empty)."
    )
    reason = models.TextField(help_text="Why the tenant gets different limits (ticket, contract).")
    set_by = models.CharField(max_length=150, help_text="Who set the override.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When the tier limits apply again; empty = until revoked."
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="ratelimit_override_recent")]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_per_second__isnull=True) | Q(rate_per_second__gt=0),
                name="ratelimit_override_rate_positive",
            ),
            models.CheckConstraint(
                condition=Q(burst__isnull=True) | Q(burst__gte=1),
                name="ratelimit_override_burst_positive",
            ),
            models.CheckConstraint(
                condition=Q(daily_quota__isnull=True) | Q(daily_quota__gte=1),
                name="ratelimit_override_quota_positive",
            ),
            models.CheckConstraint(
                condition=~(Q(unlimited_daily_quota=True) & Q(daily_quota__isnull=False)),
                name="ratelimit_override_quota_xor_unlimited",
            ),
        ]

    def __str__(self) -> str:
        return f"override #{self.pk} for tenant {self.tenant_id}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.unlimited_daily_quota and self.daily_quota is not None:
            errors["daily_quota"] = "leave empty when the daily quota is unlimited"
        if (
            self.rate_per_second is None
            and self.burst is None
            and self.daily_quota is None
            and not self.unlimited_daily_quota
        ):
            errors["rate_per_second"] = "set at least one limit (rate, burst or daily quota)"
        if self.rate_per_second is not None and not self.rate_per_second > 0:
            errors["rate_per_second"] = "must be greater than 0"
        if self.burst is not None and self.burst < 1:
            errors["burst"] = "must be at least 1"
        if self.daily_quota is not None and self.daily_quota < 1:
            errors["daily_quota"] = "must be at least 1 (or tick unlimited daily quota)"
        if not (self.reason or "").strip():
            errors["reason"] = "say why the tenant gets different limits"
        if self.expires_at is not None and self.expires_at <= (self.created_at or timezone.now()):
            errors["expires_at"] = "must be in the future"
        if errors:
            raise ValidationError(errors)

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def apply(self, base: Limits) -> Limits:
        quota = base.daily_quota
        if self.unlimited_daily_quota:
            quota = None
        elif self.daily_quota is not None:
            quota = self.daily_quota
        return Limits(
            rate_per_second=(
                self.rate_per_second if self.rate_per_second is not None else base.rate_per_second
            ),
            burst=self.burst if self.burst is not None else base.burst,
            daily_quota=quota,
            source="override",
        )
