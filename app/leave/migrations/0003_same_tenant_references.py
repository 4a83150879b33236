"""Database-enforced same-tenant references for this app's tables (PostgreSQL only)."""

from django.db import migrations

from app.core.rls import AddTenantKey, RequireSameTenant


class Migration(migrations.Migration):
    dependencies = [
        ("leave", "0002_row_level_security"),
        ("people", "0003_same_tenant_references"),
    ]

    operations = [
        AddTenantKey("leave_leavetype"),
        RequireSameTenant("leave_leavebalance", "employee_id", "people_employee"),
        RequireSameTenant("leave_leavebalance", "leave_type_id", "leave_leavetype"),
        RequireSameTenant("leave_leaverequest", "employee_id", "people_employee"),
        RequireSameTenant("leave_leaverequest", "leave_type_id", "leave_leavetype"),
        RequireSameTenant("leave_leaverequest", "decided_by_id", "people_employee"),
    ]
