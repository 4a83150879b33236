"""Builders for tenants populated with one login per role, used across the app tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from rest_framework.test import APIClient

from app.core.rls import tenant_scope
from app.leave.calendar import working_days
from app.leave.models import LeaveRequest, LeaveType
from app.people.models import Department, Employee
from app.tenants.models import Membership, Tenant
from app.tenants.services import (
    access_token_create,
    membership_create,
    tenant_api_key_create,
    tenant_create,
    user_get_or_create,
)


@dataclass
class Login:
    membership: Membership
    employee: Employee | None
    token: str


@dataclass
class TenantWorld:
    tenant: Tenant
    api_key: str
    logins: dict[str, Login] = field(default_factory=dict)
    department: Department | None = None
    other_department: Department | None = None
    leave_type: LeaveType | None = None
    leave_request: LeaveRequest | None = None

    def client(self, role: str = "admin", *, api_key: str | None = None) -> APIClient:
        client = APIClient()
        client.credentials(
            HTTP_X_API_KEY=api_key or self.api_key,
            HTTP_AUTHORIZATION=f"Bearer {self.logins[role].token}",
        )
        return client

    def employee(self, role: str) -> Employee:
        employee = self.logins[role].employee
        assert employee is not None
        return employee


def _employee(tenant: Tenant, number: str, **extra: Any) -> Employee:
    defaults: dict[str, Any] = {
        "first_name": number.title(),
        "last_name": "Tester",
        "email": f"{number}@example.com",
        "job_title": "Engineer",
        "hire_date": date(2022, 1, 10),
    }
    defaults.update(extra)
    return Employee.objects.create(tenant=tenant, employee_number=number, **defaults)


def build_tenant(slug: str, tier: str = "enterprise") -> TenantWorld:
    """A tenant with admin, hr, manager, employee (reports to manager) and peer logins."""
    tenant = tenant_create(slug=slug, name=slug.title(), tier=tier)
    world = TenantWorld(
        tenant=tenant, api_key=tenant_api_key_create(tenant=tenant, name="t").plaintext
    )
    with tenant_scope(tenant.pk):
        world.department = Department.objects.create(tenant=tenant, name="Engineering", code="ENG")
        world.other_department = Department.objects.create(tenant=tenant, name="Sales", code="SAL")
        world.leave_type = LeaveType.objects.create(
            tenant=tenant, code="ANNUAL", name="Annual leave", annual_allowance_days=Decimal(20)
        )
        manager_employee: Employee | None = None
        for role, number in [
            ("admin", "A-1"),
            ("hr", "H-1"),
            ("manager", "M-1"),
            ("employee", "E-1"),
            ("peer", "E-2"),
        ]:
            user = user_get_or_create(username=f"{role}@{slug}")
            membership = membership_create(
                tenant=tenant, user=user, role="employee" if role == "peer" else role
            )
            reports_to = manager_employee if role in ("employee",) else None
            employee = _employee(
                tenant,
                number,
                membership=membership,
                manager=reports_to,
                department=world.department,
            )
            if role == "manager":
                manager_employee = employee
            token = access_token_create(membership=membership, name="test").plaintext
            world.logins[role] = Login(membership=membership, employee=employee, token=token)
        world.leave_request = LeaveRequest.objects.create(
            tenant=tenant,
            employee=world.employee("employee"),
            leave_type=world.leave_type,
            start_date=date(2031, 3, 3),
            end_date=date(2031, 3, 4),
            days=Decimal(2),
        )
    return world


def add_second_team(world: TenantWorld) -> TenantWorld:
    """A second manager ("manager2", Sales) with one report ("report2") and a pending request.

    With it a tenant has two managers in two departments, peers of the first manager's
    report in the same department, and requests by people who report to someone else:
    enough to tell "direct reports" from "whole department" or "every employee".
    """
    tenant = world.tenant
    slug = tenant.slug
    with tenant_scope(tenant.pk):
        manager2: Employee | None = None
        for role, number, membership_role in [
            ("manager2", "M-2", "manager"),
            ("report2", "E-3", "employee"),
        ]:
            user = user_get_or_create(username=f"{role}@{slug}")
            membership = membership_create(tenant=tenant, user=user, role=membership_role)
            employee = _employee(
                tenant,
                number,
                membership=membership,
                manager=manager2,
                department=world.other_department,
            )
            manager2 = manager2 or employee
            token = access_token_create(membership=membership, name="test").plaintext
            world.logins[role] = Login(membership=membership, employee=employee, token=token)
    return world


def leave_request_add(
    world: TenantWorld, role: str, start: date, end: date, **extra: Any
) -> LeaveRequest:
    """A request filed straight into the table (past dates, any status), bypassing the service."""
    assert world.leave_type is not None
    with tenant_scope(world.tenant.pk):
        return LeaveRequest.objects.create(
            tenant=world.tenant,
            employee=world.employee(role),
            leave_type=world.leave_type,
            start_date=start,
            end_date=end,
            days=working_days(start, end),
            **extra,
        )
