"""Layer 2 of isolation alone: unscoped ORM and raw SQL see only the bound tenant's rows."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from app.audit.models import AuditEvent
from app.core.rls import current_db_tenant_id, set_db_tenant, tenant_scope
from app.leave.models import LeaveRequest
from app.people.models import Department, Employee
from app.tenants.models import AccessToken, Membership
from tests.app.factories import TenantWorld

TENANT_TABLES = {
    "tenants_membership",
    "tenants_accesstoken",
    "people_department",
    "people_employee",
    "leave_leavetype",
    "leave_leavebalance",
    "leave_leaverequest",
    "audit_auditevent",
}
# Deliberate exceptions, each read before any tenant is bound and never exposed to tenants:
OUTSIDE_RLS = {
    # looked up by key prefix to find the tenant; holds only prefixes and hashes
    "tenants_tenantapikey",
    # operator-set limits, read by the rate limiter before the request's transaction
    "ratelimit_tenantlimitoverride",
}


def _fetch(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall())


def test_app_role_is_bound_by_rls(db: None) -> None:
    row = _fetch("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")[0]
    assert row == (False, False), "the suite must connect as a role RLS applies to"


def test_every_tenant_owned_table_has_forced_rls(db: None) -> None:
    with_tenant_column = {
        r[0]
        for r in _fetch(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'tenant_id'"
        )
    }
    assert with_tenant_column >= TENANT_TABLES
    with_tenant_column -= OUTSIDE_RLS
    flags = {
        r[0]: (r[1], r[2])
        for r in _fetch(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = ANY(%s)",
            [sorted(with_tenant_column)],
        )
    }
    missing = sorted(t for t in with_tenant_column if flags.get(t) != (True, True))
    assert missing == [], f"tenant-owned tables without ENABLE+FORCE RLS: {missing}"
    policies = {r[0] for r in _fetch("SELECT tablename FROM pg_policies")}
    assert with_tenant_column <= policies


def test_no_tenant_bound_sees_nothing(tenant_a: TenantWorld, tenant_b: TenantWorld) -> None:
    with transaction.atomic():
        set_db_tenant(None)
        assert Employee.objects.count() == 0
        assert _fetch("SELECT count(*) FROM people_employee") == [(0,)]


def test_unscoped_orm_reads_only_bound_tenant(tenant_a: TenantWorld, tenant_b: TenantWorld) -> None:
    with tenant_scope(tenant_a.tenant.pk):
        for model in (Employee, Department, LeaveRequest, Membership, AccessToken):
            tenants = set(model.objects.values_list("tenant_id", flat=True))
            assert tenants == {tenant_a.tenant.pk}, model.__name__
        # Asking for B's rows by primary key, without any tenant filter, finds nothing.
        assert not Employee.objects.filter(pk=tenant_b.employee("employee").pk).exists()
        assert tenant_b.leave_request is not None
        assert not LeaveRequest.objects.filter(pk=tenant_b.leave_request.pk).exists()


def test_raw_sql_cannot_update_or_delete_other_tenant(
    tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    victim = tenant_b.employee("employee")
    with tenant_scope(tenant_a.tenant.pk), connection.cursor() as cursor:
        cursor.execute("UPDATE people_employee SET job_title = 'pwned' WHERE id = %s", [victim.pk])
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM leave_leaverequest WHERE tenant_id = %s", [tenant_b.tenant.pk])
        assert cursor.rowcount == 0
        # The ORM's bulk paths behave the same.
        assert Employee.objects.filter(pk=victim.pk).update(job_title="pwned") == 0
    with tenant_scope(tenant_b.tenant.pk):
        victim.refresh_from_db()
        assert victim.job_title == "Engineer"
        assert tenant_b.leave_request is not None
        assert LeaveRequest.objects.filter(pk=tenant_b.leave_request.pk).exists()


def test_cannot_insert_rows_for_another_tenant(
    tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    with pytest.raises(DatabaseError, match="row-level security"), tenant_scope(tenant_a.tenant.pk):
        Employee.objects.create(
            tenant=tenant_b.tenant,
            employee_number="X-1",
            first_name="Mallory",
            last_name="X",
            email="m@example.com",
            job_title="Spy",
            hire_date=date(2024, 1, 1),
        )


def test_cannot_move_a_row_into_another_tenant(
    tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    mine = tenant_a.employee("peer")
    with pytest.raises(DatabaseError, match="row-level security"), tenant_scope(tenant_a.tenant.pk):
        Employee.objects.filter(pk=mine.pk).update(tenant_id=tenant_b.tenant.pk)


def test_tenant_scope_restores_previous_binding(
    tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    with tenant_scope(tenant_a.tenant.pk):
        with tenant_scope(tenant_b.tenant.pk):
            assert current_db_tenant_id() == tenant_b.tenant.pk
        assert current_db_tenant_id() == tenant_a.tenant.pk
        assert set(Employee.objects.values_list("tenant_id", flat=True)) == {tenant_a.tenant.pk}


@pytest.mark.django_db(transaction=True)
def test_set_db_tenant_refuses_autocommit() -> None:
    # Local settings outside a transaction vanish after the statement; refuse loudly.
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError, match=r"transaction\.atomic"):
        set_db_tenant(1)


def test_audit_log_is_append_only_in_the_database(tenant_a: TenantWorld) -> None:
    with tenant_scope(tenant_a.tenant.pk):
        event = AuditEvent.objects.create(
            tenant=tenant_a.tenant, action="x.y", entity_type="x", entity_id="1"
        )
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        with pytest.raises(ValueError, match="append-only"):
            event.save()
