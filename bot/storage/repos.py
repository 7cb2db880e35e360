"""Queries, one repository per table family. Services own the commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import QuestionLog, User


@dataclass(frozen=True)
class AskedRow:
    """One logged question that the bot could not answer or whose answer was rejected."""

    text: str
    user_id: int | None
    registered: bool  # the asker has a role (staff)
    asked_at: datetime
    feedback: str | None = None  # "down", "none" or None
    entry_id: str | None = None  # the entry that answered (for a 👎)
    region: str | None = None  # the asker's region, if they have one


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

    async def unanswered(self, since: datetime) -> list[AskedRow]:
        """Questions since `since` the bot could not answer, or whose answer got 👎 or
        "geen van deze", with whether the asker has an account (a role)."""
        q = QuestionLog
        stmt = (
            select(q.text, q.user_id, User.role, q.asked_at, q.feedback, q.entry_id, User.region)
            .outerjoin(User, User.id == q.user_id)
            .where(q.asked_at >= since)
            .where(or_(q.outcome == "unknown", q.feedback.in_(("down", "none"))))
            .order_by(q.asked_at.desc(), q.id.desc())
        )
        return [
            AskedRow(text, user_id, role is not None, asked_at, feedback, entry_id, region)
            for text, user_id, role, asked_at, feedback, entry_id, region in (
                await self.session.execute(stmt)
            ).tuples()
        ]
