"""The delivery engine sending one announcement to many recipients through the real transport
and the in-process fake Bot API, with random 429s (retry_after 1-5 s).

    python benchmarks/broadcast.py [--recipients 5000] [--rate 25] [--429s 12]
                                   [--real 200] [--seed 1]

Virtual clock: the engine's pacing runs on a clock that only moves when the engine waits, so
5,000 sends at 25/s (200 s of Telegram time) take seconds. Prints the achieved rate as a
share of the configured one, overall and without the imposed 429 pauses (target >= 95%),
and how many recipients got nothing or got it twice (target 0). `--real N` also sends to N
recipients on the real clock. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select
from telegram import Bot

from bot.fakeapi import OFFLINE_TOKEN, FakeBotAPI
from bot.services.messaging.pacing import Clock, RealClock, VirtualClock
from bot.services.messaging.sender import Sender
from bot.storage.db import Database
from bot.storage.models import Announcement, Delivery, User
from bot.transport import TelegramTransport

START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
FIRST_CHAT = 3_000_000


async def _setup(db: Database, recipients: int) -> None:
    await db.upgrade()
    async with db.session() as session:
        await session.execute(
            insert(User),
            [
                {
                    "telegram_id": FIRST_CHAT + i,
                    "first_seen": START,
                    "last_seen": START,
                    "role": "coach",
                }
                for i in range(recipients)
            ],
        )
        ann = Announcement(text="<b>Nieuws</b> van het programmateam", status="sending")
        ann.created_at = ann.started_at = START
        session.add(ann)
        await session.flush()
        ids = (await session.execute(select(User.id, User.telegram_id))).all()
        await session.execute(
            insert(Delivery),
            [
                {
                    "announcement_id": ann.id,
                    "user_id": uid,
                    "chat_id": chat,
                    "status": "pending",
                    "attempts": 0,
                    "updated_at": START,
                }
                for uid, chat in ids
            ],
        )
        await session.commit()


async def run(recipients: int, rate: float, n429: int, seed: int, clock: Clock) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await _setup(db, recipients)
        api = FakeBotAPI()
        for chat in rng.sample(range(recipients), min(n429, recipients)):
            api.fail_next(
                "sendMessage", 429, retry_after=rng.randint(1, 5), chat_id=FIRST_CHAT + chat
            )
        sender = Sender(
            db,
            TelegramTransport(Bot(OFFLINE_TOKEN, request=api)),
            rate=rate,
            concurrency=4,
            clock=clock,
        )
        sender.stats.keep_times = True
        await sender.transport.open()
        wall = time.perf_counter()
        await sender.run_until_done()
        wall = time.perf_counter() - wall
        async with db.session() as session:
            result = await session.execute(
                select(Delivery.status, func.count()).group_by(Delivery.status)
            )
            statuses: dict[str, int] = {status: n for status, n in result.tuples()}
        await sender.transport.close()
        await db.dispose()
    times = [t for t, _ in sender.stats.dispatched]
    elapsed = max(times) - min(times) + 1 / rate  # the last send uses one interval too
    paused = sender.pacer.paused_total
    sent = sender.stats.sent
    per_chat = Counter(m.chat_id for m in api.messages.values())
    lost = sum(1 for i in range(recipients) if per_chat[FIRST_CHAT + i] == 0)
    doubled = sum(1 for n in per_chat.values() if n > 1)
    kind = "virtual" if isinstance(clock, VirtualClock) else "real"
    print(f"{recipients} recipients at {rate:g}/s ({kind} clock), {n429} random 429s:")
    print(f"  sent {sent}, statuses {statuses}, API calls {sender.stats.api_calls}")
    print(
        f"  {elapsed:.1f} s of sending time, of which {paused:.1f} s imposed 429 pauses; "
        f"wall clock {wall:.1f} s"
    )
    overall = sent / elapsed
    net = sent / (elapsed - paused)
    for name, value in (("overall:       ", overall), ("without pauses:", net)):
        print(f"  achieved {name} {value:.2f}/s = {100 * value / rate:.1f}% of {rate:g}/s")
    print(f"  lost {lost}, duplicates {doubled}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--429s", dest="n429", type=int, default=12)
    parser.add_argument("--real", type=int, default=200, help="real-clock run (0: none)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(run(args.recipients, args.rate, args.n429, args.seed, VirtualClock(START)))
    if args.real:
        clock = RealClock(lambda: datetime.now(UTC))
        asyncio.run(run(args.real, args.rate, max(1, args.n429 // 10), args.seed, clock))


if __name__ == "__main__":
    main()
