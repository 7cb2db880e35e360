"""Aggregate queries for the progress figures (/regio, /landelijk, `hoofdzaak stats`).

Every figure is counted by the database (COUNT, SUM(CASE …), GROUP BY): no trajectory row is
ever loaded into Python, so the cost does not grow with what Python has to hold. The
definitions are in docs/stats.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Region, RegionYear, Trajectory

LASTING_WORK = "werk_duurzaam"  # end_reason: the trajectory ended in lasting paid work


@dataclass(frozen=True)
class Counts:
    """What happened in one region (or a sum of regions) in one year."""

    started: int = 0  # start_date in the year
    running: int = 0  # started on or before the reference date, not ended on it
    placed: int = 0  # placement_date (first paid work) in the year
    ended: int = 0  # end_date in the year
    started_placed: int = 0  # started in the year and have a placement_date
    ended_lasting: int = 0  # ended in the year with end_reason werk_duurzaam

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.started + other.started,
            self.running + other.running,
            self.placed + other.placed,
            self.ended + other.ended,
            self.started_placed + other.started_placed,
            self.ended_lasting + other.ended_lasting,
        )


@dataclass(frozen=True)
class RegionYearRow:
    """A region with its division and target in one year (None: not set)."""

    code: str
    name: str
    division: str | None
    target: int | None


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _count_columns(year: int, ref: date) -> list[ColumnElement[Any]]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    t = Trajectory
    started = t.start_date.between(first, last)
    ended = t.end_date.between(first, last)
    return [
        _count_if(started).label("started"),
        _count_if(and_(t.start_date <= ref, or_(t.end_date.is_(None), t.end_date > ref))).label(
            "running"
        ),
        _count_if(t.placement_date.between(first, last)).label("placed"),
        _count_if(ended).label("ended"),
        _count_if(and_(started, t.placement_date.is_not(None))).label("started_placed"),
        _count_if(and_(ended, t.end_reason == LASTING_WORK)).label("ended_lasting"),
    ]


class StatsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def counts_per_region(
        self, year: int, ref: date, region: str | None = None
    ) -> dict[str, Counts]:
        """Counts per region code (regions without any trajectory are left out)."""
        stmt = select(Trajectory.region, *_count_columns(year, ref)).group_by(Trajectory.region)
        if region is not None:
            stmt = stmt.where(Trajectory.region == region)
        rows = (await self.session.execute(stmt)).all()
        return {row[0]: Counts(*(int(v) for v in row[1:])) for row in rows}

    async def started_per_month(self, region: str, year: int) -> list[int]:
        """Trajectories started in each month of the year (12 numbers, January first)."""
        month = extract("month", Trajectory.start_date)
        stmt = (
            select(month, func.count())
            .where(
                Trajectory.region == region,
                Trajectory.start_date.between(date(year, 1, 1), date(year, 12, 31)),
            )
            .group_by(month)
        )
        out = [0] * 12
        for m, n in (await self.session.execute(stmt)).all():
            out[int(m) - 1] = int(n)
        return out

    async def regions(self, year: int, region: str | None = None) -> list[RegionYearRow]:
        """Every region (or one) with its division and target for the year, by code."""
        stmt = (
            select(Region.code, Region.name, RegionYear.division, RegionYear.target)
            .outerjoin(
                RegionYear, (RegionYear.region_code == Region.code) & (RegionYear.year == year)
            )
            .order_by(Region.code)
        )
        if region is not None:
            stmt = stmt.where(Region.code == region)
        return [RegionYearRow(*row) for row in (await self.session.execute(stmt)).all()]
