"""What the audit log records: server-side request ids, cascaded changes, decision notes."""

from __future__ import annotations

from typing import Any

from tests.app.factories import TenantWorld

EVENTS = "/api/v1/audit-events/"


def _events(world: TenantWorld, **query: Any) -> list[dict[str, Any]]:
    response = world.client("hr").get(EVENTS, query)
    assert response.status_code == 200
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_request_id_is_the_servers_and_the_callers_is_kept_apart(tenant_a: TenantWorld) -> None:
    client = tenant_a.client("hr")
    department = tenant_a.department
    assert department is not None
    responses = [
        client.patch(
            f"/api/v1/departments/{department.pk}/",
            {"name": f"Engineering {i}"},
            format="json",
            HTTP_X_REQUEST_ID="client-chosen-0001",
        )
        for i in range(2)
    ]
    assert [r.status_code for r in responses] == [200, 200]
    events = _events(tenant_a, action="department.update")
    assert len(events) == 2
    # Replaying a caller's id must not make two requests look like one.
    assert {e["request_id"] for e in events} == {r["X-Request-ID"] for r in responses}
    assert len({e["request_id"] for e in events}) == 2
    assert all(len(e["request_id"]) == 32 for e in events)
    assert {e["client_request_id"] for e in events} == {"client-chosen-0001"}


def test_without_a_client_id_the_field_is_empty(tenant_a: TenantWorld) -> None:
    department = tenant_a.department
    assert department is not None
    tenant_a.client("hr").patch(
        f"/api/v1/departments/{department.pk}/", {"name": "R&D"}, format="json"
    )
    (event,) = _events(tenant_a, action="department.update")
    assert event["client_request_id"] == ""
    assert event["request_id"]


def test_deleting_a_department_audits_every_employee_it_clears(tenant_a: TenantWorld) -> None:
    department = tenant_a.department
    assert department is not None
    members = sorted(tenant_a.employee(role).pk for role in tenant_a.logins)
    response = tenant_a.client("hr").delete(f"/api/v1/departments/{department.pk}/")
    assert response.status_code == 204
    (deleted,) = _events(tenant_a, action="department.delete")
    cleared = [
        e
        for e in _events(tenant_a, action="employee.update", page_size=200)
        if e["request_id"] == deleted["request_id"]
    ]
    assert sorted(int(e["entity_id"]) for e in cleared) == members
    assert all(e["changes"] == {"department": [str(department.pk), None]} for e in cleared)
    for pk in members:
        employee = tenant_a.client("hr").get(f"/api/v1/employees/{pk}/").json()
        assert employee["department"] is None


def test_decision_notes_are_in_the_events(tenant_a: TenantWorld) -> None:
    leave_request = tenant_a.leave_request
    assert leave_request is not None
    manager = tenant_a.client("manager")
    url = f"/api/v1/leave-requests/{leave_request.pk}"
    approved = manager.post(f"{url}/approve/", {"note": "Enjoy the break"}, format="json")
    assert approved.status_code == 200
    (event,) = _events(tenant_a, action="leave_request.approve")
    assert event["changes"]["note"] == "Enjoy the break"

    submitted = tenant_a.client("employee").post(
        "/api/v1/leave-requests/",
        {
            "leave_type": tenant_a.leave_type.pk if tenant_a.leave_type else 0,
            "start_date": "2031-05-05",
            "end_date": "2031-05-05",
        },
        format="json",
    )
    assert submitted.status_code == 201, submitted.content
    rejected = manager.post(
        f"/api/v1/leave-requests/{submitted.json()['id']}/reject/",
        {"note": "Release week"},
        format="json",
    )
    assert rejected.status_code == 200
    (event,) = _events(tenant_a, action="leave_request.reject")
    assert event["changes"]["note"] == "Release week"
