"""python-telegram-bot persistence in our own database (table `bot_state`).

Keeps what a restart must not lose: the state of every conversation (a half-finished
`/registreer`, a placement being entered) and the per-user data those conversations keep
(`context.user_data`, JSON only). Bot data and chat data hold nothing worth keeping.
Handlers that change a conversation also call `save_now`, so a crash loses nothing either.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.storage.db import Database
from bot.storage.state import StateRepo

Data = dict[Any, Any]
USER = "user"


def _conversation_kind(name: str) -> str:
    return f"conversation:{name}"


def _key(key: ConversationKey) -> str:
    return ":".join(str(part) for part in key)


def _parse_key(text: str) -> ConversationKey:
    return tuple(int(part) if part.lstrip("-").isdigit() else part for part in text.split(":"))


class DbPersistence(BasePersistence[Data, Data, Data]):
    def __init__(
        self, db: Database, clock: Callable[[], datetime], update_interval: float = 5
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._db = db
        self._clock = clock
        # SQLite has one writer; PTB writes many keys at once: one write at a time here.
        # PostgreSQL takes many: there only writes of the same row wait for each other.
        self._lock = asyncio.Lock()
        self._row_locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        # What the table holds, as far as this process wrote or read it: PTB's periodic
        # update_persistence hands over every user's data again, which `save_now` stored
        # already; those writes would wait in line with the handlers' (benchmarks/load.py).
        self._stored: dict[tuple[str, str], str | None] = {}

    # -- writing ----------------------------------------------------------------------------

    async def _write(self, kind: str, key: str, data: Any) -> None:
        await self.write_many([(kind, key, data)])

    async def write_many(self, items: list[tuple[str, str, Any]]) -> None:
        """Store (kind, key, data) rows in one transaction (None deletes), but for rows that
        hold that already."""
        todo = []
        for kind, key, data in items:
            text = None if data is None else json.dumps(data, ensure_ascii=False, sort_keys=True)
            if (kind, key) not in self._stored or self._stored[(kind, key)] != text:
                todo.append((kind, key, data, text))
        if not todo:
            return
        await self._db.upgrade()
        async with AsyncExitStack() as stack:
            for lock in self._locks(sorted({(kind, key) for kind, key, _, _ in todo})):
                await stack.enter_async_context(lock)
            session = await stack.enter_async_context(self._db.session())
            repo = StateRepo(session)
            for kind, key, _, text in todo:
                await repo.put(kind, key, text, self._clock())
            await session.commit()
        for kind, key, _, text in todo:
            self._stored[(kind, key)] = text

    def _locks(self, rows: list[tuple[str, str]]) -> list[asyncio.Lock]:
        """The locks to hold while writing these rows (in a fixed order)."""
        if self._db.single_writer:
            return [self._lock]
        locks = []
        for row in rows:
            lock = self._row_locks.get(row)
            if lock is None:
                lock = self._row_locks[row] = asyncio.Lock()
            locks.append(lock)
        return locks

    async def save_form(
        self, user_id: int, user_data: Data, name: str, key: ConversationKey, state: object | None
    ) -> None:
        """A form's step: the user's data and the conversation's state, in one transaction."""
        await self.write_many(
            [(USER, str(user_id), user_data or None), (_conversation_kind(name), _key(key), state)]
        )

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        await self._write(_conversation_kind(name), _key(key), new_state)

    async def update_user_data(self, user_id: int, data: Data) -> None:
        await self._write(USER, str(user_id), data or None)

    async def drop_user_data(self, user_id: int) -> None:
        await self._write(USER, str(user_id), None)

    # -- reading (once, when the application starts) ------------------------------------------

    async def _rows(self, kind: str) -> list[tuple[str, str]]:
        """(key, data) of every row of this kind."""
        await self._db.upgrade()  # initialize() reads before post_init has migrated
        async with self._db.session() as session:
            rows = await StateRepo(session).all_of(kind)
        for key, data in rows:
            self._stored[(kind, key)] = data
        return rows

    async def get_user_data(self) -> dict[int, Data]:
        return {int(key): json.loads(data) for key, data in await self._rows(USER)}

    async def get_conversations(self, name: str) -> ConversationDict:
        rows = await self._rows(_conversation_kind(name))
        return {_parse_key(key): json.loads(data) for key, data in rows}

    # -- not kept -------------------------------------------------------------------------------

    async def get_chat_data(self) -> dict[int, Data]:
        return {}

    async def get_bot_data(self) -> Data:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        return None

    async def update_bot_data(self, data: Data) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        return None

    async def refresh_bot_data(self, bot_data: Data) -> None:
        return None

    async def flush(self) -> None:
        return None
