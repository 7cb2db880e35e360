"""/bericht and /berichten end to end: the real Application, the fake Bot API and the running
sender (real clock, default rate)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from sqlalchemy import insert, select

from bot.config import TIMEZONE
from bot.fakeapi import SentMessage
from bot.offline import OfflineBot
from bot.services.messaging import announcements as svc
from bot.services.messaging.sender import counts
from bot.simulator import ChatSimulator, Output
from bot.storage.models import Announcement, Delivery, User
from tests.support import ADMIN_ID, give_role

COACHES_AM18 = (8101, 8102, 8103)
REGIO_AM18 = 8104
COACH_AM19 = 8105


def _text(out: list[Output]) -> str:
    return "\n".join(o.text for o in out)


def _buttons(out: list[Output]) -> dict[str, str]:
    return {label: data for o in out for label, data in o.buttons}


async def _setup(bot: OfflineBot) -> None:
    for telegram_id in COACHES_AM18:
        await give_role(bot, telegram_id, "coach", "AM18")
    await give_role(bot, REGIO_AM18, "regio", "AM18")
    await give_role(bot, COACH_AM19, "coach", "AM19")


async def _until_done(bot: OfflineBot, ann_id: int) -> Announcement:
    deadline = time.monotonic() + 15.0
    while True:
        async with bot.services.db.session() as session:
            ann = await session.get(Announcement, ann_id)
        assert ann is not None
        if ann.status == "done" or time.monotonic() > deadline:
            return ann
        await asyncio.sleep(0.05)


async def _report(bot: OfflineBot, chat_id: int = ADMIN_ID) -> SentMessage:
    """The final report (sent right after the announcement is marked done)."""
    for _ in range(200):
        found = [m for m in bot.api.chat_messages(chat_id) if "Klaar: bericht" in m.text]
        if found:
            return found[-1]
        await asyncio.sleep(0.05)
    raise AssertionError("no final report")


async def _last_id(bot: OfflineBot) -> int:
    async with bot.services.db.session() as session:
        return int(await session.scalar(select(Announcement.id).order_by(Announcement.id.desc())))


async def test_compose_fix_choose_preview_send_and_report(bot: OfflineBot) -> None:
    await _setup(bot)
    admin = bot.chat(ADMIN_ID)
    out = await admin.send("/bericht")
    assert "Stuur de tekst van je bericht" in _text(out)

    out = await admin.send("<b>Nieuwe cijfers</b> staan online & meer")
    assert "losse &amp;" in _text(out) and "Er is nog niets verstuurd" in _text(out)
    out = await admin.send("<b>Nieuwe cijfers</b> staan online <i>vanaf vandaag")
    assert "&lt;i&gt; wordt niet gesloten" in _text(out)
    message = '<b>Nieuwe cijfers</b> staan <a href="https://hoofdzaakwerk.nl">online</a>'
    out = await admin.send(message)
    assert "Wie krijgt het bericht?" in _text(out)
    assert "Nu gekozen: iedereen" in _text(out) and "Dat zijn 6 actieve ontvangers" in _text(out)

    out = await admin.press("ann:a:r")
    assert "Kies regio's" in _text(out)
    out = await admin.press("ann:a:r:AM30")  # nobody there: says why (demo users get nothing)
    assert "regio AM30 (0 ontvangers)" in _text(out) and "Demo-gebruikers" in _text(out)
    out = await admin.press("ann:a:r:AM30")  # off again
    assert ("AM30 Zuid-Limburg", "ann:a:r:AM30") in out[-1].buttons  # labels, not codes
    out = await admin.send("zuid limburg")  # a typed name works too
    assert "regio AM30 (0 ontvangers)" in _text(out)
    out = await admin.send("AM30")  # … and the code, to take it off again
    assert "Nu gekozen: iedereen" in _text(out)
    out = await admin.send("Atlantis")
    assert "Die regio ken ik niet" in _text(out)
    out = await admin.press("ann:a:r:AM18", admin.last_bot_message().message_id - 1)
    assert "regio AM18 (4 ontvangers)" in _text(out) and "Demo-gebruikers" not in _text(out)
    out = await admin.press("ann:a:back")
    out = await admin.press("ann:a:o:coach")
    assert "regio AM18 · rol jobcoach" in _text(out) and "Dat zijn 3 actieve" in _text(out)

    out = await admin.press("ann:a:ok")
    preview, reply = out[0], out[-1]
    assert preview.method == "sendMessage" and preview.text == message
    assert "zoals de ontvangers het krijgen" in reply.text
    assert set(_buttons(out).values()) >= {"ann:p:now", "ann:p:plan", "ann:p:x"}

    out = await admin.press("ann:p:now")
    assert "Je bericht gaat nu naar 3 mensen" in _text(out)
    ann = await _until_done(bot, await _last_id(bot))
    assert ann.status == "done" and ann.finished_at is not None
    for telegram_id in COACHES_AM18:
        (got,) = bot.api.chat_messages(telegram_id)[-1:]
        assert got.text == message
    assert not any(m.text == message for m in bot.api.chat_messages(REGIO_AM18))
    assert not any(m.text == message for m in bot.api.chat_messages(COACH_AM19))

    await _report(bot)
    mine = [m.text for m in bot.api.chat_messages(ADMIN_ID)]
    progress = next(m for m in bot.api.chat_messages(ADMIN_ID) if "is verstuurd" in m.text)
    assert "Verstuurd: 3 van 3" in progress.text and progress.edits >= 1
    assert any("Klaar: bericht" in t and "bij 3 van de 3 ontvangers" in t for t in mine)


async def test_plan_list_and_cancel(bot: OfflineBot) -> None:
    await _setup(bot)
    admin = bot.chat(ADMIN_ID)
    await admin.send("/bericht")
    await admin.send("Denk aan de <b>regiodag</b>")
    await admin.press("ann:a:o:regio")
    await admin.press("ann:a:ok")
    out = await admin.press("ann:p:plan")
    assert "Wanneer moet het bericht weg?" in _text(out)
    out = await admin.send("gisteren om negen")
    assert "Typ een datum en tijd" in _text(out)
    out = await admin.send("1-1-2020 9:00")
    assert "al voorbij" in _text(out)
    out = await admin.send("morgen 9:00")
    assert "Ingepland: bericht" in _text(out) and "naar 1 persoon" in _text(out)
    ann_id = await _last_id(bot)
    async with bot.services.db.session() as session:
        ann = await session.get(Announcement, ann_id)
    assert ann is not None and ann.status == "scheduled" and ann.scheduled_at is not None
    assert ann.scheduled_at > datetime.now(ann.scheduled_at.tzinfo)

    out = await admin.send("/berichten")
    assert f"#{ann_id} op" in _text(out) and "Denk aan de regiodag" in _text(out)
    assert _buttons(out)[f"Annuleer #{ann_id}"] == f"ann:c:{ann_id}"
    out = await admin.press(f"ann:c:{ann_id}")
    assert "Geen ingeplande berichten" in _text(out)
    async with bot.services.db.session() as session:
        ann = await session.get(Announcement, ann_id)
    assert ann is not None and ann.status == "cancelled"
    # nothing is still to go for a cancelled one
    assert "nog te gaan" not in _text(out) and "niet verstuurd 1" in _text(out)
    out = await admin.press(f"ann:c:{ann_id}")  # pressed twice: polite, nothing changes
    assert "niet (meer) ingepland" in _text(out)


async def test_regio_reaches_only_its_own_region_even_with_forged_buttons(
    bot: OfflineBot,
) -> None:
    await _setup(bot)
    regio = bot.chat(REGIO_AM18)
    out = await regio.send("/bericht")
    assert "aan regio Groot Amsterdam" in _text(out)
    out = await regio.send("Overleg <b>donderdag</b>")
    assert "Je bericht gaat naar regio Groot Amsterdam" in _text(out)
    assert not any(d.startswith(("ann:a:r", "ann:a:d")) for d in _buttons(out).values())
    for forged in ("ann:a:r", "ann:a:r:AM19", "ann:a:d:eredivisie", "ann:a:o:baas"):
        out = await regio.press(forged)
        assert "eigen regio" in _text(out), forged
    out = await regio.press("ann:a:o:coach")
    assert "Dat zijn 3 actieve" in _text(out)
    await regio.press("ann:a:ok")
    out = await regio.press("ann:a:r:AM19")  # after the audience step: only a polite notice
    assert "werkt niet meer" in _text(out)
    await regio.press("ann:p:now")
    ann = await _until_done(bot, await _last_id(bot))
    async with bot.services.db.session() as session:
        chats = set((await session.execute(select(Delivery.chat_id))).scalars())
    assert chats == set(COACHES_AM18) and ann.audience_label == "regio AM18 · rol jobcoach"

    coach = bot.chat(COACH_AM19)
    out = await coach.send("/bericht")
    assert "alleen voor het programmateam" in _text(out)
    for forged in ("ann:p:now", "ann:a:all", f"ann:c:{ann.id}", f"ann:u:{ann.id}", "ann:l"):
        out = await coach.press(forged)
        assert "Verstuur" not in _text(out)
    out = await bot.chat(REGIO_AM18).send("/berichten")
    assert f"#{ann.id}" in _text(out)


async def test_photo_with_caption_is_previewed_and_sent_by_file_id(bot: OfflineBot) -> None:
    await _setup(bot)
    admin = bot.chat(ADMIN_ID)
    await admin.send("/bericht")
    message = admin._message("")
    del message["text"]
    message["photo"] = [
        {"file_id": "AgAD-poster", "file_unique_id": "poster", "width": 80, "height": 60}
    ]
    message["caption"] = "Zie de <b>poster</b>"
    out = await admin.process({"message": message})
    assert "Wie krijgt het bericht?" in _text(out)
    await admin.press("ann:a:r")
    await admin.press("ann:a:r:AM19")
    await admin.press("ann:a:back")
    out = await admin.press("ann:a:ok")
    assert out[0].method == "sendPhoto" and out[0].text == "Zie de <b>poster</b>"
    await admin.press("ann:p:now")
    await _until_done(bot, await _last_id(bot))
    (got,) = bot.api.chat_messages(COACH_AM19)[-1:]
    assert got.kind == "photo" and got.file_id == "AgAD-poster"
    assert got.text == "Zie de <b>poster</b>"


async def test_stop_and_stale_buttons(bot: OfflineBot) -> None:
    admin = bot.chat(ADMIN_ID)
    await admin.send("/bericht")
    out = await admin.send("/stop")
    assert "Er is niets verstuurd" in _text(out)
    out = await admin.press("ann:p:now")
    assert "werkt niet meer" in _text(out)
    async with bot.services.db.session() as session:
        assert await session.scalar(select(Announcement.id)) is None


async def test_uncertain_ones_can_be_sent_again_from_the_report(bot: OfflineBot) -> None:
    from bot.fakeapi import TIMEOUT

    await _setup(bot)
    bot.api.fail_next("sendMessage", TIMEOUT, chat_id=COACHES_AM18[1])
    admin = bot.chat(ADMIN_ID)
    await admin.send("/bericht")
    await admin.send("Hallo")
    await admin.press("ann:a:r")
    await admin.press("ann:a:r:AM18")
    await admin.press("ann:a:back")
    await admin.press("ann:a:ok")
    await admin.press("ann:p:now")
    ann_id = await _last_id(bot)
    await _until_done(bot, ann_id)
    report = await _report(bot)
    assert "Onzeker: 1" in report.text
    assert report.buttons() == [
        {"text": "Opnieuw naar de 1 onzekere", "callback_data": f"ann:u:{ann_id}"}
    ]
    out = await admin.send("/berichten")
    assert "onzeker 1" in _text(out) and f"ann:u:{ann_id}" in _buttons(out).values()
    out = await admin.press(f"ann:u:{ann_id}", report.message_id)
    assert "opnieuw naar 1 onzekere" in _text(out)
    await _until_done(bot, ann_id)
    assert len(bot.api.chat_messages(COACHES_AM18[1])) == 2  # the one that did arrive, again
    assert len(bot.api.chat_messages(COACHES_AM18[0])) == 1


async def test_the_bot_keeps_answering_while_it_sends_a_big_announcement(
    bot: OfflineBot,
) -> None:
    services = bot.services
    now = services.clock()
    async with services.db.session() as session:
        await session.execute(
            insert(User),
            [
                {"telegram_id": 600_000 + i, "first_seen": now, "last_seen": now, "role": "coach"}
                for i in range(300)
            ],
        )
        await session.commit()
        created = await svc.create(
            services,
            session,
            svc.Draft("Groot nieuws", svc.Audience(roles=("coach",))),
            created_by=None,
            progress_chat_id=ADMIN_ID,
        )
    assert created.recipients == 300
    await asyncio.sleep(0.5)  # the sender is busy now (300 at 25/s: 12 s)
    user: ChatSimulator = bot.chat(4242)
    latencies = []
    for _ in range(3):
        t0 = time.perf_counter()
        out = await user.send("/help")
        latencies.append(time.perf_counter() - t0)
        assert out and out[0].text
        await asyncio.sleep(0.2)
    c = await counts(services.db, created.id)
    assert 0 < c.sent < 300 and c.pending > 0  # still sending
    assert max(latencies) < 0.5, latencies


async def test_a_date_that_has_passed_this_year_is_asked_about(bot: OfflineBot) -> None:
    """'1-12 9:00' on 7 December: "Bedoel je 1 december 2027 9:00?", never a silent jump."""
    await _setup(bot)
    bot.services.clock = lambda: datetime(2026, 12, 7, 10, 0, tzinfo=TIMEZONE)
    admin = bot.chat(ADMIN_ID)
    await admin.send("/bericht")
    await admin.send("Denk aan de <b>regiodag</b>")
    await admin.press("ann:a:ok")
    await admin.press("ann:p:plan")
    out = await admin.send("1-12 9:00")
    assert "«1-12 9:00» is al voorbij. Bedoel je <b>1 december 2027 9:00</b>?" in _text(out)
    assert _buttons(out)["Ja, 1 december 2027 9:00"] == "ann:p:yes"
    out = await admin.press("ann:p:no")
    assert "Wanneer moet het bericht weg?" in _text(out)
    await admin.send("1-12 9:00")
    out = await admin.press("ann:p:yes")
    assert "Ingepland: bericht" in _text(out) and "1 december 2027 9:00" in _text(out)
    async with bot.services.db.session() as session:
        ann = await session.get(Announcement, await _last_id(bot))
    assert ann is not None and ann.scheduled_at is not None
    assert ann.scheduled_at.astimezone(TIMEZONE) == datetime(2027, 12, 1, 9, 0, tzinfo=TIMEZONE)
