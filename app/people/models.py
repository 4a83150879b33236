"""Departments and employees."""

from __future__ import annotations

from django.db import models

from app.core.models import TenantOwned, TenantQuerySet


class Department(TenantOwned):
    name = models.CharField(max_length=120)
    code = models.CharField(max_length=20)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet["Department"].as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="department_unique_code"),
        ]
        indexes = [models.Index(fields=["tenant", "id"], name="department_tenant_id")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class EmploymentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_LEAVE = "on_leave", "On leave"
    TERMINATED = "terminated", "Terminated"


class Employee(TenantOwned):
    employee_number = models.CharField(max_length=32)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254)
    job_title = models.CharField(max_length=150)
    hire_date = models.DateField()
    employment_status = models.CharField(
        max_length=20, choices=EmploymentStatus.choices, default=EmploymentStatus.ACTIVE
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="employees"
    )
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    # The login behind this employee record, if any: how "my own records" is decided.
    membership = models.OneToOneField(
        "tenants.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employee",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet["Employee"].as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "employee_number"], name="employee_unique_number"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "id"], name="employee_tenant_id"),
            models.Index(fields=["tenant", "manager"], name="employee_tenant_manager"),
        ]

    def __str__(self) -> str:
        return f"{self.employee_number} {self.first_name} {self.last_name}"
