"""Read paths for leave types, balances and requests, scoped to tenant and role."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from app.core.errors import NotFoundError
from app.leave.models import LeaveRequest, LeaveType
from app.tenants.models import Membership, Role


def leave_type_list(*, actor: Membership) -> QuerySet[LeaveType]:
    return LeaveType.objects.for_tenant(actor.tenant_id)


def leave_type_get(*, actor: Membership, leave_type_id: int) -> LeaveType:
    leave_type = leave_type_list(actor=actor).filter(pk=leave_type_id).first()
    if leave_type is None:
        raise NotFoundError
    return leave_type


def leave_request_list(*, actor: Membership) -> QuerySet[LeaveRequest]:
    """hr/admin: every request; managers: their own and their reports'; others: their own."""
    qs = LeaveRequest.objects.for_tenant(actor.tenant_id)
    if actor.sees_whole_tenant:
        return qs
    if actor.role == Role.MANAGER:
        return qs.filter(Q(employee__membership=actor) | Q(employee__manager__membership=actor))
    return qs.filter(employee__membership=actor)


def leave_request_get(*, actor: Membership, request_id: int) -> LeaveRequest:
    leave_request = (
        leave_request_list(actor=actor)
        .select_related("employee__manager", "leave_type")
        .filter(pk=request_id)
        .first()
    )
    if leave_request is None:
        raise NotFoundError
    return leave_request
