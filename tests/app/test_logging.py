"""Structured JSON logs carry request and tenant ids and never credentials."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from app.core.logging import JsonFormatter, RedactSecretsFilter, RequestContextFilter
from tests.app.factories import TenantWorld


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """The production handler chain (formatter + filters) on the root logger, into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    handler.addFilter(RedactSecretsFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def _records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_request_log_has_request_and_tenant_ids(
    tenant_a: TenantWorld, log_stream: io.StringIO
) -> None:
    response = tenant_a.client("admin").get(
        "/api/v1/employees/?last_name=secret-search", HTTP_X_REQUEST_ID="req-12345678"
    )
    # The server makes its own id; the caller's is logged beside it.
    assert response["X-Request-ID"] != "req-12345678"
    requests = [r for r in _records(log_stream) if r["logger"] == "app.request"]
    assert len(requests) == 1
    line = requests[0]
    assert line["request_id"] == response["X-Request-ID"]
    assert line["client_request_id"] == "req-12345678"
    assert line["tenant_id"] == tenant_a.tenant.pk
    assert line["status"] == 200
    assert line["path"] == "/api/v1/employees/"  # no query string
    raw = log_stream.getvalue()
    assert tenant_a.api_key not in raw
    assert tenant_a.logins["admin"].token not in raw
    assert "secret-search" not in raw


def test_unsafe_inbound_request_id_is_replaced(
    tenant_a: TenantWorld, log_stream: io.StringIO
) -> None:
    response = tenant_a.client("admin").get("/api/v1/employees/", HTTP_X_REQUEST_ID='x"\n{evil}')
    assert response["X-Request-ID"] != 'x"\n{evil}'
    assert len(response["X-Request-ID"]) == 32
    assert "evil" not in log_stream.getvalue()


def test_credentials_are_redacted_everywhere(
    tenant_a: TenantWorld, log_stream: io.StringIO
) -> None:
    key, token = tenant_a.api_key, tenant_a.logins["hr"].token
    logger = logging.getLogger("app.test")
    logger.warning("login with %s failed", token, extra={"api_key": key, "note": f"key={key}"})
    logger.info(f"Authorization: Bearer {token}")
    try:
        raise ValueError(f"bad key {key}")
    except ValueError:
        logger.exception("boom")
    raw = log_stream.getvalue()
    assert key not in raw
    assert token not in raw
    records = _records(log_stream)
    assert records[0]["api_key"] == "[REDACTED]"
    assert "[REDACTED]" in str(records[0]["message"])
    assert "[REDACTED]" in str(records[2]["exc_info"])


def test_rejected_requests_are_logged_without_credentials(
    tenant_a: TenantWorld, log_stream: io.StringIO
) -> None:
    client = tenant_a.client("admin")
    client.credentials(HTTP_X_API_KEY=tenant_a.api_key, HTTP_AUTHORIZATION="Bearer ut_deadbeef.x")
    assert client.get("/api/v1/employees/").status_code == 401
    raw = log_stream.getvalue()
    assert '"status": 401' in raw
    assert tenant_a.api_key not in raw
