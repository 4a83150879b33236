"""django-ratelimit as a backend, for the benchmark's comparison only; never the default.

It enforces ``burst`` requests per fixed window of ``burst / rate`` seconds, the usual
fixed-window reading of the same policy. Fixed windows let up to twice that through
around a window edge, which is what the benchmark's overshoot figure shows.
"""

from __future__ import annotations

from django_ratelimit.core import get_usage

from app.ratelimit.backends import LimiterUnavailable
from app.ratelimit.bucket import MICRO, Decision, LimitKind
from app.ratelimit.limits import Limits

GROUP = "tenant"


class FixedWindowLimiter:
    name = "django-ratelimit"

    def hit(self, key: str, limits: Limits) -> Decision:
        window = limits.refill_window_s
        usage = get_usage(
            None,  # the key is given directly, so django-ratelimit never reads the request
            group=GROUP,
            key=lambda _group, _request: key,
            rate=(limits.burst, window),
            increment=True,
        )
        if usage is None:
            raise LimiterUnavailable("django-ratelimit: cache unavailable (RATELIMIT_FAIL_OPEN)")
        count = int(usage["count"])
        time_left_us = max(0, int(usage["time_left"])) * MICRO
        limited = bool(usage["should_limit"])
        return Decision(
            allowed=not limited,
            limit=LimitKind.RATE if limited else None,
            remaining=max(0, limits.burst - count),
            retry_after_us=time_left_us if limited else 0,
            full_in_us=time_left_us,
            quota_used=0,
            now_us=0,
            until_midnight_us=0,
            ttl_us=time_left_us,
        )
