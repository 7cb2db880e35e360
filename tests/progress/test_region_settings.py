"""/regios: the programme team sets division and target per region and year with buttons."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.config import TIMEZONE
from bot.offline import OfflineBot
from bot.services.people import users
from bot.services.progress import regions
from bot.services.shared import demo
from bot.services.shared.replies import Person
from bot.simulator import Output
from bot.storage.models import RegionYear
from tests.support import ADMIN_ID

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)


async def _setting(bot: OfflineBot, code: str, year: int) -> tuple[str | None, int | None]:
    async with bot.services.db.session() as session:
        row = next(r for r in await regions.list_regions(session, year) if r.code == code)
    return row.division, row.target


async def _as_user(bot: OfflineBot, telegram_id: int, role: str, region: str) -> None:
    services = bot.services
    async with services.db.session() as session:
        await users.record_seen(session, Person(telegram_id, "Test"), services.clock())
        await session.commit()
        await users.set_user(session, services.region_codes(), telegram_id, role, region)
    services.seen.forget(telegram_id)


def _labels(out: list[Output]) -> list[str]:
    return [label for label, _ in out[-1].buttons]


async def test_programme_team_sets_division_and_target(bot: OfflineBot) -> None:
    bot.services.clock = lambda: NOW
    chat = bot.chat(ADMIN_ID)
    menu = (await chat.send("/regios"))[-1]
    assert [d for _, d in menu.buttons] == ["rs:y:2026", "rs:y:2027"]
    assert [label for label, _ in menu.buttons] == ["2026 (dit jaar)", "2027 (volgend jaar)"]
    mid = menu.message_id

    listing = await chat.press("rs:y:2027", mid)
    assert "Regio's in 2027" in listing[-1].text
    assert "AM18 Groot Amsterdam: geen divisie, geen doel" in listing[-1].text
    assert len([d for _, d in listing[-1].buttons if d.startswith("rs:r:2027:")]) == 35

    region = await chat.press("rs:r:2027:AM18", mid)
    assert "Groot Amsterdam (AM18), 2027" in region[-1].text
    assert _labels(region)[:3] == ["Champions League", "Eredivisie", "Keuken Kampioen divisie"]
    assert ("+10", "rs:t:2027:AM18:110") in region[-1].buttons
    assert ("−1", "rs:t:2027:AM18:99") in region[-1].buttons
    assert "Doel: 100" in _labels(region)  # the current value, labelled
    assert ("Zet op 25", "rs:t:2027:AM18:25") in region[-1].buttons  # a preset, labelled

    saved = await chat.press("rs:d:2027:AM18:eredivisie:100", mid)
    assert "✓ Eredivisie" in _labels(saved)
    assert saved[0].text == "Opgeslagen: Eredivisie."  # the toast
    assert await _setting(bot, "AM18", 2027) == ("eredivisie", None)

    stepped = await chat.press("rs:t:2027:AM18:110", mid)
    assert "Nieuw doel: <b>110</b> (nog niet opgeslagen)" in stepped[-1].text
    assert await _setting(bot, "AM18", 2027) == ("eredivisie", None)  # not saved yet
    assert "Opslaan (110)" in _labels(stepped)

    done = await chat.press("rs:s:2027:AM18:110", mid)
    assert done[0].text == "Opgeslagen: doel 110."
    assert "Doel: 110 trajecten" in done[-1].text and "nog niet opgeslagen" not in done[-1].text
    assert await _setting(bot, "AM18", 2027) == ("eredivisie", 110)
    assert await _setting(bot, "AM18", 2026) == (None, None)  # other years untouched

    low = await chat.press("rs:t:2027:AM18:-5", mid)  # the stepper never goes below 0
    assert "Nieuw doel: <b>0</b>" in low[-1].text


async def test_others_cannot_change_regions(bot: OfflineBot) -> None:
    await _as_user(bot, 5001, "coach", "AM18")
    await _as_user(bot, 5002, "regio", "AM18")
    for user_id in (5001, 5002, 5003):
        chat = bot.chat(user_id)
        out = await chat.send("/regios")
        assert "alleen voor het programmateam" in out[-1].text and not out[-1].buttons
        for forged in ("rs:s:2026:AM18:5", "rs:d:2026:AM18:eredivisie:5", "rs:y:2026"):
            pressed = await chat.press(forged, out[-1].message_id)
            assert [o.method for o in pressed] == ["answerCallbackQuery"]
            assert "programmateam" in pressed[0].text
    assert await _setting(bot, "AM18", 2026) == (None, None)


async def test_stale_or_forged_buttons_change_nothing(bot: OfflineBot) -> None:
    chat = bot.chat(ADMIN_ID)
    mid = (await chat.send("/regios"))[-1].message_id
    for forged in (
        "rs:s:2026:AM04:5",
        "rs:d:2026:AM18:premier-league:5",
        "rs:s:1990:AM18:5",
        "rs:s:2026:AM18:veel",
        "rs:x",
        "rs:",
    ):
        pressed = await chat.press(forged, mid)
        assert [o.method for o in pressed] == ["answerCallbackQuery"]
        assert "werkt niet meer" in pressed[0].text
    assert await _setting(bot, "AM18", 2026) == (None, None)


async def test_a_demo_row_set_by_the_team_becomes_real(bot: OfflineBot) -> None:
    async with bot.services.db.session() as session:
        session.add(RegionYear(region_code="AM18", year=2026, division=None, target=7, demo=True))
        session.add(RegionYear(region_code="AM01", year=2026, division=None, target=7, demo=True))
        await session.commit()
    chat = bot.chat(ADMIN_ID)
    await chat.send("/regios")
    await chat.press("rs:s:2026:AM18:90")
    async with bot.services.db.session() as session:
        assert (await demo.clear(session)).region_years == 1
    assert await _setting(bot, "AM18", 2026) == (None, 90)
    assert await _setting(bot, "AM01", 2026) == (None, None)
