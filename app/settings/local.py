"""Local development settings: SQLite unless ``DATABASE_URL`` is set; never for deployment."""

from app.settings.base import *  # noqa: F403
from app.settings.env import env_bool, env_list

DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# Compressing the bundled docs UI takes a while; local serving does not need it.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
