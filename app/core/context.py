"""Per-request context (request id, tenant id) shared with log records."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
tenant_id_var: ContextVar[int | None] = ContextVar("tenant_id", default=None)

# The tenant id on the WSGI environ (``request.META``), for gunicorn's access log line.
TENANT_ENVIRON_KEY = "hrms.tenant_id"
