"""Invisible control characters in what people type (a NUL, a bell, an escape) are dropped
before anything is parsed or stored: PostgreSQL refuses a NUL in text, and they mean nothing
in a question, a pseudonym or an announcement. Line breaks stay."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.offline import OfflineBot
from bot.services.shared.inputs import clean_text
from bot.storage.models import QuestionLog, Trajectory
from tests.support import give_role
from tests.support.chat import fill_registration as _fill
from tests.support.chat import press_shown as _press

pytestmark = pytest.mark.both_databases

APOLOGY = "er ging iets mis"


def test_clean_text_keeps_line_breaks_and_tabs() -> None:
    assert clean_text("a\x00b\x07c\x1bd\x7fe") == "abcde"
    assert clean_text("regel 1\nregel 2\tkolom\r\n") == "regel 1\nregel 2\tkolom\r\n"
    assert clean_text("👍 עברית \u200b") == "👍 עברית \u200b"


async def test_a_question_with_a_nul_is_answered_and_logged_without_it(
    bot: OfflineBot, backend: str
) -> None:
    chat = bot.chat(4242)
    out = await chat.send("wie betaalt\x00 de co-financiering?\x07")
    assert out and APOLOGY not in out[-1].text
    assert "co-financiering" in out[-1].text.lower() or "cofinanciering" in out[-1].text.lower()
    async with bot.services.db.session() as session:
        asked = (await session.execute(select(QuestionLog.text))).scalars().all()
    assert asked == ["wie betaalt de co-financiering?"]


async def test_forms_and_announcements_take_the_text_without_control_characters(
    bot: OfflineBot, backend: str
) -> None:
    await give_role(bot, 4244, "coach", "AM18")
    coach = bot.chat(4244)
    summary = await _fill(coach, pseudonym="KL\x00-12\x1b")
    assert APOLOGY not in summary and "KL-12" in summary
    saved = await _press(coach, "new:ok")
    assert APOLOGY not in saved[-1].text
    async with bot.services.db.session() as session:
        stored = (await session.execute(select(Trajectory.pseudonym))).scalars().all()
    assert stored == ["KL-12"]
    await give_role(bot, 4243, "programma", None)
    team = bot.chat(4243)
    await team.send("/bericht")
    out = await team.send("Hallo\x00 allemaal,\nfijne week!")
    assert APOLOGY not in out[-1].text and "Wie krijgt het bericht?" in out[-1].text
