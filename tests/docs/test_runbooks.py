"""Every alarm's description links to a runbook section that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.observability.alarms import RUNBOOK_PATH, description
from infra.observability.signals import AlarmThresholds, alarm_specs
from tests.infra.test_observability import TARGETS

ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = ROOT / "docs" / "runbooks"
LINK = re.compile(r"Runbook: (?P<path>[^#\s]+)#(?P<anchor>[\w-]+)")


def anchors(markdown: str) -> set[str]:
    """Explicit ``<a id>`` anchors plus the ids GitHub derives from headings."""
    found = set(re.findall(r'<a id="([\w-]+)"></a>', markdown))
    for heading in re.findall(r"^#{1,6} (.+)$", markdown, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_anchor_parser_reads_ids_and_headings() -> None:
    text = '<a id="x-y"></a>\n## Daily checks (prod)\n'
    assert anchors(text) == {"x-y", "daily-checks-prod"}


def test_every_catalog_alarm_links_to_an_existing_section() -> None:
    sections = anchors((ROOT / RUNBOOK_PATH).read_text(encoding="utf-8"))
    for spec in alarm_specs(TARGETS, AlarmThresholds()):
        link = LINK.search(description(spec, RUNBOOK_PATH))
        assert link is not None, spec.key
        assert (ROOT / link["path"]).is_file()
        assert link["anchor"] in sections, f"{spec.key} -> #{link['anchor']} missing"


REQUIRED_PARTS = ("**Means:**", "**First checks**", "**Mitigation", "**Escalation:**", "**Recovery")


def test_each_alarm_section_has_meaning_checks_mitigation_escalation_recovery() -> None:
    text = (ROOT / RUNBOOK_PATH).read_text(encoding="utf-8")
    used = {s.anchor for s in alarm_specs(TARGETS, AlarmThresholds())}
    chunks = re.split(r'<a id="([\w-]+)"></a>', text)
    sections = dict(zip(chunks[1::2], chunks[2::2], strict=True))
    for anchor in used:
        body = sections[anchor]
        for part in REQUIRED_PARTS:
            assert part in body, f"#{anchor} lacks {part}"
        assert "```" in body, f"#{anchor} has no exact commands"
        assert "SEV" in body, f"#{anchor} names no severity"


@pytest.mark.parametrize(
    "anchor",
    [
        "severity-levels",
        "incident-procedure",
        "daily-checks",
        "deploy",
        "rollback",
        "backup-and-restore",
        "disaster-recovery",
    ],
)
def test_operations_runbook_has_the_procedures(anchor: str) -> None:
    assert anchor in anchors((RUNBOOKS / "operations.md").read_text(encoding="utf-8"))


def test_disaster_recovery_states_rto_and_rpo() -> None:
    text = (RUNBOOKS / "operations.md").read_text(encoding="utf-8")
    assert "RTO < 2 hours" in text
    assert "RPO <= 5 minutes" in text


def test_relative_links_between_runbooks_resolve() -> None:
    for page in RUNBOOKS.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        for target, anchor in re.findall(r"\]\(([\w.-]+\.md)?#([\w-]+)\)", text):
            linked = RUNBOOKS / target if target else page
            assert linked.is_file(), f"{page.name} -> {target}"
            assert anchor in anchors(linked.read_text(encoding="utf-8")), (
                f"{page.name} -> {target or page.name}#{anchor}"
            )
