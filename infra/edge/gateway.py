"""Regional REST API that forwards tenant traffic through a VPC Link to the internal NLB."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.account import APIGATEWAY_CLOUDWATCH_ROLE, account_role_arn
from infra.logs import encrypted_log_group
from infra.observability.retention import check_retention

# API Gateway's own per-account, per-region ceiling; a stage limit above it is never
# honoured and only hides the real cap from whoever reads the config.
ACCOUNT_RATE_LIMIT = 10_000.0
ACCOUNT_BURST_LIMIT = 5_000

# One JSON object per request. apiKeyId (the key's id, never its value) attributes a
# request to a tenant without writing the secret into the log.
ACCESS_LOG_FIELDS: dict[str, str] = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTimeEpoch",
    "ip": "$context.identity.sourceIp",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integration.status",
    "integrationLatency": "$context.integration.latency",
    "integrationError": "$context.integration.error",
    "errorType": "$context.error.responseType",
    "apiKeyId": "$context.identity.apiKeyId",
    "wafStatus": "$context.waf.status",
    "xrayTraceId": "$context.xrayTraceId",
}
ACCESS_LOG_FORMAT = json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":"))

# A literal segment: no "{param}" or "{proxy+}", which would match more than its own name.
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")


@dataclass(frozen=True, kw_only=True)
class ApiGatewayArgs:
    nlb_arn: pulumi.Input[str]
    nlb_dns_name: pulumi.Input[str]
    log_kms_key_arn: pulumi.Input[str]
    stage_name: str
    throttle_rate_limit: float
    throttle_burst_limit: int
    log_retention_days: int
    backend_port: int = 80
    health_path: str = "healthz"
    # The app's URL prefix for the tenant API (app/urls.py: api/v1/, api/schema/, api/docs/).
    api_prefix: str = "api"
    integration_timeout_ms: int = 29_000

    def __post_init__(self) -> None:
        if not self.stage_name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"ApiGatewayArgs.stage_name {self.stage_name!r}: use [A-Za-z0-9_-]")
        if not 0 < self.throttle_rate_limit <= ACCOUNT_RATE_LIMIT:
            raise ValueError(
                f"ApiGatewayArgs.throttle_rate_limit={self.throttle_rate_limit}: "
                f"must be within (0, {ACCOUNT_RATE_LIMIT:g}]"
            )
        if not 0 < self.throttle_burst_limit <= ACCOUNT_BURST_LIMIT:
            raise ValueError(
                f"ApiGatewayArgs.throttle_burst_limit={self.throttle_burst_limit}: "
                f"must be within (0, {ACCOUNT_BURST_LIMIT}]"
            )
        if not 1 <= self.backend_port <= 65_535:
            raise ValueError(f"ApiGatewayArgs.backend_port={self.backend_port}: not a TCP port")
        if not 50 <= self.integration_timeout_ms <= 29_000:
            raise ValueError("ApiGatewayArgs.integration_timeout_ms must be within 50..29000")
        for field, value in (("health_path", self.health_path), ("api_prefix", self.api_prefix)):
            if not _PATH_SEGMENT.fullmatch(value):
                raise ValueError(
                    f"ApiGatewayArgs.{field} {value!r}: one literal path segment [A-Za-z0-9._-]"
                )
        if self.health_path == self.api_prefix:
            raise ValueError("ApiGatewayArgs.health_path and api_prefix must differ")
        check_retention(self.log_retention_days, field="ApiGatewayArgs.log_retention_days")


@dataclass(frozen=True)
class _Route:
    """One API resource: its path part, its parent and the method (if any) it exposes."""

    role: str
    path_part: str
    parent: str | None  # role of the parent route; None is the API root
    http_method: str | None  # None: a path prefix that only holds children
    api_key_required: bool
    backend_path: str

    @property
    def greedy(self) -> bool:
        return self.path_part.endswith("+}")


def redeployment_trigger(target: dict[str, Any]) -> str:
    """A stable digest of everything a deployment snapshot depends on."""
    canonical = json.dumps(target, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def tenant_routes(args: ApiGatewayArgs) -> tuple[_Route, ...]:
    """What the public edge exposes: the health probe and the API under its prefix, nothing else.

    The app also serves the staff admin and the readiness probe; they have no route here,
    so API Gateway answers 403 for them and they never reach the app. A greedy path at the
    root would forward every path to the app, whatever the app adds later.
    """
    prefix = args.api_prefix
    return (
        _Route(
            "health",
            args.health_path,
            parent=None,
            http_method="GET",
            api_key_required=False,
            backend_path=args.health_path,
        ),
        _Route(
            "api-prefix",
            prefix,
            parent=None,
            http_method=None,
            api_key_required=True,
            backend_path=prefix,
        ),
        # The tenant API: API Gateway meters it per key, so no unauthenticated route may
        # reach the app except the health probe.
        _Route(
            "api-proxy",
            "{proxy+}",
            parent="api-prefix",
            http_method="ANY",
            api_key_required=True,
            backend_path=f"{prefix}/{{proxy}}",
        ),
    )


class ApiGateway(pulumi.ComponentResource):
    """REST API + VPC Link + stage with JSON access logs, X-Ray and stage throttling."""

    rest_api_id: pulumi.Output[str]
    rest_api_name: pulumi.Output[str]
    stage_name: pulumi.Output[str]
    stage_arn: pulumi.Output[str]
    invoke_url: pulumi.Output[str]
    execution_arn: pulumi.Output[str]
    access_log_group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: ApiGatewayArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:edge:ApiGateway", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        api = aws.apigateway.RestApi(
            f"{name}-api",
            name=name,
            description="HRMS tenant API (API key per tenant, usage plan per tier)",
            api_key_source="HEADER",
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(
                types="REGIONAL"
            ),
            opts=child,
        )
        link = aws.apigateway.VpcLink(
            f"{name}-vpc-link",
            name=f"{name}-vpc-link",
            description="API Gateway to the internal app NLB",
            target_arn=args.nlb_arn,
            opts=child,
        )

        routes = tenant_routes(args)
        wiring, integration_settings, integration_uris = self._routes(name, args, routes, api, link)
        deployment = self._deployment(
            name, args, routes, api, link, wiring, integration_settings, integration_uris
        )
        stage, access_logs = self._stage(name, args, api, deployment)

        self.rest_api_id = api.id
        self.rest_api_name = api.name
        self.stage_name = stage.stage_name
        self.stage_arn = stage.arn
        self.invoke_url = stage.invoke_url
        self.execution_arn = stage.execution_arn
        self.access_log_group_name = access_logs.name
        self.register_outputs(
            {
                "rest_api_id": api.id,
                "stage_name": stage.stage_name,
                "stage_arn": stage.arn,
                "invoke_url": stage.invoke_url,
            }
        )

    def _routes(
        self,
        name: str,
        args: ApiGatewayArgs,
        routes: tuple[_Route, ...],
        api: aws.apigateway.RestApi,
        link: aws.apigateway.VpcLink,
    ) -> tuple[list[pulumi.CustomResource], dict[str, dict[str, Any]], list[pulumi.Output[str]]]:
        """One resource per route, and a method and VPC-link integration where it answers;
        returns the wiring, each integration's settings and its backend URI."""
        child = pulumi.ResourceOptions(parent=self)
        resources: dict[str, aws.apigateway.Resource] = {}
        wiring: list[pulumi.CustomResource] = []
        # Everything an integration forwards with, per route: part of the redeploy trigger.
        integration_settings: dict[str, dict[str, Any]] = {}
        integration_uris: list[pulumi.Output[str]] = []
        for route in routes:
            parent_id = api.root_resource_id if route.parent is None else resources[route.parent].id
            resource = aws.apigateway.Resource(
                f"{name}-{route.role}",
                rest_api=api.id,
                parent_id=parent_id,
                path_part=route.path_part,
                opts=child,
            )
            resources[route.role] = resource
            wiring.append(resource)
            if route.http_method is None:
                continue
            method = aws.apigateway.Method(
                f"{name}-{route.role}-method",
                rest_api=api.id,
                resource_id=resource.id,
                http_method=route.http_method,
                authorization="NONE",
                api_key_required=route.api_key_required,
                request_parameters=({"method.request.path.proxy": True} if route.greedy else None),
                opts=child,
            )
            # The greedy match ("v1/employees/" under /api) replaces {proxy} in the backend
            # path, so the app sees the same path the tenant asked for: /api/v1/employees/.
            uri = pulumi.Output.concat(
                "http://", args.nlb_dns_name, f":{args.backend_port}/{route.backend_path}"
            )
            settings: dict[str, Any] = {
                "type": "HTTP_PROXY",
                "integration_http_method": route.http_method,
                "connection_type": "VPC_LINK",
                "timeout_milliseconds": args.integration_timeout_ms,
                "request_parameters": (
                    {"integration.request.path.proxy": "method.request.path.proxy"}
                    if route.greedy
                    else None
                ),
            }
            integration = aws.apigateway.Integration(
                f"{name}-{route.role}-integration",
                rest_api=api.id,
                resource_id=resource.id,
                http_method=method.http_method,
                connection_id=link.id,
                uri=uri,
                **settings,
                opts=child,
            )
            integration_settings[route.role] = settings
            integration_uris.append(uri)
            wiring += [method, integration]

        return wiring, integration_settings, integration_uris

    def _deployment(
        self,
        name: str,
        args: ApiGatewayArgs,
        routes: tuple[_Route, ...],
        api: aws.apigateway.RestApi,
        link: aws.apigateway.VpcLink,
        wiring: list[pulumi.CustomResource],
        integration_settings: dict[str, dict[str, Any]],
        integration_uris: list[pulumi.Output[str]],
    ) -> aws.apigateway.Deployment:
        # A deployment is a snapshot: redeploy whenever a route, its key requirement or
        # where and how it forwards changes (a replaced NLB or VPC link, a new backend
        # URI, timeout or parameter mapping), otherwise the stage keeps serving the old
        # snapshot, which points at a target that may no longer exist.
        routes_shape = [
            [r.role, r.parent, r.path_part, r.http_method, r.api_key_required, r.backend_path]
            for r in routes
        ]
        redeploy = pulumi.Output.all(
            args.nlb_arn,
            link.id,
            pulumi.Output.all(*integration_uris),
            pulumi.Output.all(*[r.id for r in wiring]),
        ).apply(
            lambda v: redeployment_trigger(
                {
                    "routes": routes_shape,
                    "integrations": integration_settings,
                    "nlbArn": v[0],
                    "vpcLinkId": v[1],
                    "uris": v[2],
                    "ids": v[3],
                }
            )
        )
        return aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=api.id,
            description=f"{name} routes",
            triggers={"redeployment": redeploy},
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(wiring)),
        )

    def _stage(
        self,
        name: str,
        args: ApiGatewayArgs,
        api: aws.apigateway.RestApi,
        deployment: aws.apigateway.Deployment,
    ) -> tuple[aws.apigateway.Stage, aws.cloudwatch.LogGroup]:
        """The stage with its encrypted access and execution logs and default throttling."""
        child = pulumi.ResourceOptions(parent=self)
        # Stage logging needs the account's CloudWatch role, an account singleton the
        # bootstrap owns (infra/account.py); fail now if it was never set up.
        account_role_arn(
            APIGATEWAY_CLOUDWATCH_ROLE,
            purpose="API Gateway's CloudWatch logging role",
            opts=pulumi.InvokeOptions(parent=self),
        )
        access_logs = encrypted_log_group(
            f"{name}-access-logs",
            log_group_name=f"/aws/apigateway/{name}/{args.stage_name}/access",
            kms_key_arn=args.log_kms_key_arn,
            retention_days=args.log_retention_days,
            opts=child,
        )
        # API Gateway creates this group itself on first error, unencrypted and kept
        # forever, unless it already exists under exactly this name.
        execution_logs = encrypted_log_group(
            f"{name}-execution-logs",
            log_group_name=api.id.apply(
                lambda api_id: f"API-Gateway-Execution-Logs_{api_id}/{args.stage_name}"
            ),
            kms_key_arn=args.log_kms_key_arn,
            retention_days=args.log_retention_days,
            opts=child,
        )
        stage_deps: list[pulumi.Resource] = [access_logs, execution_logs]
        stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=api.id,
            deployment=deployment.id,
            stage_name=args.stage_name,
            xray_tracing_enabled=True,
            access_log_settings=aws.apigateway.StageAccessLogSettingsArgs(
                destination_arn=access_logs.arn, format=ACCESS_LOG_FORMAT
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=stage_deps),
        )
        aws.apigateway.MethodSettings(
            f"{name}-stage-defaults",
            rest_api=api.id,
            stage_name=stage.stage_name,
            method_path="*/*",
            settings=aws.apigateway.MethodSettingsSettingsArgs(
                metrics_enabled=True,
                logging_level="ERROR",
                # Full request/response logging would write tenants' HR data and their
                # API keys into CloudWatch.
                data_trace_enabled=False,
                throttling_rate_limit=args.throttle_rate_limit,
                throttling_burst_limit=args.throttle_burst_limit,
            ),
            opts=child,
        )
        return stage, access_logs
