"""Django's error handlers, answering in JSON like the API does (``handler400`` and friends).

DRF renders errors raised inside API views; these cover everything it never sees:
unknown URLs, a refused ``Host`` header, a failed CSRF check (admin only), a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` read outside DRF, and unhandled exceptions.
"""

from __future__ import annotations

from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import HttpRequest, JsonResponse


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):
        # Django files an oversized body under "suspicious operation" (400); it is a 413.
        return JsonResponse({"detail": "Request body is too large."}, status=413)
    if isinstance(exception, DisallowedHost):
        return JsonResponse({"detail": "Invalid Host header."}, status=400)
    return JsonResponse({"detail": "Bad request."}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(
        {"detail": "You do not have permission to perform this action."}, status=403
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    """``CSRF_FAILURE_VIEW``: only the staff admin uses cookies, but its refusals are JSON too."""
    return JsonResponse({"detail": f"CSRF verification failed: {reason}"}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": "Internal server error."}, status=500)
