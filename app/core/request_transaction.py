"""The database scope of each API request: writes in a transaction, reads without one.

Replaces ``ATOMIC_REQUESTS`` for the API's views (``app/api_v1.py``). A request with
an unsafe method runs in ``transaction.atomic`` exactly as before (DRF's exception
handler still rolls it back). A GET, HEAD or OPTIONS runs in ``app.core.rls.read_scope``:
autocommit, each statement sent with the tenant binding and ``transaction_read_only`` in
one message, which saves BEGIN and COMMIT, two of a read's four round trips
(docs/performance.md). Without ``app.core.db_backend`` (SQLite) every request is atomic.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import SAFE_METHODS

from app.core.rls import read_scope, read_scope_available

View = Callable[..., HttpResponse]


def request_transaction(view: View) -> View:
    """``view`` with its per-request scope chosen by method; Django's own is switched off."""

    @functools.wraps(view)
    def scoped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method in SAFE_METHODS and read_scope_available():
            with read_scope():
                return view(request, *args, **kwargs)
        with transaction.atomic():
            return view(request, *args, **kwargs)

    scoped.request_transaction = True  # type: ignore[attr-defined]
    return transaction.non_atomic_requests(scoped)
