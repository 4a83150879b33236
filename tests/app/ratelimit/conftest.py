"""Fixtures and helpers shared by the rate limiting tests."""

from __future__ import annotations

import gc
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from rest_framework.test import APIClient

from app.ratelimit.bucket import MICRO, Decision
from app.ratelimit.limits import Limits
from app.tenants.models import Tenant
from app.tenants.services import (
    access_token_create,
    membership_create,
    tenant_api_key_create,
    tenant_create,
    user_get_or_create,
)


@dataclass(frozen=True)
class Burst:
    """Outcome of a concurrent burst against one bucket."""

    decisions: list[Decision]

    @property
    def allowed(self) -> int:
        return sum(d.allowed for d in self.decisions)

    @property
    def elapsed_s(self) -> float:
        stamps = [d.now_us for d in self.decisions]
        return (max(stamps) - min(stamps)) / MICRO

    def expected(self, limits: Limits) -> float:
        """What an exact token bucket lets through: full bucket plus refill over the burst."""
        return limits.burst + limits.rate_per_second * self.elapsed_s

    def final_level(self, limits: Limits) -> float:
        """Tokens left in the bucket after the last decision (from its time-to-full)."""
        last = max(d.now_us for d in self.decisions)
        return min(
            limits.burst - d.full_in_us * limits.rate_per_second / MICRO
            for d in self.decisions
            if d.now_us == last
        )

    def assert_exact(self, limits: Limits) -> None:
        """allowed == burst + rate x elapsed within one token, and no token created or lost.

        The tolerance is the fraction of a token still in the bucket at the end. Reading
        that level off the last decision makes the check exact even when the client
        threads are descheduled near the end (refill then accrues with nobody to spend
        it): every token the bucket gained was either spent on an allowed request or is
        still there. An over-admitting limiter fails the first assertion, one that loses
        refill the second.
        """
        expected = self.expected(limits)
        assert self.allowed <= expected + 1e-6, (self.allowed, expected)
        assert self.allowed + self.final_level(limits) == pytest.approx(expected, abs=0.01), (
            self.allowed,
            self.final_level(limits),
            expected,
        )


def hammer_groups(
    groups: dict[str, tuple[Callable[[], Decision], int]],
    *,
    duration_s: float,
    warmup: Callable[[], object] | None = None,
) -> dict[str, Burst]:
    """Run every group's clients at once, released together, until ``duration_s`` passes.

    ``groups`` maps a name to ``(hit, clients)``; each client thread calls ``hit`` in a loop.
    ``warmup`` runs once in every thread before the release (e.g. to open its connection
    on another key): 200 connection handshakes inside the window would leave the bucket
    full and idle at the start, wasting refill that the exactness check counts.
    """
    results: dict[str, list[list[Decision]]] = {
        name: [[] for _ in range(clients)] for name, (_, clients) in groups.items()
    }
    total = sum(clients for _, clients in groups.values())
    errors: list[BaseException] = []
    barrier = threading.Barrier(total + 1)
    deadline: list[float] = []

    def worker(hit: Callable[[], Decision], out: list[Decision]) -> None:
        try:
            if warmup is not None:
                warmup()
            barrier.wait(timeout=30)
            stop = deadline[0]
            while time.monotonic() < stop:
                out.append(hit())
        except BaseException as exc:  # surfaced below; a silent thread would hide failures
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=(groups[name][0], out), daemon=True)
        for name, outs in results.items()
        for out in outs
    ]
    # A full collection of a large test-session heap stops every client thread for long
    # enough to let the bucket refill to its cap, which an exactness check then sees as
    # lost tokens: keep the collector out of the timed window.
    gc.collect()
    gc.disable()
    try:
        for thread in threads:
            thread.start()
        deadline.append(time.monotonic() + duration_s)
        barrier.wait(timeout=30)
        for thread in threads:
            thread.join(timeout=duration_s + 30)
    finally:
        gc.enable()
    assert not errors, f"{len(errors)} client(s) failed, first: {errors[0]!r}"
    assert not any(t.is_alive() for t in threads), "clients did not stop"
    return {name: Burst([d for out in outs for d in out]) for name, outs in results.items()}


def hammer(
    hit: Callable[[], Decision],
    *,
    clients: int,
    duration_s: float,
    warmup: Callable[[], object] | None = None,
) -> Burst:
    """``clients`` threads released together, each calling ``hit`` until ``duration_s`` passes."""
    return hammer_groups({"only": (hit, clients)}, duration_s=duration_s, warmup=warmup)["only"]


@dataclass(frozen=True)
class ApiTenant:
    """A tenant with one API key and one admin login: enough to call the real API."""

    tenant: Tenant
    api_key: str
    token: str

    def client(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=self.api_key, HTTP_AUTHORIZATION=f"Bearer {self.token}")
        return client


def api_tenant(slug: str, tier: str) -> ApiTenant:
    tenant = tenant_create(slug=slug, name=slug.title(), tier=tier)
    key = tenant_api_key_create(tenant=tenant, name="rate-limit tests").plaintext
    membership = membership_create(
        tenant=tenant, user=user_get_or_create(username=f"admin@{slug}"), role="admin"
    )
    token = access_token_create(membership=membership, name="rate-limit tests").plaintext
    return ApiTenant(tenant=tenant, api_key=key, token=token)


@dataclass(frozen=True)
class Drained:
    """Requests sent until the bucket refused ``refusals`` of them."""

    statuses: list[int]
    elapsed_s: float

    @property
    def allowed(self) -> int:
        return self.statuses.count(200)

    def assert_bucket(self, *, burst: int, rate_per_second: float) -> None:
        """Exactly the burst at once, plus at most what refilled while the requests ran.

        A busy machine can stretch the requests over several refill intervals; the bound
        follows the measured time instead of assuming the burst arrives instantly.
        """
        assert self.statuses[:burst] == [200] * burst, self.statuses
        refilled = int(rate_per_second * self.elapsed_s)
        assert burst <= self.allowed <= burst + refilled, (self.statuses, self.elapsed_s)
        assert set(self.statuses) <= {200, 429}, self.statuses


def drain(client: APIClient, path: str, *, refusals: int = 1, cap: int = 60) -> Drained:
    """GET ``path`` until ``refusals`` 429s came back (at most ``cap`` requests)."""
    statuses: list[int] = []
    started = time.monotonic()
    while statuses.count(429) < refusals and len(statuses) < cap:
        statuses.append(client.get(path).status_code)
    return Drained(statuses=statuses, elapsed_s=time.monotonic() - started)


def emf_events(captured_stdout: str) -> list[dict[str, Any]]:
    """The CloudWatch EMF lines among captured stdout."""
    events = []
    for line in captured_stdout.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            events.append(json.loads(line))
    return events


@pytest.fixture
def redis_limiter_settings(settings: Any, redis_conn: redis.Redis, redis_url: str) -> Any:
    """Route the middleware to the suite's Redis with an empty database."""
    settings.TENANT_RATELIMIT_BACKEND = "redis"
    settings.TENANT_RATELIMIT_REDIS_URL = redis_url
    settings.TENANT_RATELIMIT_OVERRIDE_CACHE = 0
    return settings
