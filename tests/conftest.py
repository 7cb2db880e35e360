from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build_services
from bot.config import Settings
from bot.offline import OfflineBot, offline_bot
from knowledge.kb import KnowledgeBase, load_kb
from knowledge.matcher import Matcher

ADMIN_ID = 9001
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_kb()


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'test.db'}",
        HOOFDZAAK_ADMINS=str(ADMIN_ID),
        rate_limiter=False,
    )


@pytest.fixture
async def bot(settings: Settings, matcher: Matcher) -> AsyncIterator[OfflineBot]:
    async with offline_bot(settings, build_services(settings, matcher=matcher)) as ob:
        yield ob


async def give_role(bot: OfflineBot, telegram_id: int, role: str, region: str | None) -> None:
    """Make `telegram_id` a registered user with this role (what an invite does)."""
    from bot.services import regions, users
    from bot.services.replies import Person

    services = bot.services
    async with services.db.session() as session:
        await regions.ensure_regions(session, services.kb)
        await users.record_seen(
            session, Person(telegram_id, f"Gebruiker {telegram_id}"), services.clock()
        )
        await session.commit()
        await users.set_user(session, services.region_codes(), telegram_id, role, region)
    services.seen.forget(telegram_id)
