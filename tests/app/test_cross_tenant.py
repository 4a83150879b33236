"""Tenant A's credentials on tenant B's ids: always 404, and B's data stays unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.models import model_to_dict
from drf_spectacular.generators import SchemaGenerator

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
# Schema path parameter -> the id key used above, per collection.
_ID_KEYS = {
    "employees": "employee",
    "departments": "department",
    "leave-types": "leave_type",
    "leave-requests": "leave_request",
    "audit-events": "audit_event",
}


def test_matrix_covers_every_operation_on_an_id() -> None:
    """A new detail route or method fails here until it is added to MATRIX."""
    generator = SchemaGenerator()  # type: ignore[no-untyped-call]
    schema = generator.get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    documented = set()
    for path, operations in schema["paths"].items():
        if "{id}" not in path:
            continue
        collection = path.split("/")[3]
        template = path.replace("{id}", "{" + _ID_KEYS[collection] + "}")
        documented |= {(method, template) for method in operations if method != "parameters"}
    assert documented == {(method, template) for method, template, _ in MATRIX}


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


NEW_EMPLOYEE = {
    "employee_number": "N-9",
    "first_name": "New",
    "last_name": "Hire",
    "email": "new@example.com",
    "job_title": "Dev",
    "hire_date": "2024-02-01",
}


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        (
            "post",
            "/api/v1/employees/",
            {**NEW_EMPLOYEE, "department": "{department}"},
            "department",
        ),
        ("post", "/api/v1/employees/", {**NEW_EMPLOYEE, "manager": "{employee}"}, "manager"),
        (
            "patch",
            "/api/v1/employees/{own_employee}/",
            {"department": "{department}"},
            "department",
        ),
        ("patch", "/api/v1/employees/{own_employee}/", {"manager": "{employee}"}, "manager"),
        (
            "post",
            "/api/v1/leave-requests/",
            {"employee": "{employee}", "leave_type": "{own_leave_type}"},
            "employee",
        ),
        (
            "post",
            "/api/v1/leave-requests/",
            {"employee": "{own_employee}", "leave_type": "{leave_type}"},
            "leave_type",
        ),
    ],
)
def test_writes_cannot_reference_other_tenants_objects(
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
    method: str,
    url: str,
    body: dict[str, Any],
    field: str,
) -> None:
    """Create and update with one foreign id: 400 on that field, and no tenant changes."""
    assert tenant_a.leave_type is not None
    ids = {
        **_b_ids(tenant_b),
        "own_employee": tenant_a.employee("peer").pk,
        "own_leave_type": tenant_a.leave_type.pk,
    }
    if "leave-requests" in url:
        body = {**body, "start_date": "2031-05-05", "end_date": "2031-05-06"}
    payload = {
        key: int(value.format(**ids)) if isinstance(value, str) and value[:1] == "{" else value
        for key, value in body.items()
    }
    before = (_snapshot(tenant_a), _snapshot(tenant_b))
    response = getattr(tenant_a.client("admin"), method)(url.format(**ids), payload, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert "does not exist" in response.json()[field][0]
    assert (_snapshot(tenant_a), _snapshot(tenant_b)) == before


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
