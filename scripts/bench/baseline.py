"""The app's URLs plus ``/bench/bare/``: bare Django returning a page shaped like the list's.

Served by the same gunicorn as the API in ``make bench-app`` so the two compare like for
like: same workers, same middleware stack, no authentication, no database.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET

from app.urls import urlpatterns as app_urlpatterns

PAGE = 50


def _row(n: int) -> dict[str, Any]:
    # The keys and value types EmployeeSerializer writes for one employee.
    return {
        "id": 100_000 - n,
        "employee_number": f"B{n:05d}",
        "first_name": f"First{n}",
        "last_name": f"Last{n}",
        "email": f"person{n}@example.com",
        "job_title": "Engineer",
        "hire_date": "2024-01-15",
        "employment_status": "active",
        "department": 7,
        "manager": None,
        "created_at": "2026-01-01T00:00:00.000000Z",
        "updated_at": "2026-01-01T00:00:00.000000Z",
    }


def bare_page() -> dict[str, Any]:
    return {
        "next": "http://127.0.0.1/api/v1/employees/?cursor=cD05OTk1MA%3D%3D",
        "previous": None,
        "results": [_row(n) for n in range(PAGE)],
    }


@transaction.non_atomic_requests  # no database: that is the point of the baseline
@require_GET
def bare(request: HttpRequest) -> JsonResponse:
    """Built per request, as a view serializing rows would, but from memory."""
    return JsonResponse(bare_page())


urlpatterns = [path("bench/bare/", bare), *app_urlpatterns]
