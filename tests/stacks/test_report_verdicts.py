"""The report on the committed stacks: banner, waived rules, remediation, provenance,
key settings and the parity table's order and grouping."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from stacks.offline.acceptance.check import accept
from stacks.offline.engine import load_stack_config
from stacks.offline.policy import evaluate_plan
from stacks.offline.provenance import git_commit, tool_versions
from stacks.offline.report import write_report_with_verdict
from tests.infra.plans import STACKS, stack_plan

pytestmark = [pytest.mark.infra, pytest.mark.policy]


def _build(tmp_path: Path, *, break_prod: bool = False) -> Path:
    """build/ as ``make preview`` leaves it; ``break_prod`` turns prod's Multi-AZ off."""
    build = tmp_path / "build"
    for stack in STACKS:
        plan = stack_plan(stack)
        plan.write(build / "plan" / f"{stack}.json")
        data = json.loads((build / "plan" / f"{stack}.json").read_text())
        if break_prod and stack == "prod":
            for resource in data["resources"]:
                if resource["type"] == "aws:rds/instance:Instance":
                    resource["inputs"]["multiAz"] = False
            (build / "plan" / f"{stack}.json").write_text(json.dumps(data))
        evaluate_plan(data, stack=stack).write_json(build / "policy" / f"{stack}.json")
        result = accept(plan, load_stack_config(stack))
        (build / "acceptance").mkdir(parents=True, exist_ok=True)
        (build / "acceptance" / f"{stack}.json").write_text(
            json.dumps({"stack": stack, "rulesChecked": result.rules_checked, "findings": []})
        )
    return build


def _row(html: str, rule: str) -> str:
    match = re.search(rf"<tr><td><code>{re.escape(rule)}</code></td>.*?</tr>", html, re.S)
    assert match, rule
    return match.group(0)


def test_clean_stacks_pass_and_waived_rules_are_not_applicable(tmp_path: Path) -> None:
    build = _build(tmp_path)
    index, verdict = write_report_with_verdict(build / "plan", build / "report")
    html = index.read_text()
    assert verdict.ok
    assert verdict.problems == []
    assert '<div id="verdict" class="banner ok">PASS' in html
    # Staging waives Multi-AZ in policies/config/staging.json: not a green pass there.
    row = _row(html, "rds-multi-az")
    assert '<td class="na">not applicable: Multi-AZ is not required on this stack</td>' in row
    assert '<td class="pass">pass</td>' in row  # prod
    assert "not applicable: deletion protection is not required" in _row(
        html, "rds-deletion-protection"
    )
    # Provenance: the commit and the versions of the tools that recorded the plans.
    commit = git_commit()
    assert commit is not None
    assert commit.sha[:12] in html
    for tool, version in tool_versions().items():
        assert f"<th>{tool}</th><td><code>{version}</code></td>" in html
    # Key settings side by side, differing rows marked.
    settings = html[html.index('id="key-settings"') : html.index('id="auditor"')]
    assert re.search(
        r'<tr class="differs"><td>database db-instance</td><td>instance class</td>\s*'
        r'<td class="value">db\.t4g\.medium</td><td class="value">db\.r6g\.large</td>',
        settings,
    )
    assert "<td>nodes nodes-group</td><td>maximum</td>" in settings
    assert "<td>tier edge-plan-free</td><td>rate (req/s)</td>" in settings


def test_a_violation_fails_the_banner_with_remediation_and_leads_parity(tmp_path: Path) -> None:
    build = _build(tmp_path, break_prod=True)
    index, verdict = write_report_with_verdict(build / "plan", build / "report")
    html = index.read_text()
    assert not verdict.ok
    assert "policy prod: 1 mandatory violation(s)" in verdict.problems
    assert any(p.startswith("parity: ") and "stale" in p for p in verdict.problems)
    assert '<div id="verdict" class="banner bad">FAIL' in html
    # The violation row carries the rule's remediation text.
    prod = html[html.index('id="stack-prod"') :]
    violation = re.search(r"<tr><td>rds-multi-az</td>.*?</tr>", prod, re.S)
    assert violation
    assert "<td>Set multi_az=True.</td>" in violation.group(0)
    # Parity: the declaration for multiAz now matches nothing; no undeclared row hides
    # behind declared ones: each undeclared group precedes every declared group.
    parity = html[html.index('id="parity"') :]
    statuses = re.findall(r'<span class="(pass|fail)">(declared|undeclared)</span>', parity)
    kinds = [kind for _, kind in statuses]
    assert kinds == sorted(kinds, key=lambda k: k == "declared")


def test_parity_groups_repeated_differences_and_collapses_long_values(tmp_path: Path) -> None:
    build = _build(tmp_path)
    index, _ = write_report_with_verdict(build / "plan", build / "report")
    parity = index.read_text()
    parity = parity[parity.index('id="parity"') :]
    rows = parity.count("<tr><td>")
    staging, prod = stack_plan("staging"), stack_plan("prod")
    from stacks.offline.parity import compare, load_allowed

    differences = compare(staging, prod, load_allowed()).differences
    assert rows < len(differences)  # grouped
    grouped = re.findall(r"<summary>(\d+) resources</summary>", parity)
    assert grouped
    assert sum(int(n) for n in grouped) + (rows - len(grouped)) == len(differences)
    # A value longer than 80 characters sits in a collapsed <details>.
    long_values = [
        d for d in differences if len(json.dumps(d.staging)) > 80 or len(json.dumps(d.prod)) > 80
    ]
    if long_values:
        assert re.search(r"<details><summary><code>[^<]{1,80}…</code></summary>", parity)
