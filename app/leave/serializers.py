"""API shapes for leave types, balances and requests."""

from __future__ import annotations

from rest_framework import serializers

from app.core.serializers import StrictFieldsMixin
from app.leave.models import LeaveBalance, LeaveRequest, LeaveType


class LeaveTypeSerializer(serializers.ModelSerializer[LeaveType]):
    class Meta:
        model = LeaveType
        fields = ["id", "code", "name", "annual_allowance_days"]
        read_only_fields = fields


class LeaveBalanceSerializer(serializers.ModelSerializer[LeaveBalance]):
    leave_type = serializers.IntegerField(source="leave_type_id", read_only=True)

    class Meta:
        model = LeaveBalance
        fields = ["leave_type", "year", "allowance_days", "used_days"]
        read_only_fields = fields


class LeaveRequestSerializer(serializers.ModelSerializer[LeaveRequest]):
    employee = serializers.IntegerField(source="employee_id", read_only=True)
    leave_type = serializers.IntegerField(source="leave_type_id", read_only=True)
    decided_by = serializers.IntegerField(source="decided_by_id", read_only=True, allow_null=True)

    class Meta:
        model = LeaveRequest
        fields = [
            "id",
            "employee",
            "leave_type",
            "start_date",
            "end_date",
            "days",
            "reason",
            "status",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class LeaveRequestSubmitSerializer(StrictFieldsMixin, serializers.Serializer):  # type: ignore[type-arg]
    employee = serializers.IntegerField(
        source="employee_id",
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="Defaults to the caller's own employee record; hr/admin may file for others.",
    )
    leave_type = serializers.IntegerField(source="leave_type_id", min_value=1, max_value=2**63 - 1)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, object]) -> dict[str, object]:
        start, end = attrs["start_date"], attrs["end_date"]
        if end < start:  # type: ignore[operator]
            raise serializers.ValidationError({"end_date": ["Must not be before start_date."]})
        return attrs


class LeaveDecisionSerializer(StrictFieldsMixin, serializers.Serializer):  # type: ignore[type-arg]
    """``decision_note``, the name the leave request returns it under; ``note`` is its
    deprecated alias, still accepted so existing clients keep working."""

    decision_note = serializers.CharField(max_length=500, required=False, allow_blank=True)
    note = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text="Deprecated alias of decision_note.",
    )

    def validate(self, attrs: dict[str, object]) -> dict[str, object]:
        if "decision_note" in attrs and "note" in attrs:
            raise serializers.ValidationError(
                {"note": ["Give decision_note only; note is its deprecated alias."]}
            )
        return {"note": attrs.get("decision_note", attrs.get("note", ""))}


class EmptySerializer(StrictFieldsMixin, serializers.Serializer):  # type: ignore[type-arg]
    pass
