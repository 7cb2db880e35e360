"""The demo data's queries: counting, bulk inserts (executemany, without the ORM's per-row
work) and removing exactly the rows marked `demo`. The caller commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import RegionYear, Trajectory, TrajectoryEvent, User, table_of


class DemoRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _count(self, stmt: Any) -> int:
        return int(await self.session.scalar(stmt) or 0)

    async def present(self) -> tuple[int, int, int, int]:
        """(users, region years, trajectories, events) marked demo."""
        demo_ids = select(Trajectory.id).where(Trajectory.demo.is_(True))
        return (
            await self._count(select(func.count(User.id)).where(User.demo.is_(True))),
            await self._count(select(func.count(RegionYear.id)).where(RegionYear.demo.is_(True))),
            await self._count(select(func.count()).select_from(demo_ids.subquery())),
            await self._count(
                select(func.count(TrajectoryEvent.id)).where(
                    TrajectoryEvent.trajectory_id.in_(demo_ids)
                )
            ),
        )

    async def clear(self) -> None:
        """Delete every demo row: trajectories with their events, users, region years."""
        demo_ids = select(Trajectory.id).where(Trajectory.demo.is_(True))
        no_sync = {"synchronize_session": False}
        s = self.session
        await s.execute(
            delete(TrajectoryEvent).where(TrajectoryEvent.trajectory_id.in_(demo_ids)),
            execution_options=no_sync,
        )
        await s.execute(
            delete(Trajectory).where(Trajectory.demo.is_(True)), execution_options=no_sync
        )
        await s.execute(delete(User).where(User.demo.is_(True)), execution_options=no_sync)
        await s.execute(
            delete(RegionYear).where(RegionYear.demo.is_(True)), execution_options=no_sync
        )

    async def telegram_ids_taken(self, ids: Sequence[int]) -> int:
        return await self._count(select(func.count(User.id)).where(User.telegram_id.in_(ids)))

    async def add_users(self, rows: list[dict[str, Any]]) -> dict[int, int]:
        """Insert; Telegram id → users.id of every demo user."""
        await self.session.execute(table_of(User).insert(), rows)
        found = await self.session.execute(
            select(User.telegram_id, User.id).where(User.demo.is_(True))
        )
        return dict(found.tuples().all())

    async def region_years(self, years: Iterable[int]) -> list[RegionYear]:
        found = await self.session.execute(
            select(RegionYear).where(RegionYear.year.in_(list(years)))
        )
        return list(found.scalars())

    async def add_region_years(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(table_of(RegionYear).insert(), rows)

    async def last_reference(self, year: int) -> str | None:
        found: str | None = await self.session.scalar(
            select(func.max(Trajectory.reference)).where(Trajectory.reference.like(f"HW-{year}-%"))
        )
        return found

    async def add_trajectories(self, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Plain executemany (RETURNING is slow for thousands of rows); reference → id of
        every demo trajectory."""
        if rows:
            await self.session.execute(table_of(Trajectory).insert(), rows)
        found = await self.session.execute(
            select(Trajectory.reference, Trajectory.id).where(Trajectory.demo.is_(True))
        )
        return dict(found.tuples().all())

    async def add_events(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(table_of(TrajectoryEvent).insert(), rows)
