"""The API's content negotiation answers as DRF's own, taking a short cut for ``*/*``."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from app.core.negotiation import FirstRendererForAnyContentNegotiation
from tests.app.factories import TenantWorld

RENDERERS: dict[str, list[BaseRenderer]] = {
    "json": [JSONRenderer()],
    "json, html": [JSONRenderer(), BrowsableAPIRenderer()],
    "html, json": [BrowsableAPIRenderer(), JSONRenderer()],
}
ACCEPTS = [
    None,
    "*/*",
    "",
    "application/json",
    "application/json; indent=4",
    "text/html",
    "text/*",
    "application/xml",
    "application/xml, */*;q=0.1",
]


def _request(accept: str | None, query: str) -> Request:
    factory, path = APIRequestFactory(), f"/api/v1/employees/{query}"
    return Request(factory.get(path) if accept is None else factory.get(path, HTTP_ACCEPT=accept))


def _answer(negotiator: DefaultContentNegotiation, *args: Any) -> Any:
    try:
        renderer, media_type = negotiator.select_renderer(*args)
    except exceptions.NotAcceptable as refused:
        return ("406", refused.detail)
    except Http404:  # a format no renderer writes
        return ("404",)
    return (type(renderer), media_type)


@pytest.mark.parametrize("renderers", RENDERERS.values(), ids=RENDERERS)
@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize(("query", "suffix"), [("", None), ("?format=json", None), ("", "api")])
def test_the_answer_is_drfs(
    renderers: list[BaseRenderer], accept: str | None, query: str, suffix: str | None
) -> None:
    expected = _answer(DefaultContentNegotiation(), _request(accept, query), renderers, suffix)
    got = _answer(
        FirstRendererForAnyContentNegotiation(), _request(accept, query), renderers, suffix
    )
    assert got == expected


@pytest.mark.parametrize("accept", [None, "*/*"])
def test_any_media_type_takes_the_short_cut(
    accept: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def parsed(*_args: Any) -> Any:
        raise AssertionError("the Accept header was parsed")

    monkeypatch.setattr(DefaultContentNegotiation, "select_renderer", parsed)
    renderers = RENDERERS["json, html"]
    negotiator = FirstRendererForAnyContentNegotiation()
    assert negotiator.select_renderer(_request(accept, ""), renderers) == (
        renderers[0],
        "application/json",
    )


def test_the_api_still_refuses_what_it_cannot_write(tenant_a: TenantWorld) -> None:
    client = tenant_a.client("admin")
    assert client.get("/api/v1/employees/", HTTP_ACCEPT="application/xml").status_code == 406
    plain = client.get("/api/v1/employees/")
    assert plain.status_code == 200
    assert plain["Content-Type"] == "application/json"
