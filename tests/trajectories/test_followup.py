"""/mijntrajecten: the list, details and history, placement, ending, changes, the rules
between dates, who may see and change what, and two people changing the same trajectory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import TIMEZONE, Settings
from bot.offline import OfflineBot, offline_bot
from bot.services.trajectories import records as t
from bot.simulator import ChatSimulator, Output
from bot.storage.models import Trajectory, TrajectoryEvent, User
from bot.wiring import build_services
from knowledge.matcher import Matcher
from tests.support import ADMIN_ID, give_role

pytestmark = pytest.mark.both_databases

COACH, OTHER_COACH, REGIO, OTHER_REGIO = 6001, 6002, 6003, 6004
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)


@pytest.fixture
async def fbot(settings: Settings, matcher: Matcher) -> AsyncIterator[OfflineBot]:
    services = build_services(settings, matcher=matcher, clock=lambda: NOW)
    async with offline_bot(settings, services) as ob:
        await give_role(ob, COACH, "coach", "AM18")
        await give_role(ob, OTHER_COACH, "coach", "AM18")
        await give_role(ob, REGIO, "regio", "AM18")
        await give_role(ob, OTHER_REGIO, "regio", "AM05")
        yield ob


async def _register(bot: OfflineBot, telegram_id: int, pseudonym: str, start: date) -> int:
    async with bot.services.db.session() as session:
        user = (
            await session.execute(select(User).where(User.telegram_id == telegram_id))
        ).scalar_one()
        new = t.NewTrajectory(
            "AM18", pseudonym, start, "ips", "epa", "gemeente", "ggz", "wia", "basis"
        )
        trajectory = await t.register(session, new, user.id, NOW - timedelta(days=3))
        return trajectory.id


async def _get(bot: OfflineBot, tid: int) -> Trajectory:
    async with bot.services.db.session() as session:
        row = await session.get(Trajectory, tid)
        assert row is not None
        return row


def _text(out: list[Output]) -> str:
    return "\n".join(o.text for o in out)


def _data(chat: ChatSimulator) -> list[str]:
    return [str(b.get("callback_data")) for b in chat.last_bot_message().buttons()]


async def _press(chat: ChatSimulator, data: str) -> list[Output]:
    assert data in _data(chat), (data, chat.last_bot_message().text)
    return await chat.press(data, chat.last_bot_message().message_id)


async def _open(chat: ChatSimulator, tid: int) -> str:
    await chat.send("/mijntrajecten")
    return _text(await _press(chat, f"mt:d:{tid}"))


async def test_list_details_placement_and_ending(fbot: OfflineBot) -> None:
    tid = await _register(fbot, COACH, "KL-01", date(2026, 3, 1))
    chat = fbot.chat(COACH)
    listing = _text(await chat.send("/mijntrajecten"))
    assert "1 traject" in listing
    assert any(
        "HW-2026-00001 · KL-01 · Lopend · 3 d" in b["text"]
        for b in chat.last_bot_message().buttons()
    )
    details = _text(await _press(chat, f"mt:d:{tid}"))
    assert "HW-2026-00001" in details and "Lopend" in details and "3 dagen geleden" in details

    await _press(chat, f"mt:p:{tid}:1")
    out = _text(await chat.send("1-2-2026"))  # before the start
    assert "vóór de start" in out
    out = _text(await chat.send("1-12-2026"))  # in the future
    assert "toekomst" in out
    await chat.send("15 mei")
    out = _text(await chat.send("tachtig"))
    assert "heel getal" in out
    await chat.send("24")
    out = _text(await _press(chat, "mt:v:contract:loondienst"))
    assert "Plaatsing opgeslagen" in out and "Aan het werk" in out and "15-5-2026" in out
    row = await _get(fbot, tid)
    assert (row.status, row.placement_date, row.hours_per_week, row.contract) == (
        "geplaatst",
        date(2026, 5, 15),
        24,
        "loondienst",
    )

    await _press(chat, f"mt:e:{tid}:{row.version}")
    out = _text(await chat.send("1-5-2026"))  # before the placement
    assert "vóór de eerste betaalde werkdag" in out
    assert "mt:b" not in _data(chat)  # no « Terug on the first question
    await chat.send("vandaag")
    assert "mt:b" in _data(chat)  # … on the second one
    out = _text(await _press(chat, "mt:b"))
    assert "einddatum" in out.lower() or "wanneer" in out.lower()
    await chat.send("vandaag")
    out = _text(await _press(chat, "mt:v:end_reason:werk_duurzaam"))
    assert "Klopt dit?" in out and "Duurzaam betaald werk" in out  # a summary first
    assert (await _get(fbot, tid)).status == "geplaatst"  # nothing saved yet
    assert {"mt:ok", "mt:b", "mt:x"} <= set(_data(chat))
    out = _text(await chat.send("ja"))
    assert "Bevestig, « Terug of Annuleer" in out
    out = _text(await _press(chat, "mt:ok"))
    assert "beëindigd" in out and "Duurzaam betaald werk" in out
    row = await _get(fbot, tid)
    assert row.status == "beeindigd" and row.end_date == NOW.date()
    # the history names every change, newest first
    assert "Status: Aan het werk → Beëindigd" in out
    assert "Eerste betaalde werkdag: – → 15-5-2026" in out
    async with fbot.services.db.session() as session:
        fields = [e.field for e in (await session.execute(select(TrajectoryEvent))).scalars()]
    assert sorted(fields) == sorted(
        [
            "status",
            "placement_date",
            "hours_per_week",
            "contract",
            "status",
            "end_date",
            "end_reason",
            "status",
        ]
    )
    # an ended trajectory has no Plaatsing or Beëindigen any more
    assert not any(d.startswith(("mt:p:", "mt:e:")) for d in _data(chat))


async def test_change_a_field_with_the_same_checks(fbot: OfflineBot) -> None:
    tid = await _register(fbot, COACH, "KL-02", date(2026, 3, 1))
    chat = fbot.chat(COACH)
    await _open(chat, tid)
    await _press(chat, f"mt:w:{tid}:1")
    assert "mt:f:region" not in _data(chat)  # a coach cannot move a trajectory to a region
    out = _text(await _press(chat, "mt:f:pseudonym"))
    assert "Nu: KL-02" in out
    out = _text(await chat.send("999999990"))  # passes the 11-proef: a BSN
    assert "BSN" in out
    out = _text(await chat.send("KL-02b"))
    assert "Wijziging opgeslagen" in out and "Pseudoniem: KL-02 → KL-02b" in out
    await _press(chat, f"mt:w:{tid}:2")
    await _press(chat, "mt:f:method")
    out = _text(await _press(chat, "mt:v:method:jobcoaching"))
    assert "Methode: IPS → Jobcoaching" in out
    row = await _get(fbot, tid)
    assert (row.pseudonym, row.method, row.version) == ("KL-02b", "jobcoaching", 3)


async def test_stop_leaves_the_trajectory_as_it_was(fbot: OfflineBot) -> None:
    tid = await _register(fbot, COACH, "KL-03", date(2026, 3, 1))
    chat = fbot.chat(COACH)
    await _open(chat, tid)
    await _press(chat, f"mt:p:{tid}:1")
    await chat.send("1-6-2026")
    out = _text(await chat.send("/stop"))
    assert "niets gewijzigd" in out
    row = await _get(fbot, tid)
    assert row.status == "lopend" and row.placement_date is None
    # text is a question again, not an answer to the closed form
    await chat.send("16")
    assert (await _get(fbot, tid)).hours_per_week is None


async def test_concurrent_edit_is_reported_not_overwritten(fbot: OfflineBot) -> None:
    tid = await _register(fbot, COACH, "KL-04", date(2026, 3, 1))
    coach = fbot.chat(COACH)
    admin = fbot.chat(ADMIN_ID)
    await _open(coach, tid)
    await _press(coach, f"mt:w:{tid}:1")
    await _press(coach, "mt:f:pseudonym")
    # meanwhile the programme team changes the same trajectory
    await admin.send("/mijntrajecten")
    await _press(admin, "mt:l:a:0")
    admin_out = _text(await _press(admin, f"mt:d:{tid}"))
    assert "KL-04" in admin_out
    await admin.press(f"mt:w:{tid}:1")
    await admin.press("mt:f:benefit")
    await admin.press("mt:v:benefit:wajong")
    out = _text(await coach.send("KL-04x"))
    assert "intussen door iemand anders gewijzigd" in out and "Wajong" in out
    row = await _get(fbot, tid)
    assert (row.pseudonym, row.benefit) == ("KL-04", "wajong")  # nothing overwritten
    # a button of the old state is refused the same way
    out = _text(await coach.press(f"mt:p:{tid}:1"))
    assert "intussen door iemand anders gewijzigd" in out


async def test_who_sees_and_changes_what(fbot: OfflineBot) -> None:
    tid = await _register(fbot, COACH, "KL-05", date(2026, 3, 1))
    other = fbot.chat(OTHER_COACH)
    listing = _text(await other.send("/mijntrajecten"))
    assert "nog geen trajecten" in listing
    # forged buttons: another coach's trajectory
    for data in (f"mt:d:{tid}", f"mt:p:{tid}:1", f"mt:e:{tid}:1", f"mt:w:{tid}:1"):
        assert "hoort niet bij jou" in _text(await other.press(data))
    # regio staff of the same region see it, read-only; another region does not
    regio = fbot.chat(REGIO)
    await regio.send("/mijntrajecten")
    out = _text(await _press(regio, "mt:l:r:0"))
    assert "1 traject" in out
    out = _text(await _press(regio, f"mt:d:{tid}"))
    assert "KL-05" in out and "Wijzigen kan de jobcoach" in out
    assert not any(d.startswith(("mt:p:", "mt:e:", "mt:w:")) for d in _data(regio))
    assert "Alleen de jobcoach" in _text(await regio.press(f"mt:p:{tid}:1"))
    other_regio = fbot.chat(OTHER_REGIO)
    await other_regio.send("/mijntrajecten")
    assert "hoort niet bij jou" in _text(await other_regio.press(f"mt:d:{tid}"))
    # not registered at all
    stranger = fbot.chat(6999)
    assert "alleen met een account" in _text(await stranger.send("/mijntrajecten"))
    assert "alleen met een account" in _text(await stranger.press(f"mt:d:{tid}"))
    # a group chat never shows pseudonyms
    group = fbot.chat(COACH, chat_id=-100555, chat_type="group")
    assert "privégesprek" in _text(await group.send("/mijntrajecten"))
    assert (await _get(fbot, tid)).status == "lopend"


async def test_pages_and_ips_warning(fbot: OfflineBot) -> None:
    for n in range(10):
        await _register(fbot, COACH, f"KL-1{n}", date(2026, 1, 1) + timedelta(days=n))
    old = await _register(fbot, COACH, "KL-OUD", date(2022, 1, 10))
    chat = fbot.chat(COACH)
    out = _text(await chat.send("/mijntrajecten"))
    assert "11 trajecten, pagina 1 van 2" in out
    out = _text(await _press(chat, "mt:l:m:1"))
    assert "pagina 2 van 2" in out
    await _press(chat, "mt:l:m:0")
    details = _text(await _press(chat, f"mt:d:{old}"))
    assert "hooguit 3 jaar" in details


@pytest.mark.parametrize("typed", ["²", "16²", "1" * 5000], ids=["squared", "16-squared", "long"])
async def test_odd_numbers_for_hours_get_the_dutch_explanation(
    fbot: OfflineBot, typed: str
) -> None:
    """'²' passes str.isdigit() but int() refuses it, as it refuses 4,300+ digits: the coach
    gets the explanation, never the error reply."""
    from bot.services.shared import forms
    from bot.services.shared.inputs import InputError

    with pytest.raises(InputError, match=r"heel getal|tussen"):
        forms.parse(fbot.services, "hours_per_week", typed, {}, NOW.date())
    assert forms.parse(fbot.services, "hours_per_week", "16 uur", {}, NOW.date()) == "16"


async def test_find_a_trajectory_by_filter_search_or_typed_reference(fbot: OfflineBot) -> None:
    """Filters by status and 'no update for 30 days', a search by reference or pseudonym, and a
    reference typed anywhere opens that trajectory for whoever may see it."""
    for n in range(12):
        await _register(fbot, COACH, f"KL-{n:02d}", date(2026, 3, 1))
    other = await _register(fbot, OTHER_COACH, "ZZ-99", date(2026, 3, 1))
    async with fbot.services.db.session() as session:  # one untouched for 40 days
        row = await session.get(Trajectory, 1)
        assert row is not None
        row.updated_at = NOW - timedelta(days=40)
        await session.commit()
    chat = fbot.chat(COACH)
    out = _text(await chat.send("/mijntrajecten"))
    assert "12 trajecten, pagina 1 van 2" in out
    out = _text(await _press(chat, "mt:l:m:0:s"))
    assert "Filter: Geen update in 30 d" in out and "1 traject." in out
    assert any(b["text"].startswith("HW-2026-00001") for b in chat.last_bot_message().buttons())
    out = _text(await _press(chat, "mt:l:m:0:b"))
    assert "Geen trajecten met dit filter" in out

    out = _text(await chat.send("/mijntrajecten kl-1"))  # KL-10, KL-11 (and KL-1…)
    assert "zoeken op «kl-1»" in out and "2 trajecten" in out
    # the regio user searches the whole region, the coach only their own
    out = _text(await fbot.chat(REGIO).send("/mijntrajecten ZZ-99"))
    assert "1 traject" in out
    out = _text(await chat.send("/mijntrajecten ZZ-99"))
    assert "Geen trajecten met dit filter" in out

    # a typed reference: the details for whoever may see it, "not found" for anyone else
    out = _text(await chat.send("kun je hw-2026-00003 even openen?"))
    assert "HW-2026-00003" in out and "KL-02" in out
    reference = f"HW-2026-{other:05d}"
    out = _text(await chat.send(reference))
    assert f"Ik vind geen traject {reference} dat jij mag bekijken" in out
    out = _text(await fbot.chat(REGIO).send(reference))
    assert "ZZ-99" in out
    out = _text(await fbot.chat(5999).send("HW-2026-00003"))  # no account
    assert "Ik vind geen traject HW-2026-00003" in out
