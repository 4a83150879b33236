"""Per-tenant rate limiting middleware; runs after the tenant is resolved from its API key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.http import HttpRequest, HttpResponse, JsonResponse

from app.ratelimit.backends import LimiterUnavailable
from app.ratelimit.bucket import MICRO, Decision, LimitKind
from app.ratelimit.headers import policy_header, rate_limit_headers, retry_after_seconds
from app.ratelimit.limits import Limits
from app.ratelimit.metrics import DAILY_QUOTA_EXHAUSTED, FAIL_CLOSED, FAIL_OPEN, RATE_LIMITED
from app.ratelimit.runtime import Runtime, get_runtime
from app.tenants.authentication import request_membership_verify
from app.tenants.models import Tenant

_MESSAGES = {
    LimitKind.RATE: "Request rate limit exceeded for this tenant.",
    LimitKind.DAILY_QUOTA: "Daily request quota exhausted for this tenant; it resets at 00:00 UTC.",
}


class RateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant: Tenant | None = getattr(request, "tenant", None)
        if tenant is None:
            # Unauthenticated requests are refused by authentication, not metered here.
            return self.get_response(request)
        runtime = get_runtime()
        if runtime.limiter is None or request.path_info.startswith(runtime.settings.exempt_paths):
            return self.get_response(request)
        limits = runtime.limits.get(tenant)
        if request_membership_verify(request=request, tenant=tenant) is None:
            # Only the API key is known to be good: whoever holds it must not be able to
            # drain the members' bucket and quota with bad tokens, so failures get their own.
            return self._authentication_failed(request, runtime, tenant, limits)
        try:
            decision = self._decide(runtime, str(tenant.pk), limits)
        except LimiterUnavailable as exc:
            return self._unavailable(request, runtime, tenant, limits, str(exc))
        if not decision.allowed:
            return self._refuse(runtime, tenant, limits, decision)
        response = self.get_response(request)
        for name, value in rate_limit_headers(limits, decision).items():
            response[name] = value
        return response

    def _authentication_failed(
        self, request: HttpRequest, runtime: Runtime, tenant: Tenant, limits: Limits
    ) -> HttpResponse:
        failures = runtime.settings.auth_failure_limits
        try:
            decision = self._decide(runtime, f"authfail:{tenant.pk}", failures)
        except LimiterUnavailable as exc:
            return self._unavailable(request, runtime, tenant, limits, str(exc))
        if decision.allowed:
            return self.get_response(request)  # authentication answers 401
        retry_after = retry_after_seconds(decision)
        response = JsonResponse(
            {
                "error": "rate_limited",
                "limit": "auth_failures",
                "detail": "Too many failed authentications for this tenant; retry later.",
                "retry_after_seconds": retry_after,
            },
            status=429,
        )
        response["Retry-After"] = str(retry_after)
        return response

    @staticmethod
    def _decide(runtime: Runtime, key: str, limits: Limits) -> Decision:
        assert runtime.limiter is not None  # noqa: S101 - checked by the caller
        if runtime.outage.should_skip():
            raise LimiterUnavailable("skipped: limiter failed moments ago")
        decision = runtime.limiter.hit(key, limits)
        if runtime.outage.degraded:
            runtime.outage.record_success()
        return decision

    def _unavailable(
        self, request: HttpRequest, runtime: Runtime, tenant: Tenant, limits: Limits, reason: str
    ) -> HttpResponse:
        fail_open = runtime.settings.fail_open
        runtime.outage.record_failure(
            reason, fail_open=fail_open, probed=not reason.startswith("skipped")
        )
        runtime.metrics.emit(
            [FAIL_OPEN if fail_open else FAIL_CLOSED],
            tier=tenant.tier,
            tenant=tenant.slug,
            properties={"backend": runtime.settings.backend},
        )
        if fail_open:
            response = self.get_response(request)
            response["RateLimit-Policy"] = policy_header(limits)
            return response
        response = JsonResponse(
            {
                "error": "rate_limiter_unavailable",
                "detail": "Rate limiting is temporarily unavailable; retry shortly.",
                "retry_after_seconds": 1,
            },
            status=503,
        )
        response["Retry-After"] = "1"
        response["RateLimit-Policy"] = policy_header(limits)
        return response

    @staticmethod
    def _refuse(
        runtime: Runtime, tenant: Tenant, limits: Limits, decision: Decision
    ) -> HttpResponse:
        kind = decision.limit or LimitKind.RATE
        retry_after = retry_after_seconds(decision)
        retry_at = (
            datetime.fromtimestamp(decision.now_us / MICRO, tz=UTC) if decision.now_us else None
        )
        body: dict[str, object] = {
            "error": "rate_limited",
            "limit": kind.value,
            "detail": _MESSAGES[kind],
            "retry_after_seconds": retry_after,
        }
        if retry_at is not None:
            body["retry_at"] = (
                (retry_at + timedelta(microseconds=decision.retry_after_us))
                .isoformat(timespec="seconds")
                .replace("+00:00", "Z")
            )
        response = JsonResponse(body, status=429)
        for name, value in rate_limit_headers(limits, decision).items():
            response[name] = value
        metrics = [RATE_LIMITED]
        if kind is LimitKind.DAILY_QUOTA:
            metrics.append(DAILY_QUOTA_EXHAUSTED)
        runtime.metrics.emit(
            metrics,
            tier=tenant.tier,
            tenant=tenant.slug,
            properties={"limit": kind.value, "retry_after_seconds": retry_after},
        )
        return response
