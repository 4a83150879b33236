"""Write paths for departments and employees; every change is audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict

from app.audit.services import audit_diff, audit_event_record
from app.core.errors import DomainError, NotFoundError
from app.core.roles import require_hr
from app.people.models import Department, Employee, EmploymentStatus
from app.tenants.models import Membership, Tenant
from app.tenants.tiers import get_tier

EMPLOYEE_FIELDS = (
    "employee_number",
    "first_name",
    "last_name",
    "email",
    "job_title",
    "hire_date",
    "employment_status",
    "department",
    "manager",
)
DEPARTMENT_FIELDS = ("name", "code")


def _snapshot(obj: Employee | Department, fields: tuple[str, ...]) -> dict[str, Any]:
    return model_to_dict(obj, fields=list(fields))


def _department_in_tenant(tenant_id: int, department_id: int | None) -> Department | None:
    if department_id is None:
        return None
    department = Department.objects.for_tenant(tenant_id).filter(pk=department_id).first()
    if department is None:
        raise DomainError(
            f"Invalid pk {department_id} - object does not exist.", field="department"
        )
    return department


def _manager_in_tenant(tenant_id: int, manager_id: int | None) -> Employee | None:
    if manager_id is None:
        return None
    manager = Employee.objects.for_tenant(tenant_id).filter(pk=manager_id).first()
    if manager is None:
        raise DomainError(f"Invalid pk {manager_id} - object does not exist.", field="manager")
    return manager


def _require_free_seat(tenant: Tenant) -> None:
    """Refuse a new seat beyond the tier's ``max_employees``.

    The tenant row is locked first, so concurrent hires and reactivations in one tenant
    count one after another (under READ COMMITTED each count sees the previous commit);
    without it, parallel requests at the last seat would all see it free.
    """
    seats = get_tier(tenant.tier).max_employees
    if seats is None:
        return
    Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True).get()
    taken = (
        Employee.objects.for_tenant(tenant)
        .exclude(employment_status=EmploymentStatus.TERMINATED)
        .count()
    )
    if taken >= seats:
        raise DomainError(
            f"The {tenant.tier} tier allows {seats} employees; upgrade or terminate one."
        )


def _check_no_management_cycle(employee: Employee, manager: Employee | None) -> None:
    seen: set[int] = set()
    current = manager
    while current is not None:
        if current.pk == employee.pk:
            raise DomainError(
                "An employee cannot be in their own management chain.", field="manager"
            )
        if current.pk in seen:  # pre-existing corruption; stop rather than loop
            break
        seen.add(current.pk)
        current = current.manager


@transaction.atomic
def department_create(*, actor: Membership, name: str, code: str) -> Department:
    require_hr(actor)
    if Department.objects.for_tenant(actor.tenant_id).filter(code=code).exists():
        raise DomainError(f"A department with code {code!r} already exists.", field="code")
    department = Department.objects.create(tenant_id=actor.tenant_id, name=name, code=code)
    audit_event_record(
        actor=actor,
        tenant_id=actor.tenant_id,
        action="department.create",
        entity_type="department",
        entity_id=department.pk,
        changes=audit_diff({}, _snapshot(department, DEPARTMENT_FIELDS)),
    )
    return department


@transaction.atomic
def department_update(*, actor: Membership, department: Department, **changes: Any) -> Department:
    require_hr(actor)
    before = _snapshot(department, DEPARTMENT_FIELDS)
    code = changes.get("code")
    if (
        code is not None
        and Department.objects.for_tenant(actor.tenant_id)
        .filter(code=code)
        .exclude(pk=department.pk)
        .exists()
    ):
        raise DomainError(f"A department with code {code!r} already exists.", field="code")
    for field in DEPARTMENT_FIELDS:
        if field in changes:
            setattr(department, field, changes[field])
    department.save()
    audit_event_record(
        actor=actor,
        tenant_id=actor.tenant_id,
        action="department.update",
        entity_type="department",
        entity_id=department.pk,
        changes=audit_diff(before, _snapshot(department, DEPARTMENT_FIELDS)),
    )
    return department


@transaction.atomic
def department_delete(*, actor: Membership, department: Department) -> None:
    require_hr(actor)
    department_id = department.pk
    before = _snapshot(department, DEPARTMENT_FIELDS)
    # The foreign key would clear these silently (ON DELETE SET NULL); doing it here
    # leaves one audit event per employee whose department changed.
    members = (
        Employee.objects.for_tenant(actor.tenant_id)
        .select_for_update()
        .filter(department_id=department_id)
    )
    for employee in members:
        employee.department = None
        employee.save(update_fields=["department", "updated_at"])
        audit_event_record(
            actor=actor,
            tenant_id=actor.tenant_id,
            action="employee.update",
            entity_type="employee",
            entity_id=employee.pk,
            # Same request id as the department.delete event below: that is the cause.
            changes={"department": [str(department_id), None]},
        )
    department.delete()
    audit_event_record(
        actor=actor,
        tenant_id=actor.tenant_id,
        action="department.delete",
        entity_type="department",
        entity_id=department_id,
        changes=audit_diff(before, dict.fromkeys(before)),
    )


@transaction.atomic
def employee_create(
    *,
    actor: Membership,
    employee_number: str,
    first_name: str,
    last_name: str,
    email: str,
    job_title: str,
    hire_date: date,
    employment_status: str = EmploymentStatus.ACTIVE,
    department_id: int | None = None,
    manager_id: int | None = None,
) -> Employee:
    require_hr(actor)
    tenant = actor.tenant
    if employment_status != EmploymentStatus.TERMINATED:
        _require_free_seat(tenant)
    if Employee.objects.for_tenant(tenant).filter(employee_number=employee_number).exists():
        raise DomainError(
            f"Employee number {employee_number!r} is already used in this tenant.",
            field="employee_number",
        )
    employee = Employee.objects.create(
        tenant_id=tenant.pk,
        employee_number=employee_number,
        first_name=first_name,
        last_name=last_name,
        email=email,
        job_title=job_title,
        hire_date=hire_date,
        employment_status=employment_status,
        department=_department_in_tenant(tenant.pk, department_id),
        manager=_manager_in_tenant(tenant.pk, manager_id),
    )
    audit_event_record(
        actor=actor,
        tenant_id=tenant.pk,
        action="employee.create",
        entity_type="employee",
        entity_id=employee.pk,
        changes=audit_diff({}, _snapshot(employee, EMPLOYEE_FIELDS)),
    )
    return employee


@transaction.atomic
def employee_update(*, actor: Membership, employee: Employee, **changes: Any) -> Employee:
    require_hr(actor)
    tenant_id = actor.tenant_id
    if employee.tenant_id != tenant_id:  # callers pass selector results; this is a guard
        raise NotFoundError
    before = _snapshot(employee, EMPLOYEE_FIELDS)
    number = changes.get("employee_number")
    if (
        number is not None
        and Employee.objects.for_tenant(tenant_id)
        .filter(employee_number=number)
        .exclude(pk=employee.pk)
        .exists()
    ):
        raise DomainError(
            f"Employee number {number!r} is already used in this tenant.", field="employee_number"
        )
    if "department_id" in changes:
        employee.department = _department_in_tenant(tenant_id, changes.pop("department_id"))
    if "manager_id" in changes:
        manager = _manager_in_tenant(tenant_id, changes.pop("manager_id"))
        _check_no_management_cycle(employee, manager)
        employee.manager = manager
    status = changes.get("employment_status")
    if (
        status is not None
        and status != EmploymentStatus.TERMINATED
        and employee.employment_status == EmploymentStatus.TERMINATED
    ):
        _require_free_seat(actor.tenant)  # reactivation takes a seat like a new hire
    for field in EMPLOYEE_FIELDS:
        if field in changes:
            setattr(employee, field, changes[field])
    employee.save()
    audit_event_record(
        actor=actor,
        tenant_id=tenant_id,
        action="employee.update",
        entity_type="employee",
        entity_id=employee.pk,
        changes=audit_diff(before, _snapshot(employee, EMPLOYEE_FIELDS)),
    )
    return employee
