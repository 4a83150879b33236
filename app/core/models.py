"""Base classes for tenant-owned models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.db.models.sql.query import Query

from app.core.compiled_pages import UnsupportedShape, where_shape, where_with_values

if TYPE_CHECKING:
    from app.tenants.models import Tenant

_M = TypeVar("_M", bound=models.Model)
_PROBE = 2**30 + 7  # a tenant id matched by identity in the filter Django builds


@dataclass(frozen=True)
class _TenantFilter:
    """Django's own ``filter(tenant_id=...)`` of a fresh queryset, and that fresh state."""

    start: dict[str, Any]  # a fresh queryset's query, as ``all()`` leaves it
    filtered: Query  # the same query after ``filter(tenant_id=_PROBE)``


_tenant_filters: dict[type[models.Model], _TenantFilter | None] = {}


def _tenant_filter(model: type[models.Model]) -> _TenantFilter | None:
    try:
        return _tenant_filters[model]
    except KeyError:
        pass
    start = dict(models.QuerySet(model).all().query.__dict__)
    filtered = models.QuerySet(model).filter(tenant_id=_PROBE).query
    values: list[Any] = []
    try:
        where_shape(filtered.where, values)
    except UnsupportedShape:
        values = []
    known = _TenantFilter(start, filtered) if len(values) == 1 and values[0] is _PROBE else None
    _tenant_filters[model] = known
    return known


class TenantQuerySet(models.QuerySet[_M]):
    def for_tenant(self, tenant: Tenant | int) -> TenantQuerySet[_M]:
        """``filter(tenant_id=...)``; from a fresh queryset, without building the filter.

        Every selector starts with ``Model.objects.for_tenant``, and Django building that
        one lookup (its field path, join and lookup objects) was about 5% of a list
        request (docs/performance.md). When the queryset is exactly as fresh as the one
        Django's filter was built on once, a copy of that query with this tenant's id is
        the same query Django would build (tests/app/test_tenant_filter.py compares them
        whole). Anything else is filtered by Django.
        """
        tenant_id = tenant if isinstance(tenant, int) else tenant.pk
        known = _tenant_filter(self.model) if type(tenant_id) is int else None
        pending: Any = self  # a filter deferred by a related manager, not in the query yet
        if known is not None and pending._deferred_filter is None:
            clone = self.all()
            if not pending._defer_next_filter and clone.query.__dict__ == known.start:
                query = known.filtered.clone()
                # Query.clone shares table_map's lists, and a later join appends to them:
                # the remembered query must not collect every caller's aliases.
                query.table_map = {
                    table: list(aliases) for table, aliases in query.table_map.items()
                }
                query.where = where_with_values(known.filtered.where, iter([tenant_id]))
                clone.query = query
                return clone
        return self.filter(tenant_id=tenant_id)


class TenantOwned(models.Model):
    """A row that belongs to exactly one tenant; its table gets row-level security."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
