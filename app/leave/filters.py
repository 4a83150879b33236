"""Query filters for leave requests."""

from __future__ import annotations

import django_filters

from app.core.filters import IdFilter
from app.leave.models import LeaveRequest, LeaveStatus


class LeaveRequestFilter(django_filters.FilterSet):  # type: ignore[misc]
    status = django_filters.ChoiceFilter(choices=LeaveStatus.choices)
    employee = IdFilter(field_name="employee_id")
    leave_type = IdFilter(field_name="leave_type_id")
    starts_after = django_filters.DateFilter(field_name="start_date", lookup_expr="gte")
    ends_before = django_filters.DateFilter(field_name="end_date", lookup_expr="lte")

    class Meta:
        model = LeaveRequest
        fields: list[str] = []
