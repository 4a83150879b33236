"""``tenant offboard``: export round-trips, every tenant-owned row erased (seen by a superuser).

Committed transactions (``transactional_db``): the erasure runs on its own connection as
the schema owner, which cannot see a test's uncommitted rows.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import sql

from app.core.errors import ConflictError
from app.core.rls import tenant_scope
from app.leave.services import leave_balance_get_or_create
from app.ratelimit.services import tenant_limit_override_set
from app.tenants import lifecycle
from app.tenants.edge import EdgeError, TenantEdge
from app.tenants.models import Tenant, TenantErasure, TenantStatus
from app.tenants.offboarding import export_verify, tenant_export, tenant_owned_models
from tests.app.factories import TenantWorld, build_tenant
from tests.app.test_tenant_lifecycle import FailingClient, edge_keys, tenant_cmd
from tests.fixtures.apigateway_server import EdgeStack
from tests.fixtures.postgres_server import SuitePostgres

pytestmark = pytest.mark.django_db(transaction=True)


def superuser(pg: SuitePostgres) -> psycopg.Connection[Any]:
    """Sees every row: superusers bypass row-level security."""
    return psycopg.connect(pg.server.superuser_conninfo(connection.settings_dict["NAME"]))


def owner_url(pg: SuitePostgres) -> str:
    """The schema owner's URL: erasure lifts the audit trigger, which only the owner may."""
    db = pg.database
    return db.server.url(
        user=db.owner, password=db.owner_password, dbname=connection.settings_dict["NAME"]
    )


def tenant_tables(pg: SuitePostgres) -> set[str]:
    with superuser(pg) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'tenant_id'"
        ).fetchall()
    return {r[0] for r in rows}


def rows_by_table(pg: SuitePostgres, tenant_id: int) -> dict[str, list[int]]:
    with superuser(pg) as conn:
        return {
            table: [
                r[0]
                for r in conn.execute(
                    sql.SQL("SELECT id FROM {} WHERE tenant_id = %s ORDER BY id").format(
                        sql.Identifier(table)
                    ),
                    [tenant_id],
                ).fetchall()
            ]
            for table in sorted(tenant_tables(pg))
        }


def populate(world: TenantWorld) -> None:
    """Rows in every tenant-owned table, the audit log included."""
    tenant = world.tenant
    with tenant_scope(tenant.pk):
        assert world.leave_type is not None
        leave_balance_get_or_create(
            employee=world.employee("employee"), leave_type=world.leave_type, year=2031
        )
    tenant_limit_override_set(tenant=tenant, set_by="ops", reason="pilot", burst=99)
    lifecycle.tenant_token_issue(
        slug=tenant.slug, email=f"x@{tenant.slug}.test", role="hr", operator="ops"
    )


@pytest.fixture
def worlds() -> tuple[TenantWorld, TenantWorld]:
    acme, globex = build_tenant("acme"), build_tenant("globex")
    populate(acme)
    populate(globex)
    return acme, globex


def test_every_table_with_a_tenant_column_is_covered(postgres_server: SuitePostgres) -> None:
    discovered = {m._meta.db_table for m in tenant_owned_models()}
    assert discovered == tenant_tables(postgres_server)


def test_offboarding_exports_then_erases_only_that_tenant(
    worlds: tuple[TenantWorld, TenantWorld], postgres_server: SuitePostgres, tmp_path: Path
) -> None:
    acme, globex = worlds
    before = rows_by_table(postgres_server, acme.tenant.pk)
    assert all(before.values()), f"fixture leaves a table empty: {before}"
    globex_before = rows_by_table(postgres_server, globex.tenant.pk)

    export = tmp_path / "acme-export"
    result = tenant_cmd(
        "offboard",
        "--slug",
        "acme",
        "--export",
        str(export),
        "--owner-url",
        owner_url(postgres_server),
    )
    assert result["status"] == "offboarded"

    # Nothing of acme is left anywhere, as a superuser sees it (not through RLS).
    assert rows_by_table(postgres_server, acme.tenant.pk) == {t: [] for t in before}
    assert rows_by_table(postgres_server, globex.tenant.pk) == globex_before
    assert globex.client("admin").get("/api/v1/employees/").status_code == 200
    with superuser(postgres_server) as conn:
        users = conn.execute("SELECT username FROM auth_user WHERE username LIKE '%%@acme%%'")
        assert users.fetchall() == []

    # The export round-trips: counts and checksums match, every erased row is in it.
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["tenant"] == "acme"
    assert export_verify(directory=export) == {
        k: v["count"] for k, v in manifest["entities"].items()
    }
    for model in tenant_owned_models():
        entry = manifest["entities"][model._meta.label_lower]
        path = export / entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        pks = [json.loads(line)["pk"] for line in path.read_text().splitlines()]
        # Exactly what was erased: the rows seen before, plus the offboarding's own audit event.
        assert len(pks) == result["row_counts"][model._meta.db_table], model._meta.label
        assert set(before[model._meta.db_table]) <= set(pks), model._meta.label
        assert "key_hash" not in path.read_text()
    assert result["row_counts"]["people_employee"] == len(before["people_employee"])

    # The tombstone: who, when, counts; no personal data.
    tomb = TenantErasure.objects.get(tenant_slug="acme")
    assert tomb.erased_by == "ops@test"
    assert tomb.row_counts == result["row_counts"]
    assert tomb.row_counts["audit_auditevent"] == len(before["audit_auditevent"]) + 1
    assert (
        tomb.export_manifest_sha256
        == hashlib.sha256((export / "manifest.json").read_bytes()).hexdigest()
    )
    assert "@" not in json.dumps(tomb.row_counts)
    assert Tenant.objects.get(slug="acme").status == TenantStatus.OFFBOARDED

    # Re-running is harmless, and the audit log is append-only again.
    assert tenant_cmd("offboard", "--slug", "acme", "--no-export")["changed"] is False
    with superuser(postgres_server) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("DELETE FROM audit_auditevent WHERE tenant_id = %s", [globex.tenant.pk])


def test_offboarding_refuses_without_export_or_no_export(worlds: Any) -> None:
    with pytest.raises(CommandError, match="--export --no-export is required"):
        call_command(
            "tenant", "offboard", "--slug", "acme", stdout=io.StringIO(), stderr=io.StringIO()
        )
    assert Tenant.objects.get(slug="acme").status == TenantStatus.ACTIVE


def test_erasure_needs_the_schema_owner(
    worlds: tuple[TenantWorld, TenantWorld], postgres_server: SuitePostgres
) -> None:
    """The runtime role, even with DML on every table, cannot lift the audit trigger."""
    acme, _ = worlds
    before = rows_by_table(postgres_server, acme.tenant.pk)
    name, password = "hrms_runtime_probe", secrets.token_urlsafe(16)
    db = connection.settings_dict["NAME"]
    with psycopg.connect(postgres_server.server.superuser_conninfo(db), autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(password)
            )
        )
        conn.execute(
            sql.SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
            ).format(sql.Identifier(name))
        )
    s = connection.settings_dict
    runtime_url = f"postgresql://{name}:{password}@{s['HOST']}:{s['PORT']}/{db}"
    try:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner"):
            lifecycle.tenant_offboard(
                slug="acme", operator="ops", export_dir=None, owner_url=runtime_url
            )
        after = rows_by_table(postgres_server, acme.tenant.pk)
        # Nothing half-erased (the only new row is the audit event of the suspension).
        assert all(set(before[t]) <= set(after[t]) for t in before), after
        with pytest.raises(CommandError, match="schema owner"):
            tenant_cmd("offboard", "--slug", "acme", "--no-export")
    finally:
        with psycopg.connect(
            postgres_server.server.superuser_conninfo(db), autocommit=True
        ) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def test_offboarding_failing_at_the_edge_converges_on_retry(
    postgres_server: SuitePostgres, edge_stack: EdgeStack, tmp_path: Path
) -> None:
    onboarded = tenant_cmd(
        "onboard",
        "--slug",
        "acme",
        "--name",
        "Acme",
        "--tier",
        "starter",
        "--admin-email",
        "a@acme.test",
        edge=edge_stack,
    )
    assert onboarded["api_key"]
    edge = TenantEdge(
        stack=edge_stack.stack, client=FailingClient(edge_stack.client, "delete_api_key")
    )
    with pytest.raises(EdgeError):
        lifecycle.tenant_offboard(
            slug="acme",
            operator="ops",
            export_dir=tmp_path / "x",
            owner_url=owner_url(postgres_server),
            edge=edge,
        )
    # The app is erased; the edge key is still there, but disabled.
    assert Tenant.objects.get(slug="acme").status == TenantStatus.OFFBOARDED
    (key,) = edge_keys(edge_stack, "acme")
    assert key["enabled"] is False
    result = tenant_cmd("offboard", "--slug", "acme", "--no-export", edge=edge_stack)
    assert result["edge"]["deleted"] == [onboarded["api_key"][3:11]]
    assert edge_keys(edge_stack, "acme") == []
    assert all(
        not ids
        for ids in rows_by_table(postgres_server, Tenant.objects.get(slug="acme").pk).values()
    )


def test_export_retries_over_an_interrupted_export_and_refuses_foreign_files(
    worlds: tuple[TenantWorld, TenantWorld], tmp_path: Path
) -> None:
    acme, _ = worlds
    export = tmp_path / "acme"
    export.mkdir()
    (export / "people.employee.jsonl").write_text("half a line")  # a run that died mid-write
    manifest = tenant_export(tenant=acme.tenant, directory=export, operator="ops")
    assert manifest.counts["people.employee"] == 5
    assert export_verify(directory=export) == manifest.counts
    assert {p.stat().st_mode & 0o777 for p in export.iterdir()} == {0o600}

    (export / "notes.txt").write_text("someone else's")
    with pytest.raises(ConflictError, match="other files"):
        tenant_export(tenant=acme.tenant, directory=export, operator="ops")
    (export / "notes.txt").unlink()
    (export / "tenants.membership.jsonl").write_text("tampered\n")
    with pytest.raises(ConflictError, match="does not match its manifest"):
        export_verify(directory=export)
