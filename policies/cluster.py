"""Cluster rules: EKS endpoint exposure, secrets encryption, logging, versions, node metadata."""

from __future__ import annotations

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, Severity

from policies.common import (
    CIS,
    SOC2,
    HrmsPolicy,
    HrmsResourcePolicy,
    as_bool,
    as_list,
    as_number,
    config_value,
    get_path,
    is_true,
    is_whole_internet,
    violation,
)

EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"

CONTROL_PLANE_LOGS = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# EKS versions in standard support when this pack was last reviewed (2026-11-28: 1.34 until
# 2026-12-02, 1.35 until 2027-03-27, 1.36); stacks override through the policy config when
# AWS moves the window.
SUPPORTED_EKS_VERSIONS = ["1.34", "1.35", "1.36"]


def _private_endpoint(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_true(get_path(args.props, "vpcConfig.endpointPrivateAccess")):
        violation(report, "vpcConfig.endpointPrivateAccess must be true so nodes stay in the VPC.")


def _public_endpoint(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # AWS turns the public endpoint on, open to 0.0.0.0/0, when these are left unset.
    public = as_bool(get_path(args.props, "vpcConfig.endpointPublicAccess"), True)
    if not public:
        return
    cidrs = [str(c) for c in as_list(get_path(args.props, "vpcConfig.publicAccessCidrs"))]
    if not cidrs:
        violation(
            report,
            "vpcConfig.publicAccessCidrs is unset, which AWS treats as 0.0.0.0/0; "
            "list the operator CIDRs or turn endpointPublicAccess off.",
        )
    open_cidrs = sorted({c for c in cidrs if is_whole_internet(c)})
    if open_cidrs and not config_value(args, "allowOpenCidrs", False):
        violation(
            report,
            f"vpcConfig.publicAccessCidrs contains {', '.join(open_cidrs)}; "
            "the API server must not be reachable from the whole internet.",
        )


def _secrets_encryption(args: ResourceValidationArgs, report: ReportViolation) -> None:
    resources = {str(r) for r in as_list(get_path(args.props, "encryptionConfig.resources"))}
    if "secrets" not in resources:
        violation(report, 'encryptionConfig.resources must include "secrets".')
    if not get_path(args.props, "encryptionConfig.provider.keyArn"):
        violation(report, "encryptionConfig.provider.keyArn must name a customer-managed KMS key.")


def _control_plane_logs(args: ResourceValidationArgs, report: ReportViolation) -> None:
    enabled = {str(t) for t in as_list(get_path(args.props, "enabledClusterLogTypes"))}
    missing = [t for t in CONTROL_PLANE_LOGS if t not in enabled]
    if missing:
        violation(report, f"enabledClusterLogTypes is missing {', '.join(missing)}.")


def _supported_version(args: ResourceValidationArgs, report: ReportViolation) -> None:
    supported = [str(v) for v in config_value(args, "supportedVersions", SUPPORTED_EKS_VERSIONS)]
    version = get_path(args.props, "version")
    if not version:
        violation(report, "version must be pinned; an unpinned cluster upgrades on recreate.")
    elif str(version) not in supported:
        violation(
            report, f"version {version} is not a supported EKS version ({', '.join(supported)})."
        )


def _imdsv2(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if get_path(args.props, "metadataOptions.httpTokens") != "required":
        violation(report, 'metadataOptions.httpTokens must be "required" (IMDSv2 only).')
    hops = as_number(get_path(args.props, "metadataOptions.httpPutResponseHopLimit"))
    limit = float(config_value(args, "maxHopLimit", 2))
    if hops is None or hops > limit:
        shown = "unset" if hops is None else f"{hops:g}"
        violation(
            report,
            f"metadataOptions.httpPutResponseHopLimit is {shown}; must be <= {limit:g} so "
            "pods cannot reach the node role beyond the configured hops.",
        )


def _volumes_encrypted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for mapping in as_list(get_path(args.props, "blockDeviceMappings")):
        if get_path(mapping, "ebs") is None:
            continue
        # The provider models this launch-template flag as a string ("true"/"false").
        flag = get_path(mapping, "ebs.encrypted")
        if not (is_true(flag) or flag == "true"):
            device = get_path(mapping, "deviceName", "?")
            violation(report, f"blockDeviceMappings[{device}].ebs.encrypted must be true.")


def _node_group_template(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not (
        get_path(args.props, "launchTemplate.id") or get_path(args.props, "launchTemplate.name")
    ):
        violation(
            report,
            "launchTemplate must be set so nodes get the hardened template (IMDSv2, encryption).",
        )


POLICIES: list[HrmsPolicy] = [
    HrmsResourcePolicy(
        name="eks-private-endpoint",
        description="The EKS API server has its private endpoint enabled.",
        resource_types=[EKS_CLUSTER],
        check=_private_endpoint,
        severity=Severity.HIGH,
        frameworks=[SOC2("CC6.6")],
        remediation="Set vpc_config.endpoint_private_access=True.",
    ),
    HrmsResourcePolicy(
        name="eks-public-endpoint-restricted",
        description="The EKS public endpoint, when on, is limited to listed CIDRs, "
        "never 0.0.0.0/0 or ::/0.",
        resource_types=[EKS_CLUSTER],
        check=_public_endpoint,
        severity=Severity.CRITICAL,
        frameworks=[SOC2("CC6.6")],
        remediation="Set vpc_config.public_access_cidrs to the operators' CIDRs, or "
        "endpoint_public_access=False and reach the API through the VPC.",
        config_schema=PolicyConfigSchema(
            properties={"allowOpenCidrs": {"type": "boolean", "default": False}}
        ),
    ),
    HrmsResourcePolicy(
        name="eks-secrets-encryption",
        description="Kubernetes Secrets are envelope-encrypted with a customer-managed KMS key.",
        resource_types=[EKS_CLUSTER],
        check=_secrets_encryption,
        severity=Severity.HIGH,
        frameworks=[SOC2("CC6.1")],
        remediation='Set encryption_config={"provider": {"key_arn": <kms arn>}, '
        '"resources": ["secrets"]}.',
    ),
    HrmsResourcePolicy(
        name="eks-control-plane-logging",
        description="All five EKS control-plane log types go to CloudWatch Logs.",
        resource_types=[EKS_CLUSTER],
        check=_control_plane_logs,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("CC7.2")],
        remediation="Set enabled_cluster_log_types to api, audit, authenticator, "
        "controllerManager and scheduler.",
    ),
    HrmsResourcePolicy(
        name="eks-supported-version",
        description="The EKS cluster is pinned to a version in standard support.",
        resource_types=[EKS_CLUSTER],
        check=_supported_version,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("CC7.1")],
        remediation="Pin version to one of the supported versions and plan the upgrade.",
        config_schema=PolicyConfigSchema(
            properties={
                "supportedVersions": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": SUPPORTED_EKS_VERSIONS,
                }
            }
        ),
    ),
    HrmsResourcePolicy(
        name="node-launch-template-imdsv2",
        description="Node launch templates require IMDSv2 with a small hop limit.",
        resource_types=[LAUNCH_TEMPLATE],
        check=_imdsv2,
        severity=Severity.HIGH,
        frameworks=[CIS("5.6"), SOC2("CC6.1")],
        remediation='Set metadata_options={"http_tokens": "required", '
        '"http_put_response_hop_limit": 1 or 2, "http_endpoint": "enabled"}.',
        config_schema=PolicyConfigSchema(
            properties={"maxHopLimit": {"type": "integer", "minimum": 1, "default": 2}}
        ),
    ),
    HrmsResourcePolicy(
        name="launch-template-volumes-encrypted",
        description="EBS volumes declared by launch templates are encrypted.",
        resource_types=[LAUNCH_TEMPLATE],
        check=_volumes_encrypted,
        severity=Severity.HIGH,
        frameworks=[CIS("2.2.1"), SOC2("CC6.1")],
        remediation='Set block_device_mappings[].ebs.encrypted="true" (and a kms_key_id).',
    ),
    HrmsResourcePolicy(
        name="eks-node-group-launch-template",
        description="Managed node groups boot from the stack's hardened launch template.",
        resource_types=[EKS_NODE_GROUP],
        check=_node_group_template,
        severity=Severity.MEDIUM,
        frameworks=[SOC2("CC6.1")],
        remediation="Set launch_template={id: <template id>, version: <latest version>}.",
    ),
]
