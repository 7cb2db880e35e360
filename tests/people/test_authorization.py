"""The authorization matrix: every command × every role (and someone not registered), and
forged button presses for every area that needs a role. The expectations are written out here,
independently of bot/services/people/menu.py, so a permission slip in either place shows."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.fakeapi import BOT_USERNAME
from bot.offline import OfflineBot
from bot.services.trajectories import records as t
from bot.simulator import Output
from bot.storage.models import Invite, RegionYear, Trajectory, User
from tests.support import ADMIN_ID, give_role

NOBODY, COACH, OTHER_COACH, REGIO, TEAM = 8001, 8002, 8003, 8004, 8005
ROLES = {
    "nobody": NOBODY,
    "coach": COACH,
    "regio": REGIO,
    "programma": TEAM,  # by invite, not in HOOFDZAAK_ADMINS
    "admin": ADMIN_ID,
}
EVERYONE = set(ROLES)
STAFF = {"coach", "regio", "programma", "admin"}
LEADS = {"regio", "programma", "admin"}
TEAM_ONLY = {"programma", "admin"}
# command → who may use it
MATRIX: dict[str, set[str]] = {
    "start": EVERYONE,
    "faq": EVERYONE,
    "help": EVERYONE,
    "ik": EVERYONE,
    "kandidaat": EVERYONE,
    "traject": EVERYONE,
    "cofinanciering": EVERYONE,
    "stop": EVERYONE,
    "registreer": STAFF,
    "mijntrajecten": STAFF,
    "regio": STAFF,
    "instellingen": STAFF,
    "landelijk": LEADS,
    "export": LEADS,
    "uitnodigen": LEADS,
    "bericht": LEADS,
    "berichten": LEADS,
    "gebruikers": TEAM_ONLY,
    "regios": TEAM_ONLY,
    "onbeantwoord": TEAM_ONLY,
    "checkstats": TEAM_ONLY,
}
REFUSED = re.compile(
    r"alleen voor het programmateam|Uitnodigen kan alleen|alleen met een account"
    r"|Exporteren kan alleen|voor medewerkers van Hoofdzaak Werk met een account"
    r"|Het landelijke overzicht is voor regio-medewerkers|er alleen met een account"
)


def _text(out: list[Output]) -> str:
    return "\n".join(o.text for o in out)


async def _setup(bot: OfflineBot) -> None:
    await give_role(bot, COACH, "coach", "AM18")
    await give_role(bot, OTHER_COACH, "coach", "AM18")
    await give_role(bot, REGIO, "regio", "AM18")
    await give_role(bot, TEAM, "programma", None)


@pytest.mark.parametrize("command", sorted(MATRIX))
async def test_every_command_for_every_role(bot: OfflineBot, command: str) -> None:
    await _setup(bot)
    for role, telegram_id in ROLES.items():
        chat = bot.chat(telegram_id)
        out = await chat.send(f"/{command}")
        text = _text(out)
        assert text.strip(), f"/{command} left {role} without an answer"
        if role in MATRIX[command]:
            assert not REFUSED.search(text), f"/{command} refused {role}: {text[:200]}"
        else:
            assert REFUSED.search(text), f"/{command} allowed {role}: {text[:200]}"
        await chat.send("/stop")  # close any form the command opened


async def test_forged_buttons_are_checked_again(bot: OfflineBot) -> None:
    """Callback data is typed by the client: each press checks the role itself."""
    await _setup(bot)
    async with bot.services.db.session() as session:
        coach_row = (
            await session.execute(select(User).where(User.telegram_id == COACH))
        ).scalar_one()
        new = t.NewTrajectory(
            "AM18", "KL-99", date(2026, 3, 1), "ips", "epa", "uwv", "ggz", "ww", "basis"
        )
        tid = (await t.register(session, new, coach_row.id, bot.services.clock())).id

    async def counts() -> tuple[int, int, int]:
        async with bot.services.db.session() as session:
            invites = await session.scalar(select(func.count()).select_from(Invite))
            years = await session.scalar(select(func.count()).select_from(RegionYear))
            team = await session.scalar(
                select(func.count()).select_from(User).where(User.role == "programma")
            )
            return invites or 0, years or 0, team or 0

    before = await counts()
    forged = [
        "inv:new:programma",
        "inv:new:coach:AM05",
        f"usr:role:{OTHER_COACH}:programma",
        f"usr:off:{OTHER_COACH}",
        "rs:s:2026:AM18:500",
        "rs:d:2026:AM18:champions-league:100",
        "exp:get:nl:all",
        "exp:get:AM05:all",
        f"mt:d:{tid}",
        f"mt:p:{tid}:1",
        f"mt:e:{tid}:1",
        f"mt:w:{tid}:1",
        "new:ok",
        "st:r:AM05:2026",
        "st:l:2026",
        "ann:a:all",
        "ann:a:r:AM05",
        "ann:p:now",
        "ann:c:1",
        "ann:u:1",
        "ann:l",
        "set:d:off",
        "set:w:3",
    ]
    for telegram_id in (NOBODY, OTHER_COACH):
        chat = bot.chat(telegram_id)
        await chat.send("/start")
        for data in forged:
            out = await chat.press(data)
            assert not any(o.method in ("sendDocument", "sendPhoto") for o in out), (
                telegram_id,
                data,
            )
            assert "KL-99" not in _text(out), (telegram_id, data)
    assert await counts() == before
    async with bot.services.db.session() as session:
        row = await session.get(Trajectory, tid)
        other = (
            await session.execute(select(User).where(User.telegram_id == OTHER_COACH))
        ).scalar_one()
    assert row is not None and row.status == "lopend" and row.version == 1
    assert other.active and other.role == "coach"


PRIVATE_ONLY = [
    "registreer",
    "mijntrajecten",
    "bericht",
    "berichten",
    "instellingen",
    "export",
    "gebruikers",
    "uitnodigen",
    "onbeantwoord",
    "checkstats",
    "regios",
]


@pytest.mark.parametrize("command", PRIVATE_ONLY)
async def test_team_and_personal_commands_stay_out_of_groups(
    bot: OfflineBot, command: str
) -> None:
    """Even the programme team gets only a pointer to the private chat in a group: no user
    list, no question texts, no invite link anybody in the group could redeem."""
    await _setup(bot)
    await bot.chat(NOBODY).send("wat kost een wethouder per uur aan koffie bij piet?")
    group = bot.chat(ADMIN_ID, chat_id=-100900, chat_type="supergroup")
    out = await group.send(f"/{command}@{BOT_USERNAME}")
    assert [o.method for o in out] == ["sendMessage"]
    assert "privégesprek" in out[0].text and not out[0].buttons
    assert "start=" not in out[0].text and "piet" not in out[0].text
    async with bot.services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Invite)) == 0


async def test_forged_buttons_show_nothing_personal_in_groups(bot: OfflineBot) -> None:
    await _setup(bot)
    async with bot.services.db.session() as session:
        coach_row = (
            await session.execute(select(User).where(User.telegram_id == COACH))
        ).scalar_one()
        new = t.NewTrajectory(
            "AM18", "KL-99", date(2026, 3, 1), "ips", "epa", "uwv", "ggz", "ww", "basis"
        )
        tid = (await t.register(session, new, coach_row.id, bot.services.clock())).id
    for telegram_id in (COACH, ADMIN_ID):
        group = bot.chat(telegram_id, chat_id=-100901, chat_type="group")
        await group.send(f"@{BOT_USERNAME} wat is een wsp?")  # a bot message to press under
        for data in (
            f"mt:d:{tid}",
            "mt:l:m:0",
            f"usr:d:{COACH}",
            "usr:list",
            "inv:new:coach",
            "ann:l",
        ):
            out = await group.press(data)
            assert [o.method for o in out] == ["answerCallbackQuery"], data
            assert "privégesprek" in out[0].text, data
            assert "KL-99" not in _text(out) and str(COACH) not in _text(out), data
