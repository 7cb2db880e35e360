"""Progress figures on a large database: /regio and /landelijk figures and chart rendering.

    python benchmarks/stats.py [--trajectories 100000] [--runs 5]

Builds a temporary SQLite database (migrated with Alembic, as in production) holding N
synthetic trajectories spread over the 35 regions and the years 2021 up to today, bulk
inserted with SQLAlchemy core; then times the figures of one region (/regio), of all regions
(/landelijk) and the rendering of both charts. Prints figures; asserts nothing (target: the
figures in under 1 s each).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa

from bot.config import TIMEZONE, Settings
from bot.services.progress import figures as stats
from bot.storage.db import upgrade
from bot.storage.models import RegionYear, Trajectory, table_of
from bot.wiring import build_services
from knowledge.kb import load_kb

FIRST_YEAR = 2021
END_REASONS = ["werk_duurzaam", "gestopt_kandidaat", "behandeling", "verhuisd", "anders"]
END_WEIGHTS = [35, 30, 20, 5, 10]
T = TypeVar("T")


def synthetic_rows(n: int, codes: list[str], today: date, seed: int = 11) -> list[dict[str, Any]]:
    """Trajectories with consistent dates: placement and end after the start, none after today."""
    rng = random.Random(seed)
    weights = [rng.lognormvariate(0, 0.5) for _ in codes]  # some regions are bigger
    first = date(FIRST_YEAR, 1, 1)
    span = (today - first).days
    now = datetime.now(UTC)
    rows = []
    for i, region in enumerate(rng.choices(codes, weights, k=n)):
        start = first + timedelta(days=rng.randrange(span + 1))
        placement = end = reason = None
        if rng.random() < 0.45:
            day = start + timedelta(days=rng.randint(20, 400))
            placement = day if day <= today else None
        if rng.random() < 0.9:  # most end within 3 years (an IPS trajectory: at most 3)
            day = start + timedelta(days=rng.randint(60, 1095))
            if day <= today:
                end = day
                reason = rng.choices(END_REASONS, END_WEIGHTS)[0]
                if reason == "werk_duurzaam" and placement is None:
                    placement = start + (end - start) // 2
        status = "beeindigd" if end else "geplaatst" if placement else "lopend"
        rows.append(
            {
                "reference": f"HW-{start.year}-{i:06d}",
                "region": region,
                "coach_id": None,
                "pseudonym": f"K{i}",
                "method": rng.choice(["ips", "ips", "jobcoaching", "reintegratie", "wabz"]),
                "target_group": rng.choice(["epa", "cmd", "onbekend"]),
                "initiator": rng.choice(["uwv", "gemeente", "anders"]),
                "provider": rng.choice(["ggz", "gemeente", "wsp", "ribw", "reintegratiebureau"]),
                "benefit": rng.choice(["geen", "ww", "wia", "wajong", "participatiewet"]),
                "treatment": rng.choice(["basis", "specialistisch"]),
                "start_date": start,
                "placement_date": placement,
                "hours_per_week": rng.randint(8, 36) if placement else None,
                "contract": "loondienst" if placement else None,
                "end_date": end,
                "end_reason": reason,
                "status": status,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "demo": False,
            }
        )
    return rows


def build_database(url: str, n: int, today: date) -> float:
    """Migrate, seed the regions (target 100 a year each), bulk insert; seconds taken."""
    kb = load_kb()
    codes = [r.code for r in kb.regions.regions]
    divisions = [d.id for d in kb.regions.divisions]
    upgrade(url)
    engine = sa.create_engine(url.replace("+aiosqlite", ""))
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            sa.insert(
                sa.table(
                    "regions", sa.column("code"), sa.column("name"), sa.column("centrumgemeente")
                )
            ),
            [
                {"code": r.code, "name": r.name, "centrumgemeente": r.centrumgemeente}
                for r in kb.regions.regions
            ],
        )
        conn.execute(
            sa.insert(table_of(RegionYear)),
            [
                {
                    "region_code": code,
                    "year": year,
                    "division": divisions[i % len(divisions)],
                    "target": stats.AMBITION_PER_REGION,
                    "demo": False,
                }
                for year in range(FIRST_YEAR, today.year + 1)
                for i, code in enumerate(codes)
            ],
        )
        rows = synthetic_rows(n, codes, today)
        for i in range(0, len(rows), 20_000):
            conn.execute(sa.insert(table_of(Trajectory)), rows[i : i + 20_000])
    engine.dispose()
    return time.perf_counter() - t0


async def timed(make: Callable[[], Awaitable[T]], runs: int) -> tuple[T, float, float]:
    """The result, the first (cold) time and the median of the following runs, in ms."""
    t0 = time.perf_counter()
    result = await make()
    first = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = await make()
        times.append((time.perf_counter() - t0) * 1000)
    return result, first, statistics.median(times)


def timed_sync(make: Callable[[], T], runs: int) -> tuple[T, float]:
    times = []
    result = make()
    for _ in range(runs):
        t0 = time.perf_counter()
        result = make()
        times.append((time.perf_counter() - t0) * 1000)
    return result, statistics.median(times)


async def run(n: int, runs: int, region: str) -> None:
    today = datetime.now(TIMEZONE).date()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/stats.db"
        seconds = await asyncio.to_thread(build_database, url, n, today)
        print(f"{n:,} trajectories ({FIRST_YEAR}-{today.year}) inserted in {seconds:.1f} s")
        services = build_services(Settings(DATABASE_URL=url))
        try:
            async with services.db.session() as session:
                fig, first, median = await timed(
                    lambda: stats.region_figures(session, region, today.year, today), runs
                )
                assert fig is not None
                print(
                    f"/regio figures ({region}, {today.year}): "
                    f"first {first:.1f} ms, median {median:.1f} ms"
                )
                nat, first, median = await timed(
                    lambda: stats.national_figures(session, services.kb, today.year, today), runs
                )
                print(
                    f"/landelijk figures ({today.year}): "
                    f"first {first:.1f} ms, median {median:.1f} ms"
                )
                last = today.year - 1
                _, first, median = await timed(
                    lambda: stats.national_figures(session, services.kb, last, today), runs
                )
                print(f"/landelijk figures ({last}): first {first:.1f} ms, median {median:.1f} ms")
        finally:
            await services.db.dispose()
        png, ms = timed_sync(lambda: stats.region_png(services, fig), max(1, runs // 2))
        print(f"region chart: {ms:.0f} ms, {len(png):,} bytes")
        png, ms = timed_sync(lambda: stats.national_png(services, nat), max(1, runs // 2))
        print(f"national chart: {ms:.0f} ms, {len(png):,} bytes")

    c = fig.counts
    print(
        f"{region} {today.year} (reference date {fig.period.ref}): started {c.started} of "
        f"{fig.target} ({stats.percent(fig.progress)}), expected by now "
        f"{stats.number(fig.expected or 0)}; running {c.running}, placed {c.placed}, "
        f"ended {c.ended}; paid work {stats.percent(fig.paid_share)} of started, lasting "
        f"{stats.percent(fig.lasting_share)} of ended"
    )
    t = nat.total
    print(
        f"national {today.year}: started {t.counts.started:,} of {t.target:,} "
        f"({stats.percent(t.progress)}); running {t.counts.running:,}, placed "
        f"{t.counts.placed:,}, ended {t.counts.ended:,}"
    )
    for d in nat.divisions:
        print(
            f"  {d.division}: {d.regions} regions, {d.counts.started:,} of {d.target:,} "
            f"({stats.percent(d.progress)})"
        )
    best, worst = nat.regions[0], nat.regions[-1]
    print(
        f"  highest {best.code} {stats.percent(best.progress)}, "
        f"lowest {worst.code} {stats.percent(worst.progress)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trajectories", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--region", default="AM18")
    args = parser.parse_args()
    asyncio.run(run(args.trajectories, args.runs, args.region))


if __name__ == "__main__":
    main()
