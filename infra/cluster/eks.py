"""EKS control plane: pinned version, private endpoint, KMS secrets, audit logs, IRSA."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws_context import aws_context
from infra.iam import assume_role_policy, managed_policy_arn
from infra.kms import EncryptionKey, EncryptionKeyArgs
from infra.logs import encrypted_log_group

CONTROL_PLANE_LOG_TYPES: tuple[str, ...] = (
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
)
OPEN_CIDRS: frozenset[str] = frozenset({"0.0.0.0/0", "::/0"})


@dataclass(frozen=True, kw_only=True)
class EksClusterArgs:
    cluster_name: str
    kubernetes_version: str
    subnet_ids: Sequence[pulumi.Input[str]]
    logs_kms_key_arn: pulumi.Input[str]
    log_retention_days: int
    endpoint_public_access: bool
    public_access_cidrs: Sequence[str] = ()
    allow_open_public_endpoint: bool = False

    def __post_init__(self) -> None:
        if self.endpoint_public_access and not self.public_access_cidrs:
            raise ValueError("a public endpoint needs explicit public_access_cidrs")
        if not self.allow_open_public_endpoint and OPEN_CIDRS & set(self.public_access_cidrs):
            raise ValueError("public_access_cidrs must not open the API server to the internet")


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
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume_role_policy("eks.amazonaws.com"),
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-role-policy",
            role=role.name,
            policy_arn=ctx.partition.apply(
                lambda p: managed_policy_arn(p, "AmazonEKSClusterPolicy")
            ),
            opts=child,
        )
        log_group = encrypted_log_group(
            f"{name}-control-plane-logs",
            log_group_name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_days=args.log_retention_days,
            kms_key_arn=args.logs_kms_key_arn,
            opts=child,
        )
        cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=args.endpoint_public_access,
                public_access_cidrs=(
                    list(args.public_access_cidrs) if args.endpoint_public_access else None
                ),
            ),
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
        self.kubernetes_version = args.kubernetes_version
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
