"""Append-only audit events: who changed what, in which tenant, under which request."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from app.core.models import TenantQuerySet


class AuditEvent(models.Model):
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)  # e.g. "employee.update", "leave_request.approve"
    entity_type = models.CharField(max_length=64)
    entity_id = models.CharField(max_length=64)
    changes = models.JSONField(default=dict)
    request_id = models.CharField(max_length=64, blank=True)

    objects = TenantQuerySet["AuditEvent"].as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "id"], name="auditevent_tenant_id"),
            models.Index(fields=["tenant", "entity_type", "entity_id"], name="auditevent_entity"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.entity_type}:{self.entity_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("audit events are append-only")
