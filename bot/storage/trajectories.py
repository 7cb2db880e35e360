"""Trajectories and their events (the audit trail). The caller commits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import TrajectoryStatus
from bot.storage.models import Region, Trajectory, TrajectoryEvent, User


@dataclass(frozen=True)
class ListFilter:
    """What a list of trajectories narrows to: a status, "no update since", a search text
    (part of a reference or pseudonym)."""

    status: str | None = None
    updated_before: datetime | None = None
    text: str | None = None


class TrajectoryRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, trajectory_id: int, fresh: bool = False) -> Trajectory | None:
        """One trajectory; `fresh` reads it again even when the session has it already."""
        return await self.session.get(Trajectory, trajectory_id, populate_existing=fresh)

    async def by_draft_token(self, token: str) -> Trajectory | None:
        found: Trajectory | None = await self.session.scalar(
            select(Trajectory).where(Trajectory.draft_token == token)
        )
        return found

    async def duplicate(self, coach_id: int, pseudonym: str, start: date) -> Trajectory | None:
        """A trajectory of the same coach with the same pseudonym (any case) and start."""
        found: Trajectory | None = await self.session.scalar(
            select(Trajectory)
            .where(
                Trajectory.coach_id == coach_id,
                func.lower(Trajectory.pseudonym) == pseudonym.lower(),
                Trajectory.start_date == start,
            )
            .limit(1)
        )
        return found

    async def last_reference(self, prefix: str) -> str | None:
        """The highest reference that starts with `prefix` (HW-2026-)."""
        found: str | None = await self.session.scalar(
            select(func.max(Trajectory.reference)).where(Trajectory.reference.like(f"{prefix}%"))
        )
        return found

    async def add(self, trajectory: Trajectory, event: TrajectoryEvent) -> None:
        """The new trajectory and its first event (which gets the trajectory's id)."""
        self.session.add(trajectory)
        await self.session.flush()
        event.trajectory_id = trajectory.id
        self.session.add(event)

    def add_event(self, event: TrajectoryEvent) -> None:
        self.session.add(event)

    # -- lists ---------------------------------------------------------------------------

    @staticmethod
    def _scope(
        stmt: Select[Any],
        coach_id: int | None,
        region: str | None,
        only: ListFilter | None = None,
    ) -> Select[Any]:
        if coach_id is not None:
            stmt = stmt.where(Trajectory.coach_id == coach_id)
        if region is not None:
            stmt = stmt.where(Trajectory.region == region)
        if only is None:
            return stmt
        if only.status is not None:
            stmt = stmt.where(Trajectory.status == only.status)
        if only.updated_before is not None:
            stmt = stmt.where(
                Trajectory.status != TrajectoryStatus.ENDED,
                Trajectory.updated_at < only.updated_before,
            )
        if only.text:
            like = f"%{only.text.lower()}%"
            stmt = stmt.where(
                or_(
                    func.lower(Trajectory.reference).like(like),
                    func.lower(Trajectory.pseudonym).like(like),
                )
            )
        return stmt

    async def count(
        self,
        coach_id: int | None = None,
        region: str | None = None,
        only: ListFilter | None = None,
    ) -> int:
        """How many of one coach, of one region, or (both None) of all; `only` narrows it."""
        stmt = self._scope(select(func.count(Trajectory.id)), coach_id, region, only)
        return int(await self.session.scalar(stmt) or 0)

    async def by_reference(self, reference: str) -> Trajectory | None:
        found = await self.session.execute(
            select(Trajectory).where(func.upper(Trajectory.reference) == reference.upper())
        )
        return found.scalars().first()

    async def open_count(self, coach_id: int) -> tuple[int, int]:
        """(running, placed) trajectories of one coach that have not ended."""
        stmt = (
            select(Trajectory.status, func.count(Trajectory.id))
            .where(Trajectory.coach_id == coach_id, Trajectory.status != TrajectoryStatus.ENDED)
            .group_by(Trajectory.status)
        )
        counts = {str(s): int(n) for s, n in (await self.session.execute(stmt)).tuples()}
        return counts.get(TrajectoryStatus.RUNNING, 0), counts.get(TrajectoryStatus.PLACED, 0)

    async def not_updated_since(
        self, coach_id: int, before: datetime, limit: int
    ) -> tuple[int, list[Trajectory]]:
        """One coach's trajectories that have not ended and were last changed before
        `before`: how many, and the `limit` longest untouched."""
        where = (
            Trajectory.coach_id == coach_id,
            Trajectory.status != TrajectoryStatus.ENDED,
            Trajectory.updated_at < before,
        )
        total = int(
            await self.session.scalar(select(func.count(Trajectory.id)).where(*where)) or 0
        )
        rows = await self.session.execute(
            select(Trajectory)
            .where(*where)
            .order_by(Trajectory.updated_at, Trajectory.id)
            .limit(limit)
        )
        return total, list(rows.scalars())

    async def page(
        self,
        offset: int,
        limit: int,
        coach_id: int | None = None,
        region: str | None = None,
        only: ListFilter | None = None,
    ) -> list[Trajectory]:
        """Running and placed first, then the most recently changed."""
        order = (
            Trajectory.status == TrajectoryStatus.ENDED,
            Trajectory.updated_at.desc(),
            Trajectory.id.desc(),
        )
        stmt = self._scope(select(Trajectory), coach_id, region, only)
        rows = await self.session.execute(stmt.order_by(*order).offset(offset).limit(limit))
        return list(rows.scalars())

    async def history(
        self, trajectory_id: int, limit: int
    ) -> list[tuple[TrajectoryEvent, str | None]]:
        """The latest events, newest first, with the first name of who made them."""
        rows = await self.session.execute(
            select(TrajectoryEvent, User.first_name)
            .outerjoin(User, User.id == TrajectoryEvent.user_id)
            .where(TrajectoryEvent.trajectory_id == trajectory_id)
            .order_by(TrajectoryEvent.id.desc())
            .limit(limit)
        )
        return [(event, name) for event, name in rows.tuples()]

    # -- exports ---------------------------------------------------------------------------

    async def export_rows(
        self,
        columns: Sequence[str],
        region: str | None,
        year: int | None,
        batch: int,
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """The selected trajectories' `columns` (`region_name` from the regions table), in
        batches, ordered by start date."""
        t = Trajectory
        cols = [
            getattr(t, key) if key != "region_name" else Region.name.label("region_name")
            for key in columns
        ]
        stmt = select(*cols).join(Region, Region.code == t.region)
        if region is not None:
            stmt = stmt.where(t.region == region)
        if year is not None:
            stmt = stmt.where(
                t.start_date >= date(year, 1, 1), t.start_date < date(year + 1, 1, 1)
            )
        result = await self.session.stream(
            stmt.order_by(t.start_date, t.id).execution_options(yield_per=batch)
        )
        async for part in result.partitions():
            yield [tuple(row) for row in part]
