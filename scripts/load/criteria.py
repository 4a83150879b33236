"""Pass or fail: each criterion of a load run judged from its figures, never from Locust's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scripts.load.faults import FaultOutcome
from scripts.load.samples import RunStats
from scripts.load.scenarios import Thresholds
from scripts.load.writes import WriteCheck

# Soak: the last third's p95 may be at most this multiple of the first third's.
SOAK_DRIFT = 1.5


@dataclass(frozen=True, kw_only=True)
class Criterion:
    name: str
    passed: bool
    value: float | int | str
    limit: str

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "passed": self.passed, "value": self.value, "limit": self.limit}


def criteria_evaluate(
    *,
    stats: RunStats,
    thresholds: Thresholds,
    writes: WriteCheck,
    faults: Sequence[FaultOutcome] = (),
    flows: Sequence[str] = (),
    over_limit_tenant: bool = False,
    soak: bool = False,
) -> list[Criterion]:
    t = thresholds
    out = [
        Criterion(
            name="requests",
            passed=stats.requests >= t.min_requests,
            value=stats.requests,
            limit=f">= {t.min_requests}",
        ),
        Criterion(
            name="error_rate",
            passed=stats.error_rate <= t.max_error_rate,
            value=round(stats.error_rate, 5),
            limit=f"<= {t.max_error_rate}",
        ),
        Criterion(
            name="p95_ms",
            passed=stats.p95_ms <= t.max_p95_ms,
            value=round(stats.p95_ms, 1),
            limit=f"<= {t.max_p95_ms:g}",
        ),
        Criterion(
            name="p99_ms",
            passed=stats.p99_ms <= t.max_p99_ms,
            value=round(stats.p99_ms, 1),
            limit=f"<= {t.max_p99_ms:g}",
        ),
        Criterion(
            name="cross_tenant_responses",
            passed=stats.cross_tenant_responses == 0,
            value=stats.cross_tenant_responses,
            limit="== 0",
        ),
        Criterion(
            name="429_only_over_limit",
            passed=stats.rate_limited_within_limit == 0,
            value=stats.rate_limited_within_limit,
            limit="== 0 (429s of tenants within their tier's rate)",
        ),
        Criterion(
            name="server_errors_outside_fault_windows",
            passed=stats.server_failures_outside == 0,
            value=stats.server_failures_outside,
            limit="== 0 (5xx or no response)",
        ),
        Criterion(
            name="acknowledged_writes_lost",
            passed=not writes.lost and writes.acknowledged > 0,
            value=len(writes.lost),
            limit=f"== 0 of {writes.acknowledged} (and at least one write)",
        ),
    ]
    if over_limit_tenant:
        out.append(
            Criterion(
                name="over_limit_tenant_refused",
                passed=stats.rate_limited_over_limit > 0,
                value=stats.rate_limited_over_limit,
                limit="> 0 (the tenant driven past its tier's rate gets 429s)",
            )
        )
    missing = [f for f in flows if stats.successes_by_flow.get(f, 0) == 0]
    if flows:
        out.append(
            Criterion(
                name="every_flow_succeeded",
                passed=not missing,
                value=", ".join(missing) or "all",
                limit="each flow at least one success",
            )
        )
    if soak:
        limit = SOAK_DRIFT * stats.p95_first_third_ms
        out.append(
            Criterion(
                name="p95_drift",
                passed=stats.p95_last_third_ms <= limit,
                value=round(stats.p95_last_third_ms, 1),
                limit=f"<= {SOAK_DRIFT} x first third's p95 ({stats.p95_first_third_ms:.1f})",
            )
        )
    for fault in faults:
        slow = {
            k: v for k, v in fault.recovery_s.items() if v is None or v > fault.recovery_bound_s
        }
        out.append(
            Criterion(
                name=f"fault_{fault.name}_recovered",
                passed=fault.recovered,
                value=fault.error
                or (", ".join(f"{k}={v}" for k, v in slow.items()) or "all flows"),
                limit=f"every flow succeeds within {fault.recovery_bound_s:g} s of the fault",
            )
        )
    return out


def verdict(criteria: Sequence[Criterion]) -> str:
    return "pass" if criteria and all(c.passed for c in criteria) else "fail"
