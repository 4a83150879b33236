"""Parity: staging and prod plans may differ only where stacks/parity.yaml says why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from stacks.offline.engine import synthesize
from stacks.offline.parity import (
    OPTIONS,
    PRESENCE,
    AllowedDifference,
    ParityConfigError,
    ParityReport,
    compare,
    load_allowed,
)
from stacks.offline.plan import STACK_TYPE, Plan, PlanResource

pytestmark = pytest.mark.infra


def network(stack: str, *, multi_az: bool, nat_count: int) -> Plan:
    def program() -> None:
        vpc = aws.ec2.Vpc(
            f"hrms-{stack}-vpc",
            cidr_block="10.20.0.0/16",
            tags={"Environment": stack, "Name": f"hrms-{stack}-vpc"},
        )
        for index in range(nat_count):
            aws.ec2.Eip(f"hrms-{stack}-nat-eip-{index}", domain="vpc")
        aws.rds.Instance(
            f"hrms-{stack}-db",
            engine="postgres",
            instance_class="db.t4g.medium",
            allocated_storage=20,
            multi_az=multi_az,
            db_subnet_group_name=vpc.id,
        )

    return synthesize(program, stack=stack)


def test_identical_programs_have_parity() -> None:
    report = compare(
        network("staging", multi_az=True, nat_count=1),
        network("prod", multi_az=True, nat_count=1),
        [],
    )
    # The stack name is normalised out of names, tags and ids derived from names.
    assert report.differences == []
    assert report.ok
    assert report.resources_compared == 3


def test_undeclared_property_and_resource_differences_fail() -> None:
    report = compare(
        network("staging", multi_az=False, nat_count=1),
        network("prod", multi_az=True, nat_count=3),
        [],
    )
    assert not report.ok
    found = {(d.key, d.path, d.staging, d.prod) for d in report.undeclared}
    assert ("aws:rds/instance:Instance::hrms-{stack}-db", "multiAz", False, True) in found
    assert ("aws:ec2/eip:Eip::hrms-{stack}-nat-eip-2", PRESENCE, "absent", "present") in found
    assert len(report.undeclared) == 3


def test_declared_differences_pass_with_their_reason() -> None:
    allowed = [
        AllowedDifference(
            resource="aws:rds/instance:Instance::hrms-{stack}-db",
            property="multiAz",
            reason="standby only in prod",
        ),
        AllowedDifference(
            resource="aws:ec2/eip:Eip::hrms-{stack}-nat-eip-*",
            property=PRESENCE,
            reason="one NAT per AZ in prod",
        ),
        AllowedDifference(resource="*", property="tags.Unused", reason="stale"),
    ]
    report = compare(
        network("staging", multi_az=False, nat_count=1),
        network("prod", multi_az=True, nat_count=3),
        allowed,
    )
    assert {d.reason for d in report.differences} == {
        "standby only in prod",
        "one NAT per AZ in prod",
    }
    assert report.undeclared == []
    # The third declaration matches nothing: stale, and a stale declaration fails.
    assert [u.property for u in report.unused] == ["tags.Unused"]
    assert not report.ok
    assert report.to_dict()["ok"] is False
    assert report.to_dict()["staleCount"] == 1
    assert compare(
        network("staging", multi_az=False, nat_count=1),
        network("prod", multi_az=True, nat_count=3),
        allowed[:2],
    ).ok


def test_glob_treats_brackets_literally() -> None:
    entry = AllowedDifference(resource="*", property="rules[0].copyActions*", reason="x")
    assert entry.matches("aws:backup/plan:Plan::p", "rules[0].copyActions")
    assert entry.matches("aws:backup/plan:Plan::p", "rules[0].copyActions[0].destinationVaultArn")
    assert not entry.matches("aws:backup/plan:Plan::p", "rules0.copyActions")


def test_entry_without_reason_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "parity.yaml"
    path.write_text(
        "allowed:\n  - resource: 'aws:rds/instance:Instance::*'\n    property: multiAz\n"
        "    reason: '  '\n"
    )
    with pytest.raises(ParityConfigError, match=r"allowed\[0\].*multiAz.*has no reason"):
        load_allowed(path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("allowed:\n  - property: x\n    reason: y\n", r"needs a non-empty 'resource'"),
        ("allowed:\n  - resource: a\n    property: x\n    reason: y\n    why: z\n", r"unknown key"),
        ("allowed: {a: 1}\n", r"'allowed' list"),
        ("allowed: [oops\n", r"not valid YAML"),
    ],
)
def test_malformed_declarations_name_the_problem(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "parity.yaml"
    path.write_text(body)
    with pytest.raises(ParityConfigError, match=message):
        load_allowed(path)


def test_committed_declarations_file_is_valid() -> None:
    for entry in load_allowed():
        assert entry.reason.strip()


def protected_db(stack: str, *, protect: bool) -> Plan:
    def program() -> None:
        aws.rds.Instance(
            f"hrms-{stack}-db",
            engine="postgres",
            instance_class="db.t4g.medium",
            allocated_storage=20,
            opts=pulumi.ResourceOptions(protect=protect, ignore_changes=["password"]),
        )

    return synthesize(program, stack=stack)


def test_option_differences_are_compared_and_can_be_declared() -> None:
    staging, prod = protected_db("staging", protect=False), protected_db("prod", protect=True)
    report = compare(staging, prod, [])
    assert [(d.key, d.path, d.staging, d.prod) for d in report.undeclared] == [
        ("aws:rds/instance:Instance::hrms-{stack}-db", f"{OPTIONS}.protect", False, True)
    ]
    declared = AllowedDifference(
        resource="aws:rds/instance:Instance::hrms-{stack}-db",
        property=f"{OPTIONS}.protect",
        reason="prod's database is protected",
    )
    assert compare(staging, prod, [declared]).ok
    # Equal options (the same ignoreChanges in both) are no difference.
    assert compare(staging, protected_db("prod", protect=False), []).differences == []


def tagged_bucket(stack: str, tags: dict[str, str], **extra: Any) -> Plan:
    def program() -> None:
        aws.s3.Bucket(f"hrms-{stack}-exports", tags=tags, **extra)

    return synthesize(program, stack=stack)


@pytest.mark.parametrize(
    ("staging_tags", "prod_tags", "expected"),
    [
        ({"Team": "hr"}, {}, ("hr", None)),
        ({}, {"Team": "hr"}, (None, "hr")),
    ],
    ids=["staging-only", "prod-only"],
)
def test_a_property_set_in_one_stack_only_is_a_difference(
    staging_tags: dict[str, str], prod_tags: dict[str, str], expected: tuple[Any, Any]
) -> None:
    base = {"Owner": "platform"}
    report = compare(
        tagged_bucket("staging", base | staging_tags),
        tagged_bucket("prod", base | prod_tags),
        [],
    )
    assert not report.ok
    assert [(d.path, d.staging, d.prod) for d in report.undeclared] == [("tags.Team", *expected)]
    declared = AllowedDifference(resource="*", property="tags.Team", reason="prod-only team tag")
    assert compare(
        tagged_bucket("staging", base | staging_tags),
        tagged_bucket("prod", base | prod_tags),
        [declared],
    ).ok


def test_a_whole_block_set_in_one_stack_only_is_a_difference() -> None:
    versioning = {"versioning": aws.s3.BucketVersioningArgs(enabled=True)}
    report = compare(tagged_bucket("staging", {}), tagged_bucket("prod", {}, **versioning), [])
    assert [(d.path, d.staging) for d in report.undeclared] == [("versioning", None)]
    assert report.undeclared[0].prod == {"enabled": True}


def test_stale_declaration_alone_fails_the_comparison() -> None:
    same = (
        network("staging", multi_az=True, nat_count=1),
        network("prod", multi_az=True, nat_count=1),
    )
    stale = AllowedDifference(
        resource="aws:rds/instance:Instance::hrms-{stack}-db", property="multiAz", reason="was"
    )
    report = compare(*same, [stale])
    assert report.differences == []
    assert report.unused == [stale]
    assert not report.ok


def test_missing_declarations_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(ParityConfigError, match=f"^{missing} not found$"):
        load_allowed(missing)


def test_report_json_is_written_whole(tmp_path: Path) -> None:
    staging = network("staging", multi_az=False, nat_count=1)
    prod = network("prod", multi_az=True, nat_count=1)
    stale = AllowedDifference(resource="*", property="tags.Gone", reason="removed")
    path = compare(staging, prod, [stale]).write(tmp_path / "build" / "deep" / "parity.json")
    assert path == tmp_path / "build" / "deep" / "parity.json"
    assert path.read_text(encoding="utf-8").endswith("}\n")
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written == compare(staging, prod, [stale]).to_dict()
    assert (written["ok"], written["undeclaredCount"], written["staleCount"]) == (False, 1, 1)
    assert {k: v for k, v in written.items() if k not in ("differences",)} == {
        "staging": "staging",
        "prod": "prod",
        "ok": False,
        "resourcesCompared": 3,
        "declaredCount": 0,
        "undeclaredCount": 1,
        "staleCount": 1,
        "unusedDeclarations": [{"resource": "*", "property": "tags.Gone", "reason": "removed"}],
    }
    assert written["differences"] == [
        {
            "resource": "aws:rds/instance:Instance::hrms-{stack}-db",
            "property": "multiAz",
            "staging": False,
            "prod": True,
            "allowed": False,
            "reason": None,
        }
    ]
    assert written["unusedDeclarations"] == [
        {"resource": "*", "property": "tags.Gone", "reason": "removed"}
    ]
    assert "\n  " in path.read_text(encoding="utf-8")  # indented for people reading it


def test_declarations_load_trimmed_and_whole(tmp_path: Path) -> None:
    path = tmp_path / "parity.yaml"
    path.write_text(
        "allowed:\n  - resource: '  aws:rds/*  '\n    property: ' multiAz '\n"
        "    reason: '  standby in prod '\n",
        encoding="utf-8",
    )
    assert load_allowed(path) == [
        AllowedDifference(resource="aws:rds/*", property="multiAz", reason="standby in prod")
    ]
    path.write_text("allowed:\n  - resource: '*'\n    property: multiAz\n", encoding="utf-8")
    with pytest.raises(
        ParityConfigError,
        match=r"\(\* multiAz\) has no reason: every allowed difference must say why "
        "staging and prod differ$",
    ):
        load_allowed(path)


def resource(
    stack: str, type_: str, name: str, *, parent: PlanResource | None = None, **inputs: Any
) -> PlanResource:
    chain = f"{parent.urn.split('::')[2]}${type_}" if parent else type_
    return PlanResource(
        urn=f"urn:pulumi:{stack}::hrms::{chain}::{name}",
        type=type_,
        name=name,
        parent=parent.urn if parent else None,
        inputs=inputs,
    )


def plan_of(stack: str, *resources: PlanResource) -> Plan:
    root = PlanResource(
        urn=f"urn:pulumi:{stack}::hrms::{STACK_TYPE}::hrms-{stack}",
        type=STACK_TYPE,
        name=f"hrms-{stack}",
        custom=False,
    )
    return Plan(
        stack=stack,
        project="hrms",
        resources=tuple(sorted((root, *resources), key=lambda r: r.urn)),
    )


def undeclared(report: ParityReport) -> list[tuple[str, str, Any, Any]]:
    return [(d.key, d.path, d.staging, d.prod) for d in report.undeclared]


BUCKET = "aws:s3/bucket:Bucket"


def test_values_and_keys_show_the_stack_as_a_placeholder() -> None:
    def bucket(stack: str, owner: str, last: str) -> Plan:
        return plan_of(
            stack,
            resource(
                stack,
                BUCKET,
                f"hrms-{stack}-exports",
                tags={f"hrms-{stack}-owner": owner, "Tier": "production", "Zone": "staging2"},
                replicas=[f"hrms-{stack}-a", f"hrms-{stack}-{last}"],
            ),
        )

    report = compare(bucket("staging", "team-a", "b"), bucket("prod", "team-b", "c"), [])
    # Inside a longer word ("production", "staging2") the stack name is part of the value.
    assert undeclared(report) == [
        (f"{BUCKET}::hrms-{{stack}}-exports", "replicas[1]", "hrms-{stack}-b", "hrms-{stack}-c"),
        (f"{BUCKET}::hrms-{{stack}}-exports", "tags.hrms-{stack}-owner", "team-a", "team-b"),
    ]
    declared = [
        AllowedDifference(resource="*", property="tags.hrms-{stack}-owner", reason="owners"),
        AllowedDifference(resource="*", property="replicas[1]", reason="replica per stack"),
    ]
    assert compare(bucket("staging", "team-a", "b"), bucket("prod", "team-b", "c"), declared).ok


def test_resources_that_sort_after_the_stack_are_compared() -> None:
    # The plan is sorted by URN: a provider type after "pulumi:" comes after the stack itself.
    def keyed(stack: str, bits: int) -> Plan:
        return plan_of(
            stack,
            resource(stack, BUCKET, "exports"),
            resource(stack, "tls:index/privateKey:PrivateKey", "signing", rsaBits=bits),
        )

    staging, prod = keyed("staging", 2048), keyed("prod", 4096)
    assert staging.resources[-1].type == "tls:index/privateKey:PrivateKey"
    report = compare(staging, prod, [])
    assert undeclared(report) == [
        ("tls:index/privateKey:PrivateKey::signing", "rsaBits", 2048, 4096)
    ]
    assert report.resources_compared == 2


def test_same_type_and_name_under_two_parents_are_told_apart_by_urn() -> None:
    def services(stack: str, worker_versioning: bool) -> Plan:
        api = resource(stack, "hrms:app:Api", f"hrms-{stack}-api")
        worker = resource(stack, "hrms:app:Worker", f"hrms-{stack}-worker")
        return plan_of(
            stack,
            api,
            worker,
            resource(stack, BUCKET, "logs", parent=api, versioning=True),
            resource(stack, BUCKET, "logs", parent=worker, versioning=worker_versioning),
        )

    report = compare(services("staging", True), services("prod", False), [])
    assert undeclared(report) == [
        (
            "urn:pulumi:{stack}::hrms::hrms:app:Worker$aws:s3/bucket:Bucket::logs",
            "versioning",
            True,
            False,
        )
    ]
    assert report.resources_compared == 4


def test_a_report_is_rewritten_where_the_last_one_was(tmp_path: Path) -> None:
    target = tmp_path / "build" / "parity.json"
    same = (
        plan_of("staging", resource("staging", BUCKET, "b")),
        plan_of("prod", resource("prod", BUCKET, "b")),
    )
    compare(*same, [AllowedDifference(resource="*", property="x", reason="y")]).write(target)
    compare(*same, []).write(target)
    assert json.loads(target.read_text(encoding="utf-8"))["ok"] is True


def test_an_entry_that_is_not_a_mapping_is_named(tmp_path: Path) -> None:
    path = tmp_path / "parity.yaml"
    path.write_text("allowed:\n  - '*'\n", encoding="utf-8")
    with pytest.raises(ParityConfigError, match=rf"^{path}: allowed\[0\] must be a mapping$"):
        load_allowed(path)


def test_a_resource_that_moved_to_another_parent_is_a_difference() -> None:
    def logs_under(stack: str, owner: str) -> Plan:
        api = resource(stack, "hrms:app:Api", f"hrms-{stack}-api")
        worker = resource(stack, "hrms:app:Worker", f"hrms-{stack}-worker")
        parent = api if owner == "api" else worker
        return plan_of(stack, api, worker, resource(stack, BUCKET, "logs", parent=parent))

    report = compare(logs_under("staging", "api"), logs_under("prod", "worker"), [])
    assert undeclared(report) == [
        (
            f"{BUCKET}::logs",
            "(parent)",
            "urn:pulumi:{stack}::hrms::hrms:app:Api::hrms-{stack}-api",
            "urn:pulumi:{stack}::hrms::hrms:app:Worker::hrms-{stack}-worker",
        )
    ]
    moved = AllowedDifference(resource=f"{BUCKET}::logs", property="(parent)", reason="moved")
    assert compare(logs_under("staging", "api"), logs_under("prod", "worker"), [moved]).ok


def test_lists_of_different_length_or_in_one_stack_only_differ_as_a_whole() -> None:
    def bucket(stack: str, **inputs: Any) -> Plan:
        return plan_of(stack, resource(stack, BUCKET, "exports", **inputs))

    longer = compare(bucket("staging", cors=["a", "b"]), bucket("prod", cors=["a", "b", "c"]), [])
    assert undeclared(longer) == [(f"{BUCKET}::exports", "cors", ["a", "b"], ["a", "b", "c"])]
    one_sided = compare(bucket("staging", cors=["a"]), bucket("prod"), [])
    assert undeclared(one_sided) == [(f"{BUCKET}::exports", "cors", ["a"], None)]


def test_a_key_set_to_null_in_one_stack_only_is_a_difference() -> None:
    # The programs diverge: one passes the key (as None), the other never mentions it.
    for staging_tags, prod_tags in (({"Team": None}, {}), ({}, {"Team": None})):
        report = compare(
            plan_of("staging", resource("staging", BUCKET, "b", tags=staging_tags)),
            plan_of("prod", resource("prod", BUCKET, "b", tags=prod_tags)),
            [],
        )
        assert [d.path for d in report.undeclared] == ["tags.Team"]


def test_without_declarations_given_the_committed_file_applies() -> None:
    same = (
        plan_of("staging", resource("staging", BUCKET, "b")),
        plan_of("prod", resource("prod", BUCKET, "b")),
    )
    report = compare(*same)
    # Two one-bucket plans differ nowhere, so every committed declaration is unused.
    assert report.differences == []
    assert report.unused == load_allowed()
    assert report.unused


def test_a_resource_in_either_stack_only_is_named_with_where_it_is() -> None:
    def buckets(stack: str, *names: str) -> Plan:
        return plan_of(stack, *(resource(stack, BUCKET, name) for name in names))

    staging_only = compare(buckets("staging", "b", "extra"), buckets("prod", "b"), [])
    assert undeclared(staging_only) == [(f"{BUCKET}::extra", PRESENCE, "present", "absent")]
    prod_only = compare(buckets("staging", "b"), buckets("prod", "b", "extra"), [])
    assert undeclared(prod_only) == [(f"{BUCKET}::extra", PRESENCE, "absent", "present")]
