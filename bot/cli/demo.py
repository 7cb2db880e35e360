"""Demo data: `demo seed|clear`."""

from __future__ import annotations

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


@main.group()
def demo() -> None:
    """Demo data to try the bot with: clearly marked, removed again by `demo clear`."""


def _demo_counts_text(counts: dict[str, int]) -> str:
    return (
        f"{counts['users']} users, {counts['region_years']} region years, "
        f"{counts['trajectories']} trajectories, {counts['events']} events"
    )


@demo.command("seed")
@click.option("--seed", "seed_value", type=int, default=2021, show_default=True)
@click.option(
    "--scale",
    type=click.FloatRange(0.01, 50),
    default=1.0,
    show_default=True,
    help="More or fewer trajectories (1: a few thousand).",
)
@click.option("--json", "as_json", is_flag=True)
def demo_seed(seed_value: int, scale: float, as_json: bool) -> None:
    """Fill the database with demo users, region years and trajectories (demo=True)."""
    import time

    from bot.services.progress import regions as regions_svc
    from bot.services.shared import demo as svc

    async def run(services: Services, session: AsyncSession) -> tuple[svc.DemoCounts, float]:
        await regions_svc.ensure_regions(session, services.kb)
        started = time.perf_counter()
        counts = await svc.seed(session, services.kb, services.clock(), seed_value, scale)
        return counts, time.perf_counter() - started

    try:
        made, took = query(run, write=True)
    except svc.DemoError as exc:
        fail(str(exc))
    counts, seconds = made.as_dict(), round(took, 2)
    if as_json:
        echo_json({**counts, "seconds": seconds})
        return
    click.echo(f"demo data added: {_demo_counts_text(counts)} ({seconds} s)")
    click.echo("remove it again with: hoofdzaak demo clear")


@demo.command("clear")
@click.option("--json", "as_json", is_flag=True)
def demo_clear(as_json: bool) -> None:
    """Remove exactly the demo rows; real data is never touched."""
    from bot.services.shared import demo as svc

    counts = query(lambda _services, session: svc.clear(session), write=True).as_dict()
    if as_json:
        echo_json(counts)
        return
    click.echo(f"demo data removed: {_demo_counts_text(counts)}")
