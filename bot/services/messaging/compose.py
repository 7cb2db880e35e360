"""/bericht (compose, audience, preview, send or plan) and /berichten (planned and recent ones).

/bericht is a form: its draft (`ComposeDraft`) lives in the conversation's user data and
every step checks the caller again (programma, or regio for its own region only). Steps:
text → audience (→ regions) → preview → send now, or when → planned.

Buttons (`ann:`):
  ann:a:all | ann:a:o:<role> | ann:a:d:<division> | ann:a:r | ann:a:r:<code> | ann:a:back
  ann:a:ok                      the audience is chosen: preview
  ann:p:now | ann:p:plan | ann:p:text | ann:p:aud | ann:p:x
  ann:c:<id> | ann:u:<id> | ann:l   (/berichten and the final report; stateless)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Flow, build, parse
from bot.domain import AnnouncementKind, AnnouncementStatus, Role, values
from bot.services import Services
from bot.services.messaging import announcements as ann
from bot.services.people.accounts import Caller, caller, role_name
from bot.services.shared.drafts import Draft
from bot.services.shared.inputs import InputError
from bot.services.shared.replies import Button, Notice, Person, Reply, region_rows
from bot.storage.announcements import AnnouncementRepo
from bot.storage.models import Announcement

MediaKind = Literal["photo", "document"]


class ComposeDraft(Draft):
    """The announcement being written and who it is for."""

    text: str | None = None  # Telegram HTML
    media_kind: MediaKind | None = None
    media_file_id: str | None = None
    regions: list[str] = Field(default_factory=list)
    divisions: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    # a planned moment typed without a year (or day) that had passed, moved forward: asked
    # about ("Bedoel je 1 december 2027 9:00?") before it is used
    suggested_at: datetime | None = None

    def audience(self) -> ann.Audience:
        return ann.Audience.of(
            {"regions": self.regions, "divisions": self.divisions, "roles": self.roles}
        )

    def choose(self, audience: ann.Audience) -> None:
        self.regions = list(audience.regions)
        self.divisions = list(audience.divisions)
        self.roles = list(audience.roles)


@dataclass(frozen=True)
class Preview:
    """The message exactly as the recipients will get it."""

    text: str
    media_kind: str | None = None
    media_file_id: str | None = None


@dataclass(frozen=True)
class Result:
    reply: Reply | Notice
    draft: ComposeDraft | None
    preview: Preview | None = None


async def _caller(services: Services, session: AsyncSession, person: Person) -> Caller:
    return await caller(services, session, person, record=True)


def refused(services: Services) -> Reply:
    return Reply(services.renderer.render("announce/not_allowed.html.j2"))


def expired(services: Services) -> Reply:
    return Reply(services.renderer.render("announce/expired.html.j2"))


async def start(services: Services, session: AsyncSession, person: Person) -> Result:
    who = await _caller(services, session, person)
    if not ann.may_send(who):
        return Result(refused(services), None)
    draft = ComposeDraft(
        step="text",
        regions=[who.region] if who.role == Role.REGIO and who.region else [],
        touched=services.clock(),
    )
    return Result(_ask_text(services, who), draft)


def _ask_text(services: Services, who: Caller) -> Reply:
    region = services.region_name(who.region) if who.role == Role.REGIO else None
    return Reply(services.renderer.render("announce/ask_text.html.j2", region=region))


async def _resume(
    services: Services, session: AsyncSession, person: Person, draft: ComposeDraft | None
) -> Caller | Result:
    """The caller if the form may go on; else the Result that ends it."""
    who = await _caller(services, session, person)
    if not ann.may_send(who):
        return Result(refused(services), None)
    if draft is None:
        return Result(expired(services), None)
    now = services.clock()
    if draft.idle(now):
        return Result(expired(services), None)
    draft.touch(now)
    if not ann.allowed(who, draft.audience()):  # e.g. a regio user whose region changed
        return Result(refused(services), None)
    return who


async def text(
    services: Services,
    session: AsyncSession,
    person: Person,
    draft: ComposeDraft | None,
    body: str,
    media_kind: MediaKind | None = None,
    media_file_id: str | None = None,
) -> Result:
    """Something typed (or a photo/document with its caption) in the form."""
    who = await _resume(services, session, person, draft)
    if isinstance(who, Result):
        return who
    assert draft is not None
    r = services.renderer
    if draft.step == "when":
        try:
            when, moved = ann.read_when(body, services.clock())
        except InputError as exc:
            return Result(Reply(r.render("announce/error.html.j2", error=str(exc))), draft)
        if moved:
            draft.suggested_at = when
            return Result(_moved_reply(services, when, body), draft)
        return await _create(services, session, who, person, draft, when)
    if draft.step == "regions" and media_kind is None:
        # a typed region name or code ("Zuid-Limburg", "am30", "heerlen") toggles it
        code = services.data_questions.region_in(body)
        if code in services.region_codes():
            draft.choose(draft.audience().toggled("regions", code))
            return Result(await _regions_reply(services, session, draft), draft)
        return Result(Reply(r.text("ann_region_unknown")), draft)
    # at the preview a new text replaces the old one; a text it refuses changes nothing
    if draft.step != "text" and (draft.step != "preview" or media_kind is not None):
        return Result(Reply(r.render("announce/use_buttons.html.j2")), draft)
    try:
        ann.check_message(body, media_kind is not None)
    except InputError as exc:
        return Result(Reply(r.render("announce/bad_text.html.j2", error=str(exc))), draft)
    draft.text, draft.media_kind, draft.media_file_id = body, media_kind, media_file_id
    draft.step = "audience"
    return Result(await _audience_reply(services, session, who, draft), draft)


def preview_refused(services: Services, draft: ComposeDraft, error: str) -> Result:
    """Telegram refused the preview (a case check_html missed): back to the text step."""
    draft = draft.model_copy(update={"step": "text"})
    reply = Reply(services.renderer.render("announce/bad_text.html.j2", error=error))
    return Result(reply, draft)


async def _audience_reply(
    services: Services, session: AsyncSession, who: Caller, draft: ComposeDraft
) -> Reply:
    r = services.renderer
    audience = draft.audience()
    n = len(await ann.recipients(services, session, audience))

    def mark(on: bool, label: str) -> str:
        return f"✓ {label}" if on else label

    roles = (Role.COACH, Role.REGIO) if who.role == Role.REGIO else ann.ROLES
    rows: list[tuple[Button, ...]] = []
    rows.append(
        (
            Button(
                mark(not audience.roles and who.role == Role.REGIO, r.text("ann_region_everyone")),
                build(Flow.ANNOUNCE, "a", "all"),
            ),
        )
        if who.role == Role.REGIO
        else (
            Button(
                mark(audience.everyone, r.text("ann_everyone")), build(Flow.ANNOUNCE, "a", "all")
            ),
        )
    )
    rows.append(
        tuple(
            Button(
                mark(role in audience.roles, role_name(role).capitalize()),
                build(Flow.ANNOUNCE, "a", "o", role),
            )
            for role in roles
        )
    )
    if who.role == Role.PROGRAMME:
        for div in services.kb.regions.divisions:
            rows.append(
                (
                    Button(
                        mark(div.id in audience.divisions, div.name),
                        build(Flow.ANNOUNCE, "a", "d", div.id),
                    ),
                )
            )
        rows.append(
            (
                Button(
                    r.text("ann_regions", n=len(audience.regions)), build(Flow.ANNOUNCE, "a", "r")
                ),
            )
        )
    rows.append(
        (
            Button(r.text("ann_next", n=n), build(Flow.ANNOUNCE, "a", "ok")),
            Button(r.text("ann_cancel"), build(Flow.ANNOUNCE, "p", "x")),
        )
    )
    text = r.render(
        "announce/audience.html.j2",
        label=ann.label(services, audience),
        count=n,
        regio=who.role == Role.REGIO,
        region=services.region_name(who.region),
    )
    return Reply(text, tuple(rows))


async def _regions_reply(services: Services, session: AsyncSession, draft: ComposeDraft) -> Reply:
    r = services.renderer
    audience = draft.audience()
    n = len(await ann.recipients(services, session, audience))
    rows = region_rows(
        services.kb.regions.regions,
        lambda code: build(Flow.ANNOUNCE, "a", "r", code),
        chosen=audience.regions,
    )
    back = (Button(r.text("ann_back"), build(Flow.ANNOUNCE, "a", "back")),)
    text = r.render("announce/regions.html.j2", label=ann.label(services, audience), count=n)
    return Reply(text, (*rows, back))


async def _preview_reply(
    services: Services, session: AsyncSession, draft: ComposeDraft
) -> tuple[Reply, int]:
    r = services.renderer
    audience = draft.audience()
    n = len(await ann.recipients(services, session, audience))
    buttons = (
        (
            Button(r.text("ann_send_now", n=n), build(Flow.ANNOUNCE, "p", "now")),
            Button(r.text("ann_plan"), build(Flow.ANNOUNCE, "p", "plan")),
        ),
        (
            Button(r.text("ann_edit_text"), build(Flow.ANNOUNCE, "p", "text")),
            Button(r.text("ann_edit_audience"), build(Flow.ANNOUNCE, "p", "aud")),
        ),
        (Button(r.text("ann_cancel"), build(Flow.ANNOUNCE, "p", "x")),),
    )
    text = r.render(
        "announce/preview.html.j2",
        label=ann.label(services, audience),
        count=n,
        media=draft.media_kind,
    )
    return Reply(text, buttons), n


async def press(
    services: Services,
    session: AsyncSession,
    person: Person,
    draft: ComposeDraft | None,
    data: str,
) -> Result:
    """A button of the /bericht form (see the module text)."""
    r = services.renderer
    who = await _resume(services, session, person, draft)
    if isinstance(who, Result):
        if isinstance(who.reply, Reply) and draft is None:
            return Result(Notice(r.text("ann_stale"), alert=True), None)
        return who
    assert draft is not None
    pressed = parse(data)
    if pressed is None or pressed.flow is not Flow.ANNOUNCE:
        return Result(Notice(r.text("ann_stale")), draft)
    step = draft.step
    if pressed.action == "a" and step in ("audience", "regions"):
        return await _audience_press(services, session, who, draft, list(pressed.args))
    if pressed.action == "p":
        action = pressed.arg(0)
        if action == "x":
            return Result(Reply(r.render("announce/cancelled.html.j2")), None)
        if step != "preview" and action in ("now", "plan"):
            return Result(Notice(r.text("ann_stale")), draft)
        if action == "now":
            return await _create(services, session, who, person, draft, None)
        if action == "plan":
            draft.step, draft.suggested_at = "when", None
            return Result(Reply(r.render("announce/ask_when.html.j2")), draft)
        if action in ("yes", "no") and step == "when" and draft.suggested_at is not None:
            when, draft.suggested_at = draft.suggested_at, None
            if action == "no":
                return Result(Reply(r.render("announce/ask_when.html.j2")), draft)
            try:
                ann.check_when(when, services.clock())
            except InputError as exc:
                return Result(Reply(r.render("announce/error.html.j2", error=str(exc))), draft)
            return await _create(services, session, who, person, draft, when)
        if action == "text":
            draft.step = "text"
            return Result(_ask_text(services, who), draft)
        if action == "aud":
            draft.step = "audience"
            return Result(await _audience_reply(services, session, who, draft), draft)
    return Result(Notice(r.text("ann_stale")), draft)


def _moved_reply(services: Services, when: datetime, typed: str) -> Reply:
    """The typed moment had passed: ask before planning it for the next such day."""
    r = services.renderer
    text = r.render("announce/when_moved.html.j2", when=ann.show_when(when), typed=typed)
    return Reply.column(
        text,
        [
            Button(
                r.text("ann_when_yes", when=ann.show_when(when)), build(Flow.ANNOUNCE, "p", "yes")
            ),
            Button(r.text("ann_when_no"), build(Flow.ANNOUNCE, "p", "no")),
        ],
    )


async def _audience_press(
    services: Services, session: AsyncSession, who: Caller, draft: ComposeDraft, args: list[str]
) -> Result:
    r = services.renderer
    audience = draft.audience()
    codes = services.region_codes()
    divisions = {d.id for d in services.kb.regions.divisions}
    match args:
        case ["all"]:
            audience = (
                ann.Audience(regions=(who.region or "",))
                if who.role == Role.REGIO
                else ann.Audience()
            )
        case ["o", role] if role in ann.ROLES:
            audience = audience.toggled("roles", role)
        case ["d", div] if div in divisions:
            audience = audience.toggled("divisions", div)
        case ["r"] if who.role == Role.PROGRAMME:
            draft.step = "regions"
            return Result(await _regions_reply(services, session, draft), draft)
        case ["r", code] if code in codes:
            audience = audience.toggled("regions", code)
        case ["back"]:
            draft.step = "audience"
            return Result(await _audience_reply(services, session, who, draft), draft)
        case ["ok"]:
            n = len(await ann.recipients(services, session, audience))
            if n == 0:
                return Result(Notice(r.text("ann_nobody"), alert=True), draft)
            draft.step = "preview"
            reply, _ = await _preview_reply(services, session, draft)
            preview = Preview(draft.text or "", draft.media_kind, draft.media_file_id)
            return Result(reply, draft, preview)
        case _:
            return Result(Notice(r.text("ann_refused"), alert=True), draft)
    if not ann.allowed(who, audience):  # forged: a regio user reaching outside its region
        return Result(Notice(r.text("ann_refused"), alert=True), draft)
    draft.choose(audience)
    if draft.step == "regions":
        return Result(await _regions_reply(services, session, draft), draft)
    return Result(await _audience_reply(services, session, who, draft), draft)


async def _create(
    services: Services,
    session: AsyncSession,
    who: Caller,
    person: Person,
    draft: ComposeDraft,
    when: datetime | None,
) -> Result:
    r = services.renderer
    audience = draft.audience()
    if not ann.allowed(who, audience):
        return Result(refused(services), None)
    new = ann.Draft(draft.text or "", audience, draft.media_kind, draft.media_file_id)
    try:
        created = await ann.create(
            services,
            session,
            new,
            created_by=who.user_id,
            progress_chat_id=person.telegram_id,
            scheduled_at=when,
        )
    except (ann.AnnounceError, InputError) as exc:
        return Result(Reply(r.render("announce/error.html.j2", error=str(exc))), draft)
    if when is None:
        return Result(Reply(r.render("announce/started.html.j2", count=created.recipients)), None)
    text = r.render(
        "announce/planned.html.j2",
        id=created.id,
        count=created.recipients,
        when=ann.show_when(when),
    )
    return Result(Reply(text), None)


# -- /berichten --------------------------------------------------------------------------------


async def overview(
    services: Services, session: AsyncSession, person: Person, toast: str | None = None
) -> Reply:
    who = await _caller(services, session, person)
    if not ann.may_send(who):
        return refused(services)
    return await _overview(services, session, who, toast)


async def _overview(
    services: Services, session: AsyncSession, who: Caller, toast: str | None = None
) -> Reply:
    r = services.renderer
    planned, recent = await ann.listing(services, session, who)
    buttons = [
        Button(r.text("ann_cancel_planned", id=s.id), build(Flow.ANNOUNCE, "c", s.id))
        for s in planned
    ]
    buttons += [
        Button(
            r.text("ann_resend_id", n=s.counts.uncertain, id=s.id), build(Flow.ANNOUNCE, "u", s.id)
        )
        for s in recent
        if s.counts.uncertain and s.status == AnnouncementStatus.DONE
    ]
    buttons.append(Button(r.text("ann_refresh"), build(Flow.ANNOUNCE, "l")))
    text = r.render(
        "announce/overview.html.j2",
        planned=[(s, ann.show_when(s.scheduled_at) if s.scheduled_at else "") for s in planned],
        recent=recent,
        status_names={s: ann.status_name(s) for s in values(AnnouncementStatus)},
    )
    return Reply.column(text, buttons, toast=toast)


def _may_manage(who: Caller, row: Announcement | None) -> bool:
    if row is None or row.kind != AnnouncementKind.ANNOUNCEMENT or not ann.may_send(who):
        return False
    return who.role == Role.PROGRAMME or row.created_by == who.user_id


async def list_press(
    services: Services, session: AsyncSession, person: Person, data: str
) -> Reply | Notice:
    """/berichten's buttons and the final report's resend button (stateless, checked again)."""
    r = services.renderer
    who = await _caller(services, session, person)
    if not ann.may_send(who):
        return Notice(r.render("announce/not_allowed.html.j2"), alert=True)
    pressed = parse(data)
    if pressed is None or pressed.flow is not Flow.ANNOUNCE:
        return Notice(r.text("ann_stale"))
    if pressed.action == "l":
        return await _overview(services, session, who)
    ann_id = pressed.number(0) if pressed.action in ("c", "u") else None
    if ann_id is None:
        return Notice(r.text("ann_stale"))
    row = await AnnouncementRepo(session).get(ann_id)
    if not _may_manage(who, row):
        return Notice(r.text("ann_refused"), alert=True)
    assert row is not None
    if pressed.action == "c":
        if row.status != AnnouncementStatus.SCHEDULED:
            return Notice(r.text("ann_not_planned", id=ann_id), alert=True)
        await ann.cancel(services, session, ann_id)
        return await _overview(services, session, who, r.text("ann_cancelled", id=ann_id))
    n = await ann.resend(services, ann_id)
    if n == 0:
        return Notice(r.text("ann_no_uncertain"), alert=True)
    return Notice(r.text("ann_resent", n=n), alert=True)
