"""What benchmarks/load.py found with 50 people at once, each in a few seconds: a form step
holding two pooled connections at a time."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

from bot.app import build_services
from bot.config import Settings
from bot.offline import OfflineBot, offline_bot
from bot.storage.db import Database
from knowledge.matcher import Matcher
from tests.conftest import give_role

pytestmark = pytest.mark.both_databases

COACH = 5101


@pytest.fixture
async def one_connection(settings: Settings, matcher: Matcher) -> AsyncIterator[OfflineBot]:
    """The bot with a pool of one connection: an update that needs a second one while it
    holds the first waits for itself (here 1 s, then the pool gives up)."""
    db = Database(settings.database_url, pool_size=1, max_overflow=0, pool_timeout=1)
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
