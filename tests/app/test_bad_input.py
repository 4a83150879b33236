"""Malformed, mistyped, unknown, oversized and out-of-range input: 4xx with field errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from tests.app.factories import TenantWorld

VALID_EMPLOYEE = {
    "employee_number": "N-1",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "job_title": "Analyst",
    "hire_date": "2024-03-01",
}


@pytest.mark.parametrize(
    "url", ["/api/v1/employees/", "/api/v1/departments/", "/api/v1/leave-requests/"]
)
def test_malformed_json_is_400(tenant_a: TenantWorld, url: str) -> None:
    response = tenant_a.client("hr").post(
        url, data='{"name": "x",', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_non_json_content_type_is_415(tenant_a: TenantWorld) -> None:
    response = tenant_a.client("hr").post(
        "/api/v1/departments/", data="name=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"hire_date": "2024-02-30"}, "hire_date"),
        ({"hire_date": "yesterday"}, "hire_date"),
        ({"hire_date": 20240101}, "hire_date"),
        ({"email": "not-an-email"}, "email"),
        ({"first_name": ["a", "list"]}, "first_name"),
        ({"department": "eng"}, "department"),
        ({"manager": -1}, "manager"),
        ({"manager": 10**30}, "manager"),
        ({"employment_status": "retired"}, "employment_status"),
        ({"employee_number": "x" * 33}, "employee_number"),
        ({"first_name": None}, "first_name"),
        ({"salary": 100}, "salary"),
        ({"id": 5}, "id"),
        ({"tenant": 1}, "tenant"),
    ],
)
def test_employee_field_errors(tenant_a: TenantWorld, changes: dict[str, Any], field: str) -> None:
    response = tenant_a.client("hr").post(
        "/api/v1/employees/", {**VALID_EMPLOYEE, **changes}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_missing_required_fields_are_listed(tenant_a: TenantWorld) -> None:
    response = tenant_a.client("hr").post("/api/v1/employees/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"employee_number", "first_name", "hire_date", "job_title"}


@pytest.mark.parametrize("body", [[], "string", 42, None])
def test_non_object_bodies(tenant_a: TenantWorld, body: Any) -> None:
    response = tenant_a.client("hr").post(
        "/api/v1/departments/", data=__import__("json").dumps(body), content_type="application/json"
    )
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"start_date": "2031-02-30", "end_date": "2031-03-01"}, "start_date"),
        ({"start_date": "2031-03-05", "end_date": "2031-03-01"}, "end_date"),
        ({"start_date": "2031-03-05"}, "end_date"),
        (
            {"start_date": "2031-03-05", "end_date": "2031-03-06", "leave_type": "annual"},
            "leave_type",
        ),
        (
            {"start_date": "2031-03-05", "end_date": "2031-03-06", "leave_type": 99999999},
            "leave_type",
        ),
        ({"start_date": "2031-03-05", "end_date": "2031-03-06", "status": "approved"}, "status"),
        ({"start_date": "2031-03-05", "end_date": "2031-03-06", "reason": "x" * 501}, "reason"),
    ],
)
def test_leave_submit_field_errors(
    tenant_a: TenantWorld, payload: dict[str, Any], field: str
) -> None:
    assert tenant_a.leave_type is not None
    body = {"leave_type": tenant_a.leave_type.pk, **payload}
    response = tenant_a.client("employee").post("/api/v1/leave-requests/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_decision_with_unknown_field(tenant_a: TenantWorld) -> None:
    assert tenant_a.leave_request is not None
    response = tenant_a.client("manager").post(
        f"/api/v1/leave-requests/{tenant_a.leave_request.pk}/approve/",
        {"note": "ok", "status": "approved"},
        format="json",
    )
    assert response.status_code == 400
    assert "status" in response.json()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_oversized_body_is_413(tenant_a: TenantWorld) -> None:
    response = tenant_a.client("hr").post(
        "/api/v1/departments/", {"name": "x" * 5000, "code": "BIG"}, format="json"
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body is too large."}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/employees/abc/",
        "/api/v1/employees/0/",
        "/api/v1/employees/99999999999999999999999/",
        "/api/v1/leave-requests/-1/",
    ],
)
def test_bad_ids_are_404(tenant_a: TenantWorld, url: str) -> None:
    assert tenant_a.client("admin").get(url).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "department=abc",
        "department=99999999999999999999999",
        "hired_after=2024-13-01",
        "employment_status=nope",
    ],
)
def test_bad_filters_are_400(tenant_a: TenantWorld, query: str) -> None:
    response = tenant_a.client("admin").get(f"/api/v1/employees/?{query}")
    assert response.status_code == 400
    assert response.json()


def test_bad_cursor_is_400(tenant_a: TenantWorld) -> None:
    response = tenant_a.client("admin").get("/api/v1/employees/?cursor=garbage")
    assert response.status_code == 400
    assert response.json() == {"cursor": ["Invalid cursor."]}


def test_unsupported_method_is_405(tenant_a: TenantWorld) -> None:
    employee = tenant_a.employee("peer").pk
    assert tenant_a.client("admin").delete(f"/api/v1/employees/{employee}/").status_code == 405
    assert (
        tenant_a.client("admin")
        .put(f"/api/v1/employees/{employee}/", VALID_EMPLOYEE, format="json")
        .status_code
        == 405
    )
