"""/registreer end to end: every question, Terug, Wijzig, Annuleer, bad input, the kandidaat
check, duplicates, the 30-minute limit and a restart half-way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.config import TIMEZONE, Settings
from bot.offline import OfflineBot, offline_bot
from bot.storage.models import BotState, Trajectory, TrajectoryEvent
from bot.wiring import build_services
from knowledge.matcher import Matcher
from tests.support import ADMIN_ID, give_role
from tests.support.chat import fill_registration as _fill
from tests.support.chat import press_shown as _press
from tests.support.chat import text_of as _text

pytestmark = pytest.mark.both_databases

COACH = 5001


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def rbot(settings: Settings, matcher: Matcher, clock: Clock) -> AsyncIterator[OfflineBot]:
    services = build_services(settings, matcher=matcher, clock=clock)
    async with offline_bot(settings, services) as ob:
        await give_role(ob, COACH, "coach", "AM18")
        yield ob


async def _trajectories(bot: OfflineBot) -> list[Trajectory]:
    async with bot.services.db.session() as session:
        return list((await session.execute(select(Trajectory))).scalars())


async def test_coach_registers_a_trajectory(rbot: OfflineBot) -> None:
    chat = rbot.chat(COACH)
    first = _text(await chat.send("/registreer"))
    assert "Groot Amsterdam" in first and "pseudoniem" in first.lower()  # region is preset

    summary = await _fill(chat)
    assert "Klopt alles?" in summary
    for shown in ("KL-07", "12-3-2026", "IPS", "EPA", "Gemeente", "GGZ-instelling", "WIA"):
        assert shown in summary
    saved = _text(await _press(chat, "new:ok"))
    assert "HW-2026-00001" in saved

    [row] = await _trajectories(rbot)
    assert (row.reference, row.region, row.pseudonym, row.method, row.treatment) == (
        "HW-2026-00001",
        "AM18",
        "KL-07",
        "ips",
        "specialistisch",
    )
    assert row.status == "lopend" and row.start_date.isoformat() == "2026-03-12"
    async with rbot.services.db.session() as session:
        events = (await session.execute(select(TrajectoryEvent))).scalars().all()
    assert [(e.field, e.new) for e in events] == [("status", "lopend")]
    # the form is closed: a second press of Bevestig stores nothing
    await chat.press("new:ok")
    assert len(await _trajectories(rbot)) == 1


async def test_wrong_input_explains_and_keeps_what_was_given(rbot: OfflineBot) -> None:
    chat = rbot.chat(COACH)
    await chat.send("/registreer")
    labels = [b["text"] for b in chat.last_bot_message().buttons()]
    assert "Annuleer" in labels and not any("Terug" in label for label in labels)  # question 1
    for bad, why in (
        ("111222333", "BSN"),
        ("jan@example.nl", "e-mailadres"),
        ("06-12345678", "telefoonnummer"),
        ("Jan Jansen", "naam"),
    ):
        out = _text(await chat.send(bad))
        assert why in out and "pseudoniem" in out.lower()  # the same question again
    await chat.send("KL-07")
    for bad, why in (
        ("31-2-2026", "bestaat niet"),
        ("12-3-2016", "vóór 2017"),
        ("1-6-2027", "maand vooruit"),
        ("ergens in maart", "snap ik niet"),
    ):
        out = _text(await chat.send(bad))
        assert why in out and "Wanneer is het traject gestart" in out
    out = _text(await chat.send("gisteren"))
    assert "methode" in out.lower()
    out = _text(await chat.send("iets anders"))  # a typed answer to a question with buttons
    assert "Kies een van de knoppen" in out
    await chat.send("ips")  # typing a button's text works too
    await _press(chat, "new:v:target_group:cmd")
    await _press(chat, "new:back")
    out = _text(await _press(chat, "new:back"))
    assert "methode" in out.lower()
    await _press(chat, "new:v:method:jobcoaching")
    await _press(chat, "new:v:target_group:onbekend")
    await _press(chat, "new:v:initiator:uwv")
    await _press(chat, "new:v:provider:wsp")
    await _press(chat, "new:v:benefit:geen")
    await _press(chat, "new:v:ggz:basis")
    summary = _text(await _press(chat, "new:v:werken:ja"))
    assert "KL-07" in summary and "22-11-2026" in summary and "Jobcoaching" in summary


async def test_change_a_field_from_the_summary(rbot: OfflineBot) -> None:
    chat = rbot.chat(COACH)
    await _fill(chat)
    out = _text(await _press(chat, "new:edit:start_date"))
    assert "Wijzigen" in out
    summary = _text(await chat.send("1 april"))
    assert "1-4-2026" in summary and "Klopt alles?" in summary
    await _press(chat, "new:edit:method")
    summary = _text(await _press(chat, "new:back"))  # Terug while changing: the summary again
    assert "IPS" in summary
    await _press(chat, "new:edit:method")
    summary = _text(await _press(chat, "new:v:method:wabz"))
    assert "WABZ" in summary
    await _press(chat, "new:ok")
    [row] = await _trajectories(rbot)
    assert row.method == "wabz" and row.start_date.isoformat() == "2026-04-01"


async def test_cancel_and_stop_store_nothing(rbot: OfflineBot) -> None:
    chat = rbot.chat(COACH)
    await _fill(chat)
    assert "niets opgeslagen" in _text(await _press(chat, "new:cancel"))
    await chat.send("/registreer")
    await chat.send("KL-08")
    assert "niets opgeslagen" in _text(await chat.send("/stop"))
    assert "niets om te stoppen" in _text(await chat.send("/stop"))
    assert await _trajectories(rbot) == []
    # after stopping, text is a question for the FAQ again, not an answer to the form
    out = _text(await chat.send("wie betaalt de co-financiering?"))
    assert "pseudoniem" not in out.lower()


async def test_not_a_candidate_is_refused_with_the_reason(rbot: OfflineBot) -> None:
    chat = rbot.chat(COACH)
    await chat.send("/registreer")
    await chat.send("KL-09")
    await chat.send("vandaag")
    for data in (
        "new:v:method:ips",
        "new:v:target_group:epa",
        "new:v:initiator:uwv",
        "new:v:provider:ggz",
        "new:v:benefit:ww",
    ):
        await _press(chat, data)
    out = _text(await _press(chat, "new:v:ggz:poh"))
    assert "POH-GGZ" in out and "niets opgeslagen" in out and "FAQ 1.1" in out
    out = _text(await _press(chat, "new:ask"))  # a mistake: choose another answer
    assert "behandeling" in out.lower()
    await _press(chat, "new:v:ggz:basis")
    out = _text(await _press(chat, "new:v:werken:nee"))
    assert "kunnen én willen werken" in out
    assert await _trajectories(rbot) == []


async def test_possible_duplicate_is_flagged_before_confirming(rbot: OfflineBot) -> None:
    chat = rbot.chat(COACH)
    await _fill(chat)
    await _press(chat, "new:ok")
    summary = await _fill(chat, pseudonym="kl-07")
    assert "HW-2026-00001" in summary and "al een traject" in summary
    assert "Toch opslaan" in [b["text"] for b in chat.last_bot_message().buttons()][-2]
    assert "Kies «Toch opslaan»" in summary and "Kies Bevestig" not in summary  # they agree
    await _press(chat, "new:ok")
    assert [t.reference for t in await _trajectories(rbot)] == ["HW-2026-00001", "HW-2026-00002"]


async def test_registration_survives_a_restart(
    settings: Settings, matcher: Matcher, clock: Clock
) -> None:
    services = build_services(settings, matcher=matcher, clock=clock)
    async with offline_bot(settings, services) as first:
        await give_role(first, COACH, "coach", "AM18")
        chat = first.chat(COACH)
        await chat.send("/registreer")
        await chat.send("KL-10")
        await chat.send("2-2-2026")
        await _press(chat, "new:v:method:ips")
    services = build_services(settings, matcher=matcher, clock=clock)
    async with offline_bot(settings, services) as second:
        chat = second.chat(COACH)
        # the open question was the target group: typing the answer goes on from there
        out = _text(await chat.send("cmd"))
        assert "Vraag 5 van 9" in out and "Wie heeft het traject gestart" in out
        for data in (
            "new:v:initiator:gemeente",
            "new:v:provider:zzp",
            "new:v:benefit:participatiewet",
            "new:v:ggz:basis",
        ):
            await _press(chat, data)
        summary = _text(await _press(chat, "new:v:werken:ja"))
        assert "KL-10" in summary and "2-2-2026" in summary and "IPS" in summary
        await _press(chat, "new:ok")
        [row] = await _trajectories(second)
        assert (row.pseudonym, row.benefit, row.provider) == ("KL-10", "participatiewet", "zzp")


async def test_a_kept_draft_that_no_longer_fits_starts_the_form_again(
    settings: Settings, matcher: Matcher, clock: Clock
) -> None:
    """A draft in the database that the form's model cannot read (an older version of the
    bot, a damaged row) is not used half: the user hears the form stopped and starts anew."""
    services = build_services(settings, matcher=matcher, clock=clock)
    async with offline_bot(settings, services) as first:
        await give_role(first, COACH, "coach", "AM18")
        chat = first.chat(COACH)
        await chat.send("/registreer")
        await chat.send("KL-13")
    async with services.db.session() as session:
        row = await session.get(BotState, ("user", str(COACH)))
        assert row is not None and '"KL-13"' in row.data
        row.data = '{"registration": {"step": "start_date", "values": ["KL-13"]}}'
        await session.commit()
    services = build_services(settings, matcher=matcher, clock=clock)
    async with offline_bot(settings, services) as second:
        chat = second.chat(COACH)
        out = _text(await chat.send("12-3-2026"))
        assert "Gestopt" in out and "niets opgeslagen" in out
        out = _text(await chat.send("/registreer"))
        assert "Vraag 1 van 9" in out and "al bezig" not in out
        assert await _trajectories(second) == []


async def test_confirming_again_after_a_crash_saves_once(
    settings: Settings, matcher: Matcher, clock: Clock
) -> None:
    """The bot stopped right after saving, before it forgot the draft: after the restart the
    summary is back, and "Bevestig" gives the reference already saved, not a second row."""
    services = build_services(settings, matcher=matcher, clock=clock)
    async with offline_bot(settings, services) as first:
        await give_role(first, COACH, "coach", "AM18")
        chat = first.chat(COACH)
        await _fill(chat, "KL-31", "3-3-2026")
        async with first.services.db.session() as session:
            kept = [
                (row.kind, row.key, row.data)
                for row in (await session.execute(select(BotState))).scalars()
            ]
        saved = _text(await _press(chat, "new:ok"))
        [row] = await _trajectories(first)
        assert row.reference in saved
    # what a crash between the commit and forgetting the draft leaves: the draft as it was
    async with services.db.session() as session:
        for kind, key, data in kept:
            await session.merge(BotState(kind=kind, key=key, data=data, updated_at=clock()))
        await session.commit()
    services = build_services(settings, matcher=matcher, clock=clock)
    async with offline_bot(settings, services) as second:
        chat = second.chat(COACH)
        summary = _text(await chat.send("/registreer"))
        if "new:resume" in [b.get("callback_data") for b in chat.last_bot_message().buttons()]:
            summary = _text(await _press(chat, "new:resume"))
        assert "KL-31" in summary
        again = _text(await _press(chat, "new:ok"))
        assert row.reference in again
        assert len(await _trajectories(second)) == 1


async def test_idle_for_30_minutes_ends_with_a_message(rbot: OfflineBot, clock: Clock) -> None:
    chat = rbot.chat(COACH)
    await chat.send("/registreer")
    await chat.send("KL-11")
    clock.now += timedelta(minutes=31)
    out = _text(await chat.send("vandaag"))
    assert "30 minuten" in out and "niets opgeslagen" in out
    # and /registreer starts fresh, without asking to go on
    out = _text(await chat.send("/registreer"))
    assert "Vraag 1 van 9" in out


async def test_registreer_again_offers_to_go_on(rbot: OfflineBot) -> None:
    chat = rbot.chat(COACH)
    await chat.send("/registreer")
    await chat.send("KL-12")
    out = _text(await chat.send("/registreer"))
    assert "al bezig" in out
    out = _text(await _press(chat, "new:resume"))
    assert "Wanneer is het traject gestart" in out
    await chat.send("/registreer")
    out = _text(await _press(chat, "new:restart"))
    assert "Vraag 1 van 9" in out


async def test_who_may_register(rbot: OfflineBot) -> None:
    said = _text(await rbot.chat(5999).send("/registreer"))
    assert "alleen met een account" in said and "uitnodiging" in said
    group = rbot.chat(COACH, chat_id=-100123, chat_type="group")
    assert "privégesprek" in _text(await group.send("/registreer"))
    # the programme team picks the region
    admin = rbot.chat(ADMIN_ID)
    out = await admin.send("/registreer")
    assert "Voor welke arbeidsmarktregio" in _text(out)
    out = await admin.send("groot amsterdam")  # typing the region's name works too
    assert "pseudoniem" in _text(out).lower()
    await _press(admin, "new:back")
    out = await _press(admin, "new:v:region:AM05")
    assert "pseudoniem" in _text(out).lower()


async def test_old_and_forged_buttons_change_nothing(rbot: OfflineBot) -> None:
    chat = rbot.chat(COACH)
    await chat.send("/registreer")
    await chat.send("KL-13")
    out = await chat.press("new:v:method:ips")  # a button of a question not asked yet
    assert "eerdere vraag" in _text(out)
    out = await chat.press("new:edit:region")  # a coach cannot change the region
    await chat.send("vandaag")
    await chat.press("new:ok")  # not at the summary yet
    assert await _trajectories(rbot) == []
    said = _text(await chat.send("ips"))
    assert "doelgroep" in said.lower()
    async with rbot.services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Trajectory)) == 0


async def test_the_timeout_job_tells_the_user(rbot: OfflineBot) -> None:
    """While the bot runs, the job queue ends an idle conversation with a message."""
    chat = rbot.chat(COACH)
    await chat.send("/registreer")
    await chat.send("KL-14")
    assert rbot.app.job_queue is not None
    # the conversation's timeout job (the daily jobs have names of their own)
    [job] = [j for j in rbot.app.job_queue.jobs() if j.name == "_trigger_timeout"]
    next_run = job.next_t
    assert next_run is not None and timedelta(minutes=29) < next_run - datetime.now(TIMEZONE)
    await job.run(rbot.app)  # what the scheduler does after 30 minutes
    assert "30 minuten" in chat.last_bot_message().text
    out = _text(await chat.send("vandaag"))  # no form any more: a question for the FAQ
    assert "Wanneer is het traject gestart" not in out
    assert "Vraag 1 van 9" in _text(await chat.send("/registreer"))
