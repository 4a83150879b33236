"""Domain errors raised by services and mapped to 4xx responses by the API layer."""

from __future__ import annotations


class DomainError(Exception):
    """Invalid input for a business rule; rendered as 400 with errors keyed by field."""

    status_code = 400

    def __init__(self, message: str, *, field: str = "non_field_errors") -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, list[str]]:
        return {self.field: [self.message]}


class ConflictError(DomainError):
    """The object's current state forbids the transition (e.g. approving a cancelled request)."""

    status_code = 409


class NotFoundError(Exception):
    """The object does not exist for this tenant (or this user may not see it)."""


class ForbiddenError(Exception):
    """The caller can see the object but its role does not allow this action."""
