"""Settings shared by every environment; values that vary come from environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url

from app.settings.env import env_bool, env_int, env_str

BASE_DIR = Path(__file__).resolve().parent.parent  # the ``app`` package
REPO_DIR = BASE_DIR.parent

SECRET_KEY = env_str("SECRET_KEY", "insecure-local-only-key")  # production overrides and requires
DEBUG = False
ALLOWED_HOSTS: list[str] = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    # Staff-only operator console (limit overrides, tenants); the API never uses sessions.
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "app.core",
    "app.tenants",
    "app.people",
    "app.leave",
    "app.audit",
    "app.health",
    "app.ratelimit",
]

MIDDLEWARE = [
    # Request ids first so every response, probes included, carries one and is logged.
    "app.core.middleware.RequestIdMiddleware",
    # Probes answer before host validation (load balancers send the target IP as Host).
    "app.health.middleware.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Sessions and the user are loaded lazily: only the admin touches them.
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # API views authenticate by header and are exempt; anything cookie-based stays protected.
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "app.tenants.middleware.TenantMiddleware",
    "app.ratelimit.middleware.RateLimitMiddleware",
]

ROOT_URLCONF = "app.urls"
# Error pages are JSON (app/core/error_views.py; handler400/403/404/500 in app/urls.py).
CSRF_FAILURE_VIEW = "app.core.error_views.csrf_failure"
WSGI_APPLICATION = "app.wsgi.application"
APPEND_SLASH = True

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


# SQLite (``make serve``) under several gunicorn workers: a DEFERRED transaction that
# reads and then writes cannot wait for the lock (SQLITE_BUSY at once, a 500), so every
# transaction takes the write lock up front (IMMEDIATE) and waits up to ``timeout``
# seconds for it; WAL lets readers run beside the one writer.
SQLITE_OPTIONS: dict[str, Any] = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
}


def database_from_env(default_url: str) -> dict[str, Any]:
    """``DATABASE_URL`` (or ``default_url``) as a Django database settings dict."""
    config: dict[str, Any] = dict(
        dj_database_url.parse(env_str("DATABASE_URL", default_url) or default_url)
    )
    # The tenant id for row-level security is set per transaction, so each request runs
    # in one; the API's reads choose their own scope instead (app/core/request_transaction.py).
    config["ATOMIC_REQUESTS"] = True
    config["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
    config["CONN_HEALTH_CHECKS"] = True
    if config["ENGINE"].endswith("postgresql"):
        # Fewer round trips per request (tenant binding, health checks): docs/performance.md.
        config["ENGINE"] = "app.core.db_backend"
        password_file = env_str("DATABASE_PASSWORD_FILE")
        if password_file:
            # Re-read for every new connection: a rotated password needs no restart.
            config["PASSWORD_SOURCE"] = {"kind": "file", "path": password_file}
    name = str(config.get("NAME") or "")
    if config["ENGINE"].endswith("sqlite3"):
        config.setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
    if config["ENGINE"].endswith("sqlite3") and name and not name.startswith(":memory:"):
        # SQLite creates the file but not its directory, and a fresh checkout has no build/.
        Path(name).parent.mkdir(parents=True, exist_ok=True)
    return config


DATABASES: dict[str, dict[str, Any]] = {
    "default": database_from_env(f"sqlite:///{REPO_DIR / 'build' / 'hrms-local.sqlite3'}")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL role layout (app/core/db_roles.py): migrations act as the owner, the app
# connects as the runtime role.
DATABASE_OWNER_ROLE = env_str("DATABASE_OWNER_ROLE", "hrms_owner") or "hrms_owner"
DATABASE_RUNTIME_ROLE = env_str("DATABASE_RUNTIME_ROLE", "hrms_app") or "hrms_app"
# Logical backups read as this role (BYPASSRLS, SELECT only); empty: no backup role.
DATABASE_BACKUP_ROLE = env_str("DATABASE_BACKUP_ROLE", "hrms_backup") or None

REDIS_URL: str | None = env_str("REDIS_URL")


def cache_from_env(redis_url: str | None) -> dict[str, dict[str, Any]]:
    if redis_url:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": "hrms",
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            }
        }
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


CACHES = cache_from_env(REDIS_URL)

# Per-tenant rate limiting (docs/rate-limiting.md): Redis when REDIS_URL is set, else
# the single-process in-memory limiter; fail open unless told otherwise.
TENANT_RATELIMIT_BACKEND = env_str("TENANT_RATELIMIT_BACKEND", "redis" if REDIS_URL else "memory")
TENANT_RATELIMIT_FAIL_OPEN = env_bool("TENANT_RATELIMIT_FAIL_OPEN", True)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(REPO_DIR / "build" / "static")) or "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Bodies above this are refused with 413 before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 64 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["app.tenants.authentication.TenantTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": (
        "app.core.negotiation.FirstRendererForAnyContentNegotiation"
    ),
    "DEFAULT_PAGINATION_CLASS": "app.core.pagination.IdCursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["app.core.filters.QueryFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "app.core.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "PAGE_SIZE": 50,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "HRMS API",
    "DESCRIPTION": (
        "Multi-tenant HR API. Every request carries the tenant API key in `X-API-Key` "
        "and the user's token in `Authorization: Bearer ...`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Served from the sidecar package so the docs UI works without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "EmploymentStatusEnum": "app.people.models.EmploymentStatus",
        "LeaveStatusEnum": "app.leave.models.LeaveStatus",
    },
    # A tag per resource, a summary per operation, the documented error responses.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "app.core.openapi.postprocess",
    ],
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO") or "INFO"
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "app.core.logging.RequestContextFilter"},
        "redact": {"()": "app.core.logging.RedactSecretsFilter"},
    },
    "formatters": {"json": {"()": "app.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Request lines come from our own middleware; Django's would duplicate them.
        "django.server": {"handlers": [], "propagate": False},
        "django.request": {"level": "ERROR"},
    },
}
