"""Readiness checks: database reachable, migrations applied, cache reachable when configured.

Readiness answers one question: can this pod serve requests? A failed check takes the pod
out of the Service, and every pod shares the same dependencies, so a dependency the app
works around (Redis while the rate limiter fails open) must not fail readiness: that would
turn a degraded API into no API. Such a dependency is reported as ``degraded`` instead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

OK = "ok"
DEGRADED = "degraded"
FAIL = "fail"


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    ok: bool
    detail: str
    # A failed check the pod can serve without (the limiter fails open without Redis).
    degraded: bool = False

    @property
    def status(self) -> str:
        if self.ok:
            return OK
        return DEGRADED if self.degraded else FAIL

    def as_dict(self) -> dict[str, str]:
        return {"status": self.status, "detail": self.detail}


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        # The exception class only: messages can contain host names and user names.
        return CheckResult(ok=False, detail=f"unreachable ({type(exc).__name__})")
    return CheckResult(ok=True, detail=connection.vendor)


def check_migrations() -> CheckResult:
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return CheckResult(ok=False, detail=f"cannot read migration state ({type(exc).__name__})")
    if plan:
        return CheckResult(ok=False, detail=f"{len(plan)} migrations not applied")
    return CheckResult(ok=True, detail="up to date")


def check_cache() -> CheckResult | None:
    if not settings.REDIS_URL:
        return None
    key = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=5)
        value = cache.get(key)
        cache.delete(key)
    except Exception as exc:  # redis-py raises several unrelated types on network errors
        return CheckResult(ok=False, detail=f"unreachable ({type(exc).__name__})")
    if value != "1":
        return CheckResult(ok=False, detail="write was not readable")
    return CheckResult(ok=True, detail="redis")


def _cache_is_fail_open() -> bool:
    """Redis only stops the pod serving when the limiter refuses requests without it."""
    from app.ratelimit.conf import load_settings

    return load_settings().fail_open


@dataclass(frozen=True, kw_only=True)
class Readiness:
    ready: bool
    status: str  # "ok", "degraded" (serving without a fail-open dependency) or "unavailable"
    degraded: tuple[str, ...]
    checks: dict[str, dict[str, str]]


def readiness() -> Readiness:
    results: dict[str, CheckResult] = {"database": check_database()}
    if results["database"].ok:
        results["migrations"] = check_migrations()
    else:
        results["migrations"] = CheckResult(ok=False, detail="skipped: database unreachable")
    cache_result = check_cache()
    if cache_result is not None:
        if not cache_result.ok and _cache_is_fail_open():
            cache_result = CheckResult(
                ok=False, detail=f"{cache_result.detail}; rate limiter fails open", degraded=True
            )
        results["cache"] = cache_result
    failed = [name for name, r in results.items() if r.status == FAIL]
    degraded = tuple(name for name, r in results.items() if r.status == DEGRADED)
    status = "unavailable" if failed else (DEGRADED if degraded else OK)
    return Readiness(
        ready=not failed,
        status=status,
        degraded=degraded,
        checks={name: r.as_dict() for name, r in results.items()},
    )
