"""``/healthz`` (process alive, touches nothing) and ``/readyz`` (can serve)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from app.health.checks import readiness


@transaction.non_atomic_requests  # liveness must not depend on the database
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@transaction.non_atomic_requests
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    result = readiness()
    body: dict[str, object] = {"status": result.status, "checks": result.checks}
    if result.degraded:
        body["degraded"] = list(result.degraded)
    return JsonResponse(body, status=200 if result.ready else 503)
