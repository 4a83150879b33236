"""EKS control plane: pinned version, private endpoint, KMS secrets, audit logs, IRSA."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws_context import AwsContext, aws_context
from infra.cluster.addons import REQUIRED_ADDONS
from infra.cluster.autoscaler import IMAGE_MINOR as AUTOSCALER_MINOR
from infra.iam import service_role
from infra.kms import EncryptionKey, EncryptionKeyArgs
from infra.logs import encrypted_log_group
from infra.settings import SettingError, cidr_block, matching, within

CONTROL_PLANE_LOG_TYPES: tuple[str, ...] = (
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
)
OPEN_CIDRS: frozenset[str] = frozenset({"0.0.0.0/0", "::/0"})
_K8S_VERSION = re.compile(r"^1\.\d{2}$")
_EKSBUILD = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")


@dataclass(frozen=True, kw_only=True)
class ClusterSettings:
    """The stack-tunable values of the cluster (``hrms:cluster``): control plane, node group
    and the pinned add-on versions."""

    kubernetes_version: str
    endpoint_public_access: bool
    log_retention_days: int
    node_instance_types: tuple[str, ...]
    node_min_size: int
    node_max_size: int
    node_desired_size: int
    node_disk_gb: int
    metadata_hop_limit: int
    addon_versions: dict[str, str]
    public_access_cidrs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for index, cidr in enumerate(self.public_access_cidrs):
            cidr_block(f"public_access_cidrs[{index}]", cidr)
        if self.endpoint_public_access and not self.public_access_cidrs:
            raise SettingError(
                "public_access_cidrs", "required when endpoint_public_access is true"
            )
        for size in ("node_min_size", "node_max_size", "node_desired_size"):
            within(size, getattr(self, size), 1, 100)
        low, desired, high = self.node_min_size, self.node_desired_size, self.node_max_size
        if not low <= desired <= high:
            raise SettingError("node_desired_size", f"{desired} is not within {low}..{high}")
        self._check_addons()
        matching("kubernetes_version", self.kubernetes_version, _K8S_VERSION, "a version like 1.32")
        if self.kubernetes_version != AUTOSCALER_MINOR:
            # The autoscaler vendors one scheduler minor: it must match the cluster's.
            raise SettingError(
                "kubernetes_version",
                f"{self.kubernetes_version} is not the version the Cluster Autoscaler image "
                f"supports ({AUTOSCALER_MINOR}, infra/cluster/autoscaler.py IMAGE); change both "
                "together",
            )
        within("log_retention_days", self.log_retention_days, 1, 3653)
        within("node_disk_gb", self.node_disk_gb, 20, 1000)
        # 1 keeps pods off the node's instance credentials (IMDSv2 hop limit).
        within("metadata_hop_limit", self.metadata_hop_limit, 1, 2)

    def _check_addons(self) -> None:
        missing = sorted(set(REQUIRED_ADDONS) - set(self.addon_versions))
        if missing:
            raise SettingError(
                "addon_versions", f"missing pinned versions for {', '.join(missing)}"
            )
        # Only the required add-ons are installed, so any other entry is a typo or a leftover.
        extra = sorted(set(self.addon_versions) - set(REQUIRED_ADDONS))
        if extra:
            raise SettingError(
                f"addon_versions.{extra[0]}",
                f"not an add-on this stack installs; expected {', '.join(sorted(REQUIRED_ADDONS))}",
            )
        for addon, version in self.addon_versions.items():
            if not _EKSBUILD.match(version):
                raise SettingError(
                    f"addon_versions.{addon}", f"{version!r} is not a pinned eksbuild version"
                )


@dataclass(frozen=True, kw_only=True)
class EksClusterArgs:
    cluster_name: str
    subnet_ids: Sequence[pulumi.Input[str]]
    logs_kms_key_arn: pulumi.Input[str]
    settings: ClusterSettings


def kubeconfig(*, cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """Kubeconfig authenticating with ``aws eks get-token`` (no long-lived credentials)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {"server": endpoint, "certificate-authority-data": ca_data},
                }
            ],
            "contexts": [
                {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
            ],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": [
                                "eks",
                                "get-token",
                                "--cluster-name",
                                cluster_name,
                                "--region",
                                region,
                                "--output",
                                "json",
                            ],
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


def _vpc_config(args: EksClusterArgs) -> aws.eks.ClusterVpcConfigArgs:
    """Private endpoint always; the public one only if enabled, and then only from the
    allowed CIDRs."""
    return aws.eks.ClusterVpcConfigArgs(
        subnet_ids=list(args.subnet_ids),
        endpoint_private_access=True,
        endpoint_public_access=args.settings.endpoint_public_access,
        public_access_cidrs=(
            list(args.settings.public_access_cidrs)
            if args.settings.endpoint_public_access
            else None
        ),
    )


class EksCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    secrets_kms_key_arn: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    kubernetes_version: str

    def __init__(
        self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:cluster:EksCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ctx = aws_context(pulumi.InvokeOptions(parent=self))

        key = EncryptionKey(
            f"{name}-secrets-kms",
            EncryptionKeyArgs(description=f"Envelope encryption of {args.cluster_name} secrets"),
            opts=child,
        )
        role, attachment = self._service_role(name, ctx)
        log_group = encrypted_log_group(
            f"{name}-control-plane-logs",
            log_group_name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_days=args.settings.log_retention_days,
            kms_key_arn=args.logs_kms_key_arn,
            opts=child,
        )
        cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            version=args.settings.kubernetes_version,
            role_arn=role.arn,
            vpc_config=_vpc_config(args),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.key_arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            # Add-ons are managed explicitly (and pinned) by the node group component.
            bootstrap_self_managed_addons=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment, log_group]),
        )
        issuer = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer or "")  # type: ignore[index]
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer,
            client_id_lists=["sts.amazonaws.com"],
            opts=child,
        )

        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.endpoint = cluster.endpoint
        self.certificate_authority = cluster.certificate_authority.apply(lambda ca: ca.data or "")
        self.cluster_security_group_id = cluster.vpc_config.apply(
            lambda vpc: vpc.cluster_security_group_id or ""
        )
        self.oidc_provider_arn = oidc.arn
        self.oidc_issuer = issuer
        self.secrets_kms_key_arn = key.key_arn
        self.kubernetes_version = args.settings.kubernetes_version
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(
                cluster.name, cluster.endpoint, self.certificate_authority, ctx.region
            ).apply(
                lambda v: kubeconfig(cluster_name=v[0], endpoint=v[1], ca_data=v[2], region=v[3])
            )
        )
        self.register_outputs(
            {
                "cluster_name": cluster.name,
                "endpoint": cluster.endpoint,
                "oidc_provider_arn": oidc.arn,
            }
        )

    def _service_role(
        self, name: str, ctx: AwsContext
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
        """The role the control plane manages cluster resources with."""
        return service_role(
            f"{name}-role",
            f"{name}-role-policy",
            service="eks.amazonaws.com",
            managed_policy="AmazonEKSClusterPolicy",
            partition=ctx.partition,
            opts=pulumi.ResourceOptions(parent=self),
        )
