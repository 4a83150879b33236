"""Recording audit events; the only write path into the audit log."""

from __future__ import annotations

from typing import Any

from app.audit.models import AuditEvent
from app.core.context import client_request_id_var, request_id_var
from app.tenants.models import Membership


def audit_event_record(
    *,
    actor: Membership | None,
    tenant_id: int,
    action: str,
    entity_type: str,
    entity_id: int | str,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        tenant_id=tenant_id,
        actor_id=None if actor is None else actor.user_id,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        changes=changes or {},
        request_id=request_id_var.get() or "",
        client_request_id=client_request_id_var.get() or "",
    )


def audit_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``{field: [old, new]}`` for the fields whose value changed (JSON-safe strings)."""
    diff: dict[str, Any] = {}
    for key, new in after.items():
        old = before.get(key)
        if old != new:
            diff[key] = [None if old is None else str(old), None if new is None else str(new)]
    return diff
