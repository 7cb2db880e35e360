"""The fixtures: the knowledge base and matcher (once per run), the database of each test
(SQLite, or PostgreSQL too for tests marked `both_databases`), settings and an offline bot.
Helpers are in tests/support.

hypothesis is imported at the top: otherwise a run without any hypothesis test imports it
only in the plugin's terminal summary, deep in pluggy's call stack, where CPython 3.11.7's
compiler fails on pytest's assertion rewriting ("AST constructor recursion depth mismatch",
gh-106905) after every test passed."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import hypothesis  # noqa: F401 - imported here, at a shallow stack: see below
import pytest

from bot.config import Settings
from bot.offline import OfflineBot, offline_bot
from bot.wiring import build_services
from knowledge.kb import KnowledgeBase, load_kb
from knowledge.matcher import Matcher
from tests.support import ADMIN_ID
from tests.support.pg import PostgresCluster, find_bindir


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_kb()


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)


BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    # the matcher's index cache (knowledge/index_cache.py) of this run, not the user's
    if "HOOFDZAAK_INDEX_CACHE" not in os.environ:
        os.environ["HOOFDZAAK_INDEX_CACHE"] = tempfile.mkdtemp(prefix="hoofdzaak-index-")
    config.addinivalue_line(
        "markers", "both_databases: run the test on SQLite and on PostgreSQL (`backend`)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `both_databases` run once per backend; all others on SQLite only."""
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_databases"
    ):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """One throw-away cluster for the whole run, started on first use."""
    bindir = find_bindir()
    if bindir is None:
        reason = "PostgreSQL is not installed (.ci/run installs it)"
        if os.environ.get("HOOFDZAAK_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    cluster = PostgresCluster(bindir)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh database at the head revision, on the test's backend."""
    if backend == "postgresql":
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        return cluster.fresh_database()
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        DATABASE_URL=db_url,
        # a script is faster than any person: flood control is tested on its own (test_updates)
        HOOFDZAAK_FLOOD_LIMIT=10_000,
        HOOFDZAAK_ADMINS=str(ADMIN_ID),
        rate_limiter=False,
    )


@pytest.fixture
async def bot(settings: Settings, matcher: Matcher) -> AsyncIterator[OfflineBot]:
    async with offline_bot(settings, build_services(settings, matcher=matcher)) as ob:
        yield ob
