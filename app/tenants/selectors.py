"""Read paths for tenants and credentials."""

from __future__ import annotations

import functools
import hashlib
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, models, transaction
from django.utils import timezone

from app.core.rls import SETTING, tenant_bound_statement
from app.people.models import Employee, EmploymentStatus
from app.tenants.credentials import credential_hash, credential_matches, credential_parse
from app.tenants.models import AccessToken, Membership, Tenant, TenantApiKey


def tenant_from_api_key(*, api_key: str) -> Tenant | None:
    """The tenant owning an unrevoked ``api_key``; works before any tenant scope exists."""
    prefix = credential_parse(api_key, kind="hk")
    if prefix is None:
        return None
    row = (
        TenantApiKey.objects.select_related("tenant")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if row is None or not credential_matches(api_key, row.key_hash):
        return None
    return row.tenant


def membership_from_token(*, tenant: Tenant, token: str) -> Membership | None:
    """The active membership in ``tenant`` that ``token`` belongs to.

    Checked on every request, so access ends with the next request once the membership
    or user is deactivated or the linked employee is terminated. Must run inside the
    tenant's scope: the token table is under row-level security.
    """
    prefix = credential_parse(token, kind="ut")
    if prefix is None:
        return None
    row = (
        AccessToken.objects.for_tenant(tenant)
        .select_related("membership__user", "membership__employee")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if row is None or not credential_matches(token, row.key_hash):
        return None
    return _membership_if_current(row.membership, expires_at=row.expires_at)


def _membership_if_current(
    membership: Membership, *, expires_at: datetime | None
) -> Membership | None:
    if expires_at is not None and expires_at <= timezone.now():
        return None
    if not membership.is_active or not membership.user.is_active:
        return None
    employee = getattr(membership, "employee", None)  # logins without an HR record have none
    if employee is not None and employee.employment_status == EmploymentStatus.TERMINATED:
        return None
    return membership


@dataclass(frozen=True, kw_only=True)
class RequestCredentials:
    """What a request's API key and bearer token resolve to (None: absent or not valid)."""

    tenant: Tenant | None
    membership: Membership | None


def request_credentials(*, api_key: str, token: str | None) -> RequestCredentials:
    """The tenant of ``api_key`` and the membership ``token`` authenticates in it, together.

    The same answers as ``tenant_from_api_key`` followed by ``membership_from_token`` in
    the tenant's scope. On PostgreSQL with ``app.core.db_backend`` both are one message
    (docs/performance.md): the first statement binds row-level security to the tenant
    whose key matches prefix *and* hash, the second reads key, tenant and token row under
    that binding while also filtering every tenant-owned table by the key's tenant
    itself, so both isolation layers stay. Outside a transaction PostgreSQL runs the two
    as one implicit transaction and the binding ends with it; inside one (tests) they
    run in a savepoint that is rolled back, which ends the binding as well.
    """
    if credential_parse(api_key, kind="hk") is None:
        return RequestCredentials(tenant=None, membership=None)
    connection = connections["default"]
    if connection.vendor == "postgresql":
        connection.ensure_connection()
    if not getattr(connection, "defers_tenant_binding", False):
        tenant = tenant_from_api_key(api_key=api_key)
        membership = None
        if tenant is not None and token is not None:
            with tenant_bound_statement(tenant.pk):
                membership = membership_from_token(tenant=tenant, token=token)
        return RequestCredentials(tenant=tenant, membership=membership)
    if connection.get_autocommit():
        return _credentials_in_one_message(api_key, token)
    with transaction.atomic():
        found = _credentials_in_one_message(api_key, token)
        transaction.set_rollback(True)  # ends the binding with the savepoint
    return found


_Columns = list[tuple[type[models.Model], list[str]]]


@dataclass(frozen=True)
class CredentialsLookup:
    """The two statements of the lookup, and the models its row holds."""

    binding: str  # %s: the key's prefix and hash
    lookup: str  # $1: the token's prefix, $2: the key's
    parts: _Columns

    @property
    def name(self) -> str:
        # Named after its text: a changed lookup is a new statement, never a stale one.
        return "hrms_credentials_" + hashlib.sha256(self.lookup.encode()).hexdigest()[:16]

    @property
    def prepare(self) -> str:
        return f"PREPARE {self.name} (text, text) AS {self.lookup}"

    @property
    def message(self) -> str:
        return f"{self.binding}; EXECUTE {self.name}(%s, %s)"


# The lookup is prepared once per connection: planning its six-way join with row-level
# security cost PostgreSQL about 0.8 ms per request, running it about 0.13 ms.
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


@functools.cache
def _credentials_sql() -> CredentialsLookup:
    q = connections["default"].ops.quote_name
    user_model = get_user_model()
    parts: _Columns = []
    select: list[str] = ['k."key_hash"', 'a."key_hash"', 'a."expires_at"']
    for alias, model in (("t", Tenant), ("m", Membership), ("u", user_model), ("e", Employee)):
        fields = model._meta.concrete_fields
        select += [f"{alias}.{q(str(f.column))}" for f in fields]
        parts.append((model, [f.attname for f in fields]))
    # Only model metadata is formatted in; every value is a parameter.
    binding = (
        f"SELECT set_config('{SETTING}', COALESCE((SELECT tenant_id::text FROM "  # noqa: S608
        f"{q(TenantApiKey._meta.db_table)} WHERE prefix = %s AND key_hash = %s "
        "AND revoked_at IS NULL), ''), true)"
    )
    # Each tenant-owned table is joined on the key's tenant (layer 1) and read under the
    # binding above (layer 2, row-level security).
    lookup = (
        f"SELECT {', '.join(select)} FROM {q(TenantApiKey._meta.db_table)} k "  # noqa: S608
        f"JOIN {q(Tenant._meta.db_table)} t ON t.id = k.tenant_id "
        f"LEFT JOIN {q(AccessToken._meta.db_table)} a ON a.tenant_id = k.tenant_id "
        "AND a.prefix = $1 AND a.revoked_at IS NULL "
        f"LEFT JOIN {q(Membership._meta.db_table)} m ON m.tenant_id = k.tenant_id "
        "AND m.id = a.membership_id "
        f"LEFT JOIN {q(user_model._meta.db_table)} u ON u.id = m.user_id "
        f"LEFT JOIN {q(Employee._meta.db_table)} e ON e.tenant_id = k.tenant_id "
        "AND e.membership_id = m.id "
        "WHERE k.prefix = $2 AND k.revoked_at IS NULL"
    )
    return CredentialsLookup(binding=binding, lookup=lookup, parts=parts)


def _credentials_in_one_message(api_key: str, token: str | None) -> RequestCredentials:
    key_prefix = credential_parse(api_key, kind="hk")
    token_prefix = None if token is None else credential_parse(token, kind="ut")
    statements = _credentials_sql()
    parts = statements.parts
    connection = connections["default"]
    raw = connection.connection
    prepared = _prepared.setdefault(raw, set())
    if statements.name not in prepared:
        # On psycopg's connection, so no binding rides with it. A prepared statement
        # outlives a rollback and lives as long as the session.
        raw.execute(statements.prepare)
        prepared.add(statements.name)
    with connection.cursor() as cursor:
        params = [key_prefix, credential_hash(api_key.strip()), token_prefix, key_prefix]
        cursor.execute(statements.message, params)
        cursor.nextset()  # the binding's own result
        row = cursor.fetchone()
    if row is None:
        return RequestCredentials(tenant=None, membership=None)
    key_hash, token_hash, expires_at = row[:3]
    if not credential_matches(api_key, key_hash):
        return RequestCredentials(tenant=None, membership=None)
    instances: list[Any] = []
    start = 3
    for model, attnames in parts:
        values = row[start : start + len(attnames)]
        start += len(attnames)
        missing = values[attnames.index(model._meta.pk.attname)] is None  # an unmatched join
        instances.append(None if missing else model.from_db(connection.alias, attnames, values))
    tenant, membership, user, employee = instances
    if token is None or token_hash is None or not credential_matches(token, token_hash):
        return RequestCredentials(tenant=tenant, membership=None)
    # The relations the request reads, cached as select_related would have.
    Membership.tenant.field.set_cached_value(membership, tenant)
    Membership.user.field.set_cached_value(membership, user)
    Membership.employee.related.set_cached_value(membership, employee)
    return RequestCredentials(
        tenant=tenant, membership=_membership_if_current(membership, expires_at=expires_at)
    )
