"""People who talk to the bot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.replies import Person
from bot.storage.models import User
from bot.storage.repos import UserRepo


async def record_seen(session: AsyncSession, person: Person, now: datetime) -> User:
    """Create or refresh the user; the caller's service commits."""
    return await UserRepo(session).seen(
        person.telegram_id, person.first_name, person.last_name, person.username, now
    )
