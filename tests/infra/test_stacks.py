"""Both committed stacks: hardening inputs, declared differences, tags and exports."""

from __future__ import annotations

import importlib
import json

import pytest

from infra.cluster.eks import CONTROL_PLANE_LOG_TYPES
from infra.tagging import _accepts_tags, is_taggable
from policies.cluster import SUPPORTED_EKS_VERSIONS
from stacks import outputs
from tests.infra.plans import STACKS, dig, one, stack_plan

RDS = "aws:rds/instance:Instance"
MANDATORY_TAGS = {"Environment", "Service", "Owner", "CostCenter", "DataClassification"}


@pytest.fixture(scope="module", params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_database_is_private_encrypted_and_recoverable(stack: str) -> None:
    db = one(stack_plan(stack), RDS).inputs
    assert db["engine"] == "postgres"
    assert db["engineVersion"] == "16"
    assert db["storageEncrypted"] is True
    assert db["kmsKeyId"].startswith("arn:aws:kms:")
    assert db["publiclyAccessible"] is False
    assert db["manageMasterUserPassword"] is True
    assert "password" not in db
    assert db["copyTagsToSnapshot"] is True
    assert db["backupWindow"] == "02:00-03:00"
    assert db["performanceInsightsEnabled"] is True
    assert db["performanceInsightsKmsKeyId"] == db["kmsKeyId"]
    assert db["monitoringInterval"] == 60
    assert db["monitoringRoleArn"]
    assert set(db["enabledCloudwatchLogsExports"]) == {"postgresql", "upgrade"}
    assert db["autoMinorVersionUpgrade"] is True


@pytest.mark.parametrize(
    ("stack_name", "retention", "multi_az", "protected"),
    [("staging", 7, False, False), ("prod", 35, True, True)],
)
def test_database_differences_are_the_declared_ones(
    stack_name: str, retention: int, multi_az: bool, protected: bool
) -> None:
    db = one(stack_plan(stack_name), RDS).inputs
    assert db["backupRetentionPeriod"] == retention
    assert db["multiAz"] is multi_az
    assert db["deletionProtection"] is protected
    assert db["skipFinalSnapshot"] is (not protected)
    assert ("finalSnapshotIdentifier" in db) is protected


def test_parameter_group_forces_tls_and_logs_slow_statements(stack: str) -> None:
    params = one(stack_plan(stack), "aws:rds/parameterGroup:ParameterGroup").inputs
    values = {p["name"]: p["value"] for p in params["parameters"]}
    assert params["family"] == "postgres16"
    assert values["rds.force_ssl"] == "1"
    assert int(values["log_min_duration_statement"]) > 0


@pytest.mark.parametrize(("store", "port"), [("-db", 5432), ("-cache", 6379)])
def test_data_stores_only_reachable_from_nodes(stack: str, store: str, port: int) -> None:
    plan = stack_plan(stack)
    store_sg = plan.find("aws:ec2/securityGroup:SecurityGroup", f"{store}-sg")
    node_sg = plan.find("aws:ec2/securityGroup:SecurityGroup", "-nodes-sg")
    # Every standalone rule attached to the store's group: exactly one, and no egress.
    rules = [
        r
        for kind in ("Ingress", "Egress")
        for r in plan.by_type(f"aws:vpc/securityGroup{kind}Rule:SecurityGroup{kind}Rule")
        if store_sg.urn in r.dependencies
    ]
    assert [r.name for r in rules] == [f"hrms-{stack}{store}-from-nodes"]
    rule = rules[0].inputs
    assert rule["fromPort"] == rule["toPort"] == port
    assert "cidrIpv4" not in rule
    assert store_sg.inputs.get("ingress") in (None, [])
    assert store_sg.inputs.get("egress") in (None, [])
    # The rule references the node group's security group (a real dependency, not a CIDR).
    assert node_sg.urn in rules[0].dependencies


def test_cluster_endpoint_logs_and_encryption(stack: str) -> None:
    cluster = one(stack_plan(stack), "aws:eks/cluster:Cluster").inputs
    vpc = cluster["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    if vpc["endpointPublicAccess"]:
        assert vpc["publicAccessCidrs"]
        assert "0.0.0.0/0" not in vpc["publicAccessCidrs"]
    assert cluster["version"] == "1.35"
    assert cluster["version"] in SUPPORTED_EKS_VERSIONS
    assert set(cluster["enabledClusterLogTypes"]) == set(CONTROL_PLANE_LOG_TYPES)
    assert cluster["encryptionConfig"]["resources"] == ["secrets"]
    assert cluster["encryptionConfig"]["provider"]["keyArn"].startswith("arn:aws:kms:")


def test_addons_are_pinned(stack: str) -> None:
    addons = {
        a.inputs["addonName"]: a.inputs["addonVersion"]
        for a in stack_plan(stack).by_type("aws:eks/addon:Addon")
    }
    assert set(addons) == {
        "vpc-cni",
        "coredns",
        "kube-proxy",
        "eks-pod-identity-agent",
        "metrics-server",
        "amazon-cloudwatch-observability",
    }
    assert all(v.startswith("v") and "eksbuild" in v for v in addons.values())
    # kube-proxy must match the control plane's minor version.
    assert addons["kube-proxy"].startswith("v1.35.")


def test_network_policies_are_enforced_by_the_cni(stack: str) -> None:
    # The workload's NetworkPolicies only take effect with the CNI's policy agent switched on.
    plan = stack_plan(stack)
    assert plan.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    cni = [a for a in plan.by_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "vpc-cni"]
    assert json.loads(cni[0].inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}


def test_hpa_has_a_metrics_source(stack: str) -> None:
    plan = stack_plan(stack)
    assert plan.by_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    names = {a.inputs["addonName"] for a in plan.by_type("aws:eks/addon:Addon")}
    assert "metrics-server" in names


def test_nat_gateways_per_stack() -> None:
    assert len(stack_plan("staging").by_type("aws:ec2/natGateway:NatGateway")) == 1
    assert len(stack_plan("prod").by_type("aws:ec2/natGateway:NatGateway")) == 3


def test_cache_encrypted_and_multi_az_in_prod(stack: str) -> None:
    group = one(stack_plan(stack), "aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert group["atRestEncryptionEnabled"] is True
    assert group["transitEncryptionEnabled"] is True
    assert group["authToken"] == "[secret]"
    prod = stack == "prod"
    assert group["multiAzEnabled"] is prod
    assert group["automaticFailoverEnabled"] is prod
    assert group["numCacheClusters"] == (3 if prod else 1)


def test_backups_copy_cross_region_only_in_prod() -> None:
    staging_rule = one(stack_plan("staging"), "aws:backup/plan:Plan").inputs["rules"][0]
    prod_rule = one(stack_plan("prod"), "aws:backup/plan:Plan").inputs["rules"][0]
    assert not staging_rule.get("copyActions")
    assert prod_rule["copyActions"][0]["destinationVaultArn"].startswith("arn:aws:backup:")
    prod_vaults = stack_plan("prod").by_type("aws:backup/vault:Vault")
    assert {v.inputs.get("region") for v in prod_vaults} == {None, "eu-central-1"}


def test_restore_testing_covers_the_database(stack: str) -> None:
    plan = stack_plan(stack)
    selection = one(plan, "aws:backup/restoreTestingSelection:RestoreTestingSelection").inputs
    assert selection["protectedResourceType"] == "RDS"
    db_arn = dig(one(plan, "aws:backup/selection:Selection").inputs, "resources.0")
    assert selection["protectedResourceArns"] == [db_arn]
    testing_plan = one(plan, "aws:backup/restoreTestingPlan:RestoreTestingPlan").inputs
    assert selection["restoreTestingPlanName"] == testing_plan["name"]


def test_every_taggable_resource_has_mandatory_tags(stack: str) -> None:
    plan = stack_plan(stack)
    aws_resources = [r for r in plan.resources if r.type.startswith("aws:")]
    tagged = [r for r in aws_resources if "tags" in r.inputs]
    assert len(tagged) > 60
    for resource in tagged:
        tags = resource.inputs["tags"]
        assert set(tags) >= MANDATORY_TAGS, resource.urn
        assert tags["Environment"] == stack
    # Resources without tags are exactly the types whose pulumi-aws class takes none.
    untagged = {r.type for r in aws_resources if "tags" not in r.inputs}
    assert "aws:rds/instance:Instance" not in untagged
    for type_token in untagged:
        assert not _accepts_tags(_aws_class(type_token)), type_token


def _aws_class(type_token: str) -> type:
    module, _, name = type_token.removeprefix("aws:").partition(":")
    found = getattr(importlib.import_module(f"pulumi_aws.{module.split('/')[0]}"), name)
    assert isinstance(found, type)
    return found


def test_untagged_types_really_take_no_tags() -> None:
    import pulumi_aws as aws

    for cls in (aws.ec2.Route, aws.kms.Alias, aws.iam.RolePolicyAttachment):
        assert not _accepts_tags(cls)
    assert _accepts_tags(aws.rds.Instance)
    assert callable(is_taggable)


def test_exports_cover_what_edge_alarms_and_ops_need(stack: str) -> None:
    exported = set(stack_plan(stack).outputs)
    for key in (
        outputs.NLB_ARN,
        outputs.NLB_ARN_SUFFIX,
        outputs.TARGET_GROUP_ARN,
        outputs.TARGET_GROUP_ARN_SUFFIX,
        outputs.DB_INSTANCE_IDENTIFIER,
        outputs.DB_INSTANCE_ARN,
        outputs.CACHE_REPLICATION_GROUP_ID,
        outputs.CLUSTER_NAME,
        outputs.NODE_ASG_NAME,
        outputs.VPC_ID,
        outputs.PRIVATE_SUBNET_IDS,
        outputs.BACKUP_VAULT_NAME,
        outputs.IMAGE_REFERENCE,
    ):
        assert key in exported, key


def test_image_pinned_by_digest_from_config(stack: str) -> None:
    plan = stack_plan(stack)
    repo = one(plan, "aws:ecr/repository:Repository").inputs
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"]["scanOnPush"] is True
    assert repo["encryptionConfigurations"][0]["encryptionType"] == "KMS"
    image = plan.outputs[outputs.IMAGE_REFERENCE]
    assert image.endswith("@" + plan.outputs[outputs.IMAGE_DIGEST])
    assert image.startswith("123456789012.dkr.ecr.eu-west-1.amazonaws.com/hrms-" + stack)
