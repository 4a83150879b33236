"""Tenant ownership of response objects, and the lost-write judgement."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

from scripts.load.credentials import TenantCredentials
from scripts.load.isolation import Ownership
from scripts.load.writes import Write, writes_check_api, writes_judge


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


class FakeApi(BaseHTTPRequestHandler):
    """Employee 1 terminated, leave request 7 approved after one 429; the rest 404."""

    refused: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        assert self.headers["X-API-Key"] == "hk1a"
        if self.path == "/api/v1/leave-requests/7/" and not self.refused:
            self.refused.append(self.path)
            self._send(429, {"detail": "slow down"}, {"Retry-After": "0"})
        elif self.path == "/api/v1/leave-requests/7/":
            self._send(200, {"id": 7, "status": "approved"})
        elif self.path == "/api/v1/employees/1/":
            self._send(200, {"id": 1, "employment_status": "terminated"})
        else:
            self._send(404, {"detail": "Not found."})

    def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        pass


def test_writes_checked_through_the_api_wait_out_429s() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        tenants = [TenantCredentials(slug="a", tier="free", api_key="hk1a", tokens={"admin": "t"})]
        writes = [
            Write(kind="employee", pk=1, tenant="a", action="terminate", state="terminated"),
            Write(kind="leave_request", pk=7, tenant="a", action="approve", state="approved"),
            Write(kind="employee", pk=2, tenant="a", action="create"),
        ]
        check = writes_check_api(base, tenants, writes)
    finally:
        server.shutdown()
        server.server_close()
    assert check.method == "api"
    assert check.lost == ["create employee 2 (a): not found"]
    assert FakeApi.refused == ["/api/v1/leave-requests/7/"]
