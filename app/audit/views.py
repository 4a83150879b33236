"""Read-only API over the audit log (hr and admin)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from app.audit import selectors
from app.audit.models import AuditEvent
from app.audit.serializers import AuditEventSerializer
from app.core.errors import ForbiddenError
from app.core.views import actor_of, pk_from_url


class AuditEventFilter(django_filters.FilterSet):  # type: ignore[misc]
    action = django_filters.CharFilter()
    entity_type = django_filters.CharFilter()
    entity_id = django_filters.CharFilter()

    class Meta:
        model = AuditEvent
        fields: list[str] = []


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Detail lookups of a non-hr caller are plain 404s (their queryset is empty).
        if not actor_of(request).sees_whole_tenant:
            raise ForbiddenError("The audit log is readable by hr and admin only.")
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller
            return AuditEvent.objects.none()
        return selectors.audit_event_list(actor=actor_of(self.request))

    def get_object(self) -> AuditEvent:
        return selectors.audit_event_get(
            actor=actor_of(self.request), event_id=pk_from_url(self.kwargs["pk"])
        )
