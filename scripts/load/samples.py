"""One record per request of a load run, and the figures computed from them.

Locust's own statistics feed its HTML report; the summary and the pass/fail criteria
are computed here from these records because they need what Locust does not keep:
the tenant and tier of each request, whether its status was one the flow accepts, and
when it ended relative to the fault windows.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    started: float  # epoch seconds
    ended: float
    endpoint: str  # "GET /api/v1/employees/[id]/"
    flow: str
    tenant: str
    tier: str
    over_limit: bool  # the tenant driven past its tier's rate on purpose
    status: int  # 0: no response (connection refused or reset, timeout)
    expected: bool  # a status the flow accepts (the over-limit tenant's 429 included)
    cross_tenant: bool = False

    @property
    def failed(self) -> bool:
        return self.cross_tenant or not self.expected

    @property
    def server_failure(self) -> bool:
        """A 5xx, or no response at all."""
        return self.status == 0 or self.status >= 500

    @property
    def elapsed_ms(self) -> float:
        return 1000 * (self.ended - self.started)


Window = tuple[float, float]


def in_windows(t: float, windows: Iterable[Window]) -> bool:
    return any(start <= t <= end for start, end in windows)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted ``values`` (0 for none)."""
    if not values:
        return 0.0
    rank = max(1, math.ceil(q * len(values)))
    return float(values[rank - 1])


@dataclass(frozen=True, kw_only=True)
class RunStats:
    elapsed_s: float
    requests: int
    failures: int
    rps: float
    # Outside the fault windows (all requests when there were no faults):
    requests_outside: int
    failures_outside: int
    error_rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    server_failures_outside: int
    cross_tenant_responses: int
    rate_limited_by_tier: dict[str, int]
    rate_limited_by_tenant: dict[str, int]
    rate_limited_within_limit: int  # 429s of tenants not driven over their limit
    rate_limited_over_limit: int
    over_limit_requests: int
    statuses: dict[str, int]  # "0" is no response
    requests_by_flow: dict[str, int]
    successes_by_flow: dict[str, int]
    p95_first_third_ms: float
    p95_last_third_ms: float


def _latencies(samples: Iterable[Sample]) -> list[float]:
    # Latency is the app's: the over-limit tenant's refusals are answered before any work.
    return sorted(s.elapsed_ms for s in samples if not s.over_limit)


def stats_compute(
    samples: Sequence[Sample], windows: Sequence[Window], elapsed_s: float
) -> RunStats:
    outside = [s for s in samples if not in_windows(s.ended, windows)]
    lat = _latencies(outside)
    failures_outside = sum(s.failed for s in outside)
    limited = [s for s in samples if s.status == 429]
    start = min((s.started for s in samples), default=0.0)
    third = elapsed_s / 3
    first = _latencies(s for s in outside if s.started < start + third)
    last = _latencies(s for s in outside if s.started >= start + 2 * third)
    return RunStats(
        elapsed_s=elapsed_s,
        requests=len(samples),
        failures=sum(s.failed for s in samples),
        rps=len(samples) / elapsed_s if elapsed_s > 0 else 0.0,
        requests_outside=len(outside),
        failures_outside=failures_outside,
        error_rate=failures_outside / len(outside) if outside else 0.0,
        p50_ms=percentile(lat, 0.50),
        p95_ms=percentile(lat, 0.95),
        p99_ms=percentile(lat, 0.99),
        server_failures_outside=sum(s.server_failure for s in outside),
        cross_tenant_responses=sum(s.cross_tenant for s in samples),
        rate_limited_by_tier=dict(Counter(s.tier for s in limited)),
        rate_limited_by_tenant=dict(Counter(s.tenant for s in limited)),
        rate_limited_within_limit=sum(not s.over_limit for s in limited),
        rate_limited_over_limit=sum(s.over_limit for s in limited),
        over_limit_requests=sum(s.over_limit for s in samples),
        statuses=dict(sorted(Counter(str(s.status) for s in samples).items())),
        requests_by_flow=dict(Counter(s.flow for s in samples)),
        successes_by_flow=dict(Counter(s.flow for s in samples if not s.failed)),
        p95_first_third_ms=percentile(first, 0.95),
        p95_last_third_ms=percentile(last, 0.95),
    )


def endpoint_stats(samples: Sequence[Sample], elapsed_s: float) -> dict[str, dict[str, float]]:
    """Per endpoint: requests, failures, rps and p50/p95/p99 in milliseconds."""
    by: dict[str, list[Sample]] = {}
    for s in samples:
        by.setdefault(s.endpoint, []).append(s)
    out = {}
    for endpoint, group in sorted(by.items()):
        lat = sorted(s.elapsed_ms for s in group)
        out[endpoint] = {
            "requests": len(group),
            "failures": sum(s.failed for s in group),
            "rps": round(len(group) / elapsed_s, 2) if elapsed_s > 0 else 0.0,
            "p50_ms": round(percentile(lat, 0.50), 1),
            "p95_ms": round(percentile(lat, 0.95), 1),
            "p99_ms": round(percentile(lat, 0.99), 1),
        }
    return out
