"""Kill the sender with SIGKILL at random moments and start it again until it is done: every
recipient has exactly one message, except the ones reported uncertain (at most the
concurrency per kill), which have at most one."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import Announcement, Delivery, User

WORKER = Path(__file__).with_name("sender_worker.py")
RECIPIENTS = 400
CONCURRENCY = 4  # as in the worker
KILLS = 5
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


async def prepare(db_url: str, recipients: int = RECIPIENTS) -> int:
    """Users and one announcement `sending` to all of them; returns its id."""
    db = Database(db_url)
    await db.upgrade()
    async with db.session() as session:
        users = [
            User(telegram_id=700_000 + i, first_seen=NOW, last_seen=NOW, role="coach")
            for i in range(recipients)
        ]
        session.add_all(users)
        ann = Announcement(text="Nieuws", status="sending", created_at=NOW, started_at=NOW)
        session.add(ann)
        await session.flush()
        session.add_all(
            Delivery(
                announcement_id=ann.id,
                user_id=u.id,
                chat_id=u.telegram_id,
                status="pending",
                updated_at=NOW,
            )
            for u in users
        )
        await session.commit()
        ann_id = ann.id
    await db.dispose()
    return ann_id


async def rows_of(db_url: str, ann_id: int) -> tuple[list[Delivery], str]:
    db = Database(db_url)
    async with db.session() as session:
        rows = (
            await session.execute(select(Delivery).where(Delivery.announcement_id == ann_id))
        ).scalars()
        ann = await session.get(Announcement, ann_id)
        result = list(rows), ann.status if ann else ""
    await db.dispose()
    return result


def lines(log: Path) -> list[int]:
    if not log.exists():
        return []
    return [int(line.split("\t")[0]) for line in log.read_text().splitlines() if line]


def _start(db_file: Path, log: Path) -> tuple[subprocess.Popen[str], int]:
    """Start a sender; returns it and how many in-flight rows it found (now uncertain)."""
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), f"sqlite+aiosqlite:///{db_file}", str(log)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ready = proc.stdout.readline()  # recovery is done, sending starts
    assert ready.startswith("ready"), ready
    return proc, int(ready.split()[1])


def test_sigkill_at_random_moments_loses_nobody_and_doubles_nobody(tmp_path: Path) -> None:
    rng = random.Random(20261204)
    db_file, log = tmp_path / "kill.db", tmp_path / "telegram.log"
    url = f"sqlite+aiosqlite:///{db_file}"
    ann_id = asyncio.run(prepare(url))
    started = time.monotonic()
    mid_send_kills = 0
    recovered = []
    for _ in range(KILLS):
        proc, found = _start(db_file, log)
        recovered.append(found)
        time.sleep(rng.uniform(0.02, 0.25))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            if 0 < len(lines(log)) < RECIPIENTS:
                mid_send_kills += 1
    proc, found = _start(db_file, log)
    recovered.append(found)
    assert proc.wait(timeout=60) == 0

    rows, status = asyncio.run(rows_of(url, ann_id))
    received = Counter(lines(log))
    uncertain = [r for r in rows if r.status == "uncertain"]
    assert status == "done"
    assert {r.status for r in rows} <= {"sent", "uncertain"}
    assert len(rows) == RECIPIENTS
    assert max(received.values()) == 1, "somebody got the announcement twice"
    for row in rows:
        if row.status == "sent":
            assert received[row.chat_id] == 1, row.chat_id
    assert all(n <= CONCURRENCY for n in recovered), recovered  # only those in flight
    assert len(uncertain) == sum(recovered)
    assert set(received) <= {r.chat_id for r in rows}
    assert mid_send_kills >= 2, "the kills should land while sending"
    assert time.monotonic() - started < 30
