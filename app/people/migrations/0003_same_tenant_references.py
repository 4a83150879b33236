"""Database-enforced same-tenant references for this app's tables (PostgreSQL only)."""

from django.db import migrations

from app.core.rls import AddTenantKey, RequireSameTenant


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_row_level_security"),
        ("tenants", "0003_same_tenant_references"),
    ]

    operations = [
        AddTenantKey("people_department"),
        AddTenantKey("people_employee"),
        RequireSameTenant("people_employee", "department_id", "people_department"),
        RequireSameTenant("people_employee", "manager_id", "people_employee"),
        RequireSameTenant("people_employee", "membership_id", "tenants_membership"),
    ]
