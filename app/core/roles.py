"""Role checks shared by services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.errors import ForbiddenError

if TYPE_CHECKING:
    from app.tenants.models import Membership


def require_hr(actor: Membership) -> None:
    if not actor.sees_whole_tenant:
        raise ForbiddenError("This action needs the hr or admin role.")
