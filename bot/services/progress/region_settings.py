"""/regios: the programme team sets division and annual target per region per year by chat.

Stateless buttons (`rs:`): every press carries all it needs and checks again that the presser
is programme team.

  rs:home                                 choose a year
  rs:y:<year>                             the 35 regions with division and target
  rs:r:<year>:<code>                      one region: division buttons and a target stepper
  rs:t:<year>:<code>:<value>              the stepper moved to <value> (not saved yet)
  rs:s:<year>:<code>:<value>              save <value> as the target
  rs:d:<year>:<code>:<division>:<value>   save the division (the stepper keeps <value>)
  rs:noop                                 the stepper's middle button (shows the value)
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Flow, build, parse
from bot.domain import Role
from bot.services import Services
from bot.services.people.accounts import caller
from bot.services.progress.regions import (
    TARGET_MAX,
    YEAR_MAX,
    YEAR_MIN,
    RegionInputError,
    RegionSetting,
    list_regions,
    set_regions,
)
from bot.services.shared.replies import Button, Notice, Person, Reply
from bot.storage.regions import RegionRepo

STEPS = (-10, -1, 1, 10)
PRESETS = (25, 100)  # Eredivisie 2021; Champions League and the national ambition (FAQ 0.2, 0.5)
DEFAULT_TARGET = 100  # where the stepper starts for a region without a target


async def _allowed(services: Services, session: AsyncSession, person: Person) -> bool:
    return (await caller(services, session, person)).role == Role.PROGRAMME


async def regions_menu(services: Services, session: AsyncSession, person: Person) -> Reply:
    """/regios: this year or next year."""
    r = services.renderer
    if not await _allowed(services, session, person):
        return Reply(r.text("not_admin"))
    return _years(services)


def _years(services: Services) -> Reply:
    r = services.renderer
    year = services.clock().year
    buttons = [
        Button(r.text("rs_this_year", year=year), build(Flow.REGIONS, "y", year)),
        Button(r.text("rs_next_year", year=year + 1), build(Flow.REGIONS, "y", year + 1)),
    ]
    return Reply(r.render("region_settings/years.html.j2"), (tuple(buttons),))


async def region_press(
    services: Services, session: AsyncSession, person: Person, data: str
) -> Reply | Notice:
    """A button of /regios (see the module text); stale or forged data gets a polite notice."""
    r = services.renderer
    if not await _allowed(services, session, person):
        return Notice(r.text("not_admin"), alert=True)
    pressed = parse(data)
    if pressed is None or pressed.flow is not Flow.REGIONS:
        return Notice(r.text("stale_button"))
    action, args = pressed.action, list(pressed.args)
    try:
        if action == "home" and not args:
            return _years(services)
        if action == "noop":
            return Notice(r.text("rs_press_save"))
        year = int(args[0])
        if not YEAR_MIN <= year <= YEAR_MAX:
            raise RegionInputError(f"year {year}")
        if action == "y" and len(args) == 1:
            return await _list(services, session, year)
        code = args[1]
        if code not in services.region_codes():
            raise RegionInputError(f"region {code}")
        if action == "r" and len(args) == 2:
            return await _region(services, session, year, code, None)
        if action == "t" and len(args) == 3:
            return await _region(services, session, year, code, _clamp(int(args[2])))
        if action == "s" and len(args) == 3:
            value = _clamp(int(args[2]))
            await set_regions(session, services.kb, [RegionSetting(code, year, None, value)])
            toast = r.text("rs_saved_target", value=value)
            return await _region(services, session, year, code, value, toast)
        if action == "d" and len(args) == 4:
            division, value = args[2], _clamp(int(args[3]))
            await set_regions(session, services.kb, [RegionSetting(code, year, division, None)])
            toast = r.text("rs_saved_division", division=_division_name(services, division))
            return await _region(services, session, year, code, value, toast)
    except (ValueError, IndexError, RegionInputError):
        pass
    return Notice(r.text("stale_button"))


def _clamp(value: int) -> int:
    return max(0, min(TARGET_MAX, value))


def _division_name(services: Services, division: str | None) -> str | None:
    return next((d.name for d in services.kb.regions.divisions if d.id == division), division)


async def _list(services: Services, session: AsyncSession, year: int) -> Reply:
    rows = await list_regions(session, year)
    text = services.renderer.render(
        "region_settings/list.html.j2",
        year=year,
        rows=[(row, _division_name(services, row.division)) for row in rows],
    )
    buttons = [
        Button(f"{row.code} {row.name}"[:40], build(Flow.REGIONS, "r", year, row.code))
        for row in rows
    ]
    keyboard = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    keyboard.append(
        (Button(services.renderer.text("rs_back_years"), build(Flow.REGIONS, "home")),)
    )
    return Reply(text, tuple(keyboard))


async def _region(
    services: Services,
    session: AsyncSession,
    year: int,
    code: str,
    pending: int | None,
    toast: str | None = None,
) -> Reply:
    r = services.renderer
    row = await RegionRepo(session).year(code, year)
    division = row.division if row else None
    target = row.target if row else None
    value = pending if pending is not None else (target if target is not None else DEFAULT_TARGET)
    text = r.render(
        "region_settings/region.html.j2",
        region=services.region_name(code),
        code=code,
        year=year,
        division=_division_name(services, division),
        target=target,
        pending=value if value != target else None,
    )
    divisions = [
        (
            Button(
                r.text("rs_chosen", name=d.name) if d.id == division else d.name,
                build(Flow.REGIONS, "d", year, code, d.id, value),
            ),
        )
        for d in services.kb.regions.divisions
    ]
    minus = [
        Button(f"−{-s}", build(Flow.REGIONS, "t", year, code, _clamp(value + s)))
        for s in STEPS
        if s < 0
    ]
    plus = [
        Button(f"+{s}", build(Flow.REGIONS, "t", year, code, _clamp(value + s)))
        for s in STEPS
        if s > 0
    ]
    current = Button(r.text("rs_current", value=value), build(Flow.REGIONS, "noop"))
    stepper = (*minus, current, *plus)
    presets = tuple(
        Button(r.text("rs_preset", value=p), build(Flow.REGIONS, "t", year, code, p))
        for p in PRESETS
    )
    save = (Button(r.text("rs_save", value=value), build(Flow.REGIONS, "s", year, code, value)),)
    back = (Button(r.text("rs_back_list"), build(Flow.REGIONS, "y", year)),)
    return Reply(text, (*divisions, stepper, presets, save, back), toast=toast)
