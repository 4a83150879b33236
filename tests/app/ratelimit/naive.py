"""A deliberately non-atomic limiter (read, decide in Python, write back).

The same algorithm as the real one, minus atomicity: it exists only so the
concurrency test can show that exactness comes from the single Lua call.
"""

from __future__ import annotations

import time

import redis

from app.ratelimit.bucket import BucketState, Decision, take
from app.ratelimit.limits import Limits


class ReadThenWriteLimiter:
    name = "read-then-write"

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def hit(self, key: str, limits: Limits) -> Decision:
        raw: dict[bytes, bytes] = self.client.hgetall(f"naive:{key}")  # type: ignore[assignment]
        state = None
        if raw:
            ints = {k.decode(): int(v) for k, v in raw.items() if k != b"tokens"}
            state = BucketState(tokens=float(raw[b"tokens"]), **ints)
        new_state, decision = take(state, limits, time.time_ns() // 1000)
        self.client.hset(f"naive:{key}", mapping={k: repr(v) for k, v in vars(new_state).items()})
        return decision
