"""The leave workflow through the API: submit, approve, reject, cancel, balances, overlaps."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.core.rls import tenant_scope
from app.leave.models import LeaveBalance, LeaveRequest
from tests.app.factories import TenantWorld

URL = "/api/v1/leave-requests/"


def _submit(world: TenantWorld, role: str, **body: Any) -> Any:
    assert world.leave_type is not None
    payload = {"leave_type": world.leave_type.pk, **body}
    return world.client(role).post(URL, payload, format="json")


def _balance(world: TenantWorld, role: str, year: int) -> LeaveBalance:
    with tenant_scope(world.tenant.pk):
        return LeaveBalance.objects.get(employee=world.employee(role), year=year)


def test_submit_counts_working_days_and_creates_balance(tenant_a: TenantWorld) -> None:
    # 2031-06-06 is a Friday; the weekend in between is not counted.
    response = _submit(tenant_a, "employee", start_date="2031-06-06", end_date="2031-06-10")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert Decimal(body["days"]) == 3
    assert body["employee"] == tenant_a.employee("employee").pk
    balance = _balance(tenant_a, "employee", 2031)
    assert balance.allowance_days == 20
    assert balance.used_days == 0


def test_manager_approves_report_and_balance_is_used(tenant_a: TenantWorld) -> None:
    created = _submit(tenant_a, "employee", start_date="2031-06-02", end_date="2031-06-06").json()
    response = tenant_a.client("manager").post(
        f"{URL}{created['id']}/approve/", {"note": "enjoy"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved"
    assert response.json()["decided_by"] == tenant_a.employee("manager").pk
    assert _balance(tenant_a, "employee", 2031).used_days == 5
    # Approving twice is a state conflict naming the field.
    again = tenant_a.client("manager").post(f"{URL}{created['id']}/approve/", {}, format="json")
    assert again.status_code == 409
    assert "status" in again.json()


def test_cancel_approved_future_leave_returns_days(tenant_a: TenantWorld) -> None:
    created = _submit(tenant_a, "employee", start_date="2031-06-02", end_date="2031-06-03").json()
    tenant_a.client("hr").post(f"{URL}{created['id']}/approve/", {}, format="json")
    assert _balance(tenant_a, "employee", 2031).used_days == 2
    response = tenant_a.client("employee").post(f"{URL}{created['id']}/cancel/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    assert _balance(tenant_a, "employee", 2031).used_days == 0


def test_reject_then_cannot_cancel(tenant_a: TenantWorld) -> None:
    created = _submit(tenant_a, "employee", start_date="2031-07-01", end_date="2031-07-01").json()
    rejected = tenant_a.client("manager").post(
        f"{URL}{created['id']}/reject/", {"note": "busy"}, format="json"
    )
    assert rejected.status_code == 200
    assert rejected.json()["decision_note"] == "busy"
    cancel = tenant_a.client("employee").post(f"{URL}{created['id']}/cancel/")
    assert cancel.status_code == 409
    assert "status" in cancel.json()


def test_overlapping_requests_are_refused(tenant_a: TenantWorld) -> None:
    first = _submit(tenant_a, "employee", start_date="2031-08-04", end_date="2031-08-08")
    assert first.status_code == 201
    overlap = _submit(tenant_a, "employee", start_date="2031-08-08", end_date="2031-08-12")
    assert overlap.status_code == 400
    assert "start_date" in overlap.json()
    # A cancelled request no longer blocks the dates.
    tenant_a.client("employee").post(f"{URL}{first.json()['id']}/cancel/")
    assert (
        _submit(tenant_a, "employee", start_date="2031-08-08", end_date="2031-08-12").status_code
        == 201
    )


def test_balance_cannot_be_exceeded_counting_pending(tenant_a: TenantWorld) -> None:
    # 20 days allowance; 2 are pending from the fixture's request in March.
    too_many = _submit(tenant_a, "employee", start_date="2031-09-01", end_date="2031-09-26")
    assert too_many.status_code == 400  # 20 working days + 2 pending > 20
    assert "leave_type" in too_many.json()
    assert (
        _submit(tenant_a, "employee", start_date="2031-09-01", end_date="2031-09-24").status_code
        == 201
    )  # 18 working days + 2 pending = the whole allowance
    with tenant_scope(tenant_a.tenant.pk):
        assert LeaveRequest.objects.filter(status="pending").count() == 2
    over = _submit(tenant_a, "employee", start_date="2031-10-06", end_date="2031-10-06")
    assert over.status_code == 400
    assert "leave_type" in over.json()


def test_request_across_years_and_weekend_only_rejected(tenant_a: TenantWorld) -> None:
    cross = _submit(tenant_a, "employee", start_date="2031-12-30", end_date="2032-01-02")
    assert cross.status_code == 400
    assert "end_date" in cross.json()
    weekend = _submit(tenant_a, "employee", start_date="2031-06-07", end_date="2031-06-08")
    assert weekend.status_code == 400
    assert "end_date" in weekend.json()


def test_nobody_approves_own_request(tenant_a: TenantWorld) -> None:
    created = _submit(tenant_a, "hr", start_date="2031-06-02", end_date="2031-06-02").json()
    own = tenant_a.client("hr").post(f"{URL}{created['id']}/approve/", {}, format="json")
    assert own.status_code == 403
    assert (
        tenant_a.client("admin")
        .post(f"{URL}{created['id']}/approve/", {}, format="json")
        .status_code
        == 200
    )


def test_workflow_changes_are_audited(tenant_a: TenantWorld) -> None:
    created = _submit(tenant_a, "employee", start_date="2031-06-02", end_date="2031-06-02").json()
    tenant_a.client("manager").post(f"{URL}{created['id']}/approve/", {}, format="json")
    events = tenant_a.client("hr").get(
        "/api/v1/audit-events/", {"entity_type": "leave_request", "entity_id": created["id"]}
    )
    assert events.status_code == 200
    actions = [e["action"] for e in events.json()["results"]]
    assert actions == ["leave_request.approve", "leave_request.submit"]
    assert all(e["request_id"] for e in events.json()["results"])
