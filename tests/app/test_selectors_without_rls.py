"""Layer 1 of isolation alone: selectors and the token lookup filter by tenant themselves.

``make serve`` runs on SQLite, where these filters are the only guard. Here the runtime
role gets BYPASSRLS for the one test, so a selector that dropped its tenant filter would
return the other tenant's rows instead of being rescued by row-level security. The
request path's key and token lookup is also run on SQLite itself, where it takes the
ORM selectors instead of the one-message lookup.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, connections
from django.db.utils import load_backend

from app.core.errors import NotFoundError
from app.leave.models import LeaveRequest
from app.leave.selectors import (
    leave_request_get,
    leave_request_list,
    leave_type_get,
    leave_type_list,
)
from app.people.models import Employee
from app.people.selectors import (
    department_get,
    department_list,
    employee_get,
    employee_list,
    employee_of,
)
from app.ratelimit.runtime import reset_runtime
from app.settings.base import database_from_env
from app.tenants.credentials import credential_parse
from app.tenants.selectors import membership_from_token, request_credentials
from app.tenants.services import tenant_api_key_revoke
from tests.app.factories import TenantWorld, build_tenant
from tests.fixtures.postgres_server import SuitePostgres


def _set_bypass(suite: SuitePostgres, on: bool) -> None:
    flag = "BYPASSRLS" if on else "NOBYPASSRLS"
    with psycopg.connect(suite.server.superuser_conninfo(), autocommit=True) as conn:
        conn.execute(f'ALTER ROLE "{suite.app_role}" {flag}')  # role name from the fixture


@pytest.fixture
def rls_bypassed(
    postgres_server: SuitePostgres, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> Iterator[None]:
    _set_bypass(postgres_server, True)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user")
            assert cursor.fetchone() == (True,)
        yield
    finally:
        _set_bypass(postgres_server, False)


def _proves_rls_is_out_of_the_way() -> None:
    # Without a tenant bound, RLS would show nothing; both tenants' rows prove it is off.
    tenants = set(Employee.objects.values_list("tenant_id", flat=True))
    assert len(tenants) == 2


@pytest.mark.usefixtures("rls_bypassed")
def test_people_selectors_filter_by_tenant(tenant_a: TenantWorld, tenant_b: TenantWorld) -> None:
    _proves_rls_is_out_of_the_way()
    for role in ("admin", "hr", "manager", "employee"):
        actor = tenant_a.logins[role].membership
        assert {e.tenant_id for e in employee_list(actor=actor)} == {tenant_a.tenant.pk}, role
        assert employee_of(actor=actor) == tenant_a.employee(role)
    hr = tenant_a.logins["hr"].membership
    assert employee_list(actor=hr).count() == len(tenant_a.logins)
    assert {d.tenant_id for d in department_list(actor=hr)} == {tenant_a.tenant.pk}
    assert department_list(actor=hr).count() == 2
    with pytest.raises(NotFoundError):
        employee_get(actor=hr, employee_id=tenant_b.employee("employee").pk)
    assert tenant_b.department is not None
    with pytest.raises(NotFoundError):
        department_get(actor=hr, department_id=tenant_b.department.pk)


@pytest.mark.usefixtures("rls_bypassed")
def test_leave_selectors_filter_by_tenant(tenant_a: TenantWorld, tenant_b: TenantWorld) -> None:
    _proves_rls_is_out_of_the_way()
    assert tenant_b.leave_type is not None
    assert tenant_b.leave_request is not None
    for role in ("hr", "manager", "employee"):
        actor = tenant_a.logins[role].membership
        requests = leave_request_list(actor=actor)
        assert {r.tenant_id for r in requests} == {tenant_a.tenant.pk}, role
        with pytest.raises(NotFoundError):
            leave_request_get(actor=actor, request_id=tenant_b.leave_request.pk)
    hr = tenant_a.logins["hr"].membership
    assert [t.tenant_id for t in leave_type_list(actor=hr)] == [tenant_a.tenant.pk]
    with pytest.raises(NotFoundError):
        leave_type_get(actor=hr, leave_type_id=tenant_b.leave_type.pk)
    assert LeaveRequest.objects.count() == 2


@pytest.mark.usefixtures("rls_bypassed")
def test_token_lookup_is_bound_to_the_tenant(tenant_a: TenantWorld, tenant_b: TenantWorld) -> None:
    token_b = tenant_b.logins["admin"].token
    assert membership_from_token(tenant=tenant_a.tenant, token=token_b) is None
    found = membership_from_token(tenant=tenant_b.tenant, token=token_b)
    assert found == tenant_b.logins["admin"].membership
    # The request path's one-message lookup joins on the key's tenant itself.
    crossed = request_credentials(api_key=tenant_a.api_key, token=token_b)
    assert crossed.tenant == tenant_a.tenant
    assert crossed.membership is None
    own = request_credentials(api_key=tenant_b.api_key, token=token_b)
    assert own.membership == tenant_b.logins["admin"].membership
    # Same over HTTP: tenant A's key with tenant B's token is refused.
    client = tenant_a.client("admin")
    client.credentials(HTTP_X_API_KEY=tenant_a.api_key, HTTP_AUTHORIZATION=f"Bearer {token_b}")
    assert client.get("/api/v1/employees/").status_code == 401


def test_bypass_ends_with_the_test(postgres_server: SuitePostgres, db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False,)


@pytest.fixture
def sqlite_default(tmp_path: Path, django_db_blocker: Any) -> Iterator[None]:
    """``make serve``'s database for one test: SQLite as the settings configure it from
    ``DATABASE_URL``, migrated, in place of the suite's PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'hrms-local.sqlite3'}"
    settings_dict = connections.configure_settings({"default": database_from_env(url)})["default"]
    postgres = connections["default"]
    sqlite = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
    connections["default"] = sqlite
    try:
        with django_db_blocker.unblock():
            call_command("migrate", verbosity=0)
            yield
    finally:
        sqlite.close()
        connections["default"] = postgres
        # Ids read from SQLite, not the suite's database: content types, the limiter's state.
        ContentType.objects.clear_cache()
        reset_runtime()


@pytest.mark.usefixtures("sqlite_default")
def test_key_and_token_lookup_on_sqlite() -> None:
    assert connection.vendor == "sqlite"
    tenant_a, tenant_b = build_tenant("acme"), build_tenant("globex")
    own, other = tenant_a.logins["admin"], tenant_b.logins["admin"]
    found = request_credentials(api_key=tenant_a.api_key, token=own.token)
    assert (found.tenant, found.membership) == (tenant_a.tenant, own.membership)
    assert found.membership is not None
    assert found.membership.user == own.membership.user
    crossed = request_credentials(api_key=tenant_a.api_key, token=other.token)
    assert (crossed.tenant, crossed.membership) == (tenant_a.tenant, None)
    no_token = request_credentials(api_key=tenant_a.api_key, token=None)
    assert (no_token.tenant, no_token.membership) == (tenant_a.tenant, None)
    key = tenant_a.api_key
    wrong_secret = key[:-1] + ("A" if key[-1] != "A" else "B")  # same prefix, other hash
    wrong_key = request_credentials(api_key=wrong_secret, token=own.token)
    assert (wrong_key.tenant, wrong_key.membership) == (None, None)
    # Over HTTP too, as ``make serve`` answers.
    assert tenant_a.client("admin").get("/api/v1/employees/").status_code == 200
    client = tenant_a.client("admin")
    client.credentials(HTTP_X_API_KEY=tenant_a.api_key, HTTP_AUTHORIZATION=f"Bearer {other.token}")
    assert client.get("/api/v1/employees/").status_code == 401
    prefix = credential_parse(tenant_a.api_key, kind="hk")
    assert prefix is not None
    tenant_api_key_revoke(tenant=tenant_a.tenant, prefix=prefix)
    revoked = request_credentials(api_key=tenant_a.api_key, token=own.token)
    assert (revoked.tenant, revoked.membership) == (None, None)
