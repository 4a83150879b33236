"""PostgreSQL row-level security: the per-transaction tenant setting and the migration operation.

Layer 2 of tenant isolation. Every tenant-owned table gets a policy comparing its
``tenant_id`` with the transaction-local setting ``app.tenant_id``; with no setting the
policy matches nothing. Other databases (SQLite for local serving) have no RLS, so
everything here is a no-op there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

from app.core.context import tenant_id_var

SETTING = "app.tenant_id"
# NULLIF: after a transaction that set the value ends, PostgreSQL reports '' rather than NULL.
CURRENT_TENANT_SQL = f"NULLIF(current_setting('{SETTING}', true), '')::bigint"


def _is_postgres(using: str) -> bool:
    return connections[using].vendor == "postgresql"


def current_db_tenant_id(*, using: str = "default") -> int | None:
    """The tenant id row-level security currently filters on (None outside a scope)."""
    if not _is_postgres(using):
        return None
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {CURRENT_TENANT_SQL}")
        row = cursor.fetchone()
    return None if row is None else row[0]


def binding_sql(tenant_id: int | None, *, read_only: bool = False) -> str:
    """The literal statement that binds a transaction to ``tenant_id`` (None: to no tenant)."""
    value = "" if tenant_id is None else str(int(tenant_id))
    statement = f"SELECT set_config('{SETTING}', '{value}', true)"
    if read_only:
        # Going read-only is allowed at any point of a transaction; a write then fails.
        statement += ", set_config('transaction_read_only', 'on', true)"
    return statement


def set_db_tenant(tenant_id: int | None, *, using: str = "default") -> None:
    """Bind the current transaction, or the current read scope, to ``tenant_id``."""
    tenant_id_var.set(tenant_id)
    if not _is_postgres(using):
        return
    connection = connections[using]
    read_only = bool(getattr(connection, "in_read_scope", False))
    if not connection.in_atomic_block:
        if read_only:
            connection.read_scope_bind(binding_sql(tenant_id, read_only=True))  # type: ignore[attr-defined]
            return
        # Outside a transaction a local setting would vanish with the statement.
        raise RuntimeError(
            "set_db_tenant must be called inside transaction.atomic() or a read scope"
        )
    statement = binding_sql(tenant_id, read_only=read_only)
    if getattr(connection, "defers_tenant_binding", False):
        # app.core.db_backend sends it in front of the next statement, same round trip.
        connection.tenant_binding_defer(statement)  # type: ignore[attr-defined]
        return
    with connection.cursor() as cursor:
        cursor.execute(statement)


def read_scope_available(*, using: str = "default") -> bool:
    """Whether ``read_scope`` can serve reads here (``app.core.db_backend``, PostgreSQL)."""
    return bool(getattr(connections[using], "supports_read_scope", False))


@contextmanager
def read_scope(*, using: str = "default") -> Iterator[None]:
    """A read request's database scope: autocommit, every statement bound and read-only.

    Instead of BEGIN, statements, COMMIT: once ``set_db_tenant`` names the tenant, the
    backend sends the binding, with ``transaction_read_only``, in front of each
    statement, in the same message. PostgreSQL runs the two as one implicit transaction,
    so the binding ends with that message on the server (nothing carries over on a
    persistent connection), and a write fails instead of landing outside a transaction.
    Leaving the scope, normally or by an exception, forgets the tenant. A
    ``transaction.atomic`` inside the scope is bound to it, read-only too. Opened inside
    a transaction (a test's), the scope is a savepoint that is always rolled back, so
    neither the binding nor read-only outlives it there either. Needs
    ``read_scope_available()``.
    """
    connection = connections[using]
    connection.read_scope_open()  # type: ignore[attr-defined]
    try:
        if not connection.in_atomic_block:
            yield
            return
        with transaction.atomic(using=using):
            try:
                yield
            finally:
                transaction.set_rollback(True, using=using)  # reads keep nothing
    finally:
        connection.read_scope_close()  # type: ignore[attr-defined]


@contextmanager
def tenant_bound_statement(tenant_id: int, *, using: str = "default") -> Iterator[None]:
    """The block's first statement sees only ``tenant_id``'s rows; for one-query lookups.

    With ``app.core.db_backend`` outside a transaction, the binding and that statement
    go in one message, which PostgreSQL runs as one implicit transaction: one round trip
    instead of BEGIN, statement, COMMIT. Any later statement in the block is unbound and
    sees no tenant rows at all. Elsewhere this is a short ``transaction.atomic`` with
    ``set_db_tenant``, as before.
    """
    connection = connections[using]
    if _is_postgres(using):
        connection.ensure_connection()
    if getattr(connection, "defers_tenant_binding", False) and connection.get_autocommit():
        tenant_id_var.set(tenant_id)
        connection.tenant_binding_defer(binding_sql(tenant_id))  # type: ignore[attr-defined]
        try:
            yield
        finally:
            connection.tenant_binding_take()  # type: ignore[attr-defined]
        return
    with transaction.atomic(using=using):
        set_db_tenant(tenant_id, using=using)
        yield


@contextmanager
def tenant_scope(tenant_id: int, *, using: str = "default") -> Iterator[None]:
    """Run the block in a transaction whose queries see only ``tenant_id``'s rows.

    For work outside a request (seeding, ops commands, the rate limiter's override
    lookup). Restores the previous tenant on exit so nested scopes compose.
    """
    with transaction.atomic(using=using):
        previous = current_db_tenant_id(using=using)
        previous_var = tenant_id_var.get()
        set_db_tenant(tenant_id, using=using)
        try:
            yield
        finally:
            if connections[using].needs_rollback:
                tenant_id_var.set(previous_var)
            else:
                set_db_tenant(previous, using=using)
                tenant_id_var.set(previous_var)


def enable_rls_sql(table: str, *, column: str = "tenant_id") -> list[str]:
    q = f'"{table}"'
    match = f"{column} = {CURRENT_TENANT_SQL}"
    return [
        f"ALTER TABLE {q} ENABLE ROW LEVEL SECURITY",
        # FORCE binds the table owner too: the app's own role owns these tables.
        f"ALTER TABLE {q} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {q} USING ({match}) WITH CHECK ({match})",
    ]


def disable_rls_sql(table: str) -> list[str]:
    q = f'"{table}"'
    return [
        f"DROP POLICY IF EXISTS tenant_isolation ON {q}",
        f"ALTER TABLE {q} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {q} DISABLE ROW LEVEL SECURITY",
    ]


class EnableTenantRowLevelSecurity(Operation):
    """Migration operation: tenant isolation policy on ``table`` (PostgreSQL only).

    Use it in the migration that creates any table with a ``tenant_id`` column; a test
    fails for tenant-owned tables without it.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str, column: str = "tenant_id") -> None:
        self.table = table
        self.column = column

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in enable_rls_sql(self.table, column=self.column):
            schema_editor.execute(sql)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in disable_rls_sql(self.table):
            schema_editor.execute(sql)

    def describe(self) -> str:
        return f"Enable tenant row-level security on {self.table}"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.table], {"column": self.column})


def tenant_key_sql(table: str) -> list[str]:
    # A composite foreign key needs a unique key to point at; ``id`` is already unique,
    # so this adds no real constraint, only the (tenant_id, id) target.
    return [f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_tenant_key" UNIQUE (tenant_id, id)']


def same_tenant_reference_sql(table: str, column: str, target: str) -> list[str]:
    # Referential checks bypass row-level security, so a plain foreign key would accept
    # another tenant's id; pairing it with tenant_id makes the database refuse the link.
    # Checked per statement; DEFERRABLE so loaddata's SET CONSTRAINTS ALL DEFERRED works.
    return [
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_{column}_same_tenant" '
        f'FOREIGN KEY (tenant_id, "{column}") REFERENCES "{target}" (tenant_id, id) '
        "DEFERRABLE INITIALLY IMMEDIATE"
    ]


class _PostgresSql(Operation):
    """Base for schema-only operations that exist on PostgreSQL and nowhere else."""

    reversible = True
    reduces_to_sql = True

    def forwards_sql(self) -> list[str]:
        raise NotImplementedError

    def backwards_sql(self) -> list[str]:
        raise NotImplementedError

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in self.forwards_sql():
                schema_editor.execute(sql)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in self.backwards_sql():
                schema_editor.execute(sql)


class AddTenantKey(_PostgresSql):
    """Migration operation: UNIQUE (tenant_id, id) on ``table``, the target of same-tenant keys."""

    def __init__(self, table: str) -> None:
        self.table = table

    def forwards_sql(self) -> list[str]:
        return tenant_key_sql(self.table)

    def backwards_sql(self) -> list[str]:
        return [f'ALTER TABLE "{self.table}" DROP CONSTRAINT "{self.table}_tenant_key"']

    def describe(self) -> str:
        return f"Add the (tenant_id, id) key on {self.table}"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.table], {})


class RequireSameTenant(_PostgresSql):
    """Migration operation: ``table.column`` may only point at ``target`` rows of its tenant."""

    def __init__(self, table: str, column: str, target: str) -> None:
        self.table = table
        self.column = column
        self.target = target

    def forwards_sql(self) -> list[str]:
        return same_tenant_reference_sql(self.table, self.column, self.target)

    def backwards_sql(self) -> list[str]:
        name = f"{self.table}_{self.column}_same_tenant"
        return [f'ALTER TABLE "{self.table}" DROP CONSTRAINT "{name}"']

    def describe(self) -> str:
        return f"Require {self.table}.{self.column} to stay within its tenant"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.table, self.column, self.target], {})
