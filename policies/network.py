"""Network rules: VPC flow logs, the default security group, internet exposure of ports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from policies.common import (
    CIS,
    SOC2,
    HrmsPolicy,
    HrmsResourcePolicy,
    HrmsStackPolicy,
    as_list,
    as_number,
    config_value,
    get_path,
    is_whole_internet,
    related,
    resources_of,
    violation,
)

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SECURITY_GROUP_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"

# SSH, RDP, then the data stores and control planes this platform runs or could run.
ADMIN_AND_DATA_PORTS = [22, 3389, 5432, 3306, 1433, 6379, 11211, 27017, 9200, 2379, 10250]
ALL_PROTOCOLS = frozenset({"-1", "all"})


def _flow_logs(args: StackValidationArgs, report: ReportViolation) -> None:
    logs = resources_of(args.resources, FLOW_LOG)
    for vpc in resources_of(args.resources, VPC):
        attached = [f for f in logs if related(f, vpc)]
        if not attached:
            violation(report, "the VPC has no flow log.", vpc.urn)
        elif not any(get_path(f.props, "trafficType") == "ALL" for f in attached):
            violation(report, 'the VPC flow log must capture trafficType "ALL".', vpc.urn)


def _default_sg(args: StackValidationArgs, report: ReportViolation) -> None:
    defaults = resources_of(args.resources, DEFAULT_SECURITY_GROUP)
    for sg in defaults:
        for direction in ("ingress", "egress"):
            if as_list(get_path(sg.props, direction)):
                violation(
                    report, f"the default security group must have no {direction} rules.", sg.urn
                )
    for vpc in resources_of(args.resources, VPC):
        if not any(related(sg, vpc) for sg in defaults):
            violation(
                report,
                "the VPC's default security group is not managed; adopt it with "
                "aws.ec2.DefaultSecurityGroup and no rules, or it allows intra-group traffic.",
                vpc.urn,
            )


def _port_hits(rule: Mapping[str, Any], ports: list[int], protocol_key: str) -> list[int]:
    protocol = str(get_path(rule, protocol_key, "")).lower()
    if protocol in ALL_PROTOCOLS:
        return ports
    if protocol not in ("tcp", "6", "udp", "17"):
        return []
    low = as_number(get_path(rule, "fromPort"))
    high = as_number(get_path(rule, "toPort"))
    if low is None or high is None:
        return []
    return [p for p in ports if low <= p <= high]


def _report_open(report: ReportViolation, where: str, cidrs: list[str], hits: list[int]) -> None:
    open_cidrs = sorted({c for c in cidrs if is_whole_internet(c)})
    if open_cidrs and hits:
        violation(
            report,
            f"{where} opens port(s) {', '.join(map(str, hits))} to {', '.join(open_cidrs)}.",
        )


def _no_internet_admin_ports(args: ResourceValidationArgs, report: ReportViolation) -> None:
    ports = [int(p) for p in config_value(args, "ports", ADMIN_AND_DATA_PORTS)]
    props = args.props
    if args.resource_type == SECURITY_GROUP:
        for i, rule in enumerate(as_list(get_path(props, "ingress"))):
            cidrs = [
                str(c)
                for c in as_list(get_path(rule, "cidrBlocks"))
                + as_list(get_path(rule, "ipv6CidrBlocks"))
            ]
            _report_open(report, f"ingress[{i}]", cidrs, _port_hits(rule, ports, "protocol"))
    elif args.resource_type == SECURITY_GROUP_RULE:
        if get_path(props, "type") != "ingress":
            return
        cidrs = [
            str(c)
            for c in as_list(get_path(props, "cidrBlocks"))
            + as_list(get_path(props, "ipv6CidrBlocks"))
        ]
        _report_open(report, "the ingress rule", cidrs, _port_hits(props, ports, "protocol"))
    else:
        cidrs = [str(c) for c in (get_path(props, "cidrIpv4"), get_path(props, "cidrIpv6")) if c]
        _report_open(report, "the ingress rule", cidrs, _port_hits(props, ports, "ipProtocol"))


POLICIES: list[HrmsPolicy] = [
    HrmsStackPolicy(
        name="vpc-flow-logs",
        description="Every VPC records flow logs of all traffic.",
        resource_types=[VPC],
        check=_flow_logs,
        severity=Severity.MEDIUM,
        frameworks=[CIS("3.7"), SOC2("CC7.2")],
        remediation='Add an aws.ec2.FlowLog with vpc_id=<vpc>.id and traffic_type="ALL" '
        "to a KMS-encrypted log group.",
        inspects=[FLOW_LOG],
    ),
    HrmsStackPolicy(
        name="vpc-default-security-group-closed",
        description="Every VPC's default security group is managed and allows no traffic.",
        resource_types=[VPC, DEFAULT_SECURITY_GROUP],
        check=_default_sg,
        severity=Severity.HIGH,
        frameworks=[CIS("5.4"), SOC2("CC6.6")],
        remediation="Declare aws.ec2.DefaultSecurityGroup(vpc_id=<vpc>.id) with no "
        "ingress or egress; use purpose-built security groups instead.",
    ),
    HrmsResourcePolicy(
        name="security-group-no-internet-admin-ports",
        description="No security group opens admin or database ports to 0.0.0.0/0 or ::/0.",
        resource_types=[SECURITY_GROUP, SECURITY_GROUP_RULE, SECURITY_GROUP_INGRESS_RULE],
        check=_no_internet_admin_ports,
        severity=Severity.CRITICAL,
        frameworks=[CIS("5.2"), CIS("5.3"), SOC2("CC6.6")],
        remediation="Allow these ports only from security groups or private CIDRs; reach "
        "hosts through SSM Session Manager instead of SSH.",
        config_schema=PolicyConfigSchema(
            properties={
                "ports": {
                    "type": "array",
                    "items": {"type": "integer"},
                    "default": ADMIN_AND_DATA_PORTS,
                }
            }
        ),
    ),
]
