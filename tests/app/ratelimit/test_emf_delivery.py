"""Limiter metrics reach the CloudWatch agent as EMF records the alarms can read."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from app.ratelimit.metrics import (
    AGENT_ENDPOINT_ENV,
    DAILY_QUOTA_EXHAUSTED,
    FAIL_CLOSED,
    FAIL_OPEN,
    LOG_GROUP_ENV,
    RATE_LIMITED,
    AgentSink,
    MetricEmitter,
)
from app.tenants.tiers import TIERS
from infra.observability.signals import AlarmThresholds, alarm_specs
from scripts.local_services.postgres import free_port
from tests.infra.test_observability import TARGETS

APP_NAMESPACES = {"HRMS"}
EMF_UNITS = {"Count", "None", "Seconds", "Milliseconds", "Percent", "Count/Second"}


class Listener:
    """A loopback TCP server that keeps every newline-terminated record it receives."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.lines: list[str] = []
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(0.1)
                buffer = b""
                while not self._stop.is_set():
                    try:
                        chunk = conn.recv(65536)
                    except TimeoutError:
                        continue
                    except OSError:
                        break
                    if not chunk:
                        break
                    buffer += chunk
                    *done, buffer = buffer.split(b"\n")
                    self.lines += [line.decode("utf-8") for line in done]

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while len(self.lines) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return [json.loads(line) for line in self.lines]

    def close(self) -> None:
        self._stop.set()
        self.server.close()
        self._thread.join(timeout=5)


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    try:
        yield server
    finally:
        server.close()


def alarm_reads() -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric, dimensions) of every alarm on a metric the app publishes."""
    reads = []
    for spec in alarm_specs(TARGETS, AlarmThresholds()):
        for metric in spec.metrics():
            if metric.namespace in APP_NAMESPACES:
                dims = {k: str(v) for k, v in metric.dimensions.items()}
                reads.append((metric.namespace, metric.name, dims))
    return reads


def check_emf(record: dict[str, Any]) -> None:
    """The EMF specification: root ``_aws`` with a millisecond Timestamp and directives whose
    every dimension and metric is a root member of the right type."""
    aws = record["_aws"]
    assert isinstance(aws["Timestamp"], int)
    assert abs(aws["Timestamp"] - time.time() * 1000) < 60_000, "not milliseconds since epoch"
    directives = aws["CloudWatchMetrics"]
    assert isinstance(directives, list)
    assert directives
    for directive in directives:
        assert isinstance(directive["Namespace"], str)
        assert directive["Namespace"]
        assert isinstance(directive["Dimensions"], list)
        for dimension_set in directive["Dimensions"]:
            assert isinstance(dimension_set, list)
            assert len(dimension_set) <= 30
            for key in dimension_set:
                assert isinstance(record[key], str), f"dimension {key} must be a root string"
        assert 0 < len(directive["Metrics"]) <= 100
        for metric in directive["Metrics"]:
            assert isinstance(record[metric["Name"]], int | float)
            assert metric.get("Unit", "None") in EMF_UNITS


def emit_every_event(emitter: MetricEmitter, tier: str) -> None:
    """What the middleware emits: a 429 on the daily quota, then fail open and fail closed."""
    emitter.emit(
        [RATE_LIMITED, DAILY_QUOTA_EXHAUSTED],
        tier=tier,
        tenant=f"acme-{tier}",
        properties={"limit": "daily_quota", "retry_after_seconds": 60},
    )
    emitter.emit([FAIL_OPEN], tier=tier, tenant=f"acme-{tier}", properties={"backend": "redis"})
    emitter.emit([FAIL_CLOSED], tier=tier, tenant=f"acme-{tier}", properties={"backend": "redis"})


def test_records_reach_the_agent_with_what_the_alarms_read(
    listener: Listener, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(AGENT_ENDPOINT_ENV, f"tcp://127.0.0.1:{listener.port}")
    monkeypatch.setenv(LOG_GROUP_ENV, "/aws/containerinsights/hrms-test/application")
    emitter = MetricEmitter()  # configured from the environment, as in the pod
    assert isinstance(emitter.sink, AgentSink)
    for tier in TIERS:
        emit_every_event(emitter, tier.value)
    emitter.sink.close()
    records = listener.wait_for(3 * len(TIERS))
    assert len(records) == 3 * len(TIERS)
    assert listener.connections == 1  # one connection, kept open
    assert capsys.readouterr().out == ""  # delivered once: nothing also on stdout

    for record in records:
        check_emf(record)
        assert record["_aws"]["LogGroupName"] == "/aws/containerinsights/hrms-test/application"

    reads = alarm_reads()
    assert {name for _, name, _ in reads} >= {RATE_LIMITED, FAIL_OPEN, FAIL_CLOSED}
    for namespace, name, dimensions in reads:
        matching = [
            record
            for record in records
            for directive in record["_aws"]["CloudWatchMetrics"]
            if directive["Namespace"] == namespace
            and name in {m["Name"] for m in directive["Metrics"]}
            and sorted(dimensions) in [sorted(s) for s in directive["Dimensions"]]
            and all(record[k] == v for k, v in dimensions.items())
        ]
        assert matching, f"no record publishes {namespace}/{name} {dimensions}"


def test_an_unreachable_agent_falls_back_to_stdout_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(AGENT_ENDPOINT_ENV, f"tcp://127.0.0.1:{free_port()}")
    emitter = MetricEmitter()
    event = emitter.emit([FAIL_OPEN], tier="free", tenant="acme", properties={})
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == [event]


def test_the_agent_coming_back_gets_the_next_record(
    listener: Listener, capsys: pytest.CaptureFixture[str]
) -> None:
    sink = AgentSink(f"tcp://127.0.0.1:{listener.port}")
    sink('{"first":1}')
    listener.wait_for(1)
    # The agent restarts: the kept connection is dead; the sink reconnects for the record.
    listener.close()
    replacement = Listener()
    try:
        sink.address = ("127.0.0.1", replacement.port)
        sink('{"second":2}')
        sink('{"third":3}')
        assert replacement.wait_for(2) == [{"second": 2}, {"third": 3}]
    finally:
        sink.close()
        replacement.close()


@pytest.mark.parametrize("endpoint", ["udp://127.0.0.1:25888", "127.0.0.1:25888", "tcp://host"])
def test_bad_endpoints_are_refused(endpoint: str) -> None:
    with pytest.raises(ValueError, match=AGENT_ENDPOINT_ENV):
        AgentSink(endpoint)


def test_without_an_endpoint_records_go_to_stdout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(AGENT_ENDPOINT_ENV, raising=False)
    monkeypatch.delenv(LOG_GROUP_ENV, raising=False)
    event = MetricEmitter().emit([RATE_LIMITED], tier="free", tenant="acme", properties={})
    assert "LogGroupName" not in event["_aws"]
    assert json.loads(capsys.readouterr().out) == event
