"""Audit completeness, table-driven: every write path records exactly one event per action.

Every public function of ``app/*/services.py`` and ``app/tenants/lifecycle.py`` needs an
entry in ``TABLE``: the action(s) it records with the fields each event carries, or
``NotAudited`` with the reason. A new service function without an entry fails
``test_every_service_function_has_an_entry``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.audit.models import AuditEvent
from app.core.rls import tenant_scope
from app.leave import services as leave
from app.leave.models import LeaveRequest
from app.people import services as people
from app.people.models import Department
from app.tenants import lifecycle
from app.tenants.services import tenant_api_key_create
from tests.app.factories import TenantWorld, add_second_team

ROOT = Path(__file__).resolve().parents[2]
# Each run returns (tenant id, entity id) of the event it expects.
Run = Callable[[TenantWorld, Any], tuple[int, str]]


@dataclass(frozen=True, kw_only=True)
class Audited:
    actions: tuple[str, ...]
    entity_type: str
    fields: frozenset[str]  # keys every one of its events' changes must hold
    run: Run
    setup: Callable[[TenantWorld], Any] = lambda world: None
    by_actor: str | None = None  # the role whose user is the event's actor; None: operator


@dataclass(frozen=True, kw_only=True)
class NotAudited:
    reason: str


def service_functions() -> set[str]:
    """``module.function`` for every public function defined in a service module."""
    paths = [*sorted(ROOT.glob("app/*/services.py")), ROOT / "app/tenants/lifecycle.py"]
    found = set()
    for path in paths:
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            # Under ``make mutation`` mutmut's variants (``x_<name>__mutmut_<n>``) sit beside
            # each function; the function itself keeps its name.
            if "__mutmut_" in attr:
                continue
            if inspect.isfunction(value) and value.__module__ == name and not attr.startswith("_"):
                found.add(f"{name}.{attr}")
    return found


def _actor(world: TenantWorld, role: str) -> Any:
    return world.logins[role].membership


def _pending(world: TenantWorld) -> LeaveRequest:
    assert world.leave_request is not None
    return world.leave_request


def _empty_department(world: TenantWorld) -> Department:
    return Department.objects.create(tenant=world.tenant, name="Empty", code="EMP")


def _department_delete(world: TenantWorld, department: Department) -> tuple[int, str]:
    entity_id = str(department.pk)  # gone from the instance once deleted
    people.department_delete(actor=_actor(world, "hr"), department=department)
    return world.tenant.pk, entity_id


def _employee_create(world: TenantWorld, _: Any) -> tuple[int, str]:
    employee = people.employee_create(
        actor=_actor(world, "hr"),
        employee_number="N-9",
        first_name="New",
        last_name="Hire",
        email="new@example.com",
        job_title="Analyst",
        hire_date=date(2025, 2, 3),
    )
    return world.tenant.pk, str(employee.pk)


def _submit(world: TenantWorld, _: Any) -> tuple[int, str]:
    assert world.leave_type is not None
    filed = leave.leave_request_submit(
        actor=_actor(world, "peer"),
        leave_type_id=world.leave_type.pk,
        start_date=date(2031, 9, 1),
        end_date=date(2031, 9, 2),
    )
    return world.tenant.pk, str(filed.pk)


def _decide(decide: Callable[..., LeaveRequest]) -> Run:
    def run(world: TenantWorld, _: Any) -> tuple[int, str]:
        decided = decide(actor=_actor(world, "manager"), leave_request=_pending(world), note="ok")
        return world.tenant.pk, str(decided.pk)

    return run


def _onboard(world: TenantWorld, _: Any) -> tuple[int, str]:
    outcome = lifecycle.tenant_onboard(
        slug="initech",
        name="Initech",
        tier="starter",
        admin_email="a@initech.example",
        operator="ops",
    )
    return outcome.tenant.pk, "initech"


def _operator(call: Callable[[TenantWorld, Any], object]) -> Run:
    def run(world: TenantWorld, ctx: Any) -> tuple[int, str]:
        call(world, ctx)
        return world.tenant.pk, world.tenant.slug

    return run


BUILDING_BLOCK = (
    "a building block: the lifecycle operation that calls it records the event "
    "(tenant.onboard, tenant_api_key.issue/revoke, access_token.issue); seeding calls it too"
)
READ_ONLY = "reads only"

TABLE: dict[str, Audited | NotAudited] = {
    # ------------------------------------------------------------------ people
    "app.people.services.department_create": Audited(
        actions=("department.create",),
        entity_type="department",
        fields=frozenset({"name", "code"}),
        by_actor="hr",
        run=lambda w, _: (
            w.tenant.pk,
            str(people.department_create(actor=_actor(w, "hr"), name="Legal", code="LEG").pk),
        ),
    ),
    "app.people.services.department_update": Audited(
        actions=("department.update",),
        entity_type="department",
        fields=frozenset({"name"}),
        by_actor="hr",
        setup=_empty_department,
        run=lambda w, d: (
            w.tenant.pk,
            str(people.department_update(actor=_actor(w, "hr"), department=d, name="Full").pk),
        ),
    ),
    # An empty department: deleting one with members adds an employee.update per member
    # (tests/app/test_audit_events.py checks those).
    "app.people.services.department_delete": Audited(
        actions=("department.delete",),
        entity_type="department",
        fields=frozenset({"name", "code"}),
        by_actor="hr",
        setup=_empty_department,
        run=lambda w, d: _department_delete(w, d),
    ),
    "app.people.services.employee_create": Audited(
        actions=("employee.create",),
        entity_type="employee",
        fields=frozenset({"employee_number", "first_name", "email", "hire_date"}),
        by_actor="hr",
        run=_employee_create,
    ),
    "app.people.services.employee_update": Audited(
        actions=("employee.update",),
        entity_type="employee",
        fields=frozenset({"job_title"}),
        by_actor="hr",
        run=lambda w, _: (
            w.tenant.pk,
            str(
                people.employee_update(
                    actor=_actor(w, "hr"), employee=w.employee("peer"), job_title="Lead"
                ).pk
            ),
        ),
    ),
    # ------------------------------------------------------------------ leave
    "app.leave.services.leave_request_submit": Audited(
        actions=("leave_request.submit",),
        entity_type="leave_request",
        fields=frozenset({"start_date", "end_date", "days"}),
        by_actor="peer",
        run=_submit,
    ),
    "app.leave.services.leave_request_approve": Audited(
        actions=("leave_request.approve",),
        entity_type="leave_request",
        fields=frozenset({"status", "note"}),
        by_actor="manager",
        run=_decide(leave.leave_request_approve),
    ),
    "app.leave.services.leave_request_reject": Audited(
        actions=("leave_request.reject",),
        entity_type="leave_request",
        fields=frozenset({"status", "note"}),
        by_actor="manager",
        run=_decide(leave.leave_request_reject),
    ),
    "app.leave.services.leave_request_cancel": Audited(
        actions=("leave_request.cancel",),
        entity_type="leave_request",
        fields=frozenset({"status"}),
        by_actor="employee",
        run=lambda w, _: (
            w.tenant.pk,
            str(
                leave.leave_request_cancel(
                    actor=_actor(w, "employee"), leave_request=_pending(w)
                ).pk
            ),
        ),
    ),
    "app.leave.services.leave_balance_get_or_create": NotAudited(
        reason="a derived row created on demand from the leave type's allowance"
    ),
    "app.leave.services.leave_type_create": NotAudited(
        reason="seeding only (app/tenants/demo.py); there is no API or operator path"
    ),
    # ------------------------------------------------------------------ audit
    "app.audit.services.audit_event_record": NotAudited(reason="the audit log's own write"),
    "app.audit.services.audit_diff": NotAudited(reason=READ_ONLY),
    # ------------------------------------------------------------------ rate limits
    "app.ratelimit.services.tenant_limit_override_set": NotAudited(
        reason="operator-set outside any tenant; every override row is kept with set_by, "
        "reason, created_at and revoked_at, which is its history"
    ),
    "app.ratelimit.services.tenant_limit_override_revoke": NotAudited(
        reason="stamps revoked_at on the kept override row (see tenant_limit_override_set)"
    ),
    # ------------------------------------------------------------------ tenants
    "app.tenants.services.tenant_create": NotAudited(reason=BUILDING_BLOCK),
    "app.tenants.services.tenant_api_key_create": NotAudited(reason=BUILDING_BLOCK),
    "app.tenants.services.tenant_api_key_revoke": NotAudited(reason=BUILDING_BLOCK),
    "app.tenants.services.membership_create": NotAudited(reason=BUILDING_BLOCK),
    "app.tenants.services.user_get_or_create": NotAudited(reason=BUILDING_BLOCK),
    "app.tenants.services.access_token_create": NotAudited(reason=BUILDING_BLOCK),
    "app.tenants.services.access_token_revoke_all": NotAudited(reason=BUILDING_BLOCK),
    "app.tenants.lifecycle.tenant_require": NotAudited(reason=READ_ONLY),
    "app.tenants.lifecycle.tenant_usage": NotAudited(reason=READ_ONLY),
    "app.tenants.lifecycle.tenant_tier_misfits": NotAudited(reason=READ_ONLY),
    "app.tenants.lifecycle.tenant_edge_sync": NotAudited(
        reason="changes only API Gateway; the operation that calls it records the event"
    ),
    "app.tenants.lifecycle.tenant_offboard": NotAudited(
        reason="erases the tenant's rows, its audit log included; the TenantErasure record "
        "is the trace (tests/app/test_tenant_offboarding.py)"
    ),
    "app.tenants.lifecycle.tenant_onboard": Audited(
        actions=("tenant.onboard", "tenant.activate"),
        entity_type="tenant",
        fields=frozenset({"operator"}),
        run=_onboard,
    ),
    "app.tenants.lifecycle.tenant_change_tier": Audited(
        actions=("tenant.change_tier",),
        entity_type="tenant",
        fields=frozenset({"operator", "tier", "forced"}),
        run=_operator(
            lambda w, _: lifecycle.tenant_change_tier(
                slug=w.tenant.slug, tier="professional", operator="ops"
            )
        ),
    ),
    "app.tenants.lifecycle.tenant_suspend": Audited(
        actions=("tenant.suspend",),
        entity_type="tenant",
        fields=frozenset({"operator", "status"}),
        run=_operator(lambda w, _: lifecycle.tenant_suspend(slug=w.tenant.slug, operator="ops")),
    ),
    "app.tenants.lifecycle.tenant_resume": Audited(
        actions=("tenant.resume",),
        entity_type="tenant",
        fields=frozenset({"operator", "status"}),
        setup=lambda w: lifecycle.tenant_suspend(slug=w.tenant.slug, operator="ops"),
        run=_operator(lambda w, _: lifecycle.tenant_resume(slug=w.tenant.slug, operator="ops")),
    ),
    "app.tenants.lifecycle.tenant_key_issue": Audited(
        actions=("tenant_api_key.issue",),
        entity_type="tenant",
        fields=frozenset({"operator", "prefix"}),
        run=_operator(lambda w, _: lifecycle.tenant_key_issue(slug=w.tenant.slug, operator="ops")),
    ),
    "app.tenants.lifecycle.tenant_key_revoke": Audited(
        actions=("tenant_api_key.revoke",),
        entity_type="tenant",
        fields=frozenset({"operator", "prefix"}),
        setup=lambda w: tenant_api_key_create(tenant=w.tenant, name="spare").key.prefix,
        run=_operator(
            lambda w, prefix: lifecycle.tenant_key_revoke(
                slug=w.tenant.slug, prefix=prefix, operator="ops"
            )
        ),
    ),
    "app.tenants.lifecycle.tenant_token_issue": Audited(
        actions=("access_token.issue",),
        entity_type="tenant",
        fields=frozenset({"operator", "user_id", "role", "prefix"}),
        run=_operator(
            lambda w, _: lifecycle.tenant_token_issue(
                slug=w.tenant.slug, email="new@acme.example", role="hr", operator="ops"
            )
        ),
    ),
}

AUDITED = sorted(name for name, entry in TABLE.items() if isinstance(entry, Audited))


def test_every_service_function_has_an_entry() -> None:
    found = service_functions()
    missing = sorted(found - set(TABLE))
    assert missing == [], f"service functions without an audit entry in TABLE: {missing}"
    stale = sorted(set(TABLE) - found)
    assert stale == [], f"TABLE entries for functions that no longer exist: {stale}"
    assert all(e.reason.strip() for e in TABLE.values() if isinstance(e, NotAudited))


def _last_event_id() -> int:
    # Ids come from one sequence, so events a run adds (in any tenant) come after this one.
    return max(AuditEvent.objects.values_list("pk", flat=True), default=0)


@pytest.fixture
def world(tenant_a: TenantWorld) -> Iterator[TenantWorld]:
    add_second_team(tenant_a)
    with tenant_scope(tenant_a.tenant.pk):
        yield tenant_a


@pytest.mark.parametrize("name", AUDITED)
def test_write_path_records_exactly_one_event_per_action(world: TenantWorld, name: str) -> None:
    entry = TABLE[name]
    assert isinstance(entry, Audited)
    context = entry.setup(world)
    before = _last_event_id()
    tenant_id, entity_id = entry.run(world, context)
    with tenant_scope(tenant_id):
        events = list(AuditEvent.objects.filter(pk__gt=before).order_by("pk"))
    assert [e.action for e in events] == list(entry.actions)
    actor = None if entry.by_actor is None else world.logins[entry.by_actor].membership.user_id
    for event in events:
        assert (event.tenant_id, event.entity_type, event.entity_id) == (
            tenant_id,
            entry.entity_type,
            entity_id,
        )
        assert event.actor_id == actor
        assert entry.fields <= set(event.changes), (event.action, event.changes)
