"""The Redis limiter against a real redis-server: parity with Python, quota, TTLs, commands."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ratelimit.backends import LimiterUnavailable
from app.ratelimit.backends.memory import MemoryLimiter
from app.ratelimit.backends.redis import (
    SCRIPT_INNER_COMMANDS,
    RedisLimiter,
    decision_from_reply,
    redis_client,
)
from app.ratelimit.bucket import DAY_US, MICRO, MINUTE_US, LimitKind
from app.ratelimit.limits import Limits
from scripts.local_services.redis import RedisServer
from tests.app.ratelimit.conftest import hammer_groups

pytestmark = pytest.mark.redis

MIDNIGHT = 20_000 * DAY_US  # 2024-10-04T00:00:00Z, a UTC day boundary


@pytest.fixture
def limiter(redis_conn: redis.Redis, redis_url: str) -> Iterator[RedisLimiter]:
    client = redis_client(redis_url)
    try:
        yield RedisLimiter(client)
    finally:
        client.close()


limits_strategy = st.builds(
    Limits,
    rate_per_second=st.sampled_from([0.5, 1.0, 2.0, 3.3, 10.0, 50.0, 200.0]),
    burst=st.integers(min_value=1, max_value=50),
    daily_quota=st.one_of(st.none(), st.integers(min_value=1, max_value=60)),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    limits=limits_strategy,
    gaps_us=st.lists(st.integers(min_value=0, max_value=3 * MICRO), min_size=1, max_size=80),
    start=st.integers(min_value=MIDNIGHT - 90 * MICRO, max_value=MIDNIGHT + 10 * MICRO),
)
def test_lua_and_python_make_identical_decisions(
    limiter: RedisLimiter, limits: Limits, gaps_us: list[int], start: int
) -> None:
    limiter.client.delete(limiter.key("parity"))
    memory = MemoryLimiter()
    now = start
    for gap in gaps_us:
        now += gap
        assert limiter.hit("parity", limits, now_us=now) == memory.hit("parity", limits, now_us=now)
        # The kept state too: the monitor reads the rejection counters from it.
        assert _redis_state(limiter, "parity") == _memory_state(memory, "parity")


def _redis_state(limiter: RedisLimiter, key: str) -> tuple[float, ...]:
    fields = limiter.client.hmget(limiter.key(key), "t", "ts", "d", "u", "rw", "rn", "rp")
    return tuple(float(value) for value in fields)


def _memory_state(memory: MemoryLimiter, key: str) -> tuple[float, ...]:
    state = memory.peek(key)
    assert state is not None
    return tuple(
        float(value)
        for value in (
            state.tokens,
            state.ts,
            state.day,
            state.used,
            state.rej_minute,
            state.rej_now,
            state.rej_prev,
        )
    )


def test_rejections_are_kept_for_this_minute_and_the_one_before(limiter: RedisLimiter) -> None:
    """Both backends count 429s per minute and hand the count on for exactly one minute."""
    limits = Limits(rate_per_second=0.5, burst=1, daily_quota=None)
    memory = MemoryLimiter()
    minute = MIDNIGHT // MINUTE_US + 10
    expected = [  # (seconds into ``minute``, allowed, (rej_minute, rej_now, rej_prev), ttl s)
        (0.0, True, (minute, 0, 0), 2),
        (0.5, False, (minute, 1, 0), 120),  # a 429 keeps the state for two minutes
        (61.0, True, (minute + 1, 0, 1), 120),  # the previous minute's count is handed on
        (61.1, False, (minute + 1, 1, 1), 120),
        (62.0, False, (minute + 1, 2, 1), 120),
        # A minute without hits drops both counts (the state, kept 120 s after the last
        # 429 at 62 s, is still there at 180.5 s).
        (180.5, True, (minute + 3, 0, 0), 2),
    ]
    for seconds, allowed, counters, ttl_s in expected:
        now = minute * MINUTE_US + int(seconds * MICRO)
        decisions = {limiter.hit("r", limits, now_us=now), memory.hit("r", limits, now_us=now)}
        assert len(decisions) == 1, seconds
        (decision,) = decisions
        assert (decision.allowed, decision.ttl_us) == (allowed, ttl_s * MICRO), seconds
        for state in (_redis_state(limiter, "r"), _memory_state(memory, "r")):
            assert state[4:] == tuple(float(c) for c in counters), seconds


def test_burst_then_refill_at_the_configured_rate(limiter: RedisLimiter) -> None:
    limits = Limits(rate_per_second=4, burst=3, daily_quota=None)
    t = MIDNIGHT + 3600 * MICRO
    assert [limiter.hit("a", limits, now_us=t).allowed for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    refused = limiter.hit("a", limits, now_us=t)
    assert refused.limit is LimitKind.RATE
    assert refused.retry_after_us == MICRO // 4
    assert not limiter.hit("a", limits, now_us=t + MICRO // 4 - 1).allowed
    assert limiter.hit("a", limits, now_us=t + MICRO // 4).allowed


def test_daily_quota_resets_at_utc_midnight(limiter: RedisLimiter) -> None:
    limits = Limits(rate_per_second=100, burst=100, daily_quota=5)
    evening = MIDNIGHT - 2 * MICRO
    assert all(limiter.hit("q", limits, now_us=evening).allowed for _ in range(5))

    refused = limiter.hit("q", limits, now_us=evening)
    assert refused.limit is LimitKind.DAILY_QUOTA
    assert refused.retry_after_us == 2 * MICRO  # exactly until 00:00 UTC
    assert refused.quota_remaining(limits) == 0
    # The counter must outlive the refill so idle time cannot reset the quota.
    assert limiter.client.pttl(limiter.key("q")) >= 1900

    assert limiter.hit("q", limits, now_us=MIDNIGHT - 1).limit is LimitKind.DAILY_QUOTA
    fresh = limiter.hit("q", limits, now_us=MIDNIGHT)
    assert fresh.allowed
    assert fresh.quota_used == 1
    assert fresh.until_midnight_us == DAY_US


def test_rate_limited_requests_do_not_use_up_the_quota(limiter: RedisLimiter) -> None:
    limits = Limits(rate_per_second=1, burst=2, daily_quota=10)
    t = MIDNIGHT + MICRO
    decisions = [limiter.hit("r", limits, now_us=t) for _ in range(6)]
    assert [d.allowed for d in decisions] == [True, True, False, False, False, False]
    assert decisions[-1].quota_used == 2


def test_a_lowered_burst_applies_immediately(limiter: RedisLimiter) -> None:
    t = MIDNIGHT + MICRO
    limiter.hit("b", Limits(rate_per_second=1, burst=50, daily_quota=None), now_us=t)
    small = Limits(rate_per_second=1, burst=2, daily_quota=None)
    assert [limiter.hit("b", small, now_us=t).allowed for _ in range(3)] == [True, True, False]


def test_idle_tenants_expire_from_redis(limiter: RedisLimiter) -> None:
    limiter.hit("idle", Limits(rate_per_second=10, burst=5, daily_quota=None))
    ttl_ms = limiter.client.pttl(limiter.key("idle"))
    # One token spent at 10/s refills in 0.1 s; the key lives the 1 s minimum, no longer.
    assert 0 < ttl_ms <= 1000


def test_clock_comes_from_redis_time(limiter: RedisLimiter) -> None:
    seconds, micros = limiter.client.time()
    decision = limiter.hit("clock", Limits(rate_per_second=1, burst=1, daily_quota=None))
    assert 0 <= decision.now_us - (seconds * MICRO + micros) < 5 * MICRO


def test_exactly_one_redis_command_per_request(limiter: RedisLimiter) -> None:
    limits = Limits(rate_per_second=1000, burst=1000, daily_quota=10**6)
    limiter.hit("warm", limits)
    limiter.client.config_resetstat()
    for _ in range(50):
        limiter.hit("warm", limits)
    stats = limiter.client.info("commandstats")
    calls = {name: s["calls"] for name, s in stats.items() if not name.startswith("cmdstat_config")}
    # The client sent EVALSHA only; commandstats also counts what ran inside the script.
    inner = {f"cmdstat_{name}": 50 for name in SCRIPT_INNER_COMMANDS}
    assert calls == {"cmdstat_evalsha": 50, **inner}


def test_script_is_reloaded_after_noscript(limiter: RedisLimiter) -> None:
    limits = Limits(rate_per_second=10, burst=10, daily_quota=None)
    limiter.hit("ns", limits)
    limiter.client.script_flush()
    assert limiter.hit("ns", limits).allowed
    assert limiter.client.script_exists(limiter.sha) == [True]


# Tenant C is a separate client process: in this process it would queue for the GIL
# behind 200 busy threads and hardly get to send anything.
PACED_CLIENT = """
import json, sys, time
from app.ratelimit.backends.redis import RedisLimiter, redis_client
from app.ratelimit.limits import Limits

url = sys.argv[1]
duration, interval = (float(v) for v in sys.argv[2:4])
client = redis_client(url, timeout_s=5)
limiter = RedisLimiter(client)
limits = Limits(rate_per_second=20, burst=3, daily_quota=None)
limiter.hit("warm-up-c", limits)  # script loaded, connection open
print("ready", flush=True)
start_at = float(sys.stdin.readline())  # the moment A and B start hammering
time.sleep(max(0.0, start_at - time.time()))
hits = []  # (sent at, allowed); at least ten, however slowly a busy machine runs us
while time.time() < start_at + duration or len(hits) < 10:
    sent_at = time.time()
    hits.append((sent_at, limiter.hit("quiet-c", limits).allowed))
    time.sleep(interval)
print(json.dumps(hits))
"""


@pytest.mark.slow
def test_noisy_tenant_does_not_reduce_another_tenants_allowance(redis_url: str) -> None:
    """A at far over 10x its limit while B is hammered and C paced: each gets its own."""
    limits_a = Limits(rate_per_second=10, burst=10, daily_quota=None)
    limits_b = Limits(rate_per_second=30, burst=15, daily_quota=None)
    client = redis_client(redis_url, timeout_s=5, max_connections=220)
    shared = RedisLimiter(client)
    duration = 1.5
    paced = subprocess.Popen(
        [sys.executable, "-c", PACED_CLIENT, redis_url, str(duration), str(1 / 15)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Start together once C is up, however long its interpreter took to start.
        assert paced.stdout is not None
        assert paced.stdin is not None
        assert paced.stdout.readline().strip() == "ready", paced.stderr
        start_at = time.time() + 0.2
        paced.stdin.write(f"{start_at}\n")
        paced.stdin.flush()
        time.sleep(max(0.0, start_at - time.time()))
        bursts = hammer_groups(
            {
                "a": (lambda: shared.hit("noisy-a", limits_a), 150),
                "b": (lambda: shared.hit("busy-b", limits_b), 50),
            },
            duration_s=duration,
            warmup=lambda: shared.hit("warm-up", limits_a),
        )
        out, err = paced.communicate(timeout=60)
    finally:
        paced.kill()
        client.close()

    assert paced.returncode == 0, err[-2000:]
    c_hits: list[tuple[float, bool]] = json.loads(out)
    a, b = bursts["a"], bursts["b"]
    assert len(a.decisions) > 10 * a.expected(limits_a)  # A really is at more than 10x
    a.assert_exact(limits_a)
    b.assert_exact(limits_b)
    # Paced at 15/s, under its 20/s: every hit allowed, most of them while A and B hammered.
    assert all(allowed for _, allowed in c_hits), c_hits
    during = [t for t, _ in c_hits if start_at <= t <= start_at + duration]
    assert len(during) >= len(c_hits) // 2, c_hits


def test_each_thread_keeps_one_connection_and_returns_it_when_the_thread_ends(
    redis_conn: redis.Redis, redis_url: str
) -> None:
    """Per-thread connections never exhaust the pool, however many threads come and go."""
    before = int(redis_conn.info("stats")["total_connections_received"])
    client = redis_client(redis_url, max_connections=2)
    limiter = RedisLimiter(client)
    limits = Limits(rate_per_second=1000, burst=1000, daily_quota=None)
    try:
        for _ in range(3):
            assert limiter.hit("same-thread", limits).allowed
        # One connection loaded the script and served all three calls of this thread.
        assert int(redis_conn.info("stats")["total_connections_received"]) == before + 1

        # Ten short-lived threads, one after another, on a pool of two: each thread's
        # connection goes back to the pool when the thread ends.
        errors: list[BaseException] = []

        def one_hit() -> None:
            try:
                assert limiter.hit("thread", limits).allowed
            except BaseException as exc:  # re-raised in the test thread below
                errors.append(exc)

        for _ in range(10):
            thread = threading.Thread(target=one_hit)
            thread.start()
            thread.join(timeout=10)
        assert errors == []
    finally:
        client.close()


def test_a_thread_connection_survives_a_redis_restart(disposable_redis: RedisServer) -> None:
    client = redis_client(disposable_redis.url, timeout_s=2)
    limiter = RedisLimiter(client)
    limits = Limits(rate_per_second=1000, burst=1000, daily_quota=None)
    try:
        assert limiter.hit("restart", limits).allowed
        disposable_redis.stop()
        disposable_redis.start()
        # The pinned connection is stale; redis-py reconnects it once, and the empty
        # script cache is reloaded after NOSCRIPT.
        assert limiter.hit("restart", limits).allowed
    finally:
        client.close()


def test_a_changed_policy_is_sent_not_a_cached_command(limiter: RedisLimiter) -> None:
    large = Limits(rate_per_second=0.001, burst=50, daily_quota=None)
    small = Limits(rate_per_second=0.001, burst=5, daily_quota=None)
    assert limiter.hit("policy", large).remaining == 49
    assert limiter.hit("policy", large).remaining == 48
    # Same tenant, lowered limits (an override): the cap of 5 applies at once.
    assert limiter.hit("policy", small).remaining == 4


def test_an_unexpected_script_reply_is_a_clear_limiter_error() -> None:
    with pytest.raises(LimiterUnavailable, match="unexpected script reply"):
        decision_from_reply(b"1 0 5")


def test_the_state_outlives_its_bucket_only_while_it_holds_todays_quota_count(
    limiter: RedisLimiter,
) -> None:
    """Kept until midnight while a quota counts today's requests, else only until full."""
    memory = MemoryLimiter()

    def hit(key: str, limits: Limits, now: int) -> int:
        decisions = {limiter.hit(key, limits, now_us=now), memory.hit(key, limits, now_us=now)}
        assert len(decisions) == 1
        return decisions.pop().ttl_us

    quota_of_one = Limits(rate_per_second=1, burst=1, daily_quota=1)
    unlimited = Limits(rate_per_second=1, burst=1, daily_quota=None)
    evening = MIDNIGHT - 10 * MICRO
    assert hit("q", quota_of_one, evening) == 10 * MICRO  # the count lasts until 00:00 UTC
    # The quota lifted the same day (an override): nothing to keep past the refill.
    assert hit("q", unlimited, evening + 2 * MICRO) == MICRO

    quota = Limits(rate_per_second=1, burst=1, daily_quota=5)
    assert hit("r", quota, MIDNIGHT - 1) == 1 * MICRO  # yesterday's count, about to reset
    # Refused by rate at 00:00: today's count is still zero, so only the 429 is kept.
    assert hit("r", quota, MIDNIGHT) == 2 * MINUTE_US
