"""Plausible ids and computed outputs for mocked resources, so dependent resources can be built."""

from __future__ import annotations

import hashlib
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


# Resource id prefixes EC2 uses; anything else gets the physical name as its id.
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
    "aws:ec2/vpcSecurityGroupIngressRule:VpcSecurityGroupIngressRule": "sgr-",
    "aws:ec2/vpcSecurityGroupEgressRule:VpcSecurityGroupEgressRule": "sgr-",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "sgrule-",
    "aws:kms/key:Key": "",
}

# Services whose ARNs carry no region.
_GLOBAL_SERVICES = {"iam", "cloudfront", "route53", "waf", "organizations"}

_SERVICE_BY_MODULE = {
    "rds": "rds",
    "ec2": "ec2",
    "kms": "kms",
    "eks": "eks",
    "iam": "iam",
    "sns": "sns",
    "sqs": "sqs",
    "lb": "elasticloadbalancing",
    "alb": "elasticloadbalancing",
    "elasticache": "elasticache",
    "secretsmanager": "secretsmanager",
    "cloudwatch": "logs",
    "backup": "backup",
    "ecr": "ecr",
    "apigateway": "apigateway",
    "wafv2": "wafv2",
    "s3": "s3",
}


def resource_id(type_: str, name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> str:
    prefix = _ID_PREFIXES.get(type_)
    if type_ == "aws:kms/key:Key":
        digest = _digest(ctx, type_, name, length=32)
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    if prefix is not None:
        return f"{prefix}{_digest(ctx, type_, name)}"
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


def arn_for(type_: str, name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> str:
    module = type_.split(":")[1].split("/")[0] if type_.count(":") >= 2 else "unknown"
    service = _SERVICE_BY_MODULE.get(module, module)
    region = "" if service in _GLOBAL_SERVICES else ctx.region
    kind = type_.rsplit(":", 1)[-1]
    kind = kind[:1].lower() + kind[1:]
    return (
        f"arn:{ctx.partition}:{service}:{region}:{ctx.account_id}:"
        f"{kind}/{physical_name(name, inputs, ctx)}"
    )


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
        "resourceId": f"db-{_digest(ctx, 'rds-res', name, length=26).upper()}",
        "arn": f"arn:{ctx.partition}:rds:{ctx.region}:{ctx.account_id}:db:{ident}",
        "hostedZoneId": "Z29XKXDKYMONMX",
    }
    if inputs.get("manageMasterUserPassword"):
        out["masterUserSecrets"] = [
            {
                "secretArn": (
                    f"arn:{ctx.partition}:secretsmanager:{ctx.region}:{ctx.account_id}:"
                    f"secret:rds!db-{_digest(ctx, 'rds-secret', name, length=12)}"
                ),
                "kmsKeyId": inputs.get("masterUserSecretKmsKeyId") or "",
                "secretStatus": "active",
            }
        ]
    return out


def _kms_key(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    key_id = resource_id("aws:kms/key:Key", name, inputs, ctx)
    return {
        "keyId": key_id,
        "arn": f"arn:{ctx.partition}:kms:{ctx.region}:{ctx.account_id}:key/{key_id}",
    }


def _replication_group(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    ident = str(inputs.get("replicationGroupId") or physical_name(name, inputs, ctx))
    host = f"{ident}.{_digest(ctx, 'ec', name, length=6)}.{ctx.region[:3]}{ctx.region[-1]}.cache"
    return {
        "primaryEndpointAddress": f"master.{host}.amazonaws.com",
        "readerEndpointAddress": f"replica.{host}.amazonaws.com",
        "configurationEndpointAddress": f"clustercfg.{host}.amazonaws.com",
        "port": inputs.get("port") or 6379,
        "arn": _arn(ctx, "elasticache", f"replicationgroup:{ident}"),
    }


def _load_balancer(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    phys = physical_name(name, inputs, ctx)
    kind = "net" if inputs.get("loadBalancerType") == "network" else "app"
    suffix = f"{kind}/{phys}/{_digest(ctx, 'lb', name, length=16)}"
    internal = "internal-" if inputs.get("internal") else ""
    dns_id = _digest(ctx, "lbdns", name, length=10)
    return {
        "arn": _arn(ctx, "elasticloadbalancing", f"loadbalancer/{suffix}"),
        "arnSuffix": suffix,
        "dnsName": f"{internal}{phys}-{dns_id}.elb.{ctx.region}.amazonaws.com",
        "zoneId": "Z2IFOLAFXWLO4F",
    }


def _target_group(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    suffix = f"targetgroup/{physical_name(name, inputs, ctx)}/{_digest(ctx, 'tg', name, length=16)}"
    return {
        "arn": f"arn:{ctx.partition}:elasticloadbalancing:{ctx.region}:{ctx.account_id}:{suffix}",
        "arnSuffix": suffix,
    }


def _ecr_repository(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    phys = physical_name(name, inputs, ctx)
    return {
        "registryId": ctx.account_id,
        "repositoryUrl": f"{ctx.account_id}.dkr.ecr.{ctx.region}.amazonaws.com/{phys}",
    }


def _rest_api(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    api_id = _digest(ctx, "api", name, length=10)
    return {
        "id": api_id,
        "rootResourceId": _digest(ctx, "root", name, length=10),
        "executionArn": f"arn:{ctx.partition}:execute-api:{ctx.region}:{ctx.account_id}:{api_id}",
        "arn": f"arn:{ctx.partition}:apigateway:{ctx.region}::/restapis/{api_id}",
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
    return {"value": inputs.get("value") or _digest(ctx, "apikey", name, length=40)}


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


def _secret(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    phys = physical_name(name, inputs, ctx)
    return {
        "arn": (
            f"arn:{ctx.partition}:secretsmanager:{ctx.region}:{ctx.account_id}:"
            f"secret:{phys}-{_digest(ctx, 'secret', name, length=6)}"
        )
    }


def _iam_role(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    phys = physical_name(name, inputs, ctx)
    return {
        "arn": f"arn:{ctx.partition}:iam::{ctx.account_id}:role/{phys}",
        "uniqueId": f"AROA{_digest(ctx, 'role', name, length=17).upper()}",
    }


def _log_group(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    phys = physical_name(name, inputs, ctx)
    return {"arn": f"arn:{ctx.partition}:logs:{ctx.region}:{ctx.account_id}:log-group:{phys}"}


def _sns_topic(name: str, inputs: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    phys = physical_name(name, inputs, ctx)
    return {"arn": f"arn:{ctx.partition}:sns:{ctx.region}:{ctx.account_id}:{phys}"}


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
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:sns/topic:Topic": _sns_topic,
}


def mock_state(
    type_: str, name: str, inputs: Mapping[str, Any], ctx: InvokeContext
) -> tuple[str, dict[str, Any]]:
    """The (id, outputs) a provider would return: inputs echoed plus computed properties."""
    rid = resource_id(type_, name, inputs, ctx)
    computed: dict[str, Any] = {"id": rid}
    if type_.startswith("aws:"):
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
