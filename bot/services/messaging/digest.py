"""The weekly digest: one short personal message per registered user per ISO week.

When: 09:00 Europe/Amsterdam on the user's weekday (`User.digest_weekday`, Monday by default)
of the current ISO week; a run after that moment (the daily 09:00 job, or the catch-up run at
start-up) queues everyone who is due and has no digest of this week yet. Exactly once: the
week is one `announcements` row (kind `digest`, key `digest:2026-W48`) and every recipient
one `deliveries` row, unique per (announcement, user) in the database. The text is rendered
when it is queued and stored on the delivery row; the delivery engine sends the pending rows
of every `sending` announcement (see docs/digest.md).

What it says depends on the role: a coach's own trajectories (with buttons `mt:d:<id>` that
open a trajectory that needs an update), a region's progress and unanswered questions, the
national figures for the programme team, and for everyone the announcements of the week.
The reporting period is the 7 days up to the moment the digest is made.

/instellingen: the digest on or off and its weekday; callback data `set:d:on|off`,
`set:w:<0-6>`, checked again on every press.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import TIMEZONE
from bot.render import TELEGRAM_LIMIT, strip_html
from bot.services import Services
from bot.services.faq.inbox import UnansweredGroup, group_unanswered
from bot.services.people.accounts import ROLE_NAMES, caller
from bot.services.people.users import effective_role
from bot.services.progress import figures as st
from bot.services.shared.inputs import as_number
from bot.services.shared.replies import Button, Notice, Person, Reply
from bot.services.trajectories.fields import fields
from bot.storage.digest import (
    AnnouncementRow,
    DigestRepo,
    RegionWeek,
    TrajectoryRow,
)
from bot.storage.models import Announcement, User
from bot.storage.repos import AskedRow, UserRepo

PREFIX = "set"
HOUR = 9  # the digest arrives at 09:00 Europe/Amsterdam
STALE_DAYS = 60  # a trajectory without an update for this long gets a button
SHOW = 5  # items per list; fewer when the message would be too long
TITLE_MAX = 70
QUESTION_MAX = 90
BEHIND = 3  # regions furthest behind their target (programme team)
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
WEEKDAYS_SHORT = ("Ma", "Di", "Wo", "Do", "Vr", "Za", "Zo")
_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)


# -- the ISO week --------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Week:
    year: int
    number: int

    @classmethod
    def of(cls, moment: datetime) -> Week:
        """The ISO week of a moment, in Amsterdam."""
        year, number, _ = moment.astimezone(TIMEZONE).isocalendar()
        return cls(year, number)

    @classmethod
    def parse(cls, text: str) -> Week:
        """`2026-W48` (or `2026W48`); ValueError with a clear message otherwise."""
        m = _WEEK.fullmatch(text.strip())
        if m is None:
            raise ValueError(f"week {text!r}: write it as YYYY-Www, e.g. 2026-W48")
        year, number = int(m.group(1)), int(m.group(2))
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ValueError(f"week {text!r}: {year} has no ISO week {number}") from None
        return cls(year, number)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def key(self) -> str:
        return f"digest:{self.label}"

    def day(self, weekday: int) -> date:
        return date.fromisocalendar(self.year, self.number, weekday + 1)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.day(0), time(0), TIMEZONE)

    @property
    def end(self) -> datetime:
        """Monday 00:00 of the next week."""
        return datetime.combine(self.day(0) + timedelta(days=7), time(0), TIMEZONE)

    def due(self, weekday: int) -> datetime:
        """09:00 Amsterdam on that weekday of this week (DST-correct: 07:00 or 08:00 UTC)."""
        return datetime.combine(self.day(weekday), time(HOUR), TIMEZONE)


# -- who gets one ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    user_id: int | None  # None: a sample for `digest preview --role`
    telegram_id: int | None
    role: str  # coach | regio | programma
    region: str | None
    name: str | None
    weekday: int


def recipient(user: User, admins: Sequence[int]) -> Recipient | None:
    """The user as a digest recipient, or None when they have no (effective) role."""
    role = effective_role(user, user.telegram_id, tuple(admins))
    if role is None:
        return None
    region = user.region if role in ("coach", "regio") else None
    weekday = user.digest_weekday if 0 <= user.digest_weekday <= 6 else 0
    return Recipient(user.id, user.telegram_id, role, region, user.first_name, weekday)


def skip_reason(user: User, admins: Sequence[int]) -> str | None:
    """Why a user with a role gets no digest: demo, inactive or off (None: they get one).

    Demo users (`hoofdzaak demo seed`) have made-up Telegram ids: nothing is sent to them.
    """
    if user.demo:
        return "demo"
    if recipient(user, admins) is None:
        return "inactive"
    if not user.digest:
        return "off"
    return None


async def eligible(services: Services, session: AsyncSession) -> list[Recipient]:
    admins = services.settings.admins
    out = []
    for user in await DigestRepo(session).staff(admins):
        who = recipient(user, admins)
        if who is not None and skip_reason(user, admins) is None:
            out.append(who)
    return out


# -- what it says ---------------------------------------------------------------------------


def group_questions(rows: Iterable[AskedRow]) -> list[UnansweredGroup]:
    """Grouped as /onbeantwoord groups them (bot/services/faq/inbox.py), shortened for a line."""
    return group_unanswered(rows, QUESTION_MAX)


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def announcement_title(html_text: str) -> str:
    """One line: the first non-empty line of the text without HTML tags, shortened."""
    plain = strip_html(html_text)
    first = next((line.strip() for line in plain.splitlines() if line.strip()), "")
    return _short(first, TITLE_MAX) or "Mededeling"


@dataclass
class WeekData:
    """Everything the digests of one run share, read in a few bulk queries."""

    week: Week
    since: datetime
    until: datetime
    trajectories: dict[int, list[TrajectoryRow]]
    regions: dict[str, RegionWeek]
    national: st.National
    questions: list[AskedRow]
    new_users: dict[str, int]
    announcements: list[AnnouncementRow]
    received: dict[int, set[int]]
    _groups: dict[str | None, list[UnansweredGroup]] = field(default_factory=dict)

    def figures(self, code: str | None) -> st.RegionFigures | None:
        return next((f for f in self.national.regions if f.code == code), None)

    def question_groups(self, region: str | None) -> list[UnansweredGroup]:
        """Unanswered questions of the week: of a region's users, or (None) of everyone."""
        if region not in self._groups:
            rows = (
                self.questions
                if region is None
                else [q for q in self.questions if q.region == region]
            )
            self._groups[region] = group_questions(rows)
        return self._groups[region]


def window(week: Week, now: datetime) -> tuple[datetime, datetime]:
    """The 7 days up to now, or up to the end of the week for a week that is over."""
    until = min(now.astimezone(TIMEZONE), week.end)
    return until - timedelta(days=7), until


async def gather(
    services: Services,
    session: AsyncSession,
    week: Week,
    now: datetime,
    recipients: Sequence[Recipient],
) -> WeekData:
    repo = DigestRepo(session)
    since, until = window(week, now)
    ref = (until - timedelta(seconds=1)).date()
    coaches = {r.user_id for r in recipients if r.role == "coach" and r.user_id is not None}
    announcements = await repo.announcements(since, until)
    return WeekData(
        week=week,
        since=since,
        until=until,
        trajectories=await repo.coach_trajectories(coaches, since.date(), ref),
        regions=await repo.region_weeks(since, until),
        national=await st.national_figures(session, services.kb, ref.year, ref),
        questions=await repo.unanswered(since, until),
        new_users=await repo.new_users(since, until),
        announcements=announcements,
        received=await repo.received([a.id for a in announcements]),
    )


@dataclass(frozen=True)
class Digest:
    text: str  # Telegram HTML, at most 4,096 characters
    buttons: tuple[tuple[Button, ...], ...]

    def markup_json(self) -> str | None:
        """The inline keyboard as Telegram takes it (stored on the delivery row)."""
        if not self.buttons:
            return None
        keyboard = [
            [{"text": b.text, "callback_data": b.data} for b in row] for row in self.buttons
        ]
        return json.dumps({"inline_keyboard": keyboard}, ensure_ascii=False)


@dataclass(frozen=True)
class Stale:
    row: TrajectoryRow
    days: int


def _coach_part(data: WeekData, who: Recipient) -> dict[str, Any]:
    rows = data.trajectories.get(who.user_id or 0, [])
    first, last = data.since.date(), data.until.date()
    running = sorted(
        (r for r in rows if r.status != "beeindigd"),
        key=lambda r: (r.updated_at, r.id),
        reverse=True,
    )
    stale_before = data.until - timedelta(days=STALE_DAYS)
    stale = [
        Stale(r, (data.until - r.updated_at).days)
        for r in sorted(running, key=lambda r: (r.updated_at, r.id))
        if r.updated_at <= stale_before
    ]
    placed = sorted(
        (r for r in rows if r.placement_date and first <= r.placement_date < last),
        key=lambda r: (r.placement_date, r.id),
    )
    ended = sorted(
        (r for r in rows if r.end_date and first <= r.end_date < last),
        key=lambda r: (r.end_date, r.id),
    )
    return {"running": running, "stale": stale, "placed": placed, "ended": ended}


def _behind(data: WeekData) -> list[st.RegionFigures]:
    """Regions behind schedule, the largest shortfall against the pro-rata target first."""
    late = [f for f in data.national.regions if f.on_schedule is False]
    return sorted(late, key=lambda f: (f.counts.started - (f.expected or 0), f.code))


def _view(services: Services, data: WeekData, who: Recipient) -> dict[str, Any]:
    view: dict[str, Any] = {
        "who": who,
        "week": data.week,
        "weekday": WEEKDAYS[who.weekday],
        "coach": None,
        "region": None,
        "national": None,
        "stale_days": STALE_DAYS,
        "behind": BEHIND,
        "ambition": st.NATIONAL_AMBITION,
    }
    if who.role == "coach":
        view["coach"] = _coach_part(data, who)
    if who.role == "regio" and who.region is not None:
        view["region"] = {
            "code": who.region,
            "name": services.region_name(who.region) or who.region,
            "f": data.figures(who.region),
            "week": data.regions.get(who.region, RegionWeek()),
            "questions": data.question_groups(who.region),
        }
    if who.role == "programma":
        total = RegionWeek(
            sum(w.new for w in data.regions.values()),
            sum(w.placed for w in data.regions.values()),
            sum(w.ended for w in data.regions.values()),
        )
        view["national"] = {
            "n": data.national,
            "week": total,
            "behind": _behind(data),
            "questions": data.question_groups(None),
            "new_users": [
                (n, ROLE_NAMES.get(role, role)) for role, n in sorted(data.new_users.items()) if n
            ],
            "new_total": sum(data.new_users.values()),
        }
    if who.role == "programma":
        shown = data.announcements
    else:
        got = data.received.get(who.user_id or 0, set())
        shown = [a for a in data.announcements if a.id in got]
    view["announcements"] = [announcement_title(a.text) for a in shown]
    return view


def _status(status: str) -> str:
    return fields()["status"].value_label(status)


def render(services: Services, data: WeekData, who: Recipient) -> Digest:
    """One person's digest; lists are shortened ("en N meer") until it fits one message."""
    view = _view(services, data, who)
    helpers = {"number": st.number, "percent": st.percent, "day": st.day, "status": _status}
    text = ""
    for limit in (SHOW, 3, 1, 0):
        text = services.renderer.render("digest/digest.html.j2", limit=limit, **view, **helpers)
        if len(text) <= TELEGRAM_LIMIT:
            break
    else:  # even without lists: cut at a line (never inside a tag: every line closes its own)
        text = text[:TELEGRAM_LIMIT].rsplit("\n", 1)[0]
    buttons: tuple[tuple[Button, ...], ...] = ()
    if view["coach"] is not None:
        label = services.renderer.text
        buttons = tuple(
            (Button(label("digest_update", reference=s.row.reference), f"mt:d:{s.row.id}"),)
            for s in view["coach"]["stale"][: max(limit, 1)]
        )
    return Digest(text, buttons)


# -- queueing: exactly once per user per week -------------------------------------------------


async def queue(
    services: Services,
    session: AsyncSession,
    week: Week,
    recipients: Sequence[Recipient],
    now: datetime,
) -> set[int]:
    """Render and insert a pending delivery for each recipient who has none for this week,
    then hand the week to the sender (status `sending`). Returns the users.id queued now.

    Reads first and ends that transaction, then writes in one short transaction that starts
    with a write (so two runs on one SQLite file wait for each other instead of failing).
    """
    targets = [r for r in recipients if r.user_id is not None and r.telegram_id is not None]
    if not targets:
        return set()
    data = await gather(services, session, week, now, targets)
    rendered = [(r, render(services, data, r)) for r in targets]
    await session.rollback()  # end the read transaction; nothing was written

    repo = DigestRepo(session)
    announcement = await repo.ensure_week_announcement(
        week.key, f"Weekoverzicht {week.label}", now
    )
    if announcement.status == "cancelled":
        await session.commit()
        return set()
    rows = [
        {
            "announcement_id": announcement.id,
            "user_id": r.user_id,
            "chat_id": r.telegram_id,
            "text": d.text,
            "reply_markup": d.markup_json(),
            "status": "pending",
            "attempts": 0,
            "updated_at": now,
        }
        for r, d in rendered
    ]
    inserted = await repo.add_deliveries(rows)
    if inserted:
        await session.execute(
            update(Announcement)
            .where(Announcement.id == announcement.id)
            .values(
                status="sending",
                started_at=announcement.started_at or now,
                finished_at=None,
            )
        )
    await session.commit()
    return inserted


async def enqueue_due(services: Services, session: AsyncSession, now: datetime) -> int:
    """Queue this week's digest for everyone whose moment has come (09:00 on their weekday,
    this ISO week) and who has none yet. Safe to run any number of times, also concurrently:
    it never queues a second digest for anyone in a week. Returns how many it queued."""
    week = Week.of(now)
    repo = DigestRepo(session)
    if await repo.reopen_stranded():
        await session.commit()
    due = [r for r in await eligible(services, session) if now >= week.due(r.weekday)]
    if not due:
        await session.rollback()
        return 0
    announcement = await repo.week_announcement(week.key)
    if announcement is not None:
        if announcement.status == "cancelled":
            await session.rollback()
            return 0
        have = await repo.had_digest(announcement.id)
        due = [r for r in due if r.user_id not in have]
    if not due:
        await session.rollback()
        return 0
    return len(await queue(services, session, week, due, now))


# -- `hoofdzaak digest send` and `preview` -------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    user: Recipient | None
    telegram_id: int
    role: str | None
    region: str | None
    result: str  # queued | already | skipped
    reason: str | None = None  # skipped: demo | inactive | off


@dataclass(frozen=True)
class SendReport:
    week: Week
    dry_run: bool
    outcomes: list[Outcome]

    def count(self, result: str) -> int:
        return sum(o.result == result for o in self.outcomes)


async def send_week(
    services: Services, session: AsyncSession, week: Week, now: datetime, dry_run: bool
) -> SendReport:
    """Queue the week's digest for every eligible user, whatever their weekday (never twice).
    With `dry_run` nothing is written: the report says who would get it."""
    admins = services.settings.admins
    repo = DigestRepo(session)
    announcement = await repo.week_announcement(week.key)
    have = await repo.had_digest(announcement.id) if announcement is not None else set()
    outcomes: list[Outcome] = []
    todo: list[Recipient] = []
    for user in await repo.staff(admins):
        who = recipient(user, admins)
        reason = skip_reason(user, admins)
        role = who.role if who else user.role
        if reason is not None:
            outcomes.append(Outcome(who, user.telegram_id, role, user.region, "skipped", reason))
        elif who is not None and user.id in have:
            outcomes.append(Outcome(who, user.telegram_id, role, who.region, "already"))
        elif who is not None:
            todo.append(who)
    if dry_run:
        await session.rollback()
        queued = {r.user_id for r in todo if r.user_id is not None}
    else:
        queued = await queue(services, session, week, todo, now)
    for who in todo:
        result = "queued" if who.user_id in queued else "already"
        outcomes.append(Outcome(who, who.telegram_id or 0, who.role, who.region, result))
    outcomes.sort(key=lambda o: (o.result, o.telegram_id))
    return SendReport(week, dry_run, outcomes)


@dataclass(frozen=True)
class Preview:
    digest: Digest
    recipient: Recipient
    note: str  # what is shown (English, for the operator)


async def preview_user(
    services: Services, session: AsyncSession, telegram_id: int, week: Week, now: datetime
) -> Preview | str:
    """The digest this user gets (or got) for the week; a reason (str) when there is none."""
    user = await UserRepo(session).by_telegram_id(telegram_id)
    if user is None:
        return f"no user with Telegram id {telegram_id}"
    who = recipient(user, services.settings.admins)
    if who is None:
        return f"user {telegram_id} has no role (or is inactive): no digest"
    data = await gather(services, session, week, now, [who])
    reason = skip_reason(user, services.settings.admins)
    note = f"user {telegram_id} ({who.role}{', ' + who.region if who.region else ''})"
    if reason == "off":
        note += "; note: this user turned the digest off"
    elif reason == "demo":
        note += "; note: a demo user, who is never sent anything"
    return Preview(render(services, data, who), who, note)


async def preview_sample(
    services: Services,
    session: AsyncSession,
    role: str,
    region: str | None,
    week: Week,
    now: datetime,
) -> Preview:
    """A sample for a role (and region): a real user of that role and region when there is
    one (for a coach: the one with the most running trajectories), else an empty sample."""
    admins = services.settings.admins
    repo = DigestRepo(session)
    candidates = [
        who
        for who in (recipient(u, admins) for u in await repo.staff(admins))
        if who is not None and who.role == role and (role == "programma" or who.region == region)
    ]
    if role == "coach" and candidates:
        ids = {c.user_id for c in candidates if c.user_id is not None}
        rows = await repo.coach_trajectories(ids, date.max, date.max)
        candidates.sort(key=lambda c: (-len(rows.get(c.user_id or 0, [])), c.telegram_id or 0))
    if candidates:
        who = candidates[0]
        note = (
            f"sample: the digest of user {who.telegram_id} ({who.name or 'no name'}), "
            f"{role}{', ' + who.region if who.region else ''}"
        )
    else:
        who = Recipient(None, None, role, region if role != "programma" else None, None, 0)
        place = f" in {region}" if region and role != "programma" else ""
        note = f"sample: no {role} user{place}" + (
            "; an empty sample for that role"
            + (" (no trajectories of their own)" if role == "coach" else "")
        )
    if role != "programma" and who.user_id is None:
        note += "; announcements: none (only those a user received are listed)"
    data = await gather(services, session, week, now, [who])
    return Preview(render(services, data, who), who, note)


# -- /instellingen --------------------------------------------------------------------------


def _settings_reply(services: Services, user: User, note: str | None = None) -> Reply:
    t = services.renderer.text
    toggle = (
        Button(t("settings_digest_off"), f"{PREFIX}:d:off")
        if user.digest
        else Button(t("settings_digest_on"), f"{PREFIX}:d:on")
    )
    days = [
        Button(
            ("✓ " if user.digest and i == user.digest_weekday else "") + name, f"{PREFIX}:w:{i}"
        )
        for i, name in enumerate(WEEKDAYS_SHORT)
    ]
    buttons: tuple[tuple[Button, ...], ...] = ((toggle,),)
    if user.digest:
        buttons += (tuple(days[:4]), tuple(days[4:]))
    text = services.renderer.render(
        "digest/settings.html.j2",
        on=user.digest,
        weekday=WEEKDAYS[user.digest_weekday] if 0 <= user.digest_weekday <= 6 else WEEKDAYS[0],
        note=note,
    )
    return Reply(text, buttons)


async def _staff_user(services: Services, session: AsyncSession, person: Person) -> User | None:
    who = await caller(services, session, person, record=True)
    if who.role is None or who.user_id is None:
        return None
    return await session.get(User, who.user_id)


async def settings_command(services: Services, session: AsyncSession, person: Person) -> Reply:
    """/instellingen: the digest on or off, and its weekday."""
    user = await _staff_user(services, session, person)
    if user is None:
        return Reply(services.renderer.render("digest/no_access.html.j2"))
    return _settings_reply(services, user)


async def settings_press(
    services: Services, session: AsyncSession, person: Person, data: str
) -> Reply | Notice:
    """A `set:` button; the caller is checked again (callback data can be forged)."""
    t = services.renderer.text
    user = await _staff_user(services, session, person)
    if user is None:
        return Notice(t("settings_no_access"), alert=True)
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != PREFIX:
        return Notice(t("stale_button"))
    kind, value = parts[1], parts[2]
    now = services.clock()
    week = Week.of(now)
    if kind == "d" and value in ("on", "off"):
        user.digest = value == "on"
        note = t("settings_saved_on" if user.digest else "settings_saved_off")
    elif kind == "w" and (day := as_number(value)) is not None and 0 <= day <= 6:
        if not user.digest:
            return Notice(t("stale_button"))
        user.digest_weekday = day
        note = t("settings_saved_day", day=WEEKDAYS[user.digest_weekday])
        if await _had_this_week(session, week, user.id):
            note += " " + t("settings_next_week")
    else:
        return Notice(t("stale_button"))
    await session.commit()
    reply = _settings_reply(services, user, note)
    return Reply(reply.text, reply.buttons, toast=t("form_saved_toast"))


async def _had_this_week(session: AsyncSession, week: Week, user_id: int) -> bool:
    repo = DigestRepo(session)
    announcement = await repo.week_announcement(week.key)
    return announcement is not None and user_id in await repo.had_digest(announcement.id)
