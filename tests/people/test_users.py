"""Roles, invites and /ik: joining by deep link, every way a code can fail, the CLI."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import TIMEZONE
from bot.offline import OfflineBot
from bot.services.people import users
from bot.services.people.users import (
    WRONG_CODE_GLOBAL_LIMIT,
    WRONG_CODE_LIMIT,
    WRONG_CODE_WINDOW,
    CodeAttempts,
)
from bot.services.progress import regions
from bot.simulator import ChatSimulator, Output
from tests.support import ADMIN_ID, give_role
from tests.support.chat import press_shown

pytestmark = pytest.mark.both_databases
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=TIMEZONE)


async def _invite(
    bot: OfflineBot,
    role: str = "coach",
    region: str | None = "AM18",
    uses: int = 1,
    days: int = 14,
) -> str:
    services = bot.services
    async with services.db.session() as session:
        await regions.ensure_regions(session, services.kb)
        invite = await users.create_invite(
            session, services.region_codes(), role, region, uses, days, services.clock()
        )
        return invite.code


async def test_join_by_deep_link_and_see_role(bot: OfflineBot) -> None:
    code = await _invite(bot)
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", code)
    chat = bot.chat(3001)
    assert "nog niet aangemeld" in (await chat.send("/ik"))[-1].text
    out = await chat.send(f"/start {code}")
    assert "jobcoach" in out[-1].text and "Groot Amsterdam" in out[-1].text
    me = await chat.send("/ik")
    assert "jobcoach" in me[-1].text and "AM18" in me[-1].text


async def test_admins_are_programme_team(bot: OfflineBot) -> None:
    out = await bot.chat(ADMIN_ID).send("/ik")
    assert "programmateam" in out[-1].text


async def test_codes_that_do_not_work(bot: OfflineBot) -> None:
    once = await _invite(bot, uses=1)
    await bot.chat(3101).send(f"/start {once}")
    assert "al gebruikt" in (await bot.chat(3102).send(f"/start {once}"))[-1].text

    revoked = await _invite(bot)
    async with bot.services.db.session() as session:
        assert await users.revoke_invite(session, revoked)
    assert "ingetrokken" in (await bot.chat(3103).send(f"/start {revoked}"))[-1].text

    expired = await _invite(bot, days=1)
    later = bot.services.clock() + timedelta(days=2)
    bot.services.clock = lambda: later
    assert "verlopen" in (await bot.chat(3104).send(f"/start {expired}"))[-1].text


async def test_guessing_codes_is_locked_out(bot: OfflineBot) -> None:
    good = await _invite(bot)
    chat = bot.chat(3201)
    for i in range(5):
        out = await chat.send(f"/start gok{i}")
        assert "ken ik niet" in out[-1].text
    out = await chat.send(f"/start {good}")
    assert "Te veel verkeerde codes" in out[-1].text
    # someone else is not affected
    assert "jobcoach" in (await bot.chat(3202).send(f"/start {good}"))[-1].text


def test_many_accounts_guessing_codes_hit_a_global_limit_and_are_forgotten() -> None:
    attempts = CodeAttempts()
    guessers = WRONG_CODE_GLOBAL_LIMIT // (WRONG_CODE_LIMIT - 1)
    for telegram_id in range(guessers):  # each stays below its own limit
        for i in range(WRONG_CODE_LIMIT - 1):
            assert not attempts.locked(telegram_id, NOW + timedelta(seconds=i))
            attempts.failed(telegram_id, NOW + timedelta(seconds=i))
    later = NOW + timedelta(minutes=1)
    assert attempts.locked(999_999, later)  # someone new: no code is taken for now
    gone = NOW + WRONG_CODE_WINDOW + timedelta(seconds=WRONG_CODE_LIMIT)
    assert not attempts.locked(999_999, gone)
    assert attempts.failures == {} and not attempts.everyone  # nobody kept in memory


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'users.db'}")
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "hoofdzaak_test_bot")
    monkeypatch.setenv("HOOFDZAAK_ADMINS", "77")
    return CliRunner()


def test_cli_invite_and_manage_users(runner: CliRunner) -> None:
    result = runner.invoke(
        main,
        [
            "users",
            "invite",
            "--role",
            "coach",
            "--region",
            "am18",
            "--uses",
            "3",
            "--days",
            "7",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["link"] == f"https://t.me/hoofdzaak_test_bot?start={data['code']}"
    assert data["uses"] == 3 and data["region"] == "AM18"
    # the console user joins with the code
    runner.invoke(main, ["chat"], input=f"/start {data['code']}\n")
    rows = json.loads(runner.invoke(main, ["users", "list", "--json"]).output)
    (row,) = rows
    assert row["role"] == "coach" and row["region"] == "AM18" and row["active"]
    uid = str(row["telegram_id"])
    assert (
        runner.invoke(main, ["users", "set", uid, "--role", "regio", "--region", "AM01"]).exit_code
        == 0
    )
    assert runner.invoke(main, ["users", "deactivate", uid]).exit_code == 0
    (row,) = json.loads(runner.invoke(main, ["users", "list", "--json"]).output)
    assert row["region"] == "AM01" and row["active"] is False and row["role"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "invite", "--role", "coach"], "needs a region"),
        (["users", "invite", "--role", "regio", "--region", "AM04"], "unknown region"),
        (["users", "invite", "--role", "boss"], "Invalid value"),
        (["users", "invite", "--role", "programma", "--days", "999"], "days"),
        (["users", "set", "12345", "--role", "coach", "--region", "AM18"], "no user"),
        (["users", "revoke", "nietbestaand"], "no invite"),
    ],
)
def test_cli_user_errors(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(main, args)
    assert result.exit_code != 0 and message in result.output


def _data(out: list[Output], prefix: str) -> list[str]:
    return [d for o in out for _, d in o.buttons if str(d).startswith(prefix)]


async def test_programme_team_invites_by_chat(bot: OfflineBot) -> None:
    admin = bot.chat(ADMIN_ID)
    out = await admin.send("/uitnodigen")
    assert _data(out, "inv:") == ["inv:new:coach", "inv:new:regio", "inv:new:programma"]
    out = await admin.press("inv:new:coach", out[-1].message_id)
    assert "inv:new:coach:AM18" in _data(out, "inv:new:coach:")
    out = await admin.press("inv:new:coach:AM18", out[-1].message_id)
    text = out[-1].text
    link = re.search(r"https://t\.me/hoofdzaak_werk_bot\?start=([A-Za-z0-9_-]+)", text)
    assert link and "Groot Amsterdam" in text
    joined = await bot.chat(3301).send(f"/start {link.group(1)}")
    assert "jobcoach" in joined[-1].text and "Groot Amsterdam" in joined[-1].text


async def test_an_invite_typed_with_role_and_region_name(bot: OfflineBot) -> None:
    admin = bot.chat(ADMIN_ID)
    out = await admin.send("/uitnodigen jobcoach zuid limbrug")  # a name, with a typo
    text = out[-1].text
    link = re.search(r"https://t\.me/hoofdzaak_werk_bot\?start=([A-Za-z0-9_-]+)", text)
    assert link and "Zuid-Limburg" in text
    joined = await bot.chat(3311).send(f"/start {link.group(1)}")
    assert "jobcoach" in joined[-1].text and "Zuid-Limburg" in joined[-1].text
    out = await admin.send("/uitnodigen regio Atlantis")
    assert "De regio «atlantis» ken ik niet" in out[-1].text


async def test_region_staff_invite_coaches_for_their_own_region_only(bot: OfflineBot) -> None:
    code = await _invite(bot, role="regio", region="AM01")
    regio = bot.chat(3401)
    await regio.send(f"/start {code}")
    out = await regio.send("/uitnodigen")
    assert _data(out, "inv:") == ["inv:new:coach"]
    # forged buttons: another role, another region
    await regio.press("inv:new:programma", out[-1].message_id)
    assert "alleen" in bot.api.sent("answerCallbackQuery")[-1].params["text"]
    out = await regio.press("inv:new:coach:AM18", out[-1].message_id)
    assert "Groningen" in out[-1].text and "Groot Amsterdam" not in out[-1].text


async def test_unregistered_people_cannot_invite(bot: OfflineBot) -> None:
    chat = bot.chat(3501)
    assert "alleen" in (await chat.send("/uitnodigen"))[-1].text
    await chat.send("/start")
    await chat.press("inv:new:coach:AM18")
    assert "alleen" in bot.api.sent("answerCallbackQuery")[-1].params["text"]


async def test_programme_team_manages_users_by_chat(bot: OfflineBot) -> None:
    code = await _invite(bot, role="coach", region="AM18")
    await bot.chat(3601, first_name="Mila").send(f"/start {code}")
    admin = bot.chat(ADMIN_ID)
    out = await admin.send("/gebruikers")
    assert "usr:d:3601" in _data(out, "usr:d:3601")
    msg = out[-1].message_id
    out = await admin.press("usr:d:3601", msg)
    assert "Mila" in out[-1].text and "jobcoach" in out[-1].text
    out = await admin.press("usr:role:3601:regio", msg)  # keeps the region
    assert "Rol: regio" in out[-1].text and "Groot Amsterdam" in out[-1].text
    out = await admin.press("usr:pick:3601", msg)
    assert "typ de naam of de code" in out[-1].text
    out = await admin.send("atlantis")  # a typed region it does not know: asked again
    assert "Die regio ken ik niet" in out[-1].text
    out = await admin.send("zuid limbrug")  # typed, with a typo
    assert "Zuid-Limburg" in out[-1].text
    out = await admin.press("usr:pick:3601", msg)
    out = await admin.press("usr:region:3601:AM01:regio", msg)
    assert "Groningen" in out[-1].text
    out = await admin.press("usr:off:3601", msg)
    assert "non-actief" in out[-1].text
    assert "nog niet aangemeld" not in (await bot.chat(3601).send("/ik"))[-1].text
    assert "non-actief" in (await bot.chat(3601).send("/ik"))[-1].text
    # not for anyone else, also not by a forged button
    other = bot.chat(3602)
    assert "programmateam" in (await other.send("/gebruikers"))[-1].text
    await other.send("/start")
    await other.press("usr:role:3601:programma")
    assert "programmateam" in bot.api.sent("answerCallbackQuery")[-1].params["text"]


async def test_finished_checks_are_logged_with_the_region(bot: OfflineBot) -> None:
    from sqlalchemy import select

    from bot.storage.models import CheckLog

    code = await _invite(bot, role="coach", region="AM18")
    coach = bot.chat(3701)
    await coach.send(f"/start {code}")
    await coach.send("/kandidaat")
    await coach.press("chk:k:3701:2")
    anonymous = bot.chat(3702)
    await anonymous.send("/kandidaat")
    await anonymous.press("chk:k:3702:2")
    async with bot.services.db.session() as session:
        rows = (await session.execute(select(CheckLog).order_by(CheckLog.id))).scalars().all()
    assert [r.region for r in rows] == ["AM18", None]


async def test_all_users_can_be_paged_and_searched(bot: OfflineBot) -> None:
    """141 users: every one reachable by paging, and a search by name, role or region."""
    for n in range(141):
        role, region = ("coach", "AM18") if n % 2 else ("regio", "AM30")
        await give_role(bot, 700_000 + n, role, region)
    admin = bot.chat(ADMIN_ID)
    out = await admin.send("/gebruikers")
    assert "141 aangemelde gebruikers, pagina 1 van 15" in out[-1].text
    seen = set(_user_buttons(out))
    for _ in range(14):
        out = await press_shown(admin, _button(admin, "Volgende »"))
        seen |= set(_user_buttons(out))
    assert len(seen) == 141 and "pagina 15 van 15" in out[-1].text
    out = await admin.send("/gebruikers zuid-limburg regio")
    assert "71 van de 141 gebruikers bij «zuid-limburg regio»" in out[-1].text
    out = await admin.send("/gebruikers 700007")
    assert _user_buttons(out) == ["usr:d:700007"]
    out = await admin.send("/gebruikers niemandnietsnergens")
    assert "Niemand gevonden" in out[-1].text


def _user_buttons(out: list[Output]) -> list[str]:
    return [d for _, d in out[-1].buttons if d.startswith("usr:d:")]


def _button(chat: ChatSimulator, label: str) -> str:
    return next(
        str(b["callback_data"])
        for b in chat.last_bot_message().buttons()
        if b.get("text") == label
    )
