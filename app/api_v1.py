"""Routes of API v1."""

from rest_framework.routers import SimpleRouter

from app.audit.views import AuditEventViewSet
from app.leave.views import LeaveRequestViewSet, LeaveTypeViewSet
from app.people.views import DepartmentViewSet, EmployeeViewSet

router = SimpleRouter()
router.register("employees", EmployeeViewSet, basename="employee")
router.register("departments", DepartmentViewSet, basename="department")
router.register("leave-types", LeaveTypeViewSet, basename="leave-type")
router.register("leave-requests", LeaveRequestViewSet, basename="leave-request")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

urlpatterns = router.urls
