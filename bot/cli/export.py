"""Exports: `export trajectories`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.root import main
from bot.cli.runtime import (
    echo_json,
    fail,
    query,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services


@main.group("export")
def export_group() -> None:
    """Export data as files (pseudonyms only, never names)."""


@export_group.command("trajectories")
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "xlsx"]))
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File."
)
@click.option("--region", default=None, help="AMxx; default: all regions.")
@click.option(
    "--year", type=click.IntRange(2017, 2100), default=None, help="Start year; default: all."
)
@click.option("--json", "as_json", is_flag=True)
def export_trajectories(
    fmt: str, out: Path, region: str | None, year: int | None, as_json: bool
) -> None:
    """Write trajectories to a CSV (;-separated, UTF-8 with BOM, ISO dates) or XLSX file."""
    from bot.services.trajectories import export as svc
    from knowledge.kb import load_kb_kept

    selection = svc.Selection(region.upper() if region else None, year)
    if selection.region is not None and selection.region not in {
        r.code for r in load_kb_kept().regions.regions
    }:
        fail(f"unknown region {selection.region!r} (AM01 … AM38, see regions list)", 2)
    the_format: svc.Format = "csv" if fmt == "csv" else "xlsx"
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.part")

    async def run(services: Services, session: AsyncSession) -> int:
        with partial.open("wb") as fh:
            return await svc.write_export(services, session, selection, {the_format: fh})

    try:
        count = query(run)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    if as_json:
        echo_json(
            {
                "path": str(out),
                "format": fmt,
                "rows": count,
                "region": selection.region,
                "year": year,
            }
        )
        return
    click.echo(f"wrote {count} trajectories to {out}")
