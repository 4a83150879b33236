"""Plausible ids and computed outputs for mocked resources, so dependent resources can be built."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from stacks.offline.invokes import InvokeContext

ComputedOutputs = Callable[[str, Mapping[str, Any], InvokeContext], dict[str, Any]]


def _digest(ctx: InvokeContext, *parts: str, length: int = 17) -> str:
    # The stack name is taken out of the seed so staging and prod get the same fake ids and
    # parity only sees differences the program itself makes.
    seed = "/".join(parts).replace(ctx.stack, "{stack}") if ctx.stack else "/".join(parts)
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _arn(ctx: InvokeContext, service: str, rest: str, *, regional: bool = True) -> str:
    region = ctx.region if regional else ""
    return f"arn:{ctx.partition}:{service}:{region}:{ctx.account_id}:{rest}"


def physical_name(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> str:
    """The name the provider would pick: the explicit one, else ``<logical>-<7 hex>`` (autoname)."""
    explicit = inputs.get("name")
    if isinstance(explicit, str) and explicit:
        return explicit
    prefix = inputs.get("namePrefix")
    if isinstance(prefix, str) and prefix:
        return f"{prefix}{_digest(ctx, prefix, name, length=7)}"
    return f"{name}-{_digest(ctx, name, length=7)}"


# Resource id prefixes EC2 uses (prefix + 17 hex); anything else gets the physical name as id.
_ID_PREFIXES: dict[str, str] = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:ec2/networkAcl:NetworkAcl": "acl-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "sgrule-",
}

# Types whose id is a UUID (KMS key ids, AWS Backup plan and selection ids, WAF ids).
_UUID_IDS = frozenset(
    {
        "aws:kms/key:Key",
        "aws:backup/plan:Plan",
        "aws:backup/selection:Selection",
        "aws:wafv2/webAcl:WebAcl",
    }
)

# API Gateway ids: lowercase alphanumerics, 10 for APIs and keys, 6 for their sub-resources.
_APIGW_ID_LENGTH: dict[str, int] = {
    "aws:apigateway/restApi:RestApi": 10,
    "aws:apigateway/apiKey:ApiKey": 10,
    "aws:apigateway/resource:Resource": 6,
    "aws:apigateway/deployment:Deployment": 6,
    "aws:apigateway/usagePlan:UsagePlan": 6,
    "aws:apigateway/vpcLink:VpcLink": 6,
}

# Types whose id is their ARN.
_ARN_IDS = frozenset(
    {
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/targetGroup:TargetGroup",
        "aws:lb/listener:Listener",
        "aws:sns/topic:Topic",
        "aws:sns/topicSubscription:TopicSubscription",
        "aws:secretsmanager/secret:Secret",
    }
)


def _uuid(ctx: InvokeContext, *parts: str) -> str:
    d = _digest(ctx, *parts, length=32)
    return f"{d[:8]}-{d[8:12]}-4{d[13:16]}-a{d[17:20]}-{d[20:32]}"


def _base36(ctx: InvokeContext, length: int, *parts: str) -> str:
    number = int(_digest(ctx, *parts, length=32), 16)
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    for _ in range(length):
        number, rem = divmod(number, 36)
        out += alphabet[rem]
    return out


def resource_id(type_: str, name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> str:
    """The id the provider would return, in the shape AWS gives it."""
    prefix = _ID_PREFIXES.get(type_)
    if prefix is not None:
        return f"{prefix}{_digest(ctx, type_, name)}"
    if type_ in _UUID_IDS:
        return _uuid(ctx, type_, name)
    if type_ in _APIGW_ID_LENGTH:
        return _base36(ctx, _APIGW_ID_LENGTH[type_], type_, name)
    if type_ in _ARN_IDS:
        return arn_for(type_, name, inputs, ctx)
    if type_ == "aws:rds/instance:Instance":
        # pulumi-aws v6+ ids an instance by its DbiResourceId, not its identifier.
        return f"db-{_digest(ctx, 'rds-res', name, length=26).upper()}"
    if type_ == "aws:eks/nodeGroup:NodeGroup":
        return f"{inputs.get('clusterName')}:{_node_group_name(name, inputs, ctx)}"
    if type_.startswith("kubernetes:"):
        meta = inputs.get("metadata") or {}
        namespace = meta.get("namespace") if isinstance(meta, Mapping) else None
        k8s_name = _k8s_name(name, inputs, ctx)
        return f"{namespace}/{k8s_name}" if namespace else k8s_name
    return physical_name(name, inputs, ctx)


def _k8s_name(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> str:
    meta = inputs.get("metadata")
    if isinstance(meta, Mapping) and isinstance(meta.get("name"), str) and meta["name"]:
        return str(meta["name"])
    return f"{name}-{_digest(ctx, name, length=8)}"


def _node_group_name(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> str:
    explicit = inputs.get("nodeGroupName")
    if isinstance(explicit, str) and explicit:
        return explicit
    prefix = inputs.get("nodeGroupNamePrefix")
    if isinstance(prefix, str) and prefix:
        return f"{prefix}{_digest(ctx, prefix, name, length=7)}"
    return physical_name(name, inputs, ctx)


# The resource part of each type's ARN, in the Service Authorization Reference's format
# ("Resource types defined by <service>"). Placeholders: {name} physical name, {id} resource
# id, {uuid} a UUID, {hex16} 16 hex digits, {input:<key>} an input value.
ARN_FORMATS: dict[str, tuple[str, str]] = {
    "aws:apigateway/restApi:RestApi": ("apigateway", "/restapis/{id}"),
    "aws:apigateway/apiKey:ApiKey": ("apigateway", "/apikeys/{id}"),
    "aws:apigateway/usagePlan:UsagePlan": ("apigateway", "/usageplans/{id}"),
    "aws:apigateway/vpcLink:VpcLink": ("apigateway", "/vpclinks/{id}"),
    "aws:backup/vault:Vault": ("backup", "backup-vault:{name}"),
    "aws:backup/plan:Plan": ("backup", "backup-plan:{id}"),
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": ("backup", "restore-testing-plan:{name}"),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "log-group:{name}"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("cloudwatch", "alarm:{input:alarmName}"),
    "aws:cloudwatch/dashboard:Dashboard": ("cloudwatch", "dashboard/{input:dashboardName}"),
    "aws:ec2/vpc:Vpc": ("ec2", "vpc/{id}"),
    "aws:ec2/subnet:Subnet": ("ec2", "subnet/{id}"),
    "aws:ec2/securityGroup:SecurityGroup": ("ec2", "security-group/{id}"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("ec2", "security-group/{id}"),
    "aws:ec2/internetGateway:InternetGateway": ("ec2", "internet-gateway/{id}"),
    "aws:ec2/natGateway:NatGateway": ("ec2", "natgateway/{id}"),
    "aws:ec2/eip:Eip": ("ec2", "elastic-ip/{id}"),
    "aws:ec2/routeTable:RouteTable": ("ec2", "route-table/{id}"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("ec2", "vpc-endpoint/{id}"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("ec2", "launch-template/{id}"),
    "aws:ec2/flowLog:FlowLog": ("ec2", "vpc-flow-log/{id}"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "ec2",
        "security-group-rule/{id}",
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("ec2", "security-group-rule/{id}"),
    "aws:ecr/repository:Repository": ("ecr", "repository/{name}"),
    "aws:eks/cluster:Cluster": ("eks", "cluster/{name}"),
    "aws:eks/nodeGroup:NodeGroup": (
        "eks",
        "nodegroup/{input:clusterName}/{nodegroup}/{uuid}",
    ),
    "aws:eks/addon:Addon": ("eks", "addon/{input:clusterName}/{input:addonName}/{uuid}"),
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": (
        "eks",
        "podidentityassociation/{input:clusterName}/a-{hex17}",
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        "elasticache",
        "replicationgroup:{input:replicationGroupId}",
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": ("elasticache", "subnetgroup:{name}"),
    "aws:iam/role:Role": ("iam", "role/{name}"),
    "aws:iam/policy:Policy": ("iam", "policy/{name}"),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": (
        "iam",
        "role/aws-service-role/{input:awsServiceName}/{name}",
    ),
    "aws:kms/key:Key": ("kms", "key/{id}"),
    "aws:kms/alias:Alias": ("kms", "{name}"),
    "aws:lb/loadBalancer:LoadBalancer": (
        "elasticloadbalancing",
        "loadbalancer/{lbkind}/{name}/{hex16}",
    ),
    "aws:lb/targetGroup:TargetGroup": ("elasticloadbalancing", "targetgroup/{name}/{hex16}"),
    "aws:rds/instance:Instance": ("rds", "db:{input:identifier}"),
    "aws:rds/parameterGroup:ParameterGroup": ("rds", "pg:{name}"),
    "aws:rds/subnetGroup:SubnetGroup": ("rds", "subgrp:{name}"),
    "aws:secretsmanager/secret:Secret": ("secretsmanager", "secret:{name}-{suffix6}"),
    "aws:sns/topic:Topic": ("sns", "{name}"),
    "aws:sqs/queue:Queue": ("sqs", "{name}"),
    "aws:s3/bucket:Bucket": ("s3", "{input:bucket}"),
    "aws:s3/bucketV2:BucketV2": ("s3", "{input:bucket}"),
    "aws:wafv2/webAcl:WebAcl": ("wafv2", "{scope}/webacl/{name}/{id}"),
}

# Services whose ARNs carry no region (IAM) or no region and no account (S3 buckets); API
# Gateway's management ARNs carry a region but no account.
_NO_REGION = frozenset({"iam", "s3", "cloudfront", "route53", "organizations"})
_NO_ACCOUNT = frozenset({"s3", "apigateway"})


def arn_for(type_: str, name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> str:
    """``arn:<partition>:<service>:<region>:<account>:<resource>`` as AWS builds it for the type.

    ``ctx.region`` is already the resource's own region (its ``region`` input, else its
    provider's). A type without a known format gets ``<service>:<region>:<account>:<kind>/<name>``.
    """
    phys = physical_name(name, inputs, ctx)
    spec = ARN_FORMATS.get(type_)
    if spec is None:
        module = type_.split(":")[1].split("/")[0] if type_.count(":") >= 2 else "unknown"
        kind = type_.rsplit(":", 1)[-1]
        spec = (module, f"{kind[:1].lower()}{kind[1:]}/{{name}}")
    service, template = spec

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key.startswith("input:"):
            value = inputs.get(key[len("input:") :])
            return str(value) if value not in (None, "") else phys
        values = {
            "name": phys,
            "id": resource_id(type_, name, inputs, ctx) if type_ not in _ARN_IDS else phys,
            "uuid": _uuid(ctx, "arn", type_, name),
            "hex16": _digest(ctx, "arn16", type_, name, length=16),
            "hex17": _digest(ctx, "arn17", type_, name, length=17),
            "suffix6": _base62(ctx, 6, "secret", name),
            "nodegroup": _node_group_name(name, inputs, ctx),
            "scope": str(inputs.get("scope") or "REGIONAL").lower(),
            "lbkind": _LB_KINDS.get(str(inputs.get("loadBalancerType") or "application"), "app"),
        }
        return values[key]

    resource = re.sub(r"\{([a-z0-9:A-Z]+)\}", fill, template)
    region = "" if service in _NO_REGION else ctx.region
    account = "" if service in _NO_ACCOUNT else ctx.account_id
    if type_ == "aws:cloudwatch/dashboard:Dashboard":
        region = ""  # dashboards are global
    return f"arn:{ctx.partition}:{service}:{region}:{account}:{resource}"


_LB_KINDS = {"application": "app", "network": "net", "gateway": "gwy"}


def _base62(ctx: InvokeContext, length: int, *parts: str) -> str:
    number = int(_digest(ctx, *parts, length=32), 16)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    out = ""
    for _ in range(length):
        number, rem = divmod(number, 62)
        out += alphabet[rem]
    return out


def _eks_cluster(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    token = _digest(ctx, "eks", name, length=32).upper()
    vpc_config = dict(inputs.get("vpcConfig") or {})
    vpc_config.setdefault("clusterSecurityGroupId", f"sg-{_digest(ctx, 'eks-sg', name)}")
    vpc_config.setdefault("vpcId", f"vpc-{_digest(ctx, 'eks-vpc', name)}")
    return {
        "endpoint": f"https://{token}.gr7.{ctx.region}.eks.amazonaws.com",
        "certificateAuthority": {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCm9mZmxpbmUK"},
        "identities": [
            {"oidcs": [{"issuer": f"https://oidc.eks.{ctx.region}.amazonaws.com/id/{token}"}]}
        ],
        "platformVersion": "eks.1",
        "status": "ACTIVE",
        "version": inputs.get("version") or "1.31",
        "vpcConfig": vpc_config,
    }


def _eks_node_group(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {
        "status": "ACTIVE",
        "resources": [
            {
                "autoscalingGroups": [{"name": f"eks-{physical_name(name, inputs, ctx)}"}],
                "remoteAccessSecurityGroupId": "",
            }
        ],
    }


def _oidc_provider(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    url = str(inputs.get("url") or "").removeprefix("https://")
    return {"arn": f"arn:{ctx.partition}:iam::{ctx.account_id}:oidc-provider/{url}"}


def _rds_instance(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    ident = str(inputs.get("identifier") or physical_name(name, inputs, ctx))
    address = f"{ident}.c{_digest(ctx, 'rds', name, length=10)}.{ctx.region}.rds.amazonaws.com"
    port = inputs.get("port") or 5432
    out: dict[str, Any] = {
        "address": address,
        "endpoint": f"{address}:{int(port)}",
        "port": port,
        "identifier": ident,
        "resourceId": resource_id("aws:rds/instance:Instance", name, inputs, ctx),
        "arn": arn_for("aws:rds/instance:Instance", name, {**inputs, "identifier": ident}, ctx),
        "hostedZoneId": "Z29XKXDKYMONMX",
    }
    if inputs.get("manageMasterUserPassword"):
        out["masterUserSecrets"] = [
            {
                # RDS names its managed secret rds!db-<uuid>, plus Secrets Manager's suffix.
                "secretArn": (
                    f"arn:{ctx.partition}:secretsmanager:{ctx.region}:{ctx.account_id}:"
                    f"secret:rds!db-{_uuid(ctx, 'rds-secret', name)}-"
                    f"{_base62(ctx, 6, 'rds-secret', name)}"
                ),
                "kmsKeyId": inputs.get("masterUserSecretKmsKeyId") or "",
                "secretStatus": "active",
            }
        ]
    return out


def _kms_key(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    key_id = resource_id("aws:kms/key:Key", name, inputs, ctx)
    return {"keyId": key_id, "arn": arn_for("aws:kms/key:Key", name, inputs, ctx)}


def _replication_group(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    ident = str(inputs.get("replicationGroupId") or physical_name(name, inputs, ctx))
    host = f"{ident}.{_digest(ctx, 'ec', name, length=6)}.{ctx.region[:3]}{ctx.region[-1]}.cache"
    return {
        "primaryEndpointAddress": f"master.{host}.amazonaws.com",
        "readerEndpointAddress": f"replica.{host}.amazonaws.com",
        "configurationEndpointAddress": f"clustercfg.{host}.amazonaws.com",
        "port": inputs.get("port") or 6379,
        "arn": arn_for(
            "aws:elasticache/replicationGroup:ReplicationGroup",
            name,
            {**inputs, "replicationGroupId": ident},
            ctx,
        ),
    }


def _load_balancer(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    phys = physical_name(name, inputs, ctx)
    arn = arn_for("aws:lb/loadBalancer:LoadBalancer", name, inputs, ctx)
    internal = "internal-" if inputs.get("internal") else ""
    dns_id = _digest(ctx, "lbdns", name, length=10)
    return {
        "arn": arn,
        "arnSuffix": arn.split(":loadbalancer/", 1)[1],
        "dnsName": f"{internal}{phys}-{dns_id}.elb.{ctx.region}.amazonaws.com",
        "zoneId": "Z2IFOLAFXWLO4F",
    }


def _target_group(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    arn = arn_for("aws:lb/targetGroup:TargetGroup", name, inputs, ctx)
    return {"arn": arn, "arnSuffix": arn.rsplit(":", 1)[1]}


def _ecr_repository(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    phys = physical_name(name, inputs, ctx)
    return {
        "registryId": ctx.account_id,
        "repositoryUrl": f"{ctx.account_id}.dkr.ecr.{ctx.region}.amazonaws.com/{phys}",
    }


def _rest_api(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    api_id = resource_id("aws:apigateway/restApi:RestApi", name, inputs, ctx)
    return {
        "id": api_id,
        "rootResourceId": _base36(ctx, 10, "root", name),
        "executionArn": f"arn:{ctx.partition}:execute-api:{ctx.region}:{ctx.account_id}:{api_id}",
        "arn": arn_for("aws:apigateway/restApi:RestApi", name, inputs, ctx),
    }


def _api_stage(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    api = str(inputs.get("restApi") or "api")
    stage = str(inputs.get("stageName") or name)
    return {
        "invokeUrl": f"https://{api}.execute-api.{ctx.region}.amazonaws.com/{stage}",
        "executionArn": _arn(ctx, "execute-api", f"{api}/{stage}"),
        "arn": f"arn:{ctx.partition}:apigateway:{ctx.region}::/restapis/{api}/stages/{stage}",
    }


def _api_key(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {"value": inputs.get("value") or _base62(ctx, 40, "apikey", name)}


def _launch_template(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {"latestVersion": 1, "defaultVersion": 1}


def _security_group(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {"ownerId": ctx.account_id}


def _vpc(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {
        "defaultSecurityGroupId": f"sg-{_digest(ctx, 'default-sg', name)}",
        "defaultNetworkAclId": f"acl-{_digest(ctx, 'default-acl', name)}",
        "defaultRouteTableId": f"rtb-{_digest(ctx, 'default-rtb', name)}",
        "mainRouteTableId": f"rtb-{_digest(ctx, 'main-rtb', name)}",
        "ownerId": ctx.account_id,
    }


def _subnet(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {"availabilityZoneId": f"az-{_digest(ctx, 'az', name, length=4)}"}


def _eip(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    octets = bytes.fromhex(_digest(ctx, "eip", name, length=4))
    return {
        "publicIp": f"203.0.113.{octets[0] % 250 + 1}",
        "allocationId": resource_id("aws:ec2/eip:Eip", name, inputs, ctx),
    }


def _iam_role(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {
        "uniqueId": f"AROA{_digest(ctx, 'role', name, length=17).upper()}",
    }


def _k8s_object(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    meta = dict(inputs.get("metadata") or {})
    meta["name"] = _k8s_name(name, inputs, ctx)
    meta.setdefault("uid", _digest(ctx, "uid", name, length=32))
    return {"metadata": meta}


COMPUTED_OUTPUTS: dict[str, ComputedOutputs] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _eks_node_group,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:iam/role:Role": _iam_role,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:kms/key:Key": _kms_key,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:apigateway/restApi:RestApi": _rest_api,
    "aws:apigateway/stage:Stage": _api_stage,
    "aws:apigateway/apiKey:ApiKey": _api_key,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/eip:Eip": _eip,
}


def resource_region(
    inputs: Mapping[str, Any], ctx: InvokeContext, provider_region: str | None = None
) -> str:
    """Where AWS creates the resource: its own ``region`` input (pulumi-aws v7), else its
    provider's region, else the stack's ``aws:region``."""
    own = inputs.get("region")
    if isinstance(own, str) and own:
        return own
    return provider_region or ctx.region


def mock_state(
    type_: str,
    name: str,
    inputs: Mapping[str, Any],
    ctx: InvokeContext,
    *,
    provider_region: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """The (id, outputs) a provider would return: inputs echoed plus computed properties."""
    region = resource_region(inputs, ctx, provider_region)
    if region != ctx.region:
        ctx = dataclasses.replace(ctx, region=region)
    rid = resource_id(type_, name, inputs, ctx)
    computed: dict[str, Any] = {"id": rid}
    if type_.startswith("aws:"):
        computed["region"] = region
        computed["arn"] = arn_for(type_, name, inputs, ctx)
        computed["name"] = physical_name(name, inputs, ctx)
        computed["tagsAll"] = dict(inputs.get("tags") or {})
    specific: dict[str, Any] = {}
    if type_.startswith("kubernetes:"):
        specific.update(_k8s_object(name, inputs, ctx))
    extra = COMPUTED_OUTPUTS.get(type_)
    if extra is not None:
        specific.update(extra(name, inputs, ctx))
    # Inputs win over generic guesses; table entries win over inputs (they are what AWS returns).
    return rid, {**computed, **dict(inputs), **specific}
