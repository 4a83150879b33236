"""``for_tenant`` builds the same query as Django's ``filter(tenant_id=...)``, faster.

From a fresh queryset it copies the query Django built once and puts the tenant's id
in it (app/core/models.py). These tests compare the two queries whole, for every
tenant-owned model, and check that anything else is left to Django.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.db.models.sql.query import Query

from app.core.models import _PROBE, TenantQuerySet, _tenant_filters
from app.core.rls import set_db_tenant
from app.people.models import Department, Employee
from tests.app.factories import TenantWorld
from tests.app.spies import calls_of
from tests.app.test_selectors_without_rls import rls_bypassed as rls_bypassed

pytestmark = pytest.mark.django_db

TENANT_MODELS = [
    model for model in apps.get_models() if isinstance(model._default_manager.all(), TenantQuerySet)
]


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[Q]:
    """Every filter Django builds from here on."""
    return calls_of(monkeypatch, Query, "add_q", lambda _query, q_object, *_: q_object)


def _sql(queryset: Any) -> tuple[str, tuple[Any, ...]]:
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    return sql, tuple(params)


def test_every_tenant_owned_model_is_covered() -> None:
    names = {model.__name__ for model in TENANT_MODELS}
    assert {"Employee", "Department", "Membership", "AccessToken", "LeaveRequest"} <= names


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("tenant_id", [1, 7, 2**31 - 1])
def test_the_query_is_djangos_own(model: Any, tenant_id: int, built: list[Q]) -> None:
    model.objects.for_tenant(tenant_id + 1)  # the first call per model has Django build one
    expected = model.objects.filter(tenant_id=tenant_id)
    built.clear()
    ours = model.objects.for_tenant(tenant_id)
    assert built == []  # no filter built by Django: the copy was used
    assert ours.query.__dict__ == expected.query.__dict__
    assert _sql(ours) == _sql(expected)
    assert type(ours) is type(expected)


@pytest.mark.parametrize(
    "then",
    [
        lambda qs: qs.filter(pk=3),
        lambda qs: qs.filter(Q(membership_id=1) | Q(manager__membership_id=1)),
        lambda qs: qs.exclude(employment_status="terminated").order_by("-id")[:5],
        lambda qs: qs.select_related("department").values("id", "department__name"),
        lambda qs: qs.select_for_update().filter(pk=3),
    ],
)
def test_what_follows_builds_the_same_query(then: Any) -> None:
    expected = then(Employee.objects.filter(tenant_id=4))
    ours = then(Employee.objects.for_tenant(4))
    assert _sql(ours) == _sql(expected)
    assert ours.query.__dict__ == expected.query.__dict__


@pytest.mark.parametrize(
    "start",
    [
        lambda: Department.objects.filter(code="SAL"),
        lambda: Department.objects.order_by("code"),
        lambda: Department.objects.select_related("tenant"),
        lambda: Department.objects.values("id"),
    ],
)
def test_any_other_start_is_filtered_by_django(start: Any, built: list[Q]) -> None:
    expected = start().filter(tenant_id=4)
    base = start()
    built.clear()
    ours = base.for_tenant(4)
    assert len(built) == 1  # Django's own filter
    assert _sql(ours) == _sql(expected)
    assert ours.query.__dict__ == expected.query.__dict__


def test_a_sliced_queryset_is_refused_as_django_refuses_it() -> None:
    with pytest.raises(TypeError, match="Cannot filter a query once a slice has been taken"):
        Department.objects.all()[:2].for_tenant(4)


def test_an_id_that_is_not_exactly_an_int_is_left_to_django(built: list[Q]) -> None:
    ours = Department.objects.for_tenant(True)
    assert len(built) == 1
    assert _sql(ours) == _sql(Department.objects.filter(tenant_id=True))


def test_the_remembered_query_collects_nothing_from_its_copies() -> None:
    first = Employee.objects.for_tenant(4)
    joined = first.filter(manager__membership_id=1)  # a second people_employee alias
    assert "T3" in str(joined.query) or "T4" in str(joined.query)
    again = Employee.objects.for_tenant(5)
    assert again.query.__dict__ == Employee.objects.filter(tenant_id=5).query.__dict__


def test_the_database_chosen_is_kept(built: list[Q]) -> None:
    Department.objects.for_tenant(1)
    built.clear()
    ours = Department.objects.using("default").for_tenant(4)
    assert built == []
    assert ours.db == "default"
    assert vars(ours)["_db"] == "default"  # chosen, not the router's answer


def _remembered_is_djangos(model: Any) -> None:
    remembered = _tenant_filters[model]
    assert remembered is not None
    assert remembered.filtered.__dict__ == model.objects.filter(tenant_id=_PROBE).query.__dict__


@pytest.mark.parametrize(
    "use",
    [
        lambda: Employee.objects.filter(id__in=Employee.objects.for_tenant(1).values("id")),
        lambda: Employee.objects.filter(
            Exists(Employee.objects.for_tenant(1).filter(manager=OuterRef("pk")))
        ),
        lambda: Employee.objects.for_tenant(1) | Employee.objects.for_tenant(2),
        lambda: (
            Employee.objects.for_tenant(1).filter(manager__first_name="a")
            | Employee.objects.for_tenant(2).filter(department__name="b")
        ),
        lambda: Employee.objects.for_tenant(1) & Employee.objects.for_tenant(2),
        lambda: Employee.objects.for_tenant(1).exclude(reports__first_name="x"),
        lambda: Employee.objects.for_tenant(1).union(Employee.objects.for_tenant(2)),
        lambda: Employee.objects.for_tenant(1).annotate(n=Count("reports")),
        lambda: Employee.objects.for_tenant(1).values("manager__manager__first_name"),
        lambda: Department.objects.for_tenant(1).prefetch_related(
            Prefetch("employees", queryset=Employee.objects.for_tenant(1))
        ),
    ],
)
def test_the_remembered_query_is_left_as_django_built_it(use: Any) -> None:
    # Each of these clones, relabels, joins or resolves the copy; none may reach back
    # into the remembered query, or the next tenant's copy would carry it.
    Employee.objects.for_tenant(9)
    Department.objects.for_tenant(9)
    list(use())
    _remembered_is_djangos(Employee)
    _remembered_is_djangos(Department)
    for tenant_id in (5, 6):
        expected = Employee.objects.filter(tenant_id=tenant_id).query
        assert Employee.objects.for_tenant(tenant_id).query.__dict__ == expected.__dict__


def test_a_copied_lookup_deconstructs_with_its_own_tenant() -> None:
    Employee.objects.for_tenant(9)
    (lookup,) = Employee.objects.for_tenant(5).query.where.children
    _path, args, _kwargs = lookup.deconstruct()
    assert args[1] == 5


def test_a_related_managers_filter_is_applied_by_django(
    tenant_a: TenantWorld, built: list[Q]
) -> None:
    department = tenant_a.department
    assert department is not None
    with transaction.atomic():
        set_db_tenant(tenant_a.tenant.pk)
        expected = set(department.employees.filter(tenant_id=tenant_a.tenant.pk))
        built.clear()
        ours = department.employees.for_tenant(tenant_a.tenant.pk)
        assert set(ours) == expected
    assert len(built) == 2  # the manager's own filter, then the tenant's


@pytest.mark.usefixtures("rls_bypassed")
def test_each_call_reads_its_own_tenant(tenant_a: TenantWorld, tenant_b: TenantWorld) -> None:
    # Row-level security out of the way: only the copied filter's own id separates them.
    def ids(world: TenantWorld) -> set[int]:
        with transaction.atomic():
            set_db_tenant(world.tenant.pk)
            return set(Employee.objects.for_tenant(world.tenant).values_list("id", flat=True))

    a, b = ids(tenant_a), ids(tenant_b)
    assert a
    assert b
    assert not a & b
    assert [ids(tenant_a), ids(tenant_b), ids(tenant_a)] == [a, b, a]
    assert a == {e.pk for e in Employee.objects.filter(tenant_id=tenant_a.tenant.pk)}
