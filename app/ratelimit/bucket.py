"""The token bucket + daily quota decision, in Python.

``token_bucket.lua`` is the same algorithm run inside Redis; the in-process backend
uses this module, and a test feeds both the same request sequences and requires
identical decisions, so the two cannot drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from app.ratelimit.limits import Limits

MICRO = 1_000_000  # tokens and clocks are kept in millionths so Redis and Python agree
DAY_US = 86_400 * MICRO
MINUTE_US = 60 * MICRO
# Rejection counters must outlive the monitor's look-back (this minute and the previous).
REJECTION_TTL_US = 2 * MINUTE_US
MIN_TTL_US = MICRO


class LimitKind(StrEnum):
    RATE = "rate"
    DAILY_QUOTA = "daily_quota"


@dataclass(frozen=True, kw_only=True)
class BucketState:
    tokens: float  # micro-tokens
    ts: int  # microseconds since the epoch of the last refill
    day: int  # UTC day number the quota counter belongs to
    used: int  # requests allowed on ``day``
    rej_minute: int  # minute number of ``rej_now``
    rej_now: int  # 429s in minute ``rej_minute``
    rej_prev: int  # 429s in the minute before it


@dataclass(frozen=True, kw_only=True)
class Decision:
    allowed: bool
    limit: LimitKind | None  # which limit refused the request
    remaining: int  # whole tokens left after this request
    retry_after_us: int  # 0 when allowed
    full_in_us: int  # until the bucket is full again
    quota_used: int  # requests allowed today, this one included (0 without a quota)
    now_us: int  # the clock the decision used (Redis TIME for the Redis backend)
    until_midnight_us: int  # until the daily quota resets at 00:00 UTC
    ttl_us: int  # how long the state must be kept

    def quota_remaining(self, limits: Limits) -> int | None:
        if limits.daily_quota is None:
            return None
        return max(0, limits.daily_quota - self.quota_used)


def take(state: BucketState | None, limits: Limits, now: int) -> tuple[BucketState, Decision]:
    """Spend one token at ``now`` (microseconds); mirror of ``token_bucket.lua``."""
    rate = limits.rate_per_second
    cap = float(limits.burst * MICRO)
    quota = limits.daily_quota or 0
    tokens = state.tokens if state is not None else cap
    ts = state.ts if state is not None else now
    if now > ts:
        tokens = min(cap, tokens + (now - ts) * rate)
        ts = now
    tokens = min(cap, tokens)  # a lowered burst takes effect at once
    day = now // DAY_US
    used = state.used if state is not None and state.day == day else 0
    kind: LimitKind | None = None
    retry = 0
    until_midnight = (day + 1) * DAY_US - now
    if quota > 0 and used >= quota:
        kind = LimitKind.DAILY_QUOTA
        retry = until_midnight
    elif tokens < MICRO:
        kind = LimitKind.RATE
        retry = math.ceil((MICRO - tokens) / rate)
    else:
        tokens -= MICRO
        if quota > 0:
            # Only counted under a quota: an unlimited tenant's state may expire with its bucket.
            used += 1
    minute = now // MINUTE_US
    rej_minute = state.rej_minute if state is not None else minute
    rej_now = state.rej_now if state is not None else 0
    rej_prev = state.rej_prev if state is not None else 0
    if minute != rej_minute:
        rej_prev = rej_now if minute == rej_minute + 1 else 0
        rej_now = 0
        rej_minute = minute
    if kind is not None:
        rej_now += 1
    full_in = math.ceil((cap - tokens) / rate)
    ttl = full_in
    if quota > 0 and used > 0:
        ttl = max(ttl, until_midnight)
    if rej_now > 0 or rej_prev > 0:
        ttl = max(ttl, REJECTION_TTL_US)
    ttl = max(ttl, MIN_TTL_US)
    new_state = BucketState(
        tokens=tokens,
        ts=ts,
        day=day,
        used=used,
        rej_minute=rej_minute,
        rej_now=rej_now,
        rej_prev=rej_prev,
    )
    decision = Decision(
        allowed=kind is None,
        limit=kind,
        remaining=math.floor(tokens / MICRO),
        retry_after_us=retry,
        full_in_us=full_in,
        quota_used=used,
        now_us=now,
        until_midnight_us=until_midnight,
        ttl_us=ttl,
    )
    return new_state, decision
