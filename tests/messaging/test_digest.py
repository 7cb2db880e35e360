"""The weekly digest: what each role reads, the once-per-week rule (repeats, concurrency,
restarts, weekday changes, catch-up, new weeks, DST), /instellingen end to end, the job."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.config import TIMEZONE, Settings
from bot.offline import OfflineBot, offline_bot
from bot.services import Services
from bot.services.messaging.digest import compose, queue
from bot.services.messaging.digest import settings as digest_settings
from bot.services.messaging.digest.week import Week
from bot.services.people import users
from bot.services.progress import regions
from bot.services.shared.replies import Button, Person, Reply
from bot.services.trajectories import records as t
from bot.storage.models import (
    Announcement,
    Delivery,
    QuestionLog,
    RegionYear,
    Trajectory,
    User,
)
from bot.wiring import build_services
from knowledge.matcher import Matcher

# every test that has a database runs on SQLite and on PostgreSQL
pytestmark = pytest.mark.both_databases

COACH, REGIO, TEAM, OTHER_REGIO, OFF, TUESDAY = 7101, 7102, 7103, 7104, 7105, 7106
# Monday 30 November 2026 (ISO week 49), 10:00 in Amsterdam
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=TIMEZONE)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
async def services(settings: Settings, matcher: Matcher, clock: Clock) -> AsyncIterator[Services]:
    services = build_services(settings, matcher=matcher, clock=clock)
    await services.db.upgrade()
    async with services.db.session() as session:
        await regions.ensure_regions(session, services.kb)
    yield services
    await services.db.dispose()


async def add_user(
    services: Services, telegram_id: int, role: str | None, region: str | None, **values: object
) -> int:
    async with services.db.session() as session:
        await users.record_seen(
            session, Person(telegram_id, f"Gebruiker{telegram_id}"), services.clock()
        )
        await session.commit()
        if role is not None:
            await users.set_user(session, services.region_codes(), telegram_id, role, region)
        if values:
            await session.execute(
                update(User).where(User.telegram_id == telegram_id).values(**values)
            )
            await session.commit()
        row = (
            await session.execute(select(User).where(User.telegram_id == telegram_id))
        ).scalar_one()
        return row.id


async def add_trajectory(
    services: Services,
    coach_id: int,
    pseudonym: str,
    updated_days_ago: int = 1,
    region: str = "AM18",
    **values: object,
) -> Trajectory:
    now = services.clock()
    async with services.db.session() as session:
        new = t.NewTrajectory(
            region, pseudonym, date(2026, 1, 5), "ips", "epa", "uwv", "ggz", "ww", "basis"
        )
        row = await t.register(session, new, coach_id, now - timedelta(days=updated_days_ago))
        await session.execute(
            update(Trajectory)
            .where(Trajectory.id == row.id)
            .values(updated_at=now - timedelta(days=updated_days_ago), **values)
        )
        await session.commit()
        return row


async def add_announcement(
    services: Services, text: str, days_ago: float, received_by: tuple[int, ...] = ()
) -> int:
    now = services.clock()
    async with services.db.session() as session:
        row = Announcement(
            kind="announcement",
            text=text,
            status="done",
            created_at=now - timedelta(days=days_ago + 1),
            started_at=now - timedelta(days=days_ago),
            finished_at=now - timedelta(days=days_ago),
        )
        session.add(row)
        await session.flush()
        for user_id in received_by:
            session.add(
                Delivery(
                    announcement_id=row.id,
                    user_id=user_id,
                    chat_id=1,
                    status="sent",
                    updated_at=now,
                )
            )
        await session.commit()
        return row.id


async def ask(services: Services, user_id: int | None, text: str, days_ago: float = 1) -> None:
    async with services.db.session() as session:
        session.add(
            QuestionLog(
                user_id=user_id,
                chat_type="private",
                text=text,
                outcome="unknown",
                score=0.1,
                asked_at=services.clock() - timedelta(days=days_ago),
            )
        )
        await session.commit()


async def preview(services: Services, telegram_id: int) -> compose.Digest:
    async with services.db.session() as session:
        week = Week.of(services.clock())
        result = await queue.preview_user(services, session, telegram_id, week, services.clock())
    assert isinstance(result, queue.Preview), result
    return result.digest


async def enqueue(services: Services) -> int:
    async with services.db.session() as session:
        return await queue.enqueue_due(services, session, services.clock())


async def deliveries(services: Services) -> list[tuple[str, int, str]]:
    """(week key, chat id, status) of every digest delivery."""
    async with services.db.session() as session:
        rows = await session.execute(
            select(Announcement.key, Delivery.chat_id, Delivery.status)
            .join(Announcement, Announcement.id == Delivery.announcement_id)
            .where(Announcement.kind == "digest")
            .order_by(Announcement.key, Delivery.chat_id)
        )
        return [(str(k), int(c), str(s)) for k, c, s in rows.tuples()]


# -- the week and the moment ----------


def test_weeks_parse_and_due_moments_follow_dst() -> None:
    assert Week.parse("2026-W48") == Week(2026, 48)
    assert Week.parse("2026w9").label == "2026-W09"
    for bad in ("2026-48", "W48", "2026-W54", "2026-W00", "morgen", ""):
        with pytest.raises(ValueError):
            Week.parse(bad)
    # the Mondays after the last Sunday of March and of October 2026
    assert Week.parse("2026-W14").due(0).astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert Week.parse("2026-W44").due(0).astimezone(UTC) == datetime(
        2026, 10, 26, 8, 0, tzinfo=UTC
    )
    assert Week.parse("2026-W13").due(0).astimezone(UTC) == datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
    assert Week.of(datetime(2026, 11, 29, 23, 30, tzinfo=UTC)) == Week(2026, 49)
    assert Week.parse("2026-W49").key == "digest:2026-W49"


@pytest.mark.parametrize(
    ("monday", "before", "at"),
    [
        (date(2026, 3, 30), (6, 59), (7, 0)),  # summer time: 09:00 = 07:00 UTC
        (date(2026, 10, 26), (7, 59), (8, 0)),  # winter time: 09:00 = 08:00 UTC
    ],
)
async def test_dst_mondays_queue_at_nine_amsterdam(
    services: Services, clock: Clock, monday: date, before: tuple[int, int], at: tuple[int, int]
) -> None:
    await add_user(services, COACH, "coach", "AM18")
    clock.now = datetime.combine(monday, datetime.min.time(), UTC).replace(
        hour=before[0], minute=before[1]
    )
    assert await enqueue(services) == 0
    clock.now = clock.now.replace(hour=at[0], minute=at[1])
    assert await enqueue(services) == 1
    week = Week.of(clock.now)
    assert await deliveries(services) == [(week.key, COACH, "pending")]


# -- what each role reads ----------


async def test_coach_digest_lists_trajectories_stale_ones_with_buttons_and_announcements(
    services: Services,
) -> None:
    coach = await add_user(services, COACH, "coach", "AM18")
    other = await add_user(services, 7199, "coach", "AM18")
    running = await add_trajectory(services, coach, "KL-01", updated_days_ago=3)
    stale = await add_trajectory(services, coach, "KL-<b>02", updated_days_ago=75)
    placed = await add_trajectory(
        services,
        coach,
        "KL-03",
        status="geplaatst",
        placement_date=date(2026, 11, 25),
        hours_per_week=20,
    )
    ended = await add_trajectory(
        services,
        coach,
        "KL-04",
        status="beeindigd",
        end_date=date(2026, 11, 27),
        end_reason="verhuisd",
    )
    await add_trajectory(
        services,
        coach,
        "KL-05",
        updated_days_ago=400,
        status="beeindigd",
        end_date=date(2025, 1, 1),
    )
    await add_trajectory(services, other, "ANDER-01", updated_days_ago=90)
    await add_announcement(services, "<b>Nieuw in de FAQ</b>: IPS\nMeer tekst", 2, (coach,))
    await add_announcement(services, "Alleen voor regio's", 3, (other,))
    await add_announcement(services, "Te oud", 9, (coach,))

    d = await preview(services, COACH)
    assert "Je hebt 3 lopende trajecten" in d.text
    assert running.reference in d.text and placed.reference in d.text
    assert "KL-&lt;b&gt;02" in d.text and "<b>02" not in d.text  # typed text is escaped
    assert "Al 60 dagen of langer niet bijgewerkt" in d.text and "75 dagen" in d.text
    assert "Aan het werk gegaan: <b>1</b>" in d.text and "25-11-2026" in d.text
    assert "Beëindigd: <b>1</b>" in d.text and ended.reference in d.text
    assert "ANDER-01" not in d.text and "KL-05" not in d.text
    assert d.buttons == ((Button(f"Bijwerken: {stale.reference}", f"mt:d:{stale.id}"),),)
    assert "Nieuw in de FAQ: IPS" in d.text
    assert "Meer tekst" not in d.text and "Alleen voor regio" not in d.text
    assert "Te oud" not in d.text
    assert "elke maandag" in d.text and "/instellingen" in d.text
    markup = json.loads(d.markup_json() or "")
    assert markup == {
        "inline_keyboard": [
            [{"text": f"Bijwerken: {stale.reference}", "callback_data": f"mt:d:{stale.id}"}]
        ]
    }


async def test_regio_digest_has_target_week_and_its_own_unanswered_questions(
    services: Services,
) -> None:
    regio = await add_user(services, REGIO, "regio", "AM18")
    asker = await add_user(services, 7201, "coach", "AM18")
    elsewhere = await add_user(services, 7202, "coach", "AM05")
    coach = await add_user(services, COACH, "coach", "AM18")
    async with services.db.session() as session:
        session.add(RegionYear(region_code="AM18", year=2026, division=None, target=50))
        await session.commit()
    await add_trajectory(services, coach, "KL-01", updated_days_ago=2)
    await add_trajectory(services, coach, "KL-02", updated_days_ago=20)
    await add_trajectory(
        services, coach, "KL-03", status="geplaatst", placement_date=date(2026, 11, 26)
    )
    await ask(services, asker, "Mag een WSP ook IPS doen?")
    await ask(services, asker, "mag een wsp ook ips doen")
    await ask(services, elsewhere, "Vraag uit een andere regio")
    await ask(services, asker, "Te lang geleden", days_ago=10)
    await add_announcement(services, "Voor iedereen", 1, (regio,))

    d = await preview(services, REGIO)
    assert "Groot Amsterdam (AM18)" in d.text
    assert "3 van de 50 trajecten gestart in 2026 (6%)" in d.text
    assert "Achter op schema" in d.text
    # registered in the last 7 days: KL-01 (2 days ago) and KL-03; placed: KL-03
    assert "<b>2</b> nieuw geregistreerd, <b>1</b> aan het werk gegaan" in d.text
    assert "(2×)" in d.text and "WSP" in d.text.upper()
    assert "andere regio" not in d.text and "Te lang geleden" not in d.text
    assert "Voor iedereen" in d.text
    assert d.buttons == ()
    assert regio


async def test_programma_digest_national_behind_questions_new_users_all_announcements(
    services: Services,
) -> None:
    await add_user(services, TEAM, "programma", None)
    coach = await add_user(services, COACH, "coach", "AM18")
    asker = await add_user(services, 7202, "coach", "AM05")
    async with services.db.session() as session:
        session.add(RegionYear(region_code="AM18", year=2026, division=None, target=100))
        session.add(RegionYear(region_code="AM05", year=2026, division=None, target=10))
        await session.commit()
    await add_trajectory(services, coach, "KL-01", updated_days_ago=2)
    await ask(services, asker, "Hoeveel kost een jobcoach per uur?")
    await ask(services, None, "Hoeveel kost een jobcoach per uur")
    await add_announcement(services, "Niet aan het team gestuurd", 1, (coach,))

    d = await preview(services, TEAM)
    assert "Landelijk in 2026" in d.text
    assert "1 traject gestart van het opgetelde doel van 110" in d.text
    assert "Het verst achter op hun doel" in d.text
    assert d.text.index("AM18") < d.text.index("AM05")  # the bigger shortfall first
    assert "jobcoach per uur" in d.text and "(2×)" in d.text
    assert "Nieuwe gebruikers:</b> 3 (2 jobcoach, 1 programmateam)" in d.text
    assert "Niet aan het team gestuurd" in d.text  # the programme team sees them all


async def test_empty_week_leaves_sections_out(services: Services) -> None:
    await add_user(services, COACH, "coach", "AM18")
    await add_user(services, REGIO, "regio", "AM05")
    await add_user(services, TEAM, "programma", None)
    coach = await preview(services, COACH)
    assert "geen lopende trajecten" in coach.text and "/registreer" in coach.text
    assert "Mededelingen" not in coach.text and "bijgewerkt" not in coach.text
    assert coach.buttons == ()
    regio = await preview(services, REGIO)
    assert "nog geen doel ingesteld" in regio.text and "zonder goed antwoord" not in regio.text
    team = await preview(services, TEAM)
    assert "Landelijk" in team.text and "Vragen zonder goed antwoord" not in team.text
    assert "Het verst achter" not in team.text


async def test_long_lists_are_cut_with_en_n_meer_and_fit_one_message(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    coach = await add_user(services, COACH, "coach", "AM18")
    for i in range(30):
        await add_trajectory(services, coach, f"KL-{i:02d}-" + "x" * 30, updated_days_ago=61 + i)
    for i in range(12):
        await add_announcement(services, f"Mededeling {i} " + "lang " * 40, 1, (coach,))
    d = await preview(services, COACH)
    assert len(d.text) <= 4096
    assert "en 25 meer" in d.text and "en 7 meer" in d.text
    assert len(d.buttons) == compose.SHOW
    # a tighter limit: the lists get shorter until it fits
    monkeypatch.setattr(compose, "TELEGRAM_LIMIT", 900)
    short = await preview(services, COACH)
    assert len(short.text) <= 900 and "en 29 meer" in short.text
    assert len(short.buttons) == 1


# -- exactly once a week ----------


async def test_repeated_and_concurrent_runs_queue_once(
    services: Services, settings: Settings, matcher: Matcher, clock: Clock
) -> None:
    for telegram_id, role, region in (
        (COACH, "coach", "AM18"),
        (REGIO, "regio", "AM18"),
        (TEAM, "programma", None),
    ):
        await add_user(services, telegram_id, role, region)
    second = build_services(settings, matcher=matcher, clock=clock)  # another process
    try:

        async def run(s: Services) -> int:
            async with s.db.session() as session:
                return await queue.enqueue_due(s, session, clock())

        results = await asyncio.gather(run(services), run(second), run(services), run(second))
        assert sum(results) == 3
        assert await enqueue(services) == 0
    finally:
        await second.db.dispose()
    rows = await deliveries(services)
    assert rows == [("digest:2026-W49", c, "pending") for c in (COACH, REGIO, TEAM)]
    async with services.db.session() as session:
        a = (await session.execute(select(Announcement))).scalar_one()
        d = (await session.execute(select(Delivery).where(Delivery.chat_id == COACH))).scalar_one()
    assert (a.kind, a.key, a.status) == ("digest", "digest:2026-W49", "sending")
    assert a.started_at is not None
    assert d.text and "Je weekoverzicht" in d.text and d.reply_markup is None
    assert d.updated_at == MONDAY


async def test_restart_weekday_change_catch_up_and_a_new_week(
    services: Services, settings: Settings, matcher: Matcher, clock: Clock
) -> None:
    await add_user(services, COACH, "coach", "AM18")
    await add_user(services, TUESDAY, "coach", "AM18", digest_weekday=1)
    await add_user(services, OFF, "coach", "AM18", digest=False)
    await add_user(services, 7107, "coach", "AM18", active=False)
    await add_user(services, 7108, None, None)  # not registered
    await add_user(services, -1_000_001, "coach", "AM18", demo=True)

    # the bot was down on Monday: it catches up on Tuesday at 08:00, before Tuesday's moment
    clock.now = datetime(2026, 12, 1, 8, 0, tzinfo=TIMEZONE)
    assert await enqueue(services) == 1
    assert await deliveries(services) == [("digest:2026-W49", COACH, "pending")]
    # the sender delivered it and closed the week's announcement
    async with services.db.session() as session:
        await session.execute(update(Delivery).values(status="sent"))
        await session.execute(
            update(Announcement).values(status="done", finished_at=clock.now + timedelta(1))
        )
        await session.commit()

    # a restart: new services on the same database file
    restarted = build_services(settings, matcher=matcher, clock=clock)
    try:
        clock.now = datetime(2026, 12, 1, 9, 0, tzinfo=TIMEZONE)
        async with restarted.db.session() as session:
            assert await queue.enqueue_due(restarted, session, clock()) == 1  # Tuesday's
            assert await queue.enqueue_due(restarted, session, clock()) == 0
    finally:
        await restarted.db.dispose()
    async with services.db.session() as session:
        week49 = (await session.execute(select(Announcement))).scalar_one()
    assert (week49.status, week49.finished_at) == ("sending", None)  # back to the sender

    # the coach moves to Friday after this week's digest: nothing more this week
    async with services.db.session() as session:
        result = await digest_settings.settings_press(services, session, Person(COACH), "set:w:4")
    assert isinstance(result, Reply) and "vanaf volgende week" in result.text
    clock.now = datetime(2026, 12, 4, 9, 0, tzinfo=TIMEZONE)
    assert await enqueue(services) == 0
    clock.now = datetime(2026, 12, 6, 23, 59, tzinfo=TIMEZONE)
    assert await enqueue(services) == 0

    # a new week: nothing before the moment, nothing for the week that is over
    clock.now = datetime(2026, 12, 7, 9, 30, tzinfo=TIMEZONE)  # Monday of week 50
    assert await enqueue(services) == 0  # the coach now reads it on Friday, Tuesday's is later
    clock.now = datetime(2026, 12, 8, 9, 0, tzinfo=TIMEZONE)
    assert await enqueue(services) == 1
    clock.now = datetime(2026, 12, 11, 9, 0, tzinfo=TIMEZONE)
    assert await enqueue(services) == 1
    assert await deliveries(services) == [
        ("digest:2026-W49", COACH, "sent"),
        ("digest:2026-W49", TUESDAY, "pending"),
        ("digest:2026-W50", COACH, "pending"),
        ("digest:2026-W50", TUESDAY, "pending"),
    ]


async def test_a_week_that_is_over_is_never_caught_up(services: Services, clock: Clock) -> None:
    """Down for all of week 49: on Monday of week 50 only week 50's digest is queued."""
    await add_user(services, COACH, "coach", "AM18")
    await add_user(services, 7110, "coach", "AM18", digest_weekday=6)  # Sunday
    clock.now = datetime(2026, 12, 7, 9, 0, tzinfo=TIMEZONE)
    assert await enqueue(services) == 1
    assert await deliveries(services) == [("digest:2026-W50", COACH, "pending")]
    clock.now = datetime(2026, 12, 13, 9, 0, tzinfo=TIMEZONE)  # Sunday of week 50
    assert await enqueue(services) == 1
    assert [key for key, _, _ in await deliveries(services)] == ["digest:2026-W50"] * 2


async def test_opted_in_again_gets_it_at_the_next_run_and_cancelled_weeks_stay_quiet(
    services: Services, clock: Clock
) -> None:
    await add_user(services, OFF, "coach", "AM18", digest=False)
    assert await enqueue(services) == 0
    async with services.db.session() as session:
        result = await digest_settings.settings_press(services, session, Person(OFF), "set:d:on")
    assert isinstance(result, Reply) and "staat aan" in result.text
    assert await enqueue(services) == 1
    # an operator cancelled next week's digest: nobody gets it
    clock.now = MONDAY + timedelta(days=7)
    async with services.db.session() as session:
        session.add(
            Announcement(
                kind="digest", key="digest:2026-W50", status="cancelled", created_at=clock.now
            )
        )
        await session.commit()
    assert await enqueue(services) == 0


async def test_a_week_closed_with_pending_rows_goes_back_to_the_sender(
    services: Services,
) -> None:
    await add_user(services, COACH, "coach", "AM18")
    assert await enqueue(services) == 1
    async with services.db.session() as session:  # the sender closed it a moment too early
        await session.execute(update(Announcement).values(status="done", finished_at=MONDAY))
        await session.commit()
    assert await enqueue(services) == 0
    async with services.db.session() as session:
        week = (await session.execute(select(Announcement))).scalar_one()
    assert (week.status, week.finished_at) == ("sending", None)


async def test_admins_get_one_and_a_trajectory_without_coach_breaks_nothing(
    services: Services, settings: Settings, clock: Clock
) -> None:
    from tests.support import ADMIN_ID

    admin = await add_user(services, ADMIN_ID, None, None)  # programma by HOOFDZAAK_ADMINS
    coach = await add_user(services, COACH, "coach", "AM18")
    row = await add_trajectory(services, coach, "KL-01", updated_days_ago=100)
    async with services.db.session() as session:
        await session.execute(
            update(Trajectory).where(Trajectory.id == row.id).values(coach_id=None)
        )
        await session.commit()
    assert await enqueue(services) == 2
    async with services.db.session() as session:
        ids = set((await session.execute(select(Delivery.user_id))).scalars())
    assert ids == {admin, coach}


# -- /instellingen end to end, and the job ----------


@pytest.fixture
async def dbot(settings: Settings, matcher: Matcher, clock: Clock) -> AsyncIterator[OfflineBot]:
    services = build_services(settings, matcher=matcher, clock=clock)
    async with offline_bot(settings, services) as ob:
        yield ob


async def _user(bot: OfflineBot, telegram_id: int) -> User:
    async with bot.services.db.session() as session:
        return (
            await session.execute(select(User).where(User.telegram_id == telegram_id))
        ).scalar_one()


async def test_instellingen_end_to_end(dbot: OfflineBot) -> None:
    await add_user(dbot.services, COACH, "coach", "AM18")
    chat = dbot.chat(COACH)
    out = await chat.send("/instellingen")
    assert "staat <b>aan</b>" in out[-1].text and "elke <b>maandag</b>" in out[-1].text
    data = [b["callback_data"] for b in chat.last_bot_message().buttons()]
    assert data == ["set:d:off"] + [f"set:w:{i}" for i in range(7)]
    labels = [b["text"] for b in chat.last_bot_message().buttons()]
    assert "✓ Ma" in labels

    out = await chat.press("set:w:2")
    assert any(o.method == "editMessageText" and "woensdag" in o.text for o in out)
    assert any(o.method == "answerCallbackQuery" for o in out)
    assert (await _user(dbot, COACH)).digest_weekday == 2
    assert "✓ Wo" in [b["text"] for b in chat.last_bot_message().buttons()]

    out = await chat.press("set:d:off")
    assert "staat <b>uit</b>" in chat.last_bot_message().text
    assert [b["callback_data"] for b in chat.last_bot_message().buttons()] == ["set:d:on"]
    user = await _user(dbot, COACH)
    assert (user.digest, user.digest_weekday) == (False, 2)

    # a day button from the old message while the digest is off, and forged data
    for forged in ("set:w:3", "set:w:9", "set:w:-1", "set:x:1", "set:d:maybe", "set:"):
        out = await chat.press(forged)
        notices = [o for o in out if o.method == "answerCallbackQuery"]
        assert notices and "werkt niet meer" in notices[0].text, forged
    user = await _user(dbot, COACH)
    assert (user.digest, user.digest_weekday) == (False, 2)

    out = await chat.press("set:d:on")
    assert "staat <b>aan</b>" in chat.last_bot_message().text
    assert (await _user(dbot, COACH)).digest is True


async def test_instellingen_needs_an_account(dbot: OfflineBot) -> None:
    chat = dbot.chat(7300)
    out = await chat.send("/instellingen")
    assert "alleen met een account" in out[-1].text
    assert not chat.last_bot_message().buttons()
    out = await chat.press("set:d:off")
    notices = [o for o in out if o.method == "answerCallbackQuery"]
    assert notices and "alleen met een account" in notices[0].text
    user = await _user(dbot, 7300)
    assert user.digest is True and user.role is None


async def test_the_jobs_are_scheduled_and_queue_the_digest(dbot: OfflineBot) -> None:
    await add_user(dbot.services, COACH, "coach", "AM18")
    jobs = {job.name: job for job in dbot.app.job_queue.jobs()} if dbot.app.job_queue else {}
    daily, catch_up = jobs["digest-daily"], jobs["digest-catch-up"]
    assert daily.next_t is not None
    assert daily.next_t.astimezone(TIMEZONE).time().isoformat() == "09:00:00"
    await catch_up.run(dbot.app)
    await daily.run(dbot.app)
    # queued once; a running sender may already have picked it up
    [(key, chat_id, status)] = await deliveries(dbot.services)
    assert (key, chat_id) == ("digest:2026-W49", COACH)
    assert status in ("pending", "sending", "sent")


async def test_the_digest_button_opens_the_trajectory(dbot: OfflineBot) -> None:
    coach = await add_user(dbot.services, COACH, "coach", "AM18")
    row = await add_trajectory(dbot.services, coach, "KL-77", updated_days_ago=80)
    assert await enqueue(dbot.services) == 1
    async with dbot.services.db.session() as session:
        d = (await session.execute(select(Delivery))).scalar_one()
    data = json.loads(d.reply_markup or "")["inline_keyboard"][0][0]["callback_data"]
    chat = dbot.chat(COACH)
    await chat.send("/start")
    out = await chat.press(data)
    text = "\n".join(o.text for o in out)
    labels = [label for o in out for label, _ in o.buttons]
    # (the press's own output: the sender may deliver the digest to this chat meanwhile)
    assert row.reference in text and "KL-77" in text
    assert any("Plaatsing" in label for label in labels), labels


async def test_nobody_is_queued_twice_per_week_in_the_database(services: Services) -> None:
    """The unique (announcement, user) pair holds even for a direct second insert."""
    coach = await add_user(services, COACH, "coach", "AM18")
    assert await enqueue(services) == 1
    async with services.db.session() as session:
        from bot.storage.digest import DigestRepo

        repo = DigestRepo(session)
        a = await repo.week_announcement("digest:2026-W49")
        assert a is not None
        again = await repo.add_deliveries(
            [
                {
                    "announcement_id": a.id,
                    "user_id": coach,
                    "chat_id": COACH,
                    "text": "x",
                    "status": "pending",
                    "attempts": 0,
                    "updated_at": MONDAY,
                }
            ]
        )
        await session.commit()
        assert again == set()
        assert await session.scalar(select(func.count(Delivery.id))) == 1


def test_the_insert_is_on_conflict_do_nothing_on_postgresql_and_sqlite() -> None:
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.engine import Dialect

    from bot.storage.digest import delivery_insert

    dialects: tuple[tuple[str, Dialect], ...] = (
        ("postgresql", postgresql.dialect()),  # type: ignore[no-untyped-call]
        ("sqlite", sqlite.dialect()),
    )
    for name, dialect in dialects:
        sql = " ".join(str(delivery_insert(name).compile(dialect=dialect)).split())
        assert "ON CONFLICT (announcement_id, user_id) DO NOTHING" in sql
        assert sql.endswith(("RETURNING deliveries.user_id", "RETURNING user_id"))
    with pytest.raises(RuntimeError):
        delivery_insert("mysql")


async def test_instellingen_in_a_group_points_to_the_private_chat(dbot: OfflineBot) -> None:
    await add_user(dbot.services, COACH, "coach", "AM18")
    chat = dbot.chat(COACH, chat_id=-100777, chat_type="group")
    out = await chat.send("/instellingen")
    assert out and "staat <b>aan</b>" not in out[-1].text
    assert not chat.last_bot_message().buttons()


async def test_the_digest_reaches_telegram_through_the_sender(dbot: OfflineBot) -> None:
    """Job → delivery rows → the running sender → Telegram: once, with the update button;
    someone who blocked the bot is marked, not retried."""
    coach = await add_user(dbot.services, COACH, "coach", "AM18")
    row = await add_trajectory(dbot.services, coach, "KL-78", updated_days_ago=80)
    blocked = COACH + 1
    await add_user(dbot.services, blocked, "coach", "AM18")
    dbot.api.block(blocked)
    jobs = {job.name: job for job in dbot.app.job_queue.jobs()} if dbot.app.job_queue else {}
    await jobs["digest-catch-up"].run(dbot.app)

    async def settled() -> bool:
        rows = await deliveries(dbot.services)
        return len(rows) == 2 and all(status in ("sent", "blocked") for _, _, status in rows)

    for _ in range(200):
        if await settled():
            break
        await asyncio.sleep(0.05)
    assert sorted(await deliveries(dbot.services)) == [
        ("digest:2026-W49", COACH, "sent"),
        ("digest:2026-W49", blocked, "blocked"),
    ]
    [message] = dbot.api.chat_messages(COACH)
    assert "weekoverzicht" in message.text.lower() and "KL-78" in message.text
    assert [b["callback_data"] for b in message.buttons()] == [f"mt:d:{row.id}"]
    async with dbot.services.db.session() as session:
        week = (
            await session.execute(select(Announcement).where(Announcement.kind == "digest"))
        ).scalar_one()
        assert week.status == "done"
    gone = await _user(dbot, blocked)
    assert not gone.active and gone.blocked_at is not None
    await jobs["digest-daily"].run(dbot.app)  # the same week again: nothing new
    await asyncio.sleep(0.3)
    assert len(dbot.api.chat_messages(COACH)) == 1
