"""Read paths for the audit log (hr and admin only)."""

from __future__ import annotations

from django.db.models import QuerySet

from app.audit.models import AuditEvent
from app.core.errors import NotFoundError
from app.tenants.models import Membership


def audit_event_list(*, actor: Membership) -> QuerySet[AuditEvent]:
    if not actor.sees_whole_tenant:
        return AuditEvent.objects.none()
    return AuditEvent.objects.for_tenant(actor.tenant_id)


def audit_event_get(*, actor: Membership, event_id: int) -> AuditEvent:
    event = audit_event_list(actor=actor).filter(pk=event_id).first()
    if event is None:
        raise NotFoundError
    return event
