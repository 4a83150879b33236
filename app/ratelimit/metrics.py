"""CloudWatch Embedded Metric Format lines for limiter events (namespace ``HRMS``).

Each event is one JSON object on its own stdout line, which the container log
shipper forwards to CloudWatch Logs; CloudWatch extracts the metrics from it. They
are written directly rather than through ``logging`` because EMF needs ``_aws`` at
the top level of the log event, which a JSON log formatter would nest.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

NAMESPACE = "HRMS"
RATE_LIMITED = "RateLimited"  # every 429, whichever limit was hit
DAILY_QUOTA_EXHAUSTED = "DailyQuotaExhausted"  # the 429s caused by the daily quota
FAIL_OPEN = "RateLimitFailOpen"  # requests let through because the limiter was unreachable
FAIL_CLOSED = "RateLimitFailClosed"  # requests refused (503) for the same reason
DIMENSION_SETS = [["tier", "tenant"], ["tier"]]

_write_lock = threading.Lock()


def _stdout_sink(line: str) -> None:
    with _write_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class MetricEmitter:
    """Writes EMF lines to ``sink`` (stdout by default; tests pass a list's append)."""

    def __init__(self, sink: Callable[[str], None] = _stdout_sink) -> None:
        self.sink = sink

    def emit(
        self, metrics: list[str], *, tier: str, tenant: str, properties: dict[str, Any]
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": NAMESPACE,
                        "Dimensions": DIMENSION_SETS,
                        "Metrics": [{"Name": name, "Unit": "Count"} for name in metrics],
                    }
                ],
            },
            "tier": tier,
            "tenant": tenant,
            **properties,
        }
        for name in metrics:
            event[name] = 1
        self.sink(json.dumps(event, separators=(",", ":"), sort_keys=True))
        return event
