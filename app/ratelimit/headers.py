"""RateLimit-Policy / RateLimit / Retry-After values (IETF draft-ietf-httpapi-ratelimit-headers).

Two quota policies are advertised: ``"burst"`` (the token bucket: ``q`` tokens that
refill completely in ``w`` seconds) and, when the tier has one, ``"daily"`` (``q``
requests per UTC day). ``RateLimit`` carries ``r`` (remaining) and ``t`` (seconds
until that policy's quota is whole again) for each.
"""

from __future__ import annotations

import functools
import math

from app.ratelimit.bucket import MICRO, Decision
from app.ratelimit.limits import Limits

BURST_POLICY = "burst"
DAILY_POLICY = "daily"


def _seconds(us: int) -> int:
    return max(0, math.ceil(us / MICRO))


@functools.lru_cache(maxsize=4096)
def policy_header(limits: Limits) -> str:
    # The same few tier and override policies recur on every response: format each once.
    items = [f'"{BURST_POLICY}";q={limits.burst};w={limits.refill_window_s}']
    if limits.daily_quota is not None:
        items.append(f'"{DAILY_POLICY}";q={limits.daily_quota};w=86400')
    return ", ".join(items)


def state_header(limits: Limits, decision: Decision) -> str:
    items = [f'"{BURST_POLICY}";r={decision.remaining};t={_seconds(decision.full_in_us)}']
    remaining = decision.quota_remaining(limits)
    if remaining is not None:
        items.append(f'"{DAILY_POLICY}";r={remaining};t={_seconds(decision.until_midnight_us)}')
    return ", ".join(items)


def retry_after_seconds(decision: Decision) -> int:
    """Whole seconds, rounded up so a client that obeys it is never refused again at once."""
    return max(1, _seconds(decision.retry_after_us))


def rate_limit_headers(limits: Limits, decision: Decision) -> dict[str, str]:
    headers = {
        "RateLimit-Policy": policy_header(limits),
        "RateLimit": state_header(limits, decision),
    }
    if not decision.allowed:
        headers["Retry-After"] = str(retry_after_seconds(decision))
    return headers
