"""Process-wide limiter objects, built lazily from settings and rebuilt when they change."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from app.ratelimit.backends import Limiter
from app.ratelimit.conf import RateLimitSettings, load_settings
from app.ratelimit.limits import Limits
from app.ratelimit.metrics import MetricEmitter
from app.ratelimit.models import TenantLimitOverride
from app.ratelimit.outage import OutageTracker
from app.tenants.models import Tenant


class LimitsCache:
    """Effective limits per tenant with the override lookup cached for ``ttl_s``.

    Keeps the database off the hot path; the tier is read from the request's tenant
    each time and override expiry is checked on every call, so only a newly set
    override can take up to ``ttl_s`` to reach other processes. The effective
    ``Limits`` is built once per lookup, not per request.
    """

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        # tenant id -> (looked up at, tier, active override or None, limits it yields)
        self._entries: dict[int, tuple[float, str, TenantLimitOverride | None, Limits]] = {}

    def get(self, tenant: Tenant) -> Limits:
        now = self._clock()
        entry = self._entries.get(tenant.pk)  # a dict read is atomic; writes take the lock
        if entry is None or now - entry[0] >= self.ttl_s or entry[1] != tenant.tier:
            entry = self._refresh(tenant, now)
        override = entry[2]
        if override is not None and not override.is_active(timezone.now()):
            return tier_limits(tenant.tier)
        return entry[3]

    def _refresh(
        self, tenant: Tenant, now: float
    ) -> tuple[float, str, TenantLimitOverride | None, Limits]:
        from app.ratelimit.selectors import tenant_limit_override_active

        override = tenant_limit_override_active(tenant_id=tenant.pk)
        base = tier_limits(tenant.tier)
        entry = (now, tenant.tier, override, override.apply(base) if override else base)
        with self._lock:
            self._entries[tenant.pk] = entry
        return entry

    def invalidate(self, tenant_id: int | None = None) -> None:
        with self._lock:
            if tenant_id is None:
                self._entries.clear()
            else:
                self._entries.pop(tenant_id, None)


@functools.cache
def tier_limits(tier: str) -> Limits:
    """The tier's limits; the catalog is fixed for the life of the process."""
    return Limits.for_tier_name(tier)


def build_limiter(cfg: RateLimitSettings) -> Limiter | None:
    if cfg.backend == "off":
        return None
    if cfg.backend == "memory":
        from app.ratelimit.backends.memory import MemoryLimiter

        return MemoryLimiter()
    if cfg.backend == "django-ratelimit":
        from app.ratelimit.backends.fixed_window import FixedWindowLimiter

        return FixedWindowLimiter()
    from app.ratelimit.backends.redis import RedisLimiter, redis_client

    assert cfg.redis_url is not None  # noqa: S101 - load_settings guarantees it
    return RedisLimiter(
        redis_client(cfg.redis_url, timeout_s=cfg.redis_timeout_s), key_prefix=cfg.key_prefix
    )


@dataclass
class Runtime:
    settings: RateLimitSettings
    limiter: Limiter | None
    outage: OutageTracker
    limits: LimitsCache
    metrics: MetricEmitter = field(default_factory=MetricEmitter)


_lock = threading.Lock()
_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    global _runtime
    current = _runtime
    if current is not None:
        return current
    with _lock:
        if _runtime is None:
            cfg = load_settings()
            _runtime = Runtime(
                settings=cfg,
                limiter=build_limiter(cfg),
                outage=OutageTracker(
                    log_interval_s=cfg.error_log_interval_s,
                    probe_interval_s=cfg.probe_interval_s,
                ),
                limits=LimitsCache(cfg.override_cache_s),
            )
        return _runtime


def reset_runtime(**_: Any) -> None:
    """Drop the cached objects so the next request rebuilds them from current settings."""
    global _runtime
    with _lock:
        old, _runtime = _runtime, None
    if old is not None and old.limiter is not None:
        client = getattr(old.limiter, "client", None)
        if client is not None:
            client.close()


def on_setting_changed(*, setting: str, **_: Any) -> None:
    if setting.startswith("TENANT_RATELIMIT_") or setting == "REDIS_URL":
        reset_runtime()
