"""The backup role on real PostgreSQL: reads every tenant's rows, can change nothing."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from app.core.db_roles import RoleLayout, RoleLayoutError, roles_bootstrap
from tests.app.factories import build_tenant
from tests.app.test_row_level_security import TENANT_TABLES
from tests.fixtures.postgres_server import BACKUP_ROLE, SuitePostgres

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def backup_conn(postgres_server: SuitePostgres) -> Iterator[psycopg.Connection]:
    database = connection.settings_dict["NAME"]
    url = postgres_server.server.url(
        user=BACKUP_ROLE, password=postgres_server.database.backup_password, dbname=database
    )
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn


def test_backup_role_attributes(backup_conn: psycopg.Connection) -> None:
    row = backup_conn.execute(
        "SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole, rolreplication "
        "FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert row == (False, True, False, False, False)


def test_backup_role_sees_every_tenant(backup_conn: psycopg.Connection) -> None:
    worlds = [build_tenant(slug) for slug in ("acme", "globex", "initech")]
    tenants = backup_conn.execute(
        "SELECT count(DISTINCT tenant_id) FROM people_employee"
    ).fetchone()
    assert tenants == (len(worlds),)


@pytest.mark.parametrize("table", sorted(TENANT_TABLES))
def test_backup_role_has_select_only(backup_conn: psycopg.Connection, table: str) -> None:
    privileges = backup_conn.execute(
        "SELECT privilege_type FROM information_schema.role_table_grants "
        "WHERE grantee = current_user AND table_name = %s",
        [table],
    ).fetchall()
    assert privileges == [("SELECT",)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        backup_conn.execute(f'DELETE FROM "{table}"')  # noqa: S608 - catalog table names


def test_a_master_user_without_bypassrls_gets_a_clear_error(
    postgres_server: SuitePostgres,
) -> None:
    # Like the RDS master: CREATEROLE but neither superuser nor BYPASSRLS.
    server, database = postgres_server.server, connection.settings_dict["NAME"]
    password = secrets.token_urlsafe(16)
    with psycopg.connect(server.superuser_conninfo(), autocommit=True) as su:
        su.execute(
            sql.SQL("CREATE ROLE master_like LOGIN CREATEROLE PASSWORD {}").format(
                sql.Literal(password)
            )
        )
    layout = RoleLayout(owner="hrms_owner", runtime="hrms_app", backup="hrms_backup_new")
    try:
        with (
            psycopg.connect(
                server.url(user="master_like", password=password, dbname=database),
                autocommit=True,
            ) as conn,
            pytest.raises(RoleLayoutError, match=r"BYPASSRLS.*hrms_backup_new"),
        ):
            roles_bootstrap(conn, layout, runtime_iam=False)
    finally:
        with psycopg.connect(server.superuser_conninfo(), autocommit=True) as su:
            su.execute("DROP ROLE master_like")
