"""``timestamptz`` values parsed by psycopg's C loader, with the time zone Django sets.

Django loads every ``timestamptz`` through a subclass of psycopg's pure-Python loader
(it then sets the ``tzinfo`` Django wants), so none is parsed by the C implementation
psycopg ships, and that class cannot be subclassed. A page of 50 employees holds 100
such values: about 8 µs each in Python, under 1 µs in C (docs/performance.md). This
loader is Django's class, ``timezone`` attribute included (Django's per-cursor check
reads it), with only the parse swapped; the values are the same. When the session's
zone is Django's, as Django sets it, psycopg's values already carry it and psycopg's
method is used as it is.
"""

from __future__ import annotations

import functools
from datetime import tzinfo
from typing import Any

from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg import adapters
from psycopg.abc import AdaptContext
from psycopg.adapt import AdaptersMap
from psycopg.pq import Format

TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid
# psycopg's global map holds the C class when psycopg-binary or psycopg-c is installed,
# its Python one otherwise (still correct, only not faster).
_PARSER: Any = adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)


class CParsedTzLoader(BaseTzLoader):  # type: ignore[misc]
    """Django's ``timestamptz`` loader with the parse done by psycopg's fastest loader."""

    def __init__(self, oid: int, context: AdaptContext | None = None) -> None:
        super().__init__(oid, context)
        self._parse = _PARSER(oid, context).load
        connection = context.connection if context is not None else None
        if connection is not None and connection.info.timezone is self.timezone:
            # psycopg's loader already gives values the session's zone, and it is
            # Django's (as Django sets it): the per-value ``replace``, and this method's
            # frame, would be half the loading time (docs/performance.md).
            self.load = self._parse  # type: ignore[method-assign]

    def load(self, data: Any) -> Any:
        return self._parse(data).replace(tzinfo=self.timezone)


@functools.cache
def with_c_parsed_timestamps(template: AdaptersMap, timezone: tzinfo | None) -> AdaptersMap:
    """``template`` (Django's adapters for ``timezone``) with ``CParsedTzLoader`` instead."""
    specific = type("SpecificCParsedTzLoader", (CParsedTzLoader,), {"timezone": timezone})
    context = AdaptersMap(template)
    context.register_loader("timestamptz", specific)
    return context
