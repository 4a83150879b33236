"""Real runs against the locally started app: the smoke scenario, and faults injected.

Each test runs ``python -m scripts.load`` (the code ``make load`` runs) in a child
process: Locust patches the whole interpreter with gevent on import, which must not
happen to the pytest worker that runs the rest of the suite. The child starts
PostgreSQL, Redis and gunicorn on loopback, sends bounded traffic only to them, stops
them all and leaves ``summary.json``, which the assertions read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.gunicorn]


def run_load(out: Path, *args: str, timeout: float) -> tuple[int, dict[str, Any], str]:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.load", "--out", str(out), "--workers", "2", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    output = result.stdout[-4000:] + result.stderr[-4000:]
    summary_path = out / "summary.json"
    assert summary_path.exists(), output
    return result.returncode, json.loads(summary_path.read_text()), output


def criteria(summary: dict[str, Any]) -> dict[str, bool]:
    return {c["name"]: c["passed"] for c in summary["criteria"]}


def test_smoke_scenario_passes_against_the_local_app(tmp_path: Path) -> None:
    code, summary, output = run_load(
        tmp_path, "--scenario", "smoke", "--duration", "12", timeout=180
    )
    assert summary["verdict"] == "pass", output
    assert code == 0
    assert summary["target"].startswith("http://127.0.0.1:")
    assert summary["cross_tenant_responses"] == 0
    # 429s only for the tenant driven over its limit, and it did get some.
    assert summary["rate_limited"]["within_limit_tenants"] == 0
    assert summary["rate_limited"]["over_limit_tenants"] > 0
    assert set(summary["rate_limited_by_tier"]) == {"free"}
    assert summary["writes"]["acknowledged"] > 0
    assert summary["writes"]["lost"] == 0
    for endpoint in ("GET /api/v1/employees/", "POST /api/v1/leave-requests/[id]/approve/"):
        figures = summary["endpoints"][endpoint]
        assert figures["requests"] > 0
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    assert all(criteria(summary).values())
    assert (tmp_path / "report.html").read_text().count("<script") > 0


def test_faults_are_injected_and_recovered_from(tmp_path: Path) -> None:
    code, summary, output = run_load(
        tmp_path,
        "--scenario",
        "load",
        "--duration",
        "32",
        "--faults",
        "worker-kill,redis-restart",
        timeout=240,
    )
    faults = {f["name"]: f for f in summary["faults"]}
    assert set(faults) == {"worker-kill", "redis-restart"}, output
    assert "SIGKILL worker" in faults["worker-kill"]["detail"]
    assert faults["redis-restart"]["restored_after_s"] >= 3.0
    for fault in faults.values():
        assert fault["error"] is None
        assert fault["recovered"], fault
        assert fault["max_recovery_s"] <= fault["recovery_bound_s"]
    passed = criteria(summary)
    assert passed["acknowledged_writes_lost"], summary["writes"]
    assert passed["cross_tenant_responses"]
    assert passed["server_errors_outside_fault_windows"], summary["statuses"]
    assert summary["verdict"] == "pass", output
    assert code == 0
