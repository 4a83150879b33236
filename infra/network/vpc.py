"""The VPC: three tiers of subnets across AZs, NAT egress, endpoints, flow logs."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws_context import AwsContext, aws_context
from infra.iam import assume_role_policy, policy_document
from infra.logs import encrypted_log_group
from infra.settings import SettingError, cidr_block, within

# Interface endpoints for the AWS APIs the pods and nodes call, so that traffic (image
# pulls, IRSA token exchange, secret reads, logs) stays inside the VPC.
INTERFACE_ENDPOINT_SERVICES: tuple[str, ...] = (
    "ecr.api",
    "ecr.dkr",
    "sts",
    "secretsmanager",
    "logs",
    "kms",
    "ec2",
    # The Cluster Autoscaler reads and resizes the node group's Auto Scaling group.
    "autoscaling",
)


def endpoint_service_name(region: pulumi.Output[str], service: str) -> pulumi.Output[str]:
    return region.apply(lambda r: f"com.amazonaws.{r}.{service}")


SUBNET_TIERS: tuple[str, ...] = ("public", "private", "isolated")


@dataclass(frozen=True, kw_only=True)
class NetworkSettings:
    """The stack-tunable values of the VPC (``hrms:network``): one subnet per zone and tier."""

    vpc_cidr: str
    availability_zones: tuple[str, ...]
    public_subnet_cidrs: tuple[str, ...]
    private_subnet_cidrs: tuple[str, ...]
    isolated_subnet_cidrs: tuple[str, ...]
    nat_gateways: int
    flow_log_retention_days: int

    def __post_init__(self) -> None:
        vpc = cidr_block("vpc_cidr", self.vpc_cidr)
        zones = self.availability_zones
        if len(zones) != 3 or len(set(zones)) != 3:
            raise SettingError(
                "availability_zones", f"expected 3 distinct zones, got {list(zones)}"
            )
        seen: list[tuple[str, ipaddress.IPv4Network]] = []
        for tier in SUBNET_TIERS:
            field = f"{tier}_subnet_cidrs"
            cidrs: tuple[str, ...] = getattr(self, field)
            if len(cidrs) != len(zones):
                raise SettingError(
                    field, f"expected one CIDR per zone ({len(zones)}), got {len(cidrs)}"
                )
            for index, text in enumerate(cidrs):
                key = f"{field}[{index}]"
                subnet = cidr_block(key, text)
                if not subnet.subnet_of(vpc):
                    raise SettingError(key, f"{subnet} does not fit in vpc_cidr {vpc}")
                for other_key, other in seen:
                    if subnet.overlaps(other):
                        raise SettingError(key, f"{subnet} overlaps {other_key} ({other})")
                seen.append((key, subnet))
        within("nat_gateways", self.nat_gateways, 1, len(zones))
        within("flow_log_retention_days", self.flow_log_retention_days, 1, 3653)


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    settings: NetworkSettings
    logs_kms_key_arn: pulumi.Input[str]
    cluster_name: str


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    isolated_subnet_ids: list[pulumi.Output[str]]
    endpoint_security_group_id: pulumi.Output[str]
    nat_gateway_ids: list[pulumi.Output[str]]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("hrms:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ctx = aws_context(pulumi.InvokeOptions(parent=self))
        self.vpc_cidr = args.settings.vpc_cidr

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.settings.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{name}-vpc"},
            opts=child,
        )
        # Adopting the default SG with no rules removes its allow-all-within-group default.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=vpc.id, ingress=[], egress=[], opts=child
        )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, opts=child)

        cluster_tag = f"kubernetes.io/cluster/{args.cluster_name}"
        public = self._subnets(
            name,
            "public",
            vpc,
            args,
            args.settings.public_subnet_cidrs,
            {"kubernetes.io/role/elb": "1", cluster_tag: "shared"},
        )
        private = self._subnets(
            name,
            "private",
            vpc,
            args,
            args.settings.private_subnet_cidrs,
            {"kubernetes.io/role/internal-elb": "1", cluster_tag: "shared"},
        )
        isolated = self._subnets(
            name, "isolated", vpc, args, args.settings.isolated_subnet_cidrs, {}
        )

        self._public_routes(name, vpc, igw, public)
        nats = self._nat_gateways(name, args, igw, public)
        private_route_table_ids = self._private_routes(name, vpc, private, nats)
        isolated_rt = self._isolated_routes(name, vpc, isolated)
        endpoint_sg = self._endpoints(
            name, vpc, args, ctx, private, [*private_route_table_ids, isolated_rt.id]
        )

        self._flow_logs(name, vpc, args, ctx)

        self.vpc_id = vpc.id
        self.public_subnet_ids = [s.id for s in public]
        self.private_subnet_ids = [s.id for s in private]
        self.isolated_subnet_ids = [s.id for s in isolated]
        self.endpoint_security_group_id = endpoint_sg.id
        self.nat_gateway_ids = [n.id for n in nats]
        self.register_outputs(
            {
                "vpc_id": vpc.id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "isolated_subnet_ids": self.isolated_subnet_ids,
            }
        )

    def _subnets(
        self,
        name: str,
        tier: str,
        vpc: aws.ec2.Vpc,
        args: NetworkArgs,
        cidrs: Sequence[str],
        extra_tags: dict[str, str],
    ) -> list[aws.ec2.Subnet]:
        return [
            aws.ec2.Subnet(
                f"{name}-{tier}-{index}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone=zone,
                # Nothing gets a public IP implicitly, not even in the public tier (NAT only).
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-{tier}-{zone}", "Tier": tier, **extra_tags},
                opts=pulumi.ResourceOptions(parent=self),
            )
            for index, (cidr, zone) in enumerate(
                zip(cidrs, args.settings.availability_zones, strict=True)
            )
        ]

    def _public_routes(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        igw: aws.ec2.InternetGateway,
        public: list[aws.ec2.Subnet],
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        public_rt = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=vpc.id, opts=child)
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        for index, subnet in enumerate(public):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-rta-{index}",
                subnet_id=subnet.id,
                route_table_id=public_rt.id,
                opts=child,
            )

    def _nat_gateways(
        self,
        name: str,
        args: NetworkArgs,
        igw: aws.ec2.InternetGateway,
        public: list[aws.ec2.Subnet],
    ) -> list[aws.ec2.NatGateway]:
        child = pulumi.ResourceOptions(parent=self)
        nats: list[aws.ec2.NatGateway] = []
        for index in range(args.settings.nat_gateways):
            eip = aws.ec2.Eip(f"{name}-nat-eip-{index}", domain="vpc", opts=child)
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index}",
                    allocation_id=eip.allocation_id,
                    subnet_id=public[index].id,
                    connectivity_type="public",
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )
        return nats

    def _private_routes(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        private: list[aws.ec2.Subnet],
        nats: list[aws.ec2.NatGateway],
    ) -> list[pulumi.Output[str]]:
        """One route table per private subnet, its default route through a NAT gateway."""
        child = pulumi.ResourceOptions(parent=self)
        private_route_table_ids: list[pulumi.Output[str]] = []
        for index, subnet in enumerate(private):
            # With fewer NATs than zones (staging) zones share one; prod has one per zone
            # so losing a zone never takes egress of the others with it.
            nat = nats[index % len(nats)]
            rt = aws.ec2.RouteTable(f"{name}-private-rt-{index}", vpc_id=vpc.id, opts=child)
            aws.ec2.Route(
                f"{name}-private-default-{index}",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-rta-{index}",
                subnet_id=subnet.id,
                route_table_id=rt.id,
                opts=child,
            )
            private_route_table_ids.append(rt.id)
        return private_route_table_ids

    def _isolated_routes(
        self, name: str, vpc: aws.ec2.Vpc, isolated: list[aws.ec2.Subnet]
    ) -> aws.ec2.RouteTable:
        child = pulumi.ResourceOptions(parent=self)
        # Isolated subnets (databases) have no route out of the VPC at all.
        isolated_rt = aws.ec2.RouteTable(f"{name}-isolated-rt", vpc_id=vpc.id, opts=child)
        for index, subnet in enumerate(isolated):
            aws.ec2.RouteTableAssociation(
                f"{name}-isolated-rta-{index}",
                subnet_id=subnet.id,
                route_table_id=isolated_rt.id,
                opts=child,
            )
        return isolated_rt

    def _endpoints(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        args: NetworkArgs,
        ctx: AwsContext,
        private: list[aws.ec2.Subnet],
        gateway_route_table_ids: list[pulumi.Output[str]],
    ) -> aws.ec2.SecurityGroup:
        """The S3 gateway endpoint on the given route tables, and the interface endpoints in
        the private subnets behind one HTTPS-from-the-VPC security group."""
        child = pulumi.ResourceOptions(parent=self)
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=vpc.id,
            description="HTTPS from inside the VPC to the interface endpoints",
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-https",
            security_group_id=endpoint_sg.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=args.settings.vpc_cidr,
            description="HTTPS from the VPC",
            opts=child,
        )
        aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint",
            vpc_id=vpc.id,
            service_name=endpoint_service_name(ctx.region, "s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=gateway_route_table_ids,
            opts=child,
        )
        for service in INTERFACE_ENDPOINT_SERVICES:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}-endpoint",
                vpc_id=vpc.id,
                service_name=endpoint_service_name(ctx.region, service),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in private],
                security_group_ids=[endpoint_sg.id],
                opts=child,
            )
        return endpoint_sg

    def _flow_logs(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        args: NetworkArgs,
        ctx: AwsContext,
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        log_group = encrypted_log_group(
            f"{name}-flow-logs",
            log_group_name=f"/hrms/vpc/{name}/flow-logs",
            retention_days=args.settings.flow_log_retention_days,
            kms_key_arn=args.logs_kms_key_arn,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            # Only flow logs of this account may use the role (confused-deputy guard).
            assume_role_policy=pulumi.Output.all(ctx.partition, ctx.region, ctx.account_id).apply(
                lambda v: assume_role_policy(
                    "vpc-flow-logs.amazonaws.com",
                    source_account=v[2],
                    source_arn=f"arn:{v[0]}:ec2:{v[1]}:{v[2]}:vpc-flow-log/*",
                )
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-write",
            role=role.id,
            policy=log_group.arn.apply(
                lambda arn: policy_document(
                    [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                                "logs:DescribeLogStreams",
                            ],
                            "Resource": [arn, f"{arn}:*"],
                        }
                    ]
                )
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            opts=child,
        )
