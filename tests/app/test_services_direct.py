"""Service-level permissions and validations, called directly rather than through a view.

A view's queryset often hides the rule behind it (a manager cannot even load a request
they may not decide), so each rule here is reached with the view out of the way. The
tenant has two managers in two departments (``add_second_team``), so "direct reports"
is told apart from "whole department" and from "everyone".
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from app.audit.models import AuditEvent
from app.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from app.core.rls import tenant_scope
from app.leave.models import LeaveBalance, LeaveRequest, LeaveStatus
from app.leave.selectors import (
    leave_request_get,
    leave_request_list,
    leave_type_get,
    leave_type_list,
)
from app.leave.services import (
    leave_request_approve,
    leave_request_cancel,
    leave_request_reject,
    leave_request_submit,
    leave_type_create,
)
from app.people.models import Employee, EmploymentStatus
from app.people.selectors import (
    department_get,
    department_list,
    employee_get,
    employee_list,
    employee_of,
)
from app.people.services import (
    department_create,
    department_delete,
    department_update,
    employee_create,
    employee_update,
)
from app.tenants.services import membership_create, user_get_or_create
from tests.app.factories import TenantWorld, add_second_team, leave_request_add

NOT_HR = ("manager", "employee", "peer")


@pytest.fixture
def world(tenant_a: TenantWorld) -> Iterator[TenantWorld]:
    add_second_team(tenant_a)
    with tenant_scope(tenant_a.tenant.pk):
        yield tenant_a


def _actor(world: TenantWorld, role: str):  # type: ignore[no-untyped-def]
    return world.logins[role].membership


# ---------------------------------------------------------------- who sees whom


def test_manager_sees_self_and_direct_reports_only(world: TenantWorld) -> None:
    expected = {
        "manager": {"manager", "employee"},
        "manager2": {"manager2", "report2"},
        "employee": {"employee"},
        "peer": {"peer"},
        "hr": set(world.logins),
    }
    for role, visible in expected.items():
        seen = {e.pk for e in employee_list(actor=_actor(world, role))}
        assert seen == {world.employee(r).pk for r in visible}, role


def test_manager_sees_only_their_reports_requests(world: TenantWorld) -> None:
    start = date(2031, 6, 2)
    for offset, role in enumerate(("peer", "report2", "manager", "hr")):
        day = start + timedelta(days=offset)
        leave_request_add(world, role, day, day)
    by_role = {
        role: {r.employee_id for r in leave_request_list(actor=_actor(world, role))}
        for role in ("manager", "manager2", "peer", "hr")
    }

    def pk(role: str) -> int:
        return world.employee(role).pk

    assert by_role["manager"] == {pk("manager"), pk("employee")}
    assert by_role["manager2"] == {pk("report2")}
    assert by_role["peer"] == {pk("peer")}
    assert by_role["hr"] == {pk(r) for r in ("peer", "report2", "manager", "hr", "employee")}


def test_each_login_fetches_only_the_employees_it_sees(world: TenantWorld) -> None:
    for role in ("manager", "employee", "hr"):
        actor = _actor(world, role)
        visible = {e.pk for e in employee_list(actor=actor)}
        assert employee_of(actor=actor) == world.employee(role)
        for other in world.logins:
            pk = world.employee(other).pk
            if pk in visible:
                assert employee_get(actor=actor, employee_id=pk).pk == pk
            else:
                with pytest.raises(NotFoundError):
                    employee_get(actor=actor, employee_id=pk)
    with pytest.raises(NotFoundError):
        employee_get(actor=_actor(world, "employee"), employee_id=world.employee("manager").pk)


def test_departments_are_listed_and_fetched_within_the_tenant(world: TenantWorld) -> None:
    assert world.department is not None
    assert world.other_department is not None
    actor = _actor(world, "employee")
    both = {world.department.pk, world.other_department.pk}
    assert {d.pk for d in department_list(actor=actor)} == both
    for pk in both:
        assert department_get(actor=actor, department_id=pk).pk == pk
    with pytest.raises(NotFoundError):
        department_get(actor=actor, department_id=max(both) + 1000)


# ---------------------------------------------------------------- people services


@pytest.mark.parametrize("role", NOT_HR)
def test_people_writes_need_hr(world: TenantWorld, role: str) -> None:
    actor = _actor(world, role)
    department = world.department
    assert department is not None
    employee = world.employee("employee")
    calls = [
        lambda: department_create(actor=actor, name="Legal", code="LEG"),
        lambda: department_update(actor=actor, department=department, name="X"),
        lambda: department_delete(actor=actor, department=department),
        lambda: employee_create(
            actor=actor,
            employee_number="N-1",
            first_name="N",
            last_name="N",
            email="n@example.com",
            job_title="t",
            hire_date=date(2024, 1, 1),
        ),
        lambda: employee_update(actor=actor, employee=employee, job_title="Boss"),
    ]
    for call in calls:
        with pytest.raises(ForbiddenError):
            call()
    employee.refresh_from_db()
    assert employee.job_title == "Engineer"


def test_employee_update_refuses_another_tenants_employee(
    world: TenantWorld, tenant_b: TenantWorld
) -> None:
    with pytest.raises(NotFoundError):
        employee_update(
            actor=_actor(world, "hr"), employee=tenant_b.employee("employee"), job_title="x"
        )


def test_management_chain_cannot_loop(world: TenantWorld) -> None:
    hr = _actor(world, "hr")
    manager = world.employee("manager")
    for loop in (world.employee("employee"), manager):
        with pytest.raises(DomainError) as refused:
            employee_update(actor=hr, employee=manager, manager_id=loop.pk)
        assert (refused.value.field, refused.value.message) == (
            "manager",
            "An employee cannot be in their own management chain.",
        )
    # A manager from the other team is fine.
    employee_update(actor=hr, employee=manager, manager_id=world.employee("manager2").pk)


def test_duplicate_codes_and_numbers_are_refused(world: TenantWorld) -> None:
    hr = _actor(world, "hr")
    other = world.other_department
    assert other is not None
    with pytest.raises(DomainError, match="already exists"):
        department_create(actor=hr, name="Again", code="ENG")
    with pytest.raises(DomainError, match="already exists"):
        department_update(actor=hr, department=other, code="ENG")
    department_update(actor=hr, department=other, code="SAL")  # its own code is fine
    with pytest.raises(DomainError, match="already used") as refused:
        employee_update(actor=hr, employee=world.employee("peer"), employee_number="E-1")
    assert refused.value.field == "employee_number"
    with pytest.raises(DomainError, match="already exists") as refused:
        department_update(actor=hr, department=other, code="ENG")
    assert refused.value.field == "code"


def test_references_to_another_tenants_rows_are_refused_by_field(
    world: TenantWorld, tenant_b: TenantWorld
) -> None:
    hr = _actor(world, "hr")
    foreign_department = tenant_b.department
    assert foreign_department is not None
    foreign_manager = tenant_b.employee("manager")
    attempts = [
        ({"department_id": foreign_department.pk}, "department", foreign_department.pk),
        ({"manager_id": foreign_manager.pk}, "manager", foreign_manager.pk),
    ]
    with tenant_scope(world.tenant.pk):
        for reference, field, pk in attempts:
            with pytest.raises(DomainError) as refused:
                employee_create(
                    actor=hr,
                    employee_number="N-9",
                    first_name="N",
                    last_name="N",
                    email="n9@example.com",
                    job_title="t",
                    hire_date=date(2024, 1, 1),
                    **reference,
                )
            assert (refused.value.field, refused.value.message) == (
                field,
                f"Invalid pk {pk} - object does not exist.",
            )
            with pytest.raises(DomainError) as refused:
                employee_update(actor=hr, employee=world.employee("peer"), **reference)
            assert refused.value.field == field


def test_a_chain_that_already_loops_does_not_hang_an_update(world: TenantWorld) -> None:
    """Rows written around the service (an import, a restore) may already hold a loop."""
    manager, manager2 = world.employee("manager"), world.employee("manager2")
    Employee.objects.filter(pk=manager.pk).update(manager=manager2)
    Employee.objects.filter(pk=manager2.pk).update(manager=manager)
    with _deadline(seconds=20):  # a hang becomes a failure, in the suite and under mutation
        peer = employee_update(
            actor=_actor(world, "hr"), employee=world.employee("peer"), manager_id=manager.pk
        )
    assert peer.manager == manager


@contextmanager
def _deadline(*, seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------- leave: who may decide


@pytest.fixture
def pending(world: TenantWorld) -> LeaveRequest:
    """A pending request by ``employee``, who reports to ``manager``."""
    assert world.leave_request is not None
    return world.leave_request


@pytest.mark.parametrize("role", ["manager2", "peer", "employee", "report2"])
def test_only_the_direct_manager_or_hr_decides(
    world: TenantWorld, pending: LeaveRequest, role: str
) -> None:
    for decide in (leave_request_approve, leave_request_reject):
        with pytest.raises(ForbiddenError):
            decide(actor=_actor(world, role), leave_request=pending)
    pending.refresh_from_db()
    assert pending.status == LeaveStatus.PENDING


def test_the_direct_manager_decides(world: TenantWorld, pending: LeaveRequest) -> None:
    approved = leave_request_approve(actor=_actor(world, "manager"), leave_request=pending)
    assert approved.status == LeaveStatus.APPROVED
    assert approved.decided_by == world.employee("manager")
    with pytest.raises(ConflictError):
        leave_request_reject(actor=_actor(world, "manager"), leave_request=approved)


@pytest.mark.parametrize("role", ["hr", "manager"])
def test_nobody_decides_on_their_own_request(world: TenantWorld, role: str) -> None:
    own = leave_request_add(world, role, date(2031, 7, 7), date(2031, 7, 7))
    with pytest.raises(ForbiddenError, match="your own"):
        leave_request_approve(actor=_actor(world, role), leave_request=own)


NOT_THE_MANAGER = "Only the employee's manager, hr or admin can decide."


def test_a_refused_decision_says_who_may_decide(world: TenantWorld, pending: LeaveRequest) -> None:
    with pytest.raises(ForbiddenError) as refused:
        leave_request_approve(actor=_actor(world, "manager2"), leave_request=pending)
    assert str(refused.value) == NOT_THE_MANAGER
    own = leave_request_add(world, "manager", date(2031, 7, 8), date(2031, 7, 8))
    with pytest.raises(ForbiddenError) as refused:
        leave_request_approve(actor=_actor(world, "manager"), leave_request=own)
    assert str(refused.value) == "You cannot decide on your own leave request."


def test_no_manager_decides_for_an_employee_without_one(world: TenantWorld) -> None:
    """``peer`` reports to nobody: a manager's role alone does not make them its approver."""
    unmanaged = leave_request_add(world, "peer", date(2031, 7, 9), date(2031, 7, 9))
    for role in ("manager", "manager2"):
        with pytest.raises(ForbiddenError) as refused:
            leave_request_reject(actor=_actor(world, role), leave_request=unmanaged)
        assert str(refused.value) == NOT_THE_MANAGER
    hr = leave_request_approve(actor=_actor(world, "hr"), leave_request=unmanaged)
    assert hr.status == LeaveStatus.APPROVED


def test_a_manager_login_without_an_employee_record_cannot_decide(
    world: TenantWorld, pending: LeaveRequest
) -> None:
    user = user_get_or_create(username="interim@acme")
    membership = membership_create(tenant=world.tenant, user=user, role="manager")
    with pytest.raises(ForbiddenError) as refused:
        leave_request_approve(actor=membership, leave_request=pending)
    assert str(refused.value) == NOT_THE_MANAGER
    pending.refresh_from_db()
    assert pending.status == LeaveStatus.PENDING


def test_a_request_is_fetched_with_its_employee_manager_and_type_in_one_query(
    world: TenantWorld, pending: LeaveRequest
) -> None:
    actor = _actor(world, "manager")
    with CaptureQueriesContext(connection) as queries:
        fetched = leave_request_get(actor=actor, request_id=pending.pk)
        assert fetched.employee.manager == world.employee("manager")
        assert fetched.leave_type == world.leave_type
    assert len(queries.captured_queries) == 1
    assert fetched.pk == pending.pk
    with pytest.raises(NotFoundError):
        leave_request_get(actor=_actor(world, "manager2"), request_id=pending.pk)


def test_leave_types_are_listed_and_fetched_within_the_tenant(world: TenantWorld) -> None:
    assert world.leave_type is not None
    hr = _actor(world, "employee")
    assert list(leave_type_list(actor=hr)) == [world.leave_type]
    assert leave_type_get(actor=hr, leave_type_id=world.leave_type.pk) == world.leave_type
    with pytest.raises(NotFoundError):
        leave_type_get(actor=hr, leave_type_id=world.leave_type.pk + 1000)


# ---------------------------------------------------------------- leave: filing


@pytest.mark.parametrize("role", ["manager", "employee"])
def test_only_hr_files_for_someone_else(world: TenantWorld, role: str) -> None:
    assert world.leave_type is not None
    with pytest.raises(ForbiddenError):
        leave_request_submit(
            actor=_actor(world, role),
            leave_type_id=world.leave_type.pk,
            start_date=date(2031, 9, 1),
            end_date=date(2031, 9, 1),
            employee_id=world.employee("employee" if role == "manager" else "peer").pk,
        )
    filed = leave_request_submit(
        actor=_actor(world, "hr"),
        leave_type_id=world.leave_type.pk,
        start_date=date(2031, 9, 1),
        end_date=date(2031, 9, 1),
        employee_id=world.employee("peer").pk,
    )
    assert filed.employee == world.employee("peer")


# The fixture's request runs Monday 2031-03-03 to Tuesday 2031-03-04.
@pytest.mark.parametrize(
    ("start", "end", "overlaps"),
    [
        (date(2031, 3, 4), date(2031, 3, 5), True),  # starts on its last day
        (date(2031, 2, 28), date(2031, 3, 3), True),  # ends on its first day
        (date(2031, 2, 27), date(2031, 3, 6), True),  # contains it
        (date(2031, 3, 4), date(2031, 3, 4), True),  # inside it
        (date(2031, 3, 5), date(2031, 3, 5), False),  # the day after
        (date(2031, 2, 28), date(2031, 2, 28), False),  # the working day before
    ],
)
def test_overlap_at_both_ends_of_the_range(
    world: TenantWorld, start: date, end: date, overlaps: bool
) -> None:
    assert world.leave_type is not None
    submit = lambda: leave_request_submit(  # noqa: E731
        actor=_actor(world, "employee"),
        leave_type_id=world.leave_type.pk if world.leave_type else 0,
        start_date=start,
        end_date=end,
    )
    if overlaps:
        with pytest.raises(DomainError, match="Overlaps"):
            submit()
    else:
        assert submit().start_date == start


@pytest.mark.parametrize(
    ("start", "end", "message", "field"),
    [
        (date(2031, 9, 2), date(2031, 9, 1), "must not be before", "end_date"),
        (date(2031, 12, 31), date(2032, 1, 2), "two calendar years", "end_date"),
        (date(2031, 9, 6), date(2031, 9, 7), "no working days", "end_date"),
        # 21 working days, 20 allowed
        (
            date(2031, 9, 1),
            date(2031, 9, 29),
            r"Requested 21 days but only 20(\.0+)? of ANNUAL remain for 2031\.",
            "leave_type",
        ),
    ],
)
def test_period_validation(
    world: TenantWorld, start: date, end: date, message: str, field: str
) -> None:
    """Each refusal names the field a client shows it next to (the 400 body's key)."""
    assert world.leave_type is not None
    with pytest.raises(DomainError, match=message) as refused:
        leave_request_submit(
            actor=_actor(world, "peer"),
            leave_type_id=world.leave_type.pk,
            start_date=start,
            end_date=end,
        )
    assert refused.value.field == field


def test_unknown_references_are_refused_by_field(world: TenantWorld, tenant_b: TenantWorld) -> None:
    assert world.leave_type is not None
    day = date(2031, 9, 1)
    hr = _actor(world, "hr")
    with tenant_scope(world.tenant.pk):
        attempts = [
            (
                {"actor": hr, "leave_type_id": 0},
                "leave_type",
                "Invalid pk 0 - object does not exist.",
            ),
            (
                {
                    "actor": hr,
                    "leave_type_id": world.leave_type.pk,
                    "employee_id": tenant_b.employee("peer").pk,
                },
                "employee",
                f"Invalid pk {tenant_b.employee('peer').pk} - object does not exist.",
            ),
        ]
        for kwargs, field, message in attempts:
            with pytest.raises(DomainError) as refused:
                leave_request_submit(start_date=day, end_date=day, **kwargs)  # type: ignore[arg-type]
            assert (refused.value.field, refused.value.message) == (field, message)


def test_a_login_without_an_employee_record_cannot_file_for_itself(world: TenantWorld) -> None:
    assert world.leave_type is not None
    user = user_get_or_create(username="contractor@acme")
    membership = membership_create(tenant=world.tenant, user=user, role="hr")
    with pytest.raises(DomainError, match="no employee record") as refused:
        leave_request_submit(
            actor=membership,
            leave_type_id=world.leave_type.pk,
            start_date=date(2031, 9, 1),
            end_date=date(2031, 9, 1),
        )
    assert refused.value.field == "employee"


def test_balance_counts_pending_requests_and_allows_exactly_the_allowance(
    world: TenantWorld,
) -> None:
    assert world.leave_type is not None
    submit = lambda start, end: leave_request_submit(  # noqa: E731
        actor=_actor(world, "peer"),
        leave_type_id=world.leave_type.pk if world.leave_type else 0,
        start_date=start,
        end_date=end,
    )
    # 2031-09-01 (Mon) .. 2031-09-26 (Fri) is 20 working days: exactly the allowance.
    assert submit(date(2031, 9, 1), date(2031, 9, 19)).days == Decimal(15)
    assert submit(date(2031, 9, 22), date(2031, 9, 26)).days == Decimal(5)
    with pytest.raises(DomainError, match="only 0"):
        submit(date(2031, 10, 1), date(2031, 10, 1))


def test_pending_days_count_against_their_own_leave_type_only(world: TenantWorld) -> None:
    assert world.leave_type is not None
    sick = leave_type_create(
        tenant_id=world.tenant.pk, code="SICK", name="Sick leave", annual_allowance_days=Decimal(3)
    )
    peer = _actor(world, "peer")
    # The whole annual allowance pending (20 working days) leaves sick leave untouched.
    leave_request_submit(
        actor=peer,
        leave_type_id=world.leave_type.pk,
        start_date=date(2031, 9, 1),
        end_date=date(2031, 9, 26),
    )
    filed = leave_request_submit(
        actor=peer, leave_type_id=sick.pk, start_date=date(2031, 10, 1), end_date=date(2031, 10, 3)
    )
    assert filed.days == Decimal(3)


def test_only_this_years_pending_requests_are_held_against_the_balance(
    world: TenantWorld,
) -> None:
    assert world.leave_type is not None
    leave_type_id = world.leave_type.pk
    peer, hr = _actor(world, "peer"), _actor(world, "hr")

    def submit(start: date, end: date) -> LeaveRequest:
        return leave_request_submit(
            actor=peer, leave_type_id=leave_type_id, start_date=start, end_date=end
        )

    # Next year's pending allowance and a rejected request hold nothing in 2031.
    submit(date(2032, 3, 1), date(2032, 3, 26))  # 20 working days
    leave_request_reject(actor=hr, leave_request=submit(date(2031, 9, 1), date(2031, 9, 26)))
    # Approved days are used once (in the balance), not again as pending.
    leave_request_approve(actor=hr, leave_request=submit(date(2031, 9, 1), date(2031, 9, 12)))
    assert submit(date(2031, 10, 6), date(2031, 10, 17)).days == Decimal(10)
    with pytest.raises(DomainError, match="only 0"):
        submit(date(2031, 11, 3), date(2031, 11, 3))


def test_terminated_employees_cannot_file(world: TenantWorld) -> None:
    assert world.leave_type is not None
    employee_update(
        actor=_actor(world, "hr"),
        employee=world.employee("peer"),
        employment_status=EmploymentStatus.TERMINATED,
    )
    with pytest.raises(DomainError, match="Terminated"):
        leave_request_submit(
            actor=_actor(world, "hr"),
            leave_type_id=world.leave_type.pk,
            start_date=date(2031, 9, 1),
            end_date=date(2031, 9, 1),
            employee_id=world.employee("peer").pk,
        )


# ---------------------------------------------------------------- leave: cancelling


def _approved(world: TenantWorld, start: date) -> LeaveRequest:
    request = leave_request_add(world, "employee", start, start, status=LeaveStatus.APPROVED)
    assert world.leave_type is not None
    LeaveBalance.objects.create(
        tenant=world.tenant,
        employee=world.employee("employee"),
        leave_type=world.leave_type,
        year=start.year,
        allowance_days=Decimal(20),
        used_days=request.days,
    )
    return request


@pytest.mark.parametrize(("offset", "started"), [(-3, True), (0, True), (1, False)])
def test_requester_cannot_cancel_leave_that_has_started(
    world: TenantWorld, offset: int, started: bool
) -> None:
    request = _approved(world, timezone.localdate() + timedelta(days=offset))
    if started:
        with pytest.raises(ConflictError, match="started"):
            leave_request_cancel(actor=_actor(world, "employee"), leave_request=request)
        request = leave_request_cancel(actor=_actor(world, "hr"), leave_request=request)
    else:
        request = leave_request_cancel(actor=_actor(world, "employee"), leave_request=request)
    assert request.status == LeaveStatus.CANCELLED
    balance = LeaveBalance.objects.get(employee=world.employee("employee"))
    assert balance.used_days == Decimal(0)


@pytest.mark.parametrize("role", ["manager", "peer", "manager2"])
def test_only_the_requester_or_hr_cancels(
    world: TenantWorld, pending: LeaveRequest, role: str
) -> None:
    with pytest.raises(ForbiddenError):
        leave_request_cancel(actor=_actor(world, role), leave_request=pending)
    assert leave_request_cancel(actor=_actor(world, "employee"), leave_request=pending).status == (
        LeaveStatus.CANCELLED
    )
    with pytest.raises(ConflictError):
        leave_request_cancel(actor=_actor(world, "hr"), leave_request=pending)


def test_a_refused_transition_names_the_status_it_needs(
    world: TenantWorld, pending: LeaveRequest
) -> None:
    hr = _actor(world, "hr")
    leave_request_reject(actor=hr, leave_request=pending)
    expected = {
        leave_request_approve: "Cannot approve a request that is rejected; it must be pending.",
        leave_request_reject: "Cannot reject a request that is rejected; it must be pending.",
        leave_request_cancel: (
            "Cannot cancel a request that is rejected; it must be pending or approved."
        ),
    }
    for transition, message in expected.items():
        with pytest.raises(ConflictError) as refused:
            transition(actor=hr, leave_request=pending)
        assert (refused.value.field, refused.value.message) == ("status", message)


def test_leave_audit_events_carry_the_values(world: TenantWorld) -> None:
    assert world.leave_type is not None
    filed = leave_request_submit(
        actor=_actor(world, "employee"),
        leave_type_id=world.leave_type.pk,
        start_date=date(2031, 9, 1),
        end_date=date(2031, 9, 3),
    )
    leave_request_approve(actor=_actor(world, "manager"), leave_request=filed, note="enjoy")
    events = AuditEvent.objects.filter(entity_type="leave_request", entity_id=str(filed.pk))
    assert {e.action: e.changes for e in events} == {
        "leave_request.submit": {"start_date": "2031-09-01", "end_date": "2031-09-03", "days": "3"},
        "leave_request.approve": {"status": "approved", "note": "enjoy"},
    }


def test_an_employee_is_placed_and_moved_within_the_tenant(world: TenantWorld) -> None:
    """The happy path of the references, and the audit events holding exactly the HR fields."""
    department, other = world.department, world.other_department
    assert department is not None
    assert other is not None
    hr = _actor(world, "hr")
    hired = employee_create(
        actor=hr,
        employee_number="N-7",
        first_name="N",
        last_name="N",
        email="n7@example.com",
        job_title="t",
        hire_date=date(2024, 1, 1),
        department_id=department.pk,
        manager_id=world.employee("manager").pk,
    )
    assert (hired.department, hired.manager) == (department, world.employee("manager"))
    moved = employee_update(actor=hr, employee=hired, department_id=other.pk)
    assert Employee.objects.get(pk=moved.pk).department == other
    created = AuditEvent.objects.get(action="employee.create", entity_id=str(hired.pk))
    assert set(created.changes) == {
        "employee_number",
        "first_name",
        "last_name",
        "email",
        "job_title",
        "hire_date",
        "employment_status",
        "department",
        "manager",
    }
    updated = AuditEvent.objects.get(action="employee.update", entity_id=str(hired.pk))
    assert set(updated.changes) == {"department"}
    legal = department_create(actor=hr, name="Legal", code="LEG")
    event = AuditEvent.objects.get(action="department.create", entity_id=str(legal.pk))
    assert set(event.changes) == {"name", "code"}
