"""The weekly digest for many people: rendering and queueing personal digests.

    python benchmarks/digest.py [--users 10000] [--scale 1.0]

Builds a temporary SQLite database (migrated with Alembic, as in production) with the data of
`hoofdzaak demo seed` (35 regions, targets, a few thousand trajectories), then adds N staff
users (about 75% coaches, 23% regio, 2% programme team) spread over the regions, hands the
demo trajectories out to the coaches of their region, and adds a week of unanswered questions
and five announcements that everyone received. Then it times, for all N users:
the bulk reads of one run (`gather`), rendering N personal digests (`render`), and the whole
hand-over `enqueue_due` (read, render, insert N delivery rows, commit), and a second
`enqueue_due` that finds nothing left to do. Prints figures; asserts nothing (target: N =
10,000 rendered in under 10 s).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.config import TIMEZONE, Settings
from bot.services import Services
from bot.services.messaging.digest import compose, queue
from bot.services.messaging.digest.week import Week
from bot.services.progress import regions
from bot.services.shared import demo
from bot.storage.models import Announcement, Delivery, QuestionLog, Trajectory, User, table_of
from bot.wiring import build_services

# Monday 09:30 in Amsterdam: everyone with the default weekday is due
NOW = datetime(2026, 11, 30, 9, 30, tzinfo=TIMEZONE)
QUESTIONS = [
    "mag een wsp ook ips aanbieden",
    "hoeveel uur per week moet iemand werken voor een plaatsing",
    "telt een traject via de gemeente mee als de ggz niet meedoet",
    "wie betaalt de reiskosten van de kandidaat",
    "kan een zzp'er jobcoach zijn in het programma",
    "wat als de kandidaat verhuist naar een andere regio",
]


async def populate(services: Services, n_users: int, scale: float) -> dict[str, int]:
    """Demo data plus N staff users, their trajectories, questions and announcements."""
    rng = random.Random(48)  # made-up data
    codes = sorted(services.region_codes())
    async with services.db.session() as session:
        await regions.ensure_regions(session, services.kb)
        await demo.seed(session, services.kb, NOW, scale=scale)
        roles = rng.choices(["coach", "regio", "programma"], [75, 23, 2], k=n_users)
        rows = [
            {
                "telegram_id": 10_000_000 + i,
                "first_name": f"Medewerker {i}",
                "first_seen": NOW - timedelta(days=rng.randint(0, 400)),
                "last_seen": NOW,
                "role": role,
                "region": None if role == "programma" else codes[i % len(codes)],
                "active": True,
                "demo": False,
                "digest": True,
                "digest_weekday": 0,
            }
            for i, role in enumerate(roles)
        ]
        await session.execute(sa.insert(table_of(User)), rows)
        coaches: dict[str, list[int]] = {}
        for uid, region in (
            await session.execute(
                sa.select(User.id, User.region).where(User.role == "coach", User.demo.is_(False))
            )
        ).tuples():
            coaches.setdefault(str(region), []).append(uid)
        trajectories = (
            await session.execute(sa.select(Trajectory.id, Trajectory.region))
        ).tuples()
        table = table_of(Trajectory)
        await session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("tid"))
            .values(coach_id=sa.bindparam("cid")),
            [
                {"tid": tid, "cid": rng.choice(coaches[region])}
                for tid, region in trajectories
                if region in coaches
            ],
        )
        user_ids = list((await session.execute(sa.select(User.id))).scalars())
        await session.execute(
            sa.insert(table_of(QuestionLog)),
            [
                {
                    "user_id": rng.choice(user_ids),
                    "chat_type": "private",
                    "text": rng.choice(QUESTIONS),
                    "outcome": "unknown",
                    "score": 0.2,
                    "asked_at": NOW - timedelta(hours=rng.randint(1, 160)),
                }
                for _ in range(3000)
            ],
        )
        for k in range(5):
            a = Announcement(
                kind="announcement",
                text=f"<b>Mededeling {k + 1}</b> over het programma\nMeer tekst.",
                status="done",
                created_at=NOW - timedelta(days=k + 2),
                started_at=NOW - timedelta(days=k + 1),
                finished_at=NOW - timedelta(days=k + 1),
            )
            session.add(a)
            await session.flush()
            await session.execute(
                sa.insert(table_of(Delivery)),
                [
                    {
                        "announcement_id": a.id,
                        "user_id": uid,
                        "chat_id": 1,
                        "status": "sent",
                        "attempts": 1,
                        "updated_at": NOW,
                    }
                    for uid in user_ids
                ],
            )
        await session.commit()
        count = await session.scalar(sa.select(sa.func.count(Trajectory.id)))
    return {"users": n_users, "trajectories": int(count or 0)}


async def run(n_users: int, scale: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/digest.db"
        services = build_services(Settings(DATABASE_URL=url), clock=lambda: NOW)
        try:
            await services.db.upgrade()
            t0 = time.perf_counter()
            made = await populate(services, n_users, scale)
            print(
                f"database: {made['users']:,} staff users (+ demo data), "
                f"{made['trajectories']:,} trajectories, built in {time.perf_counter() - t0:.1f} s"
            )
            week = Week.of(NOW)
            async with services.db.session() as session:
                t0 = time.perf_counter()
                recipients = await compose.eligible(services, session)
                data = await compose.gather(services, session, week, NOW, recipients)
                gathered = time.perf_counter() - t0
            per_role = {
                r: sum(x.role == r for x in recipients) for r in ("coach", "regio", "programma")
            }
            print(
                f"gather (who + every bulk read for {len(recipients):,} recipients): "
                f"{gathered * 1000:.0f} ms; {per_role}"
            )
            times: list[float] = []
            lengths: list[int] = []
            t0 = time.perf_counter()
            for who in recipients:
                t1 = time.perf_counter()
                d = compose.render(services, data, who)
                times.append(time.perf_counter() - t1)
                lengths.append(len(d.text))
            total = time.perf_counter() - t0
            times.sort()
            print(
                f"render {len(recipients):,} digests: {total:.2f} s total, "
                f"{total / len(recipients) * 1000:.3f} ms mean, "
                f"median {statistics.median(times) * 1000:.3f} ms, "
                f"p99 {times[int(len(times) * 0.99)] * 1000:.3f} ms; "
                f"length mean {statistics.mean(lengths):.0f}, max {max(lengths)} characters"
            )
            async with services.db.session() as session:
                t0 = time.perf_counter()
                queued = await queue.enqueue_due(services, session, NOW)
                took = time.perf_counter() - t0
            print(
                f"enqueue_due (read, render, insert, commit): {queued:,} queued in {took:.2f} s "
                f"({took / max(queued, 1) * 1000:.3f} ms per digest)"
            )
            async with services.db.session() as session:
                t0 = time.perf_counter()
                again = await queue.enqueue_due(services, session, NOW)
                took = time.perf_counter() - t0
            print(f"enqueue_due again: {again} queued in {took * 1000:.0f} ms")
        finally:
            await services.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--scale", type=float, default=1.0, help="demo seed --scale")
    args = parser.parse_args()
    asyncio.run(run(args.users, args.scale))


if __name__ == "__main__":
    main()
