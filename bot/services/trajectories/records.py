"""Registering trajectories: validated values, a public reference, duplicates, audit events.

The chat flow (`/registreer`) and later edits build on these functions; they never take a
candidate's name or BSN, only the coach's pseudonym (checked by `inputs.check_pseudonym`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from bot.domain import TrajectoryStatus, values
from bot.services.shared.inputs import InputError, check_pseudonym, check_start_date
from bot.storage.db import take_turn
from bot.storage.models import Trajectory, TrajectoryEvent
from bot.storage.trajectories import TrajectoryRepo

# Allowed values per field (Dutch labels live in the templates of the flow).
METHODS = ("ips", "jobcoaching", "wabz", "reintegratie", "anders")
TARGET_GROUPS = ("epa", "cmd", "onbekend")
INITIATORS = ("uwv", "gemeente", "anders")
PROVIDERS = ("ggz", "gemeente", "wsp", "ribw", "reintegratiebureau", "zzp")
BENEFITS = ("geen", "ww", "wia", "wajong", "zw", "participatiewet", "ioaw_ioaz", "anders")
TREATMENTS = ("basis", "specialistisch")  # candidates only (the kandidaat check)
CONTRACTS = ("loondienst", "tijdelijk", "zelfstandig", "anders")
END_REASONS = ("werk_duurzaam", "gestopt_kandidaat", "behandeling", "verhuisd", "anders")
RUNNING, PLACED, ENDED = (
    TrajectoryStatus.RUNNING,
    TrajectoryStatus.PLACED,
    TrajectoryStatus.ENDED,
)
STATUSES = values(TrajectoryStatus)


@dataclass(frozen=True)
class NewTrajectory:
    region: str
    pseudonym: str
    start_date: date
    method: str
    target_group: str
    initiator: str
    provider: str
    benefit: str
    treatment: str
    # the /registreer draft's token (see Trajectory.draft_token); None from other callers
    token: str | None = None


def validate(new: NewTrajectory, regions: set[str], today: date) -> NewTrajectory:
    """The same values, checked and normalised; InputError (Dutch) for the first problem."""
    if new.region not in regions:
        raise InputError.say("record_unknown_region")
    for value, allowed in (
        (new.method, METHODS),
        (new.target_group, TARGET_GROUPS),
        (new.initiator, INITIATORS),
        (new.provider, PROVIDERS),
        (new.benefit, BENEFITS),
        (new.treatment, TREATMENTS),
    ):
        if value not in allowed:
            raise InputError.say("record_pick_button")
    return NewTrajectory(
        new.region,
        check_pseudonym(new.pseudonym),
        check_start_date(new.start_date, today),
        new.method,
        new.target_group,
        new.initiator,
        new.provider,
        new.benefit,
        new.treatment,
        new.token,
    )


async def find_by_token(session: AsyncSession, token: str) -> Trajectory | None:
    """The trajectory a /registreer draft already made, if it was confirmed before."""
    return await TrajectoryRepo(session).by_draft_token(token)


async def find_duplicate(
    session: AsyncSession, coach_id: int, pseudonym: str, start: date
) -> Trajectory | None:
    """A trajectory of the same coach with the same pseudonym and start date, if any."""
    return await TrajectoryRepo(session).duplicate(coach_id, pseudonym, start)


async def next_reference(session: AsyncSession, year: int) -> str:
    """HW-<year>-<5 digits>, numbered per start year."""
    prefix = f"HW-{year}-"
    last = await TrajectoryRepo(session).last_reference(prefix)
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:05d}"


REFERENCE_TURN = 0x4857_0000  # + the year: whoever numbers that year takes this turn


async def register(
    session: AsyncSession, new: NewTrajectory, coach_id: int, now: datetime
) -> Trajectory:
    """Store a validated trajectory with its reference and a 'registered' event; commits.

    Its own unit of work: call it with nothing else pending in the session. Two coaches who
    confirm at the same moment would read the same highest reference, so numbering a year
    is done in turns (`take_turn`, until the commit).
    """
    await take_turn(session, REFERENCE_TURN + new.start_date.year)
    trajectory = Trajectory(
        reference=await next_reference(session, new.start_date.year),
        region=new.region,
        coach_id=coach_id,
        pseudonym=new.pseudonym,
        method=new.method,
        target_group=new.target_group,
        initiator=new.initiator,
        provider=new.provider,
        benefit=new.benefit,
        treatment=new.treatment,
        start_date=new.start_date,
        status=RUNNING,
        created_at=now,
        updated_at=now,
        draft_token=new.token,
    )
    await TrajectoryRepo(session).add(
        trajectory,
        TrajectoryEvent(user_id=coach_id, field="status", old=None, new=RUNNING, at=now),
    )
    await session.commit()
    return trajectory


class Conflict(Exception):
    """The trajectory changed since the user saw it (optimistic locking): nothing was saved."""


async def change(
    session: AsyncSession,
    trajectory_id: int,
    seen_version: int,
    changes: dict[str, object],
    user_id: int | None,
    now: datetime,
    status: str | None = None,
) -> Trajectory:
    """Apply validated field changes (and a new status) with an audit event per field.

    Raises Conflict when someone else saved first: the version the user saw is not the stored
    one (or another writer commits between our read and our write: the version column makes
    that UPDATE match no row). Commits.
    """
    repo = TrajectoryRepo(session)
    trajectory = await repo.get(trajectory_id, fresh=True)
    if trajectory is None:
        raise Conflict("gone")
    if trajectory.version != seen_version:
        raise Conflict("changed")
    if status is not None and status != trajectory.status:
        changes = {**changes, "status": status}
    for name, new in changes.items():
        old = getattr(trajectory, name)
        if old == new:
            continue
        setattr(trajectory, name, new)
        repo.add_event(
            TrajectoryEvent(
                trajectory_id=trajectory.id,
                user_id=user_id,
                field=name,
                old=_text(old),
                new=_text(new),
                at=now,
            )
        )
    trajectory.updated_at = now
    try:
        await session.commit()
    except StaleDataError:
        await session.rollback()
        raise Conflict("changed") from None
    return trajectory


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)
