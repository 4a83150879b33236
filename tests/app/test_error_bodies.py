"""Every error the app answers has a JSON body, including the ones DRF never sees."""

from __future__ import annotations

import pytest
from django.test import Client

from app.people import selectors
from tests.app.factories import TenantWorld


def _assert_json(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.content[:300]  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/json"  # type: ignore[index]
    body = response.json()  # type: ignore[attr-defined]
    assert isinstance(body, dict)
    assert "detail" in body
    return body


@pytest.mark.parametrize(
    "path", ["/nowhere", "/api/v1/nowhere/", "/api/v2/employees/", "/static/x"]
)
def test_unknown_url_is_json_404(db: None, path: str) -> None:
    assert _assert_json(Client().get(path), 404) == {"detail": "Not found."}


def test_bad_host_is_json_400(db: None) -> None:
    response = Client().get("/api/v1/employees/", HTTP_HOST="evil.example")
    assert _assert_json(response, 400) == {"detail": "Invalid Host header."}


def test_oversized_body_outside_the_api_is_json_413(db: None) -> None:
    # The admin login form is parsed by Django itself (CSRF reads request.POST).
    body = "a=" + "x" * (70 * 1024)
    response = Client().post(
        "/admin/login/", body, content_type="application/x-www-form-urlencoded"
    )
    assert _assert_json(response, 413) == {"detail": "Request body is too large."}


def test_unhandled_exception_is_json_500(
    tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(**_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "department_list", boom)
    client = Client(raise_request_exception=False)
    response = client.get(
        "/api/v1/departments/",
        HTTP_X_API_KEY=tenant_a.api_key,
        HTTP_AUTHORIZATION=f"Bearer {tenant_a.logins['admin'].token}",
    )
    body = _assert_json(response, 500)
    assert "boom" not in str(body)
