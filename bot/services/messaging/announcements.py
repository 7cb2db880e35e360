"""Announcements: who receives them (audiences), checking their HTML, planning them, writing
the announcement and one delivery row per recipient, and what /bericht, /berichten and
`hoofdzaak announce` show. Sending is the sender's job (sender.py).

Audience: regions, divisions (this year's, from region_years) and roles. Regions and divisions
both pick regions (a union); roles narrow that down; nothing chosen is everyone. Recipients
are active, registered users (a role, or in HOOFDZAAK_ADMINS) that are not demo rows (demo
users have made-up Telegram ids). A `regio` user reaches only their own region.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot import telegram_html as tg_html
from bot.callbacks import Flow, build
from bot.domain import AnnouncementKind, AnnouncementStatus, Role, values
from bot.render import Renderer
from bot.services import Services
from bot.services.messaging.outcomes import Counts, Report
from bot.services.messaging.sender import counts, resend_uncertain
from bot.services.people.accounts import Caller, role_name
from bot.services.people.users import effective_role
from bot.services.shared.dates import DateTextError, parse_moment, read_moment, show_moment
from bot.services.shared.inputs import InputError
from bot.services.shared.replies import Button
from bot.storage.announcements import AnnouncementRepo
from bot.storage.models import Announcement

ROLES = values(Role)
MAX_AHEAD = timedelta(days=366)


class AnnounceError(ValueError):
    """Something that cannot be sent or planned; `str()` is the Dutch explanation."""


# -- Telegram HTML -----------------------------------------------------------------------------


def check_html(text: str) -> str:
    """The text if Telegram will accept it as HTML; else InputError saying, in Dutch, what to
    fix (the wording: texts.yaml, html_*)."""
    found = tg_html.problem(text)
    if found is None:
        return text
    texts = Renderer.shared()
    raise InputError(
        texts.text(
            f"html_{found.kind.value}",
            tag=found.tag,
            expected=found.expected,
            detail=found.detail,
            near=found.near(text),
            allowed=tg_html.SHOWN,
        )
    )


def check_message(text: str, has_media: bool) -> str:
    if text.strip() or not has_media:  # a photo or document may go without a caption
        check_html(text)
    limit = tg_html.CAPTION_LIMIT if has_media else tg_html.LIMIT
    length = tg_html.visible_length(text)
    if length > limit:
        key = "ann_caption_too_long" if has_media else "ann_too_long"
        raise InputError.say(key, limit=limit, length=length)
    return text


# -- when --------------------------------------------------------------------------------------


def parse_when(text: str, now: datetime) -> datetime:
    """A moment in the future in Europe/Amsterdam: '5-12 9:00', '5 december 14:30',
    '2026-12-05 09:00', 'morgen 9:00' (bot/services/shared/dates.py reads it). Without a year:
    the next such day."""
    try:
        when = parse_moment(text, now)
    except DateTextError as error:
        raise InputError.say(f"when_{error.kind}") from None
    return check_when(when, now)


def read_when(text: str, now: datetime) -> tuple[datetime, bool]:
    """`parse_when`, and whether the moment was moved forward (typed without a year or day,
    it had passed: the form asks "Bedoel je …?" before it plans anything)."""
    try:
        when, moved = read_moment(text, now)
    except DateTextError as error:
        raise InputError.say(f"when_{error.kind}") from None
    return check_when(when, now), moved


def check_when(when: datetime, now: datetime) -> datetime:
    if when <= now:
        raise InputError.say("when_past")
    if when - now > MAX_AHEAD:
        raise InputError.say("when_too_far")
    return when


show_when = show_moment


# -- audiences ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    regions: tuple[str, ...] = ()
    divisions: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    @property
    def everyone(self) -> bool:
        return not (self.regions or self.divisions or self.roles)

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "regions": sorted(self.regions),
            "divisions": sorted(self.divisions),
            "roles": sorted(self.roles),
        }

    @classmethod
    def of(cls, data: dict[str, object]) -> Audience:
        def values(key: str) -> tuple[str, ...]:
            raw = data.get(key) or []
            return tuple(sorted({str(v) for v in raw})) if isinstance(raw, list) else ()

        return cls(values("regions"), values("divisions"), values("roles"))

    def toggled(self, key: str, value: str) -> Audience:
        current = set(getattr(self, key))
        current ^= {value}
        return Audience(**{**self._fields(), key: tuple(sorted(current))})

    def _fields(self) -> dict[str, tuple[str, ...]]:
        return {"regions": self.regions, "divisions": self.divisions, "roles": self.roles}


def validate(services: Services, audience: Audience) -> Audience:
    """Known regions, divisions and roles only (CLI and forged buttons)."""
    divisions = {d.id for d in services.kb.regions.divisions}
    for code in audience.regions:
        if code not in services.region_codes():
            raise AnnounceError(_text("ann_unknown_region", code=code))
    for div in audience.divisions:
        if div not in divisions:
            known = ", ".join(sorted(divisions))
            raise AnnounceError(_text("ann_unknown_division", division=div, known=known))
    for role in audience.roles:
        if role not in ROLES:
            raise AnnounceError(_text("ann_unknown_role", role=role, known=", ".join(ROLES)))
    return audience


def may_send(who: Caller) -> bool:
    return who.role == Role.PROGRAMME or (who.role == Role.REGIO and who.region is not None)


def allowed(who: Caller, audience: Audience) -> bool:
    """programma: anyone; regio: its own region only (optionally narrowed by role)."""
    if who.role == Role.PROGRAMME:
        return True
    return (
        who.role == Role.REGIO
        and who.region is not None
        and audience.regions == (who.region,)
        and not audience.divisions
    )


def label(services: Services, audience: Audience) -> str:
    """Dutch, for lists: 'iedereen', 'regio AM18 · rol jobcoach'."""
    t = services.renderer.text
    if audience.everyone:
        return t("ann_audience_everyone")
    names = {d.id: d.name for d in services.kb.regions.divisions}
    parts = []
    if audience.regions:
        key = "ann_audience_region" if len(audience.regions) == 1 else "ann_audience_regions"
        parts.append(t(key, codes=", ".join(audience.regions)))
    if audience.divisions:
        key = "ann_audience_division" if len(audience.divisions) == 1 else "ann_audience_divisions"
        parts.append(t(key, names=", ".join(names.get(d, d) for d in audience.divisions)))
    if audience.roles:
        parts.append(
            t("ann_audience_roles", names=", ".join(role_name(r) for r in audience.roles))
        )
    return " · ".join(parts)[:256]


@dataclass(frozen=True)
class Recipient:
    user_id: int
    telegram_id: int
    role: str
    region: str | None


async def recipients(
    services: Services, session: AsyncSession, audience: Audience
) -> list[Recipient]:
    """Active, registered, non-demo users in the audience (this year's divisions)."""
    repo = AnnouncementRepo(session)
    regions = set(audience.regions)
    if audience.divisions:
        regions |= await repo.regions_in(services.clock().year, audience.divisions)
    by_region = bool(audience.regions or audience.divisions)
    out = []
    for user in await repo.active_users():
        role = effective_role(user, user.telegram_id, services.settings.admins)
        if role is None:
            continue
        if by_region and user.region not in regions:
            continue
        if audience.roles and role not in audience.roles:
            continue
        out.append(Recipient(user.id, user.telegram_id, role, user.region))
    return out


def breakdown(found: Sequence[Recipient]) -> dict[str, dict[str, int]]:
    return {
        "regions": dict(sorted(Counter(r.region or "-" for r in found).items())),
        "roles": dict(sorted(Counter(r.role for r in found).items())),
    }


# -- writing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    text: str
    audience: Audience
    media_kind: str | None = None
    media_file_id: str | None = None
    media_path: str | None = None


@dataclass(frozen=True)
class Created:
    id: int
    recipients: int
    status: str
    scheduled_at: datetime | None


async def create(
    services: Services,
    session: AsyncSession,
    draft: Draft,
    *,
    created_by: int | None,
    progress_chat_id: int | None,
    scheduled_at: datetime | None = None,
) -> Created:
    """The announcement and its deliveries, in one commit: `sending` now, or `scheduled`."""
    validate(services, draft.audience)
    check_message(draft.text, draft.media_kind is not None)
    now = services.clock()
    if scheduled_at is not None:
        check_when(scheduled_at, now)
    found = await recipients(services, session, draft.audience)
    if not found:
        raise AnnounceError(_text("ann_no_recipients"))
    ann = Announcement(
        kind=AnnouncementKind.ANNOUNCEMENT,
        text=draft.text,
        media_kind=draft.media_kind,
        media_file_id=draft.media_file_id,
        media_path=draft.media_path,
        audience=json.dumps(draft.audience.as_dict()),
        audience_label=label(services, draft.audience),
        status=AnnouncementStatus.SCHEDULED if scheduled_at else AnnouncementStatus.SENDING,
        created_by=created_by,
        created_at=now,
        scheduled_at=scheduled_at,
        started_at=None if scheduled_at else now,
        progress_chat_id=progress_chat_id,
    )
    await AnnouncementRepo(session).add(ann, [(r.user_id, r.telegram_id) for r in found], now)
    await session.commit()
    if scheduled_at is None:
        services.wake_sender()
    return Created(ann.id, len(found), ann.status, scheduled_at)


async def cancel(services: Services, session: AsyncSession, announcement_id: int) -> str:
    """Cancel a planned (or still sending) announcement; returns its status before."""
    ann = await AnnouncementRepo(session).get(announcement_id)
    if ann is None or ann.kind != AnnouncementKind.ANNOUNCEMENT:
        raise AnnounceError(_text("ann_unknown", id=announcement_id))
    before = ann.status
    if before not in (
        AnnouncementStatus.DRAFT,
        AnnouncementStatus.SCHEDULED,
        AnnouncementStatus.SENDING,
    ):
        raise AnnounceError(_text("ann_already", id=announcement_id, status=status_name(before)))
    ann.status = AnnouncementStatus.CANCELLED
    ann.finished_at = services.clock()
    await session.commit()
    return before


async def resend(services: Services, announcement_id: int) -> int:
    n = await resend_uncertain(services.db, announcement_id, services.clock())
    if n:
        services.wake_sender()
    return n


def status_name(status: str) -> str:
    """'ingepland', 'wordt verstuurd' … (texts.yaml, ann_status_*)."""
    if status not in values(AnnouncementStatus):
        return status
    return _text(f"ann_status_{AnnouncementStatus(status).name.lower()}")


def _text(key: str, **values: object) -> str:
    return Renderer.shared().text(key, **values)


@dataclass(frozen=True)
class Status:
    id: int
    kind: str
    status: str
    audience: dict[str, list[str]]
    audience_label: str
    counts: Counts
    created_at: datetime
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    preview: str = ""
    created_by: int | None = None

    def as_json(self) -> dict[str, object]:
        def iso(d: datetime | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "audience": self.audience,
            "audience_label": self.audience_label,
            "counts": self.counts.as_dict(),
            "created_at": iso(self.created_at),
            "scheduled_at": iso(self.scheduled_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
        }


async def status(services: Services, session: AsyncSession, announcement_id: int) -> Status:
    ann = await AnnouncementRepo(session).get(announcement_id)
    if ann is None:
        raise AnnounceError(_text("ann_unknown", id=announcement_id))
    return await _status(services, ann)


async def _status(services: Services, ann: Announcement) -> Status:
    text = " ".join(tg_html.strip(ann.text).split())
    return Status(
        ann.id,
        ann.kind,
        ann.status,
        Audience.of(json.loads(ann.audience or "{}")).as_dict(),
        ann.audience_label,
        await counts(services.db, ann.id),
        ann.created_at,
        ann.scheduled_at,
        ann.started_at,
        ann.finished_at,
        text[:60] + ("…" if len(text) > 60 else ""),
        ann.created_by,
    )


async def listing(
    services: Services, session: AsyncSession, who: Caller, recent: int = 5
) -> tuple[list[Status], list[Status]]:
    """Planned and recent announcements (a regio user: their own)."""
    repo = AnnouncementRepo(session)
    author = None if who.role == Role.PROGRAMME else who.user_id
    return (
        [await _status(services, a) for a in await repo.planned(author)],
        [await _status(services, a) for a in await repo.latest(author, recent)],
    )


# -- the sender's texts ------------------------------------------------------------------------


def _minutes(seconds: float) -> str:
    if seconds < 60:
        return _text("ann_time_left_under_minute")
    minutes = round(seconds / 60)
    if minutes == 1:
        return _text("ann_time_left_minute")
    return _text("ann_time_left_minutes", minutes=minutes)


@dataclass
class ProgressReporter:
    """The progress message and the final report of an announcement, in Dutch."""

    services: Services

    def progress(self, announcement_id: int, c: Counts, seconds_left: float) -> Report:
        text = self.services.renderer.render(
            "announce/progress.html.j2",
            id=announcement_id,
            c=c,
            done=c.left == 0,
            left=_minutes(seconds_left),
        )
        return Report(text)

    def final(self, announcement_id: int, c: Counts) -> Report:
        text = self.services.renderer.render("announce/report.html.j2", id=announcement_id, c=c)
        markup = None
        if c.uncertain:
            button = Button(
                self.services.renderer.text("ann_resend", n=c.uncertain),
                build(Flow.ANNOUNCE, "u", announcement_id),
            )
            markup = {"inline_keyboard": [[{"text": button.text, "callback_data": button.data}]]}
        return Report(text, markup)
