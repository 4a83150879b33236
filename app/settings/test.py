"""Test settings: PostgreSQL started by the suite (see tests/conftest.py), fast hashing."""

from app.settings.base import *  # noqa: F403
from app.settings.base import database_from_env

# The host, port and credentials are replaced by the suite's own server at session start.
DATABASES = {"default": database_from_env("postgres://hrms_app@127.0.0.1:5432/hrms")}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static serving is exercised against gunicorn with production settings, not here.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]  # noqa: F405
