"""Thin API views for leave types and the leave request workflow."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from app.core.views import actor_of, pk_from_url
from app.leave import selectors, services
from app.leave.filters import LeaveRequestFilter
from app.leave.models import LeaveRequest, LeaveType
from app.leave.serializers import (
    LeaveDecisionSerializer,
    LeaveRequestSerializer,
    LeaveRequestSubmitSerializer,
    LeaveTypeSerializer,
)


class LeaveTypeViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    serializer_class = LeaveTypeSerializer

    def get_queryset(self) -> QuerySet[LeaveType]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller
            return LeaveType.objects.none()
        return selectors.leave_type_list(actor=actor_of(self.request))

    def get_object(self) -> LeaveType:
        return selectors.leave_type_get(
            actor=actor_of(self.request), leave_type_id=pk_from_url(self.kwargs["pk"])
        )


class LeaveRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Leave requests move only through the workflow actions; there is no PUT/PATCH/DELETE."""

    serializer_class = LeaveRequestSerializer
    filterset_class = LeaveRequestFilter

    def get_queryset(self) -> QuerySet[LeaveRequest]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller
            return LeaveRequest.objects.none()
        return selectors.leave_request_list(actor=actor_of(self.request))

    def get_object(self) -> LeaveRequest:
        return selectors.leave_request_get(
            actor=actor_of(self.request), request_id=pk_from_url(self.kwargs["pk"])
        )

    @extend_schema(request=LeaveRequestSubmitSerializer, responses={201: LeaveRequestSerializer})
    def create(self, request: Request) -> Response:
        serializer = LeaveRequestSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        leave_request = services.leave_request_submit(
            actor=actor_of(request), **serializer.validated_data
        )
        return Response(LeaveRequestSerializer(leave_request).data, status=status.HTTP_201_CREATED)

    def _decide(self, request: Request, decide: Callable[..., LeaveRequest]) -> Response:
        leave_request = self.get_object()
        serializer = LeaveDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        leave_request = decide(
            actor=actor_of(request), leave_request=leave_request, **serializer.validated_data
        )
        return Response(LeaveRequestSerializer(leave_request).data)

    @extend_schema(request=LeaveDecisionSerializer, responses={200: LeaveRequestSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._decide(request, services.leave_request_approve)

    @extend_schema(request=LeaveDecisionSerializer, responses={200: LeaveRequestSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._decide(request, services.leave_request_reject)

    @extend_schema(request=None, responses={200: LeaveRequestSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        leave_request = self.get_object()
        if request.data:
            return Response(
                {"non_field_errors": ["cancel takes no body."]}, status=status.HTTP_400_BAD_REQUEST
            )
        leave_request = services.leave_request_cancel(
            actor=actor_of(request), leave_request=leave_request
        )
        return Response(LeaveRequestSerializer(leave_request).data)
