"""URL map: API v1, OpenAPI schema and docs, health probes, the staff-only admin."""

from django.contrib import admin
from django.db import transaction
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

admin.site.site_header = "HRMS operations"
admin.site.site_title = "HRMS operations"
admin.site.index_title = "Tenants and rate limits"

urlpatterns = [
    path("api/v1/", include("app.api_v1")),
    # Staff sessions only: tenant users have no password and no staff flag.
    path("admin/", admin.site.urls),
    # Schema and docs touch no data: no per-request transaction (and no connection).
    path(
        "api/schema/",
        transaction.non_atomic_requests(SpectacularAPIView.as_view()),
        name="schema",
    ),
    path(
        "api/docs/",
        transaction.non_atomic_requests(SpectacularSwaggerView.as_view(url_name="schema")),
        name="docs",
    ),
    path("", include("app.health.urls")),
]

handler400 = "app.core.error_views.bad_request"
handler403 = "app.core.error_views.permission_denied"
handler404 = "app.core.error_views.not_found"
handler500 = "app.core.error_views.server_error"
