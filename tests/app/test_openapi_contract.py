"""The OpenAPI contract: a tag per resource, a summary per operation, documented errors, and
request and response names that agree (``decision_note`` in and out; ``note`` is an alias)."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.app.factories import TenantWorld

URL = "/api/v1/leave-requests/"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    generated: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return generated


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, ops in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in ops.items()
    ]


def test_every_operation_has_its_resource_tag_a_summary_and_error_responses(
    schema: dict[str, Any],
) -> None:
    operations = _operations(schema)
    assert len(operations) >= 19
    for method, path, op in operations:
        resource = path.split("/")[3]
        assert op["tags"] == [resource], path
        assert op["summary"][:1].isupper(), (method, path)
        expected = {"401", "403", "429"}
        expected |= {"404"} if "{id}" in path else set()
        expected |= {"400"} if method in {"post", "patch", "put"} else set()
        assert expected <= set(op["responses"]), (method, path)
        for status in expected:
            body = op["responses"][status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/ErrorResponse"}
    assert {t["name"] for t in schema["tags"]} == {p.split("/")[3] for _, p, _ in operations}
    summaries = {(m, p): op["summary"] for m, p, op in operations}
    assert summaries[("post", "/api/v1/leave-requests/{id}/approve/")] == "Approve a leave request"
    assert summaries[("get", "/api/v1/employees/{id}/")] == "Get an employee"
    assert summaries[("get", "/api/v1/employees/")] == "List employees"


def test_decision_request_and_response_use_one_name(schema: dict[str, Any]) -> None:
    request = schema["components"]["schemas"]["LeaveDecisionRequest"]["properties"]
    response = schema["components"]["schemas"]["LeaveRequest"]["properties"]
    assert "decision_note" in request
    assert "decision_note" in response
    assert "Deprecated alias" in request["note"]["description"]


def _pending(world: TenantWorld) -> int:
    assert world.leave_type is not None
    created = (
        world.client("employee")
        .post(
            URL,
            {
                "leave_type": world.leave_type.pk,
                "start_date": "2031-07-07",
                "end_date": "2031-07-08",
            },
            format="json",
        )
        .json()
    )
    return int(created["id"])


def test_decision_note_round_trips_under_its_own_name(tenant_a: TenantWorld) -> None:
    pk = _pending(tenant_a)
    body = {"decision_note": "Cover arranged."}
    response = tenant_a.client("manager").post(f"{URL}{pk}/approve/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["decision_note"] == "Cover arranged."


def test_note_is_still_accepted_and_both_names_are_refused(tenant_a: TenantWorld) -> None:
    pk = _pending(tenant_a)
    both = tenant_a.client("manager").post(
        f"{URL}{pk}/reject/", {"note": "a", "decision_note": "b"}, format="json"
    )
    assert both.status_code == 400
    assert "note" in both.json()
    legacy = tenant_a.client("manager").post(
        f"{URL}{pk}/reject/", {"note": "Too busy."}, format="json"
    )
    assert legacy.status_code == 200, legacy.json()
    assert legacy.json()["decision_note"] == "Too busy."
