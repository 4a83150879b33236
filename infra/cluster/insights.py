"""Container Insights: the CloudWatch observability add-on, its Pod Identity role and log groups."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from infra.aws_context import aws_context
from infra.iam import managed_policy_for, policy_document
from infra.logs import encrypted_log_group
from infra.ordering import explicit_dependencies

if TYPE_CHECKING:
    # Imported for typing only: infra.cluster.eks imports this package's add-on list.
    from infra.cluster.eks import ClusterSettings

OBSERVABILITY_ADDON = "amazon-cloudwatch-observability"
AGENT_NAMESPACE = "amazon-cloudwatch"
AGENT_SERVICE_ACCOUNT = "cloudwatch-agent"
AGENT_POLICY = "CloudWatchAgentServerPolicy"
# Every group the agent and Fluent Bit write to: "performance" carries the embedded metric
# format records the ContainerInsights metrics are extracted from; the rest are container,
# node and data-plane logs.
LOG_STREAMS: tuple[str, ...] = ("application", "dataplane", "host", "performance")
# The agent's embedded-metric-format listener. Apps cannot use stdout for EMF on EKS: the
# log pipeline nests JSON lines under a key, so ``_aws`` is not at the root and nothing is
# extracted. With "emf" in its config the agent listens on 25888 and the add-on's operator
# exposes that port on the agent's Service in AGENT_NAMESPACE.
EMF_PORT = 25888
AGENT_SERVICE = "cloudwatch-agent"
AGENT_EMF_ENDPOINT = f"tcp://{AGENT_SERVICE}.{AGENT_NAMESPACE}.svc:{EMF_PORT}"
# Replaces the add-on's default agent config, so it restates Container Insights (the
# cluster alarms read its metrics) next to the EMF listener.
AGENT_CONFIGURATION: dict[str, object] = {
    "agent": {
        "config": {
            "logs": {
                "metrics_collected": {
                    "kubernetes": {"enhanced_container_insights": True},
                    "emf": {},
                }
            }
        }
    }
}


def log_group_name(cluster_name: str, stream: str) -> str:
    return f"/aws/containerinsights/{cluster_name}/{stream}"


def pod_identity_trust_policy(*, cluster_name: str, namespace: str, service_account: str) -> str:
    """Trust for EKS Pod Identity, narrowed by the session tags it sets to one service
    account of one cluster, so no other association in the account can use the role."""
    return policy_document(
        [
            {
                "Sid": "EksPodIdentity",
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {
                    "StringEquals": {
                        "aws:RequestTag/eks-cluster-name": cluster_name,
                        "aws:RequestTag/kubernetes-namespace": namespace,
                        "aws:RequestTag/kubernetes-service-account": service_account,
                    }
                },
            }
        ]
    )


@dataclass(frozen=True, kw_only=True)
class ContainerInsightsArgs:
    cluster_name: pulumi.Input[str]
    logs_kms_key_arn: pulumi.Input[str]
    # The add-on's pinned version (addon_versions) and log_retention_days; ClusterSettings
    # checks both.
    settings: ClusterSettings


class ContainerInsights(pulumi.ComponentResource):
    """Publishes the ``ContainerInsights`` metrics the cluster alarms read.

    Install it after the node group: the agent runs as a DaemonSet and the add-on reports
    DEGRADED until nodes exist to schedule it on.
    """

    addon_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    log_group_names: list[pulumi.Output[str]]

    def __init__(
        self, name: str, args: ContainerInsightsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:cluster:ContainerInsights", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ctx = aws_context(pulumi.InvokeOptions(parent=self))
        cluster_name = pulumi.Output.from_input(args.cluster_name)

        # Created up front: groups the agent creates itself never expire and use an
        # AWS-owned key.
        log_groups = [
            encrypted_log_group(
                f"{name}-logs-{stream}",
                log_group_name=cluster_name.apply(partial(log_group_name, stream=stream)),
                retention_days=args.settings.log_retention_days,
                kms_key_arn=args.logs_kms_key_arn,
                opts=child,
            )
            for stream in LOG_STREAMS
        ]
        role = aws.iam.Role(
            f"{name}-agent-role",
            description=(
                f"CloudWatch agent ({AGENT_NAMESPACE}/{AGENT_SERVICE_ACCOUNT}) via Pod Identity"
            ),
            assume_role_policy=cluster_name.apply(
                lambda c: pod_identity_trust_policy(
                    cluster_name=c,
                    namespace=AGENT_NAMESPACE,
                    service_account=AGENT_SERVICE_ACCOUNT,
                )
            ),
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-agent-policy",
            role=role.name,
            policy_arn=managed_policy_for(ctx.partition, AGENT_POLICY),
            opts=child,
        )
        association = aws.eks.PodIdentityAssociation(
            f"{name}-agent-identity",
            cluster_name=cluster_name,
            namespace=AGENT_NAMESPACE,
            service_account=AGENT_SERVICE_ACCOUNT,
            role_arn=role.arn,
            opts=child,
        )
        # Children do not inherit the component's depends_on; the add-on itself must wait
        # for the nodes its DaemonSet runs on, so it takes them over explicitly.
        after = explicit_dependencies(opts)
        addon = aws.eks.Addon(
            f"{name}-addon",
            cluster_name=cluster_name,
            addon_name=OBSERVABILITY_ADDON,
            addon_version=args.settings.addon_versions[OBSERVABILITY_ADDON],
            configuration_values=json.dumps(AGENT_CONFIGURATION, sort_keys=True),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            # Credentials and destinations exist before the first agent pod starts.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*after, *log_groups, attachment, association]
            ),
        )

        self.addon_arn = addon.arn
        self.role_arn = role.arn
        self.log_group_names = [group.name for group in log_groups]
        self.register_outputs(
            {
                "addon_arn": addon.arn,
                "role_arn": role.arn,
                "log_group_names": self.log_group_names,
            }
        )
