"""Thin API views for departments and employees."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from app.core.views import FlatListMixin, actor_of, pk_from_url
from app.people import selectors, services
from app.people.filters import EmployeeFilter
from app.people.models import Department, Employee
from app.people.serializers import DepartmentSerializer, EmployeeSerializer


class DepartmentViewSet(FlatListMixin, viewsets.ModelViewSet):  # type: ignore[type-arg]
    serializer_class = DepartmentSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Department]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller
            return Department.objects.none()
        return selectors.department_list(actor=actor_of(self.request))

    def get_object(self) -> Department:
        return selectors.department_get(
            actor=actor_of(self.request), department_id=pk_from_url(self.kwargs["pk"])
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        department = services.department_create(
            actor=actor_of(request), **serializer.validated_data
        )
        return Response(self.get_serializer(department).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        department = self.get_object()
        serializer = self.get_serializer(department, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        department = services.department_update(
            actor=actor_of(request), department=department, **serializer.validated_data
        )
        return Response(self.get_serializer(department).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.department_delete(actor=actor_of(request), department=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmployeeViewSet(
    FlatListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Employees; terminate by setting ``employment_status`` (records are never deleted)."""

    serializer_class = EmployeeSerializer
    filterset_class = EmployeeFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Employee]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller
            return Employee.objects.none()
        return selectors.employee_list(actor=actor_of(self.request))

    def get_object(self) -> Employee:
        return selectors.employee_get(
            actor=actor_of(self.request), employee_id=pk_from_url(self.kwargs["pk"])
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        employee = services.employee_create(actor=actor_of(request), **serializer.validated_data)
        return Response(self.get_serializer(employee).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        employee = self.get_object()
        serializer = self.get_serializer(employee, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        employee = services.employee_update(
            actor=actor_of(request), employee=employee, **serializer.validated_data
        )
        return Response(self.get_serializer(employee).data)
