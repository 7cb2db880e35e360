"""`/mijntrajecten`: the list, the details with history, and the forms that change a trajectory.

Callback data (`mt:`), every press checked again against the caller's role:
    mt:l:<scope>:<page>        the list; scope m (mine), r (my region), a (all: programme team)
    mt:d:<id>                  details and history
    mt:p:<id>:<version>        placement form      mt:e:<id>:<version>  ending form
    mt:w:<id>:<version>        change a field: pick the field (mt:f:<field>), then the value
    mt:v:<step>:<value>        an answer button in a form;  mt:x  stop the form
Forms keep a draft (kind, id, version, step, values) like /registreer; the version is the one
the user saw, so a change by someone else in between is reported, never overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Flow, build, parse, typed_arg
from bot.domain import Role
from bot.services import Services
from bot.services.people.accounts import Caller
from bot.services.shared import forms
from bot.services.shared.dates import show_day
from bot.services.shared.drafts import Draft
from bot.services.shared.inputs import InputError, as_number
from bot.services.shared.replies import Button, Notice, Person, Reply
from bot.services.trajectories import records as t
from bot.services.trajectories.fields import fields
from bot.storage.models import Trajectory
from bot.storage.trajectories import ListFilter, TrajectoryRepo

PAGE = 8
HISTORY = 12
FORM_STEPS = {
    "place": ("placement_date", "hours_per_week", "contract"),
    "end": ("end_date", "end_reason"),
}
BASE_FIELDS = (
    "pseudonym",
    "start_date",
    "method",
    "target_group",
    "initiator",
    "provider",
    "benefit",
    "treatment",
)
FormKind = Literal["place", "end", "edit"]


class FollowupDraft(Draft):
    """A placement, ending or change being entered for one trajectory. `version` is the one
    the user saw: a change by someone else in between is reported, never overwritten."""

    kind: FormKind
    id: int
    version: int
    reference: str
    current: dict[str, str | None]  # the stored values when the form opened
    values: dict[str, str] = Field(default_factory=dict)  # the answers so far
    fields: list[str] = Field(default_factory=list)  # what a change may pick ("edit")


@dataclass(frozen=True)
class Result:
    reply: Reply | Notice
    draft: FollowupDraft | None  # an open form; None: no form (any more)

    @property
    def step(self) -> str | None:
        return None if self.draft is None else self.draft.step


# -- who may see and change what ------------------------------------------------------------


def _owns(who: Caller, trajectory: Trajectory) -> bool:
    return (
        who.role in forms.STAFF and who.user_id is not None and trajectory.coach_id == who.user_id
    )


def can_view(who: Caller, trajectory: Trajectory) -> bool:
    """Own trajectories; regio staff also their region's; the programme team all."""
    if who.role == Role.REGIO and trajectory.region == who.region:
        return True
    return who.role == Role.PROGRAMME or _owns(who, trajectory)


def can_edit(who: Caller, trajectory: Trajectory) -> bool:
    """The coach who registered it, and the programme team; regio staff only look."""
    return who.role == Role.PROGRAMME or _owns(who, trajectory)


def editable_fields(who: Caller, trajectory: Trajectory) -> tuple[str, ...]:
    names = list(BASE_FIELDS)
    if who.role == Role.PROGRAMME:
        names.insert(0, "region")
    if trajectory.placement_date is not None:
        names += FORM_STEPS["place"]
    if trajectory.status == t.ENDED:
        names += FORM_STEPS["end"]
    return tuple(names)


def _scopes(who: Caller) -> tuple[str, ...]:
    if who.role == Role.PROGRAMME:
        return ("m", "a")
    if who.role == Role.REGIO:
        return ("m", "r")
    return ("m",)


def _filter(who: Caller, scope: str) -> dict[str, Any]:
    """The list's scope as a query filter: all, my region, or mine."""
    if scope == "a":
        return {}
    if scope == "r":
        return {"region": who.region}
    return {"coach_id": who.user_id}


# -- rendering ------------------------------------------------------------------------------


def _today(services: Services) -> date:
    return services.clock().date()


def _values(trajectory: Trajectory) -> dict[str, str | None]:
    """The stored values as a form keeps them (strings; dates ISO)."""
    names = ("region", *BASE_FIELDS, *FORM_STEPS["place"], *FORM_STEPS["end"], "status")
    return {n: forms.as_text(n, getattr(trajectory, n)) for n in names}


def _label(services: Services, name: str, value: str | None) -> str:
    return forms.value_label(services, name, value)


def _days(services: Services, trajectory: Trajectory) -> int:
    return max(0, (services.clock() - trajectory.updated_at).days)


# What a list can narrow to (callback data mt:l:<scope>:<page>[:<show>[:<search>]]).
SHOW = ("all", "l", "g", "b", "s")  # all, running, placed, ended, no update for STALE_DAYS
STALE_DAYS = 30
SEARCH_MAX = 30  # bytes of a search kept in the buttons' data


def _only(services: Services, show: str, search: str) -> ListFilter:
    status = {"l": t.RUNNING, "g": t.PLACED, "b": t.ENDED}.get(show)
    before = services.clock() - timedelta(days=STALE_DAYS) if show == "s" else None
    return ListFilter(status, before, search or None)


def _list_data(scope: str, page: int, show: str, search: str) -> str:
    if search:
        return build(Flow.TRAJECTORY, "l", scope, page, show, search)
    if show != "all":
        return build(Flow.TRAJECTORY, "l", scope, page, show)
    return build(Flow.TRAJECTORY, "l", scope, page)


async def listing(
    services: Services,
    session: AsyncSession,
    who: Caller,
    scope: str = "m",
    page: int = 0,
    show: str = "all",
    search: str = "",
) -> Reply:
    """Mine, my region's or all trajectories, PAGE at a time; `show` narrows to a status or
    to those without an update for STALE_DAYS days; `search` to a reference or pseudonym."""
    r = services.renderer
    if scope not in _scopes(who):
        scope = "m"
    show = show if show in SHOW else "all"
    search = typed_arg(search, SEARCH_MAX)  # it rides along in the buttons' data
    repo = TrajectoryRepo(session)
    only = _only(services, show, search)
    total = await repo.count(**_filter(who, scope), only=only)
    pages = max(1, -(-total // PAGE))
    page = min(max(page, 0), pages - 1)
    rows = await repo.page(page * PAGE, PAGE, **_filter(who, scope), only=only)
    buttons: list[tuple[Button, ...]] = []
    for row in rows:
        status = fields()["status"].value_label(row.status)
        text = f"{row.reference} · {row.pseudonym or '–'} · {status} · {_days(services, row)} d"
        buttons.append((Button(text[:64], build(Flow.TRAJECTORY, "d", row.id)),))
    paging = []
    if page > 0:
        paging.append(Button(r.text("list_previous"), _list_data(scope, page - 1, show, search)))
    if page + 1 < pages:
        paging.append(Button(r.text("list_next"), _list_data(scope, page + 1, show, search)))
    if paging:
        buttons.append(tuple(paging))
    shows = [
        Button(
            ("✓ " if option == show else "") + r.text(f"list_show_{option}", days=STALE_DAYS),
            _list_data(scope, 0, option, search),
        )
        for option in SHOW
    ]
    buttons += [tuple(shows[:3]), tuple(shows[3:])]
    if search:
        buttons.append((Button(r.text("list_search_off"), _list_data(scope, 0, show, "")),))
    for other in _scopes(who):
        if other != scope:
            buttons.append(
                (Button(r.text(f"list_scope_{other}"), _list_data(other, 0, show, search)),)
            )
    text = r.render(
        "followup/list.html.j2",
        scope=scope,
        region=services.region_name(who.region),
        total=total,
        page=page + 1,
        pages=pages,
        show=show,
        show_label=r.text(f"list_show_{show}", days=STALE_DAYS),
        search=search,
    )
    return Reply(text, tuple(buttons))


async def by_reference(
    services: Services, session: AsyncSession, who: Caller, reference: str
) -> Reply | None:
    """A typed reference ("HW-2026-00817"): that trajectory's details for someone who may see
    it; for anyone else the same answer as for a reference that does not exist."""
    trajectory = await TrajectoryRepo(session).by_reference(reference)
    if trajectory is None or who.role is None or not can_view(who, trajectory):
        return None
    return await detail(services, session, who, trajectory)


async def _history(
    services: Services, session: AsyncSession, trajectory: Trajectory
) -> list[tuple[str, str, str, str, str]]:
    r = services.renderer
    out = []
    for event, name in await TrajectoryRepo(session).history(trajectory.id, HISTORY):
        when = event.at.astimezone(services.clock().tzinfo)
        out.append(
            (
                show_day(when.date()),
                fields()[event.field].label if event.field in fields() else event.field,
                _label(services, event.field, event.old),
                _label(services, event.field, event.new),
                name or r.text("history_unknown_person"),
            )
        )
    return out


async def detail(
    services: Services,
    session: AsyncSession,
    who: Caller,
    trajectory: Trajectory,
    note: str | None = None,
) -> Reply:
    r = services.renderer
    values = _values(trajectory)
    shown = ["region", *BASE_FIELDS]
    if trajectory.placement_date is not None:
        shown += FORM_STEPS["place"]
    if trajectory.status == t.ENDED:
        shown += FORM_STEPS["end"]
    text = r.render(
        "followup/detail.html.j2",
        reference=trajectory.reference,
        status=_label(services, "status", trajectory.status),
        rows=[(forms.label_of(services, n), _label(services, n, values[n])) for n in shown],
        days=_days(services, trajectory),
        ips_long=trajectory.status != t.ENDED and forms.ips_too_long(values, _today(services)),
        history=await _history(services, session, trajectory),
        note=note,
        read_only=not can_edit(who, trajectory),
    )
    tid, version = trajectory.id, trajectory.version
    buttons: list[tuple[Button, ...]] = []
    if can_edit(who, trajectory):
        actions = []
        if trajectory.status == t.RUNNING:
            actions.append(Button(r.text("mt_place"), build(Flow.TRAJECTORY, "p", tid, version)))
        if trajectory.status != t.ENDED:
            actions.append(Button(r.text("mt_end"), build(Flow.TRAJECTORY, "e", tid, version)))
        actions.append(Button(r.text("mt_edit"), build(Flow.TRAJECTORY, "w", tid, version)))
        buttons.append(tuple(actions))
    buttons.append((Button(r.text("mt_back_to_list"), build(Flow.TRAJECTORY, "l", "m", "0")),))
    return Reply(text, tuple(buttons))


# -- forms ----------------------------------------------------------------------------------


SUMMARY = "summary"  # an ending is shown in full before it is saved


def _end_summary(services: Services, draft: FollowupDraft, error: str | None = None) -> Reply:
    """The ending as it will be saved, with Bevestig, « Terug and Annuleer."""
    r = services.renderer
    rows = [
        (forms.label_of(services, name), _label(services, name, draft.values.get(name)))
        for name in FORM_STEPS["end"]
    ]
    text = r.render(
        "followup/end_summary.html.j2", reference=draft.reference, rows=rows, error=error
    )
    return Reply(
        text,
        (
            (Button(r.text("form_confirm"), build(Flow.TRAJECTORY, "ok")),),
            (
                Button(r.text("form_back"), build(Flow.TRAJECTORY, "b")),
                Button(r.text("form_cancel"), build(Flow.TRAJECTORY, "x")),
            ),
        ),
    )


def _ask(services: Services, draft: FollowupDraft, error: str | None = None) -> Reply:
    r = services.renderer
    step = draft.step
    if step == SUMMARY:
        return _end_summary(services, draft, error)
    stop: tuple[Button, ...] = (Button(r.text("form_cancel"), build(Flow.TRAJECTORY, "x")),)
    steps = FORM_STEPS.get(draft.kind, ())
    if step in steps and steps.index(step) > 0:  # « Terug from the second question on
        stop = (Button(r.text("form_back"), build(Flow.TRAJECTORY, "b")), *stop)
    if step == "field":
        names = draft.fields
        buttons = [
            Button(forms.label_of(services, n), build(Flow.TRAJECTORY, "f", n)) for n in names
        ]
        rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        text = r.render("followup/pick_field.html.j2", reference=draft.reference, error=error)
        return Reply(text, (*rows, stop))
    q = forms.question(services, step)
    text = r.render(
        "followup/question.html.j2",
        reference=draft.reference,
        kind=draft.kind,
        question=q.text,
        error=error,
        current=_label(services, step, draft.current.get(step)) if draft.kind == "edit" else None,
        typed=not q.options or step in forms.DATE_STEPS or step == "hours_per_week",
    )
    return Reply(text, (*forms.option_rows(Flow.TRAJECTORY, q), stop))


async def _load(
    services: Services, session: AsyncSession, who: Caller, tid: str
) -> Trajectory | Notice:
    r = services.renderer
    number = as_number(tid)
    trajectory = await TrajectoryRepo(session).get(number) if number is not None else None
    if trajectory is None:
        return Notice(r.text("mt_gone"), alert=True)
    if not can_view(who, trajectory):
        return Notice(r.text("mt_not_yours"), alert=True)
    return trajectory


async def _open_form(
    services: Services,
    session: AsyncSession,
    who: Caller,
    kind: FormKind,
    trajectory: Trajectory,
    version: str,
) -> Result:
    r = services.renderer
    if not can_edit(who, trajectory):
        return Result(Notice(r.text("mt_read_only"), alert=True), None)
    if str(trajectory.version) != version:
        reply = await detail(services, session, who, trajectory, note=r.text("mt_conflict"))
        return Result(reply, None)
    if kind == "place" and trajectory.status != t.RUNNING:
        return Result(Notice(r.text("mt_cannot_place"), alert=True), None)
    if kind == "end" and trajectory.status == t.ENDED:
        return Result(Notice(r.text("mt_already_ended"), alert=True), None)
    draft = FollowupDraft(
        step="field" if kind == "edit" else FORM_STEPS[kind][0],
        kind=kind,
        id=trajectory.id,
        version=trajectory.version,
        reference=trajectory.reference,
        current=_values(trajectory),
        fields=list(editable_fields(who, trajectory)) if kind == "edit" else [],
        touched=services.clock(),
    )
    return Result(_ask(services, draft), draft)


async def _answer(
    services: Services, session: AsyncSession, who: Caller, draft: FollowupDraft, raw: str
) -> Result:
    step = draft.step
    context: Mapping[str, str | None] = {**draft.current, **draft.values}
    try:
        value = forms.parse(services, step, raw, context, _today(services))
    except InputError as exc:
        return Result(_ask(services, draft, str(exc)), draft)
    draft.values[step] = value
    if draft.kind != "edit":
        steps = FORM_STEPS[draft.kind]
        position = steps.index(step)
        if position + 1 < len(steps):
            draft.step = steps[position + 1]
            return Result(_ask(services, draft), draft)
        if draft.kind == "end":  # an ending is confirmed first
            draft.step = SUMMARY
            return Result(_ask(services, draft), draft)
    return await _save(services, session, who, draft)


def _back(services: Services, draft: FollowupDraft) -> Reply:
    """« Terug: the previous question of a placement or ending (from the summary: the last)."""
    steps = FORM_STEPS.get(draft.kind, ())
    if draft.step == SUMMARY and steps:
        draft.step = steps[-1]
    elif draft.step in steps and steps.index(draft.step) > 0:
        draft.step = steps[steps.index(draft.step) - 1]
    return _ask(services, draft)


async def _save(
    services: Services, session: AsyncSession, who: Caller, draft: FollowupDraft
) -> Result:
    r = services.renderer
    changes = {name: forms.typed(name, value) for name, value in draft.values.items()}
    status = {"place": t.PLACED, "end": t.ENDED}.get(draft.kind)
    trajectory = await TrajectoryRepo(session).get(draft.id)
    if trajectory is None or not can_edit(who, trajectory):
        return Result(Notice(r.text("mt_read_only"), alert=True), None)
    if "region" in changes and changes["region"] not in services.region_codes():
        return Result(_ask(services, draft, r.text("stale_button")), draft)
    try:
        trajectory = await t.change(
            session,
            trajectory.id,
            draft.version,
            changes,
            who.user_id,
            services.clock(),
            status,
        )
    except t.Conflict:
        await session.rollback()
        fresh = await TrajectoryRepo(session).get(draft.id, fresh=True)
        if fresh is None:
            return Result(Notice(r.text("mt_gone"), alert=True), None)
        return Result(
            await detail(services, session, who, fresh, note=r.text("mt_conflict")), None
        )
    note = r.text(f"mt_saved_{draft.kind}")
    return Result(await detail(services, session, who, trajectory, note=note), None)


# -- entry points ---------------------------------------------------------------------------


async def start(
    services: Services, session: AsyncSession, person: Person, search: str = ""
) -> Result:
    """/mijntrajecten [reference or pseudonym]: with a search, over every trajectory the
    caller may see (all for the programme team, the region's for regio, their own for a
    coach)."""
    who = await forms.staff(services, session, person)
    if who is None:
        return Result(forms.not_staff(services), None)
    scope = _scopes(who)[-1] if search.strip() else "m"
    return Result(await listing(services, session, who, scope, search=search), None)


async def press(
    services: Services,
    session: AsyncSession,
    person: Person,
    draft: FollowupDraft | None,
    data: str,
) -> Result:
    r = services.renderer
    who = await forms.staff(services, session, person)
    if who is None:
        return Result(forms.not_staff(services), None)
    pressed = parse(data)
    if pressed is None or pressed.flow is not Flow.TRAJECTORY:
        return Result(Notice(r.text("stale_button")), draft)
    action = pressed.action
    page = pressed.number(1) if action == "l" else None
    if page is not None:
        show = pressed.arg(2) if len(pressed.args) > 2 else "all"
        search = pressed.arg(3) if len(pressed.args) > 3 else ""
        return Result(
            await listing(services, session, who, pressed.arg(0), page, show, search), None
        )
    if action in ("d", "p", "e", "w"):
        loaded = await _load(services, session, who, pressed.arg(0))
        if isinstance(loaded, Notice):
            return Result(loaded, draft)
        if action == "d":
            return Result(await detail(services, session, who, loaded), None)
        kind: FormKind = "place" if action == "p" else "end" if action == "e" else "edit"
        return await _open_form(services, session, who, kind, loaded, pressed.arg(1))
    # the rest belongs to an open form
    if draft is None:
        return Result(Notice(r.text("form_gone")), None)
    resumed = await forms.resume(services, session, person, draft, expired)
    if isinstance(resumed, Reply):
        return Result(resumed, None)
    if action == "x":
        return await _stopped(services, session, who, draft)
    if action == "b":
        return Result(_back(services, draft), draft)
    if action == "ok":
        if draft.step != SUMMARY:
            return Result(Notice(r.text("form_old_button")), draft)
        return await _save(services, session, who, draft)
    if action == "f" and draft.step == "field":
        if pressed.arg(0) not in draft.fields:
            return Result(Notice(r.text("stale_button")), draft)
        draft.step = pressed.arg(0)
        return Result(_ask(services, draft), draft)
    if action == "v":
        step, value = pressed.arg(0), pressed.arg(1)
        if step != draft.step:
            return Result(Notice(r.text("form_old_button")), draft)
        return await _answer(services, session, who, draft, value)
    return Result(Notice(r.text("stale_button")), draft)


async def text(
    services: Services,
    session: AsyncSession,
    person: Person,
    draft: FollowupDraft | None,
    raw: str,
) -> Result:
    r = services.renderer
    if draft is None:
        return Result(Reply(r.text("form_gone")), None)
    who = await forms.resume(services, session, person, draft, expired)
    if isinstance(who, Reply):
        return Result(who, None)
    if draft.step == "field":
        return Result(_ask(services, draft, r.text("form_use_buttons_field")), draft)
    if draft.step == SUMMARY:
        return Result(_ask(services, draft, r.text("form_use_buttons_end")), draft)
    return await _answer(services, session, who, draft, raw)


async def _stopped(
    services: Services, session: AsyncSession, who: Caller, draft: FollowupDraft | None
) -> Result:
    r = services.renderer
    trajectory = await TrajectoryRepo(session).get(draft.id) if draft else None
    if trajectory is None or not can_view(who, trajectory):
        return Result(Reply(r.text("mt_stopped")), None)
    return Result(
        await detail(services, session, who, trajectory, note=r.text("mt_stopped")), None
    )


async def stop(
    services: Services, session: AsyncSession, person: Person, draft: FollowupDraft | None
) -> Result:
    who = await forms.staff(services, session, person)
    if who is None:
        return Result(forms.not_staff(services), None)
    return await _stopped(services, session, who, draft)


def expired(services: Services) -> Reply:
    return Reply(services.renderer.render("followup/expired.html.j2"))
