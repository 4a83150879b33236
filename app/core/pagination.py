"""Cursor pagination on the primary key: constant cost per page however deep the client goes."""

from __future__ import annotations

import base64
from urllib import parse

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import Cursor, CursorPagination, _positive_int
from rest_framework.request import Request

from app.core.filters import MAX_ID


class IdCursorPagination(CursorPagination):
    # ``-id`` is unique and indexed, so each page is an index range scan, unlike OFFSET.
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request: Request) -> Cursor | None:
        """The client's cursor exactly as ``encode_cursor`` wrote it, or a 400.

        DRF's own decoder skips characters outside base64 (so "%%%" is page one), answers
        an undecodable cursor with 404, and passes the position into the query unchecked,
        where a non-integer or out-of-range id is a 500.
        """
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            querystring = base64.b64decode(encoded, validate=True).decode("ascii")
            tokens = parse.parse_qs(querystring, keep_blank_values=True, strict_parsing=True)
            if set(tokens) - {"o", "r", "p"} or any(len(v) != 1 for v in tokens.values()):
                raise ValueError("unexpected cursor fields")
            offset = _positive_int(tokens.get("o", ["0"])[0], cutoff=self.offset_cutoff)
            reverse = tokens.get("r", ["0"])[0]
            if reverse not in ("0", "1"):
                raise ValueError("bad direction")
            raw_position = tokens.get("p", [None])[0]
            position = None if raw_position is None else int(raw_position)
            if position is not None and not 1 <= position <= MAX_ID:
                raise ValueError("position out of range")
        except ValueError:  # binascii.Error and UnicodeDecodeError included
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from None
        return Cursor(offset=offset, reverse=reverse == "1", position=position)

    def get_page_size(self, request: Request) -> int:
        """``page_size`` from 1 upwards (capped at ``max_page_size``); anything else is a 400."""
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        try:
            return int(_positive_int(raw, strict=True, cutoff=self.max_page_size))
        except ValueError:
            raise ValidationError(
                {self.page_size_query_param: ["A positive whole number is required."]}
            ) from None
