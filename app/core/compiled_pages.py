"""List pages run SQL that Django compiled once per query shape, not once per request.

A list request builds its queryset as before (the selector's scope, the filters, the
paginator's ordering, cursor and slice), then Django compiles it to SQL and reads the
rows through its iterators; compiling and iterating were about a fifth of a list
request's CPU (docs/performance.md). Here only that compilation is reused: the
queryset, and so every scoping rule, is still built per request by the same code. The
page is read as ``values(*fields)`` dicts, but ``values()`` is applied only to learn a
shape or to take Django's path: the key is read from the model query.

A query's *shape* is everything that decides its SQL text: model, database and its
backend, the fields read, ordering, slice, and the filter tree with each lookup's
class and column. Its filter values are the SQL's parameters. A shape is learned by
letting Django compile a copy of the query whose filter values are replaced by
sentinels, one per position: the compiled parameters must be exactly those sentinels,
each once and nothing else, and then say where each value goes. Anything this cannot
describe takes Django's own path, unchanged: joins, annotations, ``extra``, distinct,
a value that is not a plain ``int`` or ``str``, a lookup on a transformed column, a
parameter Django derives from a value (a LIKE pattern), or rows Django would convert.

``VERIFY`` (set by the test suite) compiles every reused query with Django as well
and fails on any difference in SQL or parameters.
"""

from __future__ import annotations

import copy
import functools
import itertools
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import Col
from django.db.models.lookups import IntegerFieldOverflow, Lookup
from django.db.models.query import ValuesIterable
from django.db.models.sql.datastructures import BaseTable
from django.db.models.sql.query import Query
from django.db.models.sql.where import WhereNode

VERIFY = False
MAX_SHAPES = 512  # page sizes and cursor directions multiply shapes; keep memory bounded

# Query attributes that must hold these values for the shape to describe the SQL.
_PLAIN = {
    "annotations": {},
    "extra": {},
    "extra_tables": (),
    "extra_order_by": (),
    "distinct": False,
    "distinct_fields": (),
    "select_for_update": False,
    "select_related": False,
    "group_by": None,
    "combinator": None,
    "combined_queries": (),
    "subquery": False,
    "external_aliases": {},
    "explain_info": None,
    "default_cols": True,  # a model query: values() is not applied yet
}


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positions: tuple[int, ...]  # for each SQL parameter, the filter value it takes
    names: tuple[str, ...]


_shapes: dict[Hashable, _Compiled | None] = {}
_sentinel_serial = itertools.count()


class UnsupportedShape(Exception):
    """The query has something its shape key does not describe."""


def where_shape(node: Any, values: list[Any], ranged: list[Lookup] | None = None) -> Hashable:
    """``node``'s filter tree without its values, which are appended to ``values`` in order.

    Lookups of a plain column against a plain ``int`` or ``str`` only; anything else is
    an ``UnsupportedShape``. Lookups whose SQL depends on the value's range (Django
    answers an integer outside the column's range itself) are appended to ``ranged``.
    """
    if type(node) is WhereNode:
        children = tuple(where_shape(child, values, ranged) for child in node.children)
        return ("node", node.connector, node.negated, children)
    if isinstance(node, Lookup) and type(node.lhs) is Col and type(node.rhs) in (int, str):
        values.append(node.rhs)
        if ranged is not None and isinstance(node, IntegerFieldOverflow):
            ranged.append(node)
        lhs = node.lhs
        return ("lookup", type(node), lhs.alias, lhs.target, lhs.output_field, type(node.rhs))
    raise UnsupportedShape


def _in_range(lookup: Lookup, db: str) -> bool:
    # As Django's IntegerFieldOverflow: out of range, it leaves the SQL out (no rows, or
    # no condition), where the compiled SQL would send the value.
    low, high = connections[db].ops.integer_field_range(lookup.lhs.output_field.get_internal_type())
    value: int = lookup.rhs
    return (low is None or value >= low) and (high is None or value <= high)


def _shape(query: Query, db: str, fields: tuple[str, ...]) -> tuple[Hashable, list[Any]]:
    """The key of ``query.values(*fields)``'s SQL, read from the model query it starts from.

    ``values()`` itself is not called: building its select (a lookup per field) cost
    about as much as compiling the query. A model query with nothing but filters,
    ordering and a slice gets the same ``values()`` query every time, so ``fields``
    stands in for its select in the key.
    """
    if type(query) is not Query:
        raise UnsupportedShape
    # One table in FROM: a filter through a foreign key leaves a trimmed join with no
    # references behind, which the compiler leaves out, so it is not part of the shape.
    emitted = tuple(alias for alias in query.alias_map if query.alias_refcount[alias])
    if len(emitted) != 1 or type(query.alias_map[emitted[0]]) is not BaseTable:
        raise UnsupportedShape
    for name, plain in _PLAIN.items():
        if getattr(query, name) != plain:
            raise UnsupportedShape
    if query.deferred_loading != (frozenset(), True) or query.values_select or query.select:
        raise UnsupportedShape
    if not all(type(term) is str for term in query.order_by):
        raise UnsupportedShape
    values: list[Any] = []
    ranged: list[Lookup] = []
    where = where_shape(query.where, values, ranged)
    if not all(_in_range(lookup, db) for lookup in ranged):
        raise UnsupportedShape
    key = (
        query.model,
        db,
        # The backend writes the SQL and decides the converters; an alias can be pointed
        # at another one (the tests swap SQLite in for PostgreSQL).
        type(connections[db]),
        fields,
        query.order_by,
        query.default_ordering,
        query.standard_ordering,
        query.low_mark,
        query.high_mark,
        emitted,
        where,
    )
    return key, values


def where_with_values(node: WhereNode, values: Iterator[Any]) -> WhereNode:
    """A copy of ``node`` whose lookups take the next of ``values``, in shape order."""
    children: list[Any] = []
    for child in node.children:
        if type(child) is WhereNode:
            children.append(where_with_values(child, values))
        else:  # a Lookup: where_shape accepted nothing else
            replaced: Any = copy.copy(child)
            replaced.rhs = next(values)
            # What deconstruct() reports: the lookup as if built with this value.
            replaced._constructor_args = ((replaced.lhs, replaced.rhs), {})
            children.append(replaced)
    return WhereNode(children, connector=node.connector, negated=node.negated)


def _sentinels(values: list[Any]) -> list[Any]:
    # Fresh objects of the original types, matched by identity: Django prepares a
    # parameter by its type, so a sentinel that comes back as itself shows the real value
    # would have too. Integers stay inside a 32-bit column's range, which Django checks.
    made: list[Any] = []
    for value in values:
        serial = next(_sentinel_serial) % 2**29
        made.append(2**30 + serial if type(value) is int else f"Sentinel-{serial}-\u00e9")
    return made


def _learn(query: Query, db: str) -> _Compiled | None:
    """``query`` (a ``values()`` one) compiled with sentinels, if its SQL is reusable."""
    emitted = [alias for alias in query.alias_map if query.alias_refcount[alias]]
    if len(emitted) != 1:  # a field across a relation joins its table
        return None
    values: list[Any] = []
    where_shape(query.where, values)
    sentinels = _sentinels(values)
    probe = query.clone()
    probe.where = where_with_values(query.where, iter(sentinels))
    compiler = probe.get_compiler(db)
    try:
        sql, params = compiler.as_sql()
    except (EmptyResultSet, FullResultSet):  # Django's path answers these itself
        return None
    fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
    if compiler.has_extra_select or compiler.get_converters(fields):
        return None
    if compiler.has_composite_fields(fields):
        return None
    positions = []
    for param in params:
        found = [i for i, sentinel in enumerate(sentinels) if param is sentinel]
        if len(found) != 1:
            return None
        positions.append(found[0])
    if sorted(positions) != list(range(len(sentinels))):
        return None  # a value used twice or not at all: not a plain parameter list
    names = tuple(query.selected) if query.selected else tuple(query.values_select)
    if len(names) != len(fields):
        return None
    return _Compiled(sql=sql, positions=tuple(positions), names=names)


class CompiledValuesIterable(ValuesIterable):
    """``values(*fields)`` rows of a model queryset, from SQL compiled once per shape.

    Each ``compiled_pages`` call's class sets ``fields``. Whatever the shape cannot
    describe is handed to Django's ``values()`` as it is.
    """

    fields: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        queryset = self.queryset
        db = queryset.db
        try:
            if self.chunked_fetch:
                raise UnsupportedShape
            key, values = _shape(queryset.query, db, self.fields)
        except UnsupportedShape:
            yield from self._djangos()
            return
        try:
            compiled = _shapes[key]
        except KeyError:
            compiled = _learn(self._values_queryset().query, db)
            if len(_shapes) >= MAX_SHAPES:
                # Another thread may evict the same one: either way one goes.
                _shapes.pop(next(iter(_shapes), None), None)
            _shapes[key] = compiled
        if compiled is None:
            yield from self._djangos()
            return
        params = [values[i] for i in compiled.positions]
        if VERIFY:
            expected = self._values_queryset().query.get_compiler(db).as_sql()
            if (compiled.sql, tuple(params)) != (expected[0], tuple(expected[1])):
                raise AssertionError(f"compiled page differs: {compiled.sql!r} {params!r}")
        with connections[db].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        names = compiled.names
        for row in rows:
            yield dict(zip(names, row, strict=False))

    def _values_queryset(self) -> QuerySet[Any]:
        return self.queryset.values(*self.fields)

    def _djangos(self) -> Iterator[dict[str, Any]]:
        rows = ValuesIterable(
            self._values_queryset(), chunked_fetch=self.chunked_fetch, chunk_size=self.chunk_size
        )
        yield from rows


@functools.cache
def _iterable_of(fields: tuple[str, ...]) -> type[CompiledValuesIterable]:
    return type("CompiledValuesIterable", (CompiledValuesIterable,), {"fields": fields})


def compiled_pages(queryset: QuerySet[Any], fields: Sequence[str]) -> QuerySet[Any]:
    """``queryset`` (of model rows) reading ``values(*fields)`` through ``CompiledValuesIterable``.

    Filter, order and slice it as any queryset; its rows are ``values(*fields)``'s dicts.
    What changes the rows themselves (``only``, ``select_related``, ``annotate``,
    ``prefetch_related``) belongs before this call, as it would before ``values()``.
    """
    clone = queryset.all()
    # Django's extension point for the row type; order_by, filter and slicing keep it.
    clone._iterable_class = _iterable_of(tuple(fields))
    return clone
