"""Audit events keep the caller's X-Request-ID apart from the server's request id.

A column with a default is added without rewriting or updating rows (PostgreSQL 11+),
so the append-only trigger from 0002 is neither fired nor touched.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_row_level_security"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="client_request_id",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
    ]
