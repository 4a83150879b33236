"""Database settings from an AWS Secrets Manager secret (the RDS-managed master secret).

The RDS-managed secret holds JSON with ``username`` and ``password`` (plus, for
non-managed secrets, sometimes ``host``/``port``/``dbname``); the connection target
comes from environment variables so the secret stays credentials-only.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


def database_credentials_from_secret(
    *, secret_arn: str, client: SecretsManagerClient | None = None
) -> tuple[str, str]:
    """``(username, password)`` from the secret; errors name the secret, never its value."""
    if client is None:
        import boto3

        client = boto3.client("secretsmanager")
    try:
        response = client.get_secret_value(SecretId=secret_arn)
    except Exception as exc:  # botocore raises many types (ClientError, EndpointConnectionError)
        raise ImproperlyConfigured(
            f"cannot read database secret {secret_arn}: {type(exc).__name__}"
        ) from exc
    raw = response.get("SecretString")
    if not raw:
        raise ImproperlyConfigured(f"database secret {secret_arn} has no SecretString")
    try:
        payload = json.loads(raw)
    except json.JSONDecodeError:
        raise ImproperlyConfigured(f"database secret {secret_arn} is not JSON") from None
    if not isinstance(payload, dict):
        raise ImproperlyConfigured(f"database secret {secret_arn} is not a JSON object")
    missing = [key for key in ("username", "password") if not payload.get(key)]
    if missing:
        raise ImproperlyConfigured(f"database secret {secret_arn} lacks {', '.join(missing)}")
    return str(payload["username"]), str(payload["password"])


def database_settings_from_secret(
    *,
    secret_arn: str,
    host: str,
    port: int,
    name: str,
    sslmode: str = "require",
    client: SecretsManagerClient | None = None,
) -> dict[str, Any]:
    username, password = database_credentials_from_secret(secret_arn=secret_arn, client=client)
    return {
        "ENGINE": "app.core.db_backend",
        "HOST": host,
        "PORT": port,
        "NAME": name,
        "USER": username,
        "PASSWORD": password,
        "OPTIONS": {"sslmode": sslmode},
        "ATOMIC_REQUESTS": True,
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
