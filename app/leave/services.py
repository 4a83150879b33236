"""The leave workflow: submit, approve, reject, cancel; balances per leave type and year."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from app.audit.services import audit_event_record
from app.core.errors import ConflictError, DomainError, ForbiddenError
from app.leave.calendar import working_days
from app.leave.models import (
    ACTIVE_LEAVE_STATUSES,
    LeaveBalance,
    LeaveRequest,
    LeaveStatus,
    LeaveType,
)
from app.people.models import Employee, EmploymentStatus
from app.people.selectors import employee_of
from app.tenants.models import Membership

MAX_LEAVE_DAYS = Decimal(366)


def leave_balance_get_or_create(
    *, employee: Employee, leave_type: LeaveType, year: int
) -> LeaveBalance:
    balance, _ = LeaveBalance.objects.get_or_create(
        tenant_id=employee.tenant_id,
        employee=employee,
        leave_type=leave_type,
        year=year,
        defaults={"allowance_days": leave_type.annual_allowance_days},
    )
    return balance


def _pending_days(*, employee: Employee, leave_type: LeaveType, year: int) -> Decimal:
    total = (
        LeaveRequest.objects.for_tenant(employee.tenant_id)
        .filter(
            employee=employee,
            leave_type=leave_type,
            status=LeaveStatus.PENDING,
            start_date__year=year,
        )
        .aggregate(total=Sum("days"))["total"]
    )
    return total or Decimal(0)


def _audit(actor: Membership, leave_request: LeaveRequest, action: str, **changes: object) -> None:
    audit_event_record(
        actor=actor,
        tenant_id=leave_request.tenant_id,
        action=f"leave_request.{action}",
        entity_type="leave_request",
        entity_id=leave_request.pk,
        changes={k: str(v) for k, v in changes.items()},
    )


@transaction.atomic
def leave_request_submit(
    *,
    actor: Membership,
    leave_type_id: int,
    start_date: date,
    end_date: date,
    reason: str = "",
    employee_id: int | None = None,
) -> LeaveRequest:
    """File a request for the caller (or, for hr/admin, for ``employee_id``)."""
    tenant_id = actor.tenant_id
    own = employee_of(actor=actor)
    if employee_id is None or (own is not None and employee_id == own.pk):
        if own is None:
            raise DomainError("Your login has no employee record.", field="employee")
        employee_id = own.pk
    elif not actor.sees_whole_tenant:
        raise ForbiddenError("Only hr or admin can file leave for someone else.")
    # Row lock: concurrent submissions for one employee would otherwise both pass the
    # overlap and balance checks.
    employee = (
        Employee.objects.for_tenant(tenant_id).select_for_update().filter(pk=employee_id).first()
    )
    if employee is None:
        raise DomainError(f"Invalid pk {employee_id} - object does not exist.", field="employee")
    if employee.employment_status == EmploymentStatus.TERMINATED:
        raise DomainError("Terminated employees cannot request leave.", field="employee")
    leave_type = LeaveType.objects.for_tenant(tenant_id).filter(pk=leave_type_id).first()
    if leave_type is None:
        raise DomainError(
            f"Invalid pk {leave_type_id} - object does not exist.", field="leave_type"
        )
    if end_date < start_date:
        raise DomainError("end_date must not be before start_date.", field="end_date")
    if start_date.year != end_date.year:
        raise DomainError(
            "Leave cannot span two calendar years; file one request per year.", field="end_date"
        )
    days = working_days(start_date, end_date)
    if days == 0:
        raise DomainError("The period contains no working days.", field="end_date")
    if days > MAX_LEAVE_DAYS:
        raise DomainError("The period is too long.", field="end_date")
    overlapping = (
        LeaveRequest.objects.for_tenant(tenant_id)
        .filter(
            employee=employee,
            status__in=ACTIVE_LEAVE_STATUSES,
            start_date__lte=end_date,
            end_date__gte=start_date,
        )
        .first()
    )
    if overlapping is not None:
        raise DomainError(
            f"Overlaps leave request {overlapping.pk} "
            f"({overlapping.start_date}..{overlapping.end_date}, {overlapping.status}).",
            field="start_date",
        )
    balance = leave_balance_get_or_create(
        employee=employee, leave_type=leave_type, year=start_date.year
    )
    pending = _pending_days(employee=employee, leave_type=leave_type, year=start_date.year)
    available = balance.allowance_days - balance.used_days - pending
    if days > available:
        raise DomainError(
            f"Requested {days} days but only {available} of {leave_type.code} remain "
            f"for {start_date.year}.",
            field="leave_type",
        )
    leave_request = LeaveRequest.objects.create(
        tenant_id=tenant_id,
        employee=employee,
        leave_type=leave_type,
        start_date=start_date,
        end_date=end_date,
        days=days,
        reason=reason,
    )
    _audit(actor, leave_request, "submit", start_date=start_date, end_date=end_date, days=days)
    return leave_request


def _require_approver(actor: Membership, leave_request: LeaveRequest) -> Employee | None:
    approver = employee_of(actor=actor)
    if approver is not None and approver.pk == leave_request.employee_id:
        raise ForbiddenError("You cannot decide on your own leave request.")
    if actor.sees_whole_tenant:
        return approver
    manager = leave_request.employee.manager
    if approver is None or manager is None or manager.pk != approver.pk:
        raise ForbiddenError("Only the employee's manager, hr or admin can decide.")
    return approver


def _locked(leave_request: LeaveRequest) -> LeaveRequest:
    return LeaveRequest.objects.select_for_update().get(
        pk=leave_request.pk, tenant_id=leave_request.tenant_id
    )


def _require_status(leave_request: LeaveRequest, action: str, *allowed: LeaveStatus) -> None:
    if leave_request.status not in allowed:
        names = " or ".join(s.value for s in allowed)
        raise ConflictError(
            f"Cannot {action} a request that is {leave_request.status}; it must be {names}.",
            field="status",
        )


@transaction.atomic
def leave_request_approve(
    *, actor: Membership, leave_request: LeaveRequest, note: str = ""
) -> LeaveRequest:
    approver = _require_approver(actor, leave_request)
    leave_request = _locked(leave_request)
    _require_status(leave_request, "approve", LeaveStatus.PENDING)
    balance = LeaveBalance.objects.select_for_update().get(
        pk=leave_balance_get_or_create(
            employee=leave_request.employee,
            leave_type=leave_request.leave_type,
            year=leave_request.start_date.year,
        ).pk
    )
    if balance.used_days + leave_request.days > balance.allowance_days:
        raise ConflictError("Approving would exceed the leave balance.", field="days")
    balance.used_days += leave_request.days
    balance.save(update_fields=["used_days"])
    leave_request.status = LeaveStatus.APPROVED
    leave_request.decided_by = approver
    leave_request.decided_at = timezone.now()
    leave_request.decision_note = note
    leave_request.save()
    _audit(actor, leave_request, "approve", status=leave_request.status, note=note)
    return leave_request


@transaction.atomic
def leave_request_reject(
    *, actor: Membership, leave_request: LeaveRequest, note: str = ""
) -> LeaveRequest:
    approver = _require_approver(actor, leave_request)
    leave_request = _locked(leave_request)
    _require_status(leave_request, "reject", LeaveStatus.PENDING)
    leave_request.status = LeaveStatus.REJECTED
    leave_request.decided_by = approver
    leave_request.decided_at = timezone.now()
    leave_request.decision_note = note
    leave_request.save()
    _audit(actor, leave_request, "reject", status=leave_request.status, note=note)
    return leave_request


@transaction.atomic
def leave_request_cancel(*, actor: Membership, leave_request: LeaveRequest) -> LeaveRequest:
    """The requester may cancel pending leave, or approved leave that has not started;
    hr/admin may cancel any pending or approved leave."""
    own = employee_of(actor=actor)
    is_requester = own is not None and own.pk == leave_request.employee_id
    if not is_requester and not actor.sees_whole_tenant:
        raise ForbiddenError("Only the requester, hr or admin can cancel.")
    leave_request = _locked(leave_request)
    _require_status(leave_request, "cancel", LeaveStatus.PENDING, LeaveStatus.APPROVED)
    if (
        leave_request.status == LeaveStatus.APPROVED
        and not actor.sees_whole_tenant
        and leave_request.start_date <= timezone.localdate()
    ):
        raise ConflictError("Leave that has started can only be cancelled by hr.", field="status")
    if leave_request.status == LeaveStatus.APPROVED:
        balance = LeaveBalance.objects.select_for_update().get(
            tenant_id=leave_request.tenant_id,
            employee_id=leave_request.employee_id,
            leave_type_id=leave_request.leave_type_id,
            year=leave_request.start_date.year,
        )
        balance.used_days -= leave_request.days
        balance.save(update_fields=["used_days"])
    leave_request.status = LeaveStatus.CANCELLED
    leave_request.save()
    _audit(actor, leave_request, "cancel", status=leave_request.status)
    return leave_request


@transaction.atomic
def leave_type_create(
    *, tenant_id: int, code: str, name: str, annual_allowance_days: Decimal
) -> LeaveType:
    leave_type, _ = LeaveType.objects.get_or_create(
        tenant_id=tenant_id,
        code=code,
        defaults={"name": name, "annual_allowance_days": annual_allowance_days},
    )
    return leave_type
