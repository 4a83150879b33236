"""List pages reuse SQL compiled once per query shape, with each request's own values.

``VERIFY`` is on for every app test (tests/app/conftest.py), so each reused page in the
whole suite is also compiled by Django and compared; these tests pin what is reused,
what is not, and that values never travel between requests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.db import connections
from django.db.models import Count, QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.query import Query

from app.core import compiled_pages
from app.core.compiled_pages import compiled_pages as paged
from app.core.db_backend.base import DatabaseWrapper
from app.core.rls import read_scope, set_db_tenant
from app.people.models import Employee
from tests.app.factories import TenantWorld, add_second_team, build_tenant
from tests.app.spies import calls_of
from tests.app.test_selectors_without_rls import rls_bypassed as rls_bypassed
from tests.app.test_selectors_without_rls import sqlite_default as sqlite_default

COLUMNS = ("id", "employee_number", "first_name", "created_at")


@pytest.fixture(autouse=True)
def no_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled_pages, "_shapes", {})


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The models whose queries Django compiled (VERIFY off: it compiles on purpose)."""
    monkeypatch.setattr(compiled_pages, "VERIFY", False)
    return calls_of(
        monkeypatch,
        SQLCompiler,
        "as_sql",
        lambda compiler, *_: compiler.query.model.__name__ if compiler.query.model else "",
    )


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _rows(tenant: TenantWorld, queryset: QuerySet[Any]) -> list[dict[str, Any]]:
    with read_scope():
        set_db_tenant(tenant.tenant.pk)
        return list(queryset)


def test_a_page_is_compiled_once_per_shape(tenant_a: TenantWorld, compiles: list[str]) -> None:
    client = tenant_a.client("admin")
    first = client.get("/api/v1/employees/?page_size=2")
    assert compiles.count("Employee") == 1  # learning the shape, with sentinels
    for _ in range(3):
        assert client.get("/api/v1/employees/?page_size=2").json() == first.json()
    assert compiles.count("Employee") == 1
    client.get(first.json()["next"])  # a cursor adds a filter: a new shape, learned once
    client.get(first.json()["next"])
    assert compiles.count("Employee") == 2


def test_values_are_the_requests_own(tenant_a: TenantWorld, tenant_b: TenantWorld) -> None:
    a, b = tenant_a.client("admin"), tenant_b.client("admin")
    a_ids = {e.pk for e in _all(tenant_a)}
    b_ids = {e.pk for e in _all(tenant_b)}
    for _ in range(2):  # the same shape, alternately for each tenant
        assert set(_ids(a.get("/api/v1/employees/?page_size=50"))) == a_ids
        assert set(_ids(b.get("/api/v1/employees/?page_size=50"))) == b_ids
    page = a.get("/api/v1/employees/?page_size=2").json()
    second = _ids(a.get(page["next"]))
    assert second == sorted(a_ids, reverse=True)[2:4]  # the cursor's own position


def _all(tenant: TenantWorld) -> list[Employee]:
    with read_scope():
        set_db_tenant(tenant.tenant.pk)
        return list(Employee.objects.for_tenant(tenant.tenant.pk))


def test_every_role_sees_the_same_page_as_djangos_path(
    tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_second_team(tenant_a)
    pages = {}
    for role in ("admin", "hr", "manager", "employee", "peer"):
        pages[role] = tenant_a.client(role).get("/api/v1/employees/?page_size=3").json()
        # VERIFY compared every reused page; the rows must also be Django's own.
    monkeypatch.setattr(
        "app.core.views.compiled_pages", lambda queryset, fields: queryset.values(*fields)
    )
    for role, page in pages.items():
        assert tenant_a.client(role).get("/api/v1/employees/?page_size=3").json() == page


@pytest.mark.parametrize(
    ("name", "build", "probed"),
    [
        ("a join", lambda qs: qs.filter(manager__first_name="M-1"), 0),
        ("a list of values", lambda qs: qs.filter(id__in=[1, 2]), 0),
        ("a transformed column", lambda qs: qs.filter(hire_date__year=2022), 0),
        ("an annotation", lambda qs: qs.annotate(n=Count("id")), 0),
        ("distinct", lambda qs: qs.distinct(), 0),
        # Looks plain, but Django's parameter is "%test%", not the value: found once by
        # the sentinel compile, remembered as not reusable.
        ("a derived parameter", lambda qs: qs.filter(last_name__icontains="test"), 1),
    ],
)
def test_what_a_shape_cannot_describe_takes_djangos_path(
    tenant_a: TenantWorld, compiles: list[str], name: str, build: Any, probed: int
) -> None:
    base = Employee.objects.for_tenant(tenant_a.tenant.pk)
    expected = _rows(tenant_a, build(base).values(*COLUMNS).order_by("-id"))
    compiles.clear()
    for _ in range(3):
        got = _rows(tenant_a, paged(build(base), COLUMNS).order_by("-id"))
        assert got == expected, name
    assert compiles.count("Employee") == 3 + probed, name  # Django compiles every time
    assert list(compiled_pages._shapes.values()) == [None] * probed, name


def test_rows_are_the_same_as_djangos(tenant_a: TenantWorld) -> None:
    base = Employee.objects.for_tenant(tenant_a.tenant.pk)
    expected = _rows(tenant_a, base.values(*COLUMNS).order_by("-id").filter(id__lt=10**9)[:3])
    for _ in range(2):  # learned, then reused
        got = _rows(tenant_a, paged(base, COLUMNS).order_by("-id").filter(id__lt=10**9)[:3])
        assert got == expected


def test_a_reused_page_builds_no_values_query(
    tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The point of the model-query key: values() (a field lookup per column) is built
    # only to learn a shape, never for a page that reuses one.
    monkeypatch.setattr(compiled_pages, "VERIFY", False)
    built = calls_of(monkeypatch, Query, "set_values", lambda _query, fields: tuple(fields))
    base = paged(Employee.objects.for_tenant(tenant_a.tenant.pk), COLUMNS).order_by("-id")
    first = _rows(tenant_a, base[:3])
    assert built == [COLUMNS]
    assert [_rows(tenant_a, base[:3]) for _ in range(3)] == [first] * 3
    assert built == [COLUMNS]


def test_a_field_across_a_relation_takes_djangos_path(tenant_a: TenantWorld) -> None:
    add_second_team(tenant_a)
    fields = ("id", "manager__employee_number")
    base = Employee.objects.for_tenant(tenant_a.tenant.pk).order_by("-id")
    expected = _rows(tenant_a, base.values(*fields))
    assert any(row["manager__employee_number"] for row in expected)
    for _ in range(2):
        assert _rows(tenant_a, paged(base, fields)) == expected
    assert list(compiled_pages._shapes.values()) == [None]  # the join: not reusable


@pytest.mark.parametrize(
    ("lookup", "expected"),
    [("id__lt", 5), ("id__gt", 0), ("id__lte", 5), ("id__gte", 0)],
)
def test_an_integer_outside_the_column_range_takes_djangos_path(
    tenant_a: TenantWorld, lookup: str, expected: int
) -> None:
    # Django drops the condition (no bound) or answers no rows without a query; a
    # compiled page would send the value. Learned first with a value in range.
    base = paged(Employee.objects.for_tenant(tenant_a.tenant.pk), COLUMNS).order_by("-id")
    assert len(_rows(tenant_a, base.filter(**{lookup: 10**6 if "lt" in lookup else 1}))) == 5
    for value in (2**63, -(2**63) - 1):
        expected_rows = _rows(tenant_a, base.filter(**{lookup: value}))  # VERIFY on: no error
        django = Employee.objects.for_tenant(tenant_a.tenant.pk).filter(**{lookup: value})
        assert expected_rows == _rows(tenant_a, django.values(*COLUMNS).order_by("-id"))
    assert len(_rows(tenant_a, base.filter(**{lookup: 2**63}))) == expected


def test_string_values_are_parameters_too(tenant_a: TenantWorld) -> None:
    base = paged(Employee.objects.for_tenant(tenant_a.tenant.pk), COLUMNS).order_by("-id")
    for number in ("A-1", "M-1", "E-2", "A-1"):  # one shape, each request's own value
        got = _rows(tenant_a, base.filter(employee_number=number))
        assert [row["employee_number"] for row in got] == [number]
    learned = list(compiled_pages._shapes.values())
    assert len(learned) == 1
    assert learned[0] is not None  # reused, not Django's path each time


def test_verify_catches_a_reused_page_that_differs(tenant_a: TenantWorld) -> None:
    base = paged(Employee.objects.for_tenant(tenant_a.tenant.pk), COLUMNS)
    _rows(tenant_a, base.order_by("-id"))
    (key, learned), *_ = compiled_pages._shapes.items()
    assert learned is not None
    compiled_pages._shapes[key] = type(learned)(
        sql=learned.sql.replace("DESC", "ASC"), positions=learned.positions, names=learned.names
    )
    with pytest.raises(AssertionError, match="compiled page differs"):
        _rows(tenant_a, base.order_by("-id"))


def test_shapes_are_bounded(tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled_pages, "MAX_SHAPES", 3)
    base = paged(Employee.objects.for_tenant(tenant_a.tenant.pk), COLUMNS)
    for size in range(1, 8):  # each page size is a shape (LIMIT is in the SQL text)
        assert len(_rows(tenant_a, base.order_by("-id")[:size])) == min(size, 5)
    assert len(compiled_pages._shapes) == 3


def test_iterator_takes_djangos_path(tenant_a: TenantWorld, compiles: list[str]) -> None:
    base = paged(Employee.objects.for_tenant(tenant_a.tenant.pk), COLUMNS)
    with read_scope():
        set_db_tenant(tenant_a.tenant.pk)
        rows = list(base.order_by("-id").iterator(chunk_size=2))
    assert len(rows) == 5
    assert compiled_pages._shapes == {}


@pytest.mark.usefixtures("rls_bypassed")
def test_the_tenant_filter_alone_scopes_a_reused_page(
    tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    # Row-level security out of the way (as on SQLite): only the compiled filter's own
    # tenant value keeps tenant B's rows out of tenant A's page, and back.
    for world, other in ((tenant_b, tenant_a), (tenant_a, tenant_b), (tenant_b, tenant_a)):
        ids = set(_ids(world.client("admin").get("/api/v1/employees/?page_size=50")))
        assert ids == {e.pk for e in _all(world)}
        assert not ids & {e.pk for e in _all(other)}
    assert [v for v in compiled_pages._shapes.values() if v is not None]  # reused indeed


@pytest.mark.usefixtures("sqlite_default")
def test_a_shape_learned_on_another_backend_is_not_reused() -> None:
    # The alias "default" now points at SQLite (make serve's database). A page learned
    # while it pointed at PostgreSQL has the same model, alias and query; it must not
    # be run here (SQLite's rows need Django's converters, which it would skip).
    world = build_tenant("acme")
    base = Employee.objects.for_tenant(world.tenant.pk).order_by("-id")
    key, _ = compiled_pages._shape(base.query, "default", COLUMNS)
    sqlite = type(connections["default"])
    learned_elsewhere = tuple(DatabaseWrapper if k is sqlite else k for k in key)
    assert learned_elsewhere != key
    compiled_pages._shapes[learned_elsewhere] = compiled_pages._Compiled(
        sql="SELECT 1/0", positions=(0,), names=("id",)
    )
    expected = list(base.values(*COLUMNS))
    assert list(paged(base, COLUMNS)) == expected
    assert isinstance(expected[0]["created_at"], datetime)  # converted by Django
