"""The tenant API edge as one component: gateway, tier usage plans and WAF together."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from app.tenants.tiers import TIERS, Tier, TierName
from infra.edge.firewall import EdgeFirewall, EdgeFirewallArgs
from infra.edge.gateway import ApiGateway, ApiGatewayArgs
from infra.edge.usage_plans import TierUsagePlans, TierUsagePlansArgs
from infra.settings import matching, within

_STAGE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True, kw_only=True)
class EdgeSettings:
    """The stack-tunable values of the tenant API edge (``hrms:edge``)."""

    stage_name: str
    throttle_rate_limit: float
    throttle_burst_limit: int
    waf_rate_limit_per_ip: int
    log_retention_days: int

    def __post_init__(self) -> None:
        matching("stage_name", self.stage_name, _STAGE_NAME, "a stage name like prod")
        within("throttle_rate_limit", self.throttle_rate_limit, 1, 10_000)
        within("throttle_burst_limit", self.throttle_burst_limit, 1, 5_000)
        within("waf_rate_limit_per_ip", self.waf_rate_limit_per_ip, 100, 2_000_000_000)
        within("log_retention_days", self.log_retention_days, 1, 3653)


@dataclass(frozen=True, kw_only=True)
class TenantEdgeArgs:
    nlb_arn: pulumi.Input[str]
    nlb_dns_name: pulumi.Input[str]
    log_kms_key_arn: pulumi.Input[str]
    settings: EdgeSettings
    backend_port: int = 80
    health_path: str = "healthz"
    api_prefix: str = "api"
    tiers: Mapping[TierName, Tier] = field(default_factory=lambda: dict(TIERS))

    def __post_init__(self) -> None:
        # Stage throttling caps all clients of a method together; below the largest
        # plan it would silently cut that tier under what it pays for.
        edge = self.settings
        top_rate = max(t.rate_per_second for t in self.tiers.values())
        top_burst = max(t.burst for t in self.tiers.values())
        if edge.throttle_rate_limit < top_rate or edge.throttle_burst_limit < top_burst:
            raise ValueError(
                f"TenantEdgeArgs: stage throttling {edge.throttle_rate_limit:g} req/s burst "
                f"{edge.throttle_burst_limit} is below the largest tier plan "
                f"({top_rate:g} req/s burst {top_burst})"
            )
        # A per-IP flood rule below one busy tenant's 5-minute allowance would block it.
        if edge.waf_rate_limit_per_ip < top_rate * 300:
            raise ValueError(
                f"TenantEdgeArgs.waf_rate_limit_per_ip={edge.waf_rate_limit_per_ip} is below "
                f"5 minutes of the largest tier ({top_rate * 300:g} requests)"
            )


class TenantEdge(pulumi.ComponentResource):
    """Internet-facing entry: REST API via VPC Link, usage plan per tier, WAF on the stage."""

    invoke_url: pulumi.Output[str]
    rest_api_id: pulumi.Output[str]
    rest_api_name: pulumi.Output[str]
    stage_name: pulumi.Output[str]
    web_acl_name: pulumi.Output[str]
    usage_plan_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: TenantEdgeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:edge:TenantEdge", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        gateway = ApiGateway(
            f"{name}-gateway",
            ApiGatewayArgs(
                nlb_arn=args.nlb_arn,
                nlb_dns_name=args.nlb_dns_name,
                log_kms_key_arn=args.log_kms_key_arn,
                stage_name=args.settings.stage_name,
                throttle_rate_limit=args.settings.throttle_rate_limit,
                throttle_burst_limit=args.settings.throttle_burst_limit,
                log_retention_days=args.settings.log_retention_days,
                backend_port=args.backend_port,
                health_path=args.health_path,
                api_prefix=args.api_prefix,
            ),
            opts=child,
        )
        plans = TierUsagePlans(
            f"{name}-plan",
            TierUsagePlansArgs(
                rest_api_id=gateway.rest_api_id, stage_name=gateway.stage_name, tiers=args.tiers
            ),
            opts=child,
        )
        firewall = EdgeFirewall(
            f"{name}-waf",
            EdgeFirewallArgs(
                stage_arn=gateway.stage_arn,
                log_kms_key_arn=args.log_kms_key_arn,
                rate_limit_per_ip=args.settings.waf_rate_limit_per_ip,
                log_retention_days=args.settings.log_retention_days,
            ),
            opts=child,
        )
        self.invoke_url = gateway.invoke_url
        self.rest_api_id = gateway.rest_api_id
        self.rest_api_name = gateway.rest_api_name
        self.stage_name = gateway.stage_name
        self.web_acl_name = firewall.web_acl_name
        self.usage_plan_ids = plans.plan_ids
        self.register_outputs(
            {
                "invoke_url": gateway.invoke_url,
                "rest_api_id": gateway.rest_api_id,
                "stage_name": gateway.stage_name,
                "usage_plan_ids": plans.plan_ids,
            }
        )
