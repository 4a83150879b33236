"""Redis limiter: one EVALSHA of ``token_bucket.lua`` per request, clock from Redis TIME."""

from __future__ import annotations

import threading
from importlib import resources
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.connection import ConnectionInterface
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from app.ratelimit.backends import LimiterUnavailable
from app.ratelimit.bucket import MICRO, Decision, LimitKind
from app.ratelimit.limits import Limits

SCRIPT = resources.files("app.ratelimit").joinpath("token_bucket.lua").read_text()
_KINDS = {0: None, 1: LimitKind.RATE, 2: LimitKind.DAILY_QUOTA}
# What one run of the script executes inside Redis (unconditionally, without a clock
# override). INFO commandstats counts these too, so request accounting subtracts them.
SCRIPT_INNER_COMMANDS = ("time", "hmget", "hset", "pexpire")
PACKED_CACHE_SIZE = 10_000  # tenants x policies; cleared when full rather than tracked


def bucket_key(prefix: str, tenant_key: str) -> str:
    # The hash tag keeps one tenant's state in one slot should the cache become a cluster.
    return f"{prefix}:{{{tenant_key}}}"


def redis_client(url: str, *, timeout_s: float = 0.25, max_connections: int = 100) -> redis.Redis:
    """A client tuned for the request path: short timeouts, one reconnect, no backoff.

    A stale pooled connection after a Redis restart is retried once on a fresh one;
    anything longer would hold the request hostage while Redis is really down.
    """
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 1),
        max_connections=max_connections,
    )


class RedisLimiter:
    name = "redis"

    def __init__(self, client: redis.Redis, *, key_prefix: str = "rl") -> None:
        self.client = client
        self.key_prefix = key_prefix
        self.sha = self._load()
        self._local = threading.local()
        self._packed_cache: dict[tuple[object, ...], list[bytes]] = {}

    def _pinned(self) -> redis.Redis:
        """This thread's client, holding one pooled connection for the thread's lifetime.

        Checking a connection out of the pool and back in costs a liveness probe
        (a non-blocking read) and pool bookkeeping on every call; on the request path
        that is most of the client-side cost of the single EVALSHA. The connection still
        comes from ``client``'s pool (same TLS, auth and timeouts), redis-py still
        reconnects it after an error, and closing ``client`` disconnects it.
        """
        pinned: redis.Redis | None = getattr(self._local, "client", None)
        if pinned is None:
            pinned = redis.Redis(
                connection_pool=self.client.connection_pool, single_connection_client=True
            )
            self._local.client = pinned
        return pinned

    def _load(self) -> str:
        try:
            return str(self.client.script_load(SCRIPT))
        except RedisError:
            # Redis may be down at startup; load lazily on the first NOSCRIPT instead.
            import hashlib

            return hashlib.sha1(SCRIPT.encode(), usedforsecurity=False).hexdigest()

    def key(self, tenant_key: str) -> str:
        return bucket_key(self.key_prefix, tenant_key)

    def hit(self, key: str, limits: Limits, *, now_us: int | None = None) -> Decision:
        try:
            connection = self._connection()
            packed = self._packed(connection, key, limits, now_us)
            try:
                raw = self._call(connection, packed)
            except NoScriptError:
                # A restarted or failed-over Redis has an empty script cache.
                self.sha = str(self._pinned().script_load(SCRIPT))
                raw = self._call(connection, self._packed(connection, key, limits, now_us))
        except RedisError as exc:
            raise LimiterUnavailable(f"redis limiter: {type(exc).__name__}: {exc}") from exc
        return decision_from_reply(raw)

    def _connection(self) -> ConnectionInterface:
        connection = self._pinned().connection
        if connection is None:  # the client was closed (settings reloaded) mid-request
            raise LimiterUnavailable("redis limiter: client closed")
        return connection

    def _packed(
        self, connection: ConnectionInterface, key: str, limits: Limits, now_us: int | None
    ) -> list[bytes]:
        """The EVALSHA command on the wire, packed once per tenant, policy and script."""
        cache_key = (self.sha, key, limits.rate_per_second, limits.burst, limits.daily_quota)
        packed = self._packed_cache.get(cache_key) if now_us is None else None
        if packed is None:
            packed = connection.pack_command(  # type: ignore[no-untyped-call]
                "EVALSHA",
                self.sha,
                1,
                self.key(key),
                repr(float(limits.rate_per_second)),
                limits.burst,
                limits.daily_quota or 0,
                "" if now_us is None else now_us,
            )
            if now_us is None:
                if len(self._packed_cache) >= PACKED_CACHE_SIZE:
                    self._packed_cache.clear()
                self._packed_cache[cache_key] = packed
        return packed

    @staticmethod
    def _call(connection: ConnectionInterface, packed: list[bytes]) -> Any:
        """One round trip on the thread's connection, bypassing the generic command layer.

        Same failure policy as ``redis_client``'s: a connection that fails (stale after a
        Redis restart) is dropped and the command sent once more on a fresh one.
        """
        try:
            connection.send_packed_command(packed, check_health=False)  # type: ignore[no-untyped-call]
            return connection.read_response()
        except (RedisConnectionError, RedisTimeoutError):
            connection.disconnect()  # type: ignore[no-untyped-call]
            connection.send_packed_command(packed, check_health=False)  # type: ignore[no-untyped-call]
            return connection.read_response()


def decision_from_reply(raw: bytes) -> Decision:
    """Parse the script's reply: nine integers in one string (cheaper to read than an array)."""
    fields = raw.split()
    if len(fields) != 9:
        raise LimiterUnavailable(f"redis limiter: unexpected script reply {raw[:100]!r}")
    allowed, kind, tokens_u, retry, full_in, used, now, until_midnight, ttl = map(int, fields)
    return Decision(
        allowed=bool(allowed),
        limit=_KINDS[kind],
        remaining=tokens_u // MICRO,
        retry_after_us=retry,
        full_in_us=full_in,
        quota_used=used,
        now_us=now,
        until_midnight_us=until_midnight,
        ttl_us=ttl,
    )
