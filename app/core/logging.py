"""JSON log formatting with request/tenant context and redaction of credentials."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from app.core.context import client_request_id_var, request_id_var, tenant_id_var

# Attributes every LogRecord has; anything else came in through ``extra=``.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
) | {"message", "asctime", "request_id", "tenant_id"}

SENSITIVE_KEYS = re.compile(
    r"(authorization|api[_-]?key|token|password|passwd|secret|cookie|session)", re.IGNORECASE
)
# Tenant API keys and user tokens have recognisable shapes; scrub them wherever they appear.
_CREDENTIAL_PATTERNS = (
    re.compile(r"\b(hk|ut)_[0-9a-f]{8}\.[A-Za-z0-9_\-]{16,}"),  # pre-edge format
    re.compile(r"\b(hk|ut)1[0-9a-f]{8}[A-Za-z0-9]{16,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._\-]+"),
)
REDACTED = "[REDACTED]"


def redact_text(text: str) -> str:
    for pattern in _CREDENTIAL_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def redact_value(key: str, value: Any) -> Any:
    if SENSITIVE_KEYS.search(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(key, v) for v in value]
    return value


class RequestContextFilter(logging.Filter):
    """Stamps the current request id and tenant id onto every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        client_request_id = client_request_id_var.get()
        if client_request_id is not None:
            record.client_request_id = client_request_id
        record.tenant_id = tenant_id_var.get()
        return True


class RedactSecretsFilter(logging.Filter):
    """Removes credentials from the message, its arguments and ``extra`` fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(str(record.msg))
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact_value("", a) for a in args)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS:
                setattr(record, key, redact_value(key, value))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "tenant_id": getattr(record, "tenant_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in payload:
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)
