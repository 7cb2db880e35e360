"""python-telegram-bot persistence in our own database (table `bot_state`).

Keeps what a restart must not lose: the state of every conversation (a half-finished
`/registreer`, a placement being entered) and the per-user data those conversations keep
(`context.user_data`, JSON only). Bot data and chat data hold nothing worth keeping.
Handlers that change a conversation also call `save_now`, so a crash loses nothing either.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.storage.db import Database
from bot.storage.models import BotState

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
        self._lock = asyncio.Lock()

    # -- writing ----------------------------------------------------------------------------

    async def _put(self, session: AsyncSession, kind: str, key: str, data: Any) -> None:
        row = await session.get(BotState, (kind, key))
        if data is None:
            if row is not None:
                await session.delete(row)
            return
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        if row is None:
            session.add(BotState(kind=kind, key=key, data=text, updated_at=self._clock()))
        elif row.data != text:
            row.data, row.updated_at = text, self._clock()

    async def _write(self, kind: str, key: str, data: Any) -> None:
        await self._db.upgrade()
        async with self._lock, self._db.session() as session:
            await self._put(session, kind, key, data)
            await session.commit()

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        await self._write(_conversation_kind(name), _key(key), new_state)

    async def update_user_data(self, user_id: int, data: Data) -> None:
        await self._write(USER, str(user_id), data or None)

    async def drop_user_data(self, user_id: int) -> None:
        await self._write(USER, str(user_id), None)

    # -- reading (once, when the application starts) ------------------------------------------

    async def _rows(self, kind: str) -> list[BotState]:
        await self._db.upgrade()  # initialize() reads before post_init has migrated
        async with self._db.session() as session:
            result = await session.execute(select(BotState).where(BotState.kind == kind))
            return list(result.scalars())

    async def get_user_data(self) -> dict[int, Data]:
        return {int(row.key): json.loads(row.data) for row in await self._rows(USER)}

    async def get_conversations(self, name: str) -> ConversationDict:
        rows = await self._rows(_conversation_kind(name))
        return {_parse_key(row.key): json.loads(row.data) for row in rows}

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
