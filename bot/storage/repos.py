"""Queries, one repository per table family. Services own the commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import QuestionLog, User


class UserRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_telegram_id(self, telegram_id: int) -> User | None:
        result = await self.session.execute(select(User).where(User.telegram_id == telegram_id))
        return result.scalar_one_or_none()

    async def seen(
        self,
        telegram_id: int,
        first_name: str | None,
        last_name: str | None,
        username: str | None,
        now: datetime,
    ) -> User:
        """Create the user on first contact, else refresh names and last-seen time."""
        user = await self.by_telegram_id(telegram_id)
        if user is None:
            user = User(telegram_id=telegram_id, first_seen=now)
            self.session.add(user)
        user.first_name = first_name[:128] if first_name else None
        user.last_name = last_name[:128] if last_name else None
        user.username = username[:64] if username else None
        user.last_seen = now
        if user.blocked_at is not None:  # they came back after blocking the bot
            user.active, user.blocked_at = True, None
        await self.session.flush()
        return user

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count(User.id))) or 0)


class QuestionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def log(self, row: QuestionLog) -> QuestionLog:
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, log_id: int) -> QuestionLog | None:
        return await self.session.get(QuestionLog, log_id)

    async def unanswered(self, since: datetime) -> Sequence[QuestionLog]:
        """Questions since `since` the bot could not answer, or whose answer got 👎."""
        stmt = (
            select(QuestionLog)
            .where(QuestionLog.asked_at >= since)
            .where(
                or_(
                    QuestionLog.outcome == "unknown",
                    QuestionLog.feedback.in_(("down", "none")),
                )
            )
            .order_by(QuestionLog.asked_at.desc(), QuestionLog.id.desc())
        )
        return (await self.session.execute(stmt)).scalars().all()
