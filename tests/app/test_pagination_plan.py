"""Cursor pages are ordered index scans that stop after one page, however deep the cursor."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest
from django.db import connection

from app.core.rls import tenant_scope
from app.people import selectors
from app.people.models import Employee
from tests.app.factories import TenantWorld, build_tenant
from tests.fixtures.postgres_server import SuitePostgres

ROWS_PER_TENANT = 20_000


def _fill(world: TenantWorld, prefix: str) -> None:
    with tenant_scope(world.tenant.pk):
        Employee.objects.bulk_create(
            Employee(
                tenant=world.tenant,
                employee_number=f"{prefix}-{i}",
                first_name="Bulk",
                last_name=f"Row{i}",
                email=f"{prefix}{i}@example.com",
                job_title="Engineer",
                hire_date=date(2020, 1, 1),
            )
            for i in range(ROWS_PER_TENANT)
        )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_deep_page_uses_the_tenant_id_index(postgres_server: SuitePostgres) -> None:
    tenant_a, tenant_b = build_tenant("acme"), build_tenant("globex")
    _fill(tenant_a, "BULKA")
    _fill(tenant_b, "BULKB")
    # Statistics as autovacuum would gather them: ANALYZE is the table owner's, not the
    # runtime role's (it would skip the table with a warning), so run it as the owner.
    owner = postgres_server.database
    url = owner.server.url(
        user=owner.owner, password=owner.owner_password, dbname=connection.settings_dict["NAME"]
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE people_employee")
    actor = tenant_a.logins["admin"].membership
    with tenant_scope(tenant_a.tenant.pk):
        ids = list(
            Employee.objects.for_tenant(tenant_a.tenant).order_by("id").values_list("id", flat=True)
        )
        deep_cursor = ids[len(ids) // 10]  # far down the "-id" ordering
        page = selectors.employee_list(actor=actor).filter(id__lt=deep_cursor).order_by("-id")[:51]
        plan = page.explain()
        assert len(list(page)) == 51
    # An ordered index scan feeding LIMIT: no full scan and no sort of the tenant's rows.
    assert "Index Scan Backward" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert "Sort" not in plan, plan
