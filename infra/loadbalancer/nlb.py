"""Internal NLB and target group in front of the app's NodePort on the node group."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.settings import within

HEALTH_CHECK_PATH = "/healthz"


@dataclass(frozen=True, kw_only=True)
class LoadBalancerSettings:
    """The stack-tunable values of the internal NLB (``hrms:loadBalancer``)."""

    listener_port: int
    # Required, not defaulted: a stack file that forgets it must not lose prod's protection.
    deletion_protection: bool

    def __post_init__(self) -> None:
        within("listener_port", self.listener_port, 1, 65535)


@dataclass(frozen=True, kw_only=True)
class InternalLoadBalancerArgs:
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    subnet_ids: Sequence[pulumi.Input[str]]
    # The workload's NodePort (checked by WorkloadSettings).
    node_port: int
    autoscaling_group_name: pulumi.Input[str]
    settings: LoadBalancerSettings


class InternalLoadBalancer(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    target_group_arn: pulumi.Output[str]
    target_group_arn_suffix: pulumi.Output[str]
    listener_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: InternalLoadBalancerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("hrms:loadbalancer:InternalLoadBalancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        security_group = self._security_group(name, args)
        balancer = aws.lb.LoadBalancer(
            f"{name}-nlb",
            load_balancer_type="network",
            internal=True,
            subnets=list(args.subnet_ids),
            security_groups=[security_group.id],
            # API Gateway's VPC Link arrives over PrivateLink; its source is not in the VPC.
            enforce_security_group_inbound_rules_on_private_link_traffic="off",
            enable_cross_zone_load_balancing=True,
            enable_deletion_protection=args.settings.deletion_protection,
            ip_address_type="ipv4",
            opts=child,
        )
        target_group = self._target_group(name, args)
        listener = aws.lb.Listener(
            f"{name}-listener",
            load_balancer_arn=balancer.arn,
            port=args.settings.listener_port,
            protocol="TCP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)
            ],
            opts=child,
        )
        # Registers every node the group launches (and deregisters on scale-in).
        aws.autoscaling.Attachment(
            f"{name}-asg-attachment",
            autoscaling_group_name=args.autoscaling_group_name,
            lb_target_group_arn=target_group.arn,
            opts=child,
        )

        self.arn = balancer.arn
        self.arn_suffix = balancer.arn_suffix
        self.dns_name = balancer.dns_name
        self.target_group_arn = target_group.arn
        self.target_group_arn_suffix = target_group.arn_suffix
        self.listener_arn = listener.arn
        self.security_group_id = security_group.id
        self.register_outputs(
            {
                "arn": balancer.arn,
                "dns_name": balancer.dns_name,
                "target_group_arn": target_group.arn,
            }
        )

    def _security_group(self, name: str, args: InternalLoadBalancerArgs) -> aws.ec2.SecurityGroup:
        """The listener port in from the VPC, the app NodePort out to the nodes."""
        child = pulumi.ResourceOptions(parent=self)
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="Internal NLB: listener from the VPC (API Gateway VPC Link), to nodes",
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-listener-from-vpc",
            security_group_id=security_group.id,
            cidr_ipv4=args.vpc_cidr,
            ip_protocol="tcp",
            from_port=args.settings.listener_port,
            to_port=args.settings.listener_port,
            description="Listener from inside the VPC",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-to-nodeport",
            security_group_id=security_group.id,
            cidr_ipv4=args.vpc_cidr,
            ip_protocol="tcp",
            from_port=args.node_port,
            to_port=args.node_port,
            description="Targets and health checks on the app NodePort",
            opts=child,
        )
        return security_group

    def _target_group(self, name: str, args: InternalLoadBalancerArgs) -> aws.lb.TargetGroup:
        """The nodes' NodePort, health-checked over HTTP on the app's health path."""
        child = pulumi.ResourceOptions(parent=self)
        return aws.lb.TargetGroup(
            f"{name}-tg",
            vpc_id=args.vpc_id,
            target_type="instance",
            protocol="TCP",
            port=args.node_port,
            deregistration_delay=30,
            connection_termination=True,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                protocol="HTTP",
                path=HEALTH_CHECK_PATH,
                port="traffic-port",
                matcher="200-399",
                healthy_threshold=3,
                unhealthy_threshold=3,
                interval=10,
                timeout=6,
            ),
            opts=child,
        )
