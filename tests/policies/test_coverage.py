"""Every AWS type the stacks create is guarded by a rule or exempt with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.coverage import (
    DOC,
    EXEMPT,
    coverage_matrix,
    guarding_rules,
    render_markdown,
    uncovered,
    with_matrix,
)
from policies.registry import all_policies
from stacks.offline.coverage import stack_types

pytestmark = pytest.mark.policy

ROOT = Path(__file__).resolve().parents[2]

# Each data store with the rules for encryption at rest and in transit (None: the service
# only offers TLS endpoints, so transit encryption is not a setting).
DATA_STORES: dict[str, tuple[str, str | None]] = {
    "aws:rds/instance:Instance": ("rds-storage-encrypted-cmk", "rds-force-ssl"),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        "elasticache-encrypted-at-rest-cmk",
        "elasticache-encrypted-in-transit",
    ),
    "aws:s3/bucket:Bucket": ("s3-bucket-encrypted-cmk", "s3-bucket-tls-only"),
    "aws:ecr/repository:Repository": ("ecr-repository-encrypted-cmk", None),
    "aws:cloudwatch/logGroup:LogGroup": ("log-group-encrypted-retention", None),
    "aws:sns/topic:Topic": ("sns-topic-encrypted", None),
    "aws:secretsmanager/secret:Secret": ("secretsmanager-secret-cmk", None),
    "aws:backup/vault:Vault": ("backup-vault-encrypted-cmk", None),
}


@pytest.fixture(scope="module")
def types() -> set[str]:
    return stack_types()


def test_every_aws_type_the_stacks_create_is_covered_or_exempt(types: set[str]) -> None:
    assert uncovered(types) == []


def test_a_new_type_without_a_rule_or_exemption_is_uncovered(types: set[str]) -> None:
    assert uncovered({*types, "aws:sqs/queue:Queue"}) == ["aws:sqs/queue:Queue"]


def test_tagging_alone_does_not_count_as_coverage() -> None:
    # The VPC link is taggable (aws-required-tags guards it) yet needs its exemption.
    assert guarding_rules("aws:apigateway/vpcLink:VpcLink") == []
    assert uncovered({"aws:apigateway/vpcLink:VpcLink"}) == []
    assert "aws:apigateway/vpcLink:VpcLink" in EXEMPT


def test_inspected_types_count_as_covered() -> None:
    assert "rds-force-ssl" in guarding_rules("aws:rds/parameterGroup:ParameterGroup")


def test_exemptions_are_current(types: set[str]) -> None:
    matrix = coverage_matrix(types)
    assert sorted(t for t in EXEMPT if t not in matrix) == [], "exempt but not created"
    assert sorted(t for t in EXEMPT if matrix.get(t)) == [], "exempt but guarded by a rule"
    assert all(len(reason) > 20 for reason in EXEMPT.values())


def test_docs_matrix_is_current(types: set[str]) -> None:
    doc = (ROOT / DOC).read_text("utf-8")
    assert with_matrix(doc, render_markdown(types)) == doc, (
        "docs/policies.md coverage matrix is stale: run python -m stacks.offline.coverage"
    )


@pytest.mark.parametrize("store", sorted(DATA_STORES))
def test_every_data_store_has_encryption_rules(store: str) -> None:
    by_name = {p.name: p for p in all_policies()}
    for rule in DATA_STORES[store]:
        if rule is not None:
            assert store in by_name[rule].resource_types, (rule, store)


def test_data_stores_the_stacks_create_are_all_listed(types: set[str]) -> None:
    stores = {
        "aws:rds/",
        "aws:elasticache/",
        "aws:s3/bucket:",
        "aws:ecr/repository:",
        "aws:cloudwatch/logGroup:",
        "aws:sns/topic:",
        "aws:secretsmanager/secret:",
        "aws:backup/vault:",
        "aws:dynamodb/table:",
        "aws:sqs/queue:",
        "aws:kinesis/stream:",
        "aws:efs/fileSystem:",
    }
    created = {
        t
        for t in types
        if any(t.startswith(s) for s in stores)
        and not t.endswith(("SubnetGroup", "ParameterGroup"))
    }
    assert sorted(created - set(DATA_STORES)) == []
