"""Database-enforced same-tenant references for this app's tables (PostgreSQL only)."""

from django.db import migrations

from app.core.rls import AddTenantKey, RequireSameTenant


class Migration(migrations.Migration):
    dependencies = [("tenants", "0002_row_level_security")]

    operations = [
        AddTenantKey("tenants_membership"),
        RequireSameTenant("tenants_accesstoken", "membership_id", "tenants_membership"),
    ]
