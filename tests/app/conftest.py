"""Fixtures for the app tests: two fully populated tenants on the suite's PostgreSQL."""

from __future__ import annotations

import pytest

from tests.app.factories import TenantWorld, build_tenant


@pytest.fixture
def tenant_a(db: None) -> TenantWorld:
    return build_tenant("acme")


@pytest.fixture
def tenant_b(db: None) -> TenantWorld:
    return build_tenant("globex")
