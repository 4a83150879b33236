"""The hrms:edge and hrms:alarms stack config: parsed into typed values, bad values named."""

from __future__ import annotations

from typing import Any

import pytest

from infra.observability.signals import AlarmThresholds
from stacks.config import ConfigError
from tests.stacks.test_config import committed, parse


def with_value(stack: str, section: str, key: str, value: Any) -> dict[str, Any]:
    values = committed(stack)
    if value is None:
        values[f"hrms:{section}"].pop(key, None)
    else:
        values[f"hrms:{section}"][key] = value
    return values


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_committed_edge_and_alarm_config_parse(stack: str) -> None:
    cfg = parse(stack, committed(stack))
    assert cfg.edge.stage_name == stack
    assert cfg.alarms.subscribers
    assert isinstance(cfg.alarms.thresholds, AlarmThresholds)


def test_prod_thresholds_are_stricter_than_staging() -> None:
    staging = parse("staging", committed("staging")).alarms.thresholds
    prod = parse("prod", committed("prod")).alarms.thresholds
    assert prod.api_5xx_percent < staging.api_5xx_percent
    assert prod.api_latency_p99_ms < staging.api_latency_p99_ms
    assert prod.min_healthy_hosts > staging.min_healthy_hosts
    assert prod.db_free_storage_gib > staging.db_free_storage_gib


def test_unset_thresholds_take_the_catalog_default() -> None:
    values = with_value("staging", "alarms", "dbReplicaLagSeconds", None)
    cfg = parse("staging", values)
    assert cfg.alarms.thresholds.db_replica_lag_seconds == AlarmThresholds().db_replica_lag_seconds


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("edge", "stageName", "Prod Stage", "hrms:edge.stageName"),
        ("edge", "throttleRateLimit", 50_000, "hrms:edge.throttleRateLimit"),
        ("edge", "throttleBurstLimit", "lots", "hrms:edge.throttleBurstLimit"),
        ("edge", "wafRateLimitPerIp", 10, "hrms:edge.wafRateLimitPerIp"),
        ("alarms", "alertEmails", ["not-an-address"], "hrms:alarms.alertEmails"),
        ("alarms", "alertHttpsEndpoints", ["http://x.example"], "hrms:alarms.alertHttpsEndpoints"),
        ("alarms", "api5xxPercent", 250, "hrms:alarms.api5xxPercent"),
        ("alarms", "dbMaxConnections", "many", "hrms:alarms.dbMaxConnections"),
        ("alarms", "api5xxPercnt", 2, "hrms:alarms.api5xxPercnt: unknown key"),
    ],
)
def test_bad_values_fail_naming_key_and_file(
    section: str, key: str, value: Any, message: str
) -> None:
    with pytest.raises(ConfigError, match=r"Pulumi\.staging\.yaml") as excinfo:
        parse("staging", with_value("staging", section, key, value))
    assert message in str(excinfo.value)


def test_alarms_without_any_subscriber_are_refused() -> None:
    values = with_value("staging", "alarms", "alertEmails", None)
    with pytest.raises(ConfigError, match="at least one alert email"):
        parse("staging", values)
