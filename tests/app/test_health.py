"""Liveness touches nothing; readiness answers 503 only for what stops a pod serving."""

from __future__ import annotations

from collections.abc import Iterator
from unittest.mock import patch

import psycopg
import pytest
from django.db import connection
from django.test import Client, override_settings

from app.health.checks import CheckResult
from app.settings.base import cache_from_env
from scripts.local_services.postgres import free_port
from scripts.local_services.redis import RedisServer
from tests.fixtures.postgres_server import SuitePostgres


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


def test_readyz_503_when_migrations_pending(db: None, postgres_server: SuitePostgres) -> None:
    # Only the schema owner may change the migration ledger; put the row back afterwards.
    owner = postgres_server.database
    url = owner.server.url(
        user=owner.owner, password=owner.owner_password, dbname=connection.settings_dict["NAME"]
    )
    with psycopg.connect(url, autocommit=True) as conn:
        # The audit app's latest migration: the check compares against the graph's leaves.
        [(app, name, applied)] = conn.execute(
            "DELETE FROM django_migrations WHERE id = "
            "(SELECT max(id) FROM django_migrations WHERE app = 'audit') "
            "RETURNING app, name, applied"
        ).fetchall()
        row = (app, name)
        try:
            response = Client().get("/readyz")
        finally:
            conn.execute(
                "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
                [*row, applied],
            )
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


@pytest.mark.redis
def test_redis_down_with_fail_open_limiter_is_degraded_not_unready(
    db: None, disposable_redis: RedisServer
) -> None:
    """The limiter serves without Redis, so readiness must too: 503 here would pull every
    pod out of the Service at once and turn a degraded API into an outage."""
    url = disposable_redis.url
    with override_settings(
        REDIS_URL=url, CACHES=cache_from_env(url), TENANT_RATELIMIT_FAIL_OPEN=True
    ):
        assert Client().get("/readyz").json()["checks"]["cache"]["status"] == "ok"
        disposable_redis.stop()
        response = Client().get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "degraded"
    assert body["degraded"] == ["cache"]
    cache = body["checks"]["cache"]
    assert cache["status"] == "degraded"
    assert cache["detail"].startswith("unreachable")
    assert "127.0.0.1" not in cache["detail"]
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.redis
def test_redis_down_with_fail_closed_limiter_is_not_ready(
    db: None, disposable_redis: RedisServer
) -> None:
    """Fail closed answers every tenant request 503 without Redis: the pod cannot serve."""
    url = disposable_redis.url
    with override_settings(
        REDIS_URL=url, CACHES=cache_from_env(url), TENANT_RATELIMIT_FAIL_OPEN=False
    ):
        assert Client().get("/readyz").status_code == 200
        disposable_redis.stop()
        response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "degraded" not in body
    cache = body["checks"]["cache"]
    assert cache["status"] == "fail"
    assert cache["detail"].startswith("unreachable")
    assert "127.0.0.1" not in cache["detail"]


def test_database_down_is_not_ready_even_when_redis_is_degraded(db: None) -> None:
    """Degraded never hides a failure: without the database nothing can be served."""
    dead = f"redis://127.0.0.1:{free_port()}/0"
    with (
        override_settings(REDIS_URL=dead, CACHES=cache_from_env(dead)),
        patch("app.health.checks.check_database", return_value=CheckResult(ok=False, detail="x")),
    ):
        response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["degraded"] == ["cache"]


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
