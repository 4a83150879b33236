"""Meta-tests: every check the pack can report is provoked by at least one mutation.

A rule is counted per ``violation(...)`` call site, so a new rule or a new checked
property without a failing variant in ``tests/policies/mutations.py`` fails here.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from types import FrameType

import pytest
from pulumi_policy import ReportViolation

import policies
from stacks.offline.policy import _Recorder
from tests.policies.conftest import run
from tests.policies.mutations import MUTATIONS
from tests.policies.plans import baseline, mutate

pytestmark = pytest.mark.policy

PACK_DIR = Path(policies.__file__).resolve().parent
COMMON = PACK_DIR / "common.py"

Site = tuple[str, int, int]  # file name, first and last line of the violation(...) call


def violation_sites() -> list[Site]:
    sites: list[Site] = []
    for path in sorted(PACK_DIR.glob("*.py")):
        if path == COMMON:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "violation"
            ):
                sites.append((path.name, node.lineno, node.end_lineno or node.lineno))
    return sorted(sites)


def _caller_in_pack(frame: FrameType | None) -> tuple[str, int] | None:
    while frame is not None:
        path = Path(frame.f_code.co_filename).resolve()
        if path.parent == PACK_DIR and path != COMMON:
            return path.name, frame.f_lineno
        frame = frame.f_back
    return None


@pytest.fixture
def hit_sites(monkeypatch: pytest.MonkeyPatch) -> set[tuple[str, int]]:
    hits: set[tuple[str, int]] = set()
    original = _Recorder.reporter

    def reporter(self: _Recorder, default_urn: str) -> ReportViolation:
        inner = original(self, default_urn)

        def report(message: str, urn: str | None = None) -> None:
            where = _caller_in_pack(sys._getframe(1))
            if where is not None:
                hits.add(where)
            inner(message, urn)

        return report

    monkeypatch.setattr(_Recorder, "reporter", reporter)
    return hits


def test_sites_are_found() -> None:
    # The scan itself must see the pack: one call site per checked property at least.
    sites = violation_sites()
    assert len(sites) >= 60
    assert {s[0] for s in sites} >= {"database.py", "network.py", "kubernetes.py"}


@pytest.mark.slow
def test_every_violation_site_is_provoked_by_a_mutation(hit_sites: set[tuple[str, int]]) -> None:
    for m in MUTATIONS:
        for stack in m.stacks:
            run(mutate(baseline(stack), m))
    missed = [
        f"{name}:{first}"
        for name, first, last in violation_sites()
        if not any(h[0] == name and first <= h[1] <= last for h in hit_sites)
    ]
    assert missed == [], "checks no mutation in tests/policies/mutations.py provokes"
