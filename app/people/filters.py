"""Query filters for the people endpoints."""

from __future__ import annotations

import django_filters

from app.core.filters import IdFilter
from app.people.models import Employee, EmploymentStatus


class EmployeeFilter(django_filters.FilterSet):  # type: ignore[misc]
    department = IdFilter(field_name="department_id")
    manager = IdFilter(field_name="manager_id")
    employment_status = django_filters.ChoiceFilter(choices=EmploymentStatus.choices)
    employee_number = django_filters.CharFilter()
    hired_after = django_filters.DateFilter(field_name="hire_date", lookup_expr="gte")
    hired_before = django_filters.DateFilter(field_name="hire_date", lookup_expr="lte")
    last_name = django_filters.CharFilter(lookup_expr="istartswith")

    class Meta:
        model = Employee
        fields: list[str] = []
