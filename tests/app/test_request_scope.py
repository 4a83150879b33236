"""The request path binds its transaction to the caller's tenant, so layer 2 holds even
when layer 1 (the selector filter) is missing."""

from __future__ import annotations

import pytest

from app.leave.models import LeaveRequest
from app.people import selectors as people_selectors
from app.people.models import Employee
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
