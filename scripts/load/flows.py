"""Locust users of a load run: one class per tenant, realistic HR flows, tenant checks.

Each user acts for one tenant with that tenant's API key and its role tokens: lists and
reads employees, lists leave, hires (HR; when the tenant's load-created headcount
reaches its cap the oldest hire is terminated first, so Free's 25 seats never run
out), files one-day leave for a hire (HR) and approves it (admin), and probes another
tenant's employee, which must be a 404. Every object in every 2xx response goes through
``Ownership``; every 2xx write is recorded for the check after the run. The over-limit
tenant's users only list, together four times faster than its tier allows.
"""

from __future__ import annotations

import itertools
import random
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar

from gevent.lock import Semaphore
from locust import FastHttpUser, User, constant_throughput, task

from app.tenants.tiers import TierName
from scripts.load.credentials import TenantCredentials
from scripts.load.isolation import Ownership
from scripts.load.samples import Sample
from scripts.load.scenarios import Scenario
from scripts.load.writes import Write

PAGE = 20
LEAVE_PER_HIRE = 20  # one-day requests per hire: within the 25-day annual allowance
# Load-created employees each tenant keeps active: well inside every tier's seat limit.
SEAT_CAP = {TierName.FREE: 8, TierName.STARTER: 40}
DEFAULT_SEAT_CAP = 100
EMPLOYEES = "/api/v1/employees/"
LEAVE = "/api/v1/leave-requests/"


@dataclass(kw_only=True)
class TenantState:
    """What the run knows of one tenant, shared by all its users."""

    creds: TenantCredentials
    employees: list[int] = field(default_factory=list)
    departments: list[int] = field(default_factory=list)
    leave_type: int | None = None
    hires: list[int] = field(default_factory=list)  # load-created, still active
    leave_filed: dict[int, int] = field(default_factory=dict)
    discovered: bool = False
    lock: Semaphore = field(default_factory=Semaphore)

    @property
    def seat_cap(self) -> int:
        return SEAT_CAP.get(TierName(self.creds.tier), DEFAULT_SEAT_CAP)


class RunState:
    """Everything the users of one run share and the runner reads afterwards."""

    def __init__(self, tenants: Sequence[TenantCredentials]) -> None:
        self.tenants = {t.slug: TenantState(creds=t) for t in tenants}
        self.ownership = Ownership({t.slug for t in tenants})
        self.samples: list[Sample] = []
        self.writes: list[Write] = []
        self.run_id = secrets.token_hex(3)  # keeps employee numbers unique across runs
        self._serial = itertools.count(1)
        # The first Monday of next year: leave dates that are always working days ahead.
        jan1 = date(date.today().year + 1, 1, 1)
        self.first_monday = jan1 + timedelta(days=(7 - jan1.weekday()) % 7)

    def serial(self) -> int:
        return next(self._serial)


class TenantUser(FastHttpUser):
    abstract = True
    network_timeout = 30.0
    connection_timeout = 10.0
    state: ClassVar[RunState]
    slug: ClassVar[str]

    @property
    def tenant(self) -> TenantState:
        return self.state.tenants[self.slug]

    def call(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        flow: str,
        role: str = "admin",
        body: dict[str, Any] | None = None,
        expect: tuple[int, ...] = (200,),
        kind: str | None = None,
        probe: bool = False,
    ) -> tuple[int, Any]:
        """One request, checked: status, and every object in a 2xx body for its tenant."""
        creds = self.tenant.creds
        started = time.time()
        with self.client.request(
            method,
            path,
            name=f"{method} {endpoint}",
            headers=creds.headers(role),
            json=body,
            catch_response=True,
        ) as resp:
            status = int(resp.status_code or 0)
            payload: Any = None
            if 200 <= status < 300 and resp.text:
                try:
                    payload = resp.json()
                except ValueError:
                    payload = None
            expected = status in expect or (status == 429 and creds.over_limit)
            violations: list[str] = []
            if probe and 200 <= status < 300:
                violations.append(f"{path} of another tenant answered {status} to {self.slug}")
            elif kind is not None and payload is not None:
                violations = self.state.ownership.check_body(kind, payload, self.slug)
            if violations:
                resp.failure("cross-tenant: " + "; ".join(violations[:3]))
            elif not expected:
                resp.failure(f"unexpected {status}: {(resp.text or '')[:200]}")
            else:
                resp.success()
        self.state.samples.append(
            Sample(
                started=started,
                ended=time.time(),
                endpoint=f"{method} {endpoint}",
                flow=flow,
                tenant=self.slug,
                tier=creds.tier,
                over_limit=creds.over_limit,
                status=status,
                expected=expected,
                cross_tenant=bool(violations),
            )
        )
        return status, payload

    def role(self, *choices: str) -> str:
        have = [r for r in choices if r in self.tenant.creds.tokens]
        return random.choice(have or ["admin"])  # noqa: S311 - traffic mix, not security


class TierUser(TenantUser):
    """A tenant within its tier's rate, running the realistic mix."""

    abstract = True

    def on_start(self) -> None:
        t = self.tenant
        with t.lock:  # one user per tenant discovers; the others wait and reuse it
            if t.discovered:
                return
            _, page = self.call(
                "GET",
                f"{EMPLOYEES}?page_size=100",
                endpoint=EMPLOYEES,
                flow="discover",
                kind="employee",
            )
            _, types = self.call(
                "GET",
                "/api/v1/leave-types/",
                endpoint="/api/v1/leave-types/",
                flow="discover",
                kind="leave_type",
            )
            _, depts = self.call(
                "GET",
                "/api/v1/departments/",
                endpoint="/api/v1/departments/",
                flow="discover",
                kind="department",
            )
            t.employees = [e["id"] for e in _results(page)]
            t.departments = [d["id"] for d in _results(depts)]
            annual = [lt["id"] for lt in _results(types) if lt.get("code") == "ANNUAL"]
            t.leave_type = (annual or [lt["id"] for lt in _results(types)] or [None])[0]
            t.discovered = True

    @task(30)
    def list_employees(self) -> None:
        role = self.role("admin", "hr", "manager", "employee")
        self.call(
            "GET",
            f"{EMPLOYEES}?page_size={PAGE}",
            endpoint=EMPLOYEES,
            flow="list",
            role=role,
            kind="employee",
        )

    @task(25)
    def read_employee(self) -> None:
        if not self.tenant.employees:
            return
        pk = random.choice(self.tenant.employees)  # noqa: S311
        self.call(
            "GET",
            f"{EMPLOYEES}{pk}/",
            endpoint=f"{EMPLOYEES}[id]/",
            flow="read",
            role=self.role("admin", "hr"),
            kind="employee",
        )

    @task(10)
    def list_leave(self) -> None:
        self.call(
            "GET",
            f"{LEAVE}?page_size={PAGE}",
            endpoint=LEAVE,
            flow="list_leave",
            role=self.role("hr", "manager", "employee"),
            kind="leave_request",
        )

    @task(10)
    def hire(self) -> None:
        t = self.tenant
        if len(t.hires) >= t.seat_cap:
            self.terminate(t.hires.pop(0))
        n = self.state.serial()
        run = self.state.run_id
        body: dict[str, Any] = {
            "employee_number": f"L{run}-{n}",
            "first_name": "Load",
            "last_name": f"Hire{n}",
            "email": f"load.{run}.{n}@{self.slug}.test",
            "job_title": "Engineer",
            "hire_date": "2025-03-03",
        }
        if t.departments:
            body["department"] = random.choice(t.departments)  # noqa: S311
        status, created = self.call(
            "POST",
            EMPLOYEES,
            endpoint=EMPLOYEES,
            flow="create_employee",
            role=self.role("hr"),
            body=body,
            expect=(201,),
            kind="employee",
        )
        if status == 201 and isinstance(created, dict) and isinstance(created.get("id"), int):
            pk = created["id"]
            self.state.writes.append(
                Write(kind="employee", pk=pk, tenant=self.slug, action="create")
            )
            t.employees.append(pk)
            t.hires.append(pk)

    def terminate(self, pk: int) -> None:
        status, _ = self.call(
            "PATCH",
            f"{EMPLOYEES}{pk}/",
            endpoint=f"{EMPLOYEES}[id]/",
            flow="terminate",
            role=self.role("hr"),
            body={"employment_status": "terminated"},
            kind="employee",
        )
        if status == 200:
            self.state.writes.append(
                Write(
                    kind="employee", pk=pk, tenant=self.slug, action="terminate", state="terminated"
                )
            )

    @task(10)
    def leave(self) -> None:
        t = self.tenant
        candidates = [pk for pk in t.hires[-5:] if t.leave_filed.get(pk, 0) < LEAVE_PER_HIRE]
        if not candidates or t.leave_type is None:
            self.hire()  # the leave flow needs a hire of its own first
            return
        pk = random.choice(candidates)  # noqa: S311
        slot = t.leave_filed.get(pk, 0)
        t.leave_filed[pk] = slot + 1  # taken before the request: concurrent users never share it
        day = (self.state.first_monday + timedelta(weeks=slot)).isoformat()
        status, filed = self.call(
            "POST",
            LEAVE,
            endpoint=LEAVE,
            flow="submit_leave",
            role=self.role("hr"),
            body={
                "employee": pk,
                "leave_type": t.leave_type,
                "start_date": day,
                "end_date": day,
                "reason": "load test",
            },
            expect=(201,),
            kind="leave_request",
        )
        if status != 201 or not isinstance(filed, dict) or not isinstance(filed.get("id"), int):
            return
        leave_id = filed["id"]
        self.state.writes.append(
            Write(kind="leave_request", pk=leave_id, tenant=self.slug, action="submit")
        )
        status, _ = self.call(
            "POST",
            f"{LEAVE}{leave_id}/approve/",
            endpoint=f"{LEAVE}[id]/approve/",
            flow="approve_leave",
            body={"note": "approved by load test"},
            kind="leave_request",
        )
        if status == 200:
            self.state.writes.append(
                Write(
                    kind="leave_request",
                    pk=leave_id,
                    tenant=self.slug,
                    action="approve",
                    state="approved",
                )
            )

    @task(5)
    def isolation_probe(self) -> None:
        others = [
            pk
            for slug, other in self.state.tenants.items()
            if slug != self.slug
            for pk in other.employees
        ]
        if not others:
            return
        pk = random.choice(others)  # noqa: S311
        self.call(
            "GET",
            f"{EMPLOYEES}{pk}/",
            endpoint=f"{EMPLOYEES}[other-tenant-id]/",
            flow="isolation_probe",
            role=self.role("admin", "hr"),
            expect=(404,),
            probe=True,
        )


class OverLimitUser(TenantUser):
    """The tenant driven past its tier's rate on purpose: its 429s are the expected ones."""

    abstract = True

    @task
    def list_employees(self) -> None:
        self.call(
            "GET",
            f"{EMPLOYEES}?page_size={PAGE}",
            endpoint=EMPLOYEES,
            flow="over_limit",
            kind="employee",
        )


def _results(page: Any) -> list[dict[str, Any]]:
    if isinstance(page, dict) and isinstance(page.get("results"), list):
        return [r for r in page["results"] if isinstance(r, dict) and isinstance(r.get("id"), int)]
    return []


def user_classes(state: RunState, scenario: Scenario) -> tuple[list[type[User]], int]:
    """One class per tenant with its scenario's fixed user count, plus the surge class.

    Returns the classes and the number of fixed users; users beyond that are surge users
    (Enterprise, ``scenario.surge_tasks_per_s`` each), which the steps add and remove.
    """
    classes: list[type[User]] = []
    fixed = 0
    enterprise: str | None = None
    for slug, t in state.tenants.items():
        attrs: dict[str, Any] = {"state": state, "slug": slug, "abstract": False}
        name = "".join(p.title() for p in slug.split("-"))
        if t.creds.over_limit:
            base: type[TenantUser] = OverLimitUser
            attrs |= {
                "fixed_count": scenario.over_limit_users,
                "wait_time": constant_throughput(scenario.over_limit_rps),
            }
        else:
            load = scenario.tiers[TierName(t.creds.tier)]
            base = TierUser
            attrs |= {"fixed_count": load.users, "wait_time": constant_throughput(load.tasks_per_s)}
            if t.creds.tier == TierName.ENTERPRISE and enterprise is None:
                enterprise = slug
        fixed += attrs["fixed_count"]
        classes.append(type(name, (base,), attrs))
    if scenario.steps:
        if enterprise is None:
            raise ValueError(f"scenario {scenario.name} needs an enterprise tenant for its surge")
        surge = {
            "state": state,
            "slug": enterprise,
            "abstract": False,
            "weight": 1,
            "wait_time": constant_throughput(scenario.surge_tasks_per_s),
        }
        classes.append(type("EnterpriseSurge", (TierUser,), surge))
    return classes, fixed
