"""Shared fixtures. ``world`` is the real local test world (nginx + DNS + CA on loopback)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.support import services
from tests.world import World, find_nginx, running_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The running test world for the whole session; see tests/world/sites.py for its sites.

    Without nginx, integration tests are skipped on a developer's machine but fail in CI (CI=true),
    where a missing nginx means the install step is broken, not that the tests may be left out.
    """
    services.require(find_nginx(), "nginx", install="nginx-light")
    with running_world(tmp_path_factory.mktemp("world")) as w:
        yield w


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[services.Postgres]:
    """One real PostgreSQL for the session (Debian's binaries; see tests/support/services.py)."""
    services.require(services.find_postgres_bin(), "PostgreSQL")
    with services.running_postgres() as server:
        yield server


@pytest.fixture
def pg_url(postgres_server: services.Postgres) -> str:
    """The URL of a fresh, empty database of the session's PostgreSQL, for one test."""
    return postgres_server.create_database(f"t{next(_database_numbers)}")


_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[services.Redis]:
    """One real Redis for the session (Debian's redis-server on a loopback port)."""
    services.require(services.find_redis_server(), "redis-server")
    with services.running_redis() as server:
        yield server


@pytest.fixture(autouse=True, scope="session")
def isolated_list_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test (nor a `trustscan` subprocess) reads or writes the user's real list snapshot folder."""
    patch = pytest.MonkeyPatch()
    patch.setenv("TRUSTSCAN_CACHE_DIR", str(tmp_path_factory.mktemp("lists-cache")))
    yield
    patch.undo()


#: Fixtures that bring up the local world (nginx, DNS, CA on loopback); a test using one, directly or
#: through another fixture, is marked `world`, so `pytest -m "not world"` runs the fast layers alone.
WORLD_FIXTURES = frozenset({"world", "many", "demo"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if WORLD_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.world)
