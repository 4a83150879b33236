"""Credential format: alphanumeric keys API Gateway accepts; keys issued before still work."""

from __future__ import annotations

import hashlib
import secrets

from rest_framework.test import APIClient

from app.core.logging import redact_text
from app.tenants.credentials import (
    EDGE_KEY_VALUE,
    credential_is_legacy,
    credential_issue,
    credential_parse,
)
from app.tenants.models import TenantApiKey
from tests.app.factories import TenantWorld


def test_new_keys_are_what_api_gateway_accepts_as_a_key_value() -> None:
    for kind in ("hk", "ut"):
        issued = credential_issue(kind=kind)
        assert EDGE_KEY_VALUE.match(issued.plaintext), issued.plaintext
        assert len(issued.plaintext) == 54
        assert credential_parse(issued.plaintext, kind=kind) == issued.prefix
        assert not credential_is_legacy(issued.plaintext)
    assert credential_parse(credential_issue(kind="ut").plaintext, kind="hk") is None


def test_secrets_do_not_repeat() -> None:
    assert len({credential_issue(kind="hk").plaintext[11:] for _ in range(200)}) == 200


def test_a_key_issued_in_the_old_format_still_authenticates(tenant_a: TenantWorld) -> None:
    prefix = secrets.token_hex(4)
    legacy = f"hk_{prefix}.{secrets.token_urlsafe(32)}"
    assert not EDGE_KEY_VALUE.match(legacy)  # why the format changed
    assert credential_is_legacy(legacy)
    TenantApiKey.objects.create(
        tenant=tenant_a.tenant,
        name="legacy",
        prefix=prefix,
        key_hash=hashlib.sha256(legacy.encode()).hexdigest(),
    )
    client = APIClient()
    client.credentials(
        HTTP_X_API_KEY=legacy, HTTP_AUTHORIZATION=f"Bearer {tenant_a.logins['admin'].token}"
    )
    assert client.get("/api/v1/employees/").status_code == 200


def test_both_formats_are_redacted_from_logs() -> None:
    new = credential_issue(kind="hk").plaintext
    old = f"ut_{secrets.token_hex(4)}.{secrets.token_urlsafe(32)}"
    text = redact_text(f"key {new} token={old}")
    assert new not in text
    assert old not in text
