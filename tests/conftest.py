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
