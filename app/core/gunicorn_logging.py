"""gunicorn logger class writing one JSON object per access-log line (no query strings)."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger


class JsonAccessLogger(Logger):  # type: ignore[misc]
    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        record = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "logger": "gunicorn.access",
            "remote_addr": atoms.get("h"),
            "http_method": atoms.get("m"),
            # The path only: query strings can carry personal data in filters.
            "path": atoms.get("U"),
            "status": int(atoms["s"]) if str(atoms.get("s", "")).isdigit() else atoms.get("s"),
            "bytes": atoms.get("B"),
            "duration_ms": round(atoms["D"] / 1000, 2),
            "request_id": atoms.get("{x-request-id}o"),
            "user_agent": atoms.get("a"),
        }
        try:
            self.access_log.info(json.dumps(record, default=str))
        except Exception:  # logging must never break a response
            self.error("access log write failed")
