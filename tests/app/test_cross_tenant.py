"""Tenant A's credentials on tenant B's ids: always 404, and B's data stays unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.models import model_to_dict

from app.audit.models import AuditEvent
from app.core.rls import tenant_scope
from app.leave.models import LeaveBalance, LeaveRequest, LeaveType
from app.people.models import Department, Employee
from tests.app.factories import TenantWorld


def _b_ids(b: TenantWorld) -> dict[str, int]:
    with tenant_scope(b.tenant.pk):
        event = AuditEvent.objects.create(
            tenant=b.tenant, action="seed", entity_type="x", entity_id="1"
        )
    assert b.department is not None
    assert b.leave_type is not None
    assert b.leave_request is not None
    return {
        "employee": b.employee("employee").pk,
        "department": b.department.pk,
        "leave_type": b.leave_type.pk,
        "leave_request": b.leave_request.pk,
        "audit_event": event.pk,
    }


def _snapshot(b: TenantWorld) -> dict[str, list[dict[str, Any]]]:
    with tenant_scope(b.tenant.pk):
        return {
            model.__name__: [model_to_dict(o) for o in model.objects.order_by("pk")]
            for model in (Employee, Department, LeaveType, LeaveRequest, LeaveBalance, AuditEvent)
        }


# (method, url template, body) for every endpoint and method that takes an id.
MATRIX: list[tuple[str, str, dict[str, Any] | None]] = [
    ("get", "/api/v1/employees/{employee}/", None),
    ("patch", "/api/v1/employees/{employee}/", {"job_title": "pwned"}),
    ("get", "/api/v1/departments/{department}/", None),
    ("patch", "/api/v1/departments/{department}/", {"name": "pwned"}),
    ("delete", "/api/v1/departments/{department}/", None),
    ("get", "/api/v1/leave-types/{leave_type}/", None),
    ("get", "/api/v1/leave-requests/{leave_request}/", None),
    ("post", "/api/v1/leave-requests/{leave_request}/approve/", {}),
    ("post", "/api/v1/leave-requests/{leave_request}/reject/", {"note": "no"}),
    ("post", "/api/v1/leave-requests/{leave_request}/cancel/", None),
    ("get", "/api/v1/audit-events/{audit_event}/", None),
]


@pytest.mark.parametrize(("method", "template", "body"), MATRIX)
@pytest.mark.parametrize("role", ["admin", "hr", "manager", "employee"])
def test_other_tenants_objects_are_404(
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
    role: str,
    method: str,
    template: str,
    body: dict[str, Any] | None,
) -> None:
    ids = _b_ids(tenant_b)
    before = _snapshot(tenant_b)
    client = tenant_a.client(role)
    response = getattr(client, method)(template.format(**ids), body, format="json")
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Not found."}
    assert _snapshot(tenant_b) == before


@pytest.mark.parametrize(
    ("url", "model"),
    [
        ("/api/v1/employees/", Employee),
        ("/api/v1/departments/", Department),
        ("/api/v1/leave-types/", LeaveType),
        ("/api/v1/leave-requests/", LeaveRequest),
        ("/api/v1/audit-events/", AuditEvent),
    ],
)
def test_lists_contain_exactly_own_tenants_rows(
    tenant_a: TenantWorld, tenant_b: TenantWorld, url: str, model: Any
) -> None:
    _b_ids(tenant_a)  # gives A an audit event too
    _b_ids(tenant_b)
    with tenant_scope(tenant_a.tenant.pk):
        a_ids = set(model.objects.values_list("pk", flat=True))
    response = tenant_a.client("admin").get(url, {"page_size": 200})
    assert response.status_code == 200
    seen = {row["id"] for row in response.json()["results"]}
    assert a_ids
    assert seen == a_ids


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("/api/v1/employees/?department={department}", "department"),
        ("/api/v1/employees/?manager={employee}", "employee"),
        ("/api/v1/leave-requests/?employee={employee}", "employee"),
        ("/api/v1/leave-requests/?leave_type={leave_type}", "leave_type"),
    ],
)
def test_filters_on_other_tenants_ids_return_nothing(
    tenant_a: TenantWorld, tenant_b: TenantWorld, query: str, key: str
) -> None:
    ids = _b_ids(tenant_b)
    response = tenant_a.client("admin").get(query.format(**ids))
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_create_cannot_reference_other_tenants_objects(
    tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    ids = _b_ids(tenant_b)
    before = _snapshot(tenant_b)
    client = tenant_a.client("admin")
    employee = client.post(
        "/api/v1/employees/",
        {
            "employee_number": "N-9",
            "first_name": "New",
            "last_name": "Hire",
            "email": "new@example.com",
            "job_title": "Dev",
            "hire_date": "2024-02-01",
            "department": ids["department"],
            "manager": ids["employee"],
        },
        format="json",
    )
    assert employee.status_code == 400
    assert "department" in employee.json()
    leave = client.post(
        "/api/v1/leave-requests/",
        {
            "employee": ids["employee"],
            "leave_type": ids["leave_type"],
            "start_date": "2031-05-05",
            "end_date": "2031-05-06",
        },
        format="json",
    )
    assert leave.status_code == 400
    assert "employee" in leave.json()
    assert _snapshot(tenant_b) == before


def test_token_of_other_tenant_is_rejected_with_own_key(
    tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    """B's user token with A's API key: the user is not a member of A."""
    client = tenant_a.client("admin")
    client.credentials(
        HTTP_X_API_KEY=tenant_a.api_key,
        HTTP_AUTHORIZATION=f"Bearer {tenant_b.logins['admin'].token}",
    )
    assert client.get("/api/v1/employees/").status_code == 401
