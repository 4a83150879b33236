"""Fixtures for the app tests: two fully populated tenants on the suite's PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core import compiled_pages
from tests.app.factories import TenantWorld, build_tenant


@pytest.fixture(autouse=True, scope="session")
def verify_compiled_pages() -> Iterator[None]:
    """Every list page served from SQL compiled earlier is compiled again and compared."""
    compiled_pages.VERIFY = True
    yield
    compiled_pages.VERIFY = False


@pytest.fixture
def tenant_a(db: None) -> TenantWorld:
    return build_tenant("acme")


@pytest.fixture
def tenant_b(db: None) -> TenantWorld:
    return build_tenant("globex")
