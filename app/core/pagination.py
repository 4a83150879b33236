"""Cursor pagination on the primary key: constant cost per page however deep the client goes."""

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    # ``-id`` is unique and indexed, so each page is an index range scan, unlike OFFSET.
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
