"""The whole story by chat: a region invites a coach by deep link; the coach registers a
trajectory, records the placement and ends it; the region sees it. No shortcuts into the DB."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.offline import OfflineBot
from bot.simulator import ChatSimulator, Output
from bot.storage.models import Trajectory
from tests.support import ADMIN_ID

pytestmark = pytest.mark.both_databases


def _text(out: list[Output]) -> str:
    return "\n".join(o.text for o in out)


async def _press(chat: ChatSimulator, data: str) -> list[Output]:
    buttons = [str(b.get("callback_data")) for b in chat.last_bot_message().buttons()]
    assert data in buttons, (data, buttons)
    return await chat.press(data, chat.last_bot_message().message_id)


async def _press_starting(chat: ChatSimulator, prefix: str) -> list[Output]:
    buttons = [str(b.get("callback_data")) for b in chat.last_bot_message().buttons()]
    [data] = [b for b in buttons if b.startswith(prefix)]
    return await chat.press(data, chat.last_bot_message().message_id)


def _link_code(out: list[Output]) -> str:
    found = re.search(r"https://t\.me/\w+\?start=([A-Za-z0-9_-]+)", _text(out))
    assert found, _text(out)
    return found.group(1)


async def test_invited_coach_registers_places_and_ends_by_chat(bot: OfflineBot) -> None:
    admin = bot.chat(ADMIN_ID)
    await admin.send("/uitnodigen")
    await _press(admin, "inv:new:regio")
    regio_code = _link_code(await _press(admin, "inv:new:regio:AM18"))

    regio = bot.chat(7101, first_name="Ria")
    assert "Groot Amsterdam" in _text(await regio.send(f"/start {regio_code}"))
    await regio.send("/uitnodigen")
    coach_code = _link_code(await _press(regio, "inv:new:coach"))

    coach = bot.chat(7102, first_name="Sanne")
    assert "jobcoach" in _text(await coach.send(f"/start {coach_code}"))
    await coach.send("/registreer")
    await coach.send("SV-001")
    await coach.send("1 maart 2026")
    for data in (
        "new:v:method:ips",
        "new:v:target_group:cmd",
        "new:v:initiator:gemeente",
        "new:v:provider:ggz",
        "new:v:benefit:participatiewet",
        "new:v:ggz:basis",
        "new:v:werken:ja",
    ):
        await _press(coach, data)
    saved = _text(await _press(coach, "new:ok"))
    reference = re.search(r"HW-2026-\d{5}", saved)
    assert reference

    await coach.send("/mijntrajecten")
    await _press_starting(coach, "mt:d:")
    await _press_starting(coach, "mt:p:")
    await coach.send("2 juni 2026")
    await coach.send("20")
    placed = _text(await _press(coach, "mt:v:contract:tijdelijk"))
    assert "Plaatsing opgeslagen" in placed and "Tijdelijk contract" in placed
    await _press_starting(coach, "mt:e:")
    await coach.send("1-10-2026")
    confirm = _text(await _press(coach, "mt:v:end_reason:werk_duurzaam"))
    assert "Klopt dit?" in confirm  # an ending is confirmed first
    ended = _text(await _press(coach, "mt:ok"))
    assert "beëindigd" in ended and "Sanne" in ended  # the history says who did it

    # the region sees the trajectory (read-only)
    await regio.send("/mijntrajecten")
    out = _text(await _press(regio, "mt:l:r:0"))
    assert "1 traject" in out
    async with bot.services.db.session() as session:
        row = (await session.execute(select(Trajectory))).scalar_one()
    assert row.reference == reference.group(0)
    assert (row.status, row.region, row.contract, row.end_reason) == (
        "beeindigd",
        "AM18",
        "tijdelijk",
        "werk_duurzaam",
    )
