"""container-insights-installed: which alarms need the add-on, and how it finds their cluster."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.conftest import run
from tests.policies.mutations import INSIGHTS_MATH
from tests.policies.plans import DELETE, REMOVE, Mutation, baseline, mutate

pytestmark = pytest.mark.policy

RULE = "container-insights-installed"


def _edit(plan: dict[str, Any], *edits: tuple[str, str, Any]) -> dict[str, Any]:
    for resource, path, value in edits:
        plan = mutate(plan, Mutation(RULE, resource, path, value))
    return plan


def _hits(plan: dict[str, Any]) -> list[str]:
    return [v.urn for v in run(plan).for_rule(RULE)]


def _urn(plan: dict[str, Any], name: str) -> str:
    return next(str(r["urn"]) for r in plan["resources"] if r["name"] == name)


def test_metric_math_alarm_passes_with_the_add_on(stack: str) -> None:
    plan = _edit(
        baseline(stack),
        ("cluster-nodes", "namespace", DELETE),
        ("cluster-nodes", "dimensions", DELETE),
        ("cluster-nodes", "metricQueries", INSIGHTS_MATH),
    )
    assert _hits(plan) == []


def test_literal_cluster_name_links_alarm_and_add_on(stack: str) -> None:
    # A cluster managed elsewhere: only the names tie the alarm to the add-on.
    plan = _edit(
        baseline(stack),
        ("cluster-nodes", "@dependencies", [("aws:sns/topic:Topic", "alerts")]),
        ("cluster-nodes", "dimensions", {"ClusterName": "shared-eks"}),
        ("cluster-insights", "@dependencies", []),
        ("cluster-insights", "clusterName", "shared-eks"),
    )
    assert _hits(plan) == []
    wrong = _edit(plan, ("cluster-insights", "clusterName", "other-eks"))
    assert _hits(wrong) == [_urn(wrong, "cluster-nodes")]


def test_alarms_on_other_namespaces_need_no_add_on(stack: str) -> None:
    plan = _edit(baseline(stack), ("cluster-insights", REMOVE, None))
    plan = _edit(plan, ("cluster-nodes", "namespace", "AWS/EKS"))
    assert _hits(plan) == []


def test_violation_names_the_cluster_and_the_add_on(stack: str) -> None:
    plan = _edit(baseline(stack), ("cluster-insights", REMOVE, None))
    (violation,) = run(plan).for_rule(RULE)
    assert violation.enforcement == "mandatory"
    assert "cluster hrms" in violation.message
    assert "amazon-cloudwatch-observability" in violation.message
