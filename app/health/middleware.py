"""Answer health probes before host validation, so callers that cannot name a host pass."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from app.health.views import healthz, readyz

# The NLB target-group health check and kubelet send the target's IP as Host, which is
# not (and should not be) in ALLOWED_HOSTS. The probe responses carry no host-derived
# content, so skipping host validation for them exposes nothing; every other request
# still goes through CommonMiddleware's check.
PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
}


class HealthProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method == "GET":
            return probe(request)
        return self.get_response(request)
