"""Edge rules: API Gateway authentication, tier usage plans, stage logging, WAF."""

from __future__ import annotations

import re
from itertools import pairwise

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from policies.common import (
    SOC2,
    HrmsPolicy,
    HrmsResourcePolicy,
    HrmsStackPolicy,
    as_list,
    as_number,
    config_value,
    get_path,
    is_true,
    related,
    resources_of,
    violation,
)

REST_RESOURCE = "aws:apigateway/resource:Resource"
METHOD = "aws:apigateway/method:Method"
USAGE_PLAN = "aws:apigateway/usagePlan:UsagePlan"
STAGE = "aws:apigateway/stage:Stage"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"

# Ordered smallest to largest, as in app/tenants/tiers.py (a test keeps them equal).
TIER_ORDER = ["free", "starter", "professional", "enterprise"]
HEALTH_PATHS = ["healthz", "readyz", "health"]
# Probes only read: an open POST or DELETE on a health path is an unauthenticated write.
HEALTH_METHODS = frozenset({"GET", "HEAD"})
# API Gateway's greedy path variable: matches the rest of the path, any depth.
GREEDY_PATH_PART = re.compile(r"\{[A-Za-z0-9._-]+\+\}")


def _method_auth(args: StackValidationArgs, report: ReportViolation) -> None:
    health = {str(p) for p in config_value(args, "healthPathParts", HEALTH_PATHS)}
    rest_resources = resources_of(args.resources, REST_RESOURCE)
    for method in resources_of(args.resources, METHOD):
        if is_true(get_path(method.props, "apiKeyRequired")):
            continue
        authorization = str(get_path(method.props, "authorization", "NONE")).upper()
        if authorization != "NONE":
            continue
        paths = [
            str(get_path(r.props, "pathPart", "")) for r in rest_resources if related(method, r)
        ]
        http_method = str(get_path(method.props, "httpMethod", "")).upper()
        if paths and all(p in health for p in paths) and http_method in HEALTH_METHODS:
            continue
        where = "/".join(paths) or "the API root"
        violation(
            report,
            f"{http_method or '?'} on {where} requires neither an API key nor an authorizer "
            f"(only {' and '.join(sorted(HEALTH_METHODS))} on a health path may be open).",
            method.urn,
        )


def _parent_resources(
    resource: PolicyResource, rest_resources: list[PolicyResource]
) -> list[PolicyResource]:
    """The API resources ``resource`` may hang off; none means the API's root resource.

    parent_id is an output (the root's id, or another resource's id) and is unknown in a
    preview, so the link is the engine's dependency edge: on parentId itself where the
    engine records per-property dependencies, else any dependency on another API resource.
    """
    by_property = resource.property_dependencies.get("parentId")
    candidates = list(by_property) if by_property else list(resource.dependencies)
    return [
        r
        for r in rest_resources
        if r.urn != resource.urn and any(d.urn == r.urn for d in candidates)
    ]


def _has_literal_prefix(
    resource: PolicyResource, rest_resources: list[PolicyResource], seen: frozenset[str]
) -> bool:
    """Whether every route from ``resource`` up to the root passes a literal path part."""
    parents = _parent_resources(resource, rest_resources)
    if not parents:
        return False
    for parent in parents:
        if parent.urn in seen:
            return False
        # A path parameter ({tenant}) matches any segment, so it is no prefix by itself.
        is_parameter = str(get_path(parent.props, "pathPart", "")).startswith("{")
        if is_parameter and not _has_literal_prefix(parent, rest_resources, seen | {parent.urn}):
            return False
    return True


def _no_root_proxy(args: StackValidationArgs, report: ReportViolation) -> None:
    rest_resources = resources_of(args.resources, REST_RESOURCE)
    for resource in rest_resources:
        part = str(get_path(resource.props, "pathPart", ""))
        if not GREEDY_PATH_PART.fullmatch(part):
            continue
        if _has_literal_prefix(resource, rest_resources, frozenset({resource.urn})):
            continue
        violation(
            report,
            f"pathPart {part} has no literal prefix above it: every path of the API, including "
            "backend pages never meant for tenants (admin, internal probes), reaches the "
            "integration.",
            resource.urn,
        )


def _usage_plan_limits(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for key in ("throttleSettings.rateLimit", "throttleSettings.burstLimit", "quotaSettings.limit"):
        value = as_number(get_path(args.props, key))
        if value is None or value <= 0:
            violation(report, f"{key} must be a positive number.")
    if get_path(args.props, "quotaSettings.period") not in ("DAY", "WEEK", "MONTH"):
        violation(report, "quotaSettings.period must be DAY, WEEK or MONTH.")
    if not as_list(get_path(args.props, "apiStages")):
        violation(report, "apiStages must link the plan to the API stage.")


def _tier_of(plan: PolicyResource, tiers: list[str]) -> str | None:
    label = str(get_path(plan.props, "name") or plan.name).lower()
    words = set(re.split(r"[^a-z0-9]+", label))
    found = [t for t in tiers if t in words]
    return found[0] if len(found) == 1 else None


def _usage_plan_order(args: StackValidationArgs, report: ReportViolation) -> None:
    tiers = [str(t) for t in config_value(args, "tierOrder", TIER_ORDER)]
    by_tier: dict[str, PolicyResource] = {}
    for plan in resources_of(args.resources, USAGE_PLAN):
        tier = _tier_of(plan, tiers)
        if tier is None:
            violation(report, "usage plan name names no single tier.", plan.urn)
        elif tier in by_tier:
            violation(report, f"a second usage plan for tier {tier}.", plan.urn)
        else:
            by_tier[tier] = plan
    if not by_tier:
        # No plan at all: nothing meters or throttles the tenants' API keys on these stages.
        for stage in resources_of(args.resources, STAGE):
            violation(
                report,
                f"no usage plan meters this stage; create one per tier ({', '.join(tiers)}).",
                stage.urn,
            )
        return
    for tier in tiers:
        if tier not in by_tier:
            violation(report, f"tier {tier} has no usage plan.")
    present = [t for t in tiers if t in by_tier]
    for key in ("throttleSettings.rateLimit", "throttleSettings.burstLimit", "quotaSettings.limit"):
        for lower, upper in pairwise(present):
            low = as_number(get_path(by_tier[lower].props, key))
            high = as_number(get_path(by_tier[upper].props, key))
            if low is not None and high is not None and not high > low:
                violation(
                    report,
                    f"{key} must grow by tier: {upper} ({high:g}) <= {lower} ({low:g}).",
                    by_tier[upper].urn,
                )


def _access_logging(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not get_path(args.props, "accessLogSettings.destinationArn"):
        violation(report, "accessLogSettings.destinationArn must name a log group.")
    if not get_path(args.props, "accessLogSettings.format"):
        violation(report, "accessLogSettings.format must be set.")


def _xray(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_true(get_path(args.props, "xrayTracingEnabled")):
        violation(report, "xrayTracingEnabled must be true.")


def _data_trace(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if is_true(get_path(args.props, "settings.dataTraceEnabled")):
        violation(
            report, "settings.dataTraceEnabled must be false: it logs full requests (tenant PII)."
        )


def _waf(args: StackValidationArgs, report: ReportViolation) -> None:
    associations = resources_of(args.resources, WAF_ASSOCIATION)
    for stage in resources_of(args.resources, STAGE):
        if not any(related(a, stage) for a in associations):
            violation(report, "the stage has no WAFv2 web ACL association.", stage.urn)


POLICIES: list[HrmsPolicy] = [
    HrmsStackPolicy(
        name="apigw-method-requires-auth",
        description="Every API Gateway method except the health routes requires an API key "
        "or an authorizer.",
        resource_types=[METHOD],
        check=_method_auth,
        severity=Severity.CRITICAL,
        frameworks=[SOC2("CC6.1"), SOC2("CC6.6")],
        remediation="Set api_key_required=True (tenant API key, metered by the usage plan) "
        "or an authorizer; only the health route may be open.",
        config_schema=PolicyConfigSchema(
            properties={
                "healthPathParts": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": HEALTH_PATHS,
                }
            }
        ),
    ),
    HrmsStackPolicy(
        name="apigw-no-root-proxy",
        description="No API Gateway greedy path ({proxy+}) sits directly under the root: "
        "everything exposed is under an explicit path prefix.",
        resource_types=[REST_RESOURCE],
        check=_no_root_proxy,
        severity=Severity.HIGH,
        frameworks=[SOC2("CC6.1"), SOC2("CC6.6")],
        remediation="Create a literal prefix resource (e.g. path_part='api') under the root "
        "and put the {proxy+} resource under it, with the integration URI "
        "http://<backend>/api/{proxy}; add other public paths as their own resources.",
    ),
    HrmsResourcePolicy(
        name="apigw-usage-plan-limits",
        description="Every usage plan sets rate, burst and quota and is linked to a stage.",
        resource_types=[USAGE_PLAN],
        check=_usage_plan_limits,
        severity=Severity.HIGH,
        frameworks=[SOC2("A1.1")],
        remediation="Generate the plan from the tier catalog with throttle_settings "
        "(rate_limit, burst_limit), quota_settings (limit, period) and api_stages.",
    ),
    HrmsStackPolicy(
        name="apigw-usage-plan-tiers",
        description="There is one usage plan per tier and its limits grow with the tier.",
        resource_types=[USAGE_PLAN, STAGE],
        check=_usage_plan_order,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("A1.1")],
        remediation="Create the plans by looping over the tier catalog "
        "(app/tenants/tiers.py) and keep the catalog ordered by size.",
        config_schema=PolicyConfigSchema(
            properties={
                "tierOrder": {"type": "array", "items": {"type": "string"}, "default": TIER_ORDER}
            }
        ),
    ),
    HrmsResourcePolicy(
        name="apigw-stage-access-logging",
        description="API stages write access logs.",
        resource_types=[STAGE],
        check=_access_logging,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("CC7.2")],
        remediation="Set access_log_settings with a KMS-encrypted log group and a JSON format.",
    ),
    HrmsResourcePolicy(
        name="apigw-stage-xray",
        description="API stages trace requests with X-Ray.",
        resource_types=[STAGE],
        check=_xray,
        severity=Severity.LOW,
        frameworks=[SOC2("CC7.2")],
        remediation="Set xray_tracing_enabled=True.",
    ),
    HrmsResourcePolicy(
        name="apigw-data-trace-off",
        description="API Gateway never logs full request/response data.",
        resource_types=[METHOD_SETTINGS],
        check=_data_trace,
        severity=Severity.HIGH,
        frameworks=[SOC2("CC6.1"), SOC2("C1.1")],
        remediation="Set settings.data_trace_enabled=False; use logging_level INFO/ERROR.",
    ),
    HrmsStackPolicy(
        name="apigw-waf-associated",
        description="Every API stage is protected by a WAFv2 web ACL.",
        resource_types=[STAGE],
        check=_waf,
        severity=Severity.HIGH,
        frameworks=[SOC2("CC6.6")],
        remediation="Add aws.wafv2.WebAclAssociation(resource_arn=<stage>.arn, web_acl_arn=...).",
        inspects=[WAF_ASSOCIATION],
    ),
]
