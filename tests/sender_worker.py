"""A sender process for tests/test_kill_resume.py: the real engine against a SQLite file and a
transport that writes every message it "delivers" to a log file (flushed and fsynced per
message, before the answer comes back), so a SIGKILL at any moment leaves an honest record.

    python tests/sender_worker.py DATABASE_FILE LOG_FILE
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import sys
from datetime import UTC, datetime
from typing import Any

from bot.services.delivery import Outgoing, RealClock, Sender, Sent
from bot.storage.db import Database


class FileTransport:
    """Telegram as a log file: one line per delivered message (chat id and text)."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.ids = itertools.count(1)

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        os.close(self.fd)

    async def send(self, message: Outgoing) -> Sent:
        await asyncio.sleep(random.uniform(0, 0.002))  # the request on its way
        os.write(self.fd, f"{message.chat_id}\t{message.text}\n".encode())
        os.fsync(self.fd)
        await asyncio.sleep(random.uniform(0, 0.002))  # the answer on its way back
        return Sent(next(self.ids))

    async def edit(
        self, chat_id: int, message_id: int, text: str, reply_markup: dict[str, Any] | None
    ) -> None:
        return None


async def main(db_file: str, log_file: str) -> None:
    db = Database(f"sqlite+aiosqlite:///{db_file}")
    sender = Sender(
        db,
        FileTransport(log_file),
        rate=2000,
        concurrency=4,
        clock=RealClock(lambda: datetime.now(UTC)),
    )
    uncertain = await sender.recover()
    print(f"ready {uncertain}", flush=True)
    await sender.run_until_done()
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
