"""Suite-wide fixtures: real PostgreSQL and Redis servers started from local binaries."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.fixtures.postgres_server",
    "tests.fixtures.redis_server",
    "tests.fixtures.apigateway_server",
]


def pytest_configure(config: pytest.Config) -> None:
    # With -n, each worker gets its next test when it is done (xdist's --maxschedchunk=1)
    # instead of a quarter of the suite up front, so the slow tests, first in the order below,
    # run side by side. Set here, not in addopts: `make mutation` runs without xdist.
    if config.pluginmanager.hasplugin("xdist") and config.getoption("maxschedchunk") is None:
        config.option.maxschedchunk = 1


def _run_order(item: pytest.Item) -> int:
    """Slow tests first, so that they start at once on both workers instead of ending up one
    after another on a single worker at the end of the run. Django's rule still holds: every test
    on the database's rolled-back transaction comes before the transactional ones (their
    TRUNCATE empties what the migrations seeded), which come before the non-database rest."""
    from tests.fixtures.postgres_server import is_transactional  # once the plugin is loaded

    slow = item.get_closest_marker("slow") is not None
    uses_db = "db" in getattr(item, "fixturenames", ()) or item.get_closest_marker("django_db")
    if is_transactional(item):
        return 2 if slow else 3
    if slow:
        return 0
    return 1 if uses_db else 4


@pytest.hookimpl(trylast=True)  # after pytest-django's own ordering and the other conftests
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Anything touching the Django database runs on the suite's PostgreSQL.
    for item in items:
        if "django_db_setup" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
    items.sort(key=_run_order)  # stable: the order within each group is kept
