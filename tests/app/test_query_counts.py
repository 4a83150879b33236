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
from app.core.rls import current_db_tenant_id, set_db_tenant
from app.people.models import Employee
from app.people.serializers import EmployeeSerializer
from tests.app.factories import TenantWorld

pytestmark = pytest.mark.django_db(transaction=True)


def _binding(world: TenantWorld) -> str:
    return f"SELECT set_config('app.tenant_id', '{world.tenant.pk}', true); "


def _captured(world: TenantWorld, method: str, path: str, **kwargs: Any) -> list[str]:
    client = world.client("admin")
    client.get("/api/v1/departments/")
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(path, **kwargs)
    assert response.status_code in (200, 201), response.content
    return [q["sql"] for q in queries.captured_queries]


def _assert_bound(world: TenantWorld, statements: list[str]) -> None:
    # No binding costs a round trip of its own; each rides in front of a statement.
    assert not any(s.startswith("SELECT set_config") and ";" not in s for s in statements)
    bound = [s for s in statements if s.startswith(_binding(world))]
    assert len(bound) == 2, statements  # the limiter's token check and the view's first query


# API key; token check with the binding in one message, its own implicit transaction
# (the limiter's check); BEGIN, the page with the binding, COMMIT (the view). Was 10:
# a health check, and two transactions each with a binding of its own.
READ_ROUND_TRIPS = 5


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
    _assert_bound(tenant_a, statements)
    # API key, the limiter's bound token check, then BEGIN, savepoint with the binding,
    # tenant lock, uniqueness check, insert, audit insert, release, COMMIT.
    assert len(statements) <= 10, statements


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


def test_limiter_token_check_is_one_bound_message(tenant_a: TenantWorld) -> None:
    statements = _captured(tenant_a, "get", "/api/v1/employees/")
    token_check = statements[1]
    assert token_check.startswith(_binding(tenant_a))
    assert "tenants_accesstoken" in token_check
    assert "BEGIN" not in statements[:2]
    # The binding ended with that message: the connection is unbound again.
    assert current_db_tenant_id() is None


def test_server_side_cursor_is_bound(tenant_a: TenantWorld) -> None:
    with transaction.atomic():
        set_db_tenant(tenant_a.tenant.pk)
        ids = {e.pk for e in Employee.objects.all().iterator(chunk_size=2)}
    assert ids == {login.employee.pk for login in tenant_a.logins.values() if login.employee}


def test_health_check_only_after_a_quiet_second(
    tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[bool] = []
    with transaction.atomic():  # a commit: the connection is proven
        Employee.objects.exists()
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(True) or True)
    monkeypatch.setattr(connection, "health_check_enabled", True)
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    assert checks == []
    connection.health_check_done = False
    monkeypatch.setattr(
        connection, "_committed_at", connection._committed_at - db_backend.HEALTH_CHECK_GRACE_S
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
