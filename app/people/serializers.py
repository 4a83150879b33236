"""API shapes for departments and employees (validation of types only; rules live in services)."""

from __future__ import annotations

from rest_framework import serializers

from app.core.serializers import FlatRepresentationMixin, StrictFieldsMixin
from app.people.models import Department, Employee


class DepartmentSerializer(
    FlatRepresentationMixin, StrictFieldsMixin, serializers.ModelSerializer[Department]
):
    class Meta:
        model = Department
        fields = ["id", "name", "code", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class EmployeeSerializer(
    FlatRepresentationMixin, StrictFieldsMixin, serializers.ModelSerializer[Employee]
):
    # Plain integers: existence is checked by services against the caller's tenant only.
    department = serializers.IntegerField(
        source="department_id", allow_null=True, required=False, min_value=1
    )
    manager = serializers.IntegerField(
        source="manager_id", allow_null=True, required=False, min_value=1
    )

    class Meta:
        model = Employee
        fields = [
            "id",
            "employee_number",
            "first_name",
            "last_name",
            "email",
            "job_title",
            "hire_date",
            "employment_status",
            "department",
            "manager",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Uniqueness per tenant is a service rule (the model's constraint includes tenant).
        validators: list[object] = []
