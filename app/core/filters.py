"""Filter types shared by the API's filter sets."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request

MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):  # type: ignore[misc]
    """A primary-key filter; out-of-range values are a 400, not a database error."""

    field_class = forms.IntegerField

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class QueryFilterBackend(DjangoFilterBackend):  # type: ignore[misc]
    """django-filter's backend, not run for a query string that names none of the filters.

    Building and validating the filter set's form for an unfiltered page cost about a
    tenth of the list endpoint (docs/performance.md), and with no filter value it
    returns the queryset unchanged. A parameter starting with a filter's name (``name``
    itself, or a range widget's ``name_min``) takes the full path, errors included.
    """

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: Any
    ) -> QuerySet[Any]:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        names = tuple(filterset_class.base_filters)
        if not any(key.startswith(names) for key in request.query_params):
            return queryset
        filtered: QuerySet[Any] = super().filter_queryset(request, queryset, view)
        return filtered
