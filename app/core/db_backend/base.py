"""PostgreSQL backend: the password fetched per connection (app/core/db_credentials.py).

Settings: ``"ENGINE": "app.core.db_backend"`` and ``"PASSWORD_SOURCE": {"kind": "rds-iam",
"region": ...}`` or ``{"kind": "file", "path": ...}``; everything else as for
``django.db.backends.postgresql``. Without ``PASSWORD_SOURCE`` it behaves exactly like it.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base

from app.core.db_credentials import connection_password


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        source = self.settings_dict.get("PASSWORD_SOURCE")
        if source:
            # Called for every new connection (CONN_MAX_AGE ends them, or a health check
            # finds one broken), so a rotated credential is picked up without a restart.
            params["password"] = connection_password(
                source,
                host=str(params.get("host") or ""),
                port=int(params.get("port") or 5432),
                user=str(params.get("user") or ""),
            )
        return params
