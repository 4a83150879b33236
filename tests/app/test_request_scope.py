"""The request path binds its transaction to the caller's tenant, so layer 2 holds even
when layer 1 (the selector filter) is missing."""

from __future__ import annotations

import pytest
from django.db import InternalError, connection, transaction
from psycopg import sql
from rest_framework.exceptions import ValidationError

from app import api_v1
from app.core.rls import current_db_tenant_id, read_scope, set_db_tenant, tenant_scope
from app.leave.models import LeaveRequest
from app.people import selectors as people_selectors
from app.people import services as people_services
from app.people.models import Department, Employee
from tests.app.factories import TenantWorld


def test_unscoped_selector_still_returns_only_own_tenant(
    tenant_a: TenantWorld, tenant_b: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulate a forgotten tenant filter in layer 1.
    monkeypatch.setattr(people_selectors, "employee_list", lambda *, actor: Employee.objects.all())
    monkeypatch.setattr(
        people_selectors,
        "employee_get",
        lambda *, actor, employee_id: Employee.objects.get(pk=employee_id),
    )
    listed = tenant_a.client("admin").get("/api/v1/employees/", {"page_size": 200})
    assert listed.status_code == 200
    assert {row["id"] for row in listed.json()["results"]} == {
        login.employee.pk for login in tenant_a.logins.values() if login.employee
    }
    # Object lookups of B's rows raise DoesNotExist inside A's scope: never B's data.
    victim = tenant_b.employee("employee").pk
    with pytest.raises(Employee.DoesNotExist):
        tenant_a.client("admin").get(f"/api/v1/employees/{victim}/")


def test_request_scope_does_not_leak_into_next_request(
    transactional_db: None, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    """Real per-request transactions, alternating tenants on one connection: each request
    sees only its own rows and the binding ends with the request's transaction."""
    for world, other in ((tenant_a, tenant_b), (tenant_b, tenant_a), (tenant_a, tenant_b)):
        rows = world.client("hr").get("/api/v1/leave-requests/").json()["results"]
        ids = {row["id"] for row in rows}
        assert other.leave_request is not None
        assert other.leave_request.pk not in ids
        assert world.leave_request is not None
        assert world.leave_request.pk in ids
    assert LeaveRequest.objects.count() == 0  # outside any scope: nothing visible


# Reads run in autocommit, each statement bound and read-only (app/core/request_transaction.py).


def _unbound_visible_employees() -> int:
    """Employees a statement outside any scope sees: none, unless a binding lingers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM people_employee")
        (count,) = cursor.fetchone()
    return int(count)


def _server_settings() -> tuple[str | None, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('app.tenant_id', true),"
            " current_setting('transaction_read_only')"
        )
        tenant, read_only = cursor.fetchone()
    return tenant or None, read_only


def test_read_request_leaves_nothing_bound(
    transactional_db: None, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    listed = tenant_a.client("admin").get("/api/v1/employees/")
    assert listed.status_code == 200
    assert listed.json()["results"]
    # Same persistent connection: nothing on the server, nothing in the wrapper.
    assert connection.get_autocommit()
    assert not connection.in_read_scope  # type: ignore[attr-defined]
    assert _server_settings() == (None, "off")
    assert _unbound_visible_employees() == 0
    assert current_db_tenant_id() is None


def test_every_statement_of_a_read_scope_is_bound(
    transactional_db: None, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    own = {login.employee.pk for login in tenant_a.logins.values() if login.employee}
    with read_scope():
        set_db_tenant(tenant_a.tenant.pk)
        for _ in range(2):  # not only the first statement: each one, unfiltered
            assert set(Employee.objects.values_list("pk", flat=True)) == own
        assert _server_settings() == (str(tenant_a.tenant.pk), "on")
    assert _unbound_visible_employees() == 0


def test_a_read_scope_cannot_write(transactional_db: None, tenant_a: TenantWorld) -> None:
    with read_scope():
        set_db_tenant(tenant_a.tenant.pk)
        before = Department.objects.count()
        with pytest.raises(InternalError, match="read-only transaction"):
            Department.objects.create(tenant=tenant_a.tenant, code="RO", name="Read only")
    with tenant_scope(tenant_a.tenant.pk):
        assert Department.objects.count() == before


def test_a_transaction_inside_a_read_scope_is_bound_and_read_only(
    transactional_db: None, tenant_a: TenantWorld
) -> None:
    with read_scope():
        set_db_tenant(tenant_a.tenant.pk)
        with transaction.atomic():  # bound, as ATOMIC_REQUESTS bound the request's
            assert current_db_tenant_id() == tenant_a.tenant.pk
            assert Employee.objects.exists()
            with pytest.raises(InternalError, match="read-only transaction"):
                Department.objects.create(tenant=tenant_a.tenant, code="TX", name="In one")
        assert Employee.objects.exists()  # autocommit again: still bound
    assert _unbound_visible_employees() == 0


def test_a_read_scope_inside_a_transaction_is_undone(tenant_a: TenantWorld) -> None:
    """A test's transaction around requests: the scope is a savepoint rolled back."""
    assert tenant_a.client("admin").get("/api/v1/employees/").status_code == 200
    assert _server_settings() == (None, "off")  # neither bound nor read-only afterwards
    with read_scope():
        set_db_tenant(tenant_a.tenant.pk)
        with pytest.raises(InternalError, match="read-only transaction"):
            Department.objects.create(tenant=tenant_a.tenant, code="RO", name="Read only")
    assert _server_settings() == (None, "off")  # the failed write did not break it


def test_a_read_scope_is_forgotten_when_the_view_raises(
    transactional_db: None, tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*, actor: object) -> object:
        assert Employee.objects.exists()  # bound: the scope is in use when it fails
        raise RuntimeError("selector failed")

    monkeypatch.setattr(people_selectors, "employee_list", failing)
    client = tenant_a.client("admin")
    client.raise_request_exception = False
    assert client.get("/api/v1/employees/").status_code == 500
    assert not connection.in_read_scope  # type: ignore[attr-defined]
    assert _unbound_visible_employees() == 0

    def bound_then_failing() -> None:
        with read_scope():
            set_db_tenant(tenant_a.tenant.pk)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        bound_then_failing()
    assert _unbound_visible_employees() == 0


def test_read_scope_misuse_is_refused(transactional_db: None, tenant_a: TenantWorld) -> None:
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        set_db_tenant(tenant_a.tenant.pk)  # neither a transaction nor a read scope
    with read_scope():
        with pytest.raises(RuntimeError, match="do not nest"), read_scope():
            pass
        set_db_tenant(tenant_a.tenant.pk)
        # A WITH HOLD cursor is declared by a statement the binding cannot ride with.
        with pytest.raises(RuntimeError, match="server-side cursor"):
            list(Employee.objects.all().iterator(chunk_size=2))
        with connection.cursor() as cursor:
            # Each statement would be an implicit transaction of its own, unbound.
            with pytest.raises(RuntimeError, match="cannot carry the binding"):
                cursor.executemany("SELECT %s", [(1,), (2,)])
            with pytest.raises(TypeError, match="must be str"):
                cursor.execute(b"SELECT count(*) FROM people_employee")


def test_composed_statements_are_bound_too(
    transactional_db: None, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    own = sum(1 for login in tenant_a.logins.values() if login.employee)
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("people_employee"))
    with read_scope():
        set_db_tenant(tenant_a.tenant.pk)
        with connection.cursor() as cursor:
            cursor.execute(query)
            assert cursor.fetchone() == (own,)


def test_a_failed_write_request_is_rolled_back(
    transactional_db: None, tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_done(*, actor: object, **_: object) -> object:
        Department.objects.create(tenant=tenant_a.tenant, code="HALF", name="Half done")
        raise ValidationError({"email": ["refused after a write"]})

    monkeypatch.setattr(people_services, "employee_create", half_done)
    body = {
        "employee_number": "RB-1",
        "first_name": "Roll",
        "last_name": "Back",
        "email": "rb@example.com",
        "job_title": "Engineer",
        "hire_date": "2025-01-02",
    }
    created = tenant_a.client("admin").post("/api/v1/employees/", body, format="json")
    assert created.status_code == 400
    with tenant_scope(tenant_a.tenant.pk):
        assert not Department.objects.filter(code="HALF").exists()


def test_every_api_route_has_its_request_scope() -> None:
    for route in api_v1.urlpatterns:
        assert getattr(route.callback, "request_transaction", False), route
        assert "default" in route.callback._non_atomic_requests, route  # not Django's too
