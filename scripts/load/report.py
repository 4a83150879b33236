"""The JSON summary of a load run and its console rendering."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scripts.load.criteria import Criterion, verdict
from scripts.load.faults import FaultOutcome
from scripts.load.samples import RunStats, Sample, endpoint_stats
from scripts.load.scenarios import Scenario
from scripts.load.writes import WriteCheck

LOST_EXAMPLES = 20


def _fault(outcome: FaultOutcome, t0: float) -> dict[str, Any]:
    return {
        "name": outcome.name,
        "at_s": round(outcome.started - t0, 2),
        "restored_after_s": round(outcome.restored - outcome.started, 2),
        "window_s": [round(outcome.started - t0, 2), round(outcome.window_end - t0, 2)],
        "recovery_s": outcome.recovery_s,
        "recovery_bound_s": outcome.recovery_bound_s,
        "max_recovery_s": max(
            (v for v in outcome.recovery_s.values() if v is not None), default=None
        ),
        "server_errors_in_window": outcome.server_failures_in_window,
        "failures_in_window": outcome.failures_in_window,
        "statuses_in_window": outcome.statuses_in_window,
        "recovered": outcome.recovered,
        "detail": outcome.detail,
        "error": outcome.error,
    }


def summary_build(
    *,
    scenario: Scenario,
    target: str,
    local: bool,
    t0: float,
    duration_s: float,
    samples: Sequence[Sample],
    stats: RunStats,
    writes: WriteCheck,
    faults: Sequence[FaultOutcome],
    criteria: Sequence[Criterion],
    users: dict[str, int],
) -> dict[str, Any]:
    return {
        "scenario": scenario.name,
        "description": scenario.description,
        "target": target,
        "local_app": local,
        "started_at": datetime.fromtimestamp(t0, UTC).isoformat(timespec="seconds"),
        "duration_s": round(duration_s, 1),
        "users": users,
        "requests": stats.requests,
        "failures": stats.failures,
        "rps": round(stats.rps, 2),
        "error_rate": round(stats.error_rate, 5),
        "p50_ms": round(stats.p50_ms, 1),
        "p95_ms": round(stats.p95_ms, 1),
        "p99_ms": round(stats.p99_ms, 1),
        "endpoints": endpoint_stats(samples, duration_s),
        "statuses": stats.statuses,
        "requests_by_flow": stats.requests_by_flow,
        "rate_limited_by_tier": stats.rate_limited_by_tier,
        "rate_limited": {
            "by_tenant": stats.rate_limited_by_tenant,
            "over_limit_tenants": stats.rate_limited_over_limit,
            "within_limit_tenants": stats.rate_limited_within_limit,
            "over_limit_requests": stats.over_limit_requests,
        },
        "cross_tenant_responses": stats.cross_tenant_responses,
        "writes": {
            "acknowledged": writes.acknowledged,
            "lost": len(writes.lost),
            "lost_examples": writes.lost[:LOST_EXAMPLES],
            "checked_via": writes.method,
        },
        "faults": [_fault(f, t0) for f in faults],
        "criteria": [c.as_dict() for c in criteria],
        "verdict": verdict(criteria),
    }


def summary_write(summary: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def summary_text(summary: dict[str, Any]) -> str:
    s = summary
    lines = [
        f"scenario {s['scenario']} against {s['target']}: {s['requests']} requests in "
        f"{s['duration_s']} s ({s['rps']} req/s), {s['failures']} failed; "
        f"p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, p99 {s['p99_ms']} ms",
        f"{'endpoint':<42}{'req':>7}{'fail':>6}{'p50':>8}{'p95':>8}{'p99':>8}",
    ]
    for name, e in s["endpoints"].items():
        lines.append(
            f"{name:<42}{e['requests']:>7}{e['failures']:>6}{e['p50_ms']:>8}"
            f"{e['p95_ms']:>8}{e['p99_ms']:>8}"
        )
    rl = s["rate_limited"]
    lines.append(
        f"429s by tier {s['rate_limited_by_tier'] or '{}'}: over-limit tenant "
        f"{rl['over_limit_tenants']}, tenants within their limit {rl['within_limit_tenants']}"
    )
    lines.append(f"cross-tenant responses: {s['cross_tenant_responses']}")
    w = s["writes"]
    lines.append(
        f"acknowledged writes: {w['acknowledged']}, lost: {w['lost']} "
        f"(checked via {w['checked_via']})"
    )
    for f in s["faults"]:
        lines.append(
            f"fault {f['name']} at {f['at_s']} s: restored after {f['restored_after_s']} s, "
            f"recovery {f['recovery_s']} (bound {f['recovery_bound_s']} s), "
            f"window {f['window_s']}, 5xx/no response in window {f['server_errors_in_window']}"
            f"{', ERROR ' + f['error'] if f['error'] else ''}"
        )
    for c in s["criteria"]:
        mark = "PASS" if c["passed"] else "FAIL"
        lines.append(f"  {mark} {c['name']}: {c['value']} ({c['limit']})")
    lines.append(f"verdict: {s['verdict']}")
    return "\n".join(lines)
