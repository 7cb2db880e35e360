"""Progress figures: `stats`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.root import main
from bot.cli.runtime import (
    current_year,
    echo_json,
    fail,
    pct,
    query,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services


@main.command("stats")
@click.option("--region", default=None, help="AMxx: one region; without it, all regions.")
@click.option("--year", type=click.IntRange(2017, 2100), default=None, help="Default: this year.")
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the chart (PNG) to this file.",
)
@click.option("--json", "as_json", is_flag=True)
def stats_cmd(
    region: str | None, year: int | None, chart_path: Path | None, as_json: bool
) -> None:
    """Progress against the targets: one region (/regio) or all regions (/landelijk).

    Definitions: docs/stats.md.
    """
    from bot.services.progress import figures as svc
    from bot.services.progress import regions as regions_svc

    the_year = year or current_year()
    code = region.upper() if region else None

    async def run(
        services: Services, session: AsyncSession
    ) -> tuple[dict[str, Any], bytes] | None:
        await regions_svc.ensure_regions(session, services.kb)
        today = services.clock().date()
        if code is None:
            national = await svc.national_figures(session, services.kb, the_year, today)
            png = svc.national_png(services, national) if chart_path else b""
            return svc.national_json(national), png
        figures = await svc.region_figures(session, code, the_year, today)
        if figures is None:
            return None
        png = svc.region_png(services, figures) if chart_path else b""
        return svc.region_json(figures), png

    result = query(run)
    if result is None:
        fail(f"unknown region {code!r} (AM01 … AM38, see regions list)", 2)
    data, png = result
    if chart_path is not None:
        chart_path.parent.mkdir(parents=True, exist_ok=True)
        chart_path.write_bytes(png)
    if as_json:
        echo_json(data)
        return
    if code is None:
        _echo_national(data)
    else:
        _echo_region(data)
    if chart_path is not None:
        click.echo(f"chart: {chart_path}")


def _progress(row: dict[str, Any]) -> str:
    if not row["target"]:
        return f"{row['started']} started, no target"
    line = f"{row['started']} of {row['target']} started ({pct(row['progress'])})"
    if row["expected"] is not None:
        status = "on schedule" if row["on_schedule"] else "behind schedule"
        line += f"; expected pro rata {row['expected']:.1f}: {status}"
    return line


def _share(part: int, whole: int, share: float | None) -> str:
    return f"{part} of {whole} ({pct(share)})" if share is not None else f"{part} of {whole}"


def _echo_region(d: dict[str, Any]) -> None:
    click.echo(
        f"{d['region']} {d['name']}, {d['year']} (reference date {d['reference_date']}), "
        f"division {d['division'] or '-'}"
    )
    click.echo(f"  {_progress(d)}")
    click.echo(f"  running {d['running']}, placed {d['placed']}, ended {d['ended']}")
    click.echo(
        "  paid work: "
        + _share(d["started_with_paid_work"], d["started"], d["paid_work_share"])
        + " started; lasting paid work: "
        + _share(d["ended_in_lasting_paid_work"], d["ended"], d["lasting_paid_work_share"])
        + " ended"
    )
    click.echo("  started per month: " + " ".join(str(n) for n in d["started_per_month"]))


def _echo_national(d: dict[str, Any]) -> None:
    click.echo(f"{d['year']} (reference date {d['reference_date']}), by progress:")
    for r in d["regions"]:
        target = "-" if r["target"] is None else str(r["target"])
        progress = "-" if r["progress"] is None else pct(r["progress"])
        click.echo(
            f"  {r['region']}  {r['name']:<36} {r['division'] or '-':<24} "
            f"{r['started']:>6} /{target:>5} {progress:>7}"
        )
    click.echo("divisions:")
    for div in d["divisions"]:
        click.echo(
            f"  {div['division'] or '(none)':<24} {div['regions']:>2} regions  {_progress(div)}"
        )
    t = d["total"]
    click.echo(f"total: {_progress(t)}")
    click.echo(
        f"  running {t['running']}, placed {t['placed']}, ended {t['ended']}; national ambition "
        f"{t['national_ambition']} a year: {pct(t['ambition_progress'])}"
    )
