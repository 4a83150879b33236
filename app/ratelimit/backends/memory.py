"""In-process limiter for the embedded default (``make serve`` without Redis).

Single process only: each gunicorn worker would keep its own buckets, so with N
workers a tenant gets N times its limit. Production uses the Redis backend.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.ratelimit.bucket import MICRO, BucketState, Decision, take
from app.ratelimit.limits import Limits


def _wall_clock_us() -> int:
    return time.time_ns() // 1000


class MemoryLimiter:
    name = "memory"

    def __init__(
        self, *, clock_us: Callable[[], int] = _wall_clock_us, sweep_every: int = 10_000
    ) -> None:
        self._clock_us = clock_us
        self._lock = threading.Lock()
        self._state: dict[str, tuple[BucketState, int]] = {}  # key -> (state, expires at us)
        self._sweep_every = sweep_every
        self._hits = 0

    def hit(self, key: str, limits: Limits, *, now_us: int | None = None) -> Decision:
        with self._lock:
            now = self._clock_us() if now_us is None else now_us
            entry = self._state.get(key)
            state = entry[0] if entry is not None and entry[1] > now else None
            new_state, decision = take(state, limits, now)
            self._state[key] = (new_state, now + decision.ttl_us)
            self._hits += 1
            if self._hits % self._sweep_every == 0:
                self._sweep(now)
            return decision

    def peek(self, key: str) -> BucketState | None:
        with self._lock:
            entry = self._state.get(key)
            return entry[0] if entry is not None else None

    def _sweep(self, now: int) -> None:
        # Idle tenants must not cost memory forever, mirroring Redis key TTLs.
        expired = [k for k, (_, expires) in self._state.items() if expires <= now]
        for k in expired:
            del self._state[k]

    def __len__(self) -> int:
        return len(self._state)


__all__ = ["MICRO", "MemoryLimiter"]
