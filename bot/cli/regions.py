"""Regions, divisions and targets: `regions list|set|import`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.root import main
from bot.cli.runtime import (
    NotReady,
    current_year,
    echo_json,
    fail,
    query,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services


@main.group()
def regions() -> None:
    """The 35 labour market regions: division and annual target per year."""


@regions.command("list")
@click.option("--year", type=click.IntRange(2017, 2100), default=None, help="Default: this year.")
@click.option("--json", "as_json", is_flag=True)
def regions_list(year: int | None, as_json: bool) -> None:
    """The regions with their division and target for a year."""
    from bot.services.progress import regions as svc

    the_year = year or current_year()

    async def read(services: Services, session: AsyncSession) -> list[svc.RegionRow]:
        return await svc.list_regions(session, the_year)

    async def fill(services: Services, session: AsyncSession) -> list[svc.RegionRow]:
        await svc.ensure_regions(session, services.kb)
        return await svc.list_regions(session, the_year)

    # only reads, unless the database is behind or its regions were never written (one the
    # bot never started on): then it migrates and fills them first
    try:
        rows = query(read, soft=True)
    except NotReady:
        rows = []
    rows = rows or query(fill, write=True)
    if as_json:
        echo_json(
            [
                {
                    "code": r.code,
                    "name": r.name,
                    "centrumgemeente": r.centrumgemeente,
                    "year": r.year,
                    "division": r.division,
                    "target": r.target,
                }
                for r in rows
            ]
        )
        return
    for r in rows:
        target = "-" if r.target is None else str(r.target)
        click.echo(f"{r.code}  {r.name:<36} {r.division or '-':<24} {target:>5}")


@regions.command("set")
@click.argument("code")
@click.option("--year", type=int, default=None, help="Default: this year.")
@click.option(
    "--division", default=None, help="champions-league, eredivisie, keuken-kampioen-divisie"
)
@click.option("--target", type=int, default=None, help="Trajectories to start in that year.")
def regions_set(code: str, year: int | None, division: str | None, target: int | None) -> None:
    """Set a region's division and/or target for a year."""
    from bot.services.progress import regions as svc

    if division is None and target is None:
        fail("give --division and/or --target", 2)
    setting = svc.RegionSetting(code.upper(), year or current_year(), division, target)

    async def run(services: Services, session: AsyncSession) -> None:
        await svc.set_regions(session, services.kb, [setting])

    try:
        query(run, write=True)
    except svc.RegionInputError as exc:
        fail(str(exc), 2)
    click.echo(f"{setting.code} {setting.year}: saved")


@regions.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def regions_import(path: Path) -> None:
    """Import division and target per region and year from a CSV (code,year,division,target).

    All rows are checked first: with any error nothing is stored.
    """
    from bot.services.progress import regions as svc
    from knowledge.kb import load_kb_kept

    try:
        settings = svc.parse_csv(path.read_text(encoding="utf-8-sig"))
    except svc.RegionInputError as exc:
        fail(str(exc), 2)
    problems = svc.check_all(load_kb_kept(), settings)
    if problems:
        fail("nothing imported: " + "; ".join(problems), 2)

    async def run(services: Services, session: AsyncSession) -> None:
        await svc.set_regions(session, services.kb, settings)

    query(run, write=True)
    click.echo(f"imported {len(settings)} row(s)")
