"""Production settings: refuse to start without a secret key, allowed hosts and a database."""

from __future__ import annotations

from typing import Any

from app.settings.base import *  # noqa: F403
from app.settings.base import database_from_env
from app.settings.env import env_bool, env_int, env_list, env_required, env_str

SECRET_KEY = env_required("SECRET_KEY", why="sessions and signing need a private random key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "environment variable ALLOWED_HOSTS is required: a comma-separated list of host names"
    )
DEBUG = False


def _iam_database() -> dict[str, Any]:
    """The runtime role over RDS IAM authentication: a fresh token for every new connection."""
    why = "DATABASE_IAM_AUTH connects to RDS by host, database and user"
    return {
        "ENGINE": "app.core.db_backend",
        "HOST": env_required("DATABASE_HOST", why=why),
        "PORT": env_int("DATABASE_PORT", 5432),
        "NAME": env_required("DATABASE_NAME", why=why),
        "USER": env_required("DATABASE_USER", why=why),
        # RDS refuses IAM logins without TLS.
        "OPTIONS": {"sslmode": env_str("DATABASE_SSLMODE", "require")},
        "PASSWORD_SOURCE": {
            "kind": "rds-iam",
            "region": env_required("AWS_REGION", why="IAM tokens are signed for a region"),
        },
        "ATOMIC_REQUESTS": True,
        # The token is checked only at login: open connections outlive it, new ones get a
        # new token, so the connection lifetime needs no relation to its 15 minutes.
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
    }


def _production_database() -> dict[str, Any]:
    config = _credentials_database()
    assume_role = env_str("DATABASE_ASSUME_ROLE")
    if assume_role:
        # The migration Job logs in as the master user and acts as the schema owner, so
        # everything migrations create belongs to the owner (app/core/db_roles.py).
        config.setdefault("OPTIONS", {})["assume_role"] = assume_role
    return config


def _credentials_database() -> dict[str, Any]:
    if env_bool("DATABASE_IAM_AUTH", False):
        return _iam_database()
    secret_arn = env_str("DATABASE_SECRET_ARN")
    if secret_arn:
        from app.core.db_secret import database_settings_from_secret

        secret_config: dict[str, Any] = database_settings_from_secret(
            secret_arn=secret_arn,
            host=env_required("DATABASE_HOST", why="DATABASE_SECRET_ARN holds only credentials"),
            port=env_int("DATABASE_PORT", 5432),
            name=env_required("DATABASE_NAME", why="DATABASE_SECRET_ARN holds only credentials"),
            sslmode=env_str("DATABASE_SSLMODE", "require") or "require",
        )
        return secret_config
    env_required("DATABASE_URL", why="set DATABASE_URL, DATABASE_IAM_AUTH or DATABASE_SECRET_ARN")
    config = database_from_env("")
    if config["ENGINE"] == "app.core.db_backend":  # PostgreSQL (app/settings/base.py)
        config.setdefault("OPTIONS", {}).setdefault(
            "sslmode", env_str("DATABASE_SSLMODE", "require")
        )
    return config


DATABASES = {"default": _production_database()}

if not env_bool("STATIC_COMPRESS", True):
    # Pre-compressing the docs UI bundle takes ~30 s of CPU; worth it once per image
    # build, not for throwaway servers.
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

# TLS terminates upstream (API Gateway / load balancer), which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# Kubernetes probes speak plain HTTP to the pod.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
if not SECURE_SSL_REDIRECT:
    # Only when every hop to the pod is already TLS-only; the redirect would loop otherwise.
    SILENCED_SYSTEM_CHECKS = ["security.W008"]
