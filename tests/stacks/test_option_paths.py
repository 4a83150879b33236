"""ignoreChanges / replaceOnChanges paths must name a real input of their resource type."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from stacks.offline.engine import synthesize
from stacks.offline.option_paths import OptionPathError, check_resource, parse_path
from stacks.offline.plan import PlanResource, resource_options
from tests.infra.plans import stack_plan

pytestmark = pytest.mark.infra

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def node_group(*, ignore: list[str] | None = None, replace: list[str] | None = None) -> None:
    aws.eks.NodeGroup(
        "nodes",
        cluster_name="hrms",
        node_role_arn="arn:aws:iam::123456789012:role/nodes",
        subnet_ids=["subnet-0123456789abcdef0"],
        scaling_config=aws.eks.NodeGroupScalingConfigArgs(desired_size=2, min_size=2, max_size=4),
        opts=pulumi.ResourceOptions(ignore_changes=ignore, replace_on_changes=replace),
    )


def run(program: object) -> None:
    synthesize(program, stack="test", config={"aws:region": "eu-west-1"})  # type: ignore[arg-type]


def test_python_spelling_of_a_nested_path_is_rejected_with_the_engine_spelling() -> None:
    with pytest.raises(OptionPathError) as caught:
        run(lambda: node_group(ignore=["scaling_config.desired_size"]))
    [finding] = caught.value.findings
    assert finding.urn.endswith(f"{NODE_GROUP}::nodes")
    assert finding.option == "ignoreChanges"
    assert finding.path == "scaling_config.desired_size"
    assert finding.nearest[0] == "scalingConfig"
    assert finding.did_you_mean == "scalingConfig.desiredSize"
    message = str(caught.value)
    assert "nodes" in message
    assert "scaling_config.desired_size" in message
    assert "scalingConfig.desiredSize" in message


def test_engine_spelling_is_accepted() -> None:
    run(lambda: node_group(ignore=["scalingConfig.desiredSize"], replace=["subnetIds[*]"]))


def test_replace_on_changes_is_checked_too() -> None:
    with pytest.raises(OptionPathError) as caught:
        run(lambda: node_group(replace=["scalingConfig.desired"]))
    [finding] = caught.value.findings
    assert finding.option == "replaceOnChanges"
    assert finding.nearest == ("desiredSize",)
    assert finding.did_you_mean == "scalingConfig.desiredSize"


def test_top_level_python_names_are_translated_by_the_sdk_and_accepted() -> None:
    run(lambda: node_group(ignore=["scaling_config", "tags"]))


def test_kubernetes_paths_resolve_through_nested_input_types() -> None:
    def program() -> None:
        k8s.apps.v1.Deployment(
            "web",
            spec=k8s.apps.v1.DeploymentSpecArgs(
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": "web"}),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels={"app": "web"}),
                    spec=k8s.core.v1.PodSpecArgs(
                        containers=[k8s.core.v1.ContainerArgs(name="web", image="nginx")]
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(
                ignore_changes=[
                    "spec.replicas",
                    'metadata.annotations["kubectl.kubernetes.io/restartedAt"]',
                    "spec.template.spec.containers[0].image",
                    "spec.replica",
                ]
            ),
        )

    with pytest.raises(OptionPathError) as caught:
        run(program)
    [finding] = caught.value.findings
    assert finding.path == "spec.replica"
    assert finding.did_you_mean == "spec.replicas"


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("bogus", "has no input 'bogus'"),
        ("taints.key", "is a list"),
        ("scalingConfig.desiredSize.value", "is a scalar"),
        ("scalingConfig..minSize", "not a property path"),
    ],
)
def test_each_kind_of_bad_path_says_why(path: str, problem: str) -> None:
    resource = PlanResource(
        urn="urn:x",
        type=NODE_GROUP,
        name="n",
        options=resource_options(ignoreChanges=[path]),
    )
    [finding] = check_resource(resource)
    assert problem in finding.message()


def test_unknown_custom_type_cannot_be_resolved() -> None:
    resource = PlanResource(
        urn="urn:x", type="aws:nope/nope:Nope", name="n", options=resource_options(protect=False)
    )
    assert check_resource(resource) == []  # no paths, nothing to resolve
    bad = PlanResource(
        urn="urn:x",
        type="aws:nope/nope:Nope",
        name="n",
        options=resource_options(ignoreChanges=["a"]),
    )
    assert "no SDK type metadata" in check_resource(bad)[0].message()


def test_path_syntax() -> None:
    assert parse_path('tags["kubernetes.io/role"]') == ["tags", "kubernetes.io/role"]
    assert parse_path("rules[0].copyActions[*].lifecycle") == [
        "rules",
        0,
        "copyActions",
        "*",
        "lifecycle",
    ]
    assert parse_path("") is None


def test_committed_node_group_ignores_the_engine_path() -> None:
    group = stack_plan("staging").find(NODE_GROUP, "-nodes-group")
    assert group.options["ignoreChanges"] == ["scalingConfig.desiredSize"]
