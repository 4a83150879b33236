"""Round trips per request on the tenant API (docs/performance.md), pinned per endpoint.

Real per-request transactions (``transactional_db``) on the suite's PostgreSQL with the
deployed backend: the captured statements are what the server receives, minus
nothing: Django records BEGIN and COMMIT too, so each captured entry is one round trip.
A first request warms the per-process limits cache (refreshed every few seconds).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from app.core.db_backend import base as db_backend
from app.core.rls import binding_sql, current_db_tenant_id, set_db_tenant, tenant_scope
from app.people.filters import EmployeeFilter
from app.people.models import Department, Employee
from app.people.serializers import DepartmentSerializer, EmployeeSerializer
from app.tenants.selectors import _credentials_sql as credentials_sql
from tests.app.factories import TenantWorld
from tests.app.spies import calls_of

pytestmark = pytest.mark.django_db(transaction=True)


def _binding(world: TenantWorld, *, read: bool = True) -> str:
    """What rides in front of a bound statement: a read's is read-only as well."""
    return f"{binding_sql(world.tenant.pk, read_only=read)}; "


def _captured(world: TenantWorld, method: str, path: str, **kwargs: Any) -> list[str]:
    client = world.client("admin")
    client.get("/api/v1/departments/")
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(path, **kwargs)
    assert response.status_code in (200, 201), response.content
    return [q["sql"] for q in queries.captured_queries]


def _assert_bound(world: TenantWorld, statements: list[str], *, read: bool = True) -> None:
    # No binding costs a round trip of its own; each rides in front of a statement.
    assert not any(s.startswith("SELECT set_config") and ";" not in s for s in statements)
    assert statements[0].startswith(CREDENTIALS_BINDING), statements  # key and token
    bound = [s for s in statements if s.startswith(_binding(world, read=read))]
    assert len(bound) == 1, statements  # the view's first query


# The API key and the token checked in one message, its own implicit transaction; the
# page with the read-only binding in front, another (app/core/request_transaction.py).
# Was 10: a health check, the key lookup, and two transactions each with a binding of
# its own; then 4 with BEGIN and COMMIT around the page.
READ_ROUND_TRIPS = 2
CREDENTIALS_BINDING = "SELECT set_config('app.tenant_id', COALESCE((SELECT tenant_id"


def test_list_round_trips(tenant_a: TenantWorld) -> None:
    statements = _captured(tenant_a, "get", "/api/v1/employees/")
    assert len(statements) == READ_ROUND_TRIPS, statements
    _assert_bound(tenant_a, statements)
    assert "COUNT(" not in " ".join(statements).upper()  # cursor pagination, no count


def test_detail_round_trips(tenant_a: TenantWorld) -> None:
    employee = tenant_a.employee("employee")
    statements = _captured(tenant_a, "get", f"/api/v1/employees/{employee.pk}/")
    assert len(statements) == READ_ROUND_TRIPS, statements
    _assert_bound(tenant_a, statements)


def test_write_has_no_standalone_binding(tenant_a: TenantWorld) -> None:
    body = {
        "employee_number": "Q-1",
        "first_name": "Query",
        "last_name": "Count",
        "email": "q1@example.com",
        "job_title": "Engineer",
        "hire_date": "2025-01-02",
    }
    statements = _captured(tenant_a, "post", "/api/v1/employees/", data=body, format="json")
    _assert_bound(tenant_a, statements, read=False)
    assert statements[1] == "BEGIN", statements  # a write keeps its transaction
    # Key and token, then BEGIN, savepoint with the binding, tenant lock, uniqueness
    # check, insert, audit insert, release, COMMIT.
    assert len(statements) <= 9, statements
    assert any("audit" in s for s in statements), statements


def test_binding_without_statement_ends_with_its_transaction(tenant_a: TenantWorld) -> None:
    with transaction.atomic():
        set_db_tenant(tenant_a.tenant.pk)
        assert current_db_tenant_id() == tenant_a.tenant.pk  # flushed before the read
    with transaction.atomic():
        set_db_tenant(tenant_a.tenant.pk)
    # Never sent, and never carried into the next transaction.
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        assert current_db_tenant_id() is None
    sent = [q["sql"] for q in queries.captured_queries]
    assert sent[1].startswith("SELECT NULLIF"), sent


def test_key_and_token_are_one_bound_message(tenant_a: TenantWorld) -> None:
    statements = _captured(tenant_a, "get", "/api/v1/employees/")
    lookup = statements[0]
    assert lookup.startswith(CREDENTIALS_BINDING)
    assert "tenants_tenantapikey" in lookup
    prepared = credentials_sql()
    assert f"; EXECUTE {prepared.name}(" in lookup
    assert "tenants_accesstoken" in prepared.lookup
    # Once, not again by the rate limiter or the authentication class.
    assert sum(prepared.name in s or "tenants_accesstoken" in s for s in statements) == 1
    # The binding ended with that message: the connection is unbound again.
    assert current_db_tenant_id() is None


def test_key_and_token_are_one_message_on_a_new_connection(tenant_a: TenantWorld) -> None:
    """As after CONN_MAX_AGE or a broken connection: the key and token lookup opens the
    connection itself, and still finds it able to carry the binding in one message."""
    client = tenant_a.client("admin")
    client.get("/api/v1/departments/")
    with CaptureQueriesContext(connection) as queries:
        connection.close()
        assert client.get("/api/v1/employees/").status_code == 200
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == READ_ROUND_TRIPS, statements
    _assert_bound(tenant_a, statements)


def test_server_side_cursor_is_bound(tenant_a: TenantWorld) -> None:
    with transaction.atomic():
        set_db_tenant(tenant_a.tenant.pk)
        ids = {e.pk for e in Employee.objects.all().iterator(chunk_size=2)}
    assert ids == {login.employee.pk for login in tenant_a.logins.values() if login.employee}


@pytest.mark.parametrize("proof", ["commit", "autocommit statement"])
def test_health_check_only_after_a_quiet_second(
    tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch, proof: str
) -> None:
    checks: list[bool] = []
    connection._answered_at = float("-inf")  # nothing proven yet
    if proof == "commit":
        with transaction.atomic():
            Employee.objects.exists()
    else:  # a read request's statements commit nothing, and prove the connection as well
        Employee.objects.exists()
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(True) or True)
    monkeypatch.setattr(connection, "health_check_enabled", True)
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    assert checks == []
    connection.health_check_done = False
    monkeypatch.setattr(
        connection, "_answered_at", connection._answered_at - db_backend.HEALTH_CHECK_GRACE_S
    )
    connection.close_if_health_check_failed()
    assert checks == [True]


def test_flat_rows_match_drf_generic_output(tenant_a: TenantWorld) -> None:
    employee = tenant_a.employee("employee")
    manager = tenant_a.employee("manager")
    with transaction.atomic():
        set_db_tenant(tenant_a.tenant.pk)
        rows = list(Employee.objects.filter(pk__in=[employee.pk, manager.pk]))
    for row in [*rows, employee]:
        serializer = EmployeeSerializer(row)
        generic = serializers.ModelSerializer.to_representation(serializer, row)
        assert serializer.data == generic
        assert serializer._plan() is not None  # the flat path is the one in use


def test_a_flat_page_matches_drfs_list_output(tenant_a: TenantWorld) -> None:
    with transaction.atomic():
        set_db_tenant(tenant_a.tenant.pk)
        employees = Employee.objects.for_tenant(tenant_a.tenant.pk).order_by("-id")
        serializer = EmployeeSerializer()
        sources = serializer.flat_sources()
        assert sources is not None
        rows = list(employees.values(*sources))
        instances = list(employees)
    generic = [serializers.ModelSerializer.to_representation(serializer, e) for e in instances]
    assert serializer.flat_rows(rows) == generic
    assert len(generic) == sum(1 for login in tenant_a.logins.values() if login.employee)
    assert EmployeeSerializer(instances, many=True).data == generic


def test_a_flat_list_builds_no_serializer_per_request(
    tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = tenant_a.client("admin")
    first = client.get("/api/v1/employees/").json()  # the class's plan, built once
    built = calls_of(monkeypatch, EmployeeSerializer, "__init__")
    assert client.get("/api/v1/employees/").json() == first
    assert built == []


def test_a_mapping_is_written_as_drf_writes_it(tenant_a: TenantWorld) -> None:
    with transaction.atomic():
        set_db_tenant(tenant_a.tenant.pk)
        sources = EmployeeSerializer.flat_sources()
        assert sources is not None
        row = Employee.objects.for_tenant(tenant_a.tenant.pk).values(*sources).first()
    serializer = EmployeeSerializer(row)
    assert serializer.data == serializers.ModelSerializer.to_representation(serializer, row)


def test_flat_rows_refuse_a_serializer_that_is_not_flat() -> None:
    class Nested(EmployeeSerializer):
        department = DepartmentSerializer(read_only=True)  # type: ignore[assignment]

    with pytest.raises(TypeError, match="Nested has fields that are not flat"):
        Nested().flat_rows([])


def test_flat_plan_is_built_once_per_class(
    tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    employee = tenant_a.employee("employee")
    expected = EmployeeSerializer(employee).data  # builds the plan if no test did yet

    def rebuilt(*_args: Any) -> Any:
        raise AssertionError("fields built again")

    monkeypatch.setattr(EmployeeSerializer, "get_fields", rebuilt)
    assert EmployeeSerializer(employee).data == expected
    page = EmployeeSerializer([employee, tenant_a.employee("manager")], many=True).data
    assert page[0] == expected


def test_unfiltered_list_builds_no_filter_set(
    tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = calls_of(monkeypatch, EmployeeFilter, "__init__")
    client = tenant_a.client("admin")
    everyone = client.get("/api/v1/employees/?page_size=2")
    assert everyone.status_code == 200
    assert built == []
    # Any filter's parameter takes django-filter's path: filtered, and refused when bad.
    manager = tenant_a.employee("manager")
    reports = client.get(f"/api/v1/employees/?manager={manager.pk}")
    assert [e["id"] for e in reports.json()["results"]] == [tenant_a.employee("employee").pk]
    assert client.get("/api/v1/employees/?hired_after=yesterday").status_code == 400
    assert len(built) == 2


def test_list_reads_only_the_serialized_columns(tenant_a: TenantWorld) -> None:
    statements = _captured(tenant_a, "get", "/api/v1/employees/?page_size=3")
    (page,) = [s for s in statements if s.startswith(_binding(tenant_a))]
    assert '"people_employee"."membership_id"' not in page  # not serialized, not read
    assert '"people_employee"."manager_id"' in page
    with tenant_scope(tenant_a.tenant.pk):
        rows = list(Employee.objects.order_by("-id")[:3])
    listed = tenant_a.client("admin").get("/api/v1/employees/?page_size=3").json()["results"]
    assert listed == EmployeeSerializer(rows, many=True).data  # as from model instances


def test_department_list_is_flat_and_unchanged(tenant_a: TenantWorld) -> None:
    statements = _captured(tenant_a, "get", "/api/v1/departments/")
    (page,) = [s for s in statements if s.startswith(_binding(tenant_a))]
    assert '"people_department"."tenant_id", ' not in page
    with tenant_scope(tenant_a.tenant.pk):
        rows = list(Department.objects.order_by("-id"))
    listed = tenant_a.client("admin").get("/api/v1/departments/").json()["results"]
    assert listed == DepartmentSerializer(rows, many=True).data
