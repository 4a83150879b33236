"""``timestamptz`` values parsed in C equal what Django's loader gives (db_backend/timestamps)."""

from __future__ import annotations

from datetime import UTC

import psycopg
import pytest
from django.db import DataError, connection, transaction
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg.pq import Format

from app.core.db_backend.timestamps import TIMESTAMPTZ_OID, CParsedTzLoader

pytestmark = pytest.mark.django_db

VALUES = (
    "2026-01-01 10:00:00+00",  # no fraction: isoformat drops it
    "2026-06-30 23:59:59.999999+05:30",
    "1999-12-31 23:59:59.5-08",
    "2024-02-29 12:00:00.000001+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
)


def _django_loader() -> BaseTzLoader:
    specific = type("Specific", (BaseTzLoader,), {"timezone": connection.timezone})
    return specific(TIMESTAMPTZ_OID, connection.connection)


def test_connections_parse_timestamps_in_c() -> None:
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert issubclass(loader, CParsedTzLoader)
    assert loader.timezone == connection.timezone  # Django's per-cursor check passes
    parser = loader(TIMESTAMPTZ_OID, connection.connection)._parse
    assert type(parser.__self__).__module__ == "psycopg_binary._psycopg"  # the C class


@pytest.mark.parametrize("text", VALUES)
def test_values_match_djangos_loader(text: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz::text, %s::timestamptz", [text, text])
        wire, loaded = cursor.fetchone()
    expected = _django_loader().load(wire.encode())
    assert loaded == expected
    assert loaded.tzinfo == expected.tzinfo
    assert loaded.isoformat() == expected.isoformat()


def test_out_of_range_values_fail_as_before() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'infinity'::timestamptz::text")
        (wire,) = cursor.fetchone()
    with pytest.raises(psycopg.DataError) as djangos:
        _django_loader().load(wire.encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'infinity'::timestamptz")
        with pytest.raises(DataError) as ours:
            cursor.fetchone()
    assert str(ours.value) == str(djangos.value)  # "timestamp too large (after year 10K)..."


def test_loaded_values_take_the_serializers_utc_fast_path() -> None:
    # app.core.serializers._datetime formats values whose tzinfo *is* datetime.UTC
    # without isoformat(); that is what every value read from the database carries.
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [VALUES[1]])
        (loaded,) = cursor.fetchone()
    assert loaded.tzinfo is UTC


def test_in_djangos_zone_values_are_loaded_by_psycopg_alone() -> None:
    # The session's zone is Django's (UTC), so psycopg's values need no ``replace``:
    # the loader hands psycopg the C method itself, with no Python frame per value.
    connection.ensure_connection()
    loader_class = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    loader = loader_class(TIMESTAMPTZ_OID, connection.connection)
    assert type(loader.load.__self__).__module__ == "psycopg_binary._psycopg"


@pytest.mark.parametrize("text", VALUES[:4])
def test_in_another_session_zone_values_get_djangos_zone(text: str) -> None:
    # Someone set the session's zone to another: psycopg's values carry that zone, and
    # the loader still gives each the one Django expects, as Django's own loader does.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'Asia/Kolkata'")
        cursor.execute("SELECT %s::timestamptz::text, %s::timestamptz", [text, text])
        wire, loaded = cursor.fetchone()
        loader_class = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        assert "load" not in vars(loader_class(TIMESTAMPTZ_OID, connection.connection))
    assert wire.endswith("+05:30")
    expected = _django_loader().load(wire.encode())
    assert (loaded, loaded.tzinfo) == (expected, expected.tzinfo)
    assert loaded.tzinfo is UTC
