"""Suite-wide fixtures: real PostgreSQL and Redis servers started from local binaries."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.fixtures.postgres_server",
    "tests.fixtures.redis_server",
    "tests.fixtures.apigateway_server",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Anything touching the Django database runs on the suite's PostgreSQL.
    for item in items:
        if "django_db_setup" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
