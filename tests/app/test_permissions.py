"""Role-based visibility: employees see themselves, managers their reports, hr/admin all."""

from __future__ import annotations

import pytest

from tests.app.factories import TenantWorld


def _ids(response: object) -> set[int]:
    return {row["id"] for row in response.json()["results"]}  # type: ignore[attr-defined]


def test_employee_sees_only_self(tenant_a: TenantWorld) -> None:
    response = tenant_a.client("employee").get("/api/v1/employees/")
    assert _ids(response) == {tenant_a.employee("employee").pk}
    peer = tenant_a.employee("peer").pk
    assert tenant_a.client("employee").get(f"/api/v1/employees/{peer}/").status_code == 404


def test_manager_sees_self_and_reports(tenant_a: TenantWorld) -> None:
    response = tenant_a.client("manager").get("/api/v1/employees/")
    assert _ids(response) == {tenant_a.employee("manager").pk, tenant_a.employee("employee").pk}


@pytest.mark.parametrize("role", ["admin", "hr"])
def test_hr_and_admin_see_everyone(tenant_a: TenantWorld, role: str) -> None:
    response = tenant_a.client(role).get("/api/v1/employees/")
    assert len(_ids(response)) == 5


def test_leave_request_visibility(tenant_a: TenantWorld) -> None:
    assert tenant_a.leave_request is not None
    own = tenant_a.leave_request.pk
    assert _ids(tenant_a.client("employee").get("/api/v1/leave-requests/")) == {own}
    assert _ids(tenant_a.client("manager").get("/api/v1/leave-requests/")) == {own}
    assert _ids(tenant_a.client("peer").get("/api/v1/leave-requests/")) == set()
    assert tenant_a.client("peer").get(f"/api/v1/leave-requests/{own}/").status_code == 404


def test_peer_cannot_decide_and_manager_of_other_cannot_either(tenant_a: TenantWorld) -> None:
    assert tenant_a.leave_request is not None
    url = f"/api/v1/leave-requests/{tenant_a.leave_request.pk}/approve/"
    # Not visible to the peer at all: 404, not 403.
    assert tenant_a.client("peer").post(url, {}, format="json").status_code == 404
    # Visible to the employee but nobody approves their own request.
    assert tenant_a.client("employee").post(url, {}, format="json").status_code == 403


@pytest.mark.parametrize("role", ["manager", "employee"])
def test_only_hr_writes_people(tenant_a: TenantWorld, role: str) -> None:
    client = tenant_a.client(role)
    me = tenant_a.employee(role).pk
    assert (
        client.patch(f"/api/v1/employees/{me}/", {"job_title": "CEO"}, format="json").status_code
        == 403
    )
    assert (
        client.post("/api/v1/departments/", {"name": "X", "code": "X"}, format="json").status_code
        == 403
    )
    assert client.get("/api/v1/audit-events/").status_code == 403


def test_hr_updates_employee_and_audit_records_diff(tenant_a: TenantWorld) -> None:
    target = tenant_a.employee("peer").pk
    response = tenant_a.client("hr").patch(
        f"/api/v1/employees/{target}/",
        {"job_title": "Staff Engineer", "manager": tenant_a.employee("manager").pk},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["job_title"] == "Staff Engineer"
    events = tenant_a.client("admin").get("/api/v1/audit-events/", {"action": "employee.update"})
    changes = events.json()["results"][0]["changes"]
    assert changes["job_title"] == ["Engineer", "Staff Engineer"]
    assert changes["manager"] == [None, str(tenant_a.employee("manager").pk)]
    # The manager now sees the peer as a report.
    assert target in _ids(tenant_a.client("manager").get("/api/v1/employees/"))


def test_management_cycle_refused(tenant_a: TenantWorld) -> None:
    manager = tenant_a.employee("manager").pk
    response = tenant_a.client("hr").patch(
        f"/api/v1/employees/{manager}/",
        {"manager": tenant_a.employee("employee").pk},
        format="json",
    )
    assert response.status_code == 400
    assert "manager" in response.json()


def test_employee_number_unique_per_tenant_only(
    tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    body = {
        "employee_number": "E-1",  # exists in both tenants already
        "first_name": "Dup",
        "last_name": "Licate",
        "email": "dup@example.com",
        "job_title": "Dev",
        "hire_date": "2024-01-02",
    }
    dup = tenant_a.client("hr").post("/api/v1/employees/", body, format="json")
    assert dup.status_code == 400
    assert "employee_number" in dup.json()
    fresh = tenant_a.client("hr").post(
        "/api/v1/employees/", {**body, "employee_number": "Z-9"}, format="json"
    )
    assert fresh.status_code == 201
    # The same number in tenant B is independent.
    assert (
        tenant_b.client("hr")
        .post("/api/v1/employees/", {**body, "employee_number": "Z-9"}, format="json")
        .status_code
        == 201
    )


def test_cursor_pagination_walks_all_pages(tenant_a: TenantWorld) -> None:
    client = tenant_a.client("admin")
    seen: list[int] = []
    url: str | None = "/api/v1/employees/?page_size=2"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 5
    assert seen == sorted(seen, reverse=True)
