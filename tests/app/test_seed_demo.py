"""``manage.py seed_demo --json``: one tenant per tier, idempotent, credentials that work."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from app.core.rls import tenant_scope
from app.people.models import Employee
from app.tenants.models import Tenant
from app.tenants.tiers import TierName

REPO = Path(__file__).resolve().parents[2]


def _seed() -> dict[str, Any]:
    out = io.StringIO()
    call_command("seed_demo", "--json", stdout=out)
    seeded: dict[str, Any] = json.loads(out.getvalue())
    return seeded


def _client(entry: dict[str, str]) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_X_API_KEY=entry["api_key"], HTTP_AUTHORIZATION=f"Bearer {entry['admin_token']}"
    )
    return client


def test_seed_creates_one_tenant_per_tier_with_working_credentials(db: None) -> None:
    data = _seed()
    assert sorted(t["tier"] for t in data["tenants"]) == sorted(t.value for t in TierName)
    for entry in data["tenants"]:
        assert set(entry) == {"slug", "tier", "api_key", "admin_token", "tokens"}
        response = _client(entry).get("/api/v1/employees/")
        assert response.status_code == 200
        assert len(response.json()["results"]) == 6
        leave = _client(entry).get("/api/v1/leave-requests/?status=pending")
        assert len(leave.json()["results"]) == 3


def test_seed_issues_a_working_token_for_every_role(db: None) -> None:
    entry = _seed()["tenants"][0]
    assert set(entry["tokens"]) == {"admin", "hr", "manager", "employee"}
    assert entry["tokens"]["admin"] == entry["admin_token"]
    seen = {}
    for role, token in entry["tokens"].items():
        response = _client({"api_key": entry["api_key"], "admin_token": token}).get(
            "/api/v1/employees/"
        )
        assert response.status_code == 200, role
        seen[role] = len(response.json()["results"])
    # Each token is that role's view: the whole tenant for admin and HR, less for the others.
    assert seen["admin"] == seen["hr"] == 6
    assert seen["employee"] < 6


def test_seed_is_idempotent_and_rotates_credentials(db: None) -> None:
    first = _seed()
    second = _seed()
    assert Tenant.objects.filter(slug__startswith="demo-").count() == len(TierName)
    for tenant in Tenant.objects.filter(slug__startswith="demo-"):
        with tenant_scope(tenant.pk):
            assert Employee.objects.count() == 6
    for old, new in zip(first["tenants"], second["tenants"], strict=True):
        assert old["slug"] == new["slug"]
        assert _client(new).get("/api/v1/employees/").status_code == 200
        # The previous demo key and token were revoked by the re-run.
        assert _client(old).get("/api/v1/employees/").status_code == 401


@pytest.mark.slow
def test_seed_works_on_a_fresh_checkout_without_a_database(tmp_path: Path) -> None:
    """No build/ directory, no tables: the documented command still prints credentials."""
    database = tmp_path / "missing-dir" / "hrms.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "app.settings.local",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, str(REPO / "app" / "manage.py"), "seed_demo", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    tenants = json.loads(result.stdout)["tenants"]  # stdout is JSON only
    assert sorted(t["tier"] for t in tenants) == sorted(t.value for t in TierName)
    assert "pending migration" in result.stderr
    assert database.exists()
