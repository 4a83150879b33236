"""DRF exception handler: domain errors, oversized bodies and races become clean 4xx JSON."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from app.core.errors import DomainError, ForbiddenError, NotFoundError

logger = logging.getLogger(__name__)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, NotFoundError):
        return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, ForbiddenError):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": "Request body is too large."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DjangoValidationError):
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        # Services validate first; this is a concurrent writer winning the race.
        logger.warning("integrity error turned into 409", extra={"error": type(exc).__name__})
        return Response(
            {"non_field_errors": ["The change conflicts with existing data; retry."]},
            status=status.HTTP_409_CONFLICT,
        )
    return exception_handler(exc, context)
