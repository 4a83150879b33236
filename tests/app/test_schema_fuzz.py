"""Property-based run of every operation in the OpenAPI schema: no input yields a 5xx, and
every documented response matches the schema's body and content type."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from app.wsgi import application
from tests.app.factories import TenantWorld, build_tenant


@pytest.fixture
def api_schema(db: None) -> Iterator[object]:
    # Like Django's test client: keep the test's transaction open across WSGI calls.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(db: None) -> TenantWorld:
    return build_tenant("fuzz")


EXAMPLES_PER_OPERATION = 12
# Cheap, deterministic checks; undocumented statuses (401/404...) have nothing to compare.
CONFORMANCE_CHECKS = [response_schema_conformance, content_type_conformance]


def _fuzz(
    operation: Any, mode: GenerationMode, headers: list[dict[str, str]], failures: list[str]
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,  # a fixed, bounded run: the same cases every time
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        for role_headers in headers:
            response = case.call(headers=role_headers)
            where = f"{case.method} {case.formatted_path} ({mode.value}) -> {response.status_code}"
            if response.status_code >= 500:
                failures.append(f"{where}: {response.text[:300]}")
                continue
            try:
                case.validate_response(response, checks=CONFORMANCE_CHECKS)
            except (AssertionError, BaseExceptionGroup) as exc:  # one failure, or several
                failures.append(f"{where}: {str(exc)[:300]}")

    run()


# One test per mode: the two halves run on different workers (about a minute each).
@pytest.mark.slow
@pytest.mark.parametrize(
    "mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: str(m.value)
)
def test_no_server_errors(api_schema: Any, world: TenantWorld, mode: GenerationMode) -> None:
    """Valid (positive) or invalid (negative) inputs for every operation, as hr and as a
    plain employee."""
    headers = [
        {"X-API-Key": world.api_key, "Authorization": f"Bearer {world.logins[role].token}"}
        for role in ("hr", "employee")
    ]
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        _fuzz(operation, mode, headers, failures)
    assert failures == []


def test_schema_documents_the_api(api_schema: object, client: object) -> None:
    paths = set(api_schema.raw_schema["paths"])  # type: ignore[attr-defined]
    assert {
        "/api/v1/employees/",
        "/api/v1/departments/",
        "/api/v1/leave-requests/",
        "/api/v1/leave-requests/{id}/approve/",
        "/api/v1/leave-requests/{id}/reject/",
        "/api/v1/leave-requests/{id}/cancel/",
        "/api/v1/audit-events/",
    } <= paths
    schemes = api_schema.raw_schema["components"]["securitySchemes"]  # type: ignore[attr-defined]
    assert schemes["tenantApiKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["userToken"]["scheme"] == "bearer"


def test_docs_ui_is_served_offline(client: object) -> None:
    page = client.get("/api/docs/")  # type: ignore[attr-defined]
    assert page.status_code == 200
    html = page.content.decode()
    # Assets come from this server's static files (sidecar), never from a CDN.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn.jsdelivr.net" not in html
    assert "unpkg.com" not in html
