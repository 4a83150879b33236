"""OpenAPI polish applied to the generated schema: a tag per resource, a summary per
operation and the error responses every operation can give (drf-spectacular hook)."""

from __future__ import annotations

import re
from typing import Any

ERROR_SCHEMA = "ErrorResponse"

# Every error body is a JSON object: ``detail`` for authentication, permission, not-found and
# rate-limit errors; field name -> messages (and ``non_field_errors``) for invalid input.
_ERROR_COMPONENT: dict[str, Any] = {
    "type": "object",
    "description": "An error: `detail` says what went wrong; invalid input maps each field "
    "(or `non_field_errors`) to its messages.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}

_ERRORS = {
    "400": "Invalid input: the body names each field's problems.",
    "401": "Missing or invalid tenant API key or user token.",
    "403": "The user's role may not do this.",
    "404": "No such object in this tenant (another tenant's object is a 404 too).",
    "429": "The tenant's rate limit or daily quota is exhausted; see the Retry-After header.",
}

_VERBS = {
    ("get", False): "List",
    ("post", False): "Create",
    ("get", True): "Get",
    ("patch", True): "Update",
    ("put", True): "Replace",
    ("delete", True): "Delete",
}


def _resource(path: str) -> str | None:
    match = re.match(r"^/api/v\d+/([^/]+)/", path)
    return match.group(1) if match else None


def _singular(resource: str) -> str:
    words = resource.replace("-", " ")
    return words[:-1] if words.endswith("s") else words


def _summary(method: str, path: str, resource: str) -> str:
    detail = "{" in path
    action = re.match(r"^/api/v\d+/[^/]+/\{[^}]+\}/([^/]+)/$", path)
    if action:
        return f"{action.group(1).replace('-', ' ').capitalize()} {_article(_singular(resource))}"
    verb = _VERBS.get((method, detail), method.upper())
    if not detail and verb != "Create":
        return f"{verb} {resource.replace('-', ' ')}"
    return f"{verb} {_article(_singular(resource))}"


def _article(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _error_statuses(method: str, path: str) -> list[str]:
    statuses = ["401", "403", "429"]
    if method in {"post", "put", "patch"}:
        statuses.insert(0, "400")
    if "{" in path:
        statuses.append("404")
    return sorted(statuses)


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> Any:
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_SCHEMA] = _ERROR_COMPONENT
    error_ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
    tags: set[str] = set()
    for path, operations in result.get("paths", {}).items():
        resource = _resource(path)
        if resource is None:
            continue
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            operation["tags"] = [resource]
            tags.add(resource)
            operation.setdefault("summary", _summary(method, path, resource))
            for status in _error_statuses(method, path):
                operation["responses"].setdefault(
                    status,
                    {
                        "description": _ERRORS[status],
                        "content": {"application/json": {"schema": error_ref}},
                    },
                )
    result["tags"] = [{"name": tag} for tag in sorted(tags)]
    return result
