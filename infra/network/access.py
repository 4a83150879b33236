"""Security groups that admit one client security group on one port and nothing else."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def client_only_security_group(
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    client_security_group_id: pulumi.Input[str],
    port: int,
    description: str,
    rule_description: str,
    opts: pulumi.ResourceOptions,
) -> aws.ec2.SecurityGroup:
    """``<name>-sg`` with a single ingress rule ``<name>-from-nodes`` from the client group.

    No egress rules: the provider removes AWS's default allow-all egress, and a data store
    only answers connections, it never opens them.
    """
    security_group = aws.ec2.SecurityGroup(
        f"{name}-sg", vpc_id=vpc_id, description=description, opts=opts
    )
    aws.vpc.SecurityGroupIngressRule(
        f"{name}-from-nodes",
        security_group_id=security_group.id,
        referenced_security_group_id=client_security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=rule_description,
        opts=opts,
    )
    return security_group
