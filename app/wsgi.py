"""WSGI entry point for gunicorn (``app.wsgi:application``)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings.production")

application = get_wsgi_application()

# Load every view and URL pattern now rather than on the first request (see preload_app).
get_resolver().url_patterns  # noqa: B018

# What is loaded by now lives as long as the process: keep it out of the cyclic
# collector. A full collection otherwise walks these ~120,000 objects, about 100 ms
# every few hundred list requests (docs/performance.md); with preload_app it also keeps
# their pages shared with the master instead of copied when the collector touches them.
gc.freeze()
