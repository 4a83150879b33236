"""Helpers shared by the API views."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from rest_framework.request import Request
from rest_framework.response import Response

from app.core.compiled_pages import compiled_pages
from app.core.errors import NotFoundError
from app.core.serializers import FlatRepresentationMixin
from app.tenants.authentication import TenantAuth
from app.tenants.models import Membership


def actor_of(request: Request) -> Membership:
    """The authenticated membership (TenantTokenAuthentication guarantees it)."""
    return cast(TenantAuth, request.auth).membership


def pk_from_url(raw: str) -> int:
    """A URL primary key as an int; anything that cannot be one is simply not found."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise NotFoundError from None
    if value < 1 or value > 2**63 - 1:
        raise NotFoundError
    return value


class FlatListMixin:
    """``list`` reads only the serializer's columns, as dicts, when its rows are flat.

    With ``FlatRepresentationMixin`` a page's rows need no model instances: building 50
    of them (``Model.from_db``, its signals and descriptors) was the largest cost left
    in the list endpoint (docs/performance.md). Same queryset, filters and pagination;
    only the selected columns and the row type differ, and the JSON is the same. Its
    SQL is compiled once per query shape (``app.core.compiled_pages``), and the page is
    written by ``FlatRepresentationMixin.flat_rows``, not a list serializer per request.
    So a flat list does not call the view's ``get_serializer`` or its context: a view
    that customises either for its list should not use this mixin.
    """

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self  # mixed into a GenericAPIView
        queryset: QuerySet[Any] = view.filter_queryset(view.get_queryset())
        serializer_class = view.get_serializer_class()
        flat = issubclass(serializer_class, FlatRepresentationMixin)
        sources = serializer_class.flat_sources() if flat else None
        if sources is not None:
            queryset = compiled_pages(queryset, sources)
        page = view.paginate_queryset(queryset)
        rows = queryset if page is None else page
        if sources is not None:
            data = serializer_class.flat_rows(rows)
        else:
            data = view.get_serializer(rows, many=True).data
        if page is None:
            return Response(data)
        return cast(Response, view.get_paginated_response(data))
