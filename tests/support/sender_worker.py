"""A sender process for tests/test_kill_resume.py and tests/test_two_senders.py: the real
engine against a database and a transport that writes every message it "delivers" to a log
file (appended, fsynced per message, before the answer comes back), so a SIGKILL at any moment
leaves an honest record, and several processes can share one log.

    python tests/support/sender_worker.py DATABASE_URL LOG_FILE [resume|race|lease]

resume (default): turn rows left `sending` into `uncertain`, drain what is pending, exit.
race: drain without recovery and without the lease, so several processes race for the rows.
lease: run as `hoofdzaak run` does (start: lease, then send) until no announcement is
sending any more.
race and lease wait for a line on stdin after "ready", so that processes start together.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bot.services.messaging.outcomes import Outgoing, Sent
from bot.services.messaging.pacing import RealClock
from bot.services.messaging.sender import Sender
from bot.storage.db import Database
from bot.storage.models import Announcement


class FileTransport:
    """Telegram as a log file: one line per delivered message (chat id and text)."""

    def __init__(self, path: str, latency: float = 0.002) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.ids = itertools.count(1)
        self.latency = latency

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        os.close(self.fd)

    async def send(self, message: Outgoing) -> Sent:
        await asyncio.sleep(random.uniform(0, self.latency))  # the request on its way
        os.write(self.fd, f"{message.chat_id}\t{message.text}\t{os.getpid()}\n".encode())
        os.fsync(self.fd)
        await asyncio.sleep(random.uniform(0, self.latency))  # the answer on its way back
        return Sent(next(self.ids))

    async def edit(
        self, chat_id: int, message_id: int, text: str, reply_markup: dict[str, Any] | None
    ) -> None:
        return None


async def _sending(db: Database) -> int:
    async with db.session() as session:
        n = await session.scalar(
            select(func.count()).select_from(Announcement).where(Announcement.status == "sending")
        )
    return int(n or 0)


async def main(db_url: str, log_file: str, mode: str) -> None:
    db = Database(db_url)
    sender = Sender(
        db,
        # racing processes get a slower Telegram, so that both are still sending together
        FileTransport(log_file, latency=0.02 if mode == "race" else 0.002),
        rate=2000,
        concurrency=4,
        clock=RealClock(lambda: datetime.now(UTC)),
        poll_interval=0.05,
    )
    if mode == "lease":
        await sender.start()
        print(f"ready {int(sender.lease.held)}", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        while True:  # another process may be the one sending: watch the database
            if not await _sending(db):
                break
            await asyncio.sleep(0.05)
        await sender.stop()
    else:
        uncertain = await sender.recover() if mode == "resume" else 0
        print(f"ready {uncertain}", flush=True)
        if mode == "race":
            await asyncio.to_thread(sys.stdin.readline)
        await sender.run_until_done()
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "resume"))
