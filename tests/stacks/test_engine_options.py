"""The plan records every resource option the engine would receive."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from stacks.offline.engine import synthesize
from stacks.offline.plan import OPTION_DEFAULTS, Plan, PlanFormatError, PlanResource

pytestmark = pytest.mark.infra


def options_program() -> None:
    key = aws.kms.Key("key", enable_key_rotation=True)
    provider = aws.Provider("dr", region="eu-central-1")
    topic = aws.sns.Topic("topic", kms_master_key_id=key.arn)
    aws.secretsmanager.Secret(
        "secret",
        kms_key_id=key.arn,
        opts=pulumi.ResourceOptions(
            depends_on=[topic],
            ignore_changes=["description"],
            protect=True,
            retain_on_delete=True,
            delete_before_replace=True,
            replace_on_changes=["name"],
            custom_timeouts=pulumi.CustomTimeouts(create="30m", delete="2h"),
            aliases=[pulumi.Alias(name="old-secret")],
            provider=provider,
        ),
    )


@pytest.fixture(scope="module")
def plan() -> Plan:
    return synthesize(options_program, stack="test", config={"aws:region": "eu-west-1"})


def test_every_option_is_recorded(plan: Plan) -> None:
    secret = plan.find("aws:secretsmanager/secret:Secret", "secret")
    topic = plan.find("aws:sns/topic:Topic", "topic")
    provider = plan.find("pulumi:providers:aws", "dr")
    options = secret.options
    assert list(options) == sorted(OPTION_DEFAULTS)
    assert options["protect"] is True
    assert options["retainOnDelete"] is True
    assert options["deleteBeforeReplace"] is True
    assert options["ignoreChanges"] == ["description"]
    assert options["replaceOnChanges"] == ["name"]
    assert options["customTimeouts"] == {"create": "30m", "delete": "2h"}
    assert options["provider"] == provider.urn
    assert options["aliases"]
    assert "old-secret" in str(options["aliases"][0])
    # The key is an input dependency; only the explicit depends_on shows as dependsOn.
    assert options["dependsOn"] == [topic.urn]


def test_unset_options_have_their_defaults(plan: Plan) -> None:
    assert plan.find("aws:sns/topic:Topic", "topic").options == OPTION_DEFAULTS


def test_ignore_changes_use_engine_names(plan: Plan) -> None:
    # Python names are translated by the SDK: ``secret_string`` reaches the engine camelCased.
    def program() -> None:
        aws.secretsmanager.SecretVersion(
            "v",
            secret_id="arn",
            secret_string="x",
            opts=pulumi.ResourceOptions(ignore_changes=["secret_string"]),
        )

    recorded = synthesize(program, stack="test", config={"aws:region": "eu-west-1"})
    version = recorded.find("aws:secretsmanager/secretVersion:SecretVersion", "v")
    assert version.options["ignoreChanges"] == ["secretString"]


def test_options_round_trip_through_json(plan: Plan) -> None:
    data = plan.to_dict()
    secret = next(r for r in data["resources"] if r["name"] == "secret")
    assert secret["options"]["protect"] is True
    assert Plan.from_dict(data) == plan


def test_plans_without_options_load_with_defaults() -> None:
    resource = PlanResource.from_dict({"urn": "u", "type": "t", "name": "n"})
    assert resource.options == OPTION_DEFAULTS


def test_unknown_option_is_rejected() -> None:
    with pytest.raises(PlanFormatError, match="protected"):
        PlanResource.from_dict({"urn": "u", "type": "t", "name": "n", "options": {"protected": 1}})
