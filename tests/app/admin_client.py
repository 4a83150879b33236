"""Browser-like admin sessions for tests: the real login form, CSRF enforced."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.test import Client

PASSWORD = "correct horse battery staple"  # a throwaway test login


class _HiddenInputs(HTMLParser):
    """Collects what a browser submits without the user typing it (CSRF, formset counts)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.values[str(attributes["name"])] = attributes.get("value") or ""


def hidden_inputs(response: Any) -> dict[str, str]:
    assert response.status_code == 200, response.status_code
    parser = _HiddenInputs()
    parser.feed(response.content.decode())
    assert "csrfmiddlewaretoken" in parser.values, "no CSRF token in the page"
    return parser.values


def staff_user(username: str, *perms: str, superuser: bool = False) -> AbstractBaseUser:
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_staff=True, is_superuser=superuser
    )
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def admin_login(username: str) -> Client:
    """A client with CSRF checks on, signed in through the admin's login form."""
    client = Client(enforce_csrf_checks=True)
    response = post_form(
        client, "/admin/login/?next=/admin/", {"username": username, "password": PASSWORD}
    )
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == "/admin/"
    return client


def post_form(client: Client, url: str, data: dict[str, str]) -> Any:
    """Load the page at ``url``, then submit ``data`` with its hidden inputs, as a browser would."""
    return client.post(url, {**hidden_inputs(client.get(url)), **data})
