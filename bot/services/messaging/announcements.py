"""Announcements: who receives them (audiences), checking their HTML, planning them, writing
the announcement and one delivery row per recipient, and what /bericht, /berichten and
`hoofdzaak announce` show. Sending is the sender's job (sender.py).

Audience: regions, divisions (this year's, from region_years) and roles. Regions and divisions
both pick regions (a union); roles narrow that down; nothing chosen is everyone. Recipients
are active, registered users (a role, or in HOOFDZAAK_ADMINS) that are not demo rows (demo
users have made-up Telegram ids). A `regio` user reaches only their own region.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot import telegram_html as tg_html
from bot.callbacks import Flow, build
from bot.config import TIMEZONE
from bot.domain import AnnouncementKind, AnnouncementStatus, Role, values
from bot.render import Renderer
from bot.services import Services
from bot.services.messaging.outcomes import Counts, Report
from bot.services.messaging.sender import counts, resend_uncertain
from bot.services.people.accounts import ROLE_NAMES, Caller
from bot.services.people.users import effective_role
from bot.services.shared.inputs import MONTHS, InputError
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
        kind = "Bij een foto of document mag de tekst" if has_media else "Een bericht mag"
        raise InputError(
            f"{kind} hoogstens {limit} tekens lang zijn; deze is {length}. Maak hem korter."
        )
    return text


# -- when --------------------------------------------------------------------------------------

_WHEN = re.compile(r"^(?P<day>.*?)[\s,]*(?:om\s+)?(?P<h>\d{1,2})[:.](?P<m>\d{2})(?:\s*uur)?$")
_WHEN_HELP = "Typ een datum en tijd, bijvoorbeeld 5-12 9:00, 5 december 14:30 of 2026-12-05 09:00."
_DAY_NUMERIC = re.compile(r"^(\d{1,2})[-/](\d{1,2})(?:[-/](\d{4}))?$")
_DAY_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_WORDS = re.compile(r"^(\d{1,2})\s+([a-z]+)\.?(?:\s+(\d{4}))?$")
_RELATIVE = {"vandaag": 0, "morgen": 1, "overmorgen": 2}


def parse_when(text: str, now: datetime) -> datetime:
    """A moment in the future in Europe/Amsterdam: '5-12 9:00', '5 december 14:30',
    '2026-12-05 09:00', 'morgen 9:00'. Without a year: the next such day."""
    raw = " ".join(text.strip().lower().split())
    m = _WHEN.match(raw)
    if m is None:
        raise InputError(_WHEN_HELP)
    hour, minute = int(m["h"]), int(m["m"])
    day_text = m["day"].strip().removesuffix(" om").strip()
    local = now.astimezone(TIMEZONE)
    year_given = True
    try:
        if day_text in _RELATIVE or not day_text:
            day = local.date() + timedelta(days=_RELATIVE.get(day_text, 0))
        elif d := _DAY_ISO.match(day_text):
            day = date(int(d[1]), int(d[2]), int(d[3]))
        elif d := _DAY_NUMERIC.match(day_text):
            year_given = d[3] is not None
            day = date(int(d[3] or local.year), int(d[2]), int(d[1]))
        elif (d := _DAY_WORDS.match(day_text)) and d[2] in MONTHS:
            year_given = d[3] is not None
            day = date(int(d[3] or local.year), MONTHS[d[2]], int(d[1]))
        else:
            raise InputError(_WHEN_HELP)
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise InputError("Die tijd bestaat niet. Typ bijvoorbeeld 9:00 of 14:30.")
        when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TIMEZONE)
        if not year_given and when <= local:
            when = when.replace(year=when.year + 1)
    except ValueError:
        raise InputError("Die datum bestaat niet. " + _WHEN_HELP) from None
    return check_when(when, now)


def check_when(when: datetime, now: datetime) -> datetime:
    if when <= now:
        raise InputError("Dat tijdstip is al voorbij. Kies een moment in de toekomst.")
    if when - now > MAX_AHEAD:
        raise InputError("Zo ver vooruit plannen kan niet: hoogstens een jaar.")
    return when


def show_when(when: datetime) -> str:
    """'5 december 2026 9:00' (Europe/Amsterdam)."""
    local = when.astimezone(TIMEZONE)
    month = MONTH_NAMES[local.month - 1]
    return f"{local.day} {month} {local.year} {local.hour}:{local.minute:02d}"


MONTH_NAMES = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


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
            raise AnnounceError(f"Regio {code} bestaat niet.")
    for div in audience.divisions:
        if div not in divisions:
            raise AnnounceError(f"Divisie {div} bestaat niet ({', '.join(sorted(divisions))}).")
    for role in audience.roles:
        if role not in ROLES:
            raise AnnounceError(f"Rol {role} bestaat niet ({', '.join(ROLES)}).")
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
    if audience.everyone:
        return "iedereen"
    names = {d.id: d.name for d in services.kb.regions.divisions}
    parts = []
    if audience.regions:
        word = Role.REGIO if len(audience.regions) == 1 else "regio's"
        parts.append(f"{word} {', '.join(audience.regions)}")
    if audience.divisions:
        word = "divisie" if len(audience.divisions) == 1 else "divisies"
        parts.append(f"{word} {', '.join(names.get(d, d) for d in audience.divisions)}")
    if audience.roles:
        parts.append("rol " + ", ".join(ROLE_NAMES[r] for r in audience.roles))
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
        raise AnnounceError("Er zijn geen actieve ontvangers voor deze keuze.")
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
        raise AnnounceError(f"Bericht {announcement_id} bestaat niet.")
    before = ann.status
    if before not in (
        AnnouncementStatus.DRAFT,
        AnnouncementStatus.SCHEDULED,
        AnnouncementStatus.SENDING,
    ):
        raise AnnounceError(f"Bericht {announcement_id} is al {STATUS_NAMES.get(before, before)}.")
    ann.status = AnnouncementStatus.CANCELLED
    ann.finished_at = services.clock()
    await session.commit()
    return before


async def resend(services: Services, announcement_id: int) -> int:
    n = await resend_uncertain(services.db, announcement_id, services.clock())
    if n:
        services.wake_sender()
    return n


STATUS_NAMES: dict[str, str] = {
    AnnouncementStatus.DRAFT: "concept",
    AnnouncementStatus.SCHEDULED: "ingepland",
    AnnouncementStatus.SENDING: "wordt verstuurd",
    AnnouncementStatus.DONE: "verstuurd",
    AnnouncementStatus.CANCELLED: "geannuleerd",
}


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
        raise AnnounceError(f"Bericht {announcement_id} bestaat niet.")
    return await _status(services, ann)


async def _status(services: Services, ann: Announcement) -> Status:
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", ann.text))).strip()
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
        return "minder dan een minuut"
    minutes = round(seconds / 60)
    return "ongeveer 1 minuut" if minutes == 1 else f"ongeveer {minutes} minuten"


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
