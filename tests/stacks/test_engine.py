"""The offline engine records real pulumi-aws / pulumi-kubernetes programs faithfully."""

from __future__ import annotations

import gc
import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from stacks.offline.engine import REDACTED, synthesize
from stacks.offline.invokes import UnhandledInvokeError

pytestmark = pytest.mark.infra


class Db(pulumi.ComponentResource):
    """A tiny component: KMS key + encrypted RDS instance parented to it."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:db:Db", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.key = aws.kms.Key(f"{name}-key", enable_key_rotation=True, opts=child)
        self.sg = aws.ec2.SecurityGroup(f"{name}-sg", vpc_id="vpc-1", opts=child)
        self.instance = aws.rds.Instance(
            f"{name}-instance",
            engine="postgres",
            engine_version="16",
            instance_class="db.t4g.medium",
            allocated_storage=20,
            storage_encrypted=True,
            kms_key_id=self.key.arn,
            backup_retention_period=7,
            password="not-for-plans",
            vpc_security_group_ids=[self.sg.id],
            manage_master_user_password=None,
            opts=child,
        )
        self.register_outputs({"endpoint": self.instance.endpoint})


def small_program() -> None:
    db = Db("hrms-db")
    azs = aws.get_availability_zones(state="available")
    cluster = aws.eks.Cluster(
        "hrms-eks",
        role_arn="arn:aws:iam::123456789012:role/eks",
        version="1.31",
        vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=["subnet-a", "subnet-b"]),
    )
    kubeconfig = pulumi.Output.all(cluster.endpoint, cluster.certificate_authority.data).apply(
        lambda a: json.dumps({"clusters": [{"cluster": {"server": a[0], "ca": a[1]}}]})
    )
    provider = k8s.Provider("hrms-k8s", kubeconfig=kubeconfig)
    k8s.core.v1.Namespace(
        "hrms-ns",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="hrms"),
        opts=pulumi.ResourceOptions(provider=provider),
    )
    doc = aws.iam.get_policy_document_output(
        statements=[
            aws.iam.GetPolicyDocumentStatementArgs(
                sid="Irsa",
                actions=["sts:AssumeRoleWithWebIdentity"],
                principals=[
                    aws.iam.GetPolicyDocumentStatementPrincipalArgs(
                        type="Federated",
                        identifiers=[cluster.arn],  # type: ignore[list-item]
                    )
                ],
                conditions=[
                    aws.iam.GetPolicyDocumentStatementConditionArgs(
                        test="StringEquals",
                        variable="oidc:sub",
                        values=["system:serviceaccount:hrms:api"],
                    )
                ],
            )
        ]
    )
    aws.iam.Role("hrms-irsa", assume_role_policy=doc.json)
    pulumi.export("azs", azs.names)
    pulumi.export("dbEndpoint", db.instance.endpoint)
    pulumi.export("oidcIssuer", cluster.identities[0].oidcs[0].issuer)


@pytest.fixture(scope="module")
def plan():  # type: ignore[no-untyped-def]
    return synthesize(small_program, stack="staging", config={"aws:region": "eu-central-1"})


def test_records_every_resource_with_camel_case_inputs(plan) -> None:  # type: ignore[no-untyped-def]
    instance = plan.find("aws:rds/instance:Instance", "-instance")
    assert instance.inputs["backupRetentionPeriod"] == 7
    assert instance.inputs["storageEncrypted"] is True
    assert instance.inputs["engineVersion"] == "16"
    assert "backup_retention_period" not in instance.inputs
    assert plan.stack == "staging"
    assert plan.project == "hrms"
    types = plan.counts_by_type()
    assert types["aws:rds/instance:Instance"] == 1
    assert types["test:db:Db"] == 1
    assert types["pulumi:providers:kubernetes"] == 1
    assert "pulumi:pulumi:Stack" not in types


def test_parents_and_dependencies(plan) -> None:  # type: ignore[no-untyped-def]
    component = plan.find("test:db:Db", "hrms-db")
    key = plan.find("aws:kms/key:Key", "-key")
    instance = plan.find("aws:rds/instance:Instance", "-instance")
    sg = plan.find("aws:ec2/securityGroup:SecurityGroup", "-sg")
    assert component.custom is False
    assert key.parent == component.urn
    assert instance.parent == component.urn
    assert set(instance.dependencies) >= {key.urn, sg.urn}
    assert {r.name for r in plan.children(component.urn)} == {
        "hrms-db-key",
        "hrms-db-sg",
        "hrms-db-instance",
    }
    # Per-property dependencies, as the engine hands them to stack policies.
    assert instance.property_dependencies["kmsKeyId"] == (key.urn,)
    assert instance.property_dependencies["vpcSecurityGroupIds"] == (sg.urn,)
    assert "engine" not in instance.property_dependencies  # a literal depends on nothing
    # The key's computed ARN flows into the instance's input.
    assert instance.inputs["kmsKeyId"].startswith("arn:aws:kms:eu-central-1:123456789012:key/")
    assert instance.inputs["vpcSecurityGroupIds"][0].startswith("sg-")


def test_explicit_provider_is_recorded_by_urn(plan) -> None:  # type: ignore[no-untyped-def]
    provider = plan.find("pulumi:providers:kubernetes", "hrms-k8s")
    namespace = plan.find("kubernetes:core/v1:Namespace", "hrms-ns")
    assert namespace.provider == provider.urn
    assert namespace.inputs["apiVersion"] == "v1"
    assert namespace.inputs["kind"] == "Namespace"
    # A kubeconfig carries credentials: never written to a plan.
    assert provider.inputs["kubeconfig"] == REDACTED


def test_secrets_are_redacted(plan) -> None:  # type: ignore[no-untyped-def]
    instance = plan.find("aws:rds/instance:Instance", "-instance")
    assert instance.inputs["password"] == REDACTED
    assert "not-for-plans" not in json.dumps(plan.to_dict())


def test_invokes_and_eks_outputs_feed_the_program(plan) -> None:  # type: ignore[no-untyped-def]
    assert plan.outputs["azs"] == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    assert plan.outputs["oidcIssuer"].startswith("https://oidc.eks.eu-central-1.amazonaws.com/id/")
    assert plan.outputs["dbEndpoint"].endswith(".rds.amazonaws.com:5432")
    role = plan.find("aws:iam/role:Role", "hrms-irsa")
    policy = json.loads(role.inputs["assumeRolePolicy"])
    statement = policy["Statement"][0]
    assert policy["Version"] == "2012-10-17"
    assert statement["Sid"] == "Irsa"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"]["Federated"].startswith("arn:aws:eks:eu-central-1:")
    assert statement["Condition"] == {
        "StringEquals": {"oidc:sub": "system:serviceaccount:hrms:api"}
    }


def test_unhandled_invoke_fails_naming_the_token() -> None:
    def program() -> None:
        aws.ec2.get_ami(most_recent=True, owners=["amazon"])

    with pytest.raises(UnhandledInvokeError, match=r"aws:ec2/getAmi:getAmi"):
        synthesize(program, stack="staging")


def test_unhandled_output_invoke_fails_too() -> None:
    def program() -> None:
        ami = aws.ec2.get_ami_output(most_recent=True, owners=["amazon"])
        aws.ec2.Instance("vm", ami=ami.id, instance_type="t3.micro")

    with pytest.raises(UnhandledInvokeError, match=r"aws:ec2/getAmi:getAmi"):
        synthesize(program, stack="staging")


def test_repeated_runs_are_independent() -> None:
    def one(name: str):  # type: ignore[no-untyped-def]
        def program() -> None:
            aws.s3.Bucket(name)
            pulumi.export("bucket", name)

        return program

    first = synthesize(one("first"), stack="staging")
    with pytest.raises(RuntimeError) as failed:
        synthesize(_boom, stack="prod")
    second = synthesize(one("second"), stack="prod")
    assert "boom" in str(failed.value)
    assert [r.name for r in first.resources if r.custom] == ["first"]
    assert [r.name for r in second.resources if r.custom] == ["second"]
    assert second.outputs == {"bucket": "second"}
    assert all(r.urn.startswith("urn:pulumi:prod::hrms::") for r in second.resources)


def _boom() -> None:
    aws.s3.Bucket("half-built")
    raise RuntimeError("boom")


def test_config_reaches_pulumi_config() -> None:
    seen: dict[str, object] = {}

    def program() -> None:
        cfg = pulumi.Config("hrms")
        seen["replicas"] = cfg.require_int("replicas")
        seen["tiers"] = cfg.require_object("tiers")
        seen["region"] = pulumi.Config("aws").require("region")

    synthesize(
        program,
        stack="staging",
        config={"hrms:replicas": "3", "hrms:tiers": '["free"]', "aws:region": "eu-west-1"},
    )
    assert seen == {"replicas": 3, "tiers": ["free"], "region": "eu-west-1"}


def test_plan_round_trips_through_json(plan, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from stacks.offline.plan import Plan

    path = plan.write(tmp_path / "plan" / "staging.json")
    data = json.loads(path.read_text())
    assert set(data) == {"stack", "project", "resources", "outputs"}
    assert set(data["resources"][0]) >= {
        "urn",
        "type",
        "name",
        "parent",
        "provider",
        "dependencies",
        "propertyDependencies",
        "inputs",
    }
    assert Plan.load(path) == plan


def test_full_collections_are_deferred_during_a_run_and_restored_after() -> None:
    # Full collections re-scan every output the run keeps alive, so with the default
    # thresholds the per-resource cost grew with the program's size (scripts/bench/plan.py).
    seen: list[tuple[int, int, int]] = []

    def program() -> None:
        seen.append(gc.get_threshold())
        key = aws.kms.Key("k", enable_key_rotation=True)
        for index in range(300):
            aws.cloudwatch.LogGroup(f"lg-{index}", retention_in_days=7, kms_key_id=key.arn)

    default = gc.get_threshold()
    plan = synthesize(program, stack="gc")
    assert len(plan.by_type("aws:cloudwatch/logGroup:LogGroup")) == 300
    assert seen[0][0] >= 10 * default[0]
    assert gc.get_threshold() == default

    def failing() -> None:
        raise RuntimeError("program error")

    with pytest.raises(RuntimeError, match="program error"):
        synthesize(failing, stack="gc")
    assert gc.get_threshold() == default


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("dependencies", "urn:x", "'dependencies' of urn:r must be a list of URNs"),
        ("propertyDependencies", {"kmsKeyId": "urn:x"}, "'propertyDependencies' of urn:r"),
        ("inputs", [], "'inputs' of urn:r must be an object"),
    ],
)
def test_malformed_plan_resource_is_rejected_naming_the_field(
    field: str, value: object, message: str
) -> None:
    from stacks.offline.plan import PlanFormatError, PlanResource

    raw = {"urn": "urn:r", "type": "aws:kms/key:Key", "name": "k", field: value}
    with pytest.raises(PlanFormatError, match=message):
        PlanResource.from_dict(raw, where="plan.json")
