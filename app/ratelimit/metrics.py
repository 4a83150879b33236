"""CloudWatch Embedded Metric Format records for limiter events (namespace ``HRMS``).

On EKS the records go to the CloudWatch agent's EMF listener (``AWS_EMF_AGENT_ENDPOINT``,
``tcp://host:port``, the variable the AWS EMF client libraries use), one JSON object per
line. They cannot go through stdout there: the cluster's log pipeline nests each JSON log
line under a key, so ``_aws`` would not be at the root and CloudWatch would extract no
metric. Without an endpoint (local runs, tests) they are written to stdout. A record the
agent did not take is written to stdout instead, so it is never counted twice.
"""

from __future__ import annotations

import json
import logging
import os
import select
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

NAMESPACE = "HRMS"
RATE_LIMITED = "RateLimited"  # every 429, whichever limit was hit
DAILY_QUOTA_EXHAUSTED = "DailyQuotaExhausted"  # the 429s caused by the daily quota
FAIL_OPEN = "RateLimitFailOpen"  # requests let through because the limiter was unreachable
FAIL_CLOSED = "RateLimitFailClosed"  # requests refused (503) for the same reason
DIMENSION_SETS = [["tier", "tenant"], ["tier"]]

AGENT_ENDPOINT_ENV = "AWS_EMF_AGENT_ENDPOINT"
LOG_GROUP_ENV = "AWS_EMF_LOG_GROUP_NAME"

logger = logging.getLogger(__name__)
_write_lock = threading.Lock()


def _stdout_sink(line: str) -> None:
    with _write_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _peer_closed(sock: socket.socket) -> bool:
    """True when the agent closed the connection (it never sends, so readable means EOF).

    Checked before each write because a write into a connection the peer already closed
    still succeeds once, and that record would be lost without an error.
    """
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class AgentSink:
    """Newline-delimited records over one TCP connection to the CloudWatch agent.

    The connection is opened lazily and reopened once per record after a failure; a record
    that still cannot be sent goes to ``fallback`` (stdout), never to both.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        timeout_s: float = 0.2,
        fallback: Callable[[str], None] = _stdout_sink,
    ) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme != "tcp" or not parts.hostname or not parts.port:
            raise ValueError(f"{AGENT_ENDPOINT_ENV}={endpoint!r}: expected tcp://host:port")
        self.address = (parts.hostname, parts.port)
        self.timeout_s = timeout_s
        self.fallback = fallback
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None

    def __call__(self, line: str) -> None:
        data = (line + "\n").encode("utf-8")
        with self._lock:
            for _attempt in range(2):
                try:
                    if self._socket is not None and _peer_closed(self._socket):
                        self._close()
                    if self._socket is None:
                        self._socket = socket.create_connection(self.address, self.timeout_s)
                    self._socket.sendall(data)
                    return
                except OSError as exc:
                    self._close()
                    error = exc
        logger.warning("EMF agent unreachable (%s); record written to stdout", type(error).__name__)
        self.fallback(line)

    def _close(self) -> None:
        if self._socket is not None:
            try:
                self._socket.close()
            finally:
                self._socket = None

    def close(self) -> None:
        with self._lock:
            self._close()


def default_sink() -> Callable[[str], None]:
    """The agent when ``AWS_EMF_AGENT_ENDPOINT`` is set, else stdout."""
    endpoint = os.environ.get(AGENT_ENDPOINT_ENV, "").strip()
    return AgentSink(endpoint) if endpoint else _stdout_sink


class MetricEmitter:
    """Writes EMF records to ``sink`` (the agent or stdout; tests may pass a list's append)."""

    def __init__(
        self, sink: Callable[[str], None] | None = None, *, log_group: str | None = None
    ) -> None:
        self.sink = sink if sink is not None else default_sink()
        # The agent writes each record to this log group; unset, it picks its own default.
        self.log_group = log_group if log_group is not None else os.environ.get(LOG_GROUP_ENV)

    def emit(
        self, metrics: list[str], *, tier: str, tenant: str, properties: dict[str, Any]
    ) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": DIMENSION_SETS,
                    "Metrics": [{"Name": name, "Unit": "Count"} for name in metrics],
                }
            ],
        }
        if self.log_group:
            metadata["LogGroupName"] = self.log_group
        event: dict[str, Any] = {
            "_aws": metadata,
            "tier": tier,
            "tenant": tenant,
            **properties,
        }
        for name in metrics:
            event[name] = 1
        self.sink(json.dumps(event, separators=(",", ":"), sort_keys=True))
        return event
