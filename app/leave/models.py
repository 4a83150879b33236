"""Leave types, yearly balances and leave requests."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from app.core.models import TenantOwned, TenantQuerySet


class LeaveType(TenantOwned):
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=100)
    annual_allowance_days = models.DecimalField(max_digits=5, decimal_places=1)

    objects = TenantQuerySet["LeaveType"].as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="leavetype_unique_code")
        ]

    def __str__(self) -> str:
        return self.code


class LeaveBalance(TenantOwned):
    """Days granted and taken for one employee, leave type and calendar year."""

    employee = models.ForeignKey(
        "people.Employee", on_delete=models.CASCADE, related_name="leave_balances"
    )
    leave_type = models.ForeignKey(LeaveType, on_delete=models.PROTECT, related_name="balances")
    year = models.PositiveSmallIntegerField()
    allowance_days = models.DecimalField(max_digits=5, decimal_places=1)
    used_days = models.DecimalField(max_digits=5, decimal_places=1, default=Decimal("0"))

    objects = TenantQuerySet["LeaveBalance"].as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "leave_type", "year"], name="leavebalance_unique_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee_id}/{self.leave_type_id}/{self.year}"


class LeaveStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


# Requests in these states hold days and block overlapping requests.
ACTIVE_LEAVE_STATUSES = (LeaveStatus.PENDING, LeaveStatus.APPROVED)


class LeaveRequest(TenantOwned):
    employee = models.ForeignKey(
        "people.Employee", on_delete=models.CASCADE, related_name="leave_requests"
    )
    leave_type = models.ForeignKey(LeaveType, on_delete=models.PROTECT, related_name="requests")
    start_date = models.DateField()
    end_date = models.DateField()
    days = models.DecimalField(max_digits=5, decimal_places=1)
    reason = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=20, choices=LeaveStatus.choices, default=LeaveStatus.PENDING
    )
    decided_by = models.ForeignKey(
        "people.Employee",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decided_leave_requests",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet["LeaveRequest"].as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="leaverequest_dates_ordered",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "id"], name="leaverequest_tenant_id"),
            models.Index(fields=["employee", "start_date"], name="leaverequest_employee_start"),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.start_date}..{self.end_date} {self.status}"
