"""Storage: migrations, users, the question log, the unanswered report."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import TIMEZONE, Settings
from bot.services.faq import answers as qa
from bot.storage.db import Database, downgrade, upgrade
from bot.storage.models import Base, QuestionLog
from bot.storage.questions import QuestionRepo
from bot.storage.users import UserRepo
from bot.wiring import build_services
from knowledge.matcher import Matcher
from tests.support.pg import PostgresCluster

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
    finally:
        await engine.dispose()


@pytest.fixture
def empty_db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "postgresql":
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        return cluster.empty_database()
    return f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"


async def test_migrations_upgrade_downgrade_upgrade(empty_db_url: str) -> None:
    """From empty to head, all the way down, and up again: every table the models know."""
    url = empty_db_url
    expected = set(Base.metadata.tables) | {"alembic_version"}
    await asyncio.to_thread(upgrade, url)
    assert await _tables(url) == expected
    await asyncio.to_thread(downgrade, url, "base")
    assert await _tables(url) == {"alembic_version"}
    await asyncio.to_thread(upgrade, url)
    assert await _tables(url) == expected


async def test_user_is_created_once_and_refreshed(db_url: str) -> None:
    db = Database(db_url)
    await db.upgrade()
    async with db.session() as s:
        await UserRepo(s).seen(77, "Anna", None, "anna", NOW)
        await s.commit()
    async with db.session() as s:
        user = await UserRepo(s).seen(77, "Anna", "de Vries", None, NOW + timedelta(days=1))
        await s.commit()
        assert await UserRepo(s).count() == 1
    assert user.first_seen == NOW.astimezone(UTC)
    assert user.last_seen == (NOW + timedelta(days=1)).astimezone(UTC)
    assert user.last_name == "de Vries" and user.username is None
    await db.dispose()


async def test_times_come_back_aware_in_utc(db_url: str) -> None:
    db = Database(db_url)
    await db.upgrade()
    async with db.session() as s:
        row = await QuestionRepo(s).log(
            QuestionLog(chat_type="private", text="x", outcome="unknown", score=0.0, asked_at=NOW)
        )
        await s.commit()
        log_id = row.id
    async with db.session() as s:
        again = await QuestionRepo(s).get(log_id)
        assert again is not None and again.asked_at.tzinfo is not None
        assert again.asked_at == NOW
    await db.dispose()


async def test_unanswered_groups_and_counts(db_url: str, matcher: Matcher) -> None:
    settings = Settings(DATABASE_URL=db_url)
    services = build_services(settings, matcher=matcher, clock=lambda: NOW)
    await services.db.upgrade()
    async with services.db.session() as s:
        repo = QuestionRepo(s)
        for i, (text, outcome, feedback, days_ago) in enumerate(
            [
                ("Wat is het weer?", "unknown", None, 1),
                ("wat is het weer", "unknown", None, 2),
                ("Wie betaalt de cofi", "answer", "down", 3),
                ("Wie betaalt de cofi", "answer", "up", 3),
                ("oude vraag", "unknown", None, 90),
            ]
        ):
            await repo.log(
                QuestionLog(
                    chat_type="private",
                    text=text,
                    outcome=outcome,
                    entry_id="faq-5-1" if outcome == "answer" else None,
                    feedback=feedback,
                    score=0.1 * i,
                    asked_at=NOW - timedelta(days=days_ago),
                )
            )
        await s.commit()
        groups = await qa.unanswered(services, s, days=30)
    assert [(g.text, g.count, g.downvoted) for g in groups] == [
        ("Wat is het weer?", 2, 0),
        ("Wie betaalt de cofi", 1, 1),
    ]
    assert services.kb.title_of(groups[1].entry_id) == matcher.kb.entry("faq-5-1").title
    await services.db.dispose()


async def test_migrations_match_the_models(empty_db_url: str) -> None:
    """The migrations at head build exactly the tables, columns and types of the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    await asyncio.to_thread(upgrade, empty_db_url)
    engine = create_async_engine(empty_db_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []


async def test_the_database_refuses_a_role_or_status_outside_the_domain(db_url: str) -> None:
    """The check constraints of migration 0010: a typo in code cannot reach the tables."""
    from sqlalchemy.exc import IntegrityError

    from bot.storage.models import User

    db = Database(db_url)
    await db.upgrade()
    try:
        async with db.session() as session:
            session.add(User(telegram_id=42, first_seen=NOW, last_seen=NOW, role="programmer"))
            with pytest.raises(IntegrityError):
                await session.commit()
        async with db.session() as session:
            session.add(User(telegram_id=43, first_seen=NOW, last_seen=NOW, role="coach"))
            await session.commit()
    finally:
        await db.dispose()


def test_the_migrations_constraints_list_the_domains_values() -> None:
    """A new role or status in bot/domain.py needs a migration of its check constraint."""
    import importlib.util

    from bot.domain import (
        AnnouncementKind,
        AnnouncementStatus,
        DeliveryStatus,
        Role,
        TrajectoryStatus,
        values,
    )
    from bot.storage.db import MIGRATIONS

    spec = importlib.util.spec_from_file_location(
        "m0010", MIGRATIONS / "versions" / "0010_check_constraints.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = {
        ("users", "role"): values(Role),
        ("invites", "role"): values(Role),
        ("trajectories", "status"): values(TrajectoryStatus),
        ("announcements", "kind"): values(AnnouncementKind),
        ("announcements", "status"): values(AnnouncementStatus),
        ("deliveries", "status"): values(DeliveryStatus),
    }
    assert {(t, c): tuple(v) for t, c, v in module.CHECKS} == expected


def test_the_quick_revision_reading_agrees_with_alembic() -> None:
    """Read-only commands read the migration chain from the files without Alembic; the head
    and the known revisions must be Alembic's."""
    from bot.storage import db as storage_db

    assert storage_db.head_revision() == storage_db.alembic_head()
    alembic_known = {s.revision for s in storage_db._scripts().walk_revisions()}
    assert storage_db.known_revisions() == alembic_known
