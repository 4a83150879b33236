"""WSGI entry point for gunicorn (``app.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings.production")

application = get_wsgi_application()

# Load every view and URL pattern now rather than on the first request (see preload_app).
get_resolver().url_patterns  # noqa: B018
