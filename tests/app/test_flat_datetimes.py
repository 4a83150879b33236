"""Flat rows write a ``datetime`` exactly as DRF's ``DateTimeField`` does, fast path or not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers

from app.core.serializers import _datetime

DRF = serializers.DateTimeField()

EDGES = [
    datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),  # no fraction: DRF writes none
    datetime(2026, 1, 2, 3, 4, 5, 1, tzinfo=UTC),
    datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC),  # trailing zeros kept
    datetime(1, 1, 1, tzinfo=UTC),  # four-digit year
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo("UTC")),  # UTC, but not the same object
    datetime(2026, 6, 1, 12, 0, 0, 5, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 6, 1, 23, 30, tzinfo=ZoneInfo("America/Los_Angeles")),  # next day in UTC
]


@pytest.mark.parametrize("value", EDGES, ids=str)
def test_edges_match_drf(value: datetime) -> None:
    assert _datetime(value) == DRF.to_representation(value)


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, ZoneInfo("Europe/Berlin"), timezone(-timedelta(hours=3))]),
    )
)
def test_any_aware_value_matches_drf(value: datetime) -> None:
    assert _datetime(value) == DRF.to_representation(value)
