"""The limiter's settings, read once from Django settings and validated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from app.ratelimit.limits import Limits

BACKENDS = ("redis", "memory", "off", "django-ratelimit")
# The admin is for platform staff, not tenant traffic, so no tenant bucket pays for it.
# Failed authentications per tenant: enough for a member mistyping a token, far too
# few to guess one (and the tenant's own bucket and quota are never spent on them).
AUTH_FAILURE_RATE = 1.0  # per second
AUTH_FAILURE_BURST = 20
DEFAULT_EXEMPT_PATHS = ("/healthz", "/readyz", "/api/schema/", "/api/docs/", "/admin/")


@dataclass(frozen=True, kw_only=True)
class RateLimitSettings:
    backend: str  # one of BACKENDS
    redis_url: str | None
    fail_open: bool
    key_prefix: str
    exempt_paths: tuple[str, ...]
    error_log_interval_s: float
    probe_interval_s: float
    redis_timeout_s: float
    override_cache_s: float
    # Requests whose bearer token fails spend this bucket (per tenant), not the tenant's.
    auth_failure_limits: Limits


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def _positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from None
    if number < 0 or (number == 0 and not allow_zero):
        raise ImproperlyConfigured(f"{name}={value!r} must be {'>= 0' if allow_zero else '> 0'}")
    return number


def load_settings() -> RateLimitSettings:
    redis_url = _get("TENANT_RATELIMIT_REDIS_URL", None) or _get("REDIS_URL", None)
    backend = _get("TENANT_RATELIMIT_BACKEND", None) or ("redis" if redis_url else "memory")
    if backend not in BACKENDS:
        raise ImproperlyConfigured(
            f"TENANT_RATELIMIT_BACKEND={backend!r} is not one of: {', '.join(BACKENDS)}"
        )
    if backend == "redis" and not redis_url:
        raise ImproperlyConfigured(
            "TENANT_RATELIMIT_BACKEND='redis' needs REDIS_URL (or TENANT_RATELIMIT_REDIS_URL)"
        )
    fail_open = _get("TENANT_RATELIMIT_FAIL_OPEN", True)
    if not isinstance(fail_open, bool):
        raise ImproperlyConfigured(f"TENANT_RATELIMIT_FAIL_OPEN={fail_open!r} must be a bool")
    exempt = tuple(_get("TENANT_RATELIMIT_EXEMPT_PATHS", DEFAULT_EXEMPT_PATHS))
    if not all(isinstance(p, str) and p.startswith("/") for p in exempt):
        raise ImproperlyConfigured(
            f"TENANT_RATELIMIT_EXEMPT_PATHS={exempt!r} must be path prefixes starting with '/'"
        )
    return RateLimitSettings(
        backend=backend,
        redis_url=redis_url,
        fail_open=fail_open,
        key_prefix=str(_get("TENANT_RATELIMIT_KEY_PREFIX", "rl")),
        exempt_paths=exempt,
        error_log_interval_s=_positive(
            "TENANT_RATELIMIT_ERROR_LOG_INTERVAL", _get("TENANT_RATELIMIT_ERROR_LOG_INTERVAL", 60)
        ),
        probe_interval_s=_positive(
            "TENANT_RATELIMIT_PROBE_INTERVAL",
            _get("TENANT_RATELIMIT_PROBE_INTERVAL", 1.0),
            allow_zero=True,
        ),
        redis_timeout_s=_positive(
            "TENANT_RATELIMIT_REDIS_TIMEOUT", _get("TENANT_RATELIMIT_REDIS_TIMEOUT", 0.25)
        ),
        override_cache_s=_positive(
            "TENANT_RATELIMIT_OVERRIDE_CACHE",
            _get("TENANT_RATELIMIT_OVERRIDE_CACHE", 5.0),
            allow_zero=True,
        ),
        auth_failure_limits=Limits(
            rate_per_second=_positive(
                "TENANT_RATELIMIT_AUTH_FAILURE_RATE",
                _get("TENANT_RATELIMIT_AUTH_FAILURE_RATE", AUTH_FAILURE_RATE),
            ),
            burst=max(
                1,
                int(
                    _positive(
                        "TENANT_RATELIMIT_AUTH_FAILURE_BURST",
                        _get("TENANT_RATELIMIT_AUTH_FAILURE_BURST", AUTH_FAILURE_BURST),
                    )
                ),
            ),
            daily_quota=None,
            source="auth_failures",
        ),
    )
