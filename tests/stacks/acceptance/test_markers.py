"""Acceptance skips exactly the plan's markers, whatever shape a known value has."""

from __future__ import annotations

import pytest

from stacks.offline.acceptance.rules import _known
from stacks.offline.plan import MARKERS, REDACTED, UNKNOWN

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("marker", sorted(MARKERS))
def test_markers_are_not_known_values(marker: str) -> None:
    assert not _known(marker)


@pytest.mark.parametrize("value", [["t3.large"], {"a": 1}, "t3.large", 0, False])
def test_lists_maps_and_scalars_are_known(value: object) -> None:
    # A node group's instanceTypes is a list: it must be checked, not crash the lookup.
    assert _known(value)


def test_the_markers_are_the_ones_the_engine_writes() -> None:
    assert {UNKNOWN, REDACTED} == MARKERS == {"[unknown]", "[secret]"}
