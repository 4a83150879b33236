"""PostgreSQL backend: per-connection passwords, and the round trips a request needs kept few.

Settings: ``"ENGINE": "app.core.db_backend"`` and optionally ``"PASSWORD_SOURCE":
{"kind": "rds-iam", "region": ...}`` or ``{"kind": "file", "path": ...}``; everything
else as for ``django.db.backends.postgresql``. On top of Django's backend:

* The row-level security binding (``app.core.rls.set_db_tenant``) is not a statement of
  its own: it is sent in front of the transaction's next statement, in the same round
  trip, so it still runs before anything else the transaction does. A binding with no
  statement after it is dropped at commit or rollback, never carried into another
  transaction.
* Read requests run in autocommit (``app.core.rls.read_scope``): there the binding,
  made read-only, goes in front of *every* statement, and the two run as one implicit
  transaction that ends with the message, so nothing of it is left on the server; the
  scope forgets it when it closes. No BEGIN or COMMIT for a read.
* ``timestamptz`` values are parsed by psycopg's C loader (``timestamps.py``).
* The per-request health check (``SELECT 1``) is skipped when the connection answered a
  statement or committed within the last ``HEALTH_CHECK_GRACE_S``: under load every
  request would otherwise pay a round trip to learn what the previous one just proved.
  A connection that broke inside that second fails its request, which marks it
  unusable, and Django replaces it before the next one.
"""

from __future__ import annotations

import time
from typing import Any

from django.db.backends.postgresql import base
from psycopg import sql

from app.core.db_backend.timestamps import with_c_parsed_timestamps
from app.core.db_credentials import connection_password

HEALTH_CHECK_GRACE_S = 1.0
# Django's psycopg 3 client-side-binding cursor; the stubs do not describe it.
_ClientCursor: Any = base.Cursor


class TenantBindingCursor(_ClientCursor):  # type: ignore[misc]
    """psycopg's client-side-binding cursor that sends a pending binding with the next statement."""

    wrapper: DatabaseWrapper | None = None

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        binding = self.wrapper.tenant_binding_take() if self.wrapper is not None else None
        if binding is None:
            result = super().execute(query, params, **kwargs)
        else:
            if isinstance(query, sql.Composable):
                query = query.as_string(self)
            if not isinstance(query, str):  # bytes: send the binding on its own
                if self.wrapper is not None and self.wrapper.autocommit:
                    # Alone, it would end with its own implicit transaction.
                    raise TypeError("a bound statement outside a transaction must be str")
                super().execute(binding)
                return super().execute(query, params, **kwargs)
            # Client-side binding sends both statements in one message; the binding's own
            # result comes first and is skipped, so callers see only their statement's.
            super().execute(f"{binding}; {query}", params, **kwargs)
            self.nextset()
            result = self
        if self.wrapper is not None:
            self.wrapper.answered()
        return result

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> Any:
        binding = self.wrapper.tenant_binding_take() if self.wrapper is not None else None
        if binding is not None:
            if self.wrapper is not None and self.wrapper.autocommit:
                # Each statement would be its own implicit transaction, the binding gone.
                raise RuntimeError("executemany outside a transaction cannot carry the binding")
            super().execute(binding)
        return super().executemany(query, params_seq, **kwargs)


class DatabaseWrapper(base.DatabaseWrapper):
    _tenant_binding: str | None = None  # for this transaction's next statement
    _read_binding: str | None = None  # read scope: each statement, or transaction, in it
    _in_read_scope: bool = False
    _answered_at: float = float("-inf")

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        if "context" in params:  # Django's adapters for psycopg 3
            params["context"] = with_c_parsed_timestamps(params["context"], self.timezone)
        source = self.settings_dict.get("PASSWORD_SOURCE")
        if source:
            # Called for every new connection (CONN_MAX_AGE ends them, or a health check
            # finds one broken), so a rotated credential is picked up without a restart.
            params["password"] = connection_password(
                source,
                host=str(params.get("host") or ""),
                port=int(params.get("port") or 5432),
                user=str(params.get("user") or ""),
            )
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if connection.cursor_factory is base.Cursor:  # not with server-side binding
            connection.cursor_factory = TenantBindingCursor
        return connection

    def create_cursor(self, name: str | None = None) -> Any:
        if name is not None and self.autocommit and self._read_binding is not None:
            # A WITH HOLD cursor is declared by a statement the binding cannot ride with.
            raise RuntimeError("a server-side cursor in a read request needs transaction.atomic()")
        if name is not None and self._tenant_binding is not None:
            # A server-side cursor (QuerySet.iterator) is not ours: bind before it opens.
            self.connection.execute(self.tenant_binding_take())
        cursor = super().create_cursor(name)
        if isinstance(cursor, TenantBindingCursor):
            cursor.wrapper = self
        return cursor

    # The row-level security binding (app/core/rls.py).
    @property
    def defers_tenant_binding(self) -> bool:
        return self.connection is not None and self.connection.cursor_factory is TenantBindingCursor

    @property
    def supports_read_scope(self) -> bool:
        """Whether connections get ``TenantBindingCursor`` (not with server-side binding)."""
        return not self.settings_dict.get("OPTIONS", {}).get("server_side_binding")

    def tenant_binding_defer(self, statement: str) -> None:
        """Send ``statement`` (a literal ``SELECT set_config(...)``) with the next one."""
        self._tenant_binding = statement

    def tenant_binding_take(self) -> str | None:
        binding, self._tenant_binding = self._tenant_binding, None
        if binding is None and self.autocommit:
            return self._read_binding  # kept: every statement of the scope carries it
        return binding

    @property
    def in_read_scope(self) -> bool:
        return self._in_read_scope

    def read_scope_open(self) -> None:
        if self._in_read_scope:
            raise RuntimeError("read scopes do not nest")
        self._in_read_scope = True

    def read_scope_bind(self, statement: str) -> None:
        """From now on ``statement`` rides with each statement the scope sends outside a
        transaction, and starts any transaction the scope opens."""
        if not self._in_read_scope:
            raise RuntimeError("read_scope_bind outside a read scope")
        self._read_binding = statement

    def read_scope_close(self) -> None:
        self._in_read_scope = False
        self._read_binding = None

    def answered(self) -> None:
        self._answered_at = time.monotonic()

    def _set_autocommit(self, autocommit: bool) -> None:
        super()._set_autocommit(autocommit)  # type: ignore[misc]
        if not autocommit and self._read_binding is not None:
            # transaction.atomic inside a read request: bound, and read-only, as well.
            self._tenant_binding = self._read_binding

    def _commit(self) -> None:
        self._tenant_binding = None
        super()._commit()  # type: ignore[misc]
        self.answered()

    def _rollback(self) -> None:
        self._tenant_binding = None
        super()._rollback()  # type: ignore[misc]

    def _savepoint_rollback(self, sid: str) -> None:
        # A binding deferred inside the savepoint would have been undone with it.
        self._tenant_binding = None
        super()._savepoint_rollback(sid)  # type: ignore[misc]

    def _close(self) -> None:
        self._tenant_binding = None
        super()._close()  # type: ignore[misc]

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled  # type: ignore[attr-defined]
            and not self.health_check_done
            and time.monotonic() - self._answered_at < HEALTH_CHECK_GRACE_S
        ):
            self.health_check_done: bool = True
            return
        super().close_if_health_check_failed()
