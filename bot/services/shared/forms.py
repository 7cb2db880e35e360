"""One question at a time: the steps of the trajectory forms, their buttons and their checks.

Used by `/registreer` (registration.py) and by the follow-up forms of `/mijntrajecten`
(placement, ending, changing a field). Their drafts (drafts.py) keep the answers as strings
(dates ISO); `typed()` turns them into the model's types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Flow, build
from bot.domain import Role
from bot.services import Services
from bot.services.people.accounts import Caller, caller
from bot.services.shared.dates import show_day
from bot.services.shared.drafts import Draft
from bot.services.shared.inputs import (
    InputError,
    check_pseudonym,
    check_start_date,
    parse_dutch_date,
)
from bot.services.shared.replies import Button, Person, Reply
from bot.services.trajectories import records as t
from bot.services.trajectories.fields import fields

HOURS_MIN, HOURS_MAX = 1, 60
DATE_STEPS = ("start_date", "placement_date", "end_date")
QUICK_DATES = {"vandaag": "form_quick_today", "gisteren": "form_quick_yesterday"}  # texts.yaml
QUICK_HOURS = ("8", "16", "24", "32", "36")
# the kandidaat check's facts, asked while registering (treatment = the ggz answer)
CHECK_STEPS = ("ggz", "werken")

CHOICES: Mapping[str, tuple[str, ...]] = {
    "method": t.METHODS,
    "target_group": t.TARGET_GROUPS,
    "initiator": t.INITIATORS,
    "provider": t.PROVIDERS,
    "benefit": t.BENEFITS,
    "treatment": t.TREATMENTS,
    "contract": t.CONTRACTS,
    "end_reason": t.END_REASONS,
}


@dataclass(frozen=True)
class Question:
    step: str
    text: str  # plain text (escaped by the template)
    options: tuple[tuple[str, str], ...]  # (value, label) buttons; may be empty (typed input)
    columns: int = 1


def label_of(services: Services, step: str) -> str:
    if step in CHECK_STEPS:
        if step == "ggz":
            return services.renderer.text("form_label_treatment")
        return services.kb.facts.facts[step].short
    return fields()[step].label


def value_label(services: Services, step: str, value: str | None) -> str:
    """What a stored value looks like to a person: '12-3-2026', 'IPS', 'AM18 Groot Amsterdam'."""
    if value is None or value == "":
        return "–"
    if step == "region":
        return f"{value} {services.region_name(value) or ''}".strip()
    if step in CHECK_STEPS:
        return services.kb.facts.facts[step].options.get(value, value)
    if step in DATE_STEPS:
        return show_day(date.fromisoformat(value))
    return fields()[step].value_label(value)


def question(services: Services, step: str) -> Question:
    if step == "region":
        regions = tuple((r.code, f"{r.code} {r.name}"[:40]) for r in services.kb.regions.regions)
        return Question(step, fields()["region"].question, regions, columns=2)
    if step in CHECK_STEPS:
        fact = services.kb.facts.facts[step]
        return Question(step, fact.question, tuple(fact.options.items()))
    spec = fields()[step]
    if step in CHOICES:
        options = tuple((v, spec.values[v]) for v in CHOICES[step])
        return Question(step, spec.question, options, columns=2 if len(options) > 4 else 1)
    if step in DATE_STEPS:
        quick = QUICK_DATES if step == "start_date" else {"vandaag": QUICK_DATES["vandaag"]}
        options = tuple((value, services.renderer.text(key)) for value, key in quick.items())
        return Question(step, spec.question, options, columns=2)
    if step == "hours_per_week":
        return Question(step, spec.question, tuple((h, h) for h in QUICK_HOURS), columns=5)
    return Question(step, spec.question, ())


def option_rows(flow: Flow, q: Question) -> list[tuple[Button, ...]]:
    """The answer buttons: `<flow>:v:<step>:<value>`, `columns` per row."""
    buttons = [Button(text, build(flow, "v", q.step, value)) for value, text in q.options]
    return [tuple(buttons[i : i + q.columns]) for i in range(0, len(buttons), q.columns)]


def _choice(services: Services, step: str, raw: str) -> str:
    """A typed answer to a question with buttons: accept the code or the label, any case."""
    wanted = " ".join(raw.lower().split())
    for value, text in question(services, step).options:
        if wanted in (value.lower(), text.lower()):
            return value
        if step == "region" and text.lower().split(" ", 1)[-1] == wanted:  # the name alone
            return value
    raise InputError.say("form_pick_button")


def parse(services: Services, step: str, raw: str, values: Mapping[str, Any], today: date) -> str:
    """The value to store for an answer (typed or pressed), or InputError in Dutch.

    `values` are the trajectory's other values (a draft or the stored trajectory, as
    strings), for the checks between fields: placement and end not before the start, and so on.
    """
    if step == "pseudonym":
        return check_pseudonym(raw)
    if step in DATE_STEPS:
        day = parse_dutch_date(raw, today)
        return _check_date(step, day, values, today).isoformat()
    if step == "hours_per_week":
        text = raw.strip().replace("uur", "").strip()
        # isdecimal, not isdigit: '²' is a digit that int() refuses
        if not text.isdecimal():
            raise InputError.say("form_hours_number")
        hours = int(text) if len(text) <= 9 else HOURS_MAX + 1  # int() refuses 4,300+ digits
        if not HOURS_MIN <= hours <= HOURS_MAX:
            raise InputError.say("form_hours_range", low=HOURS_MIN, high=HOURS_MAX)
        return str(hours)
    return _choice(services, step, raw)


def _day(values: Mapping[str, Any], name: str) -> date | None:
    value = values.get(name)
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _check_date(step: str, day: date, values: Mapping[str, Any], today: date) -> date:
    start, placed, ended = (_day(values, n) for n in DATE_STEPS)
    if step == "start_date":
        check_start_date(day, today)
        if placed and day > placed:
            raise InputError.say("form_start_after_placement")
        if ended and day > ended:
            raise InputError.say("form_start_after_end")
        return day
    if day > today:
        raise InputError.say("form_date_in_future")
    if start and day < start:
        raise InputError.say("form_date_before_start", start=show_day(start))
    if step == "placement_date" and ended and day > ended:
        raise InputError.say("form_placement_after_end")
    if step == "end_date" and placed and day < placed:
        raise InputError.say("form_end_before_placement")
    return day


def ips_too_long(values: Mapping[str, Any], today: date) -> bool:
    """An IPS trajectory lasts at most 3 years (FAQ 9.12): warn, don't refuse."""
    start = _day(values, "start_date")
    if values.get("method") != "ips" or start is None:
        return False
    try:
        limit = start.replace(year=start.year + 3)
    except ValueError:  # 29 February
        limit = start.replace(year=start.year + 3, day=28)
    return (_day(values, "end_date") or today) > limit


def typed(step: str, value: str | None) -> object:
    """A stored string as the model's type (dates, hours)."""
    if value is None or value == "":
        return None
    if step in DATE_STEPS:
        return date.fromisoformat(value)
    if step == "hours_per_week":
        return int(value)
    return value


def as_text(step: str, value: object) -> str | None:
    """A model value as the string a draft keeps (and the audit trail records)."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


STAFF = (Role.COACH, Role.REGIO, Role.PROGRAMME)


async def staff(services: Services, session: AsyncSession, person: Person) -> Caller | None:
    """The caller if they may use the trajectory forms (checked on every step), else None."""
    who = await caller(services, session, person, record=True)
    return who if who.can(*STAFF) else None


def not_staff(services: Services) -> Reply:
    return Reply(services.renderer.render("registration/not_allowed.html.j2"))


async def resume(
    services: Services,
    session: AsyncSession,
    person: Person,
    draft: Draft,
    expired: Callable[[Services], Reply],
) -> Caller | Reply:
    """Going on with an open form: the caller, or the reply that ends the form (no longer
    staff, or idle for more than 30 minutes). Marks the draft as touched now."""
    who = await staff(services, session, person)
    if who is None:
        return not_staff(services)
    now = services.clock()
    if draft.idle(now):
        return expired(services)
    draft.touch(now)
    return who
