"""Layer 2 of isolation alone: unscoped ORM and raw SQL see only the bound tenant's rows."""

# Table and column names in the SQL below come from this module's constants, never input.
# ruff: noqa: S608

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from app.audit.models import AuditEvent
from app.core.rls import current_db_tenant_id, set_db_tenant, tenant_scope
from app.leave.models import LeaveBalance, LeaveRequest
from app.people.models import Department, Employee
from app.tenants.models import AccessToken, Membership
from tests.app.factories import TenantWorld
from tests.fixtures.postgres_server import SuitePostgres

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
# The runtime role may only INSERT and SELECT these.
APPEND_ONLY = {"audit_auditevent"}
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
    policies: dict[str, list[tuple[Any, ...]]] = {}
    for row in _fetch(
        "SELECT tablename, permissive, roles::text[], cmd, qual, with_check FROM pg_policies "
        "WHERE schemaname = 'public'"
    ):
        policies.setdefault(row[0], []).append(row[1:])
    assert with_tenant_column <= set(policies)
    for table in sorted(with_tenant_column):
        # One permissive policy for every command and role, reading and writing alike:
        # a second permissive policy would widen it, a SELECT-only one would leave writes open.
        [(permissive, roles, cmd, qual, with_check)] = policies[table]
        assert (permissive, roles, cmd) == ("PERMISSIVE", ["public"], "ALL"), table
        assert qual == with_check, table
        assert qual.startswith("(tenant_id = (NULLIF(current_setting('app.tenant_id'"), qual


def test_no_tenant_bound_sees_nothing(tenant_a: TenantWorld, tenant_b: TenantWorld) -> None:
    with transaction.atomic():
        set_db_tenant(None)
        assert Employee.objects.count() == 0
        assert _fetch("SELECT count(*) FROM people_employee") == [(0,)]


def _ids(table: str, where: str = "true", params: list[Any] | None = None) -> list[int]:
    return [r[0] for r in _fetch(f'SELECT id FROM "{table}" WHERE {where} ORDER BY id', params)]


def _give_each_tenant_every_kind_of_row(*worlds: TenantWorld) -> None:
    """The factories create no audit events or balances; the table checks need both."""
    for world in worlds:
        assert world.leave_type is not None
        with tenant_scope(world.tenant.pk):
            AuditEvent.objects.create(
                tenant=world.tenant, action="x.y", entity_type="x", entity_id="1"
            )
            LeaveBalance.objects.create(
                tenant=world.tenant,
                employee=world.employee("employee"),
                leave_type=world.leave_type,
                year=2031,
                allowance_days=20,
            )


@pytest.mark.parametrize("table", sorted(TENANT_TABLES))
def test_layer_two_alone_guards_every_tenant_table(
    tenant_a: TenantWorld, tenant_b: TenantWorld, table: str
) -> None:
    """Raw SQL with no tenant filter: B's rows are invisible and untouchable from A's scope
    and from a transaction bound to no tenant at all."""
    _give_each_tenant_every_kind_of_row(tenant_a, tenant_b)
    with tenant_scope(tenant_b.tenant.pk):
        b_ids = _ids(table)
    assert b_ids
    if table in APPEND_ONLY:
        # The runtime role holds no UPDATE/DELETE on the audit log at all (see
        # test_database_roles.py); the reads alone must still be tenant-bound.
        with tenant_scope(tenant_a.tenant.pk):
            assert _ids(table, "tenant_id = %s", [tenant_b.tenant.pk]) == []
            assert _ids(table, "id = ANY(%s)", [b_ids]) == []
        with transaction.atomic():
            set_db_tenant(None)
            assert _ids(table) == []
        with tenant_scope(tenant_b.tenant.pk):
            assert _ids(table) == b_ids
        return
    with tenant_scope(tenant_a.tenant.pk), connection.cursor() as cursor:
        assert _ids(table, "tenant_id = %s", [tenant_b.tenant.pk]) == []
        assert _ids(table, "id = ANY(%s)", [b_ids]) == []
        cursor.execute(f'UPDATE "{table}" SET tenant_id = tenant_id WHERE id = ANY(%s)', [b_ids])
        assert cursor.rowcount == 0
        cursor.execute(f'DELETE FROM "{table}" WHERE id = ANY(%s)', [b_ids])
        assert cursor.rowcount == 0
        a_id = _ids(table)[0]
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute(
                f'UPDATE "{table}" SET tenant_id = %s WHERE id = %s', [tenant_b.tenant.pk, a_id]
            )
    with transaction.atomic():
        set_db_tenant(None)
        assert _ids(table) == []
        with connection.cursor() as cursor:
            cursor.execute(f'DELETE FROM "{table}"')
            assert cursor.rowcount == 0
    with tenant_scope(tenant_b.tenant.pk):
        assert _ids(table) == b_ids


# Every reference from one tenant-owned row to another: (table, column, referenced table).
SAME_TENANT_REFERENCES = {
    ("tenants_accesstoken", "membership_id", "tenants_membership"),
    ("people_employee", "department_id", "people_department"),
    ("people_employee", "manager_id", "people_employee"),
    ("people_employee", "membership_id", "tenants_membership"),
    ("leave_leavebalance", "employee_id", "people_employee"),
    ("leave_leavebalance", "leave_type_id", "leave_leavetype"),
    ("leave_leaverequest", "employee_id", "people_employee"),
    ("leave_leaverequest", "leave_type_id", "leave_leavetype"),
    ("leave_leaverequest", "decided_by_id", "people_employee"),
}


def test_every_reference_between_tenant_tables_is_tenant_bound(db: None) -> None:
    """Referential checks bypass RLS, so each such foreign key must also pair tenant_id."""
    keys = _fetch(
        "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text, "
        "ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i) "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) "
        "FROM pg_constraint c WHERE c.contype = 'f'"
    )
    plain = {
        (table, columns[0], target)
        for table, target, columns in keys
        if len(columns) == 1 and table in TENANT_TABLES and target in TENANT_TABLES
    }
    paired = {
        (table, columns[1], target)
        for table, target, columns in keys
        if columns[:1] == ["tenant_id"] and len(columns) == 2
    }
    assert plain == SAME_TENANT_REFERENCES, "update SAME_TENANT_REFERENCES and the migrations"
    assert plain <= paired, f"references without tenant pairing: {sorted(plain - paired)}"


@pytest.mark.parametrize(("table", "column", "target"), sorted(SAME_TENANT_REFERENCES))
def test_database_refuses_links_to_another_tenants_rows(
    tenant_a: TenantWorld, tenant_b: TenantWorld, table: str, column: str, target: str
) -> None:
    """With layer 1 forgotten, A's row pointed at B's row by id: refused by PostgreSQL."""
    _give_each_tenant_every_kind_of_row(tenant_a, tenant_b)
    one_to_one = (table, column) == ("people_employee", "membership_id")
    with tenant_scope(tenant_b.tenant.pk), connection.cursor() as cursor:
        foreign_id = _ids(target)[0]
        if one_to_one:  # free the link so only the tenant check can refuse it
            cursor.execute(
                f'UPDATE "{table}" SET "{column}" = NULL WHERE id = ANY(%s)', [_ids(table)]
            )
    with tenant_scope(tenant_a.tenant.pk), connection.cursor() as cursor:
        own_id = _ids(table)[0]
        with pytest.raises(IntegrityError, match="same_tenant"), transaction.atomic():
            cursor.execute(
                f'UPDATE "{table}" SET "{column}" = %s WHERE id = %s', [foreign_id, own_id]
            )
        # The same column still accepts a row of the caller's own tenant.
        own_target = _ids(
            target,
            f'id IN (SELECT "{column}" FROM "{table}" WHERE id = %s)' if one_to_one else "true",
            [own_id] if one_to_one else None,
        )[-1]
        with transaction.atomic():
            cursor.execute(
                f'UPDATE "{table}" SET "{column}" = %s WHERE id = %s', [own_target, own_id]
            )


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
        # The app's role holds no UPDATE or DELETE on the table at all.
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        with pytest.raises(ValueError, match="append-only"):
            event.save()


def test_audit_trigger_refuses_even_the_owner(
    postgres_server: SuitePostgres, tenant_a: TenantWorld
) -> None:
    """Behind the grants, the trigger keeps the log append-only for the schema owner too."""
    owner = postgres_server.database
    url = owner.server.url(
        user=owner.owner, password=owner.owner_password, dbname=connection.settings_dict["NAME"]
    )
    with psycopg.connect(url) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_a.tenant.pk)])
        conn.execute(
            "INSERT INTO audit_auditevent (tenant_id, created_at, action, entity_type, "
            "entity_id, changes, request_id, client_request_id) "
            "VALUES (%s, now(), 'x.y', 'x', '1', '{}', '', '')",
            [tenant_a.tenant.pk],
        )
        for statement in (
            "UPDATE audit_auditevent SET action = 'z'",
            "DELETE FROM audit_auditevent",
        ):
            with (
                pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
                conn.transaction(),
            ):
                conn.execute(statement)
        conn.rollback()
