"""Exactness under 200 concurrent clients: allowed == burst + rate x elapsed, within one token."""

from __future__ import annotations

import pytest
import redis

from app.ratelimit.backends.memory import MemoryLimiter
from app.ratelimit.backends.redis import RedisLimiter, redis_client
from app.ratelimit.limits import Limits
from tests.app.ratelimit.conftest import hammer
from tests.app.ratelimit.naive import ReadThenWriteLimiter

CLIENTS = 200
DURATION_S = 1.5
LIMITS = Limits(rate_per_second=40, burst=25, daily_quota=None)

pytestmark = pytest.mark.slow


@pytest.mark.redis
def test_redis_limiter_is_exact_under_200_concurrent_clients(redis_url: str) -> None:
    limiter = RedisLimiter(redis_client(redis_url, timeout_s=5, max_connections=CLIENTS))
    burst = hammer(
        lambda: limiter.hit("t-1", LIMITS),
        clients=CLIENTS,
        duration_s=DURATION_S,
        warmup=lambda: limiter.hit("warm-up", LIMITS),
    )

    # Enough pressure that the bucket was never left with a spare token for long.
    assert len(burst.decisions) > 10 * burst.expected(LIMITS)
    burst.assert_exact(LIMITS)


def test_memory_limiter_is_exact_under_200_concurrent_clients() -> None:
    limiter = MemoryLimiter()
    burst = hammer(lambda: limiter.hit("t-1", LIMITS), clients=CLIENTS, duration_s=DURATION_S)

    assert len(burst.decisions) > 10 * burst.expected(LIMITS)
    burst.assert_exact(LIMITS)


@pytest.mark.redis
def test_the_same_check_fails_for_a_read_then_write_limiter(redis_url: str) -> None:
    """Shown once: the identical algorithm without atomicity lets far more through."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5, max_connections=CLIENTS)
    limiter = ReadThenWriteLimiter(client)
    burst = hammer(lambda: limiter.hit("t-1", LIMITS), clients=CLIENTS, duration_s=DURATION_S)

    overshoot = burst.allowed - burst.expected(LIMITS)
    print(f"read-then-write allowed {burst.allowed} vs exact {burst.expected(LIMITS):.1f}")
    assert overshoot > 1, "the exactness check should have caught lost updates"
