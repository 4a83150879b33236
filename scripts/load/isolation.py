"""Does a response belong to the caller's tenant? Checked on every object of every response.

Primary keys come from one sequence per table shared by all tenants, so an id names
exactly one tenant's row: the first tenant an id (or a reference to one) is seen for
claims it, and the same id in another tenant's response is a cross-tenant response.
Employees also carry their tenant in the e-mail domain (``<name>@<tenant-slug>.test``,
demo and load-created alike), checked against every known tenant's slug.
"""

from __future__ import annotations

from typing import Any

# Per resource: the fields that are ids of which kind (its own ``id`` first).
REFERENCES: dict[str, dict[str, str]] = {
    "employee": {"id": "employee", "department": "department", "manager": "employee"},
    "department": {"id": "department"},
    "leave_type": {"id": "leave_type"},
    "leave_request": {"id": "leave_request", "employee": "employee", "leave_type": "leave_type"},
}


class Ownership:
    """Which tenant each seen id belongs to (one per load run, shared by every user)."""

    def __init__(self, slugs: set[str]) -> None:
        self._slugs = frozenset(slugs)
        self._owner: dict[tuple[str, int], str] = {}

    def owner(self, kind: str, pk: int) -> str | None:
        return self._owner.get((kind, pk))

    def claim(self, kind: str, pk: int, tenant: str) -> str | None:
        """Record ``pk`` for ``tenant``; the other tenant's slug when it already owns it."""
        holder = self._owner.setdefault((kind, pk), tenant)
        return None if holder == tenant else holder

    def violations(self, kind: str, obj: Any, tenant: str) -> list[str]:
        """What in ``obj`` (one ``kind`` resource as JSON) belongs to another tenant."""
        if not isinstance(obj, dict):
            return [f"{kind}: not an object"]
        found = []
        for field, ref_kind in REFERENCES[kind].items():
            pk = obj.get(field)
            if isinstance(pk, int) and not isinstance(pk, bool):
                holder = self.claim(ref_kind, pk, tenant)
                if holder is not None:
                    found.append(f"{kind}.{field}={pk} belongs to {holder}")
        email = obj.get("email")
        if kind == "employee" and isinstance(email, str) and email.endswith(".test"):
            domain = email.rpartition("@")[2].removesuffix(".test")
            if domain in self._slugs and domain != tenant:
                found.append(f"employee {obj.get('id')} has {domain}'s e-mail domain")
        return found

    def check_body(self, kind: str, body: Any, tenant: str) -> list[str]:
        """A detail object or a page ``{"results": [...]}`` of ``kind`` resources."""
        if isinstance(body, dict) and isinstance(body.get("results"), list):
            return [v for obj in body["results"] for v in self.violations(kind, obj, tenant)]
        return self.violations(kind, body, tenant)
