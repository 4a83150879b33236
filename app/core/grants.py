"""Re-apply the runtime role's grants after every ``migrate`` (PostgreSQL, split roles only).

Default privileges already grant new tables; this narrows the restricted ones (the audit
log, the migration ledger) and repairs drift. See app/core/db_roles.py.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import connections

from app.core.db_roles import RoleLayout, runtime_grants

logger = logging.getLogger(__name__)


def role_layout() -> RoleLayout:
    return RoleLayout(
        owner=settings.DATABASE_OWNER_ROLE,
        runtime=settings.DATABASE_RUNTIME_ROLE,
        backup=getattr(settings, "DATABASE_BACKUP_ROLE", None),
    )


def grant_runtime_after_migrate(*, using: str = "default", **_kwargs: Any) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    layout = role_layout()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, COALESCE((SELECT pg_has_role(current_user, oid, 'USAGE') "
            "FROM pg_roles WHERE rolname = %s), false), "
            "EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)",
            [layout.owner, layout.runtime],
        )
        user, acts_as_owner, runtime_exists = cursor.fetchone()
    if not runtime_exists or not acts_as_owner:
        # A single-role database (a developer's own DATABASE_URL): nothing to split.
        logger.info(
            "runtime grants skipped", extra={"db_user": user, "runtime_role": layout.runtime}
        )
        return
    connection.ensure_connection()
    runtime_grants(connection.connection, layout)
