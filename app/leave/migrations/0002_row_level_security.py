"""Row-level security for the tenant-owned tables of this app (PostgreSQL only)."""

from django.db import migrations

from app.core.rls import EnableTenantRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("leave", "0001_initial")]

    operations = [
        EnableTenantRowLevelSecurity("leave_leavetype"),
        EnableTenantRowLevelSecurity("leave_leavebalance"),
        EnableTenantRowLevelSecurity("leave_leaverequest"),
    ]
