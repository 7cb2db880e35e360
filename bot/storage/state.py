"""Rows of `bot_state`: the conversations and user data python-telegram-bot keeps
(bot/persistence.py), and the sender's lease, whose every write is one conditional statement,
so two processes never both think they hold it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.announcements import rowcount
from bot.storage.models import BotState


class StateRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def put(self, kind: str, key: str, data: str | None, now: datetime) -> None:
        """Write the row's data (None removes the row); the caller commits."""
        row = await self.session.get(BotState, (kind, key))
        if data is None:
            if row is not None:
                await self.session.delete(row)
            return
        if row is None:
            self.session.add(BotState(kind=kind, key=key, data=data, updated_at=now))
        elif row.data != data:
            row.data, row.updated_at = data, now

    async def all_of(self, kind: str) -> list[tuple[str, str]]:
        """(key, data) of every row of this kind."""
        result = await self.session.execute(
            select(BotState.key, BotState.data).where(BotState.kind == kind)
        )
        return [(key, data) for key, data in result.tuples()]

    async def read(self, kind: str, key: str) -> tuple[str, datetime] | None:
        """The row's data and when it was written, if it exists."""
        row = await self.session.get(BotState, (kind, key))
        return None if row is None else (row.data, row.updated_at)

    async def create(self, kind: str, key: str, data: str, now: datetime) -> bool:
        """Add the row and commit; False when another process was quicker."""
        self.session.add(BotState(kind=kind, key=key, data=data, updated_at=now))
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            return False
        return True

    async def replace(self, kind: str, key: str, seen: str, data: str, now: datetime) -> bool:
        """Write `data` only if the row still holds `seen` (the caller commits)."""
        result = await self.session.execute(
            update(BotState)
            .where(BotState.kind == kind, BotState.key == key, BotState.data == seen)
            .values(data=data, updated_at=now)
        )
        return rowcount(result) == 1

    async def delete_if_contains(self, kind: str, key: str, fragment: str) -> None:
        """Remove the row if its data contains `fragment` (the caller commits)."""
        await self.session.execute(
            delete(BotState).where(
                BotState.kind == kind,
                BotState.key == key,
                BotState.data.contains(fragment, autoescape=True),
            )
        )
