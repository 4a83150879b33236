"""gunicorn logger class: JSON access and error lines, no query strings, no credentials."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

from app.core.context import TENANT_ENVIRON_KEY
from app.core.logging import JsonFormatter, RedactSecretsFilter, redact_value


class JsonAccessLogger(Logger):  # type: ignore[misc]
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # gunicorn's own lines (boot, worker exits, request errors) in the app's format.
        for handler in self.error_log.handlers:
            if getattr(handler, "_gunicorn", False):
                handler.setFormatter(JsonFormatter())
                if not any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
                    handler.addFilter(RedactSecretsFilter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        record = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "level": logging.getLevelName(logging.INFO),
            "logger": "gunicorn.access",
            "remote_addr": atoms.get("h"),
            "http_method": atoms.get("m"),
            # The path only: query strings can carry personal data in filters.
            "path": atoms.get("U"),
            "status": int(atoms["s"]) if str(atoms.get("s", "")).isdigit() else atoms.get("s"),
            "bytes": atoms.get("B"),
            "duration_ms": round(atoms["D"] / 1000, 2),
            "request_id": atoms.get("{x-request-id}o"),
            "tenant_id": environ.get(TENANT_ENVIRON_KEY),
            # Clients do paste tokens into any header; the shape-based scrub covers this one.
            "user_agent": redact_value("user_agent", atoms.get("a")),
        }
        try:
            self.access_log.info(json.dumps(record, default=str))
        except Exception:  # logging must never break a response
            self.error("access log write failed")
