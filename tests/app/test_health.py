"""Liveness touches nothing; readiness reports each dependency and answers 503 when one fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client, override_settings

from app.settings.base import cache_from_env
from scripts.local_services.postgres import free_port


def test_healthz_needs_no_database() -> None:
    # No ``db`` fixture: pytest-django fails any database access in this test.
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_only_answers_get(db: None) -> None:
    assert Client().post("/healthz").status_code == 405


def test_readyz_ok_with_database_and_migrations(db: None) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"status": "ok", "detail": "postgresql"}
    assert body["checks"]["migrations"]["status"] == "ok"
    assert "cache" not in body["checks"]  # no REDIS_URL configured


def test_readyz_503_when_migrations_pending(db: None) -> None:
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        # The app's latest migration: the check compares against the graph's leaves.
        cursor.execute(
            "DELETE FROM django_migrations WHERE id = "
            "(SELECT max(id) FROM django_migrations WHERE app = 'audit')"
        )
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["migrations"] == {"status": "fail", "detail": "1 migrations not applied"}


@pytest.fixture
def redis_cache(redis_url: str) -> Iterator[str]:
    with override_settings(REDIS_URL=redis_url, CACHES=cache_from_env(redis_url)):
        yield redis_url


@pytest.mark.redis
def test_readyz_checks_redis_when_configured(db: None, redis_cache: str) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["cache"] == {"status": "ok", "detail": "redis"}


def test_readyz_503_when_redis_unreachable(db: None) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    with override_settings(REDIS_URL=dead, CACHES=cache_from_env(dead)):
        response = Client().get("/readyz")
    assert response.status_code == 503
    cache = response.json()["checks"]["cache"]
    assert cache["status"] == "fail"
    assert cache["detail"].startswith("unreachable")
    assert "127.0.0.1" not in cache["detail"]


PROBE_HOST = "10.30.33.17:30080"  # what an NLB health check or kubelet sends: the target IP


@override_settings(ALLOWED_HOSTS=["api.hrms.example.com"])
def test_probes_answer_callers_that_send_the_target_ip_as_host(db: None) -> None:
    assert Client().get("/healthz", HTTP_HOST=PROBE_HOST).status_code == 200
    assert Client().get("/readyz", HTTP_HOST=PROBE_HOST).status_code == 200


@override_settings(ALLOWED_HOSTS=["api.hrms.example.com"])
def test_host_validation_still_applies_to_everything_else(db: None) -> None:
    assert Client().get("/api/v1/employees/", HTTP_HOST=PROBE_HOST).status_code == 400
    assert Client().get("/api/schema/", HTTP_HOST=PROBE_HOST).status_code == 400
    # Only GET probes skip the check; other methods take the normal path.
    assert Client().post("/healthz", HTTP_HOST=PROBE_HOST).status_code == 400
