"""EKS managed node group from a hardened launch template (IMDSv2, encrypted volumes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra.account import AUTOSCALING_SERVICE_LINKED_ROLE, account_role_arn
from infra.aws_context import aws_context
from infra.cluster.eks import ClusterSettings
from infra.iam import assume_role_policy, managed_policy_for
from infra.kms import EncryptionKey, EncryptionKeyArgs
from infra.ordering import explicit_dependencies

NODE_ROLE_POLICIES: tuple[str, ...] = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    # Session Manager instead of SSH: no key pair, no port 22.
    "AmazonSSMManagedInstanceCore",
)
AUTOSCALING_SERVICE_ROLE = f"autoscaling.amazonaws.com/{AUTOSCALING_SERVICE_LINKED_ROLE}"


@dataclass(frozen=True, kw_only=True)
class NodeGroupArgs:
    cluster_name: pulumi.Input[str]
    cluster_security_group_id: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    subnet_ids: Sequence[pulumi.Input[str]]
    node_port: int
    # Version, instance types, sizes, disk and metadata hop limit.
    settings: ClusterSettings
    labels: Mapping[str, str] = field(default_factory=dict)


class NodeGroup(pulumi.ComponentResource):
    node_group_name: pulumi.Output[str]
    node_security_group_id: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    asg_name: pulumi.Output[str]
    volume_kms_key_arn: pulumi.Output[str]
    launch_template_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: NodeGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:cluster:NodeGroup", name, None, opts)
        role, attachments = self._role(name)
        security_group = self._security_group(name, args)
        volume_key, template = self._launch_template(name, args, security_group)
        group = aws.eks.NodeGroup(
            f"{name}-group",
            cluster_name=args.cluster_name,
            version=args.settings.kubernetes_version,
            node_role_arn=role.arn,
            subnet_ids=list(args.subnet_ids),
            instance_types=list(args.settings.node_instance_types),
            ami_type="AL2023_x86_64_STANDARD",
            capacity_type="ON_DEMAND",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=args.settings.node_min_size,
                max_size=args.settings.node_max_size,
                desired_size=args.settings.node_desired_size,
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            labels=dict(args.labels),
            opts=pulumi.ResourceOptions(
                parent=self,
                # Nodes join only once what the caller ordered first (the CNI add-ons) exists.
                depends_on=[*attachments, *explicit_dependencies(opts)],
                # The autoscaler owns the running size once the group exists. The path is
                # the engine's (camelCase): the SDK renames only whole top-level names, and
                # a snake_case nested path would silently match nothing.
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )

        self.node_group_name = group.node_group_name
        self.node_security_group_id = security_group.id
        self.node_role_arn = role.arn
        self.volume_kms_key_arn = volume_key.key_arn
        self.launch_template_id = template.id
        self.asg_name = group.resources.apply(_first_asg_name)
        self.register_outputs(
            {
                "node_group_name": group.node_group_name,
                "node_security_group_id": security_group.id,
                "asg_name": self.asg_name,
            }
        )

    def _role(self, name: str) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
        """The instance role with the managed policies nodes need to join and pull images."""
        child = pulumi.ResourceOptions(parent=self)
        ctx = aws_context(pulumi.InvokeOptions(parent=self))
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-role-{policy.lower().replace('_', '-')}",
                role=role.name,
                policy_arn=managed_policy_for(ctx.partition, policy),
                opts=child,
            )
            for policy in NODE_ROLE_POLICIES
        ]
        return role, attachments

    def _security_group(self, name: str, args: NodeGroupArgs) -> aws.ec2.SecurityGroup:
        child = pulumi.ResourceOptions(parent=self)
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="EKS nodes: NodePort from the internal NLB, egress to VPC and HTTPS",
            opts=child,
        )
        # Instance targets: the NLB forwards to the NodePort and health-checks it from
        # its private addresses inside the VPC.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-nodeport-from-vpc",
            security_group_id=security_group.id,
            cidr_ipv4=args.vpc_cidr,
            ip_protocol="tcp",
            from_port=args.node_port,
            to_port=args.node_port,
            description="App NodePort from the internal NLB",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-egress-vpc",
            security_group_id=security_group.id,
            cidr_ipv4=args.vpc_cidr,
            ip_protocol="-1",
            description="Database, cache, DNS and endpoints inside the VPC",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-egress-https",
            security_group_id=security_group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="AWS APIs without an endpoint, through NAT",
            opts=child,
        )
        return security_group

    def _launch_template(
        self, name: str, args: NodeGroupArgs, security_group: aws.ec2.SecurityGroup
    ) -> tuple[EncryptionKey, aws.ec2.LaunchTemplate]:
        """IMDSv2-only instances on encrypted gp3 root volumes under their own key."""
        child = pulumi.ResourceOptions(parent=self)
        # The volume key's policy names the Auto Scaling service-linked role, and KMS refuses
        # a policy naming a role that does not exist. Auto Scaling creates it only on first
        # use, after the key; the account bootstrap creates it (infra/account.py).
        account_role_arn(
            AUTOSCALING_SERVICE_LINKED_ROLE,
            purpose="named by the node volume key's policy",
            opts=pulumi.InvokeOptions(parent=self),
        )
        volume_key = EncryptionKey(
            f"{name}-volume-kms",
            EncryptionKeyArgs(
                description=f"EBS volumes of node group {name}",
                service_linked_roles=[AUTOSCALING_SERVICE_ROLE],
            ),
            opts=child,
        )
        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"Hardened launch template of node group {name}",
            update_default_version=True,
            # The cluster SG keeps control-plane <-> kubelet traffic working; ours adds
            # the NodePort and is what the database and cache admit.
            vpc_security_group_ids=[security_group.id, args.cluster_security_group_id],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=args.settings.metadata_hop_limit,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=args.settings.node_disk_gb,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=volume_key.key_arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            opts=child,
        )
        return volume_key, template


def _first_asg_name(resources: Sequence[aws.eks.outputs.NodeGroupResource] | None) -> str:
    for resource in resources or []:
        for asg in resource.autoscaling_groups or []:
            if asg.name:
                return asg.name
    raise ValueError("node group reported no Auto Scaling group")
