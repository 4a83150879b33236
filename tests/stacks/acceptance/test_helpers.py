"""The parsers and catalogs the rules stand on: accepted and rejected values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stacks.offline.acceptance import catalogs
from stacks.offline.acceptance.capacity import kube_reserved_cpu, node_allocatable
from stacks.offline.acceptance.findings import Finding
from stacks.offline.acceptance.provenance import config_leaves, trace
from stacks.offline.acceptance.quantities import MIB, parse_quantity
from stacks.offline.acceptance.rules import (
    cron_problem,
    daily_overlaps_weekly,
    daily_window,
    weekly_window,
)


@pytest.mark.parametrize(
    ("expression", "hourly", "ok"),
    [
        ("cron(0 3 * * ? *)", True, True),
        ("cron(0 6 ? * MON *)", False, True),
        ("cron(0 6 ? * MON-FRI *)", True, True),
        ("cron(30 1 L * ? *)", True, True),
        ("cron(0 3 * * * *)", True, False),  # both day fields set
        ("cron(0 3 ? * ? *)", True, False),  # neither
        ("cron(0 25 * * ? *)", True, False),  # hour 25
        ("cron(0 3 * *)", True, False),  # four fields
        ("cron(*/15 * * * ? *)", True, False),  # more often than hourly
        ("cron(*/15 * * * ? *)", False, True),  # fine for a restore-testing plan
        ("rate(1 day)", True, False),
    ],
)
def test_cron(expression: str, hourly: bool, ok: bool) -> None:
    assert (cron_problem(expression, hourly_minimum=hourly) is None) is ok


def test_windows() -> None:
    assert daily_window("02:00-03:00") == (120, 60)
    assert daily_window("23:30-00:15") == (1410, 45)  # wraps midnight
    assert daily_window("2:00-3:00") is None
    assert weekly_window("sun:04:00-sun:05:00") == (6 * 1440 + 240, 60)
    assert weekly_window("sat:23:30-sun:00:30") == (5 * 1440 + 1410, 60)
    assert weekly_window("sun:04:00-sunday:05:00") is None
    maintenance = weekly_window("sun:04:00-sun:05:00")
    assert maintenance is not None
    assert not daily_overlaps_weekly((120, 60), maintenance)  # 02:00-03:00
    assert daily_overlaps_weekly((270, 30), maintenance)  # 04:30-05:00
    assert daily_overlaps_weekly((210, 60), maintenance)  # 03:30-04:30


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("250m", Decimal("0.25")),
        ("1", Decimal(1)),
        ("1.5", Decimal("1.5")),
        ("512Mi", 512 * MIB),
        ("1Gi", 1024 * MIB),
        ("1G", Decimal(10) ** 9),
        ("2e3", Decimal(2000)),
    ],
)
def test_quantity_accepted(text: str, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["1 Gi", "Gi", "1gb", "", None, True])
def test_quantity_rejected(text: object) -> None:
    assert parse_quantity(text) is None


def test_catalogs_from_kept_libraries() -> None:
    assert {1, 30, 365, 3653} <= catalogs.log_retention_days()
    assert 31 not in catalogs.log_retention_days()
    assert {7, 31, 713, 731} <= catalogs.performance_insights_retention_days()
    assert 94 not in catalogs.performance_insights_retention_days()
    assert "db.r6g.large" in catalogs.rds_instance_classes("postgres", "eu-west-1")
    assert "db.t9z.huge" not in catalogs.rds_instance_classes("postgres", "eu-west-1")
    assert "16" in catalogs.rds_engine_versions("postgres")
    assert "m7i.large" in catalogs.ec2_instance_types("eu-west-1")
    assert "t3.bogus" not in catalogs.ec2_instance_types("eu-west-1")
    assert "cache.r7g.large" in catalogs.cache_node_types("eu-west-1")
    assert catalogs.availability_zones("eu-west-1") == {"eu-west-1a", "eu-west-1b", "eu-west-1c"}


def test_snapshot_is_dated_sourced_and_refreshable() -> None:
    data = catalogs.snapshot()
    assert data["generated"]
    assert data["refresh"].startswith("hrmsctl catalog refresh")
    for section in ("instanceTypes", "eksAddonVersions", "elasticacheEngineVersions"):
        assert data["sources"][section]["source"]
        assert data[section]
    spec = catalogs.instance_spec("m7i.large")
    assert spec is not None
    assert (spec.vcpus, spec.memory_mib, spec.max_pods) == (2, 8192, 29)
    assert catalogs.instance_spec("t3.bogus") is None


def test_eks_reserve_formula() -> None:
    # 6% of the first core, 1% of the second, 0.5% of the 3rd and 4th, 0.25% after.
    assert kube_reserved_cpu(1) == Decimal("0.06")
    assert kube_reserved_cpu(2) == Decimal("0.07")
    assert kube_reserved_cpu(4) == Decimal("0.08")
    assert kube_reserved_cpu(8) == Decimal("0.09")
    node = node_allocatable("m7i.large")
    assert node is not None
    # 8192 MiB - (11 * 29 + 255) kube-reserved - 100 eviction threshold.
    assert node.allocatable.memory == 8192 - 574 - 100
    assert node.allocatable.pods == 29


def _finding(resource: str, prop: str, value: object) -> Finding:
    return Finding(
        stack="prod",
        urn="urn",
        resource=resource,
        property=prop,
        value=value,
        rule="r",
        message="m",
        source="s",
    )


def test_provenance_names_the_key_or_none() -> None:
    config = {
        "aws:region": "eu-west-1",
        "hrms:network": '{"flowLogRetentionDays": 30}',
        "hrms:database": '{"logRetentionDays": 30, "instanceClass": "db.t9z.huge"}',
        "hrms:cluster": '{"logRetentionDays": 30, "nodeInstanceTypes": ["t3.bogus"]}',
    }
    leaves = config_leaves(config)
    assert trace(_finding("hrms-prod-db-instance", "instanceClass", "db.t9z.huge"), leaves) == (
        "hrms:database.instanceClass"
    )
    assert trace(_finding("hrms-prod-network-flow-logs", "retentionInDays", 30), leaves) == (
        "hrms:network.flowLogRetentionDays"
    )
    assert trace(_finding("hrms-prod-db-log-postgresql", "retentionInDays", 30), leaves) == (
        "hrms:database.logRetentionDays"
    )
    assert trace(_finding("hrms-prod-nodes-group", "instanceTypes[0]", "t3.bogus"), leaves) == (
        "hrms:cluster.nodeInstanceTypes[0]"
    )
    # Equal evidence for two keys: no key is better than a wrong one.
    assert trace(_finding("other", "retentionInDays", 30), leaves) is None
    assert trace(_finding("other", "x", "not in config"), leaves) is None
