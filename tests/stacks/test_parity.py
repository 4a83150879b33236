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
    compare,
    load_allowed,
)
from stacks.offline.plan import Plan

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
