"""Read paths for departments and employees, scoped to the tenant and the caller's role."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from app.core.errors import NotFoundError
from app.people.models import Department, Employee
from app.tenants.models import Membership, Role


def employee_of(*, actor: Membership) -> Employee | None:
    """The employee record linked to ``actor``'s login, if any."""
    return Employee.objects.for_tenant(actor.tenant_id).filter(membership=actor).first()


def employee_list(*, actor: Membership) -> QuerySet[Employee]:
    """Employees ``actor`` may see: hr/admin all; managers self and direct reports; others self."""
    qs = Employee.objects.for_tenant(actor.tenant_id)
    if actor.sees_whole_tenant:
        return qs
    if actor.role == Role.MANAGER:
        return qs.filter(Q(membership=actor) | Q(manager__membership=actor))
    return qs.filter(membership=actor)


def employee_get(*, actor: Membership, employee_id: int) -> Employee:
    employee = employee_list(actor=actor).filter(pk=employee_id).first()
    if employee is None:
        raise NotFoundError
    return employee


def department_list(*, actor: Membership) -> QuerySet[Department]:
    return Department.objects.for_tenant(actor.tenant_id)


def department_get(*, actor: Membership, department_id: int) -> Department:
    department = department_list(actor=actor).filter(pk=department_id).first()
    if department is None:
        raise NotFoundError
    return department
