"""Users and invites. The caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Invite, User


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

    async def all(self) -> Sequence[User]:
        return (await self.session.execute(select(User).order_by(User.id))).scalars().all()

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)


class InviteRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, invite: Invite) -> None:
        self.session.add(invite)

    async def by_code(self, code: str) -> Invite | None:
        found: Invite | None = await self.session.scalar(select(Invite).where(Invite.code == code))
        return found
