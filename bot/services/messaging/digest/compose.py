"""Who gets a digest and what it says: per role, from a few bulk queries per run."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Flow, build
from bot.domain import Role, TrajectoryStatus
from bot.render import Renderer
from bot.services import Services
from bot.services.faq.inbox import UnansweredGroup, group_unanswered
from bot.services.messaging.digest.week import Week, window
from bot.services.people.accounts import role_name
from bot.services.people.users import effective_role
from bot.services.progress import figures as st
from bot.services.shared.dates import WEEKDAYS
from bot.services.shared.replies import Button
from bot.services.trajectories.fields import fields
from bot.storage.digest import AnnouncementRow, DigestRepo, RegionWeek, TrajectoryRow
from bot.storage.models import User
from bot.storage.questions import AskedRow
from bot.telegram_html import LIMIT as TELEGRAM_LIMIT
from bot.telegram_html import strip as strip_html

STALE_DAYS = 60  # a trajectory without an update for this long gets a button
SHOW = 5  # items per list; fewer when the message would be too long
TITLE_MAX = 70
QUESTION_MAX = 90
BEHIND = 3  # regions furthest behind their target (programme team)


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
    region = user.region if role in (Role.COACH, Role.REGIO) else None
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
    return _short(first, TITLE_MAX) or Renderer.shared().text("digest_untitled_announcement")


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
    coaches = {r.user_id for r in recipients if r.role == Role.COACH and r.user_id is not None}
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
        (r for r in rows if r.status != TrajectoryStatus.ENDED),
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
        Role.COACH: None,
        "region": None,
        "national": None,
        "stale_days": STALE_DAYS,
        "behind": BEHIND,
        "ambition": st.NATIONAL_AMBITION,
    }
    if who.role == Role.COACH:
        view[Role.COACH] = _coach_part(data, who)
    if who.role == Role.REGIO and who.region is not None:
        view["region"] = {
            "code": who.region,
            "name": services.region_name(who.region) or who.region,
            "f": data.figures(who.region),
            "week": data.regions.get(who.region, RegionWeek()),
            "questions": data.question_groups(who.region),
        }
    if who.role == Role.PROGRAMME:
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
            "new_users": [(n, role_name(role)) for role, n in sorted(data.new_users.items()) if n],
            "new_total": sum(data.new_users.values()),
        }
    if who.role == Role.PROGRAMME:
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
    if view[Role.COACH] is not None:
        label = services.renderer.text
        buttons = tuple(
            (
                Button(
                    label("digest_update", reference=s.row.reference),
                    build(Flow.TRAJECTORY, "d", s.row.id),
                ),
            )
            for s in view[Role.COACH]["stale"][: max(limit, 1)]
        )
    return Digest(text, buttons)
