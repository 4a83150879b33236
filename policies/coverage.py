"""Which rules guard each AWS resource type the stacks create, and why the rest need none.

A type is covered when a rule reports on it or reads it to decide (``resource_types`` and
``inspects``). The tagging rule applies to every taggable type and proves nothing about a
type's configuration, so it does not count. A type no rule covers must be listed in EXEMPT
with the reason; a new type that is neither fails ``tests/policies/test_coverage.py``.
"""

from __future__ import annotations

from collections.abc import Iterable

from policies.common import HrmsPolicy
from policies.registry import all_policies

# Rules that apply to every type of a kind and so say nothing about one type's safety.
BASELINE_RULES = frozenset({"aws-required-tags"})

EXEMPT: dict[str, str] = {
    "aws:apigateway/deployment:Deployment": "An immutable snapshot of the routes; what it "
    "serves is checked on the methods, resources and stage.",
    "aws:apigateway/integration:Integration": "Forwards a method to the VPC link; exposure is "
    "decided by the method (apigw-method-requires-auth) and route (apigw-no-root-proxy) rules.",
    "aws:apigateway/restApi:RestApi": "A container for resources, methods and stages, which "
    "carry every setting the edge rules check.",
    "aws:apigateway/vpcLink:VpcLink": "Private connection to the internal NLB; it has no "
    "setting that can expose or weaken anything.",
    "aws:autoscaling/attachment:Attachment": "Registers the node group's instances with the "
    "target group; no security-relevant settings.",
    "aws:cloudwatch/dashboard:Dashboard": "Read-only view of existing metrics.",
    "aws:ec2/eip:Eip": "Public address of a NAT gateway: outbound only, no listener.",
    "aws:ec2/internetGateway:InternetGateway": "Needed by the public subnets' NAT gateways and "
    "NLB-free edge; what may be reached is decided by security groups "
    "(security-group-no-internet-admin-ports) and the private EKS endpoint rules.",
    "aws:ec2/natGateway:NatGateway": "Outbound-only egress for private subnets.",
    "aws:ec2/route:Route": "Default routes to the NAT/internet gateway; reachability is "
    "decided by security groups, which are checked.",
    "aws:ec2/routeTable:RouteTable": "Holds the routes above; no settings of its own.",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "Binds a subnet to a route table; "
    "no settings of its own.",
    "aws:ec2/subnet:Subnet": "Address ranges; exposure is decided by route tables, security "
    "groups and the resources placed in them (rds-not-public, eks-private-endpoint).",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "Interface/gateway endpoints keep AWS API traffic in the "
    "VPC (TLS endpoints); their security groups are checked with the other groups.",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "Expires untagged images; the repository itself "
    "is checked (ecr-repository-encrypted-cmk).",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": "Binds a service account to an "
    "IAM role; the role's permissions are reviewed with the role (see aws:iam/role:Role).",
    "aws:elasticache/subnetGroup:SubnetGroup": "Places the cache in the isolated subnets; the "
    "cache's own encryption and auth are checked.",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "Trust anchor for IRSA, derived "
    "from the cluster's issuer; roles trusting it are scoped to one service account.",
    "aws:iam/role:Role": "Trust and permissions are reviewed in component tests that assert "
    "each role's exact trust policy and attachments (tests/infra); a generic least-privilege "
    "rule cannot tell a needed action from an excessive one.",
    "aws:iam/rolePolicy:RolePolicy": "Inline permissions scoped to named resources, asserted "
    "in component tests (see aws:iam/role:Role).",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "AWS-managed service policies the "
    "services document as required, asserted in component tests.",
    "aws:autoscaling/tag:Tag": "Discovery tags on the node group's Auto Scaling group for the "
    "Cluster Autoscaler; no data and no access of its own (the autoscaler's IAM policy is "
    "scoped by them).",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "BucketOwnerEnforced turns "
    "ACLs off; what could still make the bucket public is checked by "
    "s3-bucket-public-access-blocked and s3-bucket-tls-only.",
    "aws:kms/alias:Alias": "A name for a key; the key itself is checked (kms-key-rotation).",
    "aws:lb/listener:Listener": "TCP listener of the internal NLB, reachable only through the "
    "VPC link and the VPC; TLS terminates at API Gateway.",
    "aws:lb/loadBalancer:LoadBalancer": "Internal NLB in private subnets, reached only through "
    "the authenticated API Gateway VPC link.",
    "aws:lb/targetGroup:TargetGroup": "Forwards to the node port; no exposure of its own.",
    "aws:rds/subnetGroup:SubnetGroup": "Places the database in the isolated subnets; "
    "rds-not-public checks the instance.",
    "aws:secretsmanager/secretVersion:SecretVersion": "The value of a secret whose encryption "
    "is checked on the secret (secretsmanager-secret-cmk).",
    "aws:sns/topicPolicy:TopicPolicy": "Lets CloudWatch alarms publish to the encrypted topic "
    "(sns-topic-encrypted).",
    "aws:sns/topicSubscription:TopicSubscription": "Delivery endpoint for alerts; carries no "
    "data beyond the alarm notification.",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "Egress only; inbound exposure "
    "is what security-group-no-internet-admin-ports guards.",
    "aws:wafv2/webAcl:WebAcl": "Attached to the stage, which apigw-waf-associated checks.",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "Sends WAF logs to an "
    "encrypted log group (log-group-encrypted-retention).",
}


def guarding_rules(type_: str, policies: Iterable[HrmsPolicy] | None = None) -> list[str]:
    """Names of the rules that report on or read ``type_`` (baseline rules excluded)."""
    return sorted(
        p.name
        for p in (all_policies() if policies is None else policies)
        if p.name not in BASELINE_RULES and (type_ in p.resource_types or type_ in p.inspects)
    )


def coverage_matrix(types: Iterable[str]) -> dict[str, list[str]]:
    """Every AWS type in ``types`` (sorted) with the rules guarding it."""
    policies = all_policies()
    return {t: guarding_rules(t, policies) for t in sorted(set(types)) if t.startswith("aws:")}


def uncovered(types: Iterable[str]) -> list[str]:
    """AWS types no rule guards and EXEMPT does not explain."""
    return [t for t, rules in coverage_matrix(types).items() if not rules and t not in EXEMPT]


def render_markdown(types: Iterable[str]) -> str:
    """The coverage matrix as the Markdown table ``docs/policies.md`` carries."""
    lines = ["| resource type | rules | exemption |", "|---|---|---|"]
    for type_, rules in coverage_matrix(types).items():
        shown = ", ".join(f"`{r}`" for r in rules) or "—"
        reason = "" if rules else EXEMPT.get(type_, "**uncovered**")
        lines.append(f"| `{type_}` | {shown} | {reason} |")
    return "\n".join(lines) + "\n"


DOC = "docs/policies.md"
START = "<!-- coverage-matrix:start (python -m stacks.offline.coverage) -->"
END = "<!-- coverage-matrix:end -->"


def with_matrix(document: str, matrix: str) -> str:
    """``document`` with the text between the coverage markers replaced by ``matrix``."""
    head, found, rest = document.partition(START)
    if not found or END not in rest:
        raise ValueError(f"{DOC} lacks the coverage markers {START!r} ... {END!r}")
    return f"{head}{START}\n{matrix}{END}{rest.split(END, 1)[1]}"
