"""Row-level security for the tenant-owned tables of this app (PostgreSQL only)."""

from django.db import migrations

from app.core.rls import EnableTenantRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]

    operations = [
        EnableTenantRowLevelSecurity("people_department"),
        EnableTenantRowLevelSecurity("people_employee"),
    ]
