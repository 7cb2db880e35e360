"""`/registreer`: a new trajectory, one question at a time, then a summary to confirm.

The conversation itself (states, timeout, persistence) lives in handlers/registration.py;
this module decides what to ask and what to answer. Callback data: `new:<action>…`
(`new:v:<step>:<value>` an answer, `new:back`, `new:edit:<step>`, `new:ok`, `new:cancel`,
`new:resume`, `new:restart`, `new:ask`). Nothing is stored until "Bevestig".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Flow, build, parse
from bot.domain import Role
from bot.services import Services
from bot.services.people.accounts import Caller
from bot.services.shared import forms
from bot.services.shared.drafts import Draft
from bot.services.shared.inputs import InputError
from bot.services.shared.replies import Button, Notice, Person, Reply
from bot.services.trajectories import records as t
from knowledge.decisions import evaluate

STEPS = (
    "region",
    "pseudonym",
    "start_date",
    "method",
    "target_group",
    "initiator",
    "provider",
    "benefit",
    "ggz",
    "werken",
)
SUMMARY = "summary"


class RegistrationDraft(Draft):
    """/registreer's answers so far (strings; dates ISO), by step."""

    values: dict[str, str] = Field(default_factory=dict)
    editing: bool = False  # changing one answer from the summary
    token: str | None = None  # makes confirming idempotent (Trajectory.draft_token)
    region_fixed: bool = False  # coach and regio staff register in their own region
    error: str | None = None  # the last explanation shown


@dataclass(frozen=True)
class Result:
    """What to show, and the draft to keep (None: the conversation is over)."""

    reply: Reply | Notice
    draft: RegistrationDraft | None

    @property
    def step(self) -> str | None:
        return None if self.draft is None else self.draft.step


def _steps(draft: RegistrationDraft) -> tuple[str, ...]:
    return STEPS[1:] if draft.region_fixed else STEPS


def _today(services: Services) -> date:
    return services.clock().date()


# -- rendering ---------------------------------------------------------------------------------


def _nav(services: Services, first: bool = False) -> tuple[Button, ...]:
    """« Terug (not on the first question: there is nothing to go back to) and Annuleer."""
    r = services.renderer
    back = () if first else (Button(r.text("form_back"), build(Flow.REGISTER, "back")),)
    return (*back, Button(r.text("form_cancel"), build(Flow.REGISTER, "cancel")))


def ask(services: Services, draft: RegistrationDraft, error: str | None = None) -> Reply:
    """The current question (or the summary), with an explanation of what went wrong."""
    if draft.step == SUMMARY:
        raise ValueError("use summary() for the summary")
    step = draft.step
    q = forms.question(services, step)
    steps = _steps(draft)
    text = services.renderer.render(
        "registration/question.html.j2",
        number=steps.index(step) + 1,
        total=len(steps),
        question=q.text,
        error=error,
        editing=draft.editing,
        typed=not q.options or step in forms.DATE_STEPS,
        quick=bool(q.options),
    )
    first = steps.index(step) == 0 and not draft.editing
    return Reply(text, (*forms.option_rows(Flow.REGISTER, q), _nav(services, first)))


async def summary(
    services: Services,
    session: AsyncSession,
    who: Caller,
    draft: RegistrationDraft,
    error: str | None = None,
) -> Reply:
    values = draft.values
    r = services.renderer
    duplicate = None
    if who.user_id is not None and values.get("pseudonym") and values.get("start_date"):
        duplicate = await t.find_duplicate(
            session, who.user_id, values["pseudonym"], date.fromisoformat(values["start_date"])
        )
    rows = [
        (forms.label_of(services, s), forms.value_label(services, s, values.get(s)))
        for s in _steps(draft)
    ]
    text = r.render(
        "registration/summary.html.j2",
        rows=rows,
        duplicate=duplicate.reference if duplicate else None,
        ips_long=forms.ips_too_long(values, _today(services)),
        error=error,
    )
    edits = [
        Button(
            r.text("form_edit", label=forms.label_of(services, s)), build(Flow.REGISTER, "edit", s)
        )
        for s in _steps(draft)
        if s != "werken"
    ]
    buttons: list[tuple[Button, ...]] = [tuple(edits[i : i + 2]) for i in range(0, len(edits), 2)]
    confirm = r.text("form_confirm_anyway" if duplicate else "form_confirm")
    buttons.append((Button(confirm, build(Flow.REGISTER, "ok")),))
    buttons.append((Button(r.text("form_cancel"), build(Flow.REGISTER, "cancel")),))
    return Reply(text, tuple(buttons))


async def _show(
    services: Services,
    session: AsyncSession,
    who: Caller,
    draft: RegistrationDraft,
    error: str | None = None,
) -> Result:
    draft.error = error
    if draft.step == SUMMARY:
        return Result(await summary(services, session, who, draft, error), draft)
    return Result(ask(services, draft, error), draft)


# -- the flow ---------------------------------------------------------------------------------


async def begin(
    services: Services,
    session: AsyncSession,
    person: Person,
    draft: RegistrationDraft | None,
) -> Result:
    """/registreer: a new draft, or the choice to go on with the one already there."""
    who = await forms.staff(services, session, person)
    if who is None:
        return Result(forms.not_staff(services), None)
    now = services.clock()
    r = services.renderer
    if draft and not draft.idle(now):
        draft.touch(now)
        reply = Reply(
            r.render("registration/resume.html.j2"),
            (
                (Button(r.text("form_resume"), build(Flow.REGISTER, "resume")),),
                (Button(r.text("form_restart"), build(Flow.REGISTER, "restart")),),
            ),
        )
        return Result(reply, draft)
    return _fresh(services, who)


def _fresh(services: Services, who: Caller) -> Result:
    # the token makes confirming idempotent (trajectories.find_by_token)
    fixed = who.role in (Role.COACH, Role.REGIO) and bool(who.region)
    draft = RegistrationDraft(
        step=STEPS[1] if fixed else STEPS[0],
        values={"region": who.region} if fixed and who.region else {},
        region_fixed=fixed,
        token=secrets.token_hex(8),
        touched=services.clock(),
    )
    intro = services.renderer.render(
        "registration/intro.html.j2",
        region=forms.value_label(services, "region", draft.values.get("region")),
    )
    first = ask(services, draft)
    return Result(Reply(intro + "\n\n" + first.text, first.buttons), draft)


def expired_reply(services: Services) -> Reply:
    return Reply(services.renderer.render("registration/expired.html.j2"))


def expired(services: Services) -> Result:
    return Result(expired_reply(services), None)


def stopped(services: Services) -> Result:
    return Result(Reply(services.renderer.render("registration/stopped.html.j2")), None)


async def answer_text(
    services: Services,
    session: AsyncSession,
    person: Person,
    draft: RegistrationDraft | None,
    text: str,
) -> Result:
    """Something typed while a question is open."""
    if draft is None:
        return stopped(services)
    who = await forms.resume(services, session, person, draft, expired_reply)
    if isinstance(who, Reply):
        return Result(who, None)
    if draft.step == SUMMARY:
        return await _show(
            services, session, who, draft, services.renderer.text("form_use_buttons")
        )
    return await _answer(services, session, who, draft, draft.step, text)


async def press(
    services: Services,
    session: AsyncSession,
    person: Person,
    draft: RegistrationDraft | None,
    data: str,
) -> Result:
    """A button under a question or the summary."""
    r = services.renderer
    if draft is None:
        return Result(Notice(r.text("form_gone")), None)
    who = await forms.resume(services, session, person, draft, expired_reply)
    if isinstance(who, Reply):
        return Result(who, None)
    pressed = parse(data)
    if pressed is None or pressed.flow is not Flow.REGISTER:
        return Result(Notice(r.text("stale_button")), draft)
    action = pressed.action
    step = draft.step
    if action == "v":
        if pressed.arg(0) != step:
            return Result(Notice(r.text("form_old_button")), draft)
        return await _answer(services, session, who, draft, step, pressed.arg(1), pressed=True)
    if action == "cancel":
        return stopped(services)
    if action in ("resume", "ask"):
        return await _show(services, session, who, draft)
    if action == "restart":
        return _fresh(services, who)
    if action == "back":
        return await _back(services, session, who, draft)
    if action == "edit" and pressed.arg(0) in _steps(draft):
        draft.step, draft.editing = pressed.arg(0), True
        return await _show(services, session, who, draft)
    if action == "ok":
        if step != SUMMARY:
            return Result(Notice(r.text("form_old_button")), draft)
        return await _confirm(services, session, who, draft)
    return Result(Notice(r.text("stale_button")), draft)


async def _back(
    services: Services, session: AsyncSession, who: Caller, draft: RegistrationDraft
) -> Result:
    steps = _steps(draft)
    step = draft.step
    if draft.editing:
        draft.step, draft.editing = SUMMARY, False
    elif step == SUMMARY:
        draft.step = steps[-1]
    elif steps.index(step) > 0:
        draft.step = steps[steps.index(step) - 1]
    return await _show(services, session, who, draft)


def _next(draft: RegistrationDraft) -> str:
    """The first unanswered step after an answer; the summary when all are there."""
    if draft.editing:
        missing = [s for s in _steps(draft) if s not in draft.values]
        return missing[0] if missing else SUMMARY
    steps = _steps(draft)
    position = steps.index(draft.step)
    return steps[position + 1] if position + 1 < len(steps) else SUMMARY


async def _answer(
    services: Services,
    session: AsyncSession,
    who: Caller,
    draft: RegistrationDraft,
    step: str,
    raw: str,
    pressed: bool = False,
) -> Result:
    values = draft.values
    try:
        value = forms.parse(services, step, raw, values, _today(services))
    except InputError as exc:
        return await _show(services, session, who, draft, str(exc))
    values[step] = value
    if step in forms.CHECK_STEPS:
        if step == "ggz" and value in ("poh", "ribw", "geen"):
            values.pop("werken", None)  # the check stops at the treatment
        out = _out_of_scope(services, draft)
        if out is not None:
            return Result(out, draft)
    draft.step = _next(draft)
    if draft.step == SUMMARY:
        draft.editing = False
    return await _show(services, session, who, draft)


def _out_of_scope(services: Services, draft: RegistrationDraft) -> Reply | None:
    """Run the kandidaat check on the answers so far: not a candidate → why, nothing stored."""
    check = services.kb.checks["kandidaat"]
    answers = {s: draft.values[s] for s in forms.CHECK_STEPS if s in draft.values}
    evaluation = evaluate(check, services.kb.facts, answers)
    outcome = evaluation.outcome
    if outcome is None or outcome.verdict == "ja":
        return None
    r = services.renderer
    text = r.render(
        "registration/out_of_scope.html.j2",
        title=outcome.title,
        explanation=outcome.explanation,
        sources=services.kb.refs_label(evaluation.refs),
    )
    return Reply(
        text,
        (
            (Button(r.text("form_other_answer"), build(Flow.REGISTER, "ask")),),
            (Button(r.text("form_stop"), build(Flow.REGISTER, "cancel")),),
        ),
    )


async def _confirm(
    services: Services, session: AsyncSession, who: Caller, draft: RegistrationDraft
) -> Result:
    values = draft.values
    missing = [s for s in _steps(draft) if s not in values]
    if missing:
        draft.step, draft.editing = missing[0], True
        return await _show(services, session, who, draft)
    out = _out_of_scope(services, draft)
    if out is not None:
        return Result(out, draft)
    assert who.user_id is not None  # caller(record=True) made the users row
    token = draft.token
    if token is not None:
        saved = await t.find_by_token(session, token)
        if saved is not None:  # confirmed before; the bot stopped before forgetting the draft
            text = services.renderer.render(
                "registration/saved.html.j2", reference=saved.reference, ips_long=False
            )
            return Result(Reply(text, toast=services.renderer.text("form_saved_toast")), None)
    if who.role in (Role.COACH, Role.REGIO) and who.region and values["region"] != who.region:
        values["region"] = who.region  # a role change since the start: the own region counts
    new = t.NewTrajectory(
        region=values["region"],
        pseudonym=values["pseudonym"],
        start_date=date.fromisoformat(values["start_date"]),
        method=values["method"],
        target_group=values["target_group"],
        initiator=values["initiator"],
        provider=values["provider"],
        benefit=values["benefit"],
        treatment=values["ggz"],
        token=token,
    )
    try:
        new = t.validate(new, services.region_codes(), _today(services))
    except InputError as exc:
        draft.step = SUMMARY
        return await _show(services, session, who, draft, str(exc))
    trajectory = await t.register(session, new, who.user_id, services.clock())
    text = services.renderer.render(
        "registration/saved.html.j2",
        reference=trajectory.reference,
        ips_long=forms.ips_too_long(values, _today(services)),
    )
    return Result(Reply(text, toast=services.renderer.text("form_saved_toast")), None)
