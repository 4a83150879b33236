"""Tagging rule: every taggable AWS resource carries the platform's required tags."""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, Severity

from policies.common import SOC2, HrmsPolicy, HrmsResourcePolicy, config_value, get_path, violation
from policies.taggable import taggable_types

REQUIRED_TAGS = ["Environment", "Service", "Owner", "CostCenter", "DataClassification"]


def _required_tags(args: ResourceValidationArgs, report: ReportViolation) -> None:
    required = [str(t) for t in config_value(args, "requiredTags", REQUIRED_TAGS)]
    tags = get_path(args.props, "tags", {})
    if not isinstance(tags, Mapping):
        tags = {}
    missing = [key for key in required if not tags.get(key)]
    if missing:
        violation(report, f"tags is missing {', '.join(missing)}.")
    environment = config_value(args, "environment", "")
    if environment and tags.get("Environment") and tags.get("Environment") != environment:
        violation(
            report,
            f"tags.Environment is {tags.get('Environment')!r}; this stack is {environment!r}.",
        )


POLICIES: list[HrmsPolicy] = [
    HrmsResourcePolicy(
        name="aws-required-tags",
        description="Every taggable AWS resource carries Environment, Service, Owner, "
        "CostCenter and DataClassification tags.",
        resource_types=sorted(taggable_types()),
        check=_required_tags,
        severity=Severity.LOW,
        frameworks=[SOC2("CC6.1")],
        remediation="Tags come from the stack transformation in infra/tagging.py; make sure "
        "the resource is created inside the stack program (not a provider default_tags only) "
        "and that the tag values are set in Pulumi.<stack>.yaml.",
        config_schema=PolicyConfigSchema(
            properties={
                "requiredTags": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": REQUIRED_TAGS,
                },
                "environment": {"type": "string", "default": ""},
            }
        ),
    ),
]
