"""Storage: migrations, users, the question log, the unanswered report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bot.app import build_services
from bot.config import TIMEZONE, Settings
from bot.services import qa
from bot.storage.db import Database, downgrade, upgrade
from bot.storage.models import QuestionLog
from bot.storage.repos import QuestionRepo, UserRepo
from knowledge.matcher import Matcher

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url.replace("+aiosqlite", ""))
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    assert {"users", "question_log", "alembic_version"} <= _tables(url)
    downgrade(url, "base")
    assert _tables(url) == {"alembic_version"}
    upgrade(url)
    assert {"users", "question_log"} <= _tables(url)


async def test_user_is_created_once_and_refreshed(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'u.db'}")
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


async def test_times_come_back_aware_in_utc(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
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


async def test_unanswered_groups_and_counts(tmp_path: Path, matcher: Matcher) -> None:
    settings = Settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'q.db'}")
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
    assert groups[1].entry_title == matcher.kb.entry("faq-5-1").title
    await services.db.dispose()


def test_migrations_match_the_models(tmp_path: Path) -> None:
    """A model change without its migration would break every database already in use."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.storage.models import Base

    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = sa.create_engine(url.replace("+aiosqlite", ""))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
