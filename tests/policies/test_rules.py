"""Each rule passes the compliant plan and catches every guarded property when flipped."""

from __future__ import annotations

from typing import Any

import pytest

from policies.registry import all_policies
from tests.policies.conftest import STACKS, run
from tests.policies.mutations import MUTATIONS, PASSING
from tests.policies.plans import REMOVE, Mutation, baseline, mutate, urn

pytestmark = pytest.mark.policy

CASES = [(s, m) for m in MUTATIONS for s in STACKS if s in m.stacks]


def test_baseline_is_clean_in_both_stacks(baseline_plan: dict[str, Any]) -> None:
    report = run(baseline_plan)
    assert [v.to_dict() for v in report.violations] == []
    checked = {r.name: len(r.checked) for r in report.rules}
    # Every rule looked at something: the baseline exercises the whole pack.
    assert [name for name, n in checked.items() if n == 0] == []


def test_every_rule_has_a_failing_variant() -> None:
    covered = {m.rule for m in MUTATIONS}
    assert sorted(p.name for p in all_policies() if p.name not in covered) == []


def _expected_urn(plan: dict[str, Any], m: Mutation) -> str:
    target = m.resource if m.flagged is None else m.flagged
    if target == "":
        return ""
    for r in plan["resources"]:
        if r["name"] == target:
            return str(r["urn"])
    raise KeyError(target)


@pytest.mark.parametrize(("stack_name", "mutation"), CASES, ids=[f"{s}-{m.id}" for s, m in CASES])
def test_mutation_is_caught(stack_name: str, mutation: Mutation) -> None:
    plan = baseline(stack_name)
    expected = _expected_urn(plan, mutation)
    report = run(mutate(plan, mutation))
    hits = [v for v in report.for_rule(mutation.rule) if v.urn == expected]
    assert hits, f"{mutation.rule} missed {mutation.id}; got {report.violations}"
    assert all(v.enforcement == "mandatory" for v in hits)


def test_staging_allows_what_only_prod_requires() -> None:
    plan = baseline("staging")
    for m in MUTATIONS:
        if m.stacks == ("prod",):
            plan = mutate(plan, m)
    report = run(plan)
    assert report.violations == []
    not_applicable = {r.name for r in report.rules if r.not_applicable}
    assert {"rds-deletion-protection", "rds-multi-az"} <= not_applicable


def test_open_https_is_not_an_admin_port() -> None:
    plan = baseline("prod")
    rule = next(r for r in plan["resources"] if r["name"] == "nlb-https")
    assert rule["inputs"]["cidrBlocks"] == ["0.0.0.0/0"]
    assert run(plan).for_rule("security-group-no-internet-admin-ports") == []


def test_violation_names_the_resource_and_property() -> None:
    plan = mutate(baseline("prod"), Mutation("rds-not-public", "db", "publiclyAccessible", True))
    (hit,) = run(plan).for_rule("rds-not-public")
    assert hit.urn == urn("prod", "aws:rds/instance:Instance", "db")
    assert "publiclyAccessible" in hit.message
    assert hit.severity == "critical"


def test_greedy_path_is_allowed_below_a_literal_prefix_at_any_depth() -> None:
    # /api/{version}/{proxy+}: the literal "api" above the parameter still bounds it.
    plan = baseline("prod")
    by_name = {r["name"]: r for r in plan["resources"]}
    version = {
        **by_name["api-prefix"],
        "urn": urn("prod", "aws:apigateway/resource:Resource", "version"),
        "name": "version",
        "dependencies": [by_name["api"]["urn"], by_name["api-prefix"]["urn"]],
        "inputs": {"pathPart": "{version}", "restApi": "api-1", "parentId": "res-api-prefix"},
    }
    plan["resources"].append(version)
    by_name["proxy"]["dependencies"] = [by_name["api"]["urn"], version["urn"]]
    assert run(plan).for_rule("apigw-no-root-proxy") == []


def test_root_proxy_violation_names_the_greedy_resource() -> None:
    plan = mutate(baseline("staging"), Mutation("apigw-no-root-proxy", "api-prefix", REMOVE))
    (hit,) = run(plan).for_rule("apigw-no-root-proxy")
    assert hit.urn == urn("staging", "aws:apigateway/resource:Resource", "proxy")
    assert "{proxy+}" in hit.message
    assert hit.severity == "high"
    assert hit.enforcement == "mandatory"


@pytest.mark.parametrize("variant", PASSING, ids=[m.id for m in PASSING])
def test_compliant_variant_is_not_flagged(variant: Mutation) -> None:
    for stack_name in variant.stacks:
        report = run(mutate(baseline(stack_name), variant))
        assert report.for_rule(variant.rule) == [], stack_name


WATCHED_EXTRA = [
    (
        "aws:rds/cluster:Cluster",
        {"clusterIdentifier": "hrms-aurora"},
        {"DBClusterIdentifier": "hrms-aurora"},
    ),
    (
        "aws:elasticache/cluster:Cluster",
        {"clusterId": "hrms-memo"},
        {"CacheClusterId": "hrms-memo"},
    ),
    (
        "aws:elasticache/serverlessCache:ServerlessCache",
        {"name": "hrms-sessions"},
        {"clusterId": "hrms-sessions"},
    ),
]


@pytest.mark.parametrize(
    ("type_", "inputs", "dimensions"), WATCHED_EXTRA, ids=[w[0] for w in WATCHED_EXTRA]
)
def test_every_rds_cluster_and_cache_needs_an_alarm(
    type_: str, inputs: dict[str, Any], dimensions: dict[str, str]
) -> None:
    plan = baseline("prod")
    target: dict[str, Any] = {
        "urn": urn("prod", type_, "extra"),
        "type": type_,
        "name": "extra",
        "parent": None,
        "provider": None,
        "dependencies": [],
        "inputs": inputs,
    }
    plan["resources"].append(target)
    (hit,) = run(plan).for_rule("alarms-cover-critical-resources")
    assert hit.urn == target["urn"]
    alarm: dict[str, Any] = {
        **target,
        "urn": urn("prod", "aws:cloudwatch/metricAlarm:MetricAlarm", "extra-alarm"),
        "type": "aws:cloudwatch/metricAlarm:MetricAlarm",
        "name": "extra-alarm",
        "inputs": {"alarmActions": ["arn:sns"], "okActions": ["arn:sns"], "dimensions": dimensions},
    }
    plan["resources"].append(alarm)
    assert run(plan).for_rule("alarms-cover-critical-resources") == []
    alarm["inputs"]["alarmActions"] = []
    (hit,) = run(plan).for_rule("alarms-cover-critical-resources")
    assert hit.urn == target["urn"]
