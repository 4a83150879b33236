"""docs/offline-preview.md lists exactly the enforced acceptance rules, each with its source."""

from __future__ import annotations

import re
from pathlib import Path

from stacks.offline.acceptance.check import RULES

DOC = Path(__file__).resolve().parents[3] / "docs" / "offline-preview.md"


def test_rule_table_matches_the_registry() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("<!-- acceptance-rules:start -->", 1)[1].split(
        "<!-- acceptance-rules:end -->", 1
    )[0]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (.+?) \| (.+?) \|$", section, flags=re.M)
    assert [r[0] for r in rows] == sorted(RULES)
    for rule_id, summary, source in rows:
        assert summary.strip(), rule_id
        assert source.strip(), rule_id
