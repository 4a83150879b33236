"""Content negotiation that answers the common case, no ``Accept`` or ``*/*``, directly.

DRF's negotiator parses the ``Accept`` header and matches every media type in it
against every renderer, on each request: most API clients send none (or ``*/*``), and
for them the answer is always the first renderer with its own media type. That was
about 2% of a list request (docs/performance.md). Anything else goes to DRF as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

# What DRF itself reads when the header is missing.
_ANY = (None, "*/*")


class FirstRendererForAnyContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        accept = request.META.get("HTTP_ACCEPT")
        if (
            accept in _ANY
            and isinstance(renderers, Sequence)  # DRF passes the view's list
            and renderers
            and format_suffix is None
            and not request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        ):
            renderer = renderers[0]
            return renderer, renderer.media_type
        selected: Any = super().select_renderer(request, renderers, format_suffix)
        return selected  # type: ignore[no-any-return]
