"""Mocked ids and ARNs have AWS's shapes, in the resource's own region."""

from __future__ import annotations

import json
import re

import pulumi
import pulumi_aws as aws
import pytest

from stacks.offline.engine import load_stack_config, synthesize
from stacks.offline.invokes import MOCK_ACCOUNT_ID
from stacks.offline.plan import Plan
from tests.infra.plans import stack_plan

pytestmark = pytest.mark.infra

HEX17 = r"[0-9a-f]{17}"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ACCOUNT = MOCK_ACCOUNT_ID


def shapes_program() -> dict[str, pulumi.Output[str]]:
    key = aws.kms.Key("key", enable_key_rotation=True)
    dr_key = aws.kms.Key("dr-key", enable_key_rotation=True, region="eu-central-1")
    dr = aws.Provider("dr", region="us-east-2")
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
    subnet = aws.ec2.Subnet("subnet", vpc_id=vpc.id, cidr_block="10.0.1.0/24")
    sg = aws.ec2.SecurityGroup("sg", vpc_id=vpc.id)
    vault = aws.backup.Vault("vault", kms_key_arn=key.arn)
    copy_vault = aws.backup.Vault("copy", kms_key_arn=dr_key.arn, region="eu-central-1")
    provider_vault = aws.backup.Vault("by-provider", opts=pulumi.ResourceOptions(provider=dr))
    db = aws.rds.Instance(
        "db", identifier="hrms-db", engine="postgres", instance_class="db.t4g.micro"
    )
    cluster = aws.eks.Cluster("eks", name="hrms", role_arn="arn:aws:iam::1:role/x", vpc_config={})
    logs = aws.cloudwatch.LogGroup("logs", name="/hrms/app")
    secret = aws.secretsmanager.Secret("secret", name="hrms/app")
    api = aws.apigateway.RestApi("api")
    tg = aws.lb.TargetGroup("tg", name="hrms-tg", port=80, protocol="TCP", vpc_id=vpc.id)
    nlb = aws.lb.LoadBalancer("nlb", name="hrms-nlb", load_balancer_type="network")
    topic = aws.sns.Topic("topic", name="alerts")
    return {
        "key_id": key.id,
        "key_arn": key.arn,
        "dr_key_arn": dr_key.arn,
        "vpc": vpc.id,
        "subnet": subnet.id,
        "sg": sg.id,
        "vault": vault.arn,
        "copy_vault": copy_vault.arn,
        "provider_vault": provider_vault.arn,
        "db_arn": db.arn,
        "db_id": db.id,
        "cluster": cluster.arn,
        "logs": logs.arn,
        "secret": secret.arn,
        "api_id": api.id,
        "api_arn": api.arn,
        "tg": tg.arn,
        "nlb": nlb.arn,
        "topic": topic.arn,
    }


@pytest.fixture(scope="module")
def shapes() -> dict[str, str]:
    def program() -> None:
        for key, value in shapes_program().items():
            pulumi.export(key, value)

    plan = synthesize(program, stack="test", config={"aws:region": "eu-west-1"})
    return {k: str(v) for k, v in plan.outputs.items()}


@pytest.mark.parametrize(
    ("key", "pattern"),
    [
        ("key_id", UUID),
        ("key_arn", rf"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{UUID}"),
        ("vpc", rf"vpc-{HEX17}"),
        ("subnet", rf"subnet-{HEX17}"),
        ("sg", rf"sg-{HEX17}"),
        ("vault", rf"arn:aws:backup:eu-west-1:{ACCOUNT}:backup-vault:vault-[0-9a-f]{{7}}"),
        ("db_arn", rf"arn:aws:rds:eu-west-1:{ACCOUNT}:db:hrms-db"),
        ("db_id", r"db-[0-9A-F]{26}"),
        ("cluster", rf"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/hrms"),
        ("logs", rf"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/hrms/app"),
        ("secret", rf"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:hrms/app-[0-9A-Za-z]{{6}}"),
        ("api_id", r"[0-9a-z]{10}"),
        ("api_arn", r"arn:aws:apigateway:eu-west-1::/restapis/[0-9a-z]{10}"),
        (
            "tg",
            rf"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:targetgroup/hrms-tg/[0-9a-f]{{16}}",
        ),
        (
            "nlb",
            rf"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:loadbalancer/net/hrms-nlb/[0-9a-f]{{16}}",
        ),
        ("topic", rf"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts"),
    ],
)
def test_ids_and_arns_have_aws_shapes(shapes: dict[str, str], key: str, pattern: str) -> None:
    assert re.fullmatch(pattern, shapes[key]), shapes[key]


def test_a_resource_region_input_is_its_arn_region(shapes: dict[str, str]) -> None:
    assert shapes["copy_vault"].startswith(f"arn:aws:backup:eu-central-1:{ACCOUNT}:backup-vault:")
    assert shapes["dr_key_arn"].startswith(f"arn:aws:kms:eu-central-1:{ACCOUNT}:key/")


def test_an_explicit_provider_region_is_its_resources_region(shapes: dict[str, str]) -> None:
    assert shapes["provider_vault"].startswith(f"arn:aws:backup:us-east-2:{ACCOUNT}:")


def test_partition_follows_the_region() -> None:
    def program() -> None:
        pulumi.export("arn", aws.sns.Topic("t", name="t").arn)

    plan = synthesize(program, stack="test", config={"aws:region": "cn-north-1"})
    assert plan.outputs["arn"] == f"arn:aws-cn:sns:cn-north-1:{ACCOUNT}:t"


@pytest.fixture(scope="module")
def prod() -> Plan:
    return stack_plan("prod")


def test_prod_backup_copies_land_in_the_copy_region(prod: Plan) -> None:
    config = load_stack_config("prod")
    copy_region = json.loads(config["hrms:backup"])["copyRegion"]
    assert copy_region != config["aws:region"]
    rule = prod.find("aws:backup/plan:Plan", "-backups-plan").inputs["rules"][0]
    destination = rule["copyActions"][0]["destinationVaultArn"]
    assert re.fullmatch(
        rf"arn:aws:backup:{copy_region}:{ACCOUNT}:backup-vault:hrms-prod-backups-copy-vault-\w+",
        destination,
    )
    # The copy vault's key lives in the copy region too (KMS keys are regional).
    copy_vault = prod.find("aws:backup/vault:Vault", "-backups-copy-vault")
    assert copy_vault.inputs["kmsKeyArn"].startswith(f"arn:aws:kms:{copy_region}:")
