"""Request id propagation and one structured log line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from app.core.context import client_request_id_var, request_id_var, tenant_id_var

logger = logging.getLogger("app.request")

REQUEST_ID_HEADER = "X-Request-ID"
# Inbound ids are echoed into logs and headers, so only a safe alphabet is accepted.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Our id is always generated here: a caller-chosen id could collide with another
        # request's (or be replayed) and so mislead whoever follows it through the logs and
        # the audit log. A well-formed inbound id is kept beside it for the caller's sake.
        inbound = request.headers.get(REQUEST_ID_HEADER, "")
        client_request_id = inbound if _VALID_REQUEST_ID.match(inbound) else None
        request_id = uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        request.client_request_id = client_request_id  # type: ignore[attr-defined]
        rid_token = request_id_var.set(request_id)
        client_token = client_request_id_var.set(client_request_id)
        tenant_token = tenant_id_var.set(None)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            logger.info(
                "request",
                extra={
                    "http_method": request.method,
                    # The path only: query strings may carry search terms with personal data.
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            return response
        finally:
            tenant_id_var.reset(tenant_token)
            client_request_id_var.reset(client_token)
            request_id_var.reset(rid_token)
