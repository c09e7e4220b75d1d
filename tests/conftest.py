"""Shared fixtures: a fresh site per test on SQLite, or on PostgreSQL when OFFICIUM_TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from officium.core.app import OfficiumApp
from officium.testing import TEST_DATABASE_ENV, FakeClock, app_client, close_site, make_site


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A ``postgresql`` test run without a PostgreSQL database fails loudly; it is never skipped.

    ``make test-sqlite`` deselects these tests with ``-m "not postgresql"``; the PostgreSQL pass runs them.
    """
    if item.get_closest_marker("postgresql") is not None and not os.environ.get(TEST_DATABASE_ENV):
        pytest.fail(
            f"this test needs PostgreSQL: set {TEST_DATABASE_ENV} "
            '(e.g. postgresql://postgres@127.0.0.1:5432/postgres), or deselect it with -m "not postgresql"',
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at production cost takes tens of milliseconds per hash; tests hash hundreds of passwords.

    The parameters are lowered for the suite only; tests/core/test_passwords.py checks the real ones.
    """
    from argon2 import PasswordHasher

    monkeypatch.setattr(
        "officium.core.identity.passwords._HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@pytest.fixture
def clock() -> FakeClock:
    """An injectable clock starting on a Monday morning."""
    return FakeClock()


@pytest.fixture
def site_factory(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., OfficiumApp]]:
    """``site_factory(plugins=[...], extra_plugins=[...], settings={...})`` makes a site; all are closed after."""
    made: list[OfficiumApp] = []
    counter = iter(range(1000))

    def factory(**kwargs: Any) -> OfficiumApp:
        kwargs.setdefault("clock", clock)
        app = make_site(tmp_path / f"site{next(counter)}", **kwargs)
        made.append(app)
        return app

    yield factory
    for app in made:
        close_site(app)


@pytest.fixture
def app(site_factory: Callable[..., OfficiumApp]) -> OfficiumApp:
    """A site running only the core."""
    return site_factory()


@pytest.fixture
def client(app: OfficiumApp):
    """A test client of ``app`` with its lifespan running."""
    with app_client(app) as c:
        yield c
