"""Demo data, so a new user sees real-looking figures and charts at once.

Everything made here has `demo=True`: demo users (negative Telegram ids, which Telegram never
gives a real user, names like "Demo coach 3"), region years the programme team had not set
yet, and a few thousand trajectories with pseudonyms DEMO-0001 … and their events. `clear`
removes exactly those rows; real rows (demo=False) are never changed.

The numbers follow the programme's plan where the sources give one (FAQ 2.2, 2.4, 2.6, 0.2,
0.5): in 2021 10 regions in the Champions League, 10 in the Eredivisie and 15 in the Keuken
Kampioen divisie; in 2022 the Eredivisie moves up to the Champions League and the Keuken
Kampioen divisie to the Eredivisie. The sources say no more about later years; so that the
divisions show in the figures, the digest and the audiences, the demo spreads the regions over
all three every later year too (20 Champions League, 10 Eredivisie, 5 Keuken Kampioen
divisie, drawn again each year). Targets: Champions League 100 a year (the national
ambition), Eredivisie 25 (the sources give 25 for 2021 only; the demo keeps it), Keuken
Kampioen divisie none. Which region plays where is not in the sources: the demo draws it.
Everything else (volumes, methods, outcomes) is made up, seeded, and the same for the same
`--seed` and day.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import TIMEZONE
from bot.domain import Role
from bot.services.trajectories.records import ENDED, PLACED, RUNNING
from bot.storage.demo import DemoRepo
from knowledge.kb import KnowledgeBase

DEFAULT_SEED = 2021
FIRST_YEAR = 2021
DEMO_ID_BASE = -1_000_000  # demo users are -1_000_001, -1_000_002, …
COACHES_PER_REGION = 3
REGIO_PER_REGION = 1
CL, ERE, KKD = "champions-league", "eredivisie", "keuken-kampioen-divisie"
TARGETS = {CL: 100, ERE: 25, KKD: None}
LATER_SPREAD = (20, 10)  # Champions League, Eredivisie after 2022; the rest Keuken Kampioen
KKD_VOLUME = 10  # a region that is preparing still starts a few trajectories
IPS_MAX_DAYS = 3 * 365  # an IPS trajectory lasts at most 3 years (FAQ 9.12)
OTHER_MAX_DAYS = 2 * 365
MAX_REFERENCE = 99_999

T = TypeVar("T")


class DemoError(Exception):
    """Demo data cannot be added (or removed); the message says why."""


@dataclass(frozen=True)
class DemoCounts:
    users: int = 0
    region_years: int = 0
    trajectories: int = 0
    events: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def empty(self) -> bool:
        return not any(self.as_dict().values())


async def present(session: AsyncSession) -> DemoCounts:
    """How many demo rows the database holds."""
    return DemoCounts(*await DemoRepo(session).present())


async def clear(session: AsyncSession) -> DemoCounts:
    """Delete every demo row (trajectories with their events, users, region years); commits."""
    removed = await present(session)
    await DemoRepo(session).clear()
    await session.commit()
    return removed


# -- the plan: divisions and targets -------------------------------------------------------------


def plan_divisions(
    codes: Sequence[str], years: range, rng: random.Random
) -> dict[int, dict[str, str]]:
    """Division per region per year, following the programme's plan (see the module text)."""
    order = list(codes)
    rng.shuffle(order)
    start = {code: CL for code in order[:10]} | {code: ERE for code in order[10:20]}
    start |= {code: KKD for code in order[20:]}
    moved_up = {CL: CL, ERE: CL, KKD: ERE}
    out: dict[int, dict[str, str]] = {}
    for year in years:
        if year <= FIRST_YEAR:
            out[year] = dict(start)
        elif year == FIRST_YEAR + 1:
            out[year] = {code: moved_up[division] for code, division in start.items()}
        else:
            later = list(codes)
            rng.shuffle(later)
            out[year] = (
                dict.fromkeys(later[: LATER_SPREAD[0]], CL)
                | dict.fromkeys(later[LATER_SPREAD[0] : sum(LATER_SPREAD[:2])], ERE)
                | dict.fromkeys(later[sum(LATER_SPREAD[:2]) :], KKD)
            )
    return out


def plan_target(division: str | None, year: int) -> int | None:
    return TARGETS.get(division or "")


# -- seeding -------------------------------------------------------------------------------------


def _pick(rng: random.Random, weights: Mapping[T, float]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


METHOD = {"ips": 70, "jobcoaching": 12, "reintegratie": 8, "wabz": 5, "anders": 5}
TARGET_GROUP = {
    True: {"epa": 65, "cmd": 30, "onbekend": 5},  # IPS
    False: {"cmd": 50, "epa": 35, "onbekend": 15},
}
INITIATOR = {"gemeente": 50, "uwv": 35, "anders": 15}
PROVIDER = {
    True: {"ggz": 80, "ribw": 12, "reintegratiebureau": 4, "zzp": 4},
    False: {"reintegratiebureau": 35, "gemeente": 20, "wsp": 15, "zzp": 15, "ggz": 10, "ribw": 5},
}
BENEFIT = {
    "participatiewet": 35,
    "geen": 15,
    "wia": 15,
    "ww": 10,
    "wajong": 10,
    "zw": 8,
    "ioaw_ioaz": 2,
    "anders": 5,
}
TREATMENT = {
    "epa": {"specialistisch": 85, "basis": 15},
    "cmd": {"basis": 70, "specialistisch": 30},
}
CONTRACT = {"tijdelijk": 50, "loondienst": 35, "zelfstandig": 5, "anders": 10}
END_WITHOUT_WORK = {"gestopt_kandidaat": 45, "behandeling": 30, "verhuisd": 10, "anders": 15}
END_AFTER_WORK = {"werk_duurzaam": 85, "gestopt_kandidaat": 10, "anders": 5}
P_PLACEMENT = 0.37
P_END_AFTER_WORK = 0.7
P_END_WITHOUT_WORK = 0.55
# Share of the yearly volume a region reaches, per year (the programme grew).
GROWTH = {2021: 0.5, 2022: 0.7, 2023: 0.85}


@dataclass
class _Made:
    row: dict[str, Any]
    events: list[tuple[str | None, str, datetime]]  # (old, new, at) of the status


def _moment(rng: random.Random, day: date, not_before: datetime, now: datetime) -> datetime:
    """A working-hours moment on `day` (or just after), never before `not_before` or after now."""
    at = datetime.combine(day, time(9), TIMEZONE) + timedelta(
        days=rng.choice((0, 0, 0, 1, 2, 5)), minutes=rng.randint(0, 8 * 60)
    )
    return min(max(at, not_before), now)


def _trajectory(rng: random.Random, region: str, coach: int, start: date, now: datetime) -> _Made:
    today = now.date()
    method = _pick(rng, METHOD)
    ips = method == "ips"
    group = _pick(rng, TARGET_GROUP[ips])
    max_days = IPS_MAX_DAYS if ips else OTHER_MAX_DAYS
    placement = end = None
    reason = None
    if rng.random() < P_PLACEMENT:
        day = start + timedelta(days=14 + int(rng.gammavariate(2.0, 60)))
        if day <= today and (day - start).days < max_days:
            placement = day
    if placement is not None and rng.random() < P_END_AFTER_WORK:
        end, reason = placement + timedelta(days=rng.randint(90, 540)), _pick(rng, END_AFTER_WORK)
    elif placement is None and rng.random() < P_END_WITHOUT_WORK:
        end = start + timedelta(days=30 + int(rng.gammavariate(2.0, 110)))
        reason = _pick(rng, END_WITHOUT_WORK)
    if end is not None and (end > today or (end - start).days > max_days):
        end = reason = None
    if end is None and (today - start).days > max_days:  # nobody stays longer than allowed
        end = start + timedelta(days=max_days - rng.randint(0, 60))
        end = max(end, placement or start)
        reason = _pick(rng, END_AFTER_WORK if placement is not None else END_WITHOUT_WORK)
    created = _moment(rng, start, datetime.combine(start, time(8), TIMEZONE), now)
    events: list[tuple[str | None, str, datetime]] = [(None, RUNNING, created)]
    last = created
    if placement is not None:
        last = _moment(rng, placement, last, now)
        events.append((RUNNING, PLACED, last))
    if end is not None:
        last = _moment(rng, end, last, now)
        events.append((events[-1][1], ENDED, last))
    row = {
        "region": region,
        "coach_id": coach,
        "method": method,
        "target_group": group,
        "initiator": _pick(rng, INITIATOR),
        "provider": _pick(rng, PROVIDER[ips]),
        "benefit": _pick(rng, BENEFIT),
        "treatment": _pick(rng, TREATMENT.get(group, TREATMENT["cmd"])),
        "start_date": start,
        "placement_date": placement,
        "hours_per_week": round(rng.triangular(8, 36, 20)) if placement else None,
        "contract": _pick(rng, CONTRACT) if placement else None,
        "end_date": end,
        "end_reason": reason,
        "status": events[-1][1],
        "version": 1,
        "created_at": created,
        "updated_at": last,
        "demo": True,
    }
    return _Made(row, events)


def _start_dates(rng: random.Random, volume: float, year: int, today: date) -> list[date]:
    """About `volume` start dates spread over the year (2021: its second half), up to today."""
    first = date(year, 7, 1) if year == FIRST_YEAR else date(year, 1, 1)
    last = min(date(year, 12, 31), today)
    if last < first:
        return []
    days = (last - first).days + 1
    share = days / ((date(year, 12, 31) - first).days + 1)
    n = max(0, round(rng.gauss(volume * share, (volume * share) ** 0.5)))
    return sorted(first + timedelta(days=rng.randrange(days)) for _ in range(n))


async def seed(
    session: AsyncSession,
    kb: KnowledgeBase,
    now: datetime,
    seed_value: int = DEFAULT_SEED,
    scale: float = 1.0,
) -> DemoCounts:
    """Add the demo data (regions must be in the database); commits. DemoError if any is there."""
    existing = await present(session)
    if not existing.empty:
        raise DemoError(
            f"demo data is already there ({existing.trajectories} trajectories, "
            f"{existing.users} users): run `hoofdzaak demo clear` first"
        )
    rng = random.Random(seed_value)  # noqa: S311 - made-up data, not secrets
    codes = [r.code for r in kb.regions.regions]
    years = range(FIRST_YEAR, now.year + 1)
    users, coaches = await _add_users(session, codes, now)
    region_years, targets = await _add_region_years(session, codes, years, rng)
    trajectories, events = await _add_trajectories(
        session, rng, coaches, targets, years, now, scale
    )
    await session.commit()
    return DemoCounts(users, region_years, trajectories, events)


async def _add_users(
    session: AsyncSession, codes: Sequence[str], now: datetime
) -> tuple[int, dict[str, list[int]]]:
    """A regio account and a few coaches per region; their number and the coaches' row ids."""
    names: list[tuple[str, str, str]] = []  # (name, role, region): Demo coach 3, coach, AM18
    numbers: Counter[str] = Counter()
    for code in codes:
        for role in [Role.REGIO] * REGIO_PER_REGION + [Role.COACH] * COACHES_PER_REGION:
            numbers[role] += 1
            names.append((f"Demo {role} {numbers[role]}", role, code))
    ids = [DEMO_ID_BASE - i for i in range(1, len(names) + 1)]
    repo = DemoRepo(session)
    if await repo.telegram_ids_taken(ids):
        raise DemoError("the demo users' Telegram ids are taken: is this a demo database?")
    rows = [
        {
            "telegram_id": telegram_id,
            "first_name": name,
            "first_seen": now,
            "last_seen": now,
            "role": role,
            "region": code,
            "active": True,
            "demo": True,
        }
        for telegram_id, (name, role, code) in zip(ids, names, strict=True)
    ]
    row_ids = await repo.add_users(rows)
    coaches: dict[str, list[int]] = defaultdict(list)
    for telegram_id, (_, given, code) in zip(ids, names, strict=True):
        if given == Role.COACH:
            coaches[code].append(row_ids[telegram_id])
    return len(rows), coaches


async def _add_region_years(
    session: AsyncSession, codes: Sequence[str], years: range, rng: random.Random
) -> tuple[int, dict[tuple[str, int], int | None]]:
    """Division and target where the programme team has set nothing for that region and year.

    Returns how many rows were added and the target that counts per (region, year): the
    team's where it set one, else the demo plan's.
    """
    repo = DemoRepo(session)
    real = {(row.region_code, row.year): row for row in await repo.region_years(years)}
    divisions = plan_divisions(codes, years, rng)
    rows = []
    targets: dict[tuple[str, int], int | None] = {}
    for year in years:
        for code in codes:
            existing = real.get((code, year))
            if existing is not None:
                targets[(code, year)] = existing.target
                continue
            division = divisions[year][code]
            target = plan_target(division, year)
            targets[(code, year)] = target
            rows.append(
                {
                    "region_code": code,
                    "year": year,
                    "division": division,
                    "target": target,
                    "demo": True,
                }
            )
    await repo.add_region_years(rows)
    return len(rows), targets


async def _add_trajectories(
    session: AsyncSession,
    rng: random.Random,
    coaches: dict[str, list[int]],
    targets: dict[tuple[str, int], int | None],
    years: range,
    now: datetime,
    scale: float,
) -> tuple[int, int]:
    """Trajectories and their status events; how many of each."""
    # a volume per region and year from its target and a drawn "strength" of the region
    strength = {code: rng.triangular(0.1, 0.75, 0.25) for code in coaches}
    made: list[_Made] = []
    for year in years:
        for code in coaches:
            base = targets[(code, year)] or KKD_VOLUME
            volume = base * strength[code] * GROWTH.get(year, 1.0) * scale
            for start in _start_dates(rng, volume, year, now.date()):
                made.append(_trajectory(rng, code, rng.choice(coaches[code]), start, now))
    made.sort(key=lambda m: (m.row["start_date"], m.row["created_at"]))

    # references after the highest one already used in each year; pseudonyms DEMO-0001 …
    repo = DemoRepo(session)
    next_number: dict[int, int] = {}
    for year in years:
        last = await repo.last_reference(year)
        next_number[year] = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    for i, m in enumerate(made, start=1):
        year = m.row["start_date"].year
        number = next_number[year]
        if number > MAX_REFERENCE:
            raise DemoError(f"too many trajectories for {year}: lower --scale")
        next_number[year] = number + 1
        m.row["reference"] = f"HW-{year}-{number:05d}"
        m.row["pseudonym"] = f"DEMO-{i:04d}"

    # the new ids by their unique references
    ids = await repo.add_trajectories([m.row for m in made])
    events = [
        {
            "trajectory_id": ids[m.row["reference"]],
            "user_id": m.row["coach_id"],
            "field": "status",
            "old": old,
            "new": new,
            "at": at,
        }
        for m in made
        for old, new, at in m.events
    ]
    await repo.add_events(events)
    return len(made), len(events)
