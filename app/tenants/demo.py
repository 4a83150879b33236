"""Demo data: one tenant per tier with departments, employees, leave types and requests.

Idempotent: re-running finds the existing rows and rotates the demo API key and the
admin token (revoking the previous ones), since only hashes are stored and a key can
never be shown twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from app.core.rls import tenant_scope
from app.leave.calendar import working_days
from app.leave.models import LeaveRequest
from app.leave.services import leave_balance_get_or_create, leave_type_create
from app.people.models import Department, Employee
from app.tenants.models import Membership, Role, Tenant, TenantApiKey
from app.tenants.services import (
    access_token_create,
    access_token_revoke_all,
    membership_create,
    tenant_api_key_create,
    tenant_api_key_revoke,
    tenant_create,
    user_get_or_create,
)
from app.tenants.tiers import TIERS, TierName

DEMO_KEY_NAME = "demo"
DEMO_TOKEN_NAME = "demo-admin"  # noqa: S105 - a label for the token row, not a secret
# One login per role, so each role's view of the API can be tried (first person holding it).
DEMO_ROLE_USERS = {Role.ADMIN: "ada", Role.HR: "hana", Role.MANAGER: "marta", Role.EMPLOYEE: "eli"}
DEPARTMENTS = (("ENG", "Engineering"), ("PEO", "People"), ("SAL", "Sales"))
# (number, first, last, title, department code, manager number, role)
PEOPLE = (
    ("E-001", "Ada", "Admin", "Operations Director", "PEO", None, Role.ADMIN),
    ("E-002", "Hana", "Reyes", "HR Partner", "PEO", "E-001", Role.HR),
    ("E-003", "Marta", "Okafor", "Engineering Manager", "ENG", "E-001", Role.MANAGER),
    ("E-004", "Eli", "Novak", "Software Engineer", "ENG", "E-003", Role.EMPLOYEE),
    ("E-005", "Sam", "Ito", "Software Engineer", "ENG", "E-003", Role.EMPLOYEE),
    ("E-006", "Lena", "Berg", "Account Executive", "SAL", "E-001", Role.EMPLOYEE),
)
LEAVE_TYPES = (("ANNUAL", "Annual leave", Decimal(25)), ("SICK", "Sick leave", Decimal(10)))


@dataclass(frozen=True, kw_only=True)
class DemoTenant:
    slug: str
    tier: str
    api_key: str
    admin_token: str
    tokens: dict[str, str]  # role -> bearer token (admin's is admin_token)


def _tenant(tier: TierName) -> Tenant:
    slug = f"demo-{tier.value}"
    existing = Tenant.objects.filter(slug=slug).first()
    if existing is not None:
        return existing
    return tenant_create(slug=slug, name=f"Demo {TIERS[tier].label}", tier=tier.value)


def _people(tenant: Tenant) -> dict[str, Employee]:
    departments = {
        code: Department.objects.get_or_create(tenant=tenant, code=code, defaults={"name": name})[0]
        for code, name in DEPARTMENTS
    }
    employees: dict[str, Employee] = {}
    for number, first, last, title, dept, manager, role in PEOPLE:
        user = user_get_or_create(
            username=f"{first.lower()}@{tenant.slug}", email=f"{first.lower()}@{tenant.slug}.test"
        )
        membership = membership_create(tenant=tenant, user=user, role=role)
        employee, _ = Employee.objects.get_or_create(
            tenant=tenant,
            employee_number=number,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}@{tenant.slug}.test",
                "job_title": title,
                "hire_date": date(2021, 1, 4),
                "department": departments[dept],
                "manager": employees.get(manager) if manager else None,
                "membership": membership,
            },
        )
        employees[number] = employee
    return employees


def _leave(tenant: Tenant, employees: dict[str, Employee]) -> None:
    types = [
        leave_type_create(tenant_id=tenant.pk, code=c, name=n, annual_allowance_days=d)
        for c, n, d in LEAVE_TYPES
    ]
    annual = types[0]
    year = date.today().year + 1  # always in the future, so the workflow can act on it
    start = date(year, 3, 2)
    for offset, number in enumerate(("E-004", "E-005", "E-006")):
        employee = employees[number]
        begin = start + timedelta(days=7 * offset)
        end = begin + timedelta(days=2)
        leave_balance_get_or_create(employee=employee, leave_type=annual, year=year)
        LeaveRequest.objects.get_or_create(
            tenant=tenant,
            employee=employee,
            start_date=begin,
            defaults={
                "leave_type": annual,
                "end_date": end,
                "days": working_days(begin, end),
                "reason": "Demo request",
            },
        )


@transaction.atomic
def demo_seed() -> list[DemoTenant]:
    seeded: list[DemoTenant] = []
    for tier in TierName:
        tenant = _tenant(tier)
        with tenant_scope(tenant.pk):
            employees = _people(tenant)
            _leave(tenant, employees)
        for old in TenantApiKey.objects.filter(
            tenant=tenant, name=DEMO_KEY_NAME, revoked_at__isnull=True
        ):
            tenant_api_key_revoke(tenant=tenant, prefix=old.prefix)
        api_key = tenant_api_key_create(tenant=tenant, name=DEMO_KEY_NAME).plaintext
        tokens: dict[str, str] = {}
        for role, user in DEMO_ROLE_USERS.items():
            with tenant_scope(tenant.pk):
                membership = Membership.objects.for_tenant(tenant).get(
                    user__username=f"{user}@{tenant.slug}"
                )
            name = DEMO_TOKEN_NAME if role == Role.ADMIN else f"demo-{role.value}"
            access_token_revoke_all(membership=membership, name=name)
            tokens[role.value] = access_token_create(membership=membership, name=name).plaintext
        seeded.append(
            DemoTenant(
                slug=tenant.slug,
                tier=tenant.tier,
                api_key=api_key,
                admin_token=tokens[Role.ADMIN.value],
                tokens=tokens,
            )
        )
    return seeded
