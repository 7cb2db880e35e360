"""What benchmarks/load.py found with 50 people at once, each in a few seconds: a form step
holding two pooled connections at a time, and two registrations at the same moment."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import date, datetime

import pytest
from sqlalchemy import select, update

from bot.config import TIMEZONE, Settings
from bot.offline import OfflineBot, offline_bot
from bot.services.progress import regions
from bot.services.trajectories import records as t
from bot.storage.db import Database
from bot.storage.models import Trajectory, User
from bot.wiring import build_services
from knowledge.kb import KnowledgeBase
from knowledge.matcher import Matcher
from tests.support import give_role

pytestmark = pytest.mark.both_databases

COACH = 5101
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)


@pytest.fixture
async def one_connection(settings: Settings, matcher: Matcher) -> AsyncIterator[OfflineBot]:
    """The bot with a pool of one connection: an update that needs a second one while it
    holds the first waits for itself (here 1 s, then the pool gives up)."""
    db = Database(settings.db_url, pool_size=1, max_overflow=0, pool_timeout=1)
    services = dataclasses.replace(build_services(settings, matcher=matcher), db=db)
    async with offline_bot(settings, services) as ob:
        await give_role(ob, COACH, "coach", "AM18")
        yield ob


async def test_a_form_step_needs_one_connection_at_a_time(one_connection: OfflineBot) -> None:
    chat = one_connection.chat(COACH)
    apology = one_connection.services.renderer.render("common/error.html.j2")
    for text, expected in (
        ("/registreer", "pseudoniem"),
        ("KL-07", "Wanneer is het traject gestart"),
        ("12-3-2026", "methode"),
    ):
        out = "\n".join(o.text for o in await chat.send(text))
        assert apology not in out and expected.lower() in out.lower(), out
    out = "\n".join(o.text for o in await chat.press("new:v:method:ips"))
    assert apology not in out and "doelgroep" in out.lower(), out


async def test_registrations_at_the_same_moment_get_their_own_reference(
    settings: Settings, kb: KnowledgeBase
) -> None:
    db = Database(settings.db_url)
    await db.upgrade()
    async with db.session() as session:
        await regions.ensure_regions(session, kb)
        session.add(User(telegram_id=COACH, first_seen=NOW, last_seen=NOW, role="coach"))
        await session.commit()
        coach = await session.scalar(select(User.id))
    assert coach is not None

    async def register(n: int) -> str:
        new = t.NewTrajectory(
            "AM18", f"KL-{n:02d}", date(2026, 3, 1), "ips", "epa", "uwv", "ggz", "wia", "basis"
        )
        async with db.session() as session:
            return (await t.register(session, new, coach, NOW)).reference

    references = await asyncio.gather(*(register(n) for n in range(6)))
    assert sorted(references) == [f"HW-2026-{n:05d}" for n in range(1, 7)]
    async with db.session() as session:
        rows = [p or "" for p in (await session.execute(select(Trajectory.pseudonym))).scalars()]
    assert sorted(rows) == [f"KL-{n:02d}" for n in range(6)]
    await db.dispose()


async def test_many_writers_at_once_all_get_their_turn_in_order(
    settings: Settings, backend: str
) -> None:
    """30 people each saving 4 times, every transaction holding its write for a moment (as an
    update does while it answers): nobody fails and nobody waits much longer than the others.
    On SQLite, left to its own polling, some writer keeps missing the lock until "database
    is locked"; the in-process writer queue gives the turns in order of arrival."""
    db = Database(settings.db_url)
    await db.upgrade()
    async with db.session() as session:
        session.add_all(
            User(telegram_id=9_000 + n, first_seen=NOW, last_seen=NOW, role="coach")
            for n in range(30)
        )
        await session.commit()
    waits: list[float] = []

    async def person(n: int) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(4):
            asked = loop.time()
            async with db.session() as session:
                await session.execute(
                    update(User).where(User.telegram_id == 9_000 + n).values(last_seen=NOW)
                )
                waits.append(loop.time() - asked)
                await asyncio.sleep(0.03)  # the write is held while the bot answers
                await session.commit()

    await asyncio.gather(*(person(n) for n in range(30)))
    await db.dispose()
    assert len(waits) == 120
    # in turn, the longest wait is about one round of the others (30 × 30 ms)
    assert max(waits) < 2.5, f"a writer waited {max(waits):.1f} s"
