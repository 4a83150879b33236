"""Health probe routes (no trailing slash: probes are configured with exact paths)."""

from django.urls import path

from app.health.views import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]
