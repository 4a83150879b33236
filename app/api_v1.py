"""Routes of API v1, each in its per-request database scope (app/core/request_transaction.py)."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from app.audit.views import AuditEventViewSet
from app.core.request_transaction import request_transaction
from app.leave.views import LeaveRequestViewSet, LeaveTypeViewSet
from app.people.views import DepartmentViewSet, EmployeeViewSet

router = SimpleRouter()
router.register("employees", EmployeeViewSet, basename="employee")
router.register("departments", DepartmentViewSet, basename="department")
router.register("leave-types", LeaveTypeViewSet, basename="leave-type")
router.register("leave-requests", LeaveRequestViewSet, basename="leave-request")
router.register("audit-events", AuditEventViewSet, basename="audit-event")


def _scoped(route: URLPattern | URLResolver) -> URLPattern:
    if not isinstance(route, URLPattern):  # a router only makes patterns
        raise TypeError(f"unexpected route {route!r}")
    return URLPattern(
        route.pattern, request_transaction(route.callback), route.default_args, route.name
    )


urlpatterns = [_scoped(route) for route in router.urls]
