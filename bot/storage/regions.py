"""Regions and their division and target per year. The caller commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Region, RegionYear


class RegionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> list[Region]:
        return list((await self.session.execute(select(Region))).scalars())

    def add(self, region: Region) -> None:
        self.session.add(region)

    async def year(self, code: str, year: int) -> RegionYear | None:
        """The division and target of one region in one year, if set."""
        found: RegionYear | None = await self.session.scalar(
            select(RegionYear).where(RegionYear.region_code == code, RegionYear.year == year)
        )
        return found

    async def year_or_new(self, code: str, year: int) -> RegionYear:
        row = await self.year(code, year)
        if row is None:
            row = RegionYear(region_code=code, year=year)
            self.session.add(row)
        return row

    async def with_year(self, year: int) -> list[tuple[Region, RegionYear | None]]:
        """Every region, with its row for that year if there is one, by code."""
        rows = await self.session.execute(
            select(Region, RegionYear)
            .outerjoin(
                RegionYear, (RegionYear.region_code == Region.code) & (RegionYear.year == year)
            )
            .order_by(Region.code)
        )
        return [(region, ry) for region, ry in rows.tuples()]
