"""Tenant ownership of response objects, and the lost-write judgement."""

from __future__ import annotations

from scripts.load.isolation import Ownership
from scripts.load.writes import Write, writes_judge


def test_an_id_seen_by_two_tenants_is_cross_tenant() -> None:
    owners = Ownership({"a", "b"})
    page = {"results": [{"id": 1, "department": 10, "manager": None, "email": "x@a.test"}]}
    assert owners.check_body("employee", page, "a") == []
    assert owners.check_body("employee", {"id": 1}, "b") == ["employee.id=1 belongs to a"]


def test_references_are_owned_too() -> None:
    owners = Ownership({"a", "b"})
    owners.check_body("department", {"id": 10}, "a")
    found = owners.violations("employee", {"id": 2, "department": 10}, "b")
    assert found == ["employee.department=10 belongs to a"]
    leave = {"id": 5, "employee": 2, "leave_type": 3}
    assert owners.violations("leave_request", leave, "b") == []
    assert owners.violations("leave_request", {"id": 6, "employee": 2}, "a") == [
        "leave_request.employee=2 belongs to b"
    ]


def test_another_tenants_email_domain_is_cross_tenant() -> None:
    owners = Ownership({"demo-free", "demo-starter"})
    obj = {"id": 9, "email": "eli@demo-starter.test"}
    assert owners.violations("employee", obj, "demo-free") == [
        "employee 9 has demo-starter's e-mail domain"
    ]
    # Domains that name no known tenant (real customers' addresses) are not judged.
    assert owners.violations("employee", {"id": 10, "email": "x@corp.test"}, "demo-free") == []


def test_writes_lost_missing_moved_or_reverted() -> None:
    writes = [
        Write(kind="employee", pk=1, tenant="a", action="create"),
        Write(kind="employee", pk=1, tenant="a", action="terminate", state="terminated"),
        Write(kind="leave_request", pk=7, tenant="a", action="submit"),
        Write(kind="leave_request", pk=7, tenant="a", action="approve", state="approved"),
        Write(kind="employee", pk=2, tenant="b", action="create"),
    ]
    intact = {
        ("employee", 1): ("a", "terminated"),
        ("leave_request", 7): ("a", "approved"),
        ("employee", 2): ("b", "active"),
    }
    assert writes_judge(writes, intact, "database").lost == []
    broken = {("employee", 1): ("a", "active"), ("leave_request", 7): ("b", "approved")}
    lost = writes_judge(writes, broken, "database").lost
    assert lost == [
        "terminate employee 1 (a): active, not terminated",
        "submit leave_request 7: belongs to b, not a",
        "approve leave_request 7: belongs to b, not a",
        "create employee 2 (b): not found",
    ]
