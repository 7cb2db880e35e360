"""One sender per database: a lease in `bot_state`, held and renewed by the process that
sends."""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.storage.db import Database
from bot.storage.state import StateRepo

LEASE_TTL = timedelta(seconds=30)  # a lease not renewed for this long is free
LEASE_RENEW = 5.0  # seconds between renewals while sending


# This process, whatever its pid: in a container a restarted bot is pid 1 again, so a lease
# naming our own pid but another process token was left by the previous incarnation.
_PROCESS = uuid.uuid4().hex


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Lease:
    """Only one sender per database: a `bot_state` row (kind `sender`, key `lease`) naming the
    process that sends, renewed while it runs. Another process takes it over when it is
    released, not renewed for LEASE_TTL, or left by a process on this host that is gone (a
    kill -9 followed by a restart resumes at once, in a container too, where the restarted
    bot has the same pid as the one that died)."""

    KIND, KEY = "sender", "lease"

    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self.db = db
        self.now = now
        self.host = socket.gethostname()
        self.owner = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held = False
        self.holder: str | None = None  # who has it when we do not

    def _data(self, at: datetime) -> str:
        return json.dumps(
            {
                "owner": self.owner,
                "host": self.host,
                "pid": os.getpid(),
                "process": _PROCESS,
                "at": at.isoformat(),
            }
        )

    def _free(self, data: dict[str, Any], updated_at: datetime, now: datetime) -> bool:
        if now - updated_at > LEASE_TTL:
            return True
        if data.get("host") != self.host:
            return False
        pid = int(data.get("pid") or 0)
        if pid == os.getpid():  # our pid: free unless this very process wrote it
            return data.get("process") != _PROCESS
        return not _alive(pid)

    async def hold(self) -> bool:
        """Take the lease (free, expired, or its process is gone) or renew ours.

        Reading and writing are separate transactions and every write is one conditional
        statement: on SQLite a transaction that reads and then writes while another
        connection has committed fails at once with "database is locked" (a stale WAL
        snapshot), whatever the busy timeout."""
        now = self.now()
        async with self.db.session() as session:
            seen = await StateRepo(session).read(self.KIND, self.KEY)
        if seen is None:
            async with self.db.session() as session:
                if not await StateRepo(session).create(
                    self.KIND, self.KEY, self._data(now), now
                ):  # another process was quicker
                    self.held = False
                    return False
            self.held, self.holder = True, self.owner
            return True
        data = json.loads(seen[0])
        if data.get("owner") != self.owner and not self._free(data, seen[1], now):
            self.held, self.holder = False, str(data.get("owner"))
            return False
        async with self.db.session() as session:
            self.held = await StateRepo(session).replace(
                self.KIND, self.KEY, seen[0], self._data(now), now
            )
            await session.commit()
        self.holder = self.owner if self.held else None
        return self.held

    async def release(self) -> None:
        if not self.held:
            return
        self.held = False
        owner = json.dumps({"owner": self.owner})[1:-1]  # '"owner": "<ours>"', as _data writes it
        async with self.db.session() as session:
            await StateRepo(session).delete_if_contains(self.KIND, self.KEY, owner)
            await session.commit()
