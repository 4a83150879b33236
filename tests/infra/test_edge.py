"""The API edge component: routes, keys, stage settings, usage plans and WAF, under mocks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.tenants.tiers import TIERS
from infra.account import APIGATEWAY_CLOUDWATCH_ROLE, AccountNotBootstrappedError
from infra.edge import gateway
from infra.edge.api import EdgeSettings, TenantEdge, TenantEdgeArgs
from infra.edge.firewall import EdgeFirewallArgs
from infra.edge.gateway import ACCESS_LOG_FIELDS, ApiGateway, ApiGatewayArgs
from stacks.offline.engine import synthesize
from stacks.offline.plan import Plan
from tests.infra.conftest import DEFAULT_CONFIG, Synth

KEY = "arn:aws:kms:eu-west-1:123456789012:key/edge-logs"
NLB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/app/abc"


def edge_args(**overrides: Any) -> TenantEdgeArgs:
    settings: dict[str, Any] = {
        "stage_name": "staging",
        "throttle_rate_limit": 1000,
        "throttle_burst_limit": 2000,
        "waf_rate_limit_per_ip": 100_000,
        "log_retention_days": 30,
    }
    wiring: dict[str, Any] = {
        "nlb_arn": NLB,
        "nlb_dns_name": "app-abc.elb.eu-west-1.amazonaws.com",
        "log_kms_key_arn": KEY,
    }
    for key, value in overrides.items():
        (settings if key in settings else wiring)[key] = value
    return TenantEdgeArgs(**wiring, settings=EdgeSettings(**settings))


@pytest.fixture
def plan(synth: Synth) -> Plan:
    return synth(lambda: TenantEdge("hrms-test-edge", edge_args()))


def test_every_method_but_health_requires_an_api_key(plan: Plan) -> None:
    resources = plan.by_type("aws:apigateway/resource:Resource")
    methods = plan.by_type("aws:apigateway/method:Method")
    # Three resources (healthz, api, api/{proxy+}); the api prefix holds no method.
    assert len(resources) == 3
    assert len(methods) == 2
    by_path = {}
    for method in methods:
        (resource,) = (r for r in resources if r.urn in method.dependencies)
        by_path[resource.inputs["pathPart"]] = method.inputs
    assert by_path["{proxy+}"]["apiKeyRequired"] is True
    assert by_path["{proxy+}"]["httpMethod"] == "ANY"
    assert by_path["healthz"]["apiKeyRequired"] is False
    assert by_path["healthz"]["httpMethod"] == "GET"


def test_routes_reach_the_internal_nlb_through_the_vpc_link(plan: Plan) -> None:
    (link,) = plan.by_type("aws:apigateway/vpcLink:VpcLink")
    assert link.inputs["targetArn"] == NLB
    integrations = plan.by_type("aws:apigateway/integration:Integration")
    assert len(integrations) == 2
    for integration in integrations:
        assert integration.inputs["connectionType"] == "VPC_LINK"
        assert integration.inputs["type"] == "HTTP_PROXY"
        assert integration.inputs["uri"].startswith(
            "http://app-abc.elb.eu-west-1.amazonaws.com:80/"
        )
    (proxy,) = (i for i in integrations if i.inputs["uri"].endswith("/api/{proxy}"))
    assert proxy.inputs["requestParameters"] == {
        "integration.request.path.proxy": "method.request.path.proxy"
    }


def test_api_is_regional_and_keyed_by_header(plan: Plan) -> None:
    (api,) = plan.by_type("aws:apigateway/restApi:RestApi")
    assert api.inputs["endpointConfiguration"]["types"] == "REGIONAL"
    assert api.inputs["apiKeySource"] == "HEADER"


def test_stage_logs_json_traces_and_throttles(plan: Plan) -> None:
    (stage,) = plan.by_type("aws:apigateway/stage:Stage")
    assert stage.inputs["xrayTracingEnabled"] is True
    assert stage.inputs["stageName"] == "staging"
    log_format = json.loads(stage.inputs["accessLogSettings"]["format"])
    assert log_format == ACCESS_LOG_FIELDS
    assert "apiKeyId" in log_format
    (access_logs,) = (
        g
        for g in plan.by_type("aws:cloudwatch/logGroup:LogGroup")
        if g.name.endswith("access-logs")
    )
    assert stage.inputs["accessLogSettings"]["destinationArn"].endswith(access_logs.inputs["name"])
    assert access_logs.urn in stage.dependencies
    (settings,) = plan.by_type("aws:apigateway/methodSettings:MethodSettings")
    assert settings.inputs["methodPath"] == "*/*"
    s = settings.inputs["settings"]
    assert s["dataTraceEnabled"] is False
    assert s["throttlingRateLimit"] == 1000
    assert s["throttlingBurstLimit"] == 2000
    assert s["metricsEnabled"] is True


def test_deployment_waits_for_every_method_and_integration(plan: Plan) -> None:
    (deployment,) = plan.by_type("aws:apigateway/deployment:Deployment")
    wiring = plan.by_type("aws:apigateway/method:Method") + plan.by_type(
        "aws:apigateway/integration:Integration"
    )
    wiring += plan.by_type("aws:apigateway/resource:Resource")
    assert {w.urn for w in wiring} <= set(deployment.dependencies)
    assert deployment.inputs["triggers"]["redeployment"]


def _redeployment(synth: Synth, **overrides: Any) -> str:
    plan = synth(lambda: TenantEdge("hrms-test-edge", edge_args(**overrides)))
    (deployment,) = plan.by_type("aws:apigateway/deployment:Deployment")
    return str(deployment.inputs["triggers"]["redeployment"])


def test_a_route_change_redeploys_the_stage(synth: Synth) -> None:
    # A stage serves the deployment snapshot it points at: without a new trigger value a
    # changed route would exist on the API but never be served.
    same = _redeployment(synth)
    assert _redeployment(synth) == same
    assert _redeployment(synth, api_prefix="tenant-api") != same
    assert _redeployment(synth, health_path="health") != same
    assert _redeployment(synth, backend_port=8080) != same


def test_a_new_target_redeploys_the_stage(synth: Synth) -> None:
    """A replaced NLB (new ARN, so a new VPC link) or a new backend name keeps every route
    as it was; the old snapshot would still forward to the deleted target."""
    same = _redeployment(synth)
    assert _redeployment(synth, nlb_arn=NLB.replace("/abc", "/def")) != same
    assert _redeployment(synth, nlb_dns_name="app-def.elb.eu-west-1.amazonaws.com") != same


def _gateway_redeployment(synth: Synth, **overrides: Any) -> str:
    values: dict[str, Any] = {
        "nlb_arn": NLB,
        "nlb_dns_name": "app-abc.elb.eu-west-1.amazonaws.com",
        "log_kms_key_arn": KEY,
        "stage_name": "staging",
        "throttle_rate_limit": 1000,
        "throttle_burst_limit": 2000,
        "log_retention_days": 30,
        **overrides,
    }
    plan = synth(lambda: ApiGateway("hrms-test-gw", ApiGatewayArgs(**values)))
    (deployment,) = plan.by_type("aws:apigateway/deployment:Deployment")
    return str(deployment.inputs["triggers"]["redeployment"])


def test_integration_settings_redeploy_the_stage(synth: Synth) -> None:
    same = _gateway_redeployment(synth)
    assert _gateway_redeployment(synth) == same
    assert _gateway_redeployment(synth, integration_timeout_ms=10_000) != same


def test_the_trigger_covers_every_integration_setting(
    synth: Synth, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever an Integration is given (besides ids the wiring already covers) feeds the
    trigger, so a setting added later cannot be forgotten."""
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(gateway, "redeployment_trigger", lambda target: seen.append(target) or "x")
    plan = synth(lambda: TenantEdge("hrms-test-edge", edge_args()))
    [target] = seen
    integrations = plan.by_type("aws:apigateway/integration:Integration")
    assert len(target["integrations"]) == len(integrations)
    assert target["nlbArn"] == NLB
    assert sorted(target["uris"]) == sorted(i.inputs["uri"] for i in integrations)
    ids_only = {"restApi", "resourceId", "httpMethod", "connectionId", "uri"}
    for integration in integrations:
        role = integration.name.removeprefix("hrms-test-edge-gateway-").removesuffix("-integration")
        settings = target["integrations"][role]
        hashed = {k.replace("_", "") for k, v in settings.items() if v is not None}
        recorded = {k.lower() for k in integration.inputs if k not in ids_only}
        assert recorded <= {h.lower() for h in hashed}, (role, recorded, hashed)


def test_every_log_group_is_encrypted_and_expires(plan: Plan) -> None:
    groups = plan.by_type("aws:cloudwatch/logGroup:LogGroup")
    names = {g.inputs["name"] for g in groups}
    assert "aws-waf-logs-hrms-test-edge-waf" in names
    assert any(n.startswith("API-Gateway-Execution-Logs_") for n in names)
    assert len(groups) == 3
    for group in groups:
        assert group.inputs["kmsKeyId"] == KEY
        assert group.inputs["retentionInDays"] == 30


def test_one_usage_plan_per_tier_with_the_catalog_numbers(plan: Plan) -> None:
    plans = {p.inputs["name"]: p.inputs for p in plan.by_type("aws:apigateway/usagePlan:UsagePlan")}
    assert len(plans) == len(TIERS)
    for tier in TIERS.values():
        inputs = plans[f"hrms-test-edge-plan-{tier.name.value}"]
        assert inputs["throttleSettings"] == {
            "rateLimit": tier.rate_per_second,
            "burstLimit": tier.burst,
        }
        if tier.daily_quota is None:
            assert "quotaSettings" not in inputs
        else:
            assert inputs["quotaSettings"] == {"limit": tier.daily_quota, "period": "DAY"}
        assert inputs["apiStages"] == [
            {"apiId": inputs["apiStages"][0]["apiId"], "stage": "staging"}
        ]


def test_waf_is_associated_with_the_stage_and_has_the_required_rules(plan: Plan) -> None:
    (acl,) = plan.by_type("aws:wafv2/webAcl:WebAcl")
    assert acl.inputs["scope"] == "REGIONAL"
    rules = {r["name"]: r for r in acl.inputs["rules"]}
    groups = {
        r["statement"]["managedRuleGroupStatement"]["name"]
        for r in rules.values()
        if "managedRuleGroupStatement" in r["statement"]
    }
    assert groups == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}
    rate = rules["rate-limit-per-ip"]
    assert rate["statement"]["rateBasedStatement"] == {
        "aggregateKeyType": "IP",
        "limit": 100_000,
        "evaluationWindowSec": 300,
    }
    assert "block" in rate["action"]
    assert len({r["priority"] for r in rules.values()}) == len(rules)
    (assoc,) = plan.by_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    (stage,) = plan.by_type("aws:apigateway/stage:Stage")
    assert assoc.inputs["resourceArn"].endswith("/stages/staging")
    assert stage.urn in assoc.dependencies
    assert acl.urn in assoc.dependencies
    (logging,) = plan.by_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    redacted = {f["singleHeader"]["name"] for f in logging.inputs["redactedFields"]}
    assert redacted == {"x-api-key", "authorization"}
    assert (
        logging.inputs["logDestinationConfigs"][0]
        .split(":log-group:")[-1]
        .startswith("aws-waf-logs-")
    )


def test_the_account_logging_role_is_looked_up_never_created(plan: Plan) -> None:
    # One setting per account and region: owned by the bootstrap, so two stacks in one
    # account never overwrite it and destroying one never breaks the other's logging.
    assert plan.by_type("aws:apigateway/account:Account") == []
    roles = [r.name for r in plan.by_type("aws:iam/role:Role")]
    assert not any("cloudwatch" in name for name in roles), roles


def test_an_account_without_the_bootstrap_fails_naming_the_role_and_the_fix() -> None:
    def program() -> None:
        TenantEdge("hrms-test-edge", edge_args())

    with pytest.raises(AccountNotBootstrappedError) as excinfo:
        synthesize(program, stack="test", config=DEFAULT_CONFIG, iam_roles=frozenset())
    message = str(excinfo.value)
    assert APIGATEWAY_CLOUDWATCH_ROLE in message
    assert "make bootstrap" in message


def test_components_have_the_edge_as_parent(plan: Plan) -> None:
    (edge,) = plan.by_type("hrms:edge:TenantEdge")
    children = {r.type for r in plan.children(edge.urn)}
    assert children == {
        "hrms:edge:ApiGateway",
        "hrms:edge:TierUsagePlans",
        "hrms:edge:EdgeFirewall",
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"throttle_rate_limit": 100}, "below the largest tier plan"),
        ({"throttle_burst_limit": 100}, "below the largest tier plan"),
        ({"waf_rate_limit_per_ip": 1000}, "waf_rate_limit_per_ip"),
    ],
)
def test_edge_limits_below_the_largest_tier_are_refused(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        edge_args(**overrides)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"log_retention_days": 10}, "log_retention_days=10"),
        ({"stage_name": "prod/v1"}, "stage_name"),
        ({"throttle_rate_limit": 20_000}, "throttle_rate_limit"),
        ({"throttle_burst_limit": 6_000}, "throttle_burst_limit"),
        ({"health_path": "a/b"}, "health_path"),
        ({"health_path": "{proxy+}"}, "health_path"),
        ({"api_prefix": ""}, "api_prefix"),
        ({"api_prefix": "{proxy+}"}, "api_prefix"),
        ({"api_prefix": "api/v1"}, "api_prefix"),
        ({"api_prefix": "healthz"}, "must differ"),
    ],
)
def test_bad_gateway_settings_fail_naming_the_setting(
    overrides: dict[str, Any], message: str
) -> None:
    values: dict[str, Any] = {
        "nlb_arn": NLB,
        "nlb_dns_name": "x",
        "log_kms_key_arn": KEY,
        "stage_name": "staging",
        "throttle_rate_limit": 1000,
        "throttle_burst_limit": 2000,
        "log_retention_days": 30,
    }
    with pytest.raises(ValueError, match=message):
        ApiGatewayArgs(**{**values, **overrides})


def test_waf_rejects_a_rate_limit_it_cannot_enforce() -> None:
    with pytest.raises(ValueError, match="rate_limit_per_ip"):
        EdgeFirewallArgs(
            stage_arn="x", log_kms_key_arn=KEY, rate_limit_per_ip=5, log_retention_days=7
        )
