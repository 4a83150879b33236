"""API key and bearer token resolved in one message, with both isolation layers in it.

``request_credentials`` must answer exactly as the two ORM selectors it replaces on the
request path (``tenant_from_api_key``, then ``membership_from_token`` in the tenant's
scope), and each isolation layer must hold on its own: the joins filter by the key's
tenant (checked with row-level security bypassed, tests/app/test_selectors_without_rls.py)
and row-level security is bound only for a key whose hash matches (checked here with the
joins' tenant filters removed). Where nothing defers the binding (server-side binding
here; SQLite in tests/app/test_selectors_without_rls.py) it takes the selectors
themselves, and must answer the same.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.backends.postgresql.base import ServerBindingCursor
from django.utils import timezone

from app.core.rls import current_db_tenant_id, tenant_scope
from app.people.models import EmploymentStatus
from app.tenants import selectors
from app.tenants.credentials import credential_parse
from app.tenants.models import AccessToken, Membership
from app.tenants.selectors import (
    RequestCredentials,
    membership_from_token,
    request_credentials,
    tenant_from_api_key,
)
from app.tenants.services import (
    access_token_create,
    membership_create,
    tenant_api_key_revoke,
    user_get_or_create,
)
from tests.app.factories import TenantWorld


def _by_selectors(api_key: str, token: str | None) -> RequestCredentials:
    tenant = tenant_from_api_key(api_key=api_key)
    membership = None
    if tenant is not None and token is not None:
        with tenant_scope(tenant.pk):
            membership = membership_from_token(tenant=tenant, token=token)
    return RequestCredentials(tenant=tenant, membership=membership)


def _same(found: RequestCredentials, expected: RequestCredentials) -> None:
    assert found.tenant == expected.tenant
    assert found.membership == expected.membership
    if found.membership is not None and expected.membership is not None:
        assert found.membership.tenant == found.tenant
        # The relations the request reads come with it, as select_related gave them.
        assert found.membership.user == expected.membership.user
        assert getattr(found.membership, "employee", None) == getattr(
            expected.membership, "employee", None
        )


def _wrong_secret(credential: str) -> str:
    return credential[:-1] + ("A" if credential[-1] != "A" else "B")


def _expire(world: TenantWorld) -> None:
    with tenant_scope(world.tenant.pk):
        AccessToken.objects.filter(membership=world.logins["admin"].membership).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )


def _revoke(world: TenantWorld) -> None:
    with tenant_scope(world.tenant.pk):
        AccessToken.objects.filter(membership=world.logins["admin"].membership).update(
            revoked_at=timezone.now()
        )


def _terminate(world: TenantWorld) -> None:
    with tenant_scope(world.tenant.pk):
        employee = world.employee("admin")
        employee.employment_status = EmploymentStatus.TERMINATED
        employee.save()


def _deactivate_membership(world: TenantWorld) -> None:
    with tenant_scope(world.tenant.pk):
        Membership.objects.filter(pk=world.logins["admin"].membership.pk).update(is_active=False)


def _deactivate_user(world: TenantWorld) -> None:
    get_user_model().objects.filter(pk=world.logins["admin"].membership.user_id).update(
        is_active=False
    )


def _revoke_api_key(world: TenantWorld) -> None:
    prefix = credential_parse(world.api_key, kind="hk")
    assert prefix is not None
    tenant_api_key_revoke(tenant=world.tenant, prefix=prefix)


CHANGES = pytest.mark.parametrize(
    "change",
    [None, _expire, _revoke, _terminate, _deactivate_membership, _deactivate_user, _revoke_api_key],
    ids=[
        "valid",
        "expired",
        "revoked",
        "terminated",
        "inactive-member",
        "inactive-user",
        "revoked-key",
    ],
)


def _answers_as_the_selectors(
    tenant_a: TenantWorld, tenant_b: TenantWorld, change: Callable[[TenantWorld], None] | None
) -> None:
    if change is not None:
        change(tenant_a)
    key, token = tenant_a.api_key, tenant_a.logins["admin"].token
    cases = [
        (key, token),
        (key, None),
        (key, "not-a-token"),
        (key, _wrong_secret(token)),
        (key, tenant_b.logins["admin"].token),  # another tenant's token
        (key, key),  # the API key as a token
        (_wrong_secret(key), token),
        (tenant_b.api_key, token),
    ]
    for api_key, bearer in cases:
        expected = _by_selectors(api_key, bearer)
        _same(request_credentials(api_key=api_key, token=bearer), expected)
    if change is None:
        assert request_credentials(api_key=key, token=token).membership is not None
    if change is _revoke_api_key:
        assert request_credentials(api_key=key, token=token).tenant is None


@CHANGES
def test_one_message_answers_as_the_selectors(
    tenant_a: TenantWorld, tenant_b: TenantWorld, change: Callable[[TenantWorld], None] | None
) -> None:
    _answers_as_the_selectors(tenant_a, tenant_b, change)


@pytest.fixture
def server_side_binding(db: None) -> Iterator[None]:
    """The connection as Django opens it with ``OPTIONS["server_side_binding"]``: no
    ``TenantBindingCursor``, so nothing defers the binding and ``request_credentials``
    takes the two selectors, the token lookup bound to the key's tenant by a statement
    of its own."""
    raw = connection.connection
    options = connection.settings_dict["OPTIONS"]
    factory, before = raw.cursor_factory, options.get("server_side_binding")
    raw.cursor_factory = ServerBindingCursor
    options["server_side_binding"] = True
    try:
        assert not connection.defers_tenant_binding
        yield
    finally:
        raw.cursor_factory = factory
        if before is None:
            del options["server_side_binding"]
        else:
            options["server_side_binding"] = before


@CHANGES
@pytest.mark.usefixtures("server_side_binding")
def test_without_deferred_binding_it_answers_as_the_selectors(
    tenant_a: TenantWorld, tenant_b: TenantWorld, change: Callable[[TenantWorld], None] | None
) -> None:
    _answers_as_the_selectors(tenant_a, tenant_b, change)


def test_inside_a_transaction_the_binding_ends_with_the_lookup(tenant_a: TenantWorld) -> None:
    """Inside a transaction the lookup runs in a savepoint rolled back after it: the rest of
    the transaction is not left bound to the key's tenant."""
    with transaction.atomic():
        found = request_credentials(api_key=tenant_a.api_key, token=tenant_a.logins["hr"].token)
        assert found.membership == tenant_a.logins["hr"].membership
        assert current_db_tenant_id() is None
        assert not AccessToken.objects.exists()  # row-level security shows no tenant's rows


def test_the_loaded_rows_are_bound_to_their_database(tenant_a: TenantWorld) -> None:
    """Built from the row as the ORM builds its instances: a relation Django checks for
    being on one database (a many-to-many add) accepts them."""
    found = request_credentials(api_key=tenant_a.api_key, token=tenant_a.logins["hr"].token)
    assert found.membership is not None
    user = found.membership.user
    group = Group.objects.create(name="auditors")
    user.groups.add(group)
    assert list(get_user_model().objects.get(pk=user.pk).groups.all()) == [group]


def test_login_without_an_employee_record(
    tenant_a: TenantWorld, django_assert_num_queries: Callable[[int], Any]
) -> None:
    with tenant_scope(tenant_a.tenant.pk):
        membership = membership_create(
            tenant=tenant_a.tenant, user=user_get_or_create(username="ops@acme"), role="admin"
        )
        token = access_token_create(membership=membership, name="ops").plaintext
    found = request_credentials(api_key=tenant_a.api_key, token=token)
    assert found.membership == membership
    with django_assert_num_queries(0):  # known to be absent, as select_related leaves it
        assert not hasattr(found.membership, "employee")


def test_binding_only_for_a_key_whose_hash_matches(tenant_a: TenantWorld) -> None:
    binding = selectors._credentials_sql().binding
    key = tenant_a.api_key
    prefix = key[3:11]
    for api_key, bound in ((key, tenant_a.tenant.pk), (_wrong_secret(key), None)):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(binding, [prefix, selectors.credential_hash(api_key)])
            assert current_db_tenant_id() == bound


def test_row_level_security_alone_guards_the_lookup(
    tenant_a: TenantWorld, tenant_b: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements = selectors._credentials_sql()
    # Layer 1 removed: no join filters by the key's tenant any more.
    unfiltered = statements.lookup
    for alias in ("a", "m", "e"):
        unfiltered = unfiltered.replace(f"ON {alias}.tenant_id = k.tenant_id AND ", "ON ")
    assert "tenant_id = k.tenant_id" not in unfiltered
    # A new text is a new prepared statement, not the one already on the connection.
    without_layer_1 = dataclasses.replace(statements, lookup=unfiltered)
    assert without_layer_1.name != statements.name
    monkeypatch.setattr(selectors, "_credentials_sql", lambda: without_layer_1)
    own = request_credentials(api_key=tenant_a.api_key, token=tenant_a.logins["admin"].token)
    assert own.membership == tenant_a.logins["admin"].membership
    other_token = tenant_b.logins["admin"].token
    crossed = request_credentials(api_key=tenant_a.api_key, token=other_token)
    assert crossed.tenant == tenant_a.tenant
    assert crossed.membership is None  # tenant B's token row is invisible under A's binding
    wrong_key = request_credentials(
        api_key=_wrong_secret(tenant_a.api_key), token=tenant_a.logins["admin"].token
    )
    assert wrong_key == RequestCredentials(tenant=None, membership=None)


def test_the_prepared_lookup_answers_each_tenant_once_planned_generically(
    tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    """Planned once per connection; after five runs PostgreSQL may switch to a generic
    plan, whose row-level security still reads the binding of each run."""
    for _ in range(6):
        for world, other in ((tenant_a, tenant_b), (tenant_b, tenant_a)):
            found = request_credentials(api_key=world.api_key, token=world.logins["hr"].token)
            assert found.tenant == world.tenant
            assert found.membership == world.logins["hr"].membership
            crossed = request_credentials(api_key=world.api_key, token=other.logins["hr"].token)
            assert crossed.tenant == world.tenant
            assert crossed.membership is None
    name = selectors._credentials_sql().name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements"
            " WHERE name = %s",
            [name],
        )
        (statement, runs), *others = cursor.fetchall()
    assert others == []  # prepared once on this connection
    assert "tenants_accesstoken" in statement
    assert runs >= 24
