"""Components synthesized on their own: arguments in, resource inputs out."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from infra.cache.redis import CacheSettings, RateLimitCache, RateLimitCacheArgs
from infra.cluster.addons import NODE_BOOTSTRAP_ADDONS, ClusterAddons, ClusterAddonsArgs
from infra.cluster.eks import ClusterSettings, EksCluster, EksClusterArgs
from infra.cluster.nodes import NodeGroup, NodeGroupArgs
from infra.database.backups import BackupSettings, DatabaseBackups, DatabaseBackupsArgs
from infra.database.postgres import DatabaseSettings
from infra.image.registry import image_reference
from infra.kms import EncryptionKey, EncryptionKeyArgs
from infra.loadbalancer.nlb import (
    InternalLoadBalancer,
    InternalLoadBalancerArgs,
    LoadBalancerSettings,
)
from infra.network.vpc import INTERFACE_ENDPOINT_SERVICES, Network, NetworkArgs, NetworkSettings
from infra.settings import SettingError
from infra.tagging import MandatoryTags, apply_mandatory_tags
from tests.infra.conftest import Synth

LOGS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/logs"
LB_SETTINGS = LoadBalancerSettings(listener_port=80, deletion_protection=False)


def network_args(**overrides: Any) -> NetworkArgs:
    values: dict[str, Any] = {
        "vpc_cidr": "10.9.0.0/16",
        "availability_zones": ("eu-west-1a", "eu-west-1b", "eu-west-1c"),
        "public_subnet_cidrs": ("10.9.0.0/24", "10.9.1.0/24", "10.9.2.0/24"),
        "private_subnet_cidrs": ("10.9.32.0/19", "10.9.64.0/19", "10.9.96.0/19"),
        "isolated_subnet_cidrs": ("10.9.200.0/24", "10.9.201.0/24", "10.9.202.0/24"),
        "nat_gateways": 2,
        "flow_log_retention_days": 14,
    }
    values.update(overrides)
    return NetworkArgs(
        settings=NetworkSettings(**values), logs_kms_key_arn=LOGS_KEY, cluster_name="c1"
    )


def cluster_settings(**overrides: Any) -> ClusterSettings:
    values: dict[str, Any] = {
        "kubernetes_version": "1.35",
        "endpoint_public_access": False,
        "log_retention_days": 7,
        "node_instance_types": ("t3.large",),
        "node_min_size": 1,
        "node_max_size": 3,
        "node_desired_size": 2,
        "node_disk_gb": 40,
        "metadata_hop_limit": 1,
        "addon_versions": {
            "vpc-cni": "v1.21.1-eksbuild.3",
            "coredns": "v1.13.2-eksbuild.1",
            "kube-proxy": "v1.35.0-eksbuild.2",
            "eks-pod-identity-agent": "v1.3.10-eksbuild.3",
            "metrics-server": "v0.8.1-eksbuild.1",
            "amazon-cloudwatch-observability": "v4.10.1-eksbuild.1",
        },
    }
    values.update(overrides)
    return ClusterSettings(**values)


def test_network_tiers_routes_endpoints_and_flow_logs(synth: Synth) -> None:
    plan = synth(lambda: Network("net", network_args()))
    subnets = plan.by_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 9
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)
    assert len({s.inputs["availabilityZone"] for s in subnets}) == 3
    assert len(plan.by_type("aws:ec2/natGateway:NatGateway")) == 2
    routes = plan.by_type("aws:ec2/route:Route")
    # One public default route plus one per private route table; isolated has none.
    assert len(routes) == 4
    assert not any("isolated" in r.name for r in routes)
    default_sg = plan.by_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")[0].inputs
    assert default_sg.get("ingress", []) == []
    assert default_sg.get("egress", []) == []
    flow = plan.by_type("aws:ec2/flowLog:FlowLog")[0].inputs
    assert flow["trafficType"] == "ALL"
    # The delivery role trusts the flow-logs service only on behalf of this account.
    trust = json.loads(
        plan.find("aws:iam/role:Role", "net-flow-logs-role").inputs["assumeRolePolicy"]
    )
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:ec2:eu-west-1:123456789012:vpc-flow-log/*"},
    }
    log_group = plan.find("aws:cloudwatch/logGroup:LogGroup", "net-flow-logs").inputs
    assert log_group["retentionInDays"] == 14
    assert log_group["kmsKeyId"] == LOGS_KEY
    endpoints = {e.inputs["serviceName"] for e in plan.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    for service in (*INTERFACE_ENDPOINT_SERVICES, "s3"):
        assert f"com.amazonaws.eu-west-1.{service}" in endpoints
    for component in plan.by_type("aws:ec2/vpc:Vpc"):
        assert component.parent is not None
        assert component.parent.endswith("::net")


def test_network_settings_reject_mismatched_subnets() -> None:
    with pytest.raises(
        SettingError, match=r"private_subnet_cidrs: expected one CIDR per zone \(3\)"
    ):
        network_args(private_subnet_cidrs=("10.9.32.0/19", "10.9.64.0/19"))
    with pytest.raises(SettingError, match=r"nat_gateways: 0 is outside 1..3"):
        network_args(nat_gateways=0)
    with pytest.raises(SettingError, match=r"isolated_subnet_cidrs\[2\]: .* overlaps public"):
        network_args(isolated_subnet_cidrs=("10.9.200.0/24", "10.9.201.0/24", "10.9.0.0/24"))


def test_kms_key_rotates_and_lets_only_logs_service_in(synth: Synth) -> None:
    plan = synth(
        lambda: EncryptionKey("k", EncryptionKeyArgs(description="d", service_principals=["logs"]))
    )
    key = plan.by_type("aws:kms/key:Key")[0].inputs
    assert key["enableKeyRotation"] is True
    policy = json.loads(key["policy"])
    principals = [s["Principal"] for s in policy["Statement"]]
    assert {"AWS": "arn:aws:iam::123456789012:root"} in principals
    assert {"Service": "logs.eu-west-1.amazonaws.com"} in principals
    assert all(p != "*" for p in principals)


def test_backups_without_copy_region(synth: Synth) -> None:
    args = DatabaseBackupsArgs(
        db_instance_arn="arn:aws:rds:eu-west-1:123456789012:db:x",
        db_subnet_group_name="x-subnets",
        settings=BackupSettings(
            schedule="cron(0 3 * * ? *)",
            retention_days=14,
            restore_test_schedule="cron(0 6 ? * MON *)",
        ),
    )
    plan = synth(lambda: DatabaseBackups("bk", args))
    rule = plan.by_type("aws:backup/plan:Plan")[0].inputs["rules"][0]
    assert rule["lifecycle"]["deleteAfter"] == 14
    assert rule["schedule"] == "cron(0 3 * * ? *)"
    assert "copyActions" not in rule
    assert len(plan.by_type("aws:backup/vault:Vault")) == 1
    vault = plan.by_type("aws:backup/vault:Vault")[0].inputs
    assert vault["kmsKeyArn"].startswith("arn:aws:kms:")
    selection = plan.by_type("aws:backup/selection:Selection")[0].inputs
    assert selection["resources"] == ["arn:aws:rds:eu-west-1:123456789012:db:x"]
    testing = plan.by_type("aws:backup/restoreTestingPlan:RestoreTestingPlan")[0].inputs
    assert testing["name"].replace("_", "").isalnum()
    with pytest.raises(SettingError, match="copy_retention_days: required when copy_region"):
        BackupSettings(
            schedule="cron(0 3 * * ? *)",
            retention_days=1,
            restore_test_schedule="cron(0 6 ? * MON *)",
            copy_region="eu-central-1",
        )


def test_cache_token_generated_into_secrets_manager(synth: Synth) -> None:
    args = RateLimitCacheArgs(
        vpc_id="vpc-1",
        subnet_ids=["subnet-1", "subnet-2"],
        client_security_group_id="sg-n",
        logs_kms_key_arn=LOGS_KEY,
        settings=CacheSettings(
            engine="valkey",
            engine_version="8.0",
            node_type="cache.t4g.small",
            num_cache_clusters=2,
            multi_az=True,
            snapshot_retention_days=3,
            log_retention_days=7,
        ),
    )
    plan = synth(lambda: RateLimitCache("rl", args))
    group = plan.by_type("aws:elasticache/replicationGroup:ReplicationGroup")[0].inputs
    assert group["transitEncryptionMode"] == "required"
    assert group["authToken"] == "[secret]"
    assert group["kmsKeyId"].startswith("arn:aws:kms:")
    version = plan.by_type("aws:secretsmanager/secretVersion:SecretVersion")[0].inputs
    assert version["secretString"] == "[secret]"
    secret = plan.by_type("aws:secretsmanager/secret:Secret")[0].inputs
    assert secret["kmsKeyId"].startswith("arn:aws:kms:")
    with pytest.raises(SettingError, match="num_cache_clusters: multi_az needs"):
        replace(args.settings, num_cache_clusters=1)
    with pytest.raises(SettingError, match="engine: 'memcached' is not one of"):
        replace(args.settings, engine="memcached")


def test_cluster_settings_refuse_a_public_endpoint_without_cidrs() -> None:
    # An open endpoint is refused for prod only, by stacks/config.py (it knows the environment).
    with pytest.raises(SettingError, match="public_access_cidrs: required when"):
        cluster_settings(endpoint_public_access=True)
    cluster_settings(endpoint_public_access=True, public_access_cidrs=("0.0.0.0/0",))
    with pytest.raises(SettingError, match=r"public_access_cidrs\[0\]: 'x' is not an IPv4"):
        cluster_settings(endpoint_public_access=True, public_access_cidrs=("x",))


def test_private_only_cluster_and_oidc(synth: Synth) -> None:
    args = EksClusterArgs(
        cluster_name="c",
        subnet_ids=["s1", "s2"],
        logs_kms_key_arn=LOGS_KEY,
        settings=cluster_settings(),
    )
    plan = synth(lambda: EksCluster("eks", args))
    vpc = plan.by_type("aws:eks/cluster:Cluster")[0].inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc
    oidc = plan.by_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")[0].inputs
    assert oidc["clientIdLists"] == ["sts.amazonaws.com"]
    assert oidc["url"].startswith("https://oidc.eks.")
    log_group = plan.by_type("aws:cloudwatch/logGroup:LogGroup")[0].inputs
    assert log_group["name"] == "/aws/eks/c/cluster"


@pytest.mark.parametrize("hop_limit", [1, 2])
def test_node_launch_template_imdsv2_and_encrypted_volumes(synth: Synth, hop_limit: int) -> None:
    args = NodeGroupArgs(
        cluster_name="c",
        cluster_security_group_id="sg-cluster",
        vpc_id="vpc-1",
        vpc_cidr="10.0.0.0/16",
        subnet_ids=["s1"],
        node_port=30080,
        settings=cluster_settings(metadata_hop_limit=hop_limit),
    )
    plan = synth(lambda: NodeGroup("ng", args))
    lt = plan.by_type("aws:ec2/launchTemplate:LaunchTemplate")[0].inputs
    assert lt["metadataOptions"]["httpTokens"] == "required"
    assert lt["metadataOptions"]["httpPutResponseHopLimit"] == hop_limit
    ebs = lt["blockDeviceMappings"][0]["ebs"]
    assert ebs["encrypted"] == "true"
    assert ebs["kmsKeyId"].startswith("arn:aws:kms:")
    assert "sg-cluster" in lt["vpcSecurityGroupIds"]
    group = plan.by_type("aws:eks/nodeGroup:NodeGroup")[0].inputs
    assert group["launchTemplate"]["id"]
    assert group["scalingConfig"] == {"minSize": 1, "maxSize": 3, "desiredSize": 2}
    key_policy = json.loads(plan.by_type("aws:kms/key:Key")[0].inputs["policy"])
    assert any(
        "AWSServiceRoleForAutoScaling" in str(s["Principal"]) for s in key_policy["Statement"]
    )
    with pytest.raises(SettingError, match=r"metadata_hop_limit: 3 is outside 1\.\.2"):
        cluster_settings(metadata_hop_limit=3)


def test_internal_nlb_targets_nodeport_through_asg(synth: Synth) -> None:
    args = InternalLoadBalancerArgs(
        vpc_id="vpc-1",
        vpc_cidr="10.0.0.0/16",
        subnet_ids=["s1", "s2"],
        node_port=30111,
        autoscaling_group_name="eks-ng-asg",
        settings=LB_SETTINGS,
    )
    plan = synth(lambda: InternalLoadBalancer("lb", args))
    nlb = plan.by_type("aws:lb/loadBalancer:LoadBalancer")[0].inputs
    assert nlb["internal"] is True
    assert nlb["loadBalancerType"] == "network"
    tg = plan.by_type("aws:lb/targetGroup:TargetGroup")[0].inputs
    assert tg["targetType"] == "instance"
    assert tg["port"] == 30111
    assert tg["healthCheck"]["path"] == "/healthz"
    assert tg["healthCheck"]["protocol"] == "HTTP"
    attachment = plan.by_type("aws:autoscaling/attachment:Attachment")[0].inputs
    assert attachment["autoscalingGroupName"] == "eks-ng-asg"


def test_tagging_transformation_tags_components_declared_after_it(synth: Synth) -> None:
    tags = MandatoryTags(
        environment="test",
        service="hrms",
        owner="o",
        cost_center="cc",
        data_classification="internal",
    )

    def program() -> None:
        apply_mandatory_tags(tags)
        InternalLoadBalancer(
            "lb",
            InternalLoadBalancerArgs(
                vpc_id="v",
                vpc_cidr="10.0.0.0/16",
                subnet_ids=["s"],
                node_port=30080,
                autoscaling_group_name="a",
                settings=LB_SETTINGS,
            ),
        )

    plan = synth(program)
    nlb = plan.by_type("aws:lb/loadBalancer:LoadBalancer")[0].inputs
    assert nlb["tags"] == tags.as_dict()
    assert "tags" not in plan.by_type("aws:autoscaling/attachment:Attachment")[0].inputs


def test_image_reference_requires_a_digest() -> None:
    assert image_reference("r", "sha256:" + "0" * 64) == "r@sha256:" + "0" * 64
    with pytest.raises(ValueError, match="not of the form sha256"):
        image_reference("r", "latest")


def test_database_takes_the_major_version_only() -> None:
    # Auto minor upgrades own the minor version; a pinned one drifts and is retired within a year.
    values: dict[str, Any] = {
        "instance_class": "db.t4g.medium",
        "allocated_storage_gb": 20,
        "max_allocated_storage_gb": 40,
        "backup_retention_days": 7,
        "backup_window": "02:00-03:00",
        "maintenance_window": "sun:04:00-sun:05:00",
        "multi_az": False,
        "deletion_protection": False,
        "final_snapshot": False,
        "slow_statement_ms": 500,
        "log_retention_days": 7,
    }
    DatabaseSettings(**values, engine_version="16")
    for bad, problem in (("16.4", "major version only, '16'"), ("15", "not PostgreSQL 16")):
        with pytest.raises(SettingError, match=problem):
            DatabaseSettings(**values, engine_version=bad)


def test_addons_install_their_phase_at_the_pinned_versions(synth: Synth) -> None:
    settings = cluster_settings()
    plan = synth(
        lambda: ClusterAddons(
            "addons",
            ClusterAddonsArgs(cluster_name="c1", addons=NODE_BOOTSTRAP_ADDONS, settings=settings),
        )
    )
    installed = {
        a.inputs["addonName"]: a.inputs["addonVersion"] for a in plan.by_type("aws:eks/addon:Addon")
    }
    assert installed == {name: settings.addon_versions[name] for name in NODE_BOOTSTRAP_ADDONS}


def test_addons_refuse_one_without_a_pinned_version() -> None:
    with pytest.raises(ValueError, match="without a pinned version"):
        ClusterAddonsArgs(
            cluster_name="c1", addons=("vpc-cni", "not-an-addon"), settings=cluster_settings()
        )
