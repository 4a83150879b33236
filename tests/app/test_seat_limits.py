"""A tier's ``max_employees`` holds on create, on reactivation and under concurrent writers."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from django.db import connection

from app.core.rls import tenant_scope
from app.people.models import Employee, EmploymentStatus
from app.tenants.tiers import get_tier
from tests.app.factories import TenantWorld, build_tenant

SEATS = get_tier("free").max_employees
assert SEATS is not None


def _fill(world: TenantWorld, upto: int, *, status: str = EmploymentStatus.ACTIVE) -> None:
    """Add employees until ``upto`` non-terminated seats are taken."""
    tenant = world.tenant
    with tenant_scope(tenant.pk):
        taken = (
            Employee.objects.for_tenant(tenant)
            .exclude(employment_status=EmploymentStatus.TERMINATED)
            .count()
        )
        Employee.objects.bulk_create(
            Employee(
                tenant=tenant,
                employee_number=f"F-{i}",
                first_name="Fill",
                last_name="Seat",
                email=f"fill{i}@example.com",
                job_title="Clerk",
                hire_date=date(2023, 1, 2),
                employment_status=status,
            )
            for i in range(upto - taken)
        )


def _payload(number: str) -> dict[str, Any]:
    return {
        "employee_number": number,
        "first_name": "New",
        "last_name": "Hire",
        "email": f"{number}@example.com",
        "job_title": "Analyst",
        "hire_date": "2024-02-01",
    }


def _seats_taken(world: TenantWorld) -> int:
    with tenant_scope(world.tenant.pk):
        return (
            Employee.objects.for_tenant(world.tenant)
            .exclude(employment_status=EmploymentStatus.TERMINATED)
            .count()
        )


@pytest.mark.django_db
def test_create_is_refused_when_every_seat_is_taken() -> None:
    world = build_tenant("seats", tier="free")
    _fill(world, SEATS - 1)
    client = world.client("hr")
    assert client.post("/api/v1/employees/", _payload("N-1"), format="json").status_code == 201
    response = client.post("/api/v1/employees/", _payload("N-2"), format="json")
    assert response.status_code == 400
    assert "25 employees" in response.json()["non_field_errors"][0]
    assert _seats_taken(world) == SEATS


@pytest.mark.django_db
def test_reactivation_past_the_limit_is_refused() -> None:
    world = build_tenant("seats", tier="free")
    _fill(world, SEATS)
    client = world.client("hr")
    peer = world.employee("peer")
    assert (
        client.patch(
            f"/api/v1/employees/{peer.pk}/",
            {"employment_status": "terminated"},
            format="json",
        ).status_code
        == 200
    )
    # The freed seat goes to a new hire; bringing the old employee back would be one too many.
    assert client.post("/api/v1/employees/", _payload("N-1"), format="json").status_code == 201
    for status in ("active", "on_leave"):
        response = client.patch(
            f"/api/v1/employees/{peer.pk}/", {"employment_status": status}, format="json"
        )
        assert response.status_code == 400, response.content
        assert "25 employees" in response.json()["non_field_errors"][0]
    assert _seats_taken(world) == SEATS
    # Changes that do not take a seat still go through at the limit.
    assert (
        client.patch(
            f"/api/v1/employees/{peer.pk}/", {"job_title": "Alumnus"}, format="json"
        ).status_code
        == 200
    )


@pytest.mark.django_db
def test_a_terminated_hire_takes_no_seat() -> None:
    world = build_tenant("seats", tier="free")
    _fill(world, SEATS)
    payload = {**_payload("N-1"), "employment_status": "terminated"}
    assert world.client("hr").post("/api/v1/employees/", payload, format="json").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_parallel_creates_at_the_last_seat_admit_exactly_one() -> None:
    world = build_tenant("seats", tier="free")
    _fill(world, SEATS - 1)
    token = world.logins["hr"].token
    writers = 4
    barrier = threading.Barrier(writers)
    statuses: list[int] = []
    lock = threading.Lock()

    def create(number: str) -> None:
        from rest_framework.test import APIClient

        client = APIClient()
        client.credentials(HTTP_X_API_KEY=world.api_key, HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait(timeout=30)
            status = client.post("/api/v1/employees/", _payload(number), format="json").status_code
            with lock:
                statuses.append(status)
        finally:
            connection.close()  # each thread has its own connection to the server

    threads = [threading.Thread(target=create, args=(f"P-{i}",)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201, 400, 400, 400]
    assert _seats_taken(world) == SEATS
