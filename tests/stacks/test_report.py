"""The HTML report: tree, counts, parity and the policy/auditor sections, all escaped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.offline.plan import Plan, PlanResource
from stacks.offline.report import ReportInputError, write_report


def plan(stack: str, *, multi_az: bool, evil_name: str = "db") -> Plan:
    root = f"urn:pulumi:{stack}::hrms::pulumi:pulumi:Stack::hrms-{stack}"
    comp = f"urn:pulumi:{stack}::hrms::hrms:database:PostgresDatabase::hrms-{stack}-db"
    inst = (
        f"urn:pulumi:{stack}::hrms::hrms:database:PostgresDatabase"
        f"$aws:rds/instance:Instance::{evil_name}"
    )
    return Plan(
        stack=stack,
        project="hrms",
        resources=(
            PlanResource(urn=root, type="pulumi:pulumi:Stack", name=f"hrms-{stack}", custom=False),
            PlanResource(
                urn=comp,
                type="hrms:database:PostgresDatabase",
                name=f"hrms-{stack}-db",
                parent=root,
                custom=False,
            ),
            PlanResource(
                urn=inst,
                type="aws:rds/instance:Instance",
                name=evil_name,
                parent=comp,
                inputs={"multiAz": multi_az},
            ),
        ),
    )


@pytest.fixture
def plans_dir(tmp_path: Path) -> Path:
    plans = tmp_path / "plan"
    plan("staging", multi_az=False, evil_name="<script>alert(1)</script>").write(
        plans / "staging.json"
    )
    plan("prod", multi_az=True, evil_name="<script>alert(1)</script>").write(plans / "prod.json")
    return plans


def test_report_has_tree_counts_and_parity(plans_dir: Path, tmp_path: Path) -> None:
    allowed = tmp_path / "parity.yaml"
    allowed.write_text("allowed: []\n")
    index = write_report(plans_dir, tmp_path / "report", parity_file=allowed)
    html = index.read_text()
    assert 'id="stack-staging"' in html
    assert 'id="stack-prod"' in html
    assert "hrms-staging-db" in html
    assert "hrms:database:PostgresDatabase" in html
    assert "<code>aws:rds/instance:Instance</code></td><td>1</td>" in html
    assert "undeclared difference(s)" in html
    assert "<code>multiAz</code>" in html
    # Names come from programs and plan files: escaped, never markup.
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # No policy results yet: no auditor section, and the summary says so.
    assert 'id="auditor"' not in html
    assert html.count('<td class="muted">not evaluated</td>') == 2
    assert html.count('<td class="fail">1 undeclared</td>') == 2
    # Long trees are collapsed under the summary.
    assert "<details>\n<summary>Resource tree (2 resources)</summary>" in html


def test_summary_comes_first_then_auditor_then_details(plans_dir: Path, tmp_path: Path) -> None:
    allowed = tmp_path / "parity.yaml"
    allowed.write_text(
        "allowed:\n  - resource: 'aws:rds/instance:Instance::*'\n    property: multiAz\n"
        "    reason: standby in prod\n"
    )
    policy = tmp_path / "policy"
    policy.mkdir()
    rule = {"name": "r", "enforcement": "mandatory", "resources_checked": 1}
    (policy / "staging.json").write_text(
        json.dumps(
            {
                "rules": [rule],
                "violations": [
                    {"rule": "r", "urn": "u1", "message": "m", "enforcement": "mandatory"},
                    {"rule": "r", "urn": "u2", "message": "m", "enforcement": "remediate"},
                    {"rule": "r", "urn": "u3", "message": "m", "enforcement": "advisory"},
                ],
            }
        )
    )
    html = write_report(plans_dir, tmp_path / "report", parity_file=allowed).read_text()
    positions = [
        html.index(marker)
        for marker in ('id="summary"', 'id="auditor"', 'id="stack-staging"', 'id="parity"')
    ]
    assert positions == sorted(positions)
    summary = html[positions[0] : positions[1]]
    assert '<a href="#stack-staging">staging</a></td><td class="num">2</td>' in summary
    assert summary.count('<td class="pass">holds</td>') == 2
    # "remediate" is enforced like mandatory; prod has no policy results.
    assert '<td class="fail">2 mandatory, 1 advisory</td>' in summary
    assert '<td class="muted">not evaluated</td>' in summary


def test_summary_flags_invalid_parity_declarations(plans_dir: Path, tmp_path: Path) -> None:
    allowed = tmp_path / "parity.yaml"
    allowed.write_text("allowed: [{resource: '*'}]\n")
    html = write_report(plans_dir, tmp_path / "report", parity_file=allowed).read_text()
    assert html.count('<td class="fail">declarations invalid</td>') == 2


def test_declared_difference_shows_its_reason(plans_dir: Path, tmp_path: Path) -> None:
    allowed = tmp_path / "parity.yaml"
    allowed.write_text(
        "allowed:\n  - resource: 'aws:rds/instance:Instance::*'\n    property: multiAz\n"
        "    reason: standby <b>only</b> in prod\n"
    )
    html = write_report(plans_dir, tmp_path / "report", parity_file=allowed).read_text()
    assert "parity holds" in html
    assert "standby &lt;b&gt;only&lt;/b&gt; in prod" in html


def test_policy_section_and_auditor_view(plans_dir: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy"
    policy.mkdir()
    rules = [
        {
            "name": "rds-multi-az",
            "description": "Prod databases run Multi-AZ",
            "enforcement": "mandatory",
            "severity": "high",
            "frameworks": ["SOC2 A1.2", "ISO27001 A.17.2"],
            "resources_checked": 1,
        },
        {
            "name": "tags-required",
            "description": "Every resource carries <owner> tags",
            "enforcement": "advisory",
            "severity": "low",
            "frameworks": ["internal"],
            "resources_checked": 3,
        },
    ]
    (policy / "staging.json").write_text(
        json.dumps(
            {
                "rules": rules,
                "violations": [
                    {
                        "rule": "rds-multi-az",
                        "urn": "urn:x",
                        "message": "multiAz is false",
                        "enforcement": "mandatory",
                    },
                    {
                        "rule": "tags-required",
                        "urn": "urn:y",
                        "message": "no Owner",
                        "enforcement": "advisory",
                    },
                ],
            }
        )
    )
    (policy / "prod.json").write_text(json.dumps({"rules": rules, "violations": []}))
    html = write_report(plans_dir, tmp_path / "report").read_text()
    assert 'id="auditor"' in html
    assert "SOC2 A1.2, ISO27001 A.17.2" in html
    assert "Every resource carries &lt;owner&gt; tags" in html
    assert '<td class="fail">fail (1)</td>' in html
    assert '<td class="warn">warn (1)</td>' in html
    assert html.count('<td class="pass">pass</td>') == 2
    assert "staging: 1, prod: 1" in html
    assert "multiAz is false" in html
    assert "No violations of 2 rules." in html


def test_missing_or_bad_inputs_are_named(tmp_path: Path) -> None:
    with pytest.raises(ReportInputError, match="not found"):
        write_report(tmp_path / "nope", tmp_path / "out")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ReportInputError, match="no plan JSON"):
        write_report(empty, tmp_path / "out")
    (empty / "staging.json").write_text('{"stack": "staging"}')
    with pytest.raises(ReportInputError, match=r"staging\.json: missing string field 'project'"):
        write_report(empty, tmp_path / "out")


def test_coverage_matrix_lists_each_aws_type_with_its_rules(
    plans_dir: Path, tmp_path: Path
) -> None:
    extra = plan("staging", multi_az=False)
    sqs = PlanResource(urn="urn:q", type="aws:sqs/queue:Queue", name="q", inputs={})
    link = PlanResource(urn="urn:l", type="aws:apigateway/vpcLink:VpcLink", name="l", inputs={})
    Plan(stack="staging", project="hrms", resources=(*extra.resources, sqs, link)).write(
        plans_dir / "staging.json"
    )
    html = write_report(plans_dir, tmp_path / "report").read_text()
    section = html[html.index('id="coverage"') : html.index('id="stack-staging"')]
    row = section[section.index("<code>aws:rds/instance:Instance</code>") :]
    row = row[: row.index("</tr>")]
    assert "<code>rds-storage-encrypted-cmk</code>" in row
    assert "<code>aws-required-tags</code>" not in row
    # A type no rule guards and no exemption explains is flagged; an exempt one says why.
    queue = section[section.index("<code>aws:sqs/queue:Queue</code>") :]
    assert '<td class="fail">uncovered</td>' in queue[: queue.index("</tr>")]
    vpc_link = section[section.index("<code>aws:apigateway/vpcLink:VpcLink</code>") :]
    assert "Private connection" in vpc_link[: vpc_link.index("</tr>")]


def test_summary_flags_stale_declarations(plans_dir: Path, tmp_path: Path) -> None:
    allowed = tmp_path / "parity.yaml"
    allowed.write_text(
        "allowed:\n  - resource: 'aws:rds/instance:Instance::*'\n    property: multiAz\n"
        "    reason: standby in prod\n"
        "  - resource: 'aws:sqs/queue:Queue::*'\n    property: '(resource)'\n"
        "    reason: queue removed long ago\n"
    )
    html = write_report(plans_dir, tmp_path / "report", parity_file=allowed).read_text()
    assert html.count('<td class="fail">1 stale</td>') == 2
    assert "parity holds" not in html
    assert "0 undeclared difference(s), 1 stale declaration(s)" in html
