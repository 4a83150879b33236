"""Apply a recorded plan to an AWS API (the local sandbox) through boto3, one table per type.

The plan holds the offline engine's mocked ids and ARNs. Each resource is created with its
inputs after every reference to an already-created resource is swapped for the real value
that resource got (:class:`References`); the stack's outputs are translated the same way.
Types the sandbox cannot hold are reported, never faked.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scripts.ops.aws import Account
from stacks.offline.invokes import InvokeContext
from stacks.offline.plan import Plan, PlanResource
from stacks.offline.resources import mock_state, physical_name

# A creator gets the account, the resource with its resolved inputs, and returns the real
# outputs under the same names the provider uses (``id``, ``arn``, ``name``, ...).
Creator = Callable[[Account, "Resolved"], dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class Resolved:
    """A plan resource whose inputs now carry the sandbox's real ids."""

    resource: PlanResource
    inputs: dict[str, Any]
    region: str
    physical_name: str  # the name the offline engine gave it (explicit or autonamed)

    def tags(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in (self.inputs.get("tags") or {}).items()}

    def tag_list(self, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
        return [{key: k, value: v} for k, v in self.tags().items()]


@dataclass(frozen=True, kw_only=True)
class Skipped:
    type: str
    name: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "name": self.name, "reason": self.reason}


@dataclass(kw_only=True)
class ApplyResult:
    outputs: dict[str, Any]
    applied: dict[str, dict[str, Any]]  # urn -> real outputs
    unsupported: list[Skipped] = field(default_factory=list)  # moto cannot hold these
    out_of_scope: list[Skipped] = field(default_factory=list)  # no ops command reads these


def pascal(node: Any) -> Any:
    """camelCase plan keys -> the PascalCase most AWS query/JSON APIs use, recursively."""
    if isinstance(node, dict):
        return {k[:1].upper() + k[1:]: pascal(v) for k, v in node.items()}
    if isinstance(node, list):
        return [pascal(v) for v in node]
    return node


def _pick(inputs: Mapping[str, Any], table: Mapping[str, str]) -> dict[str, Any]:
    """Plan input name -> API parameter name, for the inputs that are set."""
    return {api: inputs[key] for key, api in table.items() if inputs.get(key) is not None}


# ---------------------------------------------------------------- references

_SUBSTRING_MIN = 8  # shorter mocked values are too likely to occur by accident


def _hint(key: str | None) -> str | None:
    """Which output a property names by its key: ``...Arn`` an ARN, ``...Name`` a name."""
    if key is None:
        return None
    low = key.lower()
    if low.endswith(("arn", "arns")):
        return "arn"
    if low.endswith(("name", "names")) or key in {"dimensions", "metricQueries", "dashboardBody"}:
        return "name"
    if low.endswith(("id", "ids")) or key in {"restApi", "deployment"}:
        return "id"
    return None


_PREFERENCE = ("id", "arn", "name")


def _flat_strings(outputs: Mapping[str, Any]) -> dict[str, str]:
    return {k: v for k, v in outputs.items() if isinstance(v, str) and v}


class References:
    """Mocked value of each plan resource's outputs -> the value the sandbox gave it."""

    def __init__(self, ctx: InvokeContext) -> None:
        self.ctx = ctx
        self.mock: dict[str, dict[str, str]] = {}
        self.real: dict[str, dict[str, Any]] = {}

    def record(self, resource: PlanResource, real: Mapping[str, Any]) -> None:
        self.mock[resource.urn] = _flat_strings(self._mocked(resource))
        self.real[resource.urn] = dict(real)

    def _mocked(self, resource: PlanResource) -> dict[str, Any]:
        # The engine's own mock function is what produced the values the plan holds, so this
        # stays right whatever shape those fake ids take.
        rid, outputs = mock_state(resource.type, resource.name, resource.inputs, self.ctx)
        return {**outputs, "id": rid}

    def _choose(self, urn: str, attrs: list[str], hint: str | None) -> Any:
        real = self.real[urn]
        order = [hint] if hint else []
        order += [a for a in _PREFERENCE if a != hint]
        for attr in order + attrs:
            if attr in attrs and attr in real:
                return real[attr]
        return None

    def _matches(self, urns: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        """mocked value -> [(urn, attr)] among ``urns``."""
        out: dict[str, list[tuple[str, str]]] = {}
        for urn in urns:
            for attr, value in self.mock.get(urn, {}).items():
                out.setdefault(value, []).append((urn, attr))
        return out

    def _translate(
        self, value: str, matches: Mapping[str, list[tuple[str, str]]], hint: str | None
    ) -> Any:
        def real_for(mocked: str) -> Any:
            hits = matches[mocked]
            urn = hits[0][0]
            attrs = [a for u, a in hits if u == urn]
            return self._choose(urn, attrs, hint)

        if value in matches:
            real = real_for(value)
            return value if real is None else real
        # Values embedded in longer strings: ARNs in JSON policies, ids in dashboard bodies.
        for mocked in sorted(matches, key=len, reverse=True):
            if len(mocked) >= _SUBSTRING_MIN and mocked in value:
                real = real_for(mocked)
                if isinstance(real, str) and real != mocked:
                    value = value.replace(mocked, real)
        return value

    def resolve(self, node: Any, *, urns: Iterable[str], key: str | None = None) -> Any:
        matches = self._matches(urns)
        if not matches:
            return node
        return self._walk(node, matches, key)

    def _walk(
        self, node: Any, matches: Mapping[str, list[tuple[str, str]]], key: str | None
    ) -> Any:
        if isinstance(node, dict):
            return {k: self._walk(v, matches, k) for k, v in node.items()}
        if isinstance(node, list):
            return [self._walk(v, matches, key) for v in node]
        if isinstance(node, str):
            return self._translate(node, matches, _hint(key))
        return node

    def resolve_inputs(self, resource: PlanResource) -> dict[str, Any]:
        out = {}
        for key, value in resource.inputs.items():
            deps = resource.property_dependencies.get(key)
            urns = [u for u in (deps if deps is not None else self.real) if u in self.real]
            out[key] = self.resolve(value, urns=urns, key=key)
        return out

    def resolve_outputs(self, outputs: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self.resolve(v, urns=list(self.real), key=k) for k, v in outputs.items()}


# ---------------------------------------------------------------- creators per type


def _kms_key(account: Account, r: Resolved) -> dict[str, Any]:
    kms = account.client("kms")
    args: dict[str, Any] = _pick(r.inputs, {"description": "Description", "policy": "Policy"})
    meta = kms.create_key(**args, Tags=r.tag_list("TagKey", "TagValue"))["KeyMetadata"]
    if r.inputs.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=meta["KeyId"])
    return {"id": meta["KeyId"], "keyId": meta["KeyId"], "arn": meta["Arn"]}


def _kms_alias(account: Account, r: Resolved) -> dict[str, Any]:
    name = r.inputs["name"]
    account.client("kms").create_alias(AliasName=name, TargetKeyId=r.inputs["targetKeyId"])
    return {"id": name, "name": name}


def _vpc(account: Account, r: Resolved) -> dict[str, Any]:
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=r.inputs["cidrBlock"])["Vpc"]
    return {"id": vpc["VpcId"]}


def _subnet(account: Account, r: Resolved) -> dict[str, Any]:
    subnet = account.client("ec2").create_subnet(
        **_pick(
            r.inputs,
            {"vpcId": "VpcId", "cidrBlock": "CidrBlock", "availabilityZone": "AvailabilityZone"},
        )
    )["Subnet"]
    return {"id": subnet["SubnetId"], "arn": subnet.get("SubnetArn", "")}


def _security_group(account: Account, r: Resolved) -> dict[str, Any]:
    name = r.inputs.get("name") or r.resource.name
    group = account.client("ec2").create_security_group(
        GroupName=name,
        Description=r.inputs.get("description") or name,
        VpcId=r.inputs["vpcId"],
    )
    return {"id": group["GroupId"], "name": name}


def _iam_role(account: Account, r: Resolved) -> dict[str, Any]:
    name = _physical(r)
    role = account.client("iam").create_role(
        RoleName=name,
        AssumeRolePolicyDocument=r.inputs["assumeRolePolicy"],
        Description=r.inputs.get("description", ""),
    )["Role"]
    return {"id": name, "name": name, "arn": role["Arn"], "uniqueId": role["RoleId"]}


def _log_group(account: Account, r: Resolved) -> dict[str, Any]:
    logs = account.client("logs")
    name = _physical(r)
    logs.create_log_group(
        logGroupName=name, **_pick(r.inputs, {"kmsKeyId": "kmsKeyId"}), tags=r.tags()
    )
    if r.inputs.get("retentionInDays"):
        logs.put_retention_policy(logGroupName=name, retentionInDays=r.inputs["retentionInDays"])
    arn = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["arn"]
    return {"id": name, "name": name, "arn": arn.removesuffix(":*")}


def _secret(account: Account, r: Resolved) -> dict[str, Any]:
    name = _physical(r)
    secret = account.client("secretsmanager").create_secret(
        Name=name,
        **_pick(r.inputs, {"description": "Description", "kmsKeyId": "KmsKeyId"}),
        Tags=r.tag_list(),
    )
    return {"id": secret["ARN"], "arn": secret["ARN"], "name": name}


def _secret_version(account: Account, r: Resolved) -> dict[str, Any]:
    # The plan redacts the value; the sandbox stores a fresh random one of the same kind.
    version = account.client("secretsmanager").put_secret_value(
        SecretId=r.inputs["secretId"], SecretString=secrets.token_urlsafe(32)
    )
    return {"id": f"{version['ARN']}|{version['VersionId']}", "versionId": version["VersionId"]}


def _sns_topic(account: Account, r: Resolved) -> dict[str, Any]:
    name = _physical(r)
    attrs = _pick(r.inputs, {"kmsMasterKeyId": "KmsMasterKeyId"})
    arn = account.client("sns").create_topic(Name=name, Attributes=attrs, Tags=r.tag_list())[
        "TopicArn"
    ]
    return {"id": arn, "arn": arn, "name": name}


def _sns_topic_policy(account: Account, r: Resolved) -> dict[str, Any]:
    account.client("sns").set_topic_attributes(
        TopicArn=r.inputs["arn"], AttributeName="Policy", AttributeValue=r.inputs["policy"]
    )
    return {"id": r.inputs["arn"]}


def _sns_subscription(account: Account, r: Resolved) -> dict[str, Any]:
    arn = account.client("sns").subscribe(
        TopicArn=r.inputs["topic"],
        Protocol=r.inputs["protocol"],
        Endpoint=r.inputs["endpoint"],
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return {"id": arn, "arn": arn}


_RDS_INSTANCE = {
    "identifier": "DBInstanceIdentifier",
    "instanceClass": "DBInstanceClass",
    "engine": "Engine",
    "engineVersion": "EngineVersion",
    "allocatedStorage": "AllocatedStorage",
    "maxAllocatedStorage": "MaxAllocatedStorage",
    "storageType": "StorageType",
    "storageEncrypted": "StorageEncrypted",
    "kmsKeyId": "KmsKeyId",
    "dbName": "DBName",
    "username": "MasterUsername",
    "manageMasterUserPassword": "ManageMasterUserPassword",
    "masterUserSecretKmsKeyId": "MasterUserSecretKmsKeyId",
    "vpcSecurityGroupIds": "VpcSecurityGroupIds",
    "dbSubnetGroupName": "DBSubnetGroupName",
    "parameterGroupName": "DBParameterGroupName",
    "backupRetentionPeriod": "BackupRetentionPeriod",
    "backupWindow": "PreferredBackupWindow",
    "maintenanceWindow": "PreferredMaintenanceWindow",
    "multiAz": "MultiAZ",
    "publiclyAccessible": "PubliclyAccessible",
    "deletionProtection": "DeletionProtection",
    "copyTagsToSnapshot": "CopyTagsToSnapshot",
    "iamDatabaseAuthenticationEnabled": "EnableIAMDatabaseAuthentication",
    "enabledCloudwatchLogsExports": "EnableCloudwatchLogsExports",
    "monitoringInterval": "MonitoringInterval",
    "monitoringRoleArn": "MonitoringRoleArn",
    "performanceInsightsEnabled": "EnablePerformanceInsights",
    "performanceInsightsKmsKeyId": "PerformanceInsightsKMSKeyId",
    "performanceInsightsRetentionPeriod": "PerformanceInsightsRetentionPeriod",
    "caCertIdentifier": "CACertificateIdentifier",
    "autoMinorVersionUpgrade": "AutoMinorVersionUpgrade",
    "port": "Port",
}


def _rds_instance(account: Account, r: Resolved) -> dict[str, Any]:
    rds = account.client("rds")
    db = rds.create_db_instance(**_pick(r.inputs, _RDS_INSTANCE), Tags=r.tag_list())["DBInstance"]
    out: dict[str, Any] = {
        "id": db["DBInstanceIdentifier"],
        "identifier": db["DBInstanceIdentifier"],
        "arn": db["DBInstanceArn"],
        "resourceId": db.get("DbiResourceId", ""),
        "address": db.get("Endpoint", {}).get("Address", ""),
    }
    secret = db.get("MasterUserSecret") or {}
    if secret.get("SecretArn"):
        out["masterUserSecrets"] = [{"secretArn": secret["SecretArn"]}]
    return out


def _rds_subnet_group(account: Account, r: Resolved) -> dict[str, Any]:
    name = _physical(r)
    group = account.client("rds").create_db_subnet_group(
        DBSubnetGroupName=name,
        DBSubnetGroupDescription=r.inputs.get("description") or name,
        SubnetIds=r.inputs["subnetIds"],
        Tags=r.tag_list(),
    )["DBSubnetGroup"]
    return {"id": name, "name": name, "arn": group.get("DBSubnetGroupArn", "")}


def _rds_parameter_group(account: Account, r: Resolved) -> dict[str, Any]:
    rds = account.client("rds")
    name = _physical(r)
    group = rds.create_db_parameter_group(
        DBParameterGroupName=name,
        DBParameterGroupFamily=r.inputs["family"],
        Description=r.inputs.get("description") or name,
        Tags=r.tag_list(),
    )["DBParameterGroup"]
    params = [
        {
            "ParameterName": p["name"],
            "ParameterValue": str(p["value"]),
            "ApplyMethod": p.get("applyMethod", "immediate"),
        }
        for p in r.inputs.get("parameters") or []
    ]
    if params:
        rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=params)
    return {"id": name, "name": name, "arn": group.get("DBParameterGroupArn", "")}


def _backup_vault(account: Account, r: Resolved) -> dict[str, Any]:
    name = _physical(r)
    vault = account.client("backup").create_backup_vault(
        BackupVaultName=name,
        BackupVaultTags=r.tags(),
        **_pick(r.inputs, {"kmsKeyArn": "EncryptionKeyArn"}),
    )
    return {"id": name, "name": name, "arn": vault["BackupVaultArn"]}


# The provider's lifecycle names -> AWS Backup's.
_BACKUP_LIFECYCLE = {
    "DeleteAfter": "DeleteAfterDays",
    "ColdStorageAfter": "MoveToColdStorageAfterDays",
    "OptInToArchiveForSupportedResources": "OptInToArchiveForSupportedResources",
}


def _rename(node: dict[str, Any], names: Mapping[str, str]) -> None:
    for old, new in names.items():
        if old in node:
            node[new] = node.pop(old)


def _backup_plan(account: Account, r: Resolved) -> dict[str, Any]:
    name = _physical(r)
    rules = []
    for rule in r.inputs.get("rules") or []:
        api = pascal(
            {k: v for k, v in rule.items() if k not in {"completionWindow", "startWindow"}}
        )
        api["TargetBackupVaultName"] = api.pop("TargetVaultName")
        api["ScheduleExpression"] = api.pop("Schedule", None)
        api["StartWindowMinutes"] = rule.get("startWindow")
        api["CompletionWindowMinutes"] = rule.get("completionWindow")
        for lifecycle in [
            api.get("Lifecycle"),
            *(c.get("Lifecycle") for c in api.get("CopyActions") or []),
        ]:
            if lifecycle:
                _rename(lifecycle, _BACKUP_LIFECYCLE)
        for copy in api.get("CopyActions") or []:
            copy["DestinationBackupVaultArn"] = copy.pop("DestinationVaultArn")
        rules.append({k: v for k, v in api.items() if v is not None})
    plan = account.client("backup").create_backup_plan(
        BackupPlan={"BackupPlanName": name, "Rules": rules}, BackupPlanTags=r.tags()
    )
    return {"id": plan["BackupPlanId"], "arn": plan["BackupPlanArn"], "name": name}


def _ecr_repository(account: Account, r: Resolved) -> dict[str, Any]:
    name = _physical(r)
    encryption = (r.inputs.get("encryptionConfigurations") or [{}])[0]
    scanning = r.inputs.get("imageScanningConfiguration") or {}
    repo = account.client("ecr").create_repository(
        repositoryName=name,
        imageTagMutability=r.inputs.get("imageTagMutability", "MUTABLE"),
        imageScanningConfiguration={"scanOnPush": bool(scanning.get("scanOnPush"))},
        encryptionConfiguration={
            k: v
            for k, v in {
                "encryptionType": encryption.get("encryptionType", "AES256"),
                "kmsKey": encryption.get("kmsKey"),
            }.items()
            if v
        },
        tags=r.tag_list(),
    )["repository"]
    return {
        "id": name,
        "name": name,
        "arn": repo["repositoryArn"],
        "registryId": repo["registryId"],
        "repositoryUrl": repo["repositoryUri"],
    }


def _ecr_lifecycle(account: Account, r: Resolved) -> dict[str, Any]:
    account.client("ecr").put_lifecycle_policy(
        repositoryName=r.inputs["repository"], lifecyclePolicyText=r.inputs["policy"]
    )
    return {"id": r.inputs["repository"]}


def _eks_cluster(account: Account, r: Resolved) -> dict[str, Any]:
    name = _physical(r)
    vpc = r.inputs.get("vpcConfig") or {}
    cluster = account.client("eks").create_cluster(
        name=name,
        version=r.inputs.get("version"),
        roleArn=r.inputs["roleArn"],
        resourcesVpcConfig={
            k: v
            for k, v in {
                "subnetIds": vpc.get("subnetIds"),
                "securityGroupIds": vpc.get("securityGroupIds"),
                "endpointPublicAccess": vpc.get("endpointPublicAccess"),
                "endpointPrivateAccess": vpc.get("endpointPrivateAccess"),
                "publicAccessCidrs": vpc.get("publicAccessCidrs"),
            }.items()
            if v is not None
        },
        logging={
            "clusterLogging": [
                {"types": list(r.inputs.get("enabledClusterLogTypes") or []), "enabled": True}
            ]
        },
        encryptionConfig=[pascal_lower(e) for e in _as_list(r.inputs.get("encryptionConfig"))],
        tags=r.tags(),
    )["cluster"]
    return {
        "id": name,
        "name": name,
        "arn": cluster["arn"],
        "endpoint": cluster.get("endpoint", ""),
    }


def _eks_node_group(account: Account, r: Resolved) -> dict[str, Any]:
    name = _physical(r, key="nodeGroupName")
    args = _pick(
        r.inputs,
        {
            "clusterName": "clusterName",
            "subnetIds": "subnets",
            "nodeRoleArn": "nodeRole",
            "instanceTypes": "instanceTypes",
            "amiType": "amiType",
            "capacityType": "capacityType",
            "labels": "labels",
            "scalingConfig": "scalingConfig",
            "updateConfig": "updateConfig",
            "version": "version",
        },
    )
    group = account.client("eks").create_nodegroup(nodegroupName=name, tags=r.tags(), **args)
    group = group["nodegroup"]
    return {
        "id": f"{args['clusterName']}:{name}",
        "nodeGroupName": name,
        "arn": group["nodegroupArn"],
    }


def _rest_api(account: Account, r: Resolved) -> dict[str, Any]:
    api = account.client("apigateway")
    endpoint = r.inputs.get("endpointConfiguration") or {}
    types = endpoint.get("types")
    created = api.create_rest_api(
        name=r.inputs["name"],
        description=r.inputs.get("description", ""),
        apiKeySource=r.inputs.get("apiKeySource", "HEADER"),
        endpointConfiguration={"types": [types] if isinstance(types, str) else list(types or [])},
        tags=r.tags(),
    )
    return {
        "id": created["id"],
        "name": created["name"],
        "rootResourceId": created["rootResourceId"],
        "arn": f"arn:aws:apigateway:{r.region}::/restapis/{created['id']}",
    }


def _api_resource(account: Account, r: Resolved) -> dict[str, Any]:
    created = account.client("apigateway").create_resource(
        restApiId=r.inputs["restApi"], parentId=r.inputs["parentId"], pathPart=r.inputs["pathPart"]
    )
    return {"id": created["id"], "path": created["path"]}


def _api_method(account: Account, r: Resolved) -> dict[str, Any]:
    args = _pick(
        r.inputs,
        {
            "restApi": "restApiId",
            "resourceId": "resourceId",
            "httpMethod": "httpMethod",
            "authorization": "authorizationType",
            "apiKeyRequired": "apiKeyRequired",
            "requestParameters": "requestParameters",
        },
    )
    account.client("apigateway").put_method(**args)
    return {"id": f"{args['restApiId']}-{args['resourceId']}-{args['httpMethod']}"}


def _api_integration(account: Account, r: Resolved) -> dict[str, Any]:
    args = _pick(
        r.inputs,
        {
            "restApi": "restApiId",
            "resourceId": "resourceId",
            "httpMethod": "httpMethod",
            "type": "type",
            "integrationHttpMethod": "integrationHttpMethod",
            "uri": "uri",
            "connectionType": "connectionType",
            "connectionId": "connectionId",
            "requestParameters": "requestParameters",
            "timeoutMilliseconds": "timeoutInMillis",
        },
    )
    account.client("apigateway").put_integration(**args)
    return {"id": f"{args['restApiId']}-{args['resourceId']}-{args['httpMethod']}"}


def _api_vpc_link(account: Account, r: Resolved) -> dict[str, Any]:
    link = account.client("apigateway").create_vpc_link(
        name=r.inputs["name"],
        description=r.inputs.get("description", ""),
        targetArns=[r.inputs["targetArn"]],
        tags=r.tags(),
    )
    return {"id": link["id"], "name": link["name"]}


def _api_deployment(account: Account, r: Resolved) -> dict[str, Any]:
    deployment = account.client("apigateway").create_deployment(
        restApiId=r.inputs["restApi"], description=r.inputs.get("description", "")
    )
    return {"id": deployment["id"]}


def _api_stage(account: Account, r: Resolved) -> dict[str, Any]:
    api = account.client("apigateway")
    rest_api, stage = r.inputs["restApi"], r.inputs["stageName"]
    api.create_stage(
        restApiId=rest_api,
        stageName=stage,
        deploymentId=r.inputs["deployment"],
        tracingEnabled=bool(r.inputs.get("xrayTracingEnabled")),
        tags=r.tags(),
    )
    logs = r.inputs.get("accessLogSettings")
    if logs:
        api.update_stage(
            restApiId=rest_api,
            stageName=stage,
            patchOperations=[
                {
                    "op": "replace",
                    "path": "/accessLogSettings/destinationArn",
                    "value": logs["destinationArn"],
                },
                {"op": "replace", "path": "/accessLogSettings/format", "value": logs["format"]},
            ],
        )
    return {
        "id": f"ags-{rest_api}-{stage}",
        "stageName": stage,
        "arn": f"arn:aws:apigateway:{r.region}::/restapis/{rest_api}/stages/{stage}",
        "invokeUrl": f"https://{rest_api}.execute-api.{r.region}.amazonaws.com/{stage}",
    }


def _usage_plan(account: Account, r: Resolved) -> dict[str, Any]:
    throttle = r.inputs.get("throttleSettings") or {}
    quota = r.inputs.get("quotaSettings")
    args: dict[str, Any] = {
        "name": r.inputs["name"],
        "description": r.inputs.get("description", ""),
        "apiStages": [
            {"apiId": s["apiId"], "stage": s["stage"]} for s in r.inputs.get("apiStages") or []
        ],
        "throttle": {
            "burstLimit": int(throttle.get("burstLimit", 0)),
            "rateLimit": float(throttle.get("rateLimit", 0)),
        },
        "tags": r.tags(),
    }
    if quota:
        args["quota"] = {"limit": int(quota["limit"]), "period": quota["period"]}
    plan = account.client("apigateway").create_usage_plan(**args)
    return {"id": plan["id"], "name": plan["name"]}


def _api_key(account: Account, r: Resolved) -> dict[str, Any]:
    key = account.client("apigateway").create_api_key(
        name=r.inputs["name"], enabled=r.inputs.get("enabled", True), tags=r.tags()
    )
    return {"id": key["id"], "name": key["name"]}


def _usage_plan_key(account: Account, r: Resolved) -> dict[str, Any]:
    account.client("apigateway").create_usage_plan_key(
        usagePlanId=r.inputs["usagePlanId"], keyId=r.inputs["keyId"], keyType="API_KEY"
    )
    return {"id": r.inputs["keyId"]}


def _web_acl(account: Account, r: Resolved) -> dict[str, Any]:
    acl = account.client("wafv2").create_web_acl(
        Name=r.inputs["name"],
        Scope=r.inputs["scope"],
        DefaultAction=pascal(r.inputs["defaultAction"]),
        Description=r.inputs.get("description", ""),
        Rules=[_waf_rule(rule) for rule in r.inputs.get("rules") or []],
        VisibilityConfig=_waf_visibility(r.inputs["visibilityConfig"]),
        Tags=r.tag_list(),
    )["Summary"]
    return {"id": acl["Id"], "arn": acl["ARN"], "name": acl["Name"], "lockToken": acl["LockToken"]}


def _waf_visibility(config: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "SampledRequestsEnabled": bool(config["sampledRequestsEnabled"]),
        "CloudWatchMetricsEnabled": bool(config["cloudwatchMetricsEnabled"]),
        "MetricName": config["metricName"],
    }


def _waf_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    api = pascal({k: v for k, v in rule.items() if k != "visibilityConfig"})
    api["VisibilityConfig"] = _waf_visibility(rule["visibilityConfig"])
    return dict(api)


def _web_acl_association(account: Account, r: Resolved) -> dict[str, Any]:
    account.client("wafv2").associate_web_acl(
        WebACLArn=r.inputs["webAclArn"], ResourceArn=r.inputs["resourceArn"]
    )
    return {"id": f"{r.inputs['webAclArn']},{r.inputs['resourceArn']}"}


def _web_acl_logging(account: Account, r: Resolved) -> dict[str, Any]:
    account.client("wafv2").put_logging_configuration(
        LoggingConfiguration={
            "ResourceArn": r.inputs["resourceArn"],
            "LogDestinationConfigs": r.inputs["logDestinationConfigs"],
        }
    )
    return {"id": r.inputs["resourceArn"]}


_ALARM = {
    "name": "AlarmName",
    "alarmDescription": "AlarmDescription",
    "actionsEnabled": "ActionsEnabled",
    "okActions": "OKActions",
    "alarmActions": "AlarmActions",
    "insufficientDataActions": "InsufficientDataActions",
    "metricName": "MetricName",
    "namespace": "Namespace",
    "statistic": "Statistic",
    "extendedStatistic": "ExtendedStatistic",
    "period": "Period",
    "unit": "Unit",
    "evaluationPeriods": "EvaluationPeriods",
    "datapointsToAlarm": "DatapointsToAlarm",
    "threshold": "Threshold",
    "comparisonOperator": "ComparisonOperator",
    "treatMissingData": "TreatMissingData",
    "thresholdMetricId": "ThresholdMetricId",
}


def _dimensions(dims: Mapping[str, Any] | None) -> list[dict[str, str]]:
    return [{"Name": k, "Value": str(v)} for k, v in (dims or {}).items()]


def _metric_alarm(account: Account, r: Resolved) -> dict[str, Any]:
    cloudwatch = account.client("cloudwatch")
    args = _pick(r.inputs, _ALARM)
    if r.inputs.get("dimensions"):
        args["Dimensions"] = _dimensions(r.inputs["dimensions"])
    queries = []
    for q in r.inputs.get("metricQueries") or []:
        query: dict[str, Any] = _pick(
            q,
            {"id": "Id", "expression": "Expression", "label": "Label", "returnData": "ReturnData"},
        )
        if q.get("metric"):
            m = q["metric"]
            query["MetricStat"] = {
                "Metric": {
                    "Namespace": m["namespace"],
                    "MetricName": m["metricName"],
                    "Dimensions": _dimensions(m.get("dimensions")),
                },
                "Period": int(m["period"]),
                "Stat": m["stat"],
            }
        queries.append(query)
    if queries:
        args["Metrics"] = queries
    cloudwatch.put_metric_alarm(**args, Tags=r.tag_list())
    alarm = cloudwatch.describe_alarms(AlarmNames=[args["AlarmName"]])["MetricAlarms"][0]
    return {"id": alarm["AlarmName"], "name": alarm["AlarmName"], "arn": alarm["AlarmArn"]}


def _dashboard(account: Account, r: Resolved) -> dict[str, Any]:
    name = r.inputs["dashboardName"]
    account.client("cloudwatch").put_dashboard(
        DashboardName=name, DashboardBody=r.inputs["dashboardBody"]
    )
    return {"id": name, "name": name}


def _cache_subnet_group(account: Account, r: Resolved) -> dict[str, Any]:
    name = _physical(r)
    account.client("elasticache").create_cache_subnet_group(
        CacheSubnetGroupName=name,
        CacheSubnetGroupDescription=r.inputs.get("description") or name,
        SubnetIds=r.inputs["subnetIds"],
    )
    return {"id": name, "name": name}


_REPLICATION_GROUP = {
    "description": "ReplicationGroupDescription",
    "engine": "Engine",
    "engineVersion": "EngineVersion",
    "nodeType": "CacheNodeType",
    "numCacheClusters": "NumCacheClusters",
    "port": "Port",
    "subnetGroupName": "CacheSubnetGroupName",
    "securityGroupIds": "SecurityGroupIds",
    "automaticFailoverEnabled": "AutomaticFailoverEnabled",
    "multiAzEnabled": "MultiAZEnabled",
    "atRestEncryptionEnabled": "AtRestEncryptionEnabled",
    "transitEncryptionEnabled": "TransitEncryptionEnabled",
    "kmsKeyId": "KmsKeyId",
    "snapshotRetentionLimit": "SnapshotRetentionLimit",
    "snapshotWindow": "SnapshotWindow",
    "maintenanceWindow": "PreferredMaintenanceWindow",
    "autoMinorVersionUpgrade": "AutoMinorVersionUpgrade",
}


def _replication_group(account: Account, r: Resolved) -> dict[str, Any]:
    name = _physical(r, key="replicationGroupId")
    args = _pick(r.inputs, _REPLICATION_GROUP)
    # The plan redacts the AUTH token; the sandbox sets a fresh one so TLS+AUTH stays on.
    if r.inputs.get("authToken"):
        args["AuthToken"] = secrets.token_urlsafe(32)
    group = account.client("elasticache").create_replication_group(
        ReplicationGroupId=name, Tags=r.tag_list(), **args
    )["ReplicationGroup"]
    primary = ""
    for node_group in group.get("NodeGroups") or []:
        primary = (node_group.get("PrimaryEndpoint") or {}).get("Address", primary)
    return {"id": name, "arn": group.get("ARN", ""), "primaryEndpointAddress": primary}


def _bucket(account: Account, r: Resolved) -> dict[str, Any]:
    name = _physical(r, key="bucket")
    s3 = account.client("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": r.region})
    return {"id": name, "bucket": name, "arn": f"arn:aws:s3:::{name}"}


def _bucket_versioning(account: Account, r: Resolved) -> dict[str, Any]:
    config = r.inputs.get("versioningConfiguration") or {}
    account.client("s3").put_bucket_versioning(
        Bucket=r.inputs["bucket"], VersioningConfiguration={"Status": config.get("status")}
    )
    return {"id": r.inputs["bucket"]}


def _bucket_encryption(account: Account, r: Resolved) -> dict[str, Any]:
    rules = [
        {
            "ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"],
                **_pick(
                    rule["applyServerSideEncryptionByDefault"],
                    {"kmsMasterKeyId": "KMSMasterKeyID"},
                ),
            },
            **_pick(rule, {"bucketKeyEnabled": "BucketKeyEnabled"}),
        }
        for rule in r.inputs.get("rules") or []
    ]
    account.client("s3").put_bucket_encryption(
        Bucket=r.inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
    )
    return {"id": r.inputs["bucket"]}


def _bucket_public_access(account: Account, r: Resolved) -> dict[str, Any]:
    names = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    config = {n[:1].upper() + n[1:]: bool(r.inputs.get(n)) for n in names}
    account.client("s3").put_public_access_block(
        Bucket=r.inputs["bucket"], PublicAccessBlockConfiguration=config
    )
    return {"id": r.inputs["bucket"]}


def _bucket_ownership(account: Account, r: Resolved) -> dict[str, Any]:
    rule = r.inputs.get("rule") or {}
    account.client("s3").put_bucket_ownership_controls(
        Bucket=r.inputs["bucket"],
        OwnershipControls={"Rules": [{"ObjectOwnership": rule.get("objectOwnership")}]},
    )
    return {"id": r.inputs["bucket"]}


def _bucket_lifecycle(account: Account, r: Resolved) -> dict[str, Any]:
    rules = []
    for rule in r.inputs.get("rules") or []:
        converted: dict[str, Any] = {"ID": rule["id"], "Status": rule["status"]}
        if rule.get("filter") is not None:
            converted["Filter"] = {"Prefix": rule["filter"].get("prefix", "")}
        if rule.get("expiration") is not None:
            converted["Expiration"] = {"Days": int(rule["expiration"]["days"])}
        if rule.get("noncurrentVersionExpiration") is not None:
            days = rule["noncurrentVersionExpiration"]["noncurrentDays"]
            converted["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(days)}
        if rule.get("abortIncompleteMultipartUpload") is not None:
            days = rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"]
            converted["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(days)}
        rules.append(converted)
    account.client("s3").put_bucket_lifecycle_configuration(
        Bucket=r.inputs["bucket"], LifecycleConfiguration={"Rules": rules}
    )
    return {"id": r.inputs["bucket"]}


def pascal_lower(node: Mapping[str, Any]) -> dict[str, Any]:
    """EKS takes camelCase: pass the plan's object through with lists kept as lists."""
    return {k: (list(v) if isinstance(v, list | tuple) else v) for k, v in node.items()}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _physical(r: Resolved, *, key: str = "name") -> str:
    explicit = r.inputs.get(key)
    return explicit if isinstance(explicit, str) and explicit else r.physical_name


CREATORS: dict[str, Creator] = {
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:iam/role:Role": _iam_role,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:secretsmanager/secretVersion:SecretVersion": _secret_version,
    "aws:sns/topic:Topic": _sns_topic,
    "aws:sns/topicPolicy:TopicPolicy": _sns_topic_policy,
    "aws:sns/topicSubscription:TopicSubscription": _sns_subscription,
    "aws:rds/subnetGroup:SubnetGroup": _rds_subnet_group,
    "aws:rds/parameterGroup:ParameterGroup": _rds_parameter_group,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:backup/vault:Vault": _backup_vault,
    "aws:backup/plan:Plan": _backup_plan,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _ecr_lifecycle,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _eks_node_group,
    "aws:apigateway/restApi:RestApi": _rest_api,
    "aws:apigateway/resource:Resource": _api_resource,
    "aws:apigateway/method:Method": _api_method,
    "aws:apigateway/integration:Integration": _api_integration,
    "aws:apigateway/vpcLink:VpcLink": _api_vpc_link,
    "aws:apigateway/deployment:Deployment": _api_deployment,
    "aws:apigateway/stage:Stage": _api_stage,
    "aws:apigateway/usagePlan:UsagePlan": _usage_plan,
    "aws:apigateway/apiKey:ApiKey": _api_key,
    "aws:apigateway/usagePlanKey:UsagePlanKey": _usage_plan_key,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:wafv2/webAclAssociation:WebAclAssociation": _web_acl_association,
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": _web_acl_logging,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:elasticache/subnetGroup:SubnetGroup": _cache_subnet_group,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:s3/bucketVersioning:BucketVersioning": _bucket_versioning,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        _bucket_encryption
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _bucket_public_access,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _bucket_ownership,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _bucket_lifecycle,
}

# What moto (5.x) has no API for; listed in the sandbox file instead of being faked.
UNSUPPORTED: dict[str, str] = {
    "aws:backup/selection:Selection": "moto's AWS Backup has no backup selections",
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": "moto has no AWS Backup restore testing",
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": (
        "moto has no AWS Backup restore testing"
    ),
    "aws:eks/addon:Addon": "moto's EKS has no add-ons",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": (
        "moto's EKS has no pod identity associations"
    ),
    "aws:apigateway/methodSettings:MethodSettings": (
        "moto does not keep per-method stage settings"
    ),
    "aws:apigateway/account:Account": "moto keeps no API Gateway account logging role",
    # moto enforces bucket policies; the sandbox serves plain HTTP on loopback, so the
    # TLS-only Deny would refuse every call. The policy pack checks the policy instead.
    "aws:s3/bucketPolicy:BucketPolicy": "the sandbox speaks plain HTTP (TLS-only policy)",
}


def _order(plan: Plan) -> list[PlanResource]:
    """Plan resources in dependency order (dependencies first), ties in plan order."""
    by_urn = {r.urn: r for r in plan.resources}
    done: set[str] = set()
    out: list[PlanResource] = []

    def visit(resource: PlanResource, stack: tuple[str, ...]) -> None:
        if resource.urn in done or resource.urn in stack:
            return
        deps = set(resource.dependencies)
        for urns in resource.property_dependencies.values():
            deps.update(urns)
        for dep in sorted(deps):
            if dep in by_urn:
                visit(by_urn[dep], (*stack, resource.urn))
        done.add(resource.urn)
        out.append(resource)

    for resource in plan.resources:
        visit(resource, ())
    return out


def apply_plan(plan: Plan, account: Account, *, region: str) -> ApplyResult:
    """Create every supported resource of ``plan`` in ``account``; translate the outputs."""
    refs = References(InvokeContext(stack=plan.stack, project=plan.project, region=region))
    result = ApplyResult(outputs={}, applied={})
    for resource in _order(plan):
        if not resource.custom or resource.type.startswith("pulumi:"):
            continue
        creator = CREATORS.get(resource.type)
        if creator is None:
            reason = UNSUPPORTED.get(resource.type)
            target = result.unsupported if reason else result.out_of_scope
            target.append(
                Skipped(
                    type=resource.type,
                    name=resource.name,
                    reason=reason or "not read by any ops command",
                )
            )
            continue
        # A resource on a provider for another region (the backup copy vault) goes there.
        where = _provider_region(plan, resource) or region
        resolved = Resolved(
            resource=resource,
            inputs=refs.resolve_inputs(resource),
            region=where,
            # Same autoname as the plan, so names other inputs spell out still match.
            physical_name=physical_name(resource.name, resource.inputs, refs.ctx),
        )
        try:
            real = creator(Account(region=where, endpoint_url=account.endpoint_url), resolved)
        except Exception as exc:
            raise SandboxApplyError(resource, exc) from exc
        refs.record(resource, real)
        result.applied[resource.urn] = real
    result.outputs = refs.resolve_outputs(plan.outputs)
    return result


def _provider_region(plan: Plan, resource: PlanResource) -> str | None:
    if not resource.provider:
        return None
    try:
        provider = plan.get(resource.provider)
    except LookupError:
        return None
    value = provider.inputs.get("region")
    return value if isinstance(value, str) and value else None


class SandboxApplyError(RuntimeError):
    def __init__(self, resource: PlanResource, exc: BaseException) -> None:
        super().__init__(f"sandbox could not create {resource.type} {resource.name}: {exc}")
        self.resource = resource


def dumps(result: ApplyResult) -> str:
    return json.dumps(result.outputs, indent=2, sort_keys=True)
