"""The role layout on real PostgreSQL: the app's runtime role has DML and nothing else.

The suite connects as the runtime role (tests/fixtures/postgres_server.py), so every
statement here runs with exactly the privileges the deployed app has.
"""

# Table names in the SQL below come from this module's constants and the catalog.

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction
from psycopg import sql

from app.core.db_roles import (
    RUNTIME_TABLE_PRIVILEGES,
    RoleLayout,
    roles_bootstrap,
    runtime_grants,
    runtime_privileges,
)
from app.core.rls import tenant_scope
from app.people.models import Department
from scripts.local_services.postgres import postgres_create_database, postgres_create_role
from tests.app.factories import TenantWorld
from tests.app.test_row_level_security import TENANT_TABLES
from tests.fixtures.postgres_server import OWNER_ROLE, RUNTIME_ROLE, SuitePostgres

REPO = Path(__file__).resolve().parents[2]
LAYOUT = RoleLayout(owner=OWNER_ROLE, runtime=RUNTIME_ROLE)
ALL_TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")

# What SQL injection or a leaked runtime credential must not be able to do, per table.
REFUSED_ON_EVERY_TENANT_TABLE = {
    "truncate": 'TRUNCATE "{t}"',
    "disable-trigger": 'ALTER TABLE "{t}" DISABLE TRIGGER ALL',
    "no-force-rls": 'ALTER TABLE "{t}" NO FORCE ROW LEVEL SECURITY',
    "disable-rls": 'ALTER TABLE "{t}" DISABLE ROW LEVEL SECURITY',
    "create-policy": 'CREATE POLICY open_door ON "{t}" USING (true)',
    "drop-policy": 'DROP POLICY tenant_isolation ON "{t}"',
    "alter-policy": 'ALTER POLICY tenant_isolation ON "{t}" USING (true)',
    "create-trigger": (
        'CREATE TRIGGER t BEFORE INSERT ON "{t}" FOR EACH ROW '
        "EXECUTE FUNCTION audit_event_append_only()"
    ),
    "drop-table": 'DROP TABLE "{t}"',
    "add-column": 'ALTER TABLE "{t}" ADD COLUMN x int',
    "change-owner": f'ALTER TABLE "{{t}}" OWNER TO {RUNTIME_ROLE}',
}
REFUSED_ON_THE_AUDIT_LOG = {
    "update": "UPDATE audit_auditevent SET action = 'tampered'",
    "delete": "DELETE FROM audit_auditevent",
    "drop-trigger": "DROP TRIGGER audit_event_append_only ON audit_auditevent",
    "replace-function": (
        "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END; $$"
    ),
}
REFUSAL = r"permission denied|must be owner"


def _fetch(query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query, params or [])
        return list(cursor.fetchall())


def _refused(statement: str) -> None:
    with (
        pytest.raises(DatabaseError, match=REFUSAL),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


def test_the_app_connects_as_the_runtime_role(db: None) -> None:
    [(user, superuser, bypassrls, createdb, createrole, member_of_owner)] = _fetch(
        "SELECT current_user, rolsuper, rolbypassrls, rolcreatedb, rolcreaterole, "
        "pg_has_role(current_user, %s, 'MEMBER') FROM pg_roles WHERE rolname = current_user",
        [OWNER_ROLE],
    )
    assert user == RUNTIME_ROLE
    assert (superuser, bypassrls, createdb, createrole, member_of_owner) == (False,) * 5


def test_runtime_role_owns_nothing_and_cannot_create(db: None) -> None:
    owned = _fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) <> %s",
        [OWNER_ROLE],
    )
    assert owned == [], "every relation in public belongs to the schema owner"
    assert _fetch("SELECT has_schema_privilege(current_user, 'public', 'CREATE')") == [(False,)]
    _refused("CREATE TABLE sneaky (id int)")


@pytest.mark.parametrize("table", sorted(TENANT_TABLES))
@pytest.mark.parametrize("statement", sorted(REFUSED_ON_EVERY_TENANT_TABLE))
def test_runtime_role_cannot_weaken_a_tenant_table(db: None, table: str, statement: str) -> None:
    _refused(REFUSED_ON_EVERY_TENANT_TABLE[statement].format(t=table))


@pytest.mark.parametrize("statement", sorted(REFUSED_ON_THE_AUDIT_LOG))
def test_runtime_role_cannot_rewrite_the_audit_log(tenant_a: TenantWorld, statement: str) -> None:
    with tenant_scope(tenant_a.tenant.pk):
        _refused(REFUSED_ON_THE_AUDIT_LOG[statement])


def test_every_table_grants_exactly_the_runtime_privileges(db: None) -> None:
    tables = [r[0] for r in _fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    assert set(TENANT_TABLES) <= set(tables)
    wrong = {}
    for table in tables:
        held = tuple(
            p
            for p in ALL_TABLE_PRIVILEGES
            if _fetch("SELECT has_table_privilege(current_user, %s, %s)", [table, p])[0][0]
        )
        if held != runtime_privileges(table):
            wrong[table] = held
    assert wrong == {}
    assert runtime_privileges("audit_auditevent") == ("SELECT", "INSERT")
    assert runtime_privileges("people_employee") == RUNTIME_TABLE_PRIVILEGES


def test_normal_dml_works_and_row_level_security_still_binds(
    tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    with tenant_scope(tenant_a.tenant.pk):
        department = Department.objects.create(tenant=tenant_a.tenant, name="Audit-proof")
        Department.objects.filter(pk=department.pk).update(name="Renamed")
        assert Department.objects.get(pk=department.pk).name == "Renamed"
        Department.objects.filter(pk=department.pk).delete()
        assert not Department.objects.filter(pk=department.pk).exists()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE people_department SET name = 'x' WHERE tenant_id = %s",
                [tenant_b.tenant.pk],
            )
            assert cursor.rowcount == 0


def _owner_conninfo(suite: SuitePostgres) -> str:
    return suite.server.url(
        user=suite.database.owner,
        password=suite.database.owner_password,
        dbname=connection.settings_dict["NAME"],
    )


def test_tables_created_by_later_migrations_are_granted_by_default(
    db: None, postgres_server: SuitePostgres
) -> None:
    """Default privileges: a table the owner creates is the runtime role's at once."""
    with psycopg.connect(_owner_conninfo(postgres_server)) as conn:
        conn.execute("CREATE TABLE later_migration (id bigint GENERATED BY DEFAULT AS IDENTITY)")
        rows = conn.execute(
            "SELECT p, has_table_privilege(%s, 'later_migration', p) FROM unnest(%s::text[]) AS p",
            [RUNTIME_ROLE, list(ALL_TABLE_PRIVILEGES)],
        ).fetchall()
        sequence = conn.execute(
            "SELECT has_sequence_privilege(%s, pg_get_serial_sequence('later_migration', 'id'), "
            "'USAGE')",
            [RUNTIME_ROLE],
        ).fetchone()
        conn.rollback()
    assert {p for p, held in rows if held} == set(RUNTIME_TABLE_PRIVILEGES)
    assert sequence == (True,)


def test_grants_converge_after_drift(db: None, postgres_server: SuitePostgres) -> None:
    """Re-applying is idempotent and takes back anything granted by hand."""
    with psycopg.connect(_owner_conninfo(postgres_server)) as conn:
        conn.execute(f"GRANT TRUNCATE, UPDATE, DELETE ON audit_auditevent TO {RUNTIME_ROLE}")
        runtime_grants(conn, LAYOUT)
        runtime_grants(conn, LAYOUT)
        held = conn.execute(
            "SELECT p FROM unnest(%s::text[]) AS p "
            "WHERE has_table_privilege(%s, 'audit_auditevent', p)",
            [list(ALL_TABLE_PRIVILEGES), RUNTIME_ROLE],
        ).fetchall()
        conn.rollback()
    assert [p for (p,) in held] == ["SELECT", "INSERT"]


@contextmanager
def _master_database(suite: SuitePostgres, suffix: str) -> Iterator[dict[str, str]]:
    """A database owned by a non-superuser master with CREATEROLE (what RDS's master user
    is), on a cluster with an ``rds_iam`` role as RDS has."""
    server = suite.server
    name = f"{suffix}_{os.getpid()}"
    master, password = f"master_{suffix}_{os.getpid()}", secrets.token_urlsafe(16)
    postgres_create_role(server, name=master, password=password)
    with psycopg.connect(server.superuser_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER ROLE {} CREATEROLE").format(sql.Identifier(master)))
        conn.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') "
            "THEN CREATE ROLE rds_iam NOLOGIN; END IF; END $$"
        )
    postgres_create_database(server, name=name, owner=master)
    try:
        yield {"url": server.url(user=master, password=password, dbname=name), "master": master}
    finally:
        with psycopg.connect(server.superuser_conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(master)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(master)))
            conn.execute("DROP ROLE IF EXISTS rds_iam")


@pytest.fixture
def legacy_database(postgres_server: SuitePostgres) -> Iterator[dict[str, str]]:
    """As deployed before the split: the master user owns every object."""
    with _master_database(postgres_server, "legacy") as database:
        with psycopg.connect(database["url"], autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE people_employee (id bigserial PRIMARY KEY, tenant_id bigint)"
            )
            conn.execute("CREATE TABLE audit_auditevent (id bigint GENERATED ALWAYS AS IDENTITY)")
            conn.execute("CREATE SEQUENCE free_standing")
            conn.execute(
                "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql "
                "AS $$ BEGIN RETURN NULL; END; $$"
            )
        yield database


def _manage(url: str, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "app.settings.local",
        "DATABASE_URL": url,
        "DATABASE_OWNER_ROLE": OWNER_ROLE,
        "DATABASE_RUNTIME_ROLE": RUNTIME_ROLE,
        **extra_env,
    }
    return subprocess.run(
        [sys.executable, str(REPO / "app" / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )


@pytest.mark.slow
def test_db_roles_command_converts_a_master_owned_database(
    legacy_database: dict[str, str],
) -> None:
    dry = _manage(legacy_database["url"], "db_roles")
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout
    assert f"would check role {OWNER_ROLE}" in dry.stdout
    with psycopg.connect(legacy_database["url"]) as conn:
        [(owner,)] = conn.execute(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'people_employee'"
        ).fetchall()
    assert owner == legacy_database["master"], "a dry run changes nothing"

    for _ in range(2):  # the Job runs it on every release
        applied = _manage(legacy_database["url"], "db_roles", "--apply", "--runtime-auth", "iam")
        assert applied.returncode == 0, applied.stderr
    with psycopg.connect(legacy_database["url"]) as conn:
        owners = dict(
            conn.execute(
                "SELECT relname, pg_get_userbyid(relowner) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
                "AND c.relkind IN ('r', 'S')"
            ).fetchall()
        )
        [(function_owner,)] = conn.execute(
            "SELECT pg_get_userbyid(proowner) FROM pg_proc "
            "WHERE proname = 'audit_event_append_only'"
        ).fetchall()
        privileges = conn.execute(
            "SELECT has_table_privilege(%(r)s, 'people_employee', 'DELETE'), "
            "has_table_privilege(%(r)s, 'audit_auditevent', 'DELETE'), "
            "has_table_privilege(%(r)s, 'audit_auditevent', 'INSERT'), "
            "has_schema_privilege(%(r)s, 'public', 'CREATE'), "
            "has_schema_privilege(%(o)s, 'public', 'CREATE'), "
            "pg_has_role(%(r)s, 'rds_iam', 'MEMBER')",
            {"r": RUNTIME_ROLE, "o": OWNER_ROLE},
        ).fetchone()
    assert set(owners.values()) == {OWNER_ROLE}, owners
    assert {"people_employee", "people_employee_id_seq", "free_standing"} <= set(owners)
    assert function_owner == OWNER_ROLE
    assert privileges == (True, False, True, False, True, True)


def test_db_roles_refuses_a_runtime_role_that_bypasses_rls(
    legacy_database: dict[str, str], postgres_server: SuitePostgres
) -> None:
    with psycopg.connect(postgres_server.server.superuser_conninfo(), autocommit=True) as conn:
        conn.execute(f"ALTER ROLE {RUNTIME_ROLE} BYPASSRLS")
    try:
        result = _manage(legacy_database["url"], "db_roles", "--apply")
    finally:
        with psycopg.connect(postgres_server.server.superuser_conninfo(), autocommit=True) as conn:
            conn.execute(f"ALTER ROLE {RUNTIME_ROLE} NOBYPASSRLS")
    assert result.returncode != 0
    assert f"role {RUNTIME_ROLE} has BYPASSRLS" in result.stderr


def test_bootstrap_refuses_iam_without_rds(db: None, postgres_server: SuitePostgres) -> None:
    with psycopg.connect(postgres_server.server.superuser_conninfo()) as conn:
        conn.execute("DROP ROLE IF EXISTS rds_iam")
        with pytest.raises(RuntimeError, match="rds_iam does not exist"):
            roles_bootstrap(conn, LAYOUT, runtime_iam=True)
        conn.rollback()


@pytest.mark.slow
def test_the_migration_jobs_steps_leave_the_owner_owning_everything(
    postgres_server: SuitePostgres,
) -> None:
    """db_roles --apply as the master, then migrate as the master acting as the owner."""
    with _master_database(postgres_server, "job") as database:
        applied = _manage(database["url"], "db_roles", "--apply", "--runtime-auth", "iam")
        assert applied.returncode == 0, applied.stderr
        migrated = _manage(
            database["url"],
            "migrate",
            "--noinput",
            DJANGO_SETTINGS_MODULE="app.settings.production",
            SECRET_KEY=secrets.token_urlsafe(64),
            ALLOWED_HOSTS="x",
            DATABASE_SSLMODE="disable",  # the local server speaks no TLS; RDS forces it
            DATABASE_ASSUME_ROLE=OWNER_ROLE,
        )
        assert migrated.returncode == 0, migrated.stderr
        with psycopg.connect(database["url"]) as conn:
            owners = dict(
                conn.execute(
                    "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S', 'i')"
                ).fetchall()
            )
            audit = conn.execute(
                "SELECT p FROM unnest(%s::text[]) AS p "
                "WHERE has_table_privilege(%s, 'audit_auditevent', p)",
                [list(ALL_TABLE_PRIVILEGES), RUNTIME_ROLE],
            ).fetchall()
    assert set(TENANT_TABLES) <= set(owners)
    assert set(owners.values()) == {OWNER_ROLE}
    # The post-migrate grants narrowed what default privileges gave the new audit table.
    assert [p for (p,) in audit] == ["SELECT", "INSERT"]
