"""The evaluator hands rules what the Pulumi engine would: floats, proxies, unknowns, config."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest
from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity
from pulumi_policy.proxy import UnknownValueError

from policies.common import HrmsResourcePolicy
from policies.edge import TIER_ORDER
from policies.registry import all_policies
from policies.taggable import render, scan_provider, taggable_types
from stacks.offline.policy import (
    PolicyInputError,
    evaluate_plan,
    load_policy_config,
    resolve_config,
)
from tests.policies.conftest import run
from tests.policies.plans import Mutation, baseline, mutate

pytestmark = pytest.mark.policy

DB = "aws:rds/instance:Instance"


def _probe(seen: list[ResourceValidationArgs]) -> HrmsResourcePolicy:
    def check(args: ResourceValidationArgs, report: ReportViolation) -> None:
        seen.append(args)

    return HrmsResourcePolicy(
        name="probe",
        description="records what it is given",
        resource_types=[DB],
        check=check,
        severity=Severity.LOW,
        remediation="none",
    )


def test_numbers_arrive_as_floats_behind_the_unknown_proxy() -> None:
    seen: list[ResourceValidationArgs] = []
    evaluate_plan(baseline("prod"), config={}, policies=[_probe(seen)])
    (args,) = seen
    assert args.resource_type == DB
    assert type(args.props["backupRetentionPeriod"]) is float
    assert args.props["backupRetentionPeriod"] == 35.0
    assert type(args.props).__name__ == "_DictProxy"
    assert args.urn.endswith("::db")


def test_unknown_values_raise_like_in_preview_and_become_advisory() -> None:
    plan = mutate(
        baseline("prod"), Mutation("rds-not-public", "db", "publiclyAccessible", "[unknown]")
    )
    seen: list[ResourceValidationArgs] = []
    evaluate_plan(plan, config={}, policies=[_probe(seen)])
    with pytest.raises(UnknownValueError):
        seen[0].props["publiclyAccessible"]
    (hit,) = run(plan).for_rule("rds-not-public")
    assert hit.enforcement == "advisory"
    assert "can't be known during preview" in hit.message
    assert "publiclyAccessible" in hit.message


def test_secrets_are_unwrapped_like_the_engine_does() -> None:
    plan = mutate(baseline("prod"), Mutation("x", "db", "password", "[secret]"))
    seen: list[ResourceValidationArgs] = []
    evaluate_plan(plan, config={}, policies=[_probe(seen)])
    assert seen[0].props["password"] == "[secret]"


def test_stack_rules_see_parents_and_dependencies() -> None:
    from pulumi_policy import StackValidationArgs

    from policies.common import HrmsStackPolicy

    captured: list[StackValidationArgs] = []
    policy = HrmsStackPolicy(
        name="stack-probe",
        description="records the stack",
        resource_types=[DB],
        check=lambda args, report: captured.append(args),
        severity=Severity.LOW,
        remediation="none",
    )
    evaluate_plan(baseline("prod"), config={}, policies=[policy])
    db = next(r for r in captured[0].resources if r.name == "db")
    assert {d.name for d in db.dependencies} == {"kms", "db-params", "db-sg"}


def test_config_override_and_disable() -> None:
    plan = mutate(baseline("prod"), Mutation("rds-not-public", "db", "publiclyAccessible", True))
    raw = {"rds-not-public": {"enforcementLevel": "advisory"}}
    config = resolve_config({**load_policy_config("prod"), **raw})
    (hit,) = evaluate_plan(plan, config=config).for_rule("rds-not-public")
    assert hit.enforcement == "advisory"
    config = resolve_config({**load_policy_config("prod"), "rds-not-public": "disabled"})
    report = evaluate_plan(plan, config=config)
    assert report.for_rule("rds-not-public") == []
    assert next(r for r in report.rules if r.name == "rds-not-public").enforcement == "disabled"


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"no-such-rule": {}}, "unknown policy name"),
        ({"rds-backup-retention": {"minimumDays": "14"}}, "rds-backup-retention.minimumDays"),
        ({"rds-backup-retention": {"minimumDays": 90}}, "rds-backup-retention.minimumDays"),
        ({"rds-backup-retention": {"days": 14}}, "has no setting(s) ['days']"),
        ({"rds-multi-az": {"enforcementLevel": "sometimes"}}, "enforcementLevel"),
        ({"rds-multi-az": 3}, "must be an object or a level"),
    ],
)
def test_bad_policy_config_is_named(raw: Mapping[str, Any], needle: str) -> None:
    with pytest.raises(PolicyInputError, match="policy config") as info:
        resolve_config(raw)
    assert needle in str(info.value)


def test_schema_defaults_are_filled_like_the_cli() -> None:
    config = resolve_config({})
    assert config["rds-backup-retention"]["minimumDays"] == 7
    assert load_policy_config("prod")["rds-backup-retention"]["minimumDays"] == 14


def test_bad_plans_are_named() -> None:
    with pytest.raises(PolicyInputError, match=r"resources\[0\]: resource is missing string field"):
        evaluate_plan({"stack": "prod", "resources": [{"urn": "u"}]}, config={})
    with pytest.raises(PolicyInputError, match="'inputs' of u must be an object"):
        evaluate_plan(
            {"stack": "prod", "resources": [{"urn": "u", "type": "t", "name": "n", "inputs": 1}]},
            config={},
        )
    with pytest.raises(PolicyInputError, match="no policy config for stack 'qa'"):
        load_policy_config("qa")


def test_pack_metadata_is_complete() -> None:
    names = [p.name for p in all_policies()]
    assert len(names) == len(set(names))
    for policy in all_policies():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name), policy.name
        assert policy.description, policy.name
        assert policy.remediation_steps, policy.name
        assert policy.severity is not None, policy.name
        assert policy.frameworks, policy.name
        assert policy.framework is not None, policy.name
        assert policy.enforcement_level is not None


def test_advisory_without_reason_is_refused() -> None:
    from pulumi_policy import EnforcementLevel

    with pytest.raises(ValueError, match="without a written reason"):
        HrmsResourcePolicy(
            name="lax",
            description="d",
            resource_types=[DB],
            check=lambda args, report: None,
            severity=Severity.LOW,
            remediation="r",
            enforcement=EnforcementLevel.ADVISORY,
        )


def test_tier_order_matches_the_catalog() -> None:
    from app.tenants.tiers import TIERS

    assert [t.value for t in TIERS] == TIER_ORDER


def test_taggable_type_list_matches_the_pinned_provider() -> None:
    from policies.taggable import DATA_FILE

    assert DATA_FILE.read_text(encoding="utf-8") == render(scan_provider()), (
        "regenerate with: python -m policies.taggable"
    )
    assert {DB, "aws:eks/cluster:Cluster", "aws:kms/key:Key"} <= taggable_types()
    assert "aws:apigateway/method:Method" not in taggable_types()


def test_property_dependencies_reach_stack_rules() -> None:
    from pulumi_policy import StackValidationArgs

    from policies.common import HrmsStackPolicy

    plan = baseline("prod")
    proxy = next(r for r in plan["resources"] if r["name"] == "proxy")
    prefix = next(r for r in plan["resources"] if r["name"] == "api-prefix")
    proxy["propertyDependencies"] = {"parentId": [prefix["urn"]], "restApi": ["urn:gone"]}
    captured: list[StackValidationArgs] = []
    policy = HrmsStackPolicy(
        name="stack-probe",
        description="records the stack",
        resource_types=[DB],
        check=lambda args, report: captured.append(args),
        severity=Severity.LOW,
        remediation="none",
    )
    evaluate_plan(plan, config={}, policies=[policy])
    seen = next(r for r in captured[0].resources if r.name == "proxy")
    assert [d.name for d in seen.property_dependencies["parentId"]] == ["api-prefix"]
    assert seen.property_dependencies["restApi"] == []
    proxy["propertyDependencies"] = {"parentId": "api-prefix"}
    with pytest.raises(PolicyInputError, match=r"'propertyDependencies' of .* must map"):
        evaluate_plan(plan, config={}, policies=[policy])
