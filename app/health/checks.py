"""Readiness checks: database reachable, migrations applied, cache reachable when configured."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"status": "ok" if self.ok else "fail", "detail": self.detail}


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


def readiness() -> tuple[bool, dict[str, dict[str, str]]]:
    results: dict[str, CheckResult] = {"database": check_database()}
    if results["database"].ok:
        results["migrations"] = check_migrations()
    else:
        results["migrations"] = CheckResult(ok=False, detail="skipped: database unreachable")
    cache_result = check_cache()
    if cache_result is not None:
        results["cache"] = cache_result
    ready = all(r.ok for r in results.values())
    return ready, {name: r.as_dict() for name, r in results.items()}
