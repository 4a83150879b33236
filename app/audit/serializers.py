"""API shape of audit events (read-only)."""

from __future__ import annotations

from rest_framework import serializers

from app.audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    actor = serializers.IntegerField(source="actor_id", read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor",
            "action",
            "entity_type",
            "entity_id",
            "changes",
            "request_id",
            "client_request_id",
        ]
        read_only_fields = fields
